// Package mtoken is the Mobile Token API of the enrollment surface
// (/api/auth/token/app/operation/…): the device lists the operations that
// await its user, reads their localised form data, approves them with a
// PowerAuth signature bound to the operation data, rejects them, and
// claims operations created without a user. It also serves activation
// spawn (/api/activation/code). Authentication uses the public API's
// request guards (deviceauth.Guards); operations and activations come
// from the core through the Operations and Activations interfaces.
package mtoken

import (
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/mauth/mauth/internal/api/render"
	"github.com/mauth/mauth/internal/deviceauth"
	"github.com/mauth/mauth/protocol"
	"github.com/mauth/mauth/wire"
)

// Path prefix and resource ids of the Mobile Token API.
const (
	OperationPrefix = wire.OperationPrefix
	SpawnPath       = wire.SpawnPath

	ResourceHistory   = wire.ResourceOperationHistory
	ResourceAuthorize = wire.ResourceOperationAuthorize
	ResourceCancel    = wire.ResourceOperationCancel
	ResourceSpawn     = wire.ResourceSpawn
)

// Options configure the Mobile Token API.
type Options struct {
	// Middleware are the public API's request guards (required).
	Middleware deviceauth.Guards
	// Operations is the core's operation service; nil leaves the
	// operation endpoints out.
	Operations Operations
	// Activations is the core's activation service; nil leaves activation
	// spawn out.
	Activations Activations
	// SpawnPolicy decides the target applications of activation spawn
	// (default AllowAnyApplication).
	SpawnPolicy SpawnPolicy
	// Templates are the mobile templates (default: the built-in ones).
	Templates *Templates
	// Logger receives rejected requests and failures (never secrets).
	Logger *slog.Logger
	// Now is the clock of currentTimestamp (default time.Now).
	Now func() time.Time
	// MaxBodyBytes limits request bodies (default deviceauth.DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// HistoryLimit bounds the history list (default 100).
	HistoryLimit int
}

// Server serves the Mobile Token API and activation spawn.
type Server struct {
	opts Options
	log  *slog.Logger
}

// New builds the API. It panics without Options.Middleware (a wiring mistake).
func New(opts Options) *Server {
	if opts.Middleware == nil {
		panic("mtoken: Options.Middleware is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Templates == nil {
		opts.Templates = MustDefaultTemplates()
	}
	if opts.SpawnPolicy == nil {
		opts.SpawnPolicy = AllowAnyApplication
	}
	if opts.HistoryLimit <= 0 {
		opts.HistoryLimit = 100
	}
	return &Server{opts: opts, log: opts.Logger}
}

// Register mounts the endpoints on mux (POST only).
func (s *Server) Register(mux *http.ServeMux) {
	mw := s.opts.Middleware
	if s.opts.Operations != nil {
		token := mw.RequireToken(deviceauth.PossessionTypes...) // any token reads operations
		s.handle(mux, OperationPrefix+"list", s.guard(nil, token), s.timestamped(s.list))
		s.handle(mux, OperationPrefix+"detail", s.guard(nil, token), s.timestamped(s.detail))
		s.handle(mux, OperationPrefix+"detail/claim", s.guard(nil, token), s.timestamped(s.claim))
		s.handle(mux, OperationPrefix+"history", s.guard(nil,
			mw.RequireSignature(ResourceHistory, protocol.SignaturePossessionBiometry, protocol.SignaturePossessionKnowledge)), s.timestamped(s.history))
		s.handle(mux, OperationPrefix+"authorize", s.guard(s.authorizeAuthFailed,
			mw.RequireSignature(ResourceAuthorize, protocol.SignaturePossession, protocol.SignaturePossessionKnowledge, protocol.SignaturePossessionBiometry)), s.ok(s.authorize))
		s.handle(mux, OperationPrefix+"cancel", s.guard(nil,
			mw.RequireSignature(ResourceCancel, protocol.SignaturePossession)), s.ok(s.cancel))
	}
	if s.opts.Activations != nil {
		s.handle(mux, SpawnPath, s.guard(nil,
			mw.RequireSignature(ResourceSpawn, protocol.SignaturePossessionBiometry, protocol.SignaturePossessionKnowledge),
			mw.Encrypted(protocol.EciesScopeActivation, protocol.SharedInfo1GenericActivation)), s.bare(s.spawn))
	}
}

// guard builds the Guard of an endpoint.
func (s *Server) guard(onAuthFail func(*http.Request, []byte), mw ...func(http.Handler) http.Handler) deviceauth.Guard {
	return deviceauth.Guard{Middleware: mw, OnAuthFail: onAuthFail, MaxBodyBytes: s.opts.MaxBodyBytes, Logger: s.log}
}

// handle mounts a POST endpoint behind its guard.
func (s *Server) handle(mux *http.ServeMux, path string, g deviceauth.Guard, h http.Handler) {
	mux.Handle(path, render.AllowMethods(g.Wrap(h), http.MethodPost))
}

// serve adapts an endpoint: its answer is written with write, its error
// rendered; what is no render.CodedError is a 500 ERROR_GENERIC without
// detail, the cause goes to the log.
func (s *Server) serve(write render.Writer, fn render.Endpoint) http.Handler {
	return render.Serve(s.log, internalError, write, fn)
}

// ok serves fn with its answer in the OK envelope.
func (s *Server) ok(fn render.Endpoint) http.Handler { return s.serve(render.OK, fn) }

// timestamped serves fn with its answer in the OK envelope with the
// server's currentTimestamp (okWithTimestamp).
func (s *Server) timestamped(fn render.Endpoint) http.Handler { return s.serve(s.okWithTimestamp, fn) }

// bare serves fn with its answer as the JSON body itself.
func (s *Server) bare(fn render.Endpoint) http.Handler { return s.serve(render.Bare, fn) }

// auth returns the authenticated device (the guards guarantee one).
func auth(r *http.Request) *deviceauth.Auth {
	a, _ := deviceauth.AuthFromContext(r.Context())
	if a == nil {
		return &deviceauth.Auth{}
	}
	return a
}

// languages are the preferred languages of the request.
func languages(r *http.Request) []string {
	return ParseAcceptLanguage(r.Header.Get("Accept-Language"))
}

// visible checks that the device may see op: same user (or none yet),
// its application among op's, the bound activation if any, and the
// activation flag the operation requires.
func visible(a *deviceauth.Auth, op Operation) error {
	if op.UserID != "" && op.UserID != a.UserID {
		return errInvalidOperation("operation %s belongs to another user", op.ID)
	}
	if !slices.Contains(op.Applications, a.ApplicationID) {
		return errInvalidOperation("operation %s is not bound to application %s", op.ID, a.ApplicationID)
	}
	if op.ActivationID != "" && op.ActivationID != a.ActivationID {
		return errInvalidOperation("operation %s is bound to another activation", op.ID)
	}
	if op.ActivationFlag != "" && !slices.Contains(a.Flags, op.ActivationFlag) {
		return Errf(http.StatusBadRequest, CodeRequiresActivationFlag, "Operation requires an activation flag.", "operation %s requires activation flag %s", op.ID, op.ActivationFlag)
	}
	return nil
}

// clientIP is the request's remote address without the port.
func clientIP(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.HasSuffix(host, "]") {
		host = host[:i]
	}
	return strings.Trim(host, "[]")
}
