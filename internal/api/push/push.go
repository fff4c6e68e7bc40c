// Package push is the push registration API of the enrollment surface:
// a device registers its push token (/api/push/device/register, signed or
// with a MAC token, and /api/push/device/register/token, MAC token only)
// and the registration is bound to its activation.
package push

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/mauth/mauth/internal/api/mtoken"
	"github.com/mauth/mauth/internal/api/public"
	"github.com/mauth/mauth/internal/api/render"
	pushsvc "github.com/mauth/mauth/internal/push"
	"github.com/mauth/mauth/protocol"
)

// Paths and resource id of the push registration API.
const (
	RegisterPath      = "/api/push/device/register"
	RegisterTokenPath = "/api/push/device/register/token"
	// ResourceRegister is the resource id of a signed registration.
	ResourceRegister = "/push/device/register"
)

// Error codes of the push registration API.
const (
	CodeRegistrationFailed = mtoken.CodePushRegistrationFailed
	CodeInvalidRequest     = mtoken.CodeInvalidRequest
	CodeInvalidActivation  = mtoken.CodeInvalidActivation
)

// Options configure the push registration API.
type Options struct {
	// Middleware are the public API's request guards (required).
	Middleware *public.Middleware
	// Registrar stores registrations (required).
	Registrar pushsvc.Registrar
	// Logger receives rejected requests (never push tokens).
	Logger *slog.Logger
	// MaxBodyBytes limits request bodies (default mtoken.DefaultMaxBodyBytes).
	MaxBodyBytes int64
}

// Server serves the push registration API.
type Server struct {
	opts Options
	log  *slog.Logger
}

// New builds the API; it panics without Middleware or Registrar (wiring mistakes).
func New(opts Options) *Server {
	if opts.Middleware == nil || opts.Registrar == nil {
		panic("push: Options.Middleware and Options.Registrar are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Server{opts: opts, log: opts.Logger}
}

// Factor combinations a registering device may use.
var registerTypes = []protocol.SignatureType{
	protocol.SignaturePossession,
	protocol.SignaturePossessionBiometry,
	protocol.SignaturePossessionKnowledge,
	protocol.SignaturePossessionKnowledgeBiometry,
}

// Register mounts the endpoints on mux (POST only).
func (s *Server) Register(mux *http.ServeMux) {
	mw := s.opts.Middleware
	guard := func(m func(http.Handler) http.Handler) mtoken.Guard {
		return mtoken.Guard{Middleware: []func(http.Handler) http.Handler{m}, MaxBodyBytes: s.opts.MaxBodyBytes, Logger: s.log}
	}
	signed := guard(mw.RequireSignature(ResourceRegister, registerTypes...)).Wrap(http.HandlerFunc(s.register))
	token := guard(mw.RequireToken(registerTypes...)).Wrap(http.HandlerFunc(s.register))
	// The signed endpoint also takes a MAC token, as deployed devices send one.
	mux.Handle(RegisterPath, mtoken.MethodPOST(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.TrimSpace(r.Header.Get(protocol.HeaderAuthorization)) == "" && strings.TrimSpace(r.Header.Get(protocol.HeaderToken)) != "" {
			token.ServeHTTP(w, r)
			return
		}
		signed.ServeHTTP(w, r)
	})))
	mux.Handle(RegisterTokenPath, mtoken.MethodPOST(token))
}

// registerRequest is the request object of both endpoints.
type registerRequest struct {
	Platform    string `json:"platform"`
	Token       string `json:"token"`
	Environment string `json:"environment"`
}

func invalidRequest(format string, args ...any) *mtoken.Error {
	return mtoken.Errf(http.StatusBadRequest, CodeInvalidRequest, "Invalid request.", format, args...)
}

// register stores the registration of the authenticated activation.
func (s *Server) register(w http.ResponseWriter, r *http.Request) {
	a, ok := public.AuthFromContext(r.Context())
	if !ok {
		mtoken.WriteError(w, r, s.log, errors.New("push: no authenticated device"))
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		mtoken.WriteError(w, r, s.log, invalidRequest("read body: %w", err))
		return
	}
	var env struct {
		RequestObject *registerRequest `json:"requestObject"`
	}
	if len(bytes.TrimSpace(body)) == 0 || json.Unmarshal(body, &env) != nil || env.RequestObject == nil {
		mtoken.WriteError(w, r, s.log, invalidRequest("requestObject is missing or malformed"))
		return
	}
	req := env.RequestObject
	platform, ok := pushsvc.ParsePlatform(req.Platform)
	if !ok {
		mtoken.WriteError(w, r, s.log, invalidRequest("unknown platform %q", req.Platform))
		return
	}
	if strings.TrimSpace(req.Token) == "" || len(req.Token) > pushsvc.MaxTokenLength || strings.ContainsRune(req.Token, 0) {
		mtoken.WriteError(w, r, s.log, invalidRequest("token must have 1 to %d characters", pushsvc.MaxTokenLength))
		return
	}
	environment, ok := pushsvc.ParseEnvironment(req.Environment)
	if !ok {
		mtoken.WriteError(w, r, s.log, invalidRequest("unknown environment %q", req.Environment))
		return
	}
	if platform != pushsvc.PlatformAPNs {
		environment = ""
	}
	err = s.opts.Registrar.Register(r.Context(), pushsvc.Registration{
		ActivationID: a.ActivationID,
		Platform:     platform,
		Token:        req.Token,
		Environment:  environment,
	})
	switch {
	case errors.Is(err, pushsvc.ErrInvalidActivation):
		mtoken.WriteError(w, r, s.log, mtoken.Errf(http.StatusBadRequest, CodeInvalidActivation, "Activation is not valid.", "activation %s: %w", a.ActivationID, err))
		return
	case err != nil:
		mtoken.WriteError(w, r, s.log, &mtoken.Error{Status: http.StatusBadRequest, Code: CodeRegistrationFailed, Message: "Push registration failed.", Cause: err})
		return
	}
	render.OK(w, nil)
}
