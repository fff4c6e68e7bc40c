package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/mauth/mauth/internal/domain"
)

const mobileAppColumns = `id, name, display_name, sign_private_key, sign_public_key, timestamp_created`

func scanMobileApp(s scanner) (domain.MobileApp, error) {
	var (
		a       domain.MobileApp
		priv    []byte
		pub     []byte
		created int64
	)
	if err := s.Scan(&a.ID, &a.Name, &a.DisplayName, &priv, &pub, &created); err != nil {
		return a, err
	}
	a.SignPrivateKeyEncrypted, a.SignPublicKey = fromBlob(priv), fromBlob(pub)
	a.Created = fromMillis(created)
	return a, nil
}

// GetMobileApp implements store.Reader.
func (c *conn) GetMobileApp(ctx context.Context, name string) (domain.MobileApp, error) {
	return getOne(ctx, c, "get mobile app",
		`SELECT `+mobileAppColumns+` FROM pa_mu_app WHERE name = $1`, scanMobileApp, name)
}

// ListMobileApps implements store.Reader.
func (c *conn) ListMobileApps(ctx context.Context) ([]domain.MobileApp, error) {
	return list(ctx, c, "list mobile apps", `SELECT `+mobileAppColumns+` FROM pa_mu_app ORDER BY name`, scanMobileApp)
}

// CreateMobileApp implements store.Tx.
func (c *conn) CreateMobileApp(ctx context.Context, a *domain.MobileApp) error {
	id, err := c.insertID(ctx, "create mobile app",
		`INSERT INTO pa_mu_app (name, display_name, sign_private_key, sign_public_key, timestamp_created)
		 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING id`,
		a.Name, a.DisplayName, a.SignPrivateKeyEncrypted, a.SignPublicKey, millis(a.Created))
	if err != nil {
		return err
	}
	a.ID = id
	return nil
}

func scanMobileDomain(s scanner) (domain.MobileDomain, error) {
	var d domain.MobileDomain
	err := s.Scan(&d.ID, &d.AppID, &d.Domain)
	return d, err
}

// ListMobileDomains implements store.Reader.
func (c *conn) ListMobileDomains(ctx context.Context, appID int64) ([]domain.MobileDomain, error) {
	return list(ctx, c, "list mobile domains",
		`SELECT id, app_id, domain FROM pa_mu_domain WHERE app_id = $1 ORDER BY domain`, scanMobileDomain, appID)
}

// EnsureMobileDomain implements store.Tx.
func (c *conn) EnsureMobileDomain(ctx context.Context, appID int64, name string) (int64, error) {
	if _, err := c.execN(ctx, "ensure mobile domain",
		`INSERT INTO pa_mu_domain (app_id, domain) VALUES ($1, $2) ON CONFLICT DO NOTHING`, appID, name); err != nil {
		return 0, err
	}
	d, err := getOne(ctx, c, "ensure mobile domain",
		`SELECT id, app_id, domain FROM pa_mu_domain WHERE app_id = $1 AND domain = $2`, scanMobileDomain, appID, name)
	return d.ID, err
}

// DeleteMobileDomain implements store.Tx.
func (c *conn) DeleteMobileDomain(ctx context.Context, appID int64, name string) error {
	if _, err := c.execN(ctx, "delete mobile domain",
		`DELETE FROM pa_mu_certificate WHERE domain_id IN (SELECT id FROM pa_mu_domain WHERE app_id = $1 AND domain = $2)`,
		appID, name); err != nil {
		return err
	}
	return c.execOne(ctx, "delete mobile domain", `DELETE FROM pa_mu_domain WHERE app_id = $1 AND domain = $2`, appID, name)
}

func scanMobileCertificate(s scanner) (domain.MobileCertificate, error) {
	var (
		m                domain.MobileCertificate
		expires, created int64
	)
	if err := s.Scan(&m.ID, &m.DomainID, &m.Domain, &m.PEM, &m.Fingerprint, &expires, &created); err != nil {
		return m, err
	}
	m.Expires, m.Created = fromMillis(expires), fromMillis(created)
	return m, nil
}

// ListMobileCertificates implements store.Reader.
func (c *conn) ListMobileCertificates(ctx context.Context, appID int64) ([]domain.MobileCertificate, error) {
	return list(ctx, c, "list mobile certificates",
		`SELECT c.id, c.domain_id, d.domain, c.pem, c.fingerprint, c.expires, c.timestamp_created
		 FROM pa_mu_certificate c JOIN pa_mu_domain d ON d.id = c.domain_id
		 WHERE d.app_id = $1 ORDER BY d.domain, c.expires, c.id`, scanMobileCertificate, appID)
}

// CreateMobileCertificate implements store.Tx.
func (c *conn) CreateMobileCertificate(ctx context.Context, m *domain.MobileCertificate) error {
	id, err := c.insertID(ctx, "create mobile certificate",
		`INSERT INTO pa_mu_certificate (domain_id, pem, fingerprint, expires, timestamp_created)
		 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING id`,
		m.DomainID, m.PEM, m.Fingerprint, millis(m.Expires), millis(m.Created))
	if err != nil {
		return err
	}
	m.ID = id
	return nil
}

