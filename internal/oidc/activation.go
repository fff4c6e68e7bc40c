package oidc

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// ConfigSource is the port to the core: the decrypted oauth2_providers
// values of the application an application key belongs to.
type ConfigSource interface {
	// OAuth2Providers returns the values of the key; found is false when
	// the application has no such configuration. An unknown application
	// key is an error wrapping ErrNotConfigured.
	OAuth2Providers(ctx context.Context, applicationKey string) (values []json.RawMessage, found bool, err error)
}

// Defaults of Options.
const (
	// DefaultClockSkew is the tolerance of exp and iat (the reference's 60 s).
	DefaultClockSkew = 60 * time.Second
	// DefaultMetadataTTL is how long discovered provider metadata (and the
	// JWKS cache that goes with it) is kept.
	DefaultMetadataTTL = time.Hour
	// DefaultHTTPTimeout bounds one call to a provider.
	DefaultHTTPTimeout = 10 * time.Second
	// maxAttribute bounds the identity attribute strings.
	maxAttribute = 4096
)

// Options configure an Activator.
type Options struct {
	// HTTPClient calls the providers (default: a client with DefaultHTTPTimeout).
	HTTPClient *http.Client
	// Now is the clock of token checks and the metadata cache (default time.Now).
	Now func() time.Time
	// ClockSkew tolerates clock differences on exp and iat (default DefaultClockSkew).
	ClockSkew time.Duration
	// MetadataTTL is the lifetime of cached provider metadata (default DefaultMetadataTTL).
	MetadataTTL time.Duration
}

// Activator runs the OIDC activation: the public configuration of a
// provider and the mapping of an authorization code to a user.
type Activator struct {
	src  ConfigSource
	opts Options

	mu    sync.Mutex
	cache map[string]*metadata
}

// metadata is a provider's discovered (or configured) endpoints and its
// verifier, which caches the JWKS and refetches it for an unknown key id.
type metadata struct {
	expires  time.Time
	authURL  string
	tokenURL string
	provider *gooidc.Provider
}

// NewActivator builds an Activator over the configuration port.
func NewActivator(src ConfigSource, opts Options) *Activator {
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: DefaultHTTPTimeout}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ClockSkew <= 0 {
		opts.ClockSkew = DefaultClockSkew
	}
	if opts.MetadataTTL <= 0 {
		opts.MetadataTTL = DefaultMetadataTTL
	}
	return &Activator{src: src, opts: opts, cache: map[string]*metadata{}}
}

// PublicConfig is what a device needs to start the sign-in at the
// provider: the public part of the provider's configuration.
type PublicConfig struct {
	ProviderID   string
	ClientID     string
	Scopes       string
	AuthorizeURI string
	RedirectURI  string
	PKCEEnabled  bool
}

// provider returns the configured provider of the application.
func (a *Activator) provider(ctx context.Context, applicationKey, providerID string) (Provider, error) {
	values, found, err := a.src.OAuth2Providers(ctx, applicationKey)
	if err != nil {
		return Provider{}, fmt.Errorf("application configuration: %w", err)
	}
	if !found {
		return Provider{}, fmt.Errorf("%w: the application has no %s", ErrNotConfigured, ConfigKey)
	}
	return FindProvider(values, providerID)
}

// Config returns the public configuration of providerID for the
// application. The authorization endpoint is the configured authorizeUri
// or, without one, the one discovered from the issuer's metadata (cached).
func (a *Activator) Config(ctx context.Context, applicationKey, providerID string) (PublicConfig, error) {
	p, err := a.provider(ctx, applicationKey, providerID)
	if err != nil {
		return PublicConfig{}, err
	}
	out := PublicConfig{ProviderID: p.ProviderID, ClientID: p.ClientID, Scopes: p.Scopes, AuthorizeURI: p.AuthorizeURI, RedirectURI: p.RedirectURI, PKCEEnabled: p.PKCEEnabled}
	if out.Scopes == "" {
		out.Scopes = gooidc.ScopeOpenID
	}
	if out.AuthorizeURI == "" {
		md, err := a.metadata(ctx, p)
		if err != nil {
			return PublicConfig{}, err
		}
		out.AuthorizeURI = md.authURL
	}
	return out, nil
}

