package service

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/mauth/mauth/internal/audit"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// ActorSystem is the actor of events the server causes on its own
// (background jobs).
const ActorSystem = audit.ActorSystem

// MaxAuditListLimit caps one audit/list answer.
const MaxAuditListLimit = 1000

// completeAudit fills the timestamp and the request metadata of e.
func (s *Service) completeAudit(ctx context.Context, e *domain.AuditEntry) {
	audit.Complete(ctx, e, s.Now())
}

// writeAudit appends an audit entry inside the caller's transaction, so it
// commits (or not) with the change it records.
func (s *Service) writeAudit(ctx context.Context, tx store.Tx, e domain.AuditEntry) error {
	return audit.Write(ctx, tx, s.Now(), e)
}

// writeAdminAudit records an administrative change inside the caller's
// transaction: when the record cannot be written, the change is rolled
// back with it.
func (s *Service) writeAdminAudit(ctx context.Context, tx store.Tx, action, application string, details map[string]string) error {
	return s.writeAudit(ctx, tx, audit.Admin(action, application, details))
}

// auditNow appends an audit entry in its own transaction, for events that
// change nothing else (a token check, a refused login). A failure is
// logged and does not fail the caller.
func (s *Service) auditNow(ctx context.Context, e domain.AuditEntry) {
	ctx = context.WithoutCancel(ctx) // the entry is written even when the client went away
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		return s.writeAudit(ctx, tx, e)
	})
	if err != nil {
		s.log.WarnContext(ctx, "audit log write failed", "type", string(e.Type), "error", err)
	}
}

// AuditAccessDenied records that the integration p called method on the
// private API and its role did not allow it.
func (s *Service) AuditAccessDenied(ctx context.Context, p Principal, method string) {
	s.auditNow(ctx, domain.AuditEntry{Type: domain.AuditIntegrationAuth,
		Details: map[string]string{"result": "DENIED", "clientToken": truncate(p.ClientToken, 64),
			"integrationId": p.IntegrationID, "method": truncate(method, 128)}})
}

// AuditQuery selects audit entries (the audit/list method); zero fields
// match all.
type AuditQuery struct {
	// UserID restricts to one user.
	UserID string
	// ActivationID restricts to one activation.
	ActivationID string
	// Type restricts to one event type.
	Type domain.AuditType
	// From and To bound the timestamp (inclusive; zero is open).
	From, To time.Time
	// Limit caps the answer (0 or more than MaxAuditListLimit: MaxAuditListLimit).
	Limit int
}

// ListAuditLog returns the audit entries matching q, newest first.
func (s *Service) ListAuditLog(ctx context.Context, q AuditQuery) ([]domain.AuditEntry, error) {
	if q.Type != "" && !q.Type.Valid() {
		return nil, Errorf(CodeInvalidRequest, "type - unknown audit type %q", string(q.Type))
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) {
		return nil, Errorf(CodeInvalidRequest, "timestampTo - must not be before timestampFrom")
	}
	if q.Limit <= 0 || q.Limit > MaxAuditListLimit {
		q.Limit = MaxAuditListLimit
	}
	out, err := s.store.ListAuditEntries(ctx, store.AuditFilter{
		UserID: q.UserID, ActivationID: q.ActivationID, Type: q.Type, From: q.From, To: q.To, Limit: q.Limit,
	})
	if err != nil {
		return nil, fmt.Errorf("list audit log: %w", err)
	}
	return out, nil
}

// auditSignature returns the general audit-log entry of a signature
// verification, completed with the request's actor, IP and user agent;
// it is written with the signature audit record, in the same transaction.
// appName is the name of rec.ApplicationID when the caller has it (empty:
// it is read through tx, which may be nil only when appName is set).
func (s *Service) auditSignature(ctx context.Context, tx store.Tx, rec domain.SignatureAudit, appName string) (domain.AuditEntry, error) {
	typ := domain.AuditSignatureFailed
	if rec.Valid {
		typ = domain.AuditSignatureVerified
	}
	if appName == "" && tx != nil {
		app, err := tx.GetApplication(ctx, rec.ApplicationID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return domain.AuditEntry{}, err
		}
		appName = app.Name
	}
	e := domain.AuditEntry{
		Type: typ, Created: rec.Created, ActivationID: rec.ActivationID, UserID: rec.UserID, Application: appName,
		Details: map[string]string{
			"signatureType": rec.SignatureType, "signatureVersion": rec.SignatureVersion,
			"activationStatus": rec.ActivationStatus.String(), "note": rec.Note,
			"activationCounter": strconv.FormatInt(rec.ActivationCounter, 10),
		},
	}
	s.completeAudit(ctx, &e)
	return e, nil
}

// truncate cuts s to at most n bytes (for values copied from requests).
func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
