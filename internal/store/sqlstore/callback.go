package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/mauth/mauth/internal/domain"
)

const callbackColumns = `id, application_id, name, callback_url, type, attributes, authentication,
	max_attempts, initial_backoff_ms, retention_period_ms, enabled, timestamp_created, timestamp_last_updated`

func scanCallbackURL(s scanner) (domain.CallbackURL, error) {
	var (
		cb                                  domain.CallbackURL
		typ, attrs                          string
		auth                                []byte
		maxAttempts, backoff, retention, lu sql.NullInt64
		created                             int64
	)
	err := s.Scan(&cb.ID, &cb.ApplicationID, &cb.Name, &cb.URL, &typ, &attrs, &auth,
		&maxAttempts, &backoff, &retention, &cb.Enabled, &created, &lu)
	if err != nil {
		return cb, err
	}
	cb.Type, cb.Authentication = domain.CallbackType(typ), fromBlob(auth)
	cb.MaxAttempts = maxAttempts.Int64
	cb.InitialBackoff = time.Duration(backoff.Int64) * time.Millisecond
	cb.RetentionPeriod = time.Duration(retention.Int64) * time.Millisecond
	cb.Created, cb.LastUpdated = fromMillis(created), fromNullMillis(lu)
	cb.Attributes, err = fromJSONStrings(attrs)
	return cb, err
}

// callbackArgs returns the column values of callbackColumns for cb.
func callbackArgs(cb *domain.CallbackURL) []any {
	return []any{
		cb.ID, cb.ApplicationID, cb.Name, cb.URL, string(cb.Type), jsonStrings(cb.Attributes), blob(cb.Authentication),
		nullInt(cb.MaxAttempts), nullInt(cb.InitialBackoff.Milliseconds()), nullInt(cb.RetentionPeriod.Milliseconds()),
		cb.Enabled, millis(cb.Created), nullMillis(cb.LastUpdated),
	}
}

// GetCallbackURL implements store.Reader.
func (c *conn) GetCallbackURL(ctx context.Context, id string) (domain.CallbackURL, error) {
	return getOne(ctx, c, "get callback",
		`SELECT `+callbackColumns+` FROM pa_application_callback WHERE id = $1`, scanCallbackURL, id)
}

// ListCallbackURLs implements store.Reader.
func (c *conn) ListCallbackURLs(ctx context.Context, applicationID int64) ([]domain.CallbackURL, error) {
	return list(ctx, c, "list callbacks",
		`SELECT `+callbackColumns+` FROM pa_application_callback WHERE application_id = $1
		 ORDER BY timestamp_created, id`, scanCallbackURL, applicationID)
}

// CreateCallbackURL implements store.Tx.
func (c *conn) CreateCallbackURL(ctx context.Context, cb *domain.CallbackURL) error {
	return c.insertOne(ctx, "create callback",
		`INSERT INTO pa_application_callback (`+callbackColumns+`) VALUES (`+placeholders(1, 13)+`)
		 ON CONFLICT DO NOTHING`, callbackArgs(cb)...)
}

// UpdateCallbackURL implements store.Tx.
func (c *conn) UpdateCallbackURL(ctx context.Context, cb *domain.CallbackURL) error {
	return c.execOne(ctx, "update callback",
		`UPDATE pa_application_callback SET application_id = $2, name = $3, callback_url = $4, type = $5,
		 attributes = $6, authentication = $7, max_attempts = $8, initial_backoff_ms = $9,
		 retention_period_ms = $10, enabled = $11, timestamp_created = $12, timestamp_last_updated = $13
		 WHERE id = $1`, callbackArgs(cb)...)
}

// DeleteCallbackURL implements store.Tx.
func (c *conn) DeleteCallbackURL(ctx context.Context, id string) error {
	return c.execOne(ctx, "delete callback", `DELETE FROM pa_application_callback WHERE id = $1`, id)
}
