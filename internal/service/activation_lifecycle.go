package service

import (
	"context"
	"fmt"
	"strings"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// CommitActivation moves a PENDING_COMMIT activation to ACTIVE
// (activation/commit), checking the OTP when it is due on commit. An
// expired activation becomes REMOVED and fails with CodeActivationExpired;
// a wrong OTP is counted and fails with CodeInvalidActivationOTP.
func (s *Service) CommitActivation(ctx context.Context, activationID, externalUserID, otp string) (domain.Activation, error) {
	if err := requireActivationID(activationID); err != nil {
		return domain.Activation{}, err
	}
	if err := validActivationText("externalUserId", externalUserID, maxActivationText); err != nil {
		return domain.Activation{}, err
	}
	var out domain.Activation
	var deferred committedError
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		deferred.reset()
		a, err := activationForUpdate(ctx, tx, activationID)
		if err != nil {
			return err
		}
		if expired, err := s.expireActivationIfDue(ctx, tx, &a); err != nil {
			return err
		} else if expired {
			deferred.set(Errorf(CodeActivationExpired, "This activation is already expired."))
			return nil
		}
		if a.Status == domain.ActivationRemoved {
			return Errorf(CodeActivationExpired, "This activation is already removed.")
		}
		if a.Status != domain.ActivationPendingCommit {
			return Errorf(CodeActivationIncorrectState, "Only activations in PENDING_COMMIT state can be committed.")
		}
		outcome, err := s.checkActivationOTP(&a, domain.CommitPhaseOnCommit, otp)
		if err != nil {
			return err
		}
		if outcome == otpRejected {
			if err := s.recordOTPFailure(ctx, tx, &a, externalUserID); err != nil {
				return err
			}
			deferred.set(errActivationOTP())
			return nil
		}
		if a.CommitPhase != domain.CommitPhaseOnCommit {
			return Errorf(CodeActivationIncorrectState, "Activation is committed in the key exchange.")
		}
		a.Status = domain.ActivationActive
		if err := s.persistActivationChange(ctx, tx, &a, "", externalUserID); err != nil {
			return err
		}
		if err := s.activateActivationRecoveryCodes(ctx, tx, a); err != nil {
			return err
		}
		out = a
		return nil
	})
	return out, deferred.result(err)
}

// UpdateActivationOTP sets a new OTP on a PENDING_COMMIT activation
// (activation/otp/update); the OTP is then due on commit. Activations with
// the deprecated ON_KEY_EXCHANGE validation cannot be changed
// (CodeActivationOTPWrongMode).
func (s *Service) UpdateActivationOTP(ctx context.Context, activationID, externalUserID, otp string) error {
	if err := requireActivationID(activationID); err != nil {
		return err
	}
	if otp == "" {
		return Errorf(CodeInvalidRequest, "activationOtp - must not be empty")
	}
	if err := validActivationText("externalUserId", externalUserID, maxActivationText); err != nil {
		return err
	}
	hash, err := s.hashSecret(otp)
	if err != nil {
		return fmt.Errorf("hash activation OTP: %w", err)
	}
	var deferred committedError
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		deferred.reset()
		a, err := activationForUpdate(ctx, tx, activationID)
		if err != nil {
			return err
		}
		if expired, err := s.expireActivationIfDue(ctx, tx, &a); err != nil {
			return err
		} else if expired {
			deferred.set(Errorf(CodeActivationIncorrectState, "Activation is expired."))
			return nil
		}
		if a.Status != domain.ActivationPendingCommit {
			return Errorf(CodeActivationIncorrectState, "Activation OTP can only be changed in PENDING_COMMIT state.")
		}
		if a.OtpValidation == domain.OtpValidationOnKeyExchange {
			return Errorf(CodeActivationOTPWrongMode, "Activation OTP cannot be changed in ON_KEY_EXCHANGE mode.")
		}
		a.OtpHash = hash
		a.OtpValidation = domain.OtpValidationOnCommit
		return s.persistActivationChange(ctx, tx, &a, domain.EventReasonOtpValueUpdate, externalUserID)
	})
	return deferred.result(err)
}

