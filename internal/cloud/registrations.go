package cloud

import (
	"context"
	"encoding/base64"
	"slices"
	"strings"
	"time"

	"github.com/mauth/mauth/internal/domain"
)

// CreateRegistrationRequest is the body of POST /v2/registrations.
type CreateRegistrationRequest struct {
	UserID        string
	AppID         string
	OTP           string
	OTPValidation string
	CommitPhase   string
	Flags         []string
	// Expires is timestampRegistrationExpire (zero: the core's default).
	Expires time.Time
	// IncompleteStatusCheck refuses a registration while the user has an
	// unfinished one for the application.
	IncompleteStatusCheck bool
}

// CreatedRegistration is the answer of a new registration.
type CreatedRegistration struct {
	RegistrationID, ActivationCode, ActivationCodeSignature, ActivationQRCodeData string
}

// Limits of the registration fields.
const (
	maxUserID = 255
	maxFlags  = 32
	maxFlag   = 64
	maxText   = 255
)

// application resolves the application of a call: the one named (which
// must be granted), or the user's only granted one.
func (p Principal) application(named string) (string, error) {
	if named != "" {
		if !p.MayUse(named) {
			return "", Forbidden("application %s is not granted to %s", named, p.Username)
		}
		return named, nil
	}
	if len(p.Applications) == 1 {
		return p.Applications[0], nil
	}
	return "", BadRequest("appId - must be set (the user has %d applications)", len(p.Applications))
}

func checkUserID(userID string) error {
	if strings.TrimSpace(userID) == "" || len(userID) > maxUserID || strings.ContainsRune(userID, 0) {
		return BadRequest("userId - must have 1 to %d characters", maxUserID)
	}
	return nil
}

// CreateRegistration creates an activation and returns its code and QR content.
func (s *Service) CreateRegistration(ctx context.Context, p Principal, req CreateRegistrationRequest) (CreatedRegistration, error) {
	if err := checkUserID(req.UserID); err != nil {
		return CreatedRegistration{}, err
	}
	app, err := p.application(req.AppID)
	if err != nil {
		return CreatedRegistration{}, err
	}
	if len(req.Flags) > maxFlags {
		return CreatedRegistration{}, BadRequest("flags - at most %d", maxFlags)
	}
	for _, f := range req.Flags {
		if f == "" || len(f) > maxFlag {
			return CreatedRegistration{}, BadRequest("flags - each must have 1 to %d characters", maxFlag)
		}
	}
	if req.CommitPhase != "" {
		if _, err := domain.ParseCommitPhase(req.CommitPhase); err != nil {
			return CreatedRegistration{}, BadRequest("commitPhase - must be ON_COMMIT or ON_KEY_EXCHANGE")
		}
	}
	if req.OTPValidation != "" {
		if _, err := domain.ParseOtpValidation(req.OTPValidation); err != nil {
			return CreatedRegistration{}, BadRequest("otpValidation - must be NONE, ON_KEY_EXCHANGE or ON_COMMIT")
		}
	}
	if req.IncompleteStatusCheck {
		regs, err := s.core.ListRegistrations(ctx, req.UserID, []string{app})
		if err != nil {
			return CreatedRegistration{}, registrationError(err)
		}
		if slices.ContainsFunc(regs, func(r Registration) bool {
			return r.Status == domain.ActivationCreated || r.Status == domain.ActivationPendingCommit
		}) {
			return CreatedRegistration{}, newError(400, CodeRegistrationNotAllowed, "An unfinished registration of the user exists.")
		}
	}
	r, err := s.core.CreateRegistration(ctx, RegistrationInput{UserID: req.UserID, Application: app, OTP: req.OTP,
		CommitPhase: req.CommitPhase, OTPValidation: req.OTPValidation, Flags: req.Flags, Expires: req.Expires})
	if err != nil {
		return CreatedRegistration{}, registrationError(err)
	}
	sig := base64.StdEncoding.EncodeToString(r.ActivationSignature)
	qr := r.ActivationCode
	if sig != "" {
		qr += "#" + sig
	}
	return CreatedRegistration{RegistrationID: r.ActivationID, ActivationCode: r.ActivationCode,
		ActivationCodeSignature: sig, ActivationQRCodeData: qr}, nil
}

