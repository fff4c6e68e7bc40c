package sqlstore

import (
	"context"
	"database/sql"
	"strings"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

const recoveryCodeColumns = `id, recovery_code, application_id, user_id, activation_id, status,
	failed_attempts, max_failed_attempts, timestamp_created, timestamp_last_used, timestamp_last_change`

func scanRecoveryCode(s scanner) (domain.RecoveryCode, error) {
	var (
		rc                 domain.RecoveryCode
		activationID       sql.NullString
		status, created    int64
		lastUsed, lastChng sql.NullInt64
	)
	err := s.Scan(&rc.ID, &rc.Code, &rc.ApplicationID, &rc.UserID, &activationID, &status,
		&rc.FailedAttempts, &rc.MaxFailedAttempts, &created, &lastUsed, &lastChng)
	if err != nil {
		return rc, err
	}
	rc.ActivationID, rc.Status = activationID.String, domain.RecoveryCodeStatus(status)
	rc.Created, rc.LastUsed, rc.LastChange = fromMillis(created), fromNullMillis(lastUsed), fromNullMillis(lastChng)
	return rc, nil
}

// GetRecoveryCode implements store.Reader.
func (c *conn) GetRecoveryCode(ctx context.Context, id int64) (domain.RecoveryCode, error) {
	return getOne(ctx, c, "get recovery code",
		`SELECT `+recoveryCodeColumns+` FROM pa_recovery_code WHERE id = $1`, scanRecoveryCode, id)
}

// GetRecoveryCodeForUpdate implements store.Tx.
func (c *conn) GetRecoveryCodeForUpdate(ctx context.Context, id int64) (domain.RecoveryCode, error) {
	return getOne(ctx, c, "get recovery code for update",
		`SELECT `+recoveryCodeColumns+` FROM pa_recovery_code WHERE id = $1`+c.d.ForUpdate, scanRecoveryCode, id)
}

// ListRecoveryCodes implements store.Reader.
func (c *conn) ListRecoveryCodes(ctx context.Context, f store.RecoveryCodeFilter) ([]domain.RecoveryCode, error) {
	var a args
	var where []string
	if f.ApplicationID != 0 {
		where = append(where, `application_id = `+a.add(f.ApplicationID))
	}
	if f.Code != "" {
		where = append(where, `recovery_code = `+a.add(f.Code))
	}
	if f.UserID != "" {
		where = append(where, `user_id = `+a.add(f.UserID))
	}
	if f.ActivationID != "" {
		where = append(where, `activation_id = `+a.add(f.ActivationID))
	}
	if len(f.Statuses) > 0 {
		where = append(where, `status IN `+in(&a, f.Statuses, func(s domain.RecoveryCodeStatus) any { return int64(s) }))
	}
	q := `SELECT ` + recoveryCodeColumns + ` FROM pa_recovery_code`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	return listDynamic(ctx, c, "list recovery codes", q+` ORDER BY id`, scanRecoveryCode, a...)
}

// recoveryCodeArgs returns the values of recoveryCodeColumns after id.
func recoveryCodeArgs(rc *domain.RecoveryCode) []any {
	return []any{
		rc.Code, rc.ApplicationID, rc.UserID, nullString(rc.ActivationID), int64(rc.Status),
		rc.FailedAttempts, rc.MaxFailedAttempts, millis(rc.Created), nullMillis(rc.LastUsed), nullMillis(rc.LastChange),
	}
}

// CreateRecoveryCode implements store.Tx.
func (c *conn) CreateRecoveryCode(ctx context.Context, rc *domain.RecoveryCode) error {
	id, err := c.insertID(ctx, "create recovery code",
		`INSERT INTO pa_recovery_code (recovery_code, application_id, user_id, activation_id, status,
		 failed_attempts, max_failed_attempts, timestamp_created, timestamp_last_used, timestamp_last_change)
		 VALUES (`+placeholders(1, 10)+`) ON CONFLICT DO NOTHING RETURNING id`, recoveryCodeArgs(rc)...)
	if err != nil {
		return err
	}
	rc.ID = id
	return nil
}

// UpdateRecoveryCode implements store.Tx.
func (c *conn) UpdateRecoveryCode(ctx context.Context, rc *domain.RecoveryCode) error {
	return c.execOne(ctx, "update recovery code",
		`UPDATE pa_recovery_code SET recovery_code = $2, application_id = $3, user_id = $4, activation_id = $5,
		 status = $6, failed_attempts = $7, max_failed_attempts = $8, timestamp_created = $9,
		 timestamp_last_used = $10, timestamp_last_change = $11 WHERE id = $1`,
		append([]any{rc.ID}, recoveryCodeArgs(rc)...)...)
}

// DeleteRecoveryCode implements store.Tx.
func (c *conn) DeleteRecoveryCode(ctx context.Context, id int64) error {
	return c.execOne(ctx, "delete recovery code", `DELETE FROM pa_recovery_code WHERE id = $1`, id)
}

const recoveryPUKColumns = `id, recovery_code_id, puk, puk_index, status, timestamp_last_change`

func scanRecoveryPUK(s scanner) (domain.RecoveryPUK, error) {
	var (
		p      domain.RecoveryPUK
		puk    []byte
		status int64
		lc     sql.NullInt64
	)
	if err := s.Scan(&p.ID, &p.RecoveryCodeID, &puk, &p.Index, &status, &lc); err != nil {
		return p, err
	}
	p.PUK, p.Status, p.LastChange = fromBlob(puk), domain.RecoveryPukStatus(status), fromNullMillis(lc)
	return p, nil
}

// GetRecoveryPUK implements store.Reader.
func (c *conn) GetRecoveryPUK(ctx context.Context, recoveryCodeID, index int64) (domain.RecoveryPUK, error) {
	return getOne(ctx, c, "get recovery PUK",
		`SELECT `+recoveryPUKColumns+` FROM pa_recovery_puk WHERE recovery_code_id = $1 AND puk_index = $2`,
		scanRecoveryPUK, recoveryCodeID, index)
}

// ListRecoveryPUKs implements store.Reader.
func (c *conn) ListRecoveryPUKs(ctx context.Context, recoveryCodeID int64) ([]domain.RecoveryPUK, error) {
	return list(ctx, c, "list recovery PUKs",
		`SELECT `+recoveryPUKColumns+` FROM pa_recovery_puk WHERE recovery_code_id = $1 ORDER BY puk_index`,
		scanRecoveryPUK, recoveryCodeID)
}

// CreateRecoveryPUK implements store.Tx.
func (c *conn) CreateRecoveryPUK(ctx context.Context, p *domain.RecoveryPUK) error {
	id, err := c.insertID(ctx, "create recovery PUK",
		`INSERT INTO pa_recovery_puk (recovery_code_id, puk, puk_index, status, timestamp_last_change)
		 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING id`,
		p.RecoveryCodeID, blob(p.PUK), p.Index, int64(p.Status), nullMillis(p.LastChange))
	if err != nil {
		return err
	}
	p.ID = id
	return nil
}

// UpdateRecoveryPUK implements store.Tx.
func (c *conn) UpdateRecoveryPUK(ctx context.Context, p *domain.RecoveryPUK) error {
	return c.execOne(ctx, "update recovery PUK",
		`UPDATE pa_recovery_puk SET puk = $2, status = $3, timestamp_last_change = $4 WHERE id = $1`,
		p.ID, blob(p.PUK), int64(p.Status), nullMillis(p.LastChange))
}

const recoveryConfigColumns = `id, application_id, activation_recovery_enabled, recovery_postcard_enabled,
	allow_multiple_recovery_codes, postcard_private_key, postcard_public_key, remote_public_key`

func scanRecoveryConfig(s scanner) (domain.RecoveryConfig, error) {
	var rc domain.RecoveryConfig
	var priv, pub, remote []byte
	err := s.Scan(&rc.ID, &rc.ApplicationID, &rc.ActivationRecoveryEnabled, &rc.RecoveryPostcardEnabled,
		&rc.AllowMultipleRecoveryCodes, &priv, &pub, &remote)
	if err != nil {
		return rc, err
	}
	rc.PostcardPrivateKeyEncrypted, rc.PostcardPublicKey, rc.RemotePostcardPublicKey = fromBlob(priv), fromBlob(pub), fromBlob(remote)
	return rc, nil
}

// GetRecoveryConfig implements store.Reader.
func (c *conn) GetRecoveryConfig(ctx context.Context, applicationID int64) (domain.RecoveryConfig, error) {
	return getOne(ctx, c, "get recovery config",
		`SELECT `+recoveryConfigColumns+` FROM pa_recovery_config WHERE application_id = $1`,
		scanRecoveryConfig, applicationID)
}

// recoveryConfigArgs returns the values of recoveryConfigColumns after id.
func recoveryConfigArgs(rc *domain.RecoveryConfig) []any {
	return []any{
		rc.ApplicationID, rc.ActivationRecoveryEnabled, rc.RecoveryPostcardEnabled, rc.AllowMultipleRecoveryCodes,
		blob(rc.PostcardPrivateKeyEncrypted), blob(rc.PostcardPublicKey), blob(rc.RemotePostcardPublicKey),
	}
}

// CreateRecoveryConfig implements store.Tx.
func (c *conn) CreateRecoveryConfig(ctx context.Context, rc *domain.RecoveryConfig) error {
	id, err := c.insertID(ctx, "create recovery config",
		`INSERT INTO pa_recovery_config (application_id, activation_recovery_enabled, recovery_postcard_enabled,
		 allow_multiple_recovery_codes, postcard_private_key, postcard_public_key, remote_public_key)
		 VALUES (`+placeholders(1, 7)+`) ON CONFLICT DO NOTHING RETURNING id`, recoveryConfigArgs(rc)...)
	if err != nil {
		return err
	}
	rc.ID = id
	return nil
}

// UpdateRecoveryConfig implements store.Tx.
func (c *conn) UpdateRecoveryConfig(ctx context.Context, rc *domain.RecoveryConfig) error {
	return c.execOne(ctx, "update recovery config",
		`UPDATE pa_recovery_config SET application_id = $2, activation_recovery_enabled = $3,
		 recovery_postcard_enabled = $4, allow_multiple_recovery_codes = $5, postcard_private_key = $6,
		 postcard_public_key = $7, remote_public_key = $8 WHERE id = $1`,
		append([]any{rc.ID}, recoveryConfigArgs(rc)...)...)
}

// DeleteRecoveryConfig implements store.Tx.
func (c *conn) DeleteRecoveryConfig(ctx context.Context, applicationID int64) error {
	return c.execOne(ctx, "delete recovery config",
		`DELETE FROM pa_recovery_config WHERE application_id = $1`, applicationID)
}
