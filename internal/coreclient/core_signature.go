package coreclient

import (
	"context"
	"fmt"

	"github.com/mauth/mauth/internal/restv3"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/protocol"
)

// signatureTypeOf parses an optional upper-case signature type of an answer.
func signatureTypeOf(method string, s *string) (protocol.SignatureType, error) {
	if s == nil || *s == "" {
		return "", nil
	}
	t, err := service.ParseSignatureTypeName(*s)
	if err != nil {
		return "", fmt.Errorf("coreclient: %s: unknown signature type %q", method, *s)
	}
	return t, nil
}

// VerifySignature verifies an online signature (signature/verify).
// AdditionalInfo is not part of the private API and is not sent.
func (c *Client) VerifySignature(ctx context.Context, in service.VerifySignatureInput) (service.VerifySignatureResult, error) {
	const m = "signature/verify"
	req := restv3.SignatureVerifyRequest{
		ActivationID:     in.ActivationID,
		ApplicationKey:   in.ApplicationKey,
		Data:             in.Data,
		Signature:        in.Signature,
		SignatureType:    service.SignatureTypeName(in.SignatureType),
		SignatureVersion: in.SignatureVersion,
	}
	if in.ForcedSignatureVersion == 3 {
		forced := int64(3)
		req.ForcedSignatureVersion = &forced
	}
	var out restv3.SignatureVerifyResponse
	if err := c.call(ctx, m, req, &out); err != nil {
		return service.VerifySignatureResult{}, err
	}
	st, err := signatureTypeOf(m, out.SignatureType)
	if err != nil {
		return service.VerifySignatureResult{}, err
	}
	return service.VerifySignatureResult{
		SignatureValid:    out.SignatureValid,
		ActivationID:      out.ActivationID,
		ActivationStatus:  out.ActivationStatus,
		BlockedReason:     strOf(out.BlockedReason),
		UserID:            strOf(out.UserID),
		ApplicationID:     strOf(out.ApplicationID),
		SignatureType:     st,
		RemainingAttempts: out.RemainingAttempts,
		ApplicationRoles:  nilIfEmpty(out.ApplicationRoles),
		ActivationFlags:   nilIfEmpty(out.ActivationFlags),
	}, nil
}

// UnlockVault releases the vault key after a signature (vault/unlock).
func (c *Client) UnlockVault(ctx context.Context, in service.VaultUnlockInput) (service.VaultUnlockResult, error) {
	req := restv3.VaultUnlockRequest{
		ActivationID: in.ActivationID, ApplicationKey: in.ApplicationKey, SignedData: in.SignedData, Signature: in.Signature,
		SignatureType: service.SignatureTypeName(in.SignatureType), SignatureVersion: in.SignatureVersion, EciesRequest: eciesInOf(in.Request),
	}
	var out restv3.VaultUnlockResponse
	if err := c.call(ctx, "vault/unlock", req, &out); err != nil {
		return service.VaultUnlockResult{}, err
	}
	return service.VaultUnlockResult{SignatureValid: out.SignatureValid, Response: eciesResponse(out.EciesResponse)}, nil
}
