package sqlstore

import (
	"context"
	"fmt"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

const testApplicationColumns = `application_id, application_name, application_key, application_secret,
	master_public_key, timestamp_created, timestamp_updated`

func scanTestApplication(s scanner) (domain.TestApplication, error) {
	var (
		a                domain.TestApplication
		created, updated int64
	)
	if err := s.Scan(&a.ApplicationID, &a.Name, &a.ApplicationKey, &a.ApplicationSecret, &a.MasterPublicKey, &created, &updated); err != nil {
		return a, err
	}
	a.Created, a.Updated = fromMillis(created), fromMillis(updated)
	return a, nil
}

const testDeviceColumns = `activation_id, application_id, sealed_state, revision, timestamp_created, timestamp_updated`

func scanTestDevice(s scanner) (domain.TestDevice, error) {
	var (
		d                domain.TestDevice
		state            []byte
		created, updated int64
	)
	if err := s.Scan(&d.ActivationID, &d.ApplicationID, &state, &d.Revision, &created, &updated); err != nil {
		return d, err
	}
	d.SealedState = fromBlob(state)
	d.Created, d.Updated = fromMillis(created), fromMillis(updated)
	return d, nil
}

// GetTestApplication implements store.Reader.
func (c *conn) GetTestApplication(ctx context.Context, applicationID string) (domain.TestApplication, error) {
	return getOne(ctx, c, "get test application",
		`SELECT `+testApplicationColumns+` FROM pa_test_config WHERE application_id = $1`, scanTestApplication, applicationID)
}

// GetTestDevice implements store.Reader.
func (c *conn) GetTestDevice(ctx context.Context, activationID string) (domain.TestDevice, error) {
	return getOne(ctx, c, "get test device",
		`SELECT `+testDeviceColumns+` FROM pa_test_device WHERE activation_id = $1`, scanTestDevice, activationID)
}

// PutTestApplication implements store.Tx.
func (c *conn) PutTestApplication(ctx context.Context, a *domain.TestApplication) error {
	var created int64
	err := c.queryRow(ctx,
		`INSERT INTO pa_test_config (`+testApplicationColumns+`) VALUES (`+placeholders(1, 7)+`)
		 ON CONFLICT (application_id) DO UPDATE SET application_name = excluded.application_name,
		 application_key = excluded.application_key, application_secret = excluded.application_secret,
		 master_public_key = excluded.master_public_key, timestamp_updated = excluded.timestamp_updated
		 RETURNING timestamp_created`,
		a.ApplicationID, a.Name, a.ApplicationKey, a.ApplicationSecret, a.MasterPublicKey,
		millis(a.Created), millis(a.Updated)).Scan(&created)
	if err != nil {
		return c.d.wrap("put test application", err)
	}
	a.Created = fromMillis(created)
	return nil
}

// CreateTestDevice implements store.Tx.
func (c *conn) CreateTestDevice(ctx context.Context, d *domain.TestDevice) error {
	if err := c.insertOne(ctx, "create test device",
		`INSERT INTO pa_test_device (`+testDeviceColumns+`) VALUES (`+placeholders(1, 6)+`)
		 ON CONFLICT (activation_id) DO NOTHING`,
		d.ActivationID, d.ApplicationID, d.SealedState, int64(1), millis(d.Created), millis(d.Updated)); err != nil {
		return err
	}
	d.Revision = 1
	return nil
}

// SwapTestDevice implements store.Tx.
func (c *conn) SwapTestDevice(ctx context.Context, d *domain.TestDevice) error {
	n, err := c.execN(ctx, "swap test device",
		`UPDATE pa_test_device SET sealed_state = $1, timestamp_updated = $2, revision = revision + 1
		 WHERE activation_id = $3 AND revision = $4`,
		d.SealedState, millis(d.Updated), d.ActivationID, d.Revision)
	if err != nil {
		return err
	}
	if n == 0 {
		if _, err := c.GetTestDevice(ctx, d.ActivationID); err != nil {
			return err
		}
		return fmt.Errorf("swap test device: %w", store.ErrConflict)
	}
	d.Revision++
	return nil
}
