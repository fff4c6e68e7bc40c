package coreclient

import (
	"context"
	"fmt"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/restv3"
	"github.com/mauth/mauth/internal/service"
)

// CreateToken issues a MAC token (token/create); the answer is the
// encrypted {tokenId, tokenSecret} for the device.
func (c *Client) CreateToken(ctx context.Context, in service.CreateTokenInput) (*service.EciesResponse, error) {
	const m = "token/create"
	req := restv3.TokenCreateRequest{ActivationID: in.ActivationID, ApplicationKey: in.ApplicationKey, SignatureType: service.SignatureTypeName(in.SignatureType), EciesRequest: eciesInOf(in.Request)}
	var out eciesOut
	if err := c.call(ctx, m, req, &out); err != nil {
		return nil, err
	}
	return requireEciesResponse(out, m)
}

// ValidateToken checks a MAC token digest (token/validate).
func (c *Client) ValidateToken(ctx context.Context, in service.ValidateTokenInput) (service.ValidateTokenResult, error) {
	const m = "token/validate"
	ts := in.Timestamp
	req := restv3.TokenValidateRequest{TokenID: in.TokenID, TokenDigest: in.TokenDigest, Nonce: in.Nonce, Timestamp: &ts, ProtocolVersion: in.ProtocolVersion}
	var out restv3.TokenValidateResponse
	if err := c.call(ctx, m, req, &out); err != nil {
		return service.ValidateTokenResult{}, err
	}
	res := service.ValidateTokenResult{
		TokenValid:       out.TokenValid,
		ActivationID:     strOf(out.ActivationID),
		BlockedReason:    strOf(out.BlockedReason),
		UserID:           strOf(out.UserID),
		ApplicationID:    strOf(out.ApplicationID),
		ApplicationRoles: nilIfEmpty(out.ApplicationRoles),
		ActivationFlags:  nilIfEmpty(out.ActivationFlags),
	}
	if out.ActivationStatus != nil {
		st, err := domain.ParseActivationStatus(*out.ActivationStatus)
		if err != nil {
			return service.ValidateTokenResult{}, fmt.Errorf("coreclient: %s: %w", m, err)
		}
		res.ActivationStatus = st
	}
	st, err := signatureTypeOf(m, out.SignatureType)
	if err != nil {
		return service.ValidateTokenResult{}, err
	}
	res.SignatureType = st
	return res, nil
}

// RemoveToken removes a token of an activation (token/remove) and reports
// whether it existed.
func (c *Client) RemoveToken(ctx context.Context, tokenID, activationID string) (bool, error) {
	req := restv3.TokenRemoveRequest{TokenID: tokenID, ActivationID: activationID}
	var out struct {
		Removed bool `json:"removed"`
	}
	if err := c.call(ctx, "token/remove", req, &out); err != nil {
		return false, err
	}
	return out.Removed, nil
}
