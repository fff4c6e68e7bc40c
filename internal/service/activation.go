package service

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// Limits of the activation lifecycle.
const (
	// activationCodeAttempts is how many activation ID / code pairs are tried
	// before init gives up on collisions (the reference's default of 10).
	activationCodeAttempts = 10
	// maxActivationText bounds short free-text activation attributes (user
	// ID, names, platform, device info, flags, reasons).
	maxActivationText = 255
	// maxActivationExtras bounds the extras attribute.
	maxActivationExtras = 4000
	// DefaultExpireActivationsLimit is the batch size ExpireActivations uses
	// when called with a limit of 0 or less.
	DefaultExpireActivationsLimit = 100
	// upgradeProtocolVersion is the highest activation major version the
	// server supports (UPGRADE_VERSION in the status blob).
	upgradeProtocolVersion = 3
	// currentActivationVersion is the major version of new activations.
	currentActivationVersion = 3
)

// ActivationDetail is an activation together with the public name of its
// application (the REST API's applicationId).
type ActivationDetail struct {
	domain.Activation
	// ApplicationName is the application's unique name.
	ApplicationName string
}

// validActivationText reports a free-text attribute that is too long or
// contains a NUL character (which PostgreSQL text columns reject) as an
// invalid request naming the field.
func validActivationText(field, value string, maxLen int) error {
	if len(value) > maxLen {
		return Errorf(CodeInvalidRequest, "%s - must be at most %d characters", field, maxLen)
	}
	if strings.ContainsRune(value, 0) {
		return Errorf(CodeInvalidRequest, "%s - must not contain NUL characters", field)
	}
	return nil
}

// validUserID checks a user identifier: present, at most 255 characters.
func validUserID(userID string) error {
	if strings.TrimSpace(userID) == "" {
		return Errorf(CodeInvalidRequest, "userId - must not be blank")
	}
	return validActivationText("userId", userID, maxActivationText)
}

// requireActivationID rejects a blank activation ID.
func requireActivationID(activationID string) error {
	if strings.TrimSpace(activationID) == "" {
		return Errorf(CodeInvalidRequest, "activationId - must not be blank")
	}
	return nil
}

// activationPending reports whether the activation is still being set up
// (CREATED or PENDING_COMMIT), i.e. subject to expiry.
func activationPending(a domain.Activation) bool {
	return a.Status == domain.ActivationCreated || a.Status == domain.ActivationPendingCommit
}

// activationExpired reports whether a pending activation is past its expiry.
func activationExpired(a domain.Activation, now time.Time) bool {
	return activationPending(a) && now.After(a.ActivationExpire)
}

// activationTransitionAllowed is the lifecycle state machine: CREATED →
// PENDING_COMMIT → ACTIVE ⇄ BLOCKED, CREATED → ACTIVE (commit in the key
// exchange), and REMOVED from any state but REMOVED itself.
func activationTransitionAllowed(from, to domain.ActivationStatus) bool {
	if from == domain.ActivationRemoved {
		return false
	}
	if to == domain.ActivationRemoved {
		return true
	}
	switch from {
	case domain.ActivationCreated:
		return to == domain.ActivationPendingCommit || to == domain.ActivationActive
	case domain.ActivationPendingCommit:
		return to == domain.ActivationActive
	case domain.ActivationActive:
		return to == domain.ActivationBlocked
	case domain.ActivationBlocked:
		return to == domain.ActivationActive
	}
	return false
}

// persistActivationChange writes a locked activation back, stamping the
// last change, and appends the matching history entry.
func (s *Service) persistActivationChange(ctx context.Context, tx store.Tx, a *domain.Activation, reason, externalUserID string) error {
	if a.Status == domain.ActivationRemoved {
		s.forgetActivationKeys(a.ActivationID)
	}
	a.LastChange = s.Now()
	if err := tx.UpdateActivation(ctx, a); err != nil {
		return fmt.Errorf("update activation: %w", err)
	}
	return s.recordHistory(ctx, tx, *a, reason, externalUserID)
}

// removeActivationLocked moves a locked activation to REMOVED, optionally
// revoking its recovery codes, and records the change. It is a no-op for
// an activation that is already REMOVED.
func (s *Service) removeActivationLocked(ctx context.Context, tx store.Tx, a *domain.Activation, externalUserID string, revokeRecoveryCodes bool) error {
	if a.Status == domain.ActivationRemoved {
		return nil
	}
	a.Status = domain.ActivationRemoved
	// Tokens of a removed activation can never be used again: delete them.
	if _, err := tx.DeleteTokensByActivation(ctx, a.ActivationID); err != nil {
		return fmt.Errorf("delete tokens of removed activation: %w", err)
	}
	if revokeRecoveryCodes {
		if err := s.revokeActivationRecoveryCodes(ctx, tx, a.ActivationID); err != nil {
			return err
		}
	}
	return s.persistActivationChange(ctx, tx, a, "", externalUserID)
}

