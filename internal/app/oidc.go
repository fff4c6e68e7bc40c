package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	apioidc "github.com/mauth/mauth/internal/api/oidc"
	"github.com/mauth/mauth/internal/oidc"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/wire"
)

// oidcConfigSource adapts the core to the OIDC vertical's ConfigSource
// port: the application of a key and its decrypted oauth2_providers.
type oidcConfigSource struct{ svc *service.Service }

// OAuth2Providers implements oidc.ConfigSource.
func (s oidcConfigSource) OAuth2Providers(ctx context.Context, applicationKey string) ([]json.RawMessage, bool, error) {
	app, _, err := s.svc.LookupApplicationByKey(ctx, applicationKey)
	if err != nil {
		return nil, false, fmt.Errorf("%w: application: %w", oidc.ErrNotConfigured, err)
	}
	return s.svc.ApplicationConfigValues(ctx, app.Name, oidc.ConfigKey)
}

// oidcPublicConfig adapts the Activator to the /api/config/oidc surface.
type oidcPublicConfig struct{ a *oidc.Activator }

// PublicConfig implements apioidc.Config.
func (c oidcPublicConfig) PublicConfig(ctx context.Context, applicationKey, providerID string) (wire.OIDCConfig, error) {
	p, err := c.a.Config(ctx, applicationKey, providerID)
	if err != nil {
		return wire.OIDCConfig{}, err
	}
	return wire.OIDCConfig{ProviderID: p.ProviderID, ClientID: p.ClientID, Scopes: p.Scopes, AuthorizeURI: p.AuthorizeURI, RedirectURI: p.RedirectURI, PKCEEnabled: p.PKCEEnabled}, nil
}

// NewOIDCActivator builds the OIDC activation over the core service (the
// public API's OIDC hook); tests pass their own HTTP client and clock.
func NewOIDCActivator(svc *service.Service, opts oidc.Options) *oidc.Activator {
	return oidc.NewActivator(oidcConfigSource{svc}, opts)
}

// MountOIDCConfig mounts /api/config/oidc of the activator on mux.
func MountOIDCConfig(mux *http.ServeMux, a *oidc.Activator, o apioidc.Options) {
	o.Config = oidcPublicConfig{a}
	apioidc.New(o).Register(mux)
}
