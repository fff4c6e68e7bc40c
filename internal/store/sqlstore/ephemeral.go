package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/mauth/mauth/internal/domain"
)

const temporaryKeyColumns = `id, application_key, activation_id, private_key, public_key, timestamp_expires`

func scanTemporaryKey(s scanner) (domain.TemporaryKey, error) {
	var (
		k            domain.TemporaryKey
		activationID sql.NullString
		priv, pub    []byte
		expires      int64
	)
	if err := s.Scan(&k.ID, &k.ApplicationKey, &activationID, &priv, &pub, &expires); err != nil {
		return k, err
	}
	k.ActivationID, k.PrivateKeyEncrypted, k.PublicKey = activationID.String, fromBlob(priv), fromBlob(pub)
	k.Expires = fromMillis(expires)
	return k, nil
}

// GetTemporaryKey implements store.Reader.
func (c *conn) GetTemporaryKey(ctx context.Context, id string) (domain.TemporaryKey, error) {
	return getOne(ctx, c, "get temporary key",
		`SELECT `+temporaryKeyColumns+` FROM pa_temporary_key WHERE id = $1`, scanTemporaryKey, id)
}

// CreateTemporaryKey implements store.Tx.
func (c *conn) CreateTemporaryKey(ctx context.Context, k *domain.TemporaryKey) error {
	return c.insertOne(ctx, "create temporary key",
		`INSERT INTO pa_temporary_key (`+temporaryKeyColumns+`) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
		k.ID, k.ApplicationKey, nullString(k.ActivationID), blob(k.PrivateKeyEncrypted), blob(k.PublicKey), millis(k.Expires))
}

// DeleteTemporaryKey implements store.Tx.
func (c *conn) DeleteTemporaryKey(ctx context.Context, id string) error {
	return c.execOne(ctx, "delete temporary key", `DELETE FROM pa_temporary_key WHERE id = $1`, id)
}

// DeleteExpiredTemporaryKeys implements store.Tx.
func (c *conn) DeleteExpiredTemporaryKeys(ctx context.Context, now time.Time) (int64, error) {
	return c.execN(ctx, "delete expired temporary keys",
		`DELETE FROM pa_temporary_key WHERE timestamp_expires <= $1`, millis(now))
}

// InsertUniqueValue implements store.Tx.
func (c *conn) InsertUniqueValue(ctx context.Context, v domain.UniqueValue) error {
	return c.insertOne(ctx, "insert unique value",
		`INSERT INTO pa_unique_value (type, unique_value, timestamp_expires) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
		int64(v.Type), v.Value, millis(v.Expires))
}

// DeleteExpiredUniqueValues implements store.Tx.
func (c *conn) DeleteExpiredUniqueValues(ctx context.Context, now time.Time) (int64, error) {
	return c.execN(ctx, "delete expired unique values",
		`DELETE FROM pa_unique_value WHERE timestamp_expires <= $1`, millis(now))
}
