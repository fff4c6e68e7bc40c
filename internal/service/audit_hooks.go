package service

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// The exported methods below wrap the use cases whose outcome belongs in
// the audit log but changes no activation: they run the use case and then
// record what happened. Administrative changes are recorded only when they
// took effect.

// CreateApplication creates an application with a new master key pair and
// a first version named "default" with its own application key and secret.
func (s *Service) CreateApplication(ctx context.Context, name string, roles []string) (domain.Application, error) {
	app, err := s.createApplicationUnaudited(ctx, name, roles)
	if err == nil {
		s.auditAdmin(ctx, "APPLICATION_CREATED", app.Name, map[string]string{"applicationId": app.Name})
	}
	return app, err
}

// CreateIntegration creates an ADMIN integration with a generated client
// token and secret (random UUIDs), as the reference server does.
func (s *Service) CreateIntegration(ctx context.Context, name string) (Integration, error) {
	return s.CreateIntegrationWith(ctx, IntegrationInput{Name: name, Role: domain.IntegrationAdmin})
}

// CreateIntegrationWith creates an integration with a role (and, for an
// APPLICATION integration, its applications) and a generated client token
// and secret (random UUIDs). The secret is in the result only: the server
// keeps a keyed hash.
func (s *Service) CreateIntegrationWith(ctx context.Context, in IntegrationInput) (Integration, error) {
	out, err := s.createIntegrationUnaudited(ctx, in)
	if err == nil {
		s.auditAdmin(ctx, "INTEGRATION_CREATED", "", map[string]string{"integrationId": out.ID, "name": out.Name,
			"role": string(out.Role), "applications": strings.Join(out.Applications, ",")})
	}
	return out, err
}

// GrantIntegrationApplications lets the APPLICATION integration id act on
// the named applications too, and returns the integration.
func (s *Service) GrantIntegrationApplications(ctx context.Context, id string, applications []string) (Integration, error) {
	out, err := s.changeIntegrationApplicationsUnaudited(ctx, id, applications, true)
	if err == nil {
		s.auditAdmin(ctx, "INTEGRATION_APPLICATIONS_GRANTED", "", map[string]string{"integrationId": id,
			"applications": strings.Join(dedupe(applications), ",")})
	}
	return out, err
}

// RevokeIntegrationApplications withdraws the named applications from the
// APPLICATION integration id (applications it was not granted are
// ignored), and returns the integration.
func (s *Service) RevokeIntegrationApplications(ctx context.Context, id string, applications []string) (Integration, error) {
	out, err := s.changeIntegrationApplicationsUnaudited(ctx, id, applications, false)
	if err == nil {
		s.auditAdmin(ctx, "INTEGRATION_APPLICATIONS_REVOKED", "", map[string]string{"integrationId": id,
			"applications": strings.Join(dedupe(applications), ",")})
	}
	return out, err
}

// RemoveIntegration deletes an integration; it reports false when no
// integration has the id.
func (s *Service) RemoveIntegration(ctx context.Context, id string) (bool, error) {
	removed, err := s.removeIntegrationUnaudited(ctx, id)
	if err == nil && removed {
		s.auditAdmin(ctx, "INTEGRATION_REMOVED", "", map[string]string{"integrationId": id})
	}
	return removed, err
}

// CreateCallback registers a callback URL for an application.
func (s *Service) CreateCallback(ctx context.Context, in CallbackInput) (Callback, error) {
	cb, err := s.createCallbackUnaudited(ctx, in)
	if err == nil {
		s.auditAdmin(ctx, "CALLBACK_CREATED", cb.ApplicationName, map[string]string{"callbackId": cb.ID, "callbackUrl": cb.URL, "type": string(cb.Type)})
	}
	return cb, err
}

