package sqlstore

import (
	"context"
	"database/sql"

	"github.com/mauth/mauth/internal/domain"
)

const pushDeviceColumns = `activation_id, application_id, user_id, platform, push_token, environment,
	timestamp_created, timestamp_last_registered`

func scanPushDevice(s scanner) (domain.PushDevice, error) {
	var (
		d                 domain.PushDevice
		env               sql.NullString
		created, lastRegd int64
	)
	if err := s.Scan(&d.ActivationID, &d.ApplicationID, &d.UserID, &d.Platform, &d.Token, &env, &created, &lastRegd); err != nil {
		return d, err
	}
	d.Environment = env.String
	d.Created, d.LastRegistered = fromMillis(created), fromMillis(lastRegd)
	return d, nil
}

// GetPushDevice implements store.Reader.
func (c *conn) GetPushDevice(ctx context.Context, activationID string) (domain.PushDevice, error) {
	return getOne(ctx, c, "get push device",
		`SELECT `+pushDeviceColumns+` FROM pa_push_device WHERE activation_id = $1`, scanPushDevice, activationID)
}

// ListPushDevices implements store.Reader.
func (c *conn) ListPushDevices(ctx context.Context, applicationID int64, userID string) ([]domain.PushDevice, error) {
	return list(ctx, c, "list push devices",
		`SELECT `+pushDeviceColumns+` FROM pa_push_device WHERE application_id = $1 AND user_id = $2
		 ORDER BY activation_id`, scanPushDevice, applicationID, userID)
}

// PutPushDevice implements store.Tx.
func (c *conn) PutPushDevice(ctx context.Context, d *domain.PushDevice) error {
	if _, err := c.execN(ctx, "put push device",
		`DELETE FROM pa_push_device WHERE application_id = $1 AND push_token = $2 AND activation_id <> $3`,
		d.ApplicationID, d.Token, d.ActivationID); err != nil {
		return err
	}
	return c.upsertPushDevice(ctx, "put push device", d)
}

// AddPushDevice implements store.Tx.
func (c *conn) AddPushDevice(ctx context.Context, d *domain.PushDevice) error {
	return c.upsertPushDevice(ctx, "add push device", d)
}

func (c *conn) upsertPushDevice(ctx context.Context, op string, d *domain.PushDevice) error {
	_, err := c.execN(ctx, op,
		`INSERT INTO pa_push_device (`+pushDeviceColumns+`) VALUES (`+placeholders(1, 8)+`)
		 ON CONFLICT (activation_id) DO UPDATE SET application_id = excluded.application_id,
		 user_id = excluded.user_id, platform = excluded.platform, push_token = excluded.push_token,
		 environment = excluded.environment, timestamp_last_registered = excluded.timestamp_last_registered`,
		d.ActivationID, d.ApplicationID, d.UserID, d.Platform, d.Token, nullString(d.Environment),
		millis(d.Created), millis(d.LastRegistered))
	return err
}

// DeletePushDevice implements store.Tx.
func (c *conn) DeletePushDevice(ctx context.Context, activationID string) error {
	return c.execOne(ctx, "delete push device", `DELETE FROM pa_push_device WHERE activation_id = $1`, activationID)
}
