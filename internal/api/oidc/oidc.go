// Package oidc is the HTTP surface of the OIDC vertical on the enrollment
// listener: /api/config/oidc (application-scope ECIES) answers the public
// part of an OpenID provider's configuration, which the app needs to sign
// the user in at the bank's identity provider before an OIDC activation.
package oidc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/mauth/mauth/internal/api/render"
	"github.com/mauth/mauth/internal/deviceauth"
	"github.com/mauth/mauth/protocol"
	"github.com/mauth/mauth/wire"
)

// ConfigPath is the path of the provider configuration.
const ConfigPath = wire.OIDCConfigPath

// Error codes of the surface.
const (
	// CodeConfiguration is a missing application configuration or provider.
	CodeConfiguration = "APPLICATION_CONFIGURATION_ERROR"
	// CodeGeneric is an internal failure.
	CodeGeneric = "ERROR_GENERIC"
)

var (
	failConfig   = render.APIError{Status: http.StatusBadRequest, Code: CodeConfiguration, Message: "Unable to fetch application configuration."}
	failInternal = render.APIError{Status: http.StatusInternalServerError, Code: CodeGeneric, Message: "Unknown error occurred."}
)

// Config is what the surface needs from the vertical: the public
// configuration of a provider (internal/oidc's Activator, adapted by
// internal/app). Every error is answered as APPLICATION_CONFIGURATION_ERROR.
type Config interface {
	PublicConfig(ctx context.Context, applicationKey, providerID string) (wire.OIDCConfig, error)
}

// Options configure the surface.
type Options struct {
	// Middleware are the public API's request guards (required).
	Middleware deviceauth.Guards
	// Config answers the provider configuration (required).
	Config Config
	// Logger receives the causes of refused requests.
	Logger *slog.Logger
	// MaxBodyBytes limits request bodies (default deviceauth.DefaultMaxBodyBytes).
	MaxBodyBytes int64
}

// Server serves the surface.
type Server struct {
	opts Options
	log  *slog.Logger
}

// New builds the surface; it panics without Middleware or Config (wiring mistakes).
func New(opts Options) *Server {
	if opts.Middleware == nil || opts.Config == nil {
		panic("oidc: Options.Middleware and Options.Config are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Server{opts: opts, log: opts.Logger}
}

// Register mounts the endpoint on mux (POST only).
func (s *Server) Register(mux *http.ServeMux) {
	g := deviceauth.Guard{
		Middleware:   []func(http.Handler) http.Handler{s.opts.Middleware.Encrypted(protocol.EciesScopeApplication, protocol.SharedInfo1GenericApplication)},
		MaxBodyBytes: s.opts.MaxBodyBytes,
		Logger:       s.log,
	}
	mux.Handle(ConfigPath, render.AllowMethods(g.Wrap(render.Serve(s.log, failInternal, render.OK, s.config)), http.MethodPost))
}

// config answers the public configuration of the requested provider.
func (s *Server) config(r *http.Request) (any, error) {
	env, ok := deviceauth.EnvelopeFromContext(r.Context())
	if !ok {
		return nil, errors.New("oidc: no encryption envelope")
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, failConfig.Withf("read body: %w", err)
	}
	var req wire.OIDCConfigRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&req); err != nil || dec.More() {
		return nil, failConfig.Withf("the request is not {\"providerId\": …}")
	}
	out, err := s.opts.Config.PublicConfig(r.Context(), env.ApplicationKey, req.ProviderID)
	if err != nil {
		return nil, failConfig.With(err)
	}
	return out, nil
}
