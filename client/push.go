package client

import (
	"context"

	"github.com/mauth/mauth/wire"
)

// Push registration paths and resource id.
const (
	pushRegisterPath      = wire.PushRegisterPath
	pushRegisterTokenPath = wire.PushRegisterTokenPath
	uriPushRegister       = wire.PushRegisterResource
)

// PushRegistration is the device's push token (one definition in package wire).
type PushRegistration = wire.PushRegistration

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
