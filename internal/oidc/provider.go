package oidc

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// ConfigKey is the application configuration key of the providers.
const ConfigKey = "oauth2_providers"

// Client authentication methods at the token endpoint.
const (
	AuthClientSecretBasic = "client_secret_basic"
	AuthClientSecretPost  = "client_secret_post"
)

// DefaultSignatureAlgorithm is the ID token algorithm when the provider
// configuration names none.
const DefaultSignatureAlgorithm = "RS256"

// allowedAlgorithms are the asymmetric JWS algorithms a provider may be
// pinned to; symmetric algorithms and "none" are never accepted.
var allowedAlgorithms = map[string]bool{
	"RS256": true, "RS384": true, "RS512": true,
	"PS256": true, "PS384": true, "PS512": true,
	"ES256": true, "ES384": true, "ES512": true,
	"EdDSA": true,
}

// Provider is one entry of the oauth2_providers configuration.
type Provider struct {
	ProviderID                 string `json:"providerId"`
	ClientID                   string `json:"clientId"`
	ClientSecret               string `json:"clientSecret"`
	IssuerURI                  string `json:"issuerUri"`
	RedirectURI                string `json:"redirectUri"`
	ClientAuthenticationMethod string `json:"clientAuthenticationMethod"`
	AuthorizeURI               string `json:"authorizeUri"`
	TokenURI                   string `json:"tokenUri"`
	JWKSetURI                  string `json:"jwkSetUri"`
	Scopes                     string `json:"scopes"`
	PKCEEnabled                bool   `json:"pkceEnabled"`
	SignatureAlgorithm         string `json:"signatureAlgorithm"`
	// UserIDClaim names the ID token claim that holds the user id
	// (default "sub"); it must be a non-blank string claim.
	UserIDClaim string `json:"userIdClaim"`
}

// algorithm returns the pinned ID token algorithm.
func (p Provider) algorithm() (string, error) {
	alg := p.SignatureAlgorithm
	if alg == "" {
		alg = DefaultSignatureAlgorithm
	}
	if !allowedAlgorithms[alg] {
		return "", fmt.Errorf("%w: provider %s: signature algorithm %.16q is not allowed", ErrNotConfigured, p.ProviderID, alg)
	}
	return alg, nil
}

// userIDClaim returns the claim mapped to the user id.
func (p Provider) userIDClaim() string {
	if p.UserIDClaim == "" {
		return "sub"
	}
	return p.UserIDClaim
}

// authMethod returns the client authentication method.
func (p Provider) authMethod() (string, error) {
	switch p.ClientAuthenticationMethod {
	case "", AuthClientSecretBasic:
		return AuthClientSecretBasic, nil
	case AuthClientSecretPost:
		return AuthClientSecretPost, nil
	}
	return "", fmt.Errorf("%w: provider %s: unsupported client authentication method", ErrNotConfigured, p.ProviderID)
}

// FindProvider decodes the oauth2_providers values and returns the entry
// of providerID. The values were validated when they were stored; an
// entry that does not decode or misses a required field is a
// configuration error, never a panic.
func FindProvider(values []json.RawMessage, providerID string) (Provider, error) {
	if strings.TrimSpace(providerID) == "" {
		return Provider{}, fmt.Errorf("%w: providerId is missing", ErrNotConfigured)
	}
	for i, raw := range values {
		var p Provider
		if err := json.Unmarshal(raw, &p); err != nil {
			return Provider{}, fmt.Errorf("%w: %s[%d]: %w", ErrNotConfigured, ConfigKey, i, err)
		}
		if p.ProviderID != providerID {
			continue
		}
		if p.ClientID == "" || p.ClientSecret == "" || p.IssuerURI == "" || p.RedirectURI == "" {
			return Provider{}, fmt.Errorf("%w: provider %s is incomplete", ErrNotConfigured, providerID)
		}
		return p, nil
	}
	return Provider{}, fmt.Errorf("%w: no provider %.64q", ErrNotConfigured, providerID)
}

// Errors of the vertical; callers test with errors.Is.
var (
	// ErrNotConfigured means the application has no such provider (or its
	// configuration is unusable).
	ErrNotConfigured = errors.New("oidc: provider not configured")
	// ErrInvalidRequest means the identity attributes are incomplete.
	ErrInvalidRequest = errors.New("oidc: invalid identity attributes")
	// ErrProvider means the provider could not be reached or refused the
	// code (unknown, expired, replayed or issued to another client).
	ErrProvider = errors.New("oidc: provider refused the code exchange")
	// ErrInvalidToken means the ID token failed verification.
	ErrInvalidToken = errors.New("oidc: invalid ID token")
)
