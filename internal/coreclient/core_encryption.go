package coreclient

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/mauth/mauth/internal/restv3"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/protocol"
)

// EciesDecryptor returns the envelope secrets of an ECIES request
// (ecies/decryptor). Treat them as keys: never log them.
func (c *Client) EciesDecryptor(ctx context.Context, in service.EciesDecryptorInput) (protocol.EciesSecrets, error) {
	const m = "ecies/decryptor"
	req := restv3.EciesDecryptorRequest{
		ActivationID: in.ActivationID, ApplicationKey: in.ApplicationKey, EphemeralPublicKey: in.EphemeralPublicKey,
		Nonce: in.Nonce, Timestamp: in.Timestamp, ProtocolVersion: in.ProtocolVersion, TemporaryKeyID: in.TemporaryKeyID,
	}
	var out restv3.EciesDecryptorResponse
	if err := c.call(ctx, m, req, &out); err != nil {
		return protocol.EciesSecrets{}, err
	}
	key, err := base64.StdEncoding.DecodeString(out.SecretKey)
	if err != nil || len(key) != protocol.EciesEnvelopeKeySize {
		return protocol.EciesSecrets{}, fmt.Errorf("coreclient: %s: invalid secretKey in the core's answer", m)
	}
	sh2, err := base64.StdEncoding.DecodeString(out.SharedInfo2)
	if err != nil || len(sh2) == 0 {
		return protocol.EciesSecrets{}, fmt.Errorf("coreclient: %s: invalid sharedInfo2 in the core's answer", m)
	}
	return protocol.EciesSecrets{EnvelopeKey: key, SharedInfo2Base: sh2}, nil
}

// StartUpgrade starts moving a version 2 activation to version 3 (upgrade/start).
func (c *Client) StartUpgrade(ctx context.Context, in service.StartUpgradeInput) (*service.EciesResponse, error) {
	const m = "upgrade/start"
	req := restv3.UpgradeStartRequest{ActivationID: in.ActivationID, ApplicationKey: in.ApplicationKey, EciesRequest: eciesInOf(in.Request)}
	var out eciesOut
	if err := c.call(ctx, m, req, &out); err != nil {
		return nil, err
	}
	return requireEciesResponse(out, m)
}

// CommitUpgrade finishes the upgrade (upgrade/commit).
func (c *Client) CommitUpgrade(ctx context.Context, activationID, applicationKey string) (bool, error) {
	req := restv3.UpgradeCommitRequest{ActivationID: activationID, ApplicationKey: applicationKey}
	var out struct {
		Committed bool `json:"committed"`
	}
	if err := c.call(ctx, "upgrade/commit", req, &out); err != nil {
		return false, err
	}
	return out.Committed, nil
}

// ConfirmRecoveryCode confirms a postcard recovery code (recovery/confirm).
func (c *Client) ConfirmRecoveryCode(ctx context.Context, in service.ConfirmRecoveryCodeInput) (*service.ConfirmRecoveryCodeResult, error) {
	const m = "recovery/confirm"
	req := restv3.RecoveryConfirmRequest{ActivationID: in.ActivationID, ApplicationKey: in.ApplicationKey, EciesRequest: eciesInOf(in.Request)}
	var out restv3.RecoveryConfirmResponse
	if err := c.call(ctx, m, req, &out); err != nil {
		return nil, err
	}
	resp, err := requireEciesResponse(eciesOut{EncryptedData: &out.EncryptedData, Mac: &out.Mac, Nonce: out.Nonce, Timestamp: out.Timestamp}, m)
	if err != nil {
		return nil, err
	}
	return &service.ConfirmRecoveryCodeResult{ActivationID: out.ActivationID, UserID: out.UserID, Response: resp}, nil
}

// CreateTemporaryKey issues a 3.3 temporary encryption key
// (keystore/create). The key ID and expiry are read from the claims of the
// answer's JWT; the device verifies its signature, the enrollment layer
// trusts the authenticated core.
func (c *Client) CreateTemporaryKey(ctx context.Context, jwt string) (service.TemporaryKey, error) {
	const m = "keystore/create"
	req := struct {
		JWT string `json:"jwt"`
	}{jwt}
	var out struct {
		JWT string `json:"jwt"`
	}
	if err := c.call(ctx, m, req, &out); err != nil {
		return service.TemporaryKey{}, err
	}
	id, exp, err := temporaryKeyClaims(out.JWT)
	if err != nil {
		return service.TemporaryKey{}, fmt.Errorf("coreclient: %s: %w", m, err)
	}
	return service.TemporaryKey{JWT: out.JWT, ID: id, ExpiresAt: exp}, nil
}

// temporaryKeyClaims reads sub and exp_ms (or exp) of a response JWT
// without verifying it.
func temporaryKeyClaims(jwt string) (string, time.Time, error) {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return "", time.Time{}, fmt.Errorf("the answer is not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", time.Time{}, fmt.Errorf("the JWT payload is not Base64URL")
	}
	var claims struct {
		Sub   string `json:"sub"`
		Exp   int64  `json:"exp"`
		ExpMS int64  `json:"exp_ms"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return "", time.Time{}, fmt.Errorf("the JWT payload is not a JSON object")
	}
	if claims.Sub == "" {
		return "", time.Time{}, fmt.Errorf("the JWT has no subject")
	}
	switch {
	case claims.ExpMS > 0:
		return claims.Sub, time.UnixMilli(claims.ExpMS).UTC(), nil
	case claims.Exp > 0:
		return claims.Sub, time.Unix(claims.Exp, 0).UTC(), nil
	}
	return "", time.Time{}, fmt.Errorf("the JWT has no expiry")
}
