package client

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/mauth/mauth/protocol"
)

// UnlockVault asks the server for the vault key (a possession_knowledge
// signature, or possession_biometry where the server allows it) and
// returns the device private key it unlocks.
func (c *Client) UnlockVault(ctx context.Context, d *Device, f Factors, reason string) (*protocol.PrivateKey, error) {
	body, err := json.Marshal(map[string]string{"reason": reason})
	if err != nil {
		return nil, fmt.Errorf("client: encode request: %w", err)
	}
	pt, err := c.signedEncrypted(ctx, d, f, "/pa/v3/vault/unlock", "/pa/vault/unlock", protocol.SharedInfo1VaultUnlock, body)
	if err != nil {
		return nil, err
	}
	var out struct {
		EncryptedVaultEncryptionKey string `json:"encryptedVaultEncryptionKey"`
	}
	if err := json.Unmarshal(pt, &out); err != nil {
		return nil, fmt.Errorf("client: decode vault response: %w", err)
	}
	wrapped, err := base64.StdEncoding.DecodeString(out.EncryptedVaultEncryptionKey)
	if err != nil || len(wrapped) == 0 {
		return nil, ErrNoVaultKey
	}
	vaultKey, err := protocol.UnwrapVaultKey(d.TransportKey, wrapped)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	priv, err := protocol.DecryptDevicePrivateKey(vaultKey, d.EncryptedDevicePrivateKey)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	return priv, nil
}

// SignWithDeviceKey unlocks the vault and signs data with the device
// private key (ECDSA DER), as the SDK's signWithDevicePrivateKey does.
func (c *Client) SignWithDeviceKey(ctx context.Context, d *Device, f Factors, data []byte) ([]byte, error) {
	priv, err := c.UnlockVault(ctx, d, f, "SIGN_WITH_DEVICE_PRIVATE_KEY")
	if err != nil {
		return nil, err
	}
	return priv.SignDER(data)
}

// ConfirmRecoveryCode confirms a recovery code received on a postcard.
func (c *Client) ConfirmRecoveryCode(ctx context.Context, d *Device, f Factors, recoveryCode string) (alreadyConfirmed bool, err error) {
	body, err := json.Marshal(map[string]string{"recoveryCode": recoveryCode})
	if err != nil {
		return false, fmt.Errorf("client: encode request: %w", err)
	}
	pt, err := c.signedEncrypted(ctx, d, f, "/pa/v3/recovery/confirm", "/pa/recovery/confirm", protocol.SharedInfo1RecoveryConfirm, body)
	if err != nil {
		return false, err
	}
	var out struct {
		AlreadyConfirmed bool `json:"alreadyConfirmed"`
	}
	if err := json.Unmarshal(pt, &out); err != nil {
		return false, fmt.Errorf("client: decode recovery response: %w", err)
	}
	return out.AlreadyConfirmed, nil
}