// RemoveActivation moves an activation to REMOVED from any state
// (activation/remove), optionally revoking its recovery codes. Removing a
// REMOVED activation succeeds without another history entry.
func (s *Service) RemoveActivation(ctx context.Context, activationID, externalUserID string, revokeRecoveryCodes bool) (domain.Activation, error) {
	if err := requireActivationID(activationID); err != nil {
		return domain.Activation{}, err
	}
	if err := validActivationText("externalUserId", externalUserID, maxActivationText); err != nil {
		return domain.Activation{}, err
	}
	return s.changeActivation(ctx, activationID, func(tx store.Tx, a *domain.Activation) error {
		return s.removeActivationLocked(ctx, tx, a, externalUserID, revokeRecoveryCodes)
	})
}

// changeActivation locks an activation in a transaction, lets change
// update it and returns it as change left it.
func (s *Service) changeActivation(ctx context.Context, activationID string, change func(tx store.Tx, a *domain.Activation) error) (domain.Activation, error) {
	var out domain.Activation
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		a, err := activationForUpdate(ctx, tx, activationID)
		if err != nil {
			return err
		}
		if err := change(tx, &a); err != nil {
			return err
		}
		out = a
		return nil
	})
	return out, err
}

// BlockActivation moves an ACTIVE activation to BLOCKED with a reason
// (NOT_SPECIFIED when empty) (activation/block). Blocking a BLOCKED
// activation changes nothing; other states are CodeActivationIncorrectState.
func (s *Service) BlockActivation(ctx context.Context, activationID, reason, externalUserID string) (domain.Activation, error) {
	if err := requireActivationID(activationID); err != nil {
		return domain.Activation{}, err
	}
	if err := validActivationText("reason", reason, maxActivationText); err != nil {
		return domain.Activation{}, err
	}
	if err := validActivationText("externalUserId", externalUserID, maxActivationText); err != nil {
		return domain.Activation{}, err
	}
	if reason == "" {
		reason = domain.BlockedReasonNotSpecified
	}
	return s.changeActivation(ctx, activationID, func(tx store.Tx, a *domain.Activation) error {
		switch a.Status {
		case domain.ActivationActive:
			a.Status = domain.ActivationBlocked
			a.BlockedReason = reason
			return s.persistActivationChange(ctx, tx, a, "", externalUserID)
		case domain.ActivationBlocked:
			return nil
		default:
			return Errorf(CodeActivationIncorrectState, "Only ACTIVE activations can be blocked.")
		}
	})
}

// UnblockActivation moves a BLOCKED activation back to ACTIVE and resets
// its failed attempts (activation/unblock). Unblocking an ACTIVE activation
// changes nothing; other states are CodeActivationIncorrectState.
func (s *Service) UnblockActivation(ctx context.Context, activationID, externalUserID string) (domain.Activation, error) {
	if err := requireActivationID(activationID); err != nil {
		return domain.Activation{}, err
	}
	if err := validActivationText("externalUserId", externalUserID, maxActivationText); err != nil {
		return domain.Activation{}, err
	}
	return s.changeActivation(ctx, activationID, func(tx store.Tx, a *domain.Activation) error {
		switch a.Status {
		case domain.ActivationBlocked:
			a.Status = domain.ActivationActive
			a.BlockedReason = ""
			a.FailedAttempts = 0
			return s.persistActivationChange(ctx, tx, a, "", externalUserID)
		case domain.ActivationActive:
			return nil
		default:
			return Errorf(CodeActivationIncorrectState, "Only BLOCKED activations can be unblocked.")
		}
	})
}

