package service

import (
	"context"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// ActivationRecovery is the recovery code and PUK handed to a device with
// its activation when the application's recovery configuration enables it.
type ActivationRecovery struct {
	RecoveryCode string
	PUK          string
}

// createActivationRecovery creates an ACTIVE recovery code with one PUK for
// the activation inside tx, when the application has activation recovery
// enabled; it returns nil otherwise.
//
// Placeholder until recovery codes are implemented: recovery is never enabled.
func (s *Service) createActivationRecovery(ctx context.Context, tx store.Tx, app domain.Application, a domain.Activation) (*ActivationRecovery, error) {
	return nil, nil
}

// consumeRecoveryPUK checks a recovery code and PUK for an activation via
// recovery code (inside tx): the code must be ACTIVE and belong to the
// application; the PUK must be the next VALID one. A wrong PUK counts a
// failure (blocking the code at the limit) and returns an ERR_RECOVERY
// *Error carrying CurrentRecoveryPukIndex. On success the PUK becomes USED
// and the recovery code is returned (its ActivationID names the activation
// to remove).
//
// Placeholder until recovery codes are implemented: every code is unknown.
func (s *Service) consumeRecoveryPUK(ctx context.Context, tx store.Tx, app domain.Application, recoveryCode, puk string) (domain.RecoveryCode, error) {
	return domain.RecoveryCode{}, Errorf(CodeRecoveryCodeNotFound, "Recovery code was not found.")
}
