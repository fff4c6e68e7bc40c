package public

import (
	"context"
	"net/http"

	"github.com/google/uuid"

	"github.com/mauth/mauth/internal/domain"
)

// Stages at which user info is asked for.
const (
	UserInfoStageActivationCode = "ACTIVATION_PROCESS_ACTIVATION_CODE"
	UserInfoStageCustom         = "ACTIVATION_PROCESS_CUSTOM"
	UserInfoStageRecovery       = "ACTIVATION_PROCESS_RECOVERY"
	UserInfoStageEndpoint       = "USER_INFO_ENDPOINT"
)

// UserInfoRequest says whose claims are asked for, and when.
type UserInfoRequest struct {
	// Stage is one of the UserInfoStage… constants.
	Stage         string
	UserID        string
	ActivationID  string
	ApplicationID string
}

// UserInfoProvider returns OIDC-like claims of a user; nil claims mean
// "none" (activation responses then carry no userInfo).
type UserInfoProvider func(ctx context.Context, req UserInfoRequest) (map[string]any, error)

// minimalClaims are the claims /user/info answers without a provider.
func (s *Server) minimalClaims(req UserInfoRequest) map[string]any {
	return map[string]any{
		"sub": req.UserID,
		"jti": uuid.NewString(),
		"iat": s.opts.Now().Unix(),
	}
}

// userInfo is /pa/v3/user/info (activation-scope encryption): the claims
// of the activation's user; the activation must be ACTIVE.
func (s *Server) userInfo(r *http.Request) (any, error) {
	ec, _ := EncryptionFromContext(r.Context())
	res, err := s.core.GetActivationStatus(r.Context(), ec.ActivationID, nil)
	if err != nil {
		return nil, coreError(err, failUserInfo)
	}
	if !res.Found || res.Activation.Status != domain.ActivationActive {
		return nil, failUserInfo.Withf("activation %s is not active", ec.ActivationID)
	}
	req := UserInfoRequest{Stage: UserInfoStageEndpoint, UserID: res.Activation.UserID, ActivationID: res.Activation.ActivationID, ApplicationID: res.Activation.ApplicationName}
	claims := s.minimalClaims(req)
	if s.opts.UserInfo != nil {
		if claims, err = s.opts.UserInfo(r.Context(), req); err != nil {
			return nil, failUserInfo.Withf("user info provider: %w", err)
		}
		if claims == nil {
			claims = map[string]any{}
		}
	}
	return claims, nil
}
