package sqlstore

import (
	"context"

	"github.com/mauth/mauth/internal/domain"
)

const cloudUserColumns = `username, password_hash, role, enabled, timestamp_created`

func scanCloudUser(s scanner) (domain.CloudUser, error) {
	var (
		u       domain.CloudUser
		role    string
		enabled int64
		created int64
	)
	if err := s.Scan(&u.Username, &u.PasswordHash, &role, &enabled, &created); err != nil {
		return u, err
	}
	u.Role, u.Enabled, u.Created = domain.CloudRole(role), enabled != 0, fromMillis(created)
	return u, nil
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// GetCloudUser implements store.Reader.
func (c *conn) GetCloudUser(ctx context.Context, username string) (domain.CloudUser, error) {
	return getOne(ctx, c, "get cloud user",
		`SELECT `+cloudUserColumns+` FROM pa_cloud_user WHERE username = $1`, scanCloudUser, username)
}

// ListCloudUsers implements store.Reader.
func (c *conn) ListCloudUsers(ctx context.Context) ([]domain.CloudUser, error) {
	return list(ctx, c, "list cloud users",
		`SELECT `+cloudUserColumns+` FROM pa_cloud_user ORDER BY username`, scanCloudUser)
}

// ListCloudUserApplications implements store.Reader.
func (c *conn) ListCloudUserApplications(ctx context.Context, username string) ([]int64, error) {
	return list(ctx, c, "list cloud user applications",
		`SELECT application_id FROM pa_cloud_user_application WHERE username = $1 ORDER BY application_id`,
		func(s scanner) (int64, error) {
			var id int64
			err := s.Scan(&id)
			return id, err
		}, username)
}

// CreateCloudUser implements store.Tx.
func (c *conn) CreateCloudUser(ctx context.Context, u *domain.CloudUser) error {
	return c.insertOne(ctx, "create cloud user",
		`INSERT INTO pa_cloud_user (`+cloudUserColumns+`) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
		u.Username, u.PasswordHash, string(u.Role), boolInt(u.Enabled), millis(u.Created))
}

// UpdateCloudUser implements store.Tx.
func (c *conn) UpdateCloudUser(ctx context.Context, u *domain.CloudUser) error {
	return c.execOne(ctx, "update cloud user",
		`UPDATE pa_cloud_user SET password_hash = $2, role = $3, enabled = $4 WHERE username = $1`,
		u.Username, u.PasswordHash, string(u.Role), boolInt(u.Enabled))
}

// DeleteCloudUser implements store.Tx.
func (c *conn) DeleteCloudUser(ctx context.Context, username string) error {
	return c.execOne(ctx, "delete cloud user", `DELETE FROM pa_cloud_user WHERE username = $1`, username)
}

// GrantCloudUserApplication implements store.Tx.
func (c *conn) GrantCloudUserApplication(ctx context.Context, username string, applicationID int64) error {
	_, err := c.execN(ctx, "grant cloud user application",
		`INSERT INTO pa_cloud_user_application (username, application_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
		username, applicationID)
	return err
}

// RevokeCloudUserApplication implements store.Tx.
func (c *conn) RevokeCloudUserApplication(ctx context.Context, username string, applicationID int64) error {
	return c.execOne(ctx, "revoke cloud user application",
		`DELETE FROM pa_cloud_user_application WHERE username = $1 AND application_id = $2`, username, applicationID)
}

const cloudLocalizationColumns = `template_name, language, title, summary`

func scanCloudLocalization(s scanner) (domain.CloudLocalization, error) {
	var l domain.CloudLocalization
	err := s.Scan(&l.TemplateName, &l.Language, &l.Title, &l.Summary)
	return l, err
}

// GetCloudLocalization implements store.Reader.
func (c *conn) GetCloudLocalization(ctx context.Context, templateName, language string) (domain.CloudLocalization, error) {
	return getOne(ctx, c, "get cloud localization",
		`SELECT `+cloudLocalizationColumns+` FROM pa_cloud_localization WHERE template_name = $1 AND language = $2`,
		scanCloudLocalization, templateName, language)
}

// ListCloudLocalizations implements store.Reader.
func (c *conn) ListCloudLocalizations(ctx context.Context, templateName string) ([]domain.CloudLocalization, error) {
	return list(ctx, c, "list cloud localizations",
		`SELECT `+cloudLocalizationColumns+` FROM pa_cloud_localization WHERE template_name = $1 ORDER BY language`,
		scanCloudLocalization, templateName)
}

// PutCloudLocalization implements store.Tx.
func (c *conn) PutCloudLocalization(ctx context.Context, l *domain.CloudLocalization) error {
	_, err := c.execN(ctx, "put cloud localization",
		`INSERT INTO pa_cloud_localization (`+cloudLocalizationColumns+`) VALUES ($1, $2, $3, $4)
		 ON CONFLICT (template_name, language) DO UPDATE SET title = excluded.title, summary = excluded.summary`,
		l.TemplateName, l.Language, l.Title, l.Summary)
	return err
}

// DeleteCloudLocalization implements store.Tx.
func (c *conn) DeleteCloudLocalization(ctx context.Context, templateName, language string) error {
	return c.execOne(ctx, "delete cloud localization",
		`DELETE FROM pa_cloud_localization WHERE template_name = $1 AND language = $2`, templateName, language)
}

const cloudSigningKeyColumns = `id, private_key_encrypted, timestamp_created`

func scanCloudSigningKey(s scanner) (domain.CloudSigningKey, error) {
	var (
		k       domain.CloudSigningKey
		priv    []byte
		created int64
	)
	if err := s.Scan(&k.ID, &priv, &created); err != nil {
		return k, err
	}
	k.PrivateKeyEncrypted, k.Created = fromBlob(priv), fromMillis(created)
	return k, nil
}

// GetCloudSigningKey implements store.Reader.
func (c *conn) GetCloudSigningKey(ctx context.Context, id string) (domain.CloudSigningKey, error) {
	return getOne(ctx, c, "get cloud signing key",
		`SELECT `+cloudSigningKeyColumns+` FROM pa_cloud_signing_key WHERE id = $1`, scanCloudSigningKey, id)
}

// GetNewestCloudSigningKey implements store.Reader.
func (c *conn) GetNewestCloudSigningKey(ctx context.Context) (domain.CloudSigningKey, error) {
	return getOne(ctx, c, "get newest cloud signing key",
		`SELECT `+cloudSigningKeyColumns+` FROM pa_cloud_signing_key ORDER BY timestamp_created DESC, id DESC LIMIT 1`,
		scanCloudSigningKey)
}

// CreateCloudSigningKey implements store.Tx.
func (c *conn) CreateCloudSigningKey(ctx context.Context, k *domain.CloudSigningKey) error {
	return c.insertOne(ctx, "create cloud signing key",
		`INSERT INTO pa_cloud_signing_key (`+cloudSigningKeyColumns+`) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
		k.ID, blob(k.PrivateKeyEncrypted), millis(k.Created))
}
