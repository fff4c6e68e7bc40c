package client

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/mauth/mauth/protocol"
)

// ActivationOptions describe the device to the server.
type ActivationOptions struct {
	// Name is the user-visible device name.
	Name string
	// Platform is ios, android, hw or unknown (default unknown).
	Platform string
	// DeviceInfo describes the device model.
	DeviceInfo string
	// Extras is free text stored with the activation.
	Extras string
	// OTP is the activation OTP when the bank issued one (validated on key exchange).
	OTP string
	// CustomAttributes are passed to the server's activation customisation.
	CustomAttributes map[string]any
}

// ActivationResult is a created activation. The device state is complete:
// the caller chose the PIN that protects the knowledge key.
type ActivationResult struct {
	Device *Device
	// CustomAttributes and UserInfo are what the server returned in layer 1.
	CustomAttributes map[string]any
	UserInfo         map[string]any
}

// ActivateWithCode activates with an activation code, or a scanned QR
// string "CODE#signature" whose signature is verified with the master key.
func (c *Client) ActivateWithCode(ctx context.Context, codeOrQR, pin string, opts ActivationOptions) (*ActivationResult, error) {
	code, _, err := protocol.ParseActivationQRString(codeOrQR, c.master)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	return c.activate(ctx, "CODE", map[string]any{"code": code}, pin, opts)
}

// ActivateWithCredentials activates with custom credentials (for example a
// legacy login and password) that the server maps to a user.
func (c *Client) ActivateWithCredentials(ctx context.Context, credentials map[string]string, pin string, opts ActivationOptions) (*ActivationResult, error) {
	attrs := make(map[string]any, len(credentials))
	for k, v := range credentials {
		attrs[k] = v
	}
	return c.activate(ctx, "CUSTOM", attrs, pin, opts)
}

// ActivateWithRecoveryCode activates with a recovery code and PUK; the
// server removes the activation the code belonged to.
func (c *Client) ActivateWithRecoveryCode(ctx context.Context, recoveryCode, puk, pin string, opts ActivationOptions) (*ActivationResult, error) {
	code, err := protocol.ParseRecoveryQRString(recoveryCode)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	p, err := protocol.NormalizePUK(puk)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	return c.activate(ctx, "RECOVERY", map[string]any{"recoveryCode": code, "puk": p}, pin, opts)
}

type layer2Request struct {
	DevicePublicKey string `json:"devicePublicKey"`
	ActivationName  string `json:"activationName,omitempty"`
	ActivationOtp   string `json:"activationOtp,omitempty"`
	Platform        string `json:"platform"`
	DeviceInfo      string `json:"deviceInfo,omitempty"`
	Extras          string `json:"extras,omitempty"`
}

type layer1Request struct {
	Type               string                     `json:"type"`
	IdentityAttributes map[string]any             `json:"identityAttributes"`
	CustomAttributes   map[string]any             `json:"customAttributes,omitempty"`
	ActivationData     *protocol.EncryptedRequest `json:"activationData"`
}

type layer1Response struct {
	ActivationData   json.RawMessage `json:"activationData"`
	CustomAttributes map[string]any  `json:"customAttributes"`
	UserInfo         map[string]any  `json:"userInfo"`
}

type layer2Response struct {
	ActivationID       string `json:"activationId"`
	ServerPublicKey    string `json:"serverPublicKey"`
	CtrData            string `json:"ctrData"`
	ActivationRecovery *struct {
		RecoveryCode string `json:"recoveryCode"`
		PUK          string `json:"puk"`
	} `json:"activationRecovery"`
}

// activate runs /pa/v3/activation/create with the two nested ECIES layers.
func (c *Client) activate(ctx context.Context, typ string, identity map[string]any, pin string, opts ActivationOptions) (*ActivationResult, error) {
	devicePriv, err := protocol.GenerateKeyPair()
	if err != nil {
		return nil, err
	}
	devicePub := devicePriv.Public().Compressed()
	platform := opts.Platform
	if platform == "" {
		platform = "unknown"
	}
	l2plain, err := json.Marshal(layer2Request{
		DevicePublicKey: base64.StdEncoding.EncodeToString(devicePub),
		ActivationName:  opts.Name,
		ActivationOtp:   opts.OTP,
		Platform:        platform,
		DeviceInfo:      opts.DeviceInfo,
		Extras:          opts.Extras,
	})
	if err != nil {
		return nil, fmt.Errorf("client: encode activation: %w", err)
	}
	l2req, l2env, err := c.encrypt(ctx, nil, protocol.SharedInfo1ActivationLayer2, l2plain)
	if err != nil {
		return nil, err
	}
	l1plain, err := json.Marshal(layer1Request{Type: typ, IdentityAttributes: identity, CustomAttributes: opts.CustomAttributes, ActivationData: l2req})
	if err != nil {
		return nil, fmt.Errorf("client: encode activation: %w", err)
	}
	l1req, l1env, err := c.encrypt(ctx, nil, protocol.SharedInfo1GenericApplication, l1plain)
	if err != nil {
		return nil, err
	}
	body, err := l1req.Marshal()
	if err != nil {
		return nil, fmt.Errorf("client: encode activation: %w", err)
	}
	raw, err := c.do(ctx, request{path: "/pa/v3/activation/create", body: body, headers: map[string]string{protocol.HeaderEncryption: c.encryptionHeader(nil)}})
	if err != nil {
		return nil, err
	}
	l1resp, err := c.decrypt(l1env, raw)
	if err != nil {
		return nil, err
	}
	var r1 layer1Response
	if err := json.Unmarshal(l1resp, &r1); err != nil {
		return nil, fmt.Errorf("client: decode activation response: %w", err)
	}
	l2resp, err := c.decrypt(l2env, r1.ActivationData)
	if err != nil {
		return nil, err
	}
	var r2 layer2Response
	if err := json.Unmarshal(l2resp, &r2); err != nil {
		return nil, fmt.Errorf("client: decode activation response: %w", err)
	}
	serverPubRaw, err := base64.StdEncoding.DecodeString(r2.ServerPublicKey)
	if err != nil {
		return nil, fmt.Errorf("client: server public key: %w", err)
	}
	serverPub, err := protocol.ParsePublicKey(serverPubRaw)
	if err != nil {
		return nil, fmt.Errorf("client: server public key: %w", err)
	}
	ctr, err := base64.StdEncoding.DecodeString(r2.CtrData)
	if err != nil || len(ctr) != protocol.CtrDataSize {
		return nil, fmt.Errorf("client: invalid ctrData in activation response")
	}
	d, err := newDevice(r2.ActivationID, devicePriv, devicePub, serverPub, ctr, pin)
	if err != nil {
		return nil, err
	}
	if r2.ActivationRecovery != nil {
		d.RecoveryCode, d.RecoveryPUK = r2.ActivationRecovery.RecoveryCode, r2.ActivationRecovery.PUK
	}
	return &ActivationResult{Device: d, CustomAttributes: r1.CustomAttributes, UserInfo: r1.UserInfo}, nil
}
