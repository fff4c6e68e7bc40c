package coreclient

import (
	"context"
	"fmt"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/service"
)

// CreateToken issues a MAC token (token/create); the answer is the
// encrypted {tokenId, tokenSecret} for the device.
func (c *Client) CreateToken(ctx context.Context, in service.CreateTokenInput) (*service.EciesResponse, error) {
	const m = "token/create"
	req := struct {
		ActivationID   string `json:"activationId"`
		ApplicationKey string `json:"applicationKey"`
		SignatureType  string `json:"signatureType"`
		eciesIn
	}{in.ActivationID, in.ApplicationKey, service.SignatureTypeName(in.SignatureType), eciesInOf(in.Request)}
	var out eciesOut
	if err := c.call(ctx, m, req, &out); err != nil {
		return nil, err
	}
	return requireEciesResponse(out, m)
}

// ValidateToken checks a MAC token digest (token/validate).
func (c *Client) ValidateToken(ctx context.Context, in service.ValidateTokenInput) (service.ValidateTokenResult, error) {
	const m = "token/validate"
	req := struct {
		TokenID         string `json:"tokenId"`
		TokenDigest     string `json:"tokenDigest"`
		Nonce           string `json:"nonce"`
		Timestamp       int64  `json:"timestamp"`
		ProtocolVersion string `json:"protocolVersion"`
	}{in.TokenID, in.TokenDigest, in.Nonce, in.Timestamp, in.ProtocolVersion}
	var out struct {
		TokenValid       bool     `json:"tokenValid"`
		ActivationStatus *string  `json:"activationStatus"`
		BlockedReason    *string  `json:"blockedReason"`
		ActivationID     *string  `json:"activationId"`
		ApplicationID    *string  `json:"applicationId"`
		ApplicationRoles []string `json:"applicationRoles"`
		ActivationFlags  []string `json:"activationFlags"`
		UserID           *string  `json:"userId"`
		SignatureType    *string  `json:"signatureType"`
	}
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
	req := struct {
		TokenID      string `json:"tokenId"`
		ActivationID string `json:"activationId"`
	}{tokenID, activationID}
	var out struct {
		Removed bool `json:"removed"`
	}
	if err := c.call(ctx, "token/remove", req, &out); err != nil {
		return false, err
	}
	return out.Removed, nil
}
