package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

const applicationColumns = `id, name, roles, min_protocol_version, allow_version_downgrade, revision`

func scanApplication(s scanner) (domain.Application, error) {
	var a domain.Application
	var roles string
	var minVersion sql.NullString
	if err := s.Scan(&a.ID, &a.Name, &roles, &minVersion, &a.AllowVersionDowngrade, &a.Revision); err != nil {
		return a, err
	}
	a.MinProtocolVersion = minVersion.String
	var err error
	a.Roles, err = fromJSONStrings(roles)
	return a, err
}

// GetApplication implements store.Reader.
func (c *conn) GetApplication(ctx context.Context, id int64) (domain.Application, error) {
	return getOne(ctx, c, "get application",
		`SELECT `+applicationColumns+` FROM pa_application WHERE id = $1`, scanApplication, id)
}

// GetApplicationForUpdate implements store.Tx.
func (c *conn) GetApplicationForUpdate(ctx context.Context, id int64) (domain.Application, error) {
	return getOne(ctx, c, "get application for update",
		`SELECT `+applicationColumns+` FROM pa_application WHERE id = $1`+c.d.ForUpdate, scanApplication, id)
}

// GetApplicationByName implements store.Reader.
func (c *conn) GetApplicationByName(ctx context.Context, name string) (domain.Application, error) {
	return getOne(ctx, c, "get application by name",
		`SELECT `+applicationColumns+` FROM pa_application WHERE name = $1`, scanApplication, name)
}

// ListApplications implements store.Reader.
func (c *conn) ListApplications(ctx context.Context) ([]domain.Application, error) {
	return list(ctx, c, "list applications",
		`SELECT `+applicationColumns+` FROM pa_application ORDER BY id`, scanApplication)
}

// CreateApplication implements store.Tx.
func (c *conn) CreateApplication(ctx context.Context, a *domain.Application) error {
	id, err := c.insertID(ctx, "create application",
		`INSERT INTO pa_application (name, roles, min_protocol_version, allow_version_downgrade)
		 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING id`,
		a.Name, jsonStrings(a.Roles), nullString(a.MinProtocolVersion), a.AllowVersionDowngrade)
	if err != nil {
		return err
	}
	a.ID = id
	return nil
}

// UpdateApplication implements store.Tx. It increments the revision and
// sets a.Revision to the new one.
func (c *conn) UpdateApplication(ctx context.Context, a *domain.Application) error {
	var rev int64
	err := c.queryRow(ctx,
		`UPDATE pa_application SET name = $2, roles = $3, min_protocol_version = $4, allow_version_downgrade = $5,
		 revision = revision + 1 WHERE id = $1 RETURNING revision`,
		a.ID, a.Name, jsonStrings(a.Roles), nullString(a.MinProtocolVersion), a.AllowVersionDowngrade).Scan(&rev)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("update application: %w", store.ErrNotFound)
	}
	if err != nil {
		return c.d.wrap("update application", err)
	}
	a.Revision = rev
	return nil
}

// bumpApplicationRevision increments the revision of an application whose
// versions or configuration change, in the transaction of the change.
func (c *conn) bumpApplicationRevision(ctx context.Context, applicationID int64) error {
	_, err := c.execN(ctx, "bump application revision",
		`UPDATE pa_application SET revision = revision + 1 WHERE id = $1`, applicationID)
	return err
}

// bumpVersionApplicationRevision increments the revision of the
// application of version id (when the version exists).
func (c *conn) bumpVersionApplicationRevision(ctx context.Context, versionID int64) error {
	_, err := c.execN(ctx, "bump application revision",
		`UPDATE pa_application SET revision = revision + 1
		 WHERE id = (SELECT application_id FROM pa_application_version WHERE id = $1)`, versionID)
	return err
}

// DeleteApplication implements store.Tx.
func (c *conn) DeleteApplication(ctx context.Context, id int64) error {
	return c.execOne(ctx, "delete application", `DELETE FROM pa_application WHERE id = $1`, id)
}

const applicationVersionColumns = `id, application_id, name, application_key, application_secret, supported`