// UpdateActivationStatuses sets the status of several activations in one
// transaction (activation/status/update): either all change or none. An
// unknown ID is CodeActivationNotFound; a transition the lifecycle does not
// allow (anything out of REMOVED, anything into CREATED or PENDING_COMMIT)
// is CodeActivationIncorrectState. Activations already in the status are
// left alone.
func (s *Service) UpdateActivationStatuses(ctx context.Context, activationIDs []string, status domain.ActivationStatus) error {
	if len(activationIDs) == 0 {
		return Errorf(CodeInvalidRequest, "activationIds - must not be empty")
	}
	for _, id := range activationIDs {
		if err := requireActivationID(id); err != nil {
			return err
		}
	}
	if !status.Valid() {
		return Errorf(CodeInvalidRequest, "activationStatus - must be a valid activation status")
	}
	return s.store.InTx(ctx, func(tx store.Tx) error {
		seen := map[string]bool{}
		for _, id := range activationIDs {
			if seen[id] {
				continue
			}
			seen[id] = true
			a, err := activationForUpdate(ctx, tx, id)
			if err != nil {
				return err
			}
			if a.Status == status {
				continue
			}
			// Leaving CREATED needs the device's key exchange.
			if !activationTransitionAllowed(a.Status, status) ||
				(a.Status == domain.ActivationCreated && status != domain.ActivationRemoved) {
				return Errorf(CodeActivationIncorrectState, "Activation %s cannot change from %s to %s.", id, a.Status, status)
			}
			switch status {
			case domain.ActivationBlocked:
				if a.BlockedReason == "" {
					a.BlockedReason = domain.BlockedReasonNotSpecified
				}
			case domain.ActivationActive:
				if a.Status == domain.ActivationBlocked {
					a.BlockedReason = ""
					a.FailedAttempts = 0
				}
			}
			committing := a.Status == domain.ActivationPendingCommit
			a.Status = status
			if err := s.persistActivationChange(ctx, tx, &a, "", ""); err != nil {
				return err
			}
			if committing && status == domain.ActivationActive {
				if err := s.activateActivationRecoveryCodes(ctx, tx, a); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// UpdateActivationName renames an activation (activation/name/update); not
// allowed in CREATED, BLOCKED or REMOVED.
func (s *Service) UpdateActivationName(ctx context.Context, activationID, name, externalUserID string) (domain.Activation, error) {
	if err := requireActivationID(activationID); err != nil {
		return domain.Activation{}, err
	}
	if strings.TrimSpace(name) == "" {
		return domain.Activation{}, Errorf(CodeInvalidRequest, "activationName - must not be blank")
	}
	if err := validActivationText("activationName", name, maxActivationText); err != nil {
		return domain.Activation{}, err
	}
	if err := validActivationText("externalUserId", externalUserID, maxActivationText); err != nil {
		return domain.Activation{}, err
	}
	return s.changeActivation(ctx, activationID, func(tx store.Tx, a *domain.Activation) error {
		switch a.Status {
		case domain.ActivationCreated, domain.ActivationBlocked, domain.ActivationRemoved:
			return Errorf(CodeActivationIncorrectState, "Activation name cannot be changed in %s state.", a.Status)
		}
		a.Name = name
		return s.persistActivationChange(ctx, tx, a, domain.EventReasonActivationNameUpdated, externalUserID)
	})
}

// ExpireActivations moves up to limit CREATED or PENDING_COMMIT activations
// past their expiry to REMOVED (with history and revoked recovery codes)
// and returns how many it moved. Rows locked by a concurrent run are
// skipped, so several nodes may run it at once; each activation is
// expired exactly once. A limit of 0 or less means
// DefaultExpireActivationsLimit.
func (s *Service) ExpireActivations(ctx context.Context, limit int) (int, error) {
	if limit <= 0 {
		limit = DefaultExpireActivationsLimit
	}
	var n int
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		n = 0
		due, err := tx.ListExpiredActivationsForUpdate(ctx, s.Now(), limit)
		if err != nil {
			return fmt.Errorf("list expired activations: %w", err)
		}
		for i := range due {
			a := &due[i]
			if !activationPending(*a) {
				continue
			}
			if err := s.removeActivationLocked(ctx, tx, a, "", true); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
