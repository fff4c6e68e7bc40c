package service

import (
	"context"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// otpOutcome is the result of checking an activation OTP in one phase.
type otpOutcome int

const (
	// otpNotChecked: no OTP is due in this phase (and none was sent).
	otpNotChecked otpOutcome = iota
	// otpVerified: the OTP matched; the failure counter was reset.
	otpVerified
	// otpRejected: a wrong OTP was counted on the activation (which may
	// now be REMOVED); the caller must persist it and fail with
	// CodeInvalidActivationOTP after committing.
	otpRejected
)

// errActivationOTP is the error of a missing, unexpected or wrong OTP.
func errActivationOTP() *Error {
	return Errorf(CodeInvalidActivationOTP, "Activation OTP does not match or is used in a wrong step.")
}

// checkActivationOTP checks the OTP sent in phase (ON_KEY_EXCHANGE for the
// key exchange, ON_COMMIT for the commit) against the locked activation.
//
// With the deprecated validation mode the OTP is due in the phase that mode
// names; otherwise it is due in the activation's commit phase, and only if
// the activation has an OTP. An OTP sent when none is due, or missing when
// one is due, fails without counting an attempt. A wrong OTP increments the
// failed attempts and removes the activation when they reach the maximum.
func (s *Service) checkActivationOTP(a *domain.Activation, phase domain.CommitPhase, otp string) (otpOutcome, error) {
	var duePhase domain.CommitPhase
	switch a.OtpValidation {
	case domain.OtpValidationOnKeyExchange:
		duePhase = domain.CommitPhaseOnKeyExchange
	case domain.OtpValidationOnCommit:
		duePhase = domain.CommitPhaseOnCommit
	default:
		if a.OtpHash == "" {
			if otp != "" {
				return otpNotChecked, errActivationOTP()
			}
			return otpNotChecked, nil
		}
		duePhase = a.CommitPhase
	}
	if phase != duePhase {
		if otp != "" {
			return otpNotChecked, errActivationOTP()
		}
		return otpNotChecked, nil
	}
	if otp == "" || a.OtpHash == "" {
		return otpNotChecked, errActivationOTP()
	}
	if s.verifySecret(a.OtpHash, otp) {
		a.FailedAttempts = 0
		return otpVerified, nil
	}
	a.FailedAttempts++
	if a.FailedAttempts >= a.MaxFailedAttempts {
		a.Status = domain.ActivationRemoved
	}
	return otpRejected, nil
}

// recordOTPFailure persists an activation after otpRejected with the
// matching history reason.
func (s *Service) recordOTPFailure(ctx context.Context, tx store.Tx, a *domain.Activation, externalUserID string) error {
	reason := domain.EventReasonOtpFailedAttempt
	if a.Status == domain.ActivationRemoved {
		reason = domain.EventReasonOtpMaxFailedAttempts
	}
	return s.persistActivationChange(ctx, tx, a, reason, externalUserID)
}