// Identity is the decoded identity attributes of an OIDC activation.
type Identity struct {
	ProviderID   string
	Code         string
	Nonce        string
	CodeVerifier string
}

// ParseIdentity reads the identity attributes of method "oidc" (untrusted
// device input).
func ParseIdentity(attrs map[string]any) (Identity, error) {
	get := func(name string, required bool) (string, error) {
		raw, ok := attrs[name]
		if !ok || raw == nil {
			if required {
				return "", fmt.Errorf("%w: %s is missing", ErrInvalidRequest, name)
			}
			return "", nil
		}
		s, ok := raw.(string)
		if !ok {
			return "", fmt.Errorf("%w: %s must be a string", ErrInvalidRequest, name)
		}
		if required && strings.TrimSpace(s) == "" {
			return "", fmt.Errorf("%w: %s is missing", ErrInvalidRequest, name)
		}
		if len(s) > maxAttribute {
			return "", fmt.Errorf("%w: %s is too long", ErrInvalidRequest, name)
		}
		return s, nil
	}
	var id Identity
	var err error
	if m, _ := attrs["method"].(string); m != "oidc" {
		return id, fmt.Errorf("%w: method is not oidc", ErrInvalidRequest)
	}
	if id.ProviderID, err = get("providerId", true); err != nil {
		return id, err
	}
	if id.Code, err = get("code", true); err != nil {
		return id, err
	}
	if id.Nonce, err = get("nonce", true); err != nil {
		return id, err
	}
	if id.CodeVerifier, err = get("codeVerifier", false); err != nil {
		return id, err
	}
	return id, nil
}

// IsOIDC reports whether identity attributes ask for an OIDC activation.
func IsOIDC(attrs map[string]any) bool {
	m, _ := attrs["method"].(string)
	return m == "oidc"
}

// ResolveOIDC exchanges the authorization code of the identity attributes at
// the provider, verifies the ID token and returns the user id it names.
// Nothing is stored: the caller creates the activation only on success.
func (a *Activator) ResolveOIDC(ctx context.Context, applicationKey string, attrs map[string]any) (string, error) {
	id, err := ParseIdentity(attrs)
	if err != nil {
		return "", err
	}
	p, err := a.provider(ctx, applicationKey, id.ProviderID)
	if err != nil {
		return "", err
	}
	if p.PKCEEnabled && strings.TrimSpace(id.CodeVerifier) == "" {
		return "", fmt.Errorf("%w: codeVerifier is missing (the provider requires PKCE)", ErrInvalidRequest)
	}
	alg, err := p.algorithm()
	if err != nil {
		return "", err
	}
	method, err := p.authMethod()
	if err != nil {
		return "", err
	}
	md, err := a.metadata(ctx, p)
	if err != nil {
		return "", err
	}
	ctx = gooidc.ClientContext(ctx, a.opts.HTTPClient)
	style := oauth2.AuthStyleInHeader
	if method == AuthClientSecretPost {
		style = oauth2.AuthStyleInParams
	}
	conf := oauth2.Config{
		ClientID: p.ClientID, ClientSecret: p.ClientSecret, RedirectURL: p.RedirectURI,
		Endpoint: oauth2.Endpoint{AuthURL: md.authURL, TokenURL: md.tokenURL, AuthStyle: style},
	}
	var opts []oauth2.AuthCodeOption
	if id.CodeVerifier != "" {
		opts = append(opts, oauth2.VerifierOption(id.CodeVerifier))
	}
	tok, err := conf.Exchange(ctx, id.Code, opts...)
	if err != nil {
		return "", fmt.Errorf("%w: provider %s: %w", ErrProvider, p.ProviderID, err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return "", fmt.Errorf("%w: the token response has no id_token", ErrInvalidToken)
	}
	now := a.opts.Now()
	skew := a.opts.ClockSkew
	verifier := md.provider.Verifier(&gooidc.Config{
		ClientID:             p.ClientID,
		SupportedSigningAlgs: []string{alg},
		// exp is checked against now - skew: a token expired less than the
		// skew ago still passes, as with the reference's validators.
		Now: func() time.Time { return now.Add(-skew) },
	})
	idt, err := verifier.Verify(ctx, raw)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if idt.IssuedAt.IsZero() || idt.IssuedAt.After(now.Add(skew)) {
		return "", fmt.Errorf("%w: iat is missing or in the future", ErrInvalidToken)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(id.Nonce)) != 1 {
		return "", fmt.Errorf("%w: nonce does not match", ErrInvalidToken)
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return "", fmt.Errorf("%w: at_hash: %w", ErrInvalidToken, err)
		}
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return "", fmt.Errorf("%w: claims: %w", ErrInvalidToken, err)
	}
	user, _ := claims[p.userIDClaim()].(string)
	if strings.TrimSpace(user) == "" {
		return "", fmt.Errorf("%w: claim %.64q is missing or not a string", ErrInvalidToken, p.userIDClaim())
	}
	return user, nil
}