// DeleteMobileCertificate implements store.Tx.
func (c *conn) DeleteMobileCertificate(ctx context.Context, appID int64, name, fingerprint string) error {
	return c.execOne(ctx, "delete mobile certificate",
		`DELETE FROM pa_mu_certificate WHERE fingerprint = $3
		 AND domain_id IN (SELECT id FROM pa_mu_domain WHERE app_id = $1 AND domain = $2)`, appID, name, fingerprint)
}

// DeleteExpiredMobileCertificates implements store.Tx.
func (c *conn) DeleteExpiredMobileCertificates(ctx context.Context, now time.Time) (int64, error) {
	return c.execN(ctx, "delete expired mobile certificates",
		`DELETE FROM pa_mu_certificate WHERE expires < $1`, millis(now))
}

const mobileVersionRuleColumns = `id, app_id, platform, major_os_version, suggested_version, required_version, message_key`

func scanMobileVersionRule(s scanner) (domain.MobileVersionRule, error) {
	var (
		r     domain.MobileVersionRule
		major sql.NullInt64
	)
	if err := s.Scan(&r.ID, &r.AppID, &r.Platform, &major, &r.SuggestedVersion, &r.RequiredVersion, &r.MessageKey); err != nil {
		return r, err
	}
	if major.Valid {
		v := int(major.Int64)
		r.MajorOSVersion = &v
	}
	return r, nil
}

// GetMobileVersionRule implements store.Reader.
func (c *conn) GetMobileVersionRule(ctx context.Context, appID, id int64) (domain.MobileVersionRule, error) {
	return getOne(ctx, c, "get mobile version rule",
		`SELECT `+mobileVersionRuleColumns+` FROM pa_mu_version_rule WHERE app_id = $1 AND id = $2`, scanMobileVersionRule, appID, id)
}

// ListMobileVersionRules implements store.Reader.
func (c *conn) ListMobileVersionRules(ctx context.Context, appID int64) ([]domain.MobileVersionRule, error) {
	return list(ctx, c, "list mobile version rules",
		`SELECT `+mobileVersionRuleColumns+` FROM pa_mu_version_rule WHERE app_id = $1 ORDER BY id`, scanMobileVersionRule, appID)
}

// CreateMobileVersionRule implements store.Tx.
func (c *conn) CreateMobileVersionRule(ctx context.Context, r *domain.MobileVersionRule) error {
	var major sql.NullInt64
	if r.MajorOSVersion != nil {
		major = sql.NullInt64{Int64: int64(*r.MajorOSVersion), Valid: true}
	}
	id, err := c.insertID(ctx, "create mobile version rule",
		`INSERT INTO pa_mu_version_rule (app_id, platform, major_os_version, suggested_version, required_version, message_key)
		 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING id`,
		r.AppID, r.Platform, major, r.SuggestedVersion, r.RequiredVersion, r.MessageKey)
	if err != nil {
		return err
	}
	r.ID = id
	return nil
}

// DeleteMobileVersionRule implements store.Tx.
func (c *conn) DeleteMobileVersionRule(ctx context.Context, appID, id int64) error {
	return c.execOne(ctx, "delete mobile version rule",
		`DELETE FROM pa_mu_version_rule WHERE app_id = $1 AND id = $2`, appID, id)
}

func scanLocalizedText(s scanner) (domain.LocalizedText, error) {
	var t domain.LocalizedText
	err := s.Scan(&t.Key, &t.Language, &t.Text)
	return t, err
}

// GetLocalizedText implements store.Reader.
func (c *conn) GetLocalizedText(ctx context.Context, key, language string) (domain.LocalizedText, error) {
	return getOne(ctx, c, "get localized text",
		`SELECT message_key, language, text FROM pa_mu_localized_text WHERE message_key = $1 AND language = $2`,
		scanLocalizedText, key, language)
}

// ListLocalizedTexts implements store.Reader.
func (c *conn) ListLocalizedTexts(ctx context.Context) ([]domain.LocalizedText, error) {
	return list(ctx, c, "list localized texts",
		`SELECT message_key, language, text FROM pa_mu_localized_text ORDER BY message_key, language`, scanLocalizedText)
}

// PutLocalizedText implements store.Tx.
func (c *conn) PutLocalizedText(ctx context.Context, t domain.LocalizedText) error {
	_, err := c.execN(ctx, "put localized text",
		`INSERT INTO pa_mu_localized_text (message_key, language, text) VALUES ($1, $2, $3)
		 ON CONFLICT (message_key, language) DO UPDATE SET text = excluded.text`, t.Key, t.Language, t.Text)
	return err
}

// DeleteLocalizedText implements store.Tx.
func (c *conn) DeleteLocalizedText(ctx context.Context, key, language string) error {
	return c.execOne(ctx, "delete localized text",
		`DELETE FROM pa_mu_localized_text WHERE message_key = $1 AND language = $2`, key, language)
}