func scanApplicationVersion(s scanner) (domain.ApplicationVersion, error) {
	var v domain.ApplicationVersion
	err := s.Scan(&v.ID, &v.ApplicationID, &v.Name, &v.ApplicationKey, &v.ApplicationSecret, &v.Supported)
	return v, err
}

// GetApplicationVersion implements store.Reader.
func (c *conn) GetApplicationVersion(ctx context.Context, id int64) (domain.ApplicationVersion, error) {
	return getOne(ctx, c, "get application version",
		`SELECT `+applicationVersionColumns+` FROM pa_application_version WHERE id = $1`,
		scanApplicationVersion, id)
}

// GetApplicationVersionByKey implements store.Reader.
func (c *conn) GetApplicationVersionByKey(ctx context.Context, applicationKey string) (domain.ApplicationVersion, error) {
	return getOne(ctx, c, "get application version by key",
		`SELECT `+applicationVersionColumns+` FROM pa_application_version WHERE application_key = $1`,
		scanApplicationVersion, applicationKey)
}

// ListApplicationVersions implements store.Reader.
func (c *conn) ListApplicationVersions(ctx context.Context, applicationID int64) ([]domain.ApplicationVersion, error) {
	return list(ctx, c, "list application versions",
		`SELECT `+applicationVersionColumns+` FROM pa_application_version WHERE application_id = $1 ORDER BY id`,
		scanApplicationVersion, applicationID)
}

// CreateApplicationVersion implements store.Tx.
func (c *conn) CreateApplicationVersion(ctx context.Context, v *domain.ApplicationVersion) error {
	id, err := c.insertID(ctx, "create application version",
		`INSERT INTO pa_application_version (application_id, name, application_key, application_secret, supported)
		 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING id`,
		v.ApplicationID, v.Name, v.ApplicationKey, v.ApplicationSecret, v.Supported)
	if err != nil {
		return err
	}
	v.ID = id
	return c.bumpApplicationRevision(ctx, v.ApplicationID)
}

// UpdateApplicationVersion implements store.Tx.
func (c *conn) UpdateApplicationVersion(ctx context.Context, v *domain.ApplicationVersion) error {
	// The old application (the version may move) and the new one.
	if err := c.bumpVersionApplicationRevision(ctx, v.ID); err != nil {
		return err
	}
	if err := c.bumpApplicationRevision(ctx, v.ApplicationID); err != nil {
		return err
	}
	return c.execOne(ctx, "update application version",
		`UPDATE pa_application_version
		 SET application_id = $2, name = $3, application_key = $4, application_secret = $5, supported = $6
		 WHERE id = $1`,
		v.ID, v.ApplicationID, v.Name, v.ApplicationKey, v.ApplicationSecret, v.Supported)
}

// DeleteApplicationVersion implements store.Tx.
func (c *conn) DeleteApplicationVersion(ctx context.Context, id int64) error {
	if err := c.bumpVersionApplicationRevision(ctx, id); err != nil {
		return err
	}
	return c.execOne(ctx, "delete application version", `DELETE FROM pa_application_version WHERE id = $1`, id)
}

const masterKeyPairColumns = `id, application_id, name, master_key_private, master_key_public, timestamp_created`

func scanMasterKeyPair(s scanner) (domain.MasterKeyPair, error) {
	var k domain.MasterKeyPair
	var priv, pub []byte
	var created int64
	if err := s.Scan(&k.ID, &k.ApplicationID, &k.Name, &priv, &pub, &created); err != nil {
		return k, err
	}
	k.PrivateKeyEncrypted, k.PublicKey, k.Created = fromBlob(priv), fromBlob(pub), fromMillis(created)
	return k, nil
}

// GetMasterKeyPair implements store.Reader.
func (c *conn) GetMasterKeyPair(ctx context.Context, id int64) (domain.MasterKeyPair, error) {
	return getOne(ctx, c, "get master key pair",
		`SELECT `+masterKeyPairColumns+` FROM pa_master_keypair WHERE id = $1`, scanMasterKeyPair, id)
}

