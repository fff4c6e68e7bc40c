package public

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/mauth/mauth/internal/deviceauth"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/idp"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/protocol"
)

// activationCreate is /pa/v3/activation/create. The body is the layer-1
// plaintext (Encrypted decrypted it); the answer is the layer-1 response
// plaintext, which Encrypted encrypts.
func (s *Server) activationCreate(r *http.Request) (any, error) {
	ec, _ := EncryptionFromContext(r.Context())
	body, r, err := s.mw.readBody(r)
	if err != nil {
		return nil, err
	}
	l1, err := parseLayer1(body)
	if err != nil {
		return nil, failActivation.With(err)
	}
	l2 := l1.ActivationData.request(ec.Version)
	var res service.KeyExchangeResult
	var stage string
	switch l1.Type {
	case activationTypeCode:
		stage = UserInfoStageActivationCode
		res, err = s.core.PrepareActivation(r.Context(), service.PrepareActivationInput{
			ActivationCode:        l1.code,
			ApplicationKey:        ec.ApplicationKey,
			GenerateRecoveryCodes: true,
			Request:               l2,
		})
		err = coreError(err, failActivation)
	case activationTypeCustom, activationTypeDirect:
		stage = UserInfoStageCustom
		res, err = s.customActivation(r.Context(), ec, l1, l2)
	case activationTypeRecovery:
		stage = UserInfoStageRecovery
		res, err = s.core.CreateActivationWithRecoveryCode(r.Context(), service.RecoveryActivationInput{
			RecoveryCode:          l1.recoveryCode,
			PUK:                   l1.puk,
			ApplicationKey:        ec.ApplicationKey,
			GenerateRecoveryCodes: true,
			Request:               l2,
		})
		err = coreError(err, failActivation)
		if err == nil {
			err = s.autoCommit(r.Context(), res)
		}
	}
	if err != nil {
		return nil, err
	}
	a := res.Activation
	userInfo, err := s.activationUserInfo(r.Context(), stage, a)
	if err != nil {
		return nil, err
	}
	custom := l1.CustomAttributes
	if custom == nil {
		custom = map[string]any{}
	}
	return layer1Response{
		ActivationData:   eciesResponseJSON(res.Response),
		CustomAttributes: custom,
		UserInfo:         userInfo,
	}, nil
}

// customActivation maps the identity attributes to a user with the
// identity provider and creates the activation for that user.
func (s *Server) customActivation(ctx context.Context, ec *EncryptionContext, l1 *layer1Request, l2 service.EciesRequest) (service.KeyExchangeResult, error) {
	var userID string
	var err error
	switch {
	case l1.Type == activationTypeDirect && s.opts.OIDC != nil && l1.IdentityAttributes["method"] == identityMethodOIDC:
		// The OIDC activation: the verifier exchanges the code and checks
		// the ID token; nothing is created unless it names a user.
		if userID, err = s.opts.OIDC.ResolveOIDC(ctx, ec.ApplicationKey, l1.IdentityAttributes); err != nil {
			return service.KeyExchangeResult{}, failActivation.With(err)
		}
	case s.opts.IdentityProvider == nil:
		return service.KeyExchangeResult{}, failActivation.Withf("custom activation is not configured (no identity provider)")
	default:
		userID, err = s.opts.IdentityProvider.Resolve(ctx, l1.IdentityAttributes)
	}
	if err != nil {
		if !errors.Is(err, idp.ErrInvalidCredentials) && !errors.Is(err, idp.ErrUnavailable) {
			err = fmt.Errorf("%w: %w", idp.ErrUnavailable, err)
		}
		return service.KeyExchangeResult{}, failActivation.With(err)
	}
	if strings.TrimSpace(userID) == "" || len(userID) > idp.MaxUserIDLength {
		return service.KeyExchangeResult{}, failActivation.Withf("identity provider returned an invalid user id")
	}
	res, err := s.core.CreateActivation(ctx, service.CreateActivationInput{
		UserID:                userID,
		ApplicationKey:        ec.ApplicationKey,
		GenerateRecoveryCodes: true,
		Request:               l2,
	})
	if err != nil {
		return res, coreError(err, failActivation)
	}
	return res, s.autoCommit(ctx, res)
}

// identityMethodOIDC is the identity attribute method of an OIDC activation.
const identityMethodOIDC = "oidc"

// OIDCVerifier maps the identity attributes of an OIDC activation
// ({method: "oidc", providerId, code, nonce, codeVerifier}) to a user:
// internal/oidc's Activator, wired by internal/app.
type OIDCVerifier interface {
	// ResolveOIDC verifies the attributes against the provider configured
	// for the application of applicationKey and returns the user id.
	ResolveOIDC(ctx context.Context, applicationKey string, attributes map[string]any) (userID string, err error)
}

// autoCommit commits a PENDING_COMMIT activation unless disabled.
func (s *Server) autoCommit(ctx context.Context, res service.KeyExchangeResult) error {
	if s.opts.DisableAutoCommit || res.Activation.Status != domain.ActivationPendingCommit {
		return nil
	}
	if _, err := s.core.CommitActivation(ctx, res.Activation.ActivationID, "", ""); err != nil {
		return coreError(err, failActivation)
	}
	return nil
}