// metadata returns the provider's endpoints and verifier: discovered from
// the issuer's metadata, or built from the configured tokenUri and
// jwkSetUri when discovery fails. Successes are cached for MetadataTTL.
func (a *Activator) metadata(ctx context.Context, p Provider) (*metadata, error) {
	key := strings.Join([]string{p.IssuerURI, p.AuthorizeURI, p.TokenURI, p.JWKSetURI, p.SignatureAlgorithm}, "\x00")
	now := a.opts.Now()
	a.mu.Lock()
	md := a.cache[key]
	a.mu.Unlock()
	if md != nil && now.Before(md.expires) {
		return md, nil
	}
	// The provider keeps the HTTP client for its JWKS fetches (shared by
	// every verification: the key set is cached and refetched when a
	// token names an unknown key id, which is how key rotation is followed).
	dctx, cancel := context.WithTimeout(gooidc.ClientContext(ctx, a.opts.HTTPClient), a.timeout())
	defer cancel()
	md = &metadata{expires: now.Add(a.opts.MetadataTTL)}
	prov, derr := gooidc.NewProvider(dctx, strings.TrimSuffix(p.IssuerURI, "/"))
	if derr == nil {
		ep := prov.Endpoint()
		md.authURL, md.tokenURL, md.provider = ep.AuthURL, ep.TokenURL, prov
	} else {
		if p.TokenURI == "" || p.JWKSetURI == "" {
			return nil, fmt.Errorf("%w: provider %s: discovery failed and tokenUri/jwkSetUri are not configured: %w", ErrProvider, p.ProviderID, derr)
		}
		doc := gooidc.ProviderConfig{IssuerURL: p.IssuerURI, AuthURL: p.AuthorizeURI, TokenURL: p.TokenURI, JWKSURL: p.JWKSetURI}
		md.provider = doc.NewProvider(gooidc.ClientContext(context.WithoutCancel(ctx), a.opts.HTTPClient))
	}
	if p.TokenURI != "" {
		md.tokenURL = p.TokenURI
	}
	if p.AuthorizeURI != "" {
		md.authURL = p.AuthorizeURI
	}
	if md.tokenURL == "" {
		return nil, fmt.Errorf("%w: provider %s has no token endpoint", ErrProvider, p.ProviderID)
	}
	a.mu.Lock()
	a.cache[key] = md
	a.mu.Unlock()
	return md, nil
}

// timeout bounds one discovery request.
func (a *Activator) timeout() time.Duration {
	if t := a.opts.HTTPClient.Timeout; t > 0 {
		return t
	}
	return DefaultHTTPTimeout
}
