package client

import (
	"context"

	"github.com/mauth/mauth/wire"
)

// UserDevice is one of the user's devices (one definition in package wire).
type UserDevice = wire.Device

// ListDevices lists the user's devices in the application, the calling
// one marked Current (MAC token).
func (c *Client) ListDevices(ctx context.Context, t *Token) ([]UserDevice, error) {
	raw, err := c.tokenPost(ctx, t, wire.DeviceListPath, "", struct{}{})
	if err != nil {
		return nil, err
	}
	var out wire.DeviceList
	if err := decodeResponseObject(raw, &out); err != nil {
		return nil, err
	}
	return out.Devices, nil
}

// BlockDevice blocks another device of the user, signed by d with two
// factors (possession and knowledge or biometry).
func (c *Client) BlockDevice(ctx context.Context, d *Device, f Factors, activationID string) error {
	raw, err := c.signedJSON(ctx, d, f, wire.DeviceBlockPath, wire.DeviceBlockResource, "", wire.DeviceAction{ActivationID: activationID})
	if err != nil {
		return err
	}
	return decodeResponseObject(raw, nil)
}

// RemoveDevice removes another device of the user, signed by d with two
// factors (possession and knowledge or biometry).
func (c *Client) RemoveDevice(ctx context.Context, d *Device, f Factors, activationID string) error {
	raw, err := c.signedJSON(ctx, d, f, wire.DeviceRemovePath, wire.DeviceRemoveResource, "", wire.DeviceAction{ActivationID: activationID})
	if err != nil {
		return err
	}
	return decodeResponseObject(raw, nil)
}

// Activity is one event of the user's activity (one definition in package wire).
type Activity = wire.Activity

// ListActivity returns a page of the user's activity in the application,
// newest first (MAC token): size 0 for the default page length, before ""
// for the newest page or the previous page's next value. next is "" on
// the last page.
func (c *Client) ListActivity(ctx context.Context, t *Token, size int, before string) (items []Activity, next string, err error) {
	raw, err := c.tokenPost(ctx, t, wire.DeviceActivityPath, "", wire.ActivityRequest{Size: size, Before: before})
	if err != nil {
		return nil, "", err
	}
	var out wire.ActivityPage
	if err := decodeResponseObject(raw, &out); err != nil {
		return nil, "", err
	}
	return out.Activities, out.NextBefore, nil
}
