package private

import (
	"context"

	"github.com/mauth/mauth/internal/api/render"
	"github.com/mauth/mauth/internal/restv3"
	"github.com/mauth/mauth/internal/service"
)

type createTokenRequest = restv3.TokenCreateRequest

type validateTokenRequest = restv3.TokenValidateRequest

type validateTokenResponse = restv3.TokenValidateResponse

type removeTokenRequest = restv3.TokenRemoveRequest

type removeTokenResponse struct {
	Removed bool `json:"removed"`
}

// nullableTokenField returns a pointer to s, or nil for "".
func nullableTokenField(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// registerTokenRoutes registers MAC token creation, validation and removal.
func (s *Server) registerTokenRoutes() {
	method(s, "token/create", func(ctx context.Context, r *createTokenRequest) (any, error) {
		var v render.Validator
		v.Check(r.ActivationID != "", "activationId", "must not be blank")
		v.Check(r.ApplicationKey != "", "applicationKey", "must not be blank")
		st, err := service.ParseSignatureTypeName(r.SignatureType)
		v.Check(err == nil, "signatureType", "must be a signature type")
		checkECIES(&v, r.EciesRequest)
		if err := v.Err(); err != nil {
			return nil, err
		}
		resp, err := s.svc.CreateToken(ctx, service.CreateTokenInput{
			ActivationID: r.ActivationID, ApplicationKey: r.ApplicationKey, SignatureType: st, Request: eciesRequestOf(r.EciesRequest),
		})
		if err != nil {
			return nil, err
		}
		return eciesResponseOf(resp), nil
	})

	method(s, "token/validate", func(ctx context.Context, r *validateTokenRequest) (any, error) {
		var v render.Validator
		v.Check(r.TokenID != "", "tokenId", "must not be blank")
		v.Check(r.TokenDigest != "", "tokenDigest", "must not be blank")
		v.Check(r.Nonce != "", "nonce", "must not be blank")
		v.Check(r.ProtocolVersion != "", "protocolVersion", "must not be blank")
		v.Check(r.Timestamp != nil, "timestamp", "must not be null")
		v.Check(r.Timestamp == nil || *r.Timestamp > 0, "timestamp", "must be greater than 0")
		if err := v.Err(); err != nil {
			return nil, err
		}
		res, err := s.svc.ValidateToken(ctx, service.ValidateTokenInput{
			TokenID: r.TokenID, TokenDigest: r.TokenDigest, Nonce: r.Nonce, Timestamp: *r.Timestamp, ProtocolVersion: r.ProtocolVersion,
		})
		if err != nil {
			return nil, err
		}
		out := validateTokenResponse{
			TokenValid:       res.TokenValid,
			BlockedReason:    nullableTokenField(res.BlockedReason),
			ActivationID:     nullableTokenField(res.ActivationID),
			ApplicationID:    nullableTokenField(res.ApplicationID),
			ApplicationRoles: append([]string{}, res.ApplicationRoles...),
			ActivationFlags:  append([]string{}, res.ActivationFlags...),
			UserID:           nullableTokenField(res.UserID),
			SignatureType:    nullableTokenField(service.SignatureTypeName(res.SignatureType)),
		}
		if res.ActivationStatus != 0 {
			out.ActivationStatus = nullableTokenField(res.ActivationStatus.String())
		}
		return out, nil
	})

	method(s, "token/remove", func(ctx context.Context, r *removeTokenRequest) (any, error) {
		var v render.Validator
		v.Check(r.TokenID != "", "tokenId", "must not be blank")
		v.Check(r.ActivationID != "", "activationId", "must not be blank")
		if err := v.Err(); err != nil {
			return nil, err
		}
		removed, err := s.svc.RemoveToken(ctx, r.TokenID, r.ActivationID)
		if err != nil {
			return nil, err
		}
		return removeTokenResponse{Removed: removed}, nil
	})
}
