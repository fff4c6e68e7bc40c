package audit

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/mauth/mauth/internal/domain"
)

// ActorSystem is the actor of events the server causes on its own
// (background jobs).
const ActorSystem = "system"

// Writer is the part of a store transaction (store.Tx) that appends audit
// entries.
type Writer interface {
	// CreateAuditEntry appends an audit entry and sets e.ID.
	CreateAuditEntry(ctx context.Context, e *domain.AuditEntry) error
}

// Complete fills what the caller left open in e: the timestamp (now, when
// e.Created is zero), the actor (the request's, else ActorSystem), the IP
// address and user agent of the request ctx carries (domain.RequestInfo).
// Details are copied, without empty values.
func Complete(ctx context.Context, e *domain.AuditEntry, now time.Time) {
	ri := domain.RequestInfoOf(ctx)
	if e.Created.IsZero() {
		e.Created = now
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

// Write completes e (see Complete) and appends it inside the caller's
// transaction tx, so it commits (or not) with the change it records. An
// error must fail the transaction.
func Write(ctx context.Context, tx Writer, now time.Time, e domain.AuditEntry) error {
	Complete(ctx, &e, now)
	if err := tx.CreateAuditEntry(ctx, &e); err != nil {
		return fmt.Errorf("write audit log: %w", err)
	}
	return nil
}

// Admin returns the entry of an administrative change (AUDIT type
// ADMIN_CHANGE): action names the change, application the application it
// concerns (empty: none), details the changed values.
func Admin(action, application string, details map[string]string) domain.AuditEntry {
	d := map[string]string{"action": action}
	for k, v := range details {
		d[k] = v
	}
	return domain.AuditEntry{Type: domain.AuditAdminChange, Application: application, Details: d}
}
