package store

import (
	"context"
	"time"

	"github.com/mauth/mauth/internal/domain"
)

// MobileUtilReader holds the lookups of the mobile utility services
// (internal/mobileutil): apps, pinned certificates, version rules, texts.
type MobileUtilReader interface {
	// GetMobileApp returns the app with the unique name.
	GetMobileApp(ctx context.Context, name string) (domain.MobileApp, error)
	// ListMobileApps returns every app ordered by name.
	ListMobileApps(ctx context.Context) ([]domain.MobileApp, error)
	// ListMobileDomains returns the domains of an app ordered by name.
	ListMobileDomains(ctx context.Context, appID int64) ([]domain.MobileDomain, error)
	// ListMobileCertificates returns the certificates of an app's domains
	// ordered by domain, expiry and id.
	ListMobileCertificates(ctx context.Context, appID int64) ([]domain.MobileCertificate, error)
	// GetMobileVersionRule returns a version rule of an app.
	GetMobileVersionRule(ctx context.Context, appID, id int64) (domain.MobileVersionRule, error)
	// ListMobileVersionRules returns the version rules of an app ordered by id.
	ListMobileVersionRules(ctx context.Context, appID int64) ([]domain.MobileVersionRule, error)
	// GetLocalizedText returns a text in a language.
	GetLocalizedText(ctx context.Context, key, language string) (domain.LocalizedText, error)
	// ListLocalizedTexts returns every text ordered by key and language.
	ListLocalizedTexts(ctx context.Context) ([]domain.LocalizedText, error)
}

// MobileUtilWriter holds the writes of the mobile utility services.
type MobileUtilWriter interface {
	// CreateMobileApp stores a new app and sets a.ID; ErrAlreadyExists
	// when the name is taken.
	CreateMobileApp(ctx context.Context, a *domain.MobileApp) error
	// EnsureMobileDomain returns the id of an app's domain, creating it
	// when it does not exist.
	EnsureMobileDomain(ctx context.Context, appID int64, domain string) (int64, error)
	// DeleteMobileDomain deletes an app's domain with its certificates.
	DeleteMobileDomain(ctx context.Context, appID int64, domain string) error
	// CreateMobileCertificate stores a certificate of c.DomainID and sets
	// c.ID; ErrAlreadyExists when the domain has the fingerprint already.
	CreateMobileCertificate(ctx context.Context, c *domain.MobileCertificate) error
	// DeleteMobileCertificate deletes the certificate with the fingerprint
	// from an app's domain.
	DeleteMobileCertificate(ctx context.Context, appID int64, domain, fingerprint string) error
	// DeleteExpiredMobileCertificates deletes the certificates that
	// expired before now and returns how many.
	DeleteExpiredMobileCertificates(ctx context.Context, now time.Time) (int64, error)
	// CreateMobileVersionRule stores a version rule and sets r.ID;
	// ErrAlreadyExists when the app has a rule for the platform and major
	// OS version (or the generic one) already.
	CreateMobileVersionRule(ctx context.Context, r *domain.MobileVersionRule) error
	// DeleteMobileVersionRule deletes a version rule of an app.
	DeleteMobileVersionRule(ctx context.Context, appID, id int64) error
	// PutLocalizedText creates or replaces a text.
	PutLocalizedText(ctx context.Context, t domain.LocalizedText) error
	// DeleteLocalizedText deletes a text in a language.
	DeleteLocalizedText(ctx context.Context, key, language string) error
}