// activationUserInfo returns the userInfo of an activation response (nil
// without a provider).
func (s *Server) activationUserInfo(ctx context.Context, stage string, a service.ActivationDetail) (map[string]any, error) {
	if s.opts.UserInfo == nil {
		return nil, nil
	}
	claims, err := s.opts.UserInfo(ctx, UserInfoRequest{Stage: stage, UserID: a.UserID, ActivationID: a.ActivationID, ApplicationID: a.ApplicationName})
	if err != nil {
		return nil, failActivation.Withf("user info: %w", err)
	}
	return claims, nil
}

// activationStatusRequest is the request object of /activation/status.
type activationStatusRequest struct {
	ActivationID string  `json:"activationId"`
	Challenge    *string `json:"challenge"`
}

// activationStatusResponse is the response object of /activation/status.
type activationStatusResponse struct {
	ActivationID        string         `json:"activationId"`
	EncryptedStatusBlob string         `json:"encryptedStatusBlob"`
	Nonce               *string        `json:"nonce"`
	CustomObject        map[string]any `json:"customObject"`
}

// activationStatus is /pa/v3/activation/status (no authentication: the
// blob is encrypted with the activation's transport key).
func (s *Server) activationStatus(r *http.Request) (any, error) {
	body, r, err := s.mw.readBody(r)
	if err != nil {
		return nil, err
	}
	var req activationStatusRequest
	if err := decodeObject(body, &req, failActivation); err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.ActivationID) == "" {
		return nil, failActivation.Withf("activationId is missing")
	}
	var challenge []byte
	if req.Challenge != nil && *req.Challenge != "" {
		challenge, err = base64.StdEncoding.DecodeString(*req.Challenge)
		if err != nil || len(challenge) != protocol.StatusChallengeSize {
			return nil, failActivation.Withf("challenge must be Base64 of %d bytes", protocol.StatusChallengeSize)
		}
	}
	res, err := s.core.GetActivationStatus(r.Context(), req.ActivationID, challenge)
	if err != nil {
		return nil, coreError(err, failActivation)
	}
	out := activationStatusResponse{
		ActivationID:        req.ActivationID,
		EncryptedStatusBlob: base64.StdEncoding.EncodeToString(res.EncryptedStatusBlob),
	}
	if res.EncryptedStatusBlobNonce != nil {
		n := base64.StdEncoding.EncodeToString(res.EncryptedStatusBlobNonce)
		out.Nonce = &n
	}
	return out, nil
}

// activationRemove is /pa/v3/activation/remove (2FA signature).
func (s *Server) activationRemove(r *http.Request) (any, error) {
	auth, _ := deviceauth.AuthFromContext(r.Context())
	a, err := s.core.RemoveActivation(r.Context(), auth.ActivationID, "", false)
	if err != nil {
		return nil, coreError(err, failActivation)
	}
	return struct {
		ActivationID string `json:"activationId"`
	}{a.ActivationID}, nil
}

// activationDetailResponse answers /activation/detail and /activation/rename.
type activationDetailResponse struct {
	ActivationID   string `json:"activationId"`
	ActivationName string `json:"activationName"`
}

// activationDetail is /pa/v3/activation/detail (token + activation-scope
// encryption); the encrypted plaintext is the usual OK envelope.
func (s *Server) activationDetail(r *http.Request) (any, error) {
	auth, _ := deviceauth.AuthFromContext(r.Context())
	res, err := s.core.GetActivationStatus(r.Context(), auth.ActivationID, nil)
	if err != nil {
		return nil, coreError(err, failActivation)
	}
	if !res.Found {
		return nil, failActivation.Withf("activation %s not found", auth.ActivationID)
	}
	return activationDetailResponse{ActivationID: res.Activation.ActivationID, ActivationName: res.Activation.Name}, nil
}

// activationRenameRequest is the decrypted body of /activation/rename.
type activationRenameRequest struct {
	ActivationName *string `json:"activationName"`
}

// activationRename is /pa/v3/activation/rename (signature + activation-scope
// encryption): the plaintext is {"activationName": …}.
func (s *Server) activationRename(r *http.Request) (any, error) {
	auth, _ := deviceauth.AuthFromContext(r.Context())
	body, r, err := s.mw.readBody(r)
	if err != nil {
		return nil, err
	}
	var req activationRenameRequest
	if err := decodeJSON(body, &req); err != nil {
		return nil, failActivation.With(err)
	}
	if req.ActivationName == nil || strings.TrimSpace(*req.ActivationName) == "" {
		return nil, failActivation.Withf("activationName is missing")
	}
	a, err := s.core.UpdateActivationName(r.Context(), auth.ActivationID, *req.ActivationName, "")
	if err != nil {
		return nil, coreError(err, failActivation)
	}
	return activationDetailResponse{ActivationID: a.ActivationID, ActivationName: a.Name}, nil
}
