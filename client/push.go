package client

import (
	"context"
)

// Push registration paths and resource id.
const (
	pushRegisterPath      = "/api/push/device/register"
	pushRegisterTokenPath = "/api/push/device/register/token"
	uriPushRegister       = "/push/device/register"
)

// PushRegistration is the device's push token.
type PushRegistration struct {
	// Platform is apns, fcm or hms.
	Platform string `json:"platform"`
	// Token is the push token of the platform.
	Token string `json:"token"`
	// Environment is the APNs environment (development or production).
	Environment string `json:"environment,omitempty"`
}

// RegisterPush registers the push token with a MAC token.
func (c *Client) RegisterPush(ctx context.Context, t *Token, reg PushRegistration) error {
	raw, err := c.tokenPost(ctx, t, pushRegisterTokenPath, "", reg)
	if err != nil {
		return err
	}
	return decodeResponseObject(raw, nil)
}

// RegisterPushSigned registers the push token with a signature of the factors.
func (c *Client) RegisterPushSigned(ctx context.Context, d *Device, f Factors, reg PushRegistration) error {
	raw, err := c.signedJSON(ctx, d, f, pushRegisterPath, uriPushRegister, "", reg)
	if err != nil {
		return err
	}
	return decodeResponseObject(raw, nil)
}
