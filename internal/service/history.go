package service

import (
	"context"
	"fmt"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// recordHistory appends the activation's current status and name to its
// history, inside the transaction that changed it. Call it after every
// status change, rename, OTP event and version change. When the status
// differs from the one the history recorded last (or the activation is
// new), the ACTIVATION_STATUS_CHANGE callbacks are enqueued and the change
// is written to the audit log, in the same transaction.
func (s *Service) recordHistory(ctx context.Context, tx store.Tx, a domain.Activation, reason, externalUserID string) error {
	past, err := tx.ListActivationHistory(ctx, a.ActivationID, time.Time{}, time.Time{})
	if err != nil {
		return fmt.Errorf("read activation history: %w", err)
	}
	h := domain.ActivationHistory{
		ActivationID:      a.ActivationID,
		Status:            a.Status,
		EventReason:       reason,
		ExternalUserID:    externalUserID,
		ActivationName:    a.Name,
		ActivationVersion: a.Version,
		Created:           s.Now(),
	}
	if err := tx.CreateActivationHistory(ctx, &h); err != nil {
		return fmt.Errorf("record activation history: %w", err)
	}
	var prev domain.ActivationStatus
	if len(past) > 0 {
		prev = past[len(past)-1].Status
		if prev == a.Status {
			return nil
		}
	}
	return s.onActivationStatusChanged(ctx, tx, a, prev, len(past) > 0, reason, externalUserID)
}