// registration loads a registration the user may act on; another
// application's registration looks unknown.
func (s *Service) registration(ctx context.Context, p Principal, id string) (Registration, error) {
	if id == "" || len(id) > maxText {
		return Registration{}, registrationNotFound()
	}
	r, err := s.core.GetRegistration(ctx, id)
	if err != nil {
		return Registration{}, registrationError(err)
	}
	if !p.MayUse(r.Application) {
		return Registration{}, registrationNotFound()
	}
	return r, nil
}

// GetRegistration returns a registration's detail.
func (s *Service) GetRegistration(ctx context.Context, p Principal, id string) (Registration, error) {
	return s.registration(ctx, p, id)
}

// ListRegistrations lists a user's registrations in the applications the
// caller may use (or the one named).
func (s *Service) ListRegistrations(ctx context.Context, p Principal, userID, appID string) ([]Registration, error) {
	if err := checkUserID(userID); err != nil {
		return nil, err
	}
	apps, err := s.scope(ctx, p, appID)
	if err != nil {
		return nil, err
	}
	if len(apps) == 0 {
		return nil, nil
	}
	regs, err := s.core.ListRegistrations(ctx, userID, apps)
	if err != nil {
		return nil, registrationError(err)
	}
	return regs, nil
}

// scope returns the applications a list covers: the one named, or all
// the caller may use.
func (s *Service) scope(ctx context.Context, p Principal, appID string) ([]string, error) {
	if appID != "" {
		if !p.MayUse(appID) {
			return nil, Forbidden("application %s is not granted to %s", appID, p.Username)
		}
		return []string{appID}, nil
	}
	// The application is derived from the credentials: the granted ones
	// (an administrator may be granted applications too, as the
	// reference's load tests do); an administrator without grants acts on
	// every application.
	if !p.Admin() || len(p.Applications) > 0 {
		return p.Applications, nil
	}
	all, err := s.core.ListApplications(ctx)
	if err != nil {
		return nil, requestError(err)
	}
	names := make([]string, len(all))
	for i, a := range all {
		names[i] = a.Name
	}
	return names, nil
}

// CommitRegistration commits a registration; externalUserID is recorded
// in the activation history.
func (s *Service) CommitRegistration(ctx context.Context, p Principal, id, externalUserID, otp string) error {
	if len(externalUserID) > maxText {
		return BadRequest("externalUserId - at most %d characters", maxText)
	}
	if _, err := s.registration(ctx, p, id); err != nil {
		return err
	}
	return registrationError(s.core.CommitRegistration(ctx, id, externalUserID, otp))
}

// Registration changes of PUT /v2/registrations/{id}.
const (
	ChangeBlock   = "BLOCK"
	ChangeUnblock = "UNBLOCK"
)

// ChangeRegistration blocks or unblocks a registration.
func (s *Service) ChangeRegistration(ctx context.Context, p Principal, id, change, reason, externalUserID string) error {
	if len(reason) > maxText || len(externalUserID) > maxText {
		return BadRequest("blockReason, externalUserId - at most %d characters", maxText)
	}
	if change != ChangeBlock && change != ChangeUnblock {
		return BadRequest("change - must be BLOCK or UNBLOCK")
	}
	if _, err := s.registration(ctx, p, id); err != nil {
		return err
	}
	if change == ChangeBlock {
		return registrationError(s.core.BlockRegistration(ctx, id, reason, externalUserID))
	}
	return registrationError(s.core.UnblockRegistration(ctx, id, externalUserID))
}

// DeleteRegistration removes a registration.
func (s *Service) DeleteRegistration(ctx context.Context, p Principal, id, externalUserID string) error {
	if len(externalUserID) > maxText {
		return BadRequest("externalUserId - at most %d characters", maxText)
	}
	if _, err := s.registration(ctx, p, id); err != nil {
		return err
	}
	return registrationError(s.core.RemoveRegistration(ctx, id, externalUserID))
}