// GetNewestMasterKeyPair implements store.Reader.
func (c *conn) GetNewestMasterKeyPair(ctx context.Context, applicationID int64) (domain.MasterKeyPair, error) {
	return getOne(ctx, c, "get newest master key pair",
		`SELECT `+masterKeyPairColumns+` FROM pa_master_keypair WHERE application_id = $1
		 ORDER BY timestamp_created DESC, id DESC LIMIT 1`, scanMasterKeyPair, applicationID)
}

// ListMasterKeyPairs implements store.Reader.
func (c *conn) ListMasterKeyPairs(ctx context.Context, applicationID int64) ([]domain.MasterKeyPair, error) {
	return list(ctx, c, "list master key pairs",
		`SELECT `+masterKeyPairColumns+` FROM pa_master_keypair WHERE application_id = $1
		 ORDER BY timestamp_created DESC, id DESC`, scanMasterKeyPair, applicationID)
}

// CreateMasterKeyPair implements store.Tx.
func (c *conn) CreateMasterKeyPair(ctx context.Context, k *domain.MasterKeyPair) error {
	id, err := c.insertID(ctx, "create master key pair",
		`INSERT INTO pa_master_keypair (application_id, name, master_key_private, master_key_public, timestamp_created)
		 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING id`,
		k.ApplicationID, k.Name, blob(k.PrivateKeyEncrypted), blob(k.PublicKey), millis(k.Created))
	if err != nil {
		return err
	}
	k.ID = id
	return nil
}

// DeleteMasterKeyPair implements store.Tx.
func (c *conn) DeleteMasterKeyPair(ctx context.Context, id int64) error {
	return c.execOne(ctx, "delete master key pair", `DELETE FROM pa_master_keypair WHERE id = $1`, id)
}

const applicationConfigColumns = `id, application_id, config_key, config_values`

func scanApplicationConfig(s scanner) (domain.ApplicationConfig, error) {
	var cfg domain.ApplicationConfig
	var values []byte
	if err := s.Scan(&cfg.ID, &cfg.ApplicationID, &cfg.Key, &values); err != nil {
		return cfg, err
	}
	cfg.Values = fromBlob(values)
	return cfg, nil
}

// GetApplicationConfig implements store.Reader.
func (c *conn) GetApplicationConfig(ctx context.Context, applicationID int64, key string) (domain.ApplicationConfig, error) {
	return getOne(ctx, c, "get application config",
		`SELECT `+applicationConfigColumns+` FROM pa_application_config WHERE application_id = $1 AND config_key = $2`,
		scanApplicationConfig, applicationID, key)
}

// ListApplicationConfigs implements store.Reader.
func (c *conn) ListApplicationConfigs(ctx context.Context, applicationID int64) ([]domain.ApplicationConfig, error) {
	return list(ctx, c, "list application configs",
		`SELECT `+applicationConfigColumns+` FROM pa_application_config WHERE application_id = $1 ORDER BY config_key`,
		scanApplicationConfig, applicationID)
}

// PutApplicationConfig implements store.Tx.
func (c *conn) PutApplicationConfig(ctx context.Context, cfg *domain.ApplicationConfig) error {
	var id int64
	err := c.queryRow(ctx,
		`INSERT INTO pa_application_config (application_id, config_key, config_values) VALUES ($1, $2, $3)
		 ON CONFLICT (application_id, config_key) DO UPDATE SET config_values = excluded.config_values
		 RETURNING id`,
		cfg.ApplicationID, cfg.Key, blob(cfg.Values)).Scan(&id)
	if err != nil {
		return c.d.wrap("put application config", err)
	}
	cfg.ID = id
	return c.bumpApplicationRevision(ctx, cfg.ApplicationID)
}

// DeleteApplicationConfig implements store.Tx.
func (c *conn) DeleteApplicationConfig(ctx context.Context, applicationID int64, key string) error {
	if err := c.bumpApplicationRevision(ctx, applicationID); err != nil {
		return err
	}
	return c.execOne(ctx, "delete application config",
		`DELETE FROM pa_application_config WHERE application_id = $1 AND config_key = $2`, applicationID, key)
}
