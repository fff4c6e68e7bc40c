package mtoken

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"

	"github.com/mauth/mauth/internal/api/render"
	"github.com/mauth/mauth/internal/deviceauth"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/wire"
)

// SpawnRequest is what a SpawnPolicy decides on.
type SpawnRequest struct {
	// Auth is the requesting device (signed with two factors).
	Auth *deviceauth.Auth
	// TargetApplication is the application the new activation is for.
	TargetApplication string
}

// SpawnDecision is the answer of a SpawnPolicy.
type SpawnDecision struct {
	// Allowed permits the spawn.
	Allowed bool
	// Flags are activation flags of the new activation.
	Flags []string
}

// SpawnPolicy decides whether a device may spawn an activation for
// another application of its user.
type SpawnPolicy func(ctx context.Context, req SpawnRequest) (SpawnDecision, error)

// AllowAnyApplication allows spawning for any application of the server.
func AllowAnyApplication(context.Context, SpawnRequest) (SpawnDecision, error) {
	return SpawnDecision{Allowed: true}, nil
}

// AllowApplications allows spawning only for the listed target applications.
func AllowApplications(names ...string) SpawnPolicy {
	allowed := map[string]bool{}
	for _, n := range names {
		allowed[n] = true
	}
	return func(_ context.Context, req SpawnRequest) (SpawnDecision, error) {
		return SpawnDecision{Allowed: allowed[req.TargetApplication]}, nil
	}
}

// spawn is /api/activation/code: an ACTIVE device of a user asks for an
// activation code of another application for the same user. The new
// activation is committed on its key exchange, which must present the OTP
// the requesting device chose.
func (s *Server) spawn(r *http.Request) (any, error) {
	var req wire.SpawnRequest
	if err := decodeObject(r, &req, true); err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.ApplicationID) == "" || len(req.ApplicationID) > maxIDLength {
		return nil, errInvalidRequest("applicationId must have 1 to %d characters", maxIDLength)
	}
	if strings.TrimSpace(req.OTP) == "" || len(req.OTP) > maxOTPLength {
		return nil, errInvalidRequest("otp must have 1 to %d characters", maxOTPLength)
	}
	a := auth(r)
	dec, err := s.opts.SpawnPolicy(r.Context(), SpawnRequest{Auth: a, TargetApplication: req.ApplicationID})
	if err != nil {
		return nil, err
	}
	if !dec.Allowed {
		return nil, Errf(http.StatusBadRequest, CodeInvalidApplication, "Application is not valid.", "spawn of %s from %s is not allowed", req.ApplicationID, a.ApplicationID)
	}
	phase := domain.CommitPhaseOnKeyExchange
	act, err := s.opts.Activations.InitActivation(r.Context(), service.InitActivationInput{
		UserID:        a.UserID,
		ApplicationID: req.ApplicationID,
		ActivationOTP: req.OTP,
		CommitPhase:   &phase,
		Flags:         dec.Flags,
	})
	if err != nil {
		var se *service.Error
		if errors.As(err, &se) && (se.Code == service.CodeInvalidApplication || se.Code == service.CodeNoApplicationID) {
			return nil, &render.APIError{Status: http.StatusBadRequest, Code: CodeInvalidApplication, Message: "Application is not valid.", Cause: err}
		}
		return nil, coreError(err)
	}
	return wire.SpawnedActivation{
		ActivationID:        act.ActivationID,
		ActivationCode:      act.ActivationCode,
		ActivationSignature: base64.StdEncoding.EncodeToString(act.ActivationSignature),
	}, nil
}
