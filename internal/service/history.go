package service

import (
	"context"
	"fmt"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// recordHistory appends the activation's current status and name to its
// history, inside the transaction that changed it. Call it after every
// status change, rename, OTP event and version change.
func (s *Service) recordHistory(ctx context.Context, tx store.Tx, a domain.Activation, reason, externalUserID string) error {
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
	return nil
}