// expireActivationIfDue moves a locked pending activation that is past its
// expiry to REMOVED (revoking its recovery codes, as the reference does)
// and reports whether it did.
func (s *Service) expireActivationIfDue(ctx context.Context, tx store.Tx, a *domain.Activation) (bool, error) {
	if !activationExpired(*a, s.Now()) {
		return false, nil
	}
	if err := s.removeActivationLocked(ctx, tx, a, "", true); err != nil {
		return false, err
	}
	return true, nil
}

// expireOnRead applies lazy expiry to an activation read outside a
// transaction: when it is pending and past its expiry it is locked,
// re-checked and moved to REMOVED, and the stored state is returned.
func (s *Service) expireOnRead(ctx context.Context, a domain.Activation) (domain.Activation, error) {
	if !activationExpired(a, s.Now()) {
		return a, nil
	}
	var out domain.Activation
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		locked, err := activationForUpdate(ctx, tx, a.ActivationID)
		if err != nil {
			return err
		}
		if _, err := s.expireActivationIfDue(ctx, tx, &locked); err != nil {
			return err
		}
		out = locked
		return nil
	})
	if err != nil {
		return a, err
	}
	return out, nil
}

// revokeActivationRecoveryCodes revokes every recovery code linked to the
// activation that is not revoked yet and invalidates its VALID PUKs.
func (s *Service) revokeActivationRecoveryCodes(ctx context.Context, tx store.Tx, activationID string) error {
	codes, err := tx.ListRecoveryCodes(ctx, store.RecoveryCodeFilter{ActivationID: activationID})
	if err != nil {
		return fmt.Errorf("list recovery codes: %w", err)
	}
	now := s.Now()
	for _, c := range codes {
		if c.Status == domain.RecoveryCodeRevoked {
			continue
		}
		c.Status = domain.RecoveryCodeRevoked
		c.LastChange = now
		if err := tx.UpdateRecoveryCode(ctx, &c); err != nil {
			return fmt.Errorf("revoke recovery code: %w", err)
		}
		puks, err := tx.ListRecoveryPUKs(ctx, c.ID)
		if err != nil {
			return fmt.Errorf("list recovery PUKs: %w", err)
		}
		for _, p := range puks {
			if p.Status != domain.RecoveryPukValid {
				continue
			}
			p.Status = domain.RecoveryPukInvalid
			p.LastChange = now
			if err := tx.UpdateRecoveryPUK(ctx, &p); err != nil {
				return fmt.Errorf("invalidate recovery PUK: %w", err)
			}
		}
	}
	return nil
}

// activateActivationRecoveryCodes turns the CREATED recovery codes of a
// just committed activation ACTIVE.
func (s *Service) activateActivationRecoveryCodes(ctx context.Context, tx store.Tx, a domain.Activation) error {
	codes, err := tx.ListRecoveryCodes(ctx, store.RecoveryCodeFilter{
		ApplicationID: a.ApplicationID,
		ActivationID:  a.ActivationID,
		Statuses:      []domain.RecoveryCodeStatus{domain.RecoveryCodeCreated},
	})
	if err != nil {
		return fmt.Errorf("list recovery codes: %w", err)
	}
	now := s.Now()
	for _, c := range codes {
		c.Status = domain.RecoveryCodeActive
		c.LastChange = now
		if err := tx.UpdateRecoveryCode(ctx, &c); err != nil {
			return fmt.Errorf("activate recovery code: %w", err)
		}
	}
	return nil
}

// activationApplicationName resolves an application's internal id to its
// name, caching the names in names.
func activationApplicationName(ctx context.Context, r store.Reader, names map[int64]string, id int64) (string, error) {
	if n, ok := names[id]; ok {
		return n, nil
	}
	app, err := r.GetApplication(ctx, id)
	if err != nil {
		return "", fmt.Errorf("load application: %w", err)
	}
	names[id] = app.Name
	return app.Name, nil
}

// activationDetail loads the application name of an activation.
func activationDetail(ctx context.Context, r store.Reader, a domain.Activation) (ActivationDetail, error) {
	app, err := r.GetApplication(ctx, a.ApplicationID)
	if err != nil {
		return ActivationDetail{}, fmt.Errorf("load application: %w", err)
	}
	return ActivationDetail{Activation: a, ApplicationName: app.Name}, nil
}

// committedError carries a business error out of a transaction whose
// writes must still be committed (failed OTP attempts, removal after an
// invalid device key, lazy expiry): fn stores it and returns nil.
type committedError struct{ err error }

// set records err to be returned after the commit.
func (c *committedError) set(err error) { c.err = err }

// reset clears the error at the start of every (re)run of fn.
func (c *committedError) reset() { c.err = nil }

// result combines the transaction's own error with the recorded one.
func (c *committedError) result(txErr error) error {
	if txErr != nil {
		return txErr
	}
	return c.err
}
