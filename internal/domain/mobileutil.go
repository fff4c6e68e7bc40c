package domain

import "time"

// Mobile utility services: the applications of dynamic TLS pinning and
// version policy (internal/mobileutil).

// MobileApp is an application of the mobile utility services, with the
// ECDSA P-256 key pair that signs its answers.
type MobileApp struct {
	// ID is the internal id.
	ID int64
	// Name is the unique name the app sends (appName).
	Name string
	// DisplayName is a human-readable name.
	DisplayName string
	// SignPrivateKeyEncrypted is the private signing key (a P-256 scalar),
	// sealed with the server key.
	SignPrivateKeyEncrypted []byte
	// SignPublicKey is the public signing key as an uncompressed P-256 point.
	SignPublicKey []byte
	// Created is when the app was created.
	Created time.Time
}

// MobileDomain is a TLS domain whose certificates an app pins.
type MobileDomain struct {
	// ID is the internal id.
	ID int64
	// AppID is the MobileApp.
	AppID int64
	// Domain is the host name.
	Domain string
}

// MobileCertificate is a pinned certificate of a domain.
type MobileCertificate struct {
	// ID is the internal id.
	ID int64
	// DomainID is the MobileDomain; Domain its host name (read only).
	DomainID int64
	Domain   string
	// PEM is the certificate.
	PEM string
	// Fingerprint is Base64(SHA-256(certificate DER)).
	Fingerprint string
	// Expires is the certificate's notAfter.
	Expires time.Time
	// Created is when it was added.
	Created time.Time
}

// Mobile platforms of version rules.
const (
	MobilePlatformAndroid = "ANDROID"
	MobilePlatformIOS     = "IOS"
)

// MobileVersionRule is the version policy of an app on a platform, for
// one major OS version or (MajorOSVersion nil) any.
type MobileVersionRule struct {
	// ID is the internal id.
	ID int64
	// AppID is the MobileApp.
	AppID int64
	// Platform is MobilePlatformAndroid or MobilePlatformIOS.
	Platform string
	// MajorOSVersion is the major OS version the rule is for; nil: any.
	MajorOSVersion *int
	// SuggestedVersion and RequiredVersion are MAJOR.MINOR.PATCH versions
	// (either may be empty): an older app is asked to update (SUGGESTED)
	// or must update (FORCED).
	SuggestedVersion string
	RequiredVersion  string
	// MessageKey names the localized text shown with the result.
	MessageKey string
}

// LocalizedText is a text of the mobile utility services in one language.
type LocalizedText struct {
	// Key names the text; Language is a two-letter ISO 639-1 code.
	Key      string
	Language string
	// Text is the text.
	Text string
}
