package public

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/mauth/mauth/internal/api/render"
	"github.com/mauth/mauth/internal/buildinfo"
	"github.com/mauth/mauth/internal/idp"
	"github.com/mauth/mauth/protocol"
)

// Prefix is the path prefix of the Standard RESTful API.
const Prefix = "/pa/v3/"

// Options configure the public API.
type Options struct {
	// Logger receives rejected requests and internal failures (never secrets).
	Logger *slog.Logger
	// MaxBodyBytes limits request bodies (default DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// Now is the clock of /pa/v3/status and encrypted responses (default time.Now).
	Now func() time.Time
	// IdentityProvider maps the identity attributes of a custom-credential
	// activation (types CUSTOM and DIRECT) to a user; without one those
	// activations are refused.
	IdentityProvider idp.Provider
	// OIDC verifies the identity attributes of a DIRECT activation with
	// method "oidc" (an authorization code of the application's OpenID
	// provider); without it such activations fall back to IdentityProvider
	// like any custom activation.
	OIDC OIDCVerifier
	// DisableAutoCommit leaves custom-credential and recovery activations
	// PENDING_COMMIT for the bank's backend to commit. By default the
	// enrollment server commits them right after the key exchange.
	DisableAutoCommit bool
	// UserInfo supplies the claims of /pa/v3/user/info and the optional
	// userInfo of activation responses. Nil: /user/info answers the
	// minimal claims {"sub": userId, "jti": …, "iat": …} and activations
	// carry no userInfo.
	UserInfo UserInfoProvider
	// ApplicationName and ApplicationVersion are reported by /pa/v3/status
	// (default "mauth" and the build version).
	ApplicationName    string
	ApplicationVersion string
}

// Server serves the Standard RESTful API over a Core.
type Server struct {
	core Core
	opts Options
	log  *slog.Logger
	mw   *Middleware
	mux  *http.ServeMux
}

// New builds the public API over the core.
func New(core Core, opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.ApplicationName == "" {
		opts.ApplicationName = "mauth"
	}
	if opts.ApplicationVersion == "" {
		opts.ApplicationVersion = buildinfo.Version
	}
	s := &Server{
		core: core,
		opts: opts,
		log:  opts.Logger,
		mw:   NewMiddleware(core, MiddlewareOptions{Logger: opts.Logger, MaxBodyBytes: opts.MaxBodyBytes, Now: opts.Now}),
		mux:  http.NewServeMux(),
	}
	s.routes()
	return s
}

// Handler returns the HTTP handler.
func (s *Server) Handler() http.Handler { return render.WithRequestInfo("public-api", s.mux) }

// Middleware returns the request guards the server uses, for other
// surfaces served next to it.
func (s *Server) Middleware() *Middleware { return s.mw }

// Signature types used by the endpoints.
var (
	twoFactorTypes = []protocol.SignatureType{
		protocol.SignaturePossessionKnowledge,
		protocol.SignaturePossessionBiometry,
		protocol.SignaturePossessionKnowledgeBiometry,
	}
	validateTypes = []protocol.SignatureType{
		protocol.SignaturePossession,
		protocol.SignaturePossessionKnowledge,
		protocol.SignaturePossessionBiometry,
		protocol.SignaturePossessionKnowledgeBiometry,
	}
)

func (s *Server) routes() {
	mw := s.mw
	app := mw.Encrypted(protocol.EciesScopeApplication, protocol.SharedInfo1GenericApplication)
	act := mw.Encrypted(protocol.EciesScopeActivation, protocol.SharedInfo1GenericActivation)
	post := []string{http.MethodPost}

	s.handle("activation/create", post, Chain(s.bare(s.activationCreate), app))
	s.handle("activation/status", post, s.ok(s.activationStatus))
	s.handle("activation/remove", post, Chain(s.ok(s.activationRemove), mw.RequireSignature("/pa/activation/remove", twoFactorTypes...)))
	s.handle("activation/detail", post, Chain(s.ok(s.activationDetail),
		mw.RequireToken(protocol.SignaturePossessionBiometry, protocol.SignaturePossessionKnowledge), act))
	s.handle("activation/rename", post, Chain(s.ok(s.activationRename),
		mw.RequireSignature("/pa/activation/rename", protocol.SignaturePossessionKnowledge, protocol.SignaturePossessionBiometry), act))
	s.handle("token/create", post, Chain(s.bare(s.tokenCreate), mw.RequireSignature("/pa/token/create")))
	s.handle("token/remove", post, Chain(s.ok(s.tokenRemove), mw.RequireSignature("/pa/token/remove")))
	s.handle("vault/unlock", post, s.bare(s.vaultUnlock))
	s.handle("signature/validate", []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete},
		Chain(s.ok(s.signatureValidate), mw.requireSignature("/pa/signature/validate", 0, validateTypes, &failValidate)))
	s.handle("upgrade/start", post, s.bare(s.upgradeStart))
	s.handle("upgrade/commit", post, Chain(s.ok(s.upgradeCommit),
		mw.requireSignature("/pa/upgrade/commit", 3, []protocol.SignatureType{protocol.SignaturePossession}, nil)))
	s.handle("recovery/confirm", post, Chain(s.bare(s.recoveryConfirm),
		mw.RequireSignature("/pa/recovery/confirm", protocol.SignaturePossessionKnowledge)))
	s.handle("keystore/create", post, s.ok(s.keystoreCreate))
	s.handle("status", []string{http.MethodGet, http.MethodPost}, s.ok(s.serverStatus))
	s.handle("user/info", post, Chain(s.bare(s.userInfo), act))
	s.mux.HandleFunc("/", render.NotFound)
}

// handle registers Prefix+name for the methods; other methods get 405.
func (s *Server) handle(name string, methods []string, h http.Handler) {
	s.mux.Handle(Prefix+name, render.AllowMethods(h, methods...))
}

// ok serves fn and renders its answer in the OK envelope
// ({"status":"OK","responseObject":…}), its error with render.Error.
func (s *Server) ok(fn render.Endpoint) http.Handler {
	return render.Serve(s.log, render.InternalError, render.OK, fn)
}

// bare serves fn and renders its answer as the JSON body itself (the
// layer-1 activation answer, an ECIES answer of the core, user claims),
// its error with render.Error.
func (s *Server) bare(fn render.Endpoint) http.Handler {
	return render.Serve(s.log, render.InternalError, render.Bare, fn)
}

// decodeObject reads {"requestObject": {…}} from body into dst. An empty
// body, {} and a missing or null requestObject leave dst unchanged.
// Malformed JSON is answered with the failure f.
func decodeObject(body []byte, dst any, f render.APIError) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	var env struct {
		RequestObject json.RawMessage `json:"requestObject"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return f.Withf("request body is not JSON: %w", err)
	}
	if len(env.RequestObject) == 0 || string(env.RequestObject) == "null" {
		return nil
	}
	if err := json.Unmarshal(env.RequestObject, dst); err != nil {
		return f.Withf("request object: %w", err)
	}
	return nil
}

// serverStatus answers /pa/v3/status: the server time for clock
// synchronisation and the application name and version.
func (s *Server) serverStatus(r *http.Request) (any, error) {
	if _, _, err := s.mw.readBody(r); err != nil {
		return nil, err
	}
	type application struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	}
	return struct {
		ServerTime  int64       `json:"serverTime"`
		Application application `json:"application"`
	}{
		ServerTime:  s.opts.Now().UnixMilli(),
		Application: application{Name: s.opts.ApplicationName, Version: s.opts.ApplicationVersion},
	}, nil
}
