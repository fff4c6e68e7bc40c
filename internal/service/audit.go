package service

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// ActorSystem is the actor of events the server causes on its own
// (background jobs).
const ActorSystem = "system"

// MaxAuditListLimit caps one audit/list answer.
const MaxAuditListLimit = 1000

// completeAudit fills the timestamp and the request metadata of e.
func (s *Service) completeAudit(ctx context.Context, e *domain.AuditEntry) {
	ri := domain.RequestInfoOf(ctx)
	if e.Created.IsZero() {
		e.Created = s.Now()
	}
	if e.Actor == "" {
		e.Actor = ri.Actor
	}
	if e.Actor == "" {
		e.Actor = ActorSystem
	}
	e.IP, e.UserAgent = ri.IP, ri.UserAgent
	e.Details = maps.Clone(e.Details)
	for k, v := range e.Details {
		if v == "" {
			delete(e.Details, k)
		}
	}
}

// writeAudit appends an audit entry inside the caller's transaction, so it
// commits (or not) with the change it records.
func (s *Service) writeAudit(ctx context.Context, tx store.Tx, e domain.AuditEntry) error {
	s.completeAudit(ctx, &e)
	if err := tx.CreateAuditEntry(ctx, &e); err != nil {
		return fmt.Errorf("write audit log: %w", err)
	}
	return nil
}

// auditNow appends an audit entry in its own transaction, for events that
// change nothing else (a token check, a refused login). A failure is
// logged and does not fail the caller.
func (s *Service) auditNow(ctx context.Context, e domain.AuditEntry) {
	s.completeAudit(ctx, &e)
	ctx = context.WithoutCancel(ctx) // the entry is written even when the client went away
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		rec := e
		return tx.CreateAuditEntry(ctx, &rec)
	})
	if err != nil {
		s.log.WarnContext(ctx, "audit log write failed", "type", string(e.Type), "error", err)
	}
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
