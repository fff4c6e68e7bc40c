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

	"github.com/mauth/mauth/internal/api/render"
	"github.com/mauth/mauth/internal/deviceauth"
	pushsvc "github.com/mauth/mauth/internal/push"
	"github.com/mauth/mauth/protocol"
	"github.com/mauth/mauth/wire"
)

// Paths and resource id of the push registration API.
const (
	RegisterPath      = wire.PushRegisterPath
	RegisterTokenPath = wire.PushRegisterTokenPath
	// ResourceRegister is the resource id of a signed registration.
	ResourceRegister = wire.PushRegisterResource
)

// Error codes of the push registration API (the Mobile Token API's dialect).
const (
	CodeRegistrationFailed = "PUSH_REGISTRATION_FAILED"
	CodeInvalidRequest     = deviceauth.CodeInvalidRequest
	CodeInvalidActivation  = "INVALID_ACTIVATION"
	CodeGeneric            = "ERROR_GENERIC"
)

// The error answers of the API.
var (
	failInvalidActivation = render.APIError{Status: http.StatusBadRequest, Code: CodeInvalidActivation, Message: "Activation is not valid."}
	failRegistration      = render.APIError{Status: http.StatusBadRequest, Code: CodeRegistrationFailed, Message: "Push registration failed."}
	// failInternal is an internal failure (500 without detail).
	failInternal = render.APIError{Status: http.StatusInternalServerError, Code: CodeGeneric, Message: "Unknown error occurred."}
)

// Options configure the push registration API.
type Options struct {
	// Middleware are the public API's request guards (required).
	Middleware deviceauth.Guards
	// Registrar stores registrations (required).
	Registrar pushsvc.Registrar
	// Logger receives rejected requests (never push tokens).
	Logger *slog.Logger
	// MaxBodyBytes limits request bodies (default deviceauth.DefaultMaxBodyBytes).
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

// Register mounts the endpoints on mux (POST only).
func (s *Server) Register(mux *http.ServeMux) {
	mw := s.opts.Middleware
	guard := func(m func(http.Handler) http.Handler) deviceauth.Guard {
		return deviceauth.Guard{Middleware: []func(http.Handler) http.Handler{m}, MaxBodyBytes: s.opts.MaxBodyBytes, Logger: s.log}
	}
	signed := guard(mw.RequireSignature(ResourceRegister, deviceauth.PossessionTypes...)).Wrap(s.serve(s.register))
	token := guard(mw.RequireToken(deviceauth.PossessionTypes...)).Wrap(s.serve(s.register))
	// The signed endpoint also takes a MAC token, as deployed devices send one.
	mux.Handle(RegisterPath, render.AllowMethods(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.TrimSpace(r.Header.Get(protocol.HeaderAuthorization)) == "" && strings.TrimSpace(r.Header.Get(protocol.HeaderToken)) != "" {
			token.ServeHTTP(w, r)
			return
		}
		signed.ServeHTTP(w, r)
	}), http.MethodPost))
	mux.Handle(RegisterTokenPath, render.AllowMethods(token, http.MethodPost))
}

func invalidRequest(format string, args ...any) *render.APIError {
	return deviceauth.FailInvalidRequest.Withf(format, args...)
}

// serve adapts an endpoint: its answer in the OK envelope, its error
// rendered (what is no render.CodedError is a 500 ERROR_GENERIC).
func (s *Server) serve(fn render.Endpoint) http.Handler {
	return render.Serve(s.log, failInternal, render.OK, fn)
}

// register stores the registration of the authenticated activation.
func (s *Server) register(r *http.Request) (any, error) {
	a, ok := deviceauth.AuthFromContext(r.Context())
	if !ok {
		return nil, errors.New("push: no authenticated device")
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, invalidRequest("read body: %w", err)
	}
	var env struct {
		RequestObject *wire.PushRegistration `json:"requestObject"`
	}
	if len(bytes.TrimSpace(body)) == 0 || json.Unmarshal(body, &env) != nil || env.RequestObject == nil {
		return nil, invalidRequest("requestObject is missing or malformed")
	}
	req := env.RequestObject
	platform, ok := pushsvc.ParsePlatform(req.Platform)
	if !ok {
		return nil, invalidRequest("unknown platform %q", req.Platform)
	}
	if strings.TrimSpace(req.Token) == "" || len(req.Token) > pushsvc.MaxTokenLength || strings.ContainsRune(req.Token, 0) {
		return nil, invalidRequest("token must have 1 to %d characters", pushsvc.MaxTokenLength)
	}
	environment, ok := pushsvc.ParseEnvironment(req.Environment)
	if !ok {
		return nil, invalidRequest("unknown environment %q", req.Environment)
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
		return nil, failInvalidActivation.Withf("activation %s: %w", a.ActivationID, err)
	case err != nil:
		return nil, failRegistration.With(err)
	}
	return nil, nil
}
