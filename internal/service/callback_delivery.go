package service

import (
	"context"
	"fmt"

	"github.com/mauth/mauth/internal/callbacks"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// Callback events are written to the outbox (pa_application_callback_event)
// by internal/callbacks in the transaction that changed the state they
// report, and delivered by its dispatcher after commit.

// onActivationStatusChanged runs inside the transaction of every
// activation status change (recordHistory): it enqueues the
// ACTIVATION_STATUS_CHANGE callbacks and writes the audit entry. prev is
// the status before (hadPrev false for a new activation).
func (s *Service) onActivationStatusChanged(ctx context.Context, tx store.Tx, a domain.Activation, prev domain.ActivationStatus, hadPrev bool, reason, externalUserID string) error {
	app, err := tx.GetApplication(ctx, a.ApplicationID)
	if err != nil {
		return fmt.Errorf("load application: %w", err)
	}
	if err := callbacks.EnqueueActivation(ctx, tx, s.Now(), a, app); err != nil {
		return err
	}
	d := map[string]string{"status": a.Status.String(), "reason": reason, "blockedReason": a.BlockedReason}
	if hadPrev {
		d["previousStatus"] = prev.String()
	}
	return s.writeAudit(ctx, tx, domain.AuditEntry{
		Type: domain.AuditActivationStatusChanged, Actor: externalUserID, ActivationID: a.ActivationID,
		UserID: a.UserID, Application: app.Name, Details: d,
	})
}

// enqueueOperationEvents enqueues the OPERATION_STATUS_CHANGE callbacks of
// every application of op.
func (s *Service) enqueueOperationEvents(ctx context.Context, tx store.Tx, op domain.Operation) error {
	return callbacks.EnqueueOperation(ctx, tx, s.Now(), op)
}
