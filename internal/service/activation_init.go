package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/protocol"
)

// InitActivationInput is the request of activation/init.
type InitActivationInput struct {
	// UserID is the user the activation belongs to (required, ≤ 255 characters).
	UserID string
	// ApplicationID is the application's name (required).
	ApplicationID string
	// ActivationExpire is when the unfinished activation expires; zero means
	// now + Config.ActivationValidity. It must be in the future.
	ActivationExpire time.Time
	// MaxFailureCount is the failed-attempt limit; 0 means
	// Config.SignatureMaxFailedAttempts. Negative values are rejected.
	MaxFailureCount int64
	// ActivationOTP is the optional activation OTP, stored hashed.
	ActivationOTP string
	// CommitPhase says when the activation is committed and its OTP
	// checked; nil means ON_COMMIT. It must not be combined with a
	// deprecated OtpValidation other than NONE.
	CommitPhase *domain.CommitPhase
	// OtpValidation is the deprecated OTP validation mode (NONE by default).
	OtpValidation domain.OtpValidation
	// Protocol is powerauth (default) or fido2.
	Protocol domain.ActivationProtocol
	// Flags are the initial activation flags.
	Flags []string
}

// activationRecordParams describe a new CREATED activation.
type activationRecordParams struct {
	userID           string
	activationExpire time.Time
	maxFailureCount  int64
	otpHash          string
	otpValidation    domain.OtpValidation
	commitPhase      domain.CommitPhase
	protocol         domain.ActivationProtocol
	flags            []string
}

// normalizeActivationFlags validates flags and removes duplicates, keeping
// the first occurrence order.
func normalizeActivationFlags(flags []string) ([]string, error) {
	out := make([]string, 0, len(flags))
	for _, f := range flags {
		if strings.TrimSpace(f) == "" {
			return nil, Errorf(CodeInvalidRequest, "activationFlags - must not contain blank values")
		}
		if err := validActivationText("activationFlags", f, maxActivationText); err != nil {
			return nil, err
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out, nil
}

// activationRecordDefaults validates the common init parameters and fills
// in the configured defaults.
func (s *Service) activationRecordDefaults(userID string, expire time.Time, maxFailureCount int64) (activationRecordParams, error) {
	p := activationRecordParams{userID: userID, activationExpire: expire, maxFailureCount: maxFailureCount, protocol: domain.ProtocolPowerAuth}
	if err := validUserID(userID); err != nil {
		return p, err
	}
	now := s.Now()
	// A zero expiry is filled in from the creation time by createActivationRecord.
	if !expire.IsZero() && !expire.After(now) {
		return p, Errorf(CodeInvalidRequest, "timestampActivationExpire - must be in the future")
	}
	switch {
	case maxFailureCount == 0:
		p.maxFailureCount = s.cfg.SignatureMaxFailedAttempts
	case maxFailureCount < 0:
		return p, Errorf(CodeActivationCreateFailed, "Activation cannot be created with the specified maximum failure count.")
	}
	return p, nil
}

// InitActivation creates a CREATED activation with a unique activation
// code and its master-key signature (activation/init).
func (s *Service) InitActivation(ctx context.Context, in InitActivationInput) (ActivationDetail, error) {
	p, err := s.activationRecordDefaults(in.UserID, in.ActivationExpire, in.MaxFailureCount)
	if err != nil {
		return ActivationDetail{}, err
	}
	if strings.TrimSpace(in.ApplicationID) == "" {
		return ActivationDetail{}, Errorf(CodeNoApplicationID, "No application ID was set.")
	}
	if in.Protocol != "" {
		if !in.Protocol.Valid() {
			return ActivationDetail{}, Errorf(CodeInvalidRequest, "protocol - must be powerauth or fido2")
		}
		p.protocol = in.Protocol
	}
	if !in.OtpValidation.Valid() {
		return ActivationDetail{}, Errorf(CodeInvalidRequest, "activationOtpValidation - unknown value")
	}
	if in.CommitPhase != nil && !in.CommitPhase.Valid() {
		return ActivationDetail{}, Errorf(CodeInvalidRequest, "commitPhase - unknown value")
	}
	// The deprecated validation mode and the commit phase are alternatives.
	if in.OtpValidation != domain.OtpValidationNone && in.CommitPhase != nil {
		return ActivationDetail{}, Errorf(CodeInvalidRequest, "Activation OTP validation mode must not be combined with a commit phase.")
	}
	if in.OtpValidation != domain.OtpValidationNone && in.ActivationOTP == "" {
		return ActivationDetail{}, Errorf(CodeInvalidRequest, "Activation OTP validation mode requires an activation OTP.")
	}
	p.otpValidation = in.OtpValidation
	if in.CommitPhase != nil {
		p.commitPhase = *in.CommitPhase
	}
	if p.flags, err = normalizeActivationFlags(in.Flags); err != nil {
		return ActivationDetail{}, err
	}
	if in.ActivationOTP != "" {
		// Hash outside the transaction: it is slow and has no side effects.
		if p.otpHash, err = s.hashSecret(in.ActivationOTP); err != nil {
			return ActivationDetail{}, fmt.Errorf("hash activation OTP: %w", err)
		}
	}
	var out ActivationDetail
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		app, err := s.applicationByName(ctx, tx, in.ApplicationID)
		if err != nil {
			return err
		}
		a, err := s.createActivationRecord(ctx, tx, app, p)
		if err != nil {
			return err
		}
		out = ActivationDetail{Activation: a, ApplicationName: app.Name}
		return nil
	})
	return out, err
}

// createActivationRecord inserts a CREATED activation with a fresh UUID and
// a unique activation code signed by the newest master key, retrying on
// collisions, and records it in the history.
func (s *Service) createActivationRecord(ctx context.Context, tx store.Tx, app domain.Application, p activationRecordParams) (domain.Activation, error) {
	master, kp, err := s.masterKey(ctx, tx, app)
	if err != nil {
		return domain.Activation{}, err
	}
	now := s.Now()
	expire := p.activationExpire
	if expire.IsZero() {
		expire = now.Add(s.cfg.ActivationValidity)
	}
	for range activationCodeAttempts {
		code := protocol.GenerateActivationCode()
		sig, err := protocol.SignActivationCode(master, code)
		if err != nil {
			return domain.Activation{}, Wrap(CodeGenericCryptography, "Activation code cannot be signed.", err)
		}
		a := domain.Activation{
			ActivationID:        uuid.NewString(),
			ApplicationID:       app.ID,
			UserID:              p.userID,
			ActivationCode:      code,
			ActivationSignature: sig,
			Status:              domain.ActivationCreated,
			OtpHash:             p.otpHash,
			OtpValidation:       p.otpValidation,
			CommitPhase:         p.commitPhase,
			Flags:               p.flags,
			Protocol:            p.protocol,
			MaxFailedAttempts:   p.maxFailureCount,
			MasterKeyPairID:     kp.ID,
			Created:             now,
			ActivationExpire:    expire,
			LastUsed:            now,
			LastChange:          now,
		}
		err = tx.CreateActivation(ctx, &a)
		if errors.Is(err, store.ErrAlreadyExists) {
			continue // the ID or, far more likely, the code is taken
		}
		if err != nil {
			return domain.Activation{}, fmt.Errorf("create activation: %w", err)
		}
		if err := s.recordHistory(ctx, tx, a, "", ""); err != nil {
			return domain.Activation{}, err
		}
		return a, nil
	}
	return domain.Activation{}, Errorf(CodeActivationCodeGeneration, "Too many failed attempts to generate activation code.")
}