// UpdateCallback replaces the settings of the callback id of
// in.ApplicationName. Secrets the update does not resend are kept.
func (s *Service) UpdateCallback(ctx context.Context, id string, in CallbackInput) (Callback, error) {
	cb, err := s.updateCallbackUnaudited(ctx, id, in)
	if err == nil {
		s.auditAdmin(ctx, "CALLBACK_UPDATED", cb.ApplicationName, map[string]string{"callbackId": cb.ID, "callbackUrl": cb.URL, "type": string(cb.Type)})
	}
	return cb, err
}

// RemoveCallback disables a callback (its events stay for the delivery
// history); it reports false when no enabled callback has the id.
func (s *Service) RemoveCallback(ctx context.Context, id string) (bool, error) {
	removed, err := s.removeCallbackUnaudited(ctx, id)
	if err == nil && removed {
		s.auditAdmin(ctx, "CALLBACK_REMOVED", "", map[string]string{"callbackId": id})
	}
	return removed, err
}

// auditAdmin records an administrative change.
func (s *Service) auditAdmin(ctx context.Context, action, application string, details map[string]string) {
	d := map[string]string{"action": action}
	for k, v := range details {
		d[k] = v
	}
	s.auditNow(ctx, domain.AuditEntry{Type: domain.AuditAdminChange, Application: application, Details: d})
}

// ValidateToken verifies a MAC token digest (protocol §5): the timestamp
// must lie in the configured window (CodeTokenTimestampTooOld,
// CodeTokenTimestampTooInFuture), the activation must be ACTIVE, the digest
// is compared in constant time and an accepted (nonce, token) pair cannot
// be used again (CodeInvalidRequest). Every validation of a known token
// is written to the audit log.
func (s *Service) ValidateToken(ctx context.Context, in ValidateTokenInput) (ValidateTokenResult, error) {
	res, err := s.validateTokenUnaudited(ctx, in)
	var se *Error
	if res.ActivationID != "" && (err == nil || errors.As(err, &se)) {
		d := map[string]string{"tokenId": in.TokenID, "valid": strconv.FormatBool(res.TokenValid && err == nil),
			"activationStatus": res.ActivationStatus.String()}
		if se != nil {
			d["error"] = se.Code
		}
		s.auditNow(ctx, domain.AuditEntry{Type: domain.AuditTokenValidated, ActivationID: res.ActivationID,
			UserID: res.UserID, Application: res.ApplicationID, Details: d})
	}
	return res, err
}

// AuthenticateIntegration reports whether clientToken/clientSecret are the
// credentials of an integration (see Authenticate).
func (s *Service) AuthenticateIntegration(ctx context.Context, clientToken, clientSecret string) bool {
	_, ok := s.Authenticate(ctx, clientToken, clientSecret)
	return ok
}

// Authenticate returns the integration whose credentials
// clientToken/clientSecret are, with its role and grants. An unknown token
// costs the same keyed hash and constant-time comparison as a known one,
// so neither the existence of a token nor the length of its secret shows
// in the timing. Refused attempts are written to the audit log (with the
// client token, never the secret).
func (s *Service) Authenticate(ctx context.Context, clientToken, clientSecret string) (Principal, bool) {
	p, ok := s.authenticateIntegrationUnaudited(ctx, clientToken, clientSecret)
	if !ok {
		s.auditNow(ctx, domain.AuditEntry{Type: domain.AuditIntegrationAuth,
			Details: map[string]string{"result": "REFUSED", "clientToken": truncate(clientToken, 64)}})
	}
	return p, ok
}

// AuditAccessDenied records that the integration p called method on the
// private API and its role did not allow it.
func (s *Service) AuditAccessDenied(ctx context.Context, p Principal, method string) {
	s.auditNow(ctx, domain.AuditEntry{Type: domain.AuditIntegrationAuth,
		Details: map[string]string{"result": "DENIED", "clientToken": truncate(p.ClientToken, 64),
			"integrationId": p.IntegrationID, "method": truncate(method, 128)}})
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
