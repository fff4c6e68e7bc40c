// Package testserver is the HTTP surface of the Test Server: POST
// /powerauth-test-server/<endpoint> with the {"requestObject": …} and
// {"status": …, "responseObject": …} envelopes and the field names and
// error codes of the reference test server. It is a thin translation
// layer over the internal/testserver vertical, mounted on the private
// listener only, and only when the test server is enabled.
package testserver

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/mauth/mauth/internal/api/render"
	ts "github.com/mauth/mauth/internal/testserver"
	"github.com/mauth/mauth/wire"
)

// Prefix is the path prefix of every endpoint.
const Prefix = "/powerauth-test-server/"

// CodeAuthentication answers a call without valid credentials.
const CodeAuthentication = "ERR_AUTHENTICATION"

// failInternal is the answer to an internal failure (500 without detail).
var failInternal = render.APIError{Status: http.StatusInternalServerError, Code: ts.CodeGeneric, Message: "Unknown error occurred while processing request."}

// Devices is what the surface needs of the vertical.
type Devices interface {
	ConfigureApplication(ctx context.Context, r ts.ConfigureApplicationRequest) error
	CreateActivation(ctx context.Context, r ts.CreateActivationRequest) (*ts.CreateActivationResponse, error)
	ComputeOnlineSignature(ctx context.Context, r ts.ComputeOnlineSignatureRequest) (*ts.ComputeOnlineSignatureResponse, error)
	ComputeOfflineSignature(ctx context.Context, r ts.ComputeOfflineSignatureRequest) (*ts.ComputeOfflineSignatureResponse, error)
	CreateToken(ctx context.Context, r ts.CreateTokenRequest) (*ts.CreateTokenResponse, error)
	ComputeTokenDigest(ctx context.Context, r ts.TokenRequest) (*ts.ComputeTokenDigestResponse, error)
	PendingOperations(ctx context.Context, r ts.TokenRequest, lang string) ([]wire.Operation, error)
	ApproveOperation(ctx context.Context, r ts.ApproveOperationRequest) error
	RejectOperation(ctx context.Context, r ts.RejectOperationRequest) error
}

// Authenticator checks the HTTP Basic credentials of a caller; only
// administrators may drive simulated devices (they hold keys of every
// application).
type Authenticator interface {
	AuthenticateAdmin(ctx context.Context, username, password string) bool
}

// Options configure the surface.
type Options struct {
	// Devices is the vertical (required).
	Devices Devices
	// Authenticator, when set, requires the credentials of an
	// administrator on every call (the private API's restrict_access).
	Authenticator Authenticator
	// Logger receives rejected requests and internal failures.
	Logger *slog.Logger
}

// Server serves the Test Server API.
type Server struct {
	opts Options
	log  *slog.Logger
	mux  *http.ServeMux
}

// New builds the surface; it panics without Devices (a wiring mistake).
func New(opts Options) *Server {
	if opts.Devices == nil {
		panic("testserver: Options.Devices is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{opts: opts, log: opts.Logger, mux: http.NewServeMux()}
	d := opts.Devices
	endpoint(s, "application/config", func(ctx context.Context, r *ts.ConfigureApplicationRequest, _ *http.Request) (any, error) {
		return nil, d.ConfigureApplication(ctx, *r)
	})
	endpoint(s, "activation/create", func(ctx context.Context, r *ts.CreateActivationRequest, _ *http.Request) (any, error) {
		return d.CreateActivation(ctx, *r)
	})
	endpoint(s, "signature/compute-online", func(ctx context.Context, r *ts.ComputeOnlineSignatureRequest, _ *http.Request) (any, error) {
		return d.ComputeOnlineSignature(ctx, *r)
	})
	endpoint(s, "signature/compute-offline", func(ctx context.Context, r *ts.ComputeOfflineSignatureRequest, _ *http.Request) (any, error) {
		return d.ComputeOfflineSignature(ctx, *r)
	})
	endpoint(s, "token/create", func(ctx context.Context, r *ts.CreateTokenRequest, _ *http.Request) (any, error) {
		return d.CreateToken(ctx, *r)
	})
	endpoint(s, "token/compute-digest", func(ctx context.Context, r *ts.TokenRequest, _ *http.Request) (any, error) {
		return d.ComputeTokenDigest(ctx, *r)
	})
	endpoint(s, "operations/pending", func(ctx context.Context, r *ts.TokenRequest, hr *http.Request) (any, error) {
		return d.PendingOperations(ctx, *r, hr.Header.Get("Accept-Language"))
	})
	endpoint(s, "operations/approve", func(ctx context.Context, r *ts.ApproveOperationRequest, _ *http.Request) (any, error) {
		return nil, d.ApproveOperation(ctx, *r)
	})
	endpoint(s, "operations/reject", func(ctx context.Context, r *ts.RejectOperationRequest, _ *http.Request) (any, error) {
		return nil, d.RejectOperation(ctx, *r)
	})
	s.mux.HandleFunc(Prefix, render.NotFound)
	return s
}

// checkedRequest is a request type that records its invalid fields.
type checkedRequest interface {
	CheckFields(v ts.FieldChecker)
}

// endpoint registers POST Prefix+name: the request object is decoded into
// a fresh Req and its fields checked before fn runs.
func endpoint[Req any, PReq interface {
	*Req
	checkedRequest
}](s *Server, name string, fn func(ctx context.Context, req *Req, r *http.Request) (any, error)) {
	s.mux.Handle("POST "+Prefix+name, render.Serve(s.log, failInternal, render.OK, func(r *http.Request) (any, error) {
		req := PReq(new(Req))
		if err := render.DecodeRequest(r, req); err != nil {
			return nil, err
		}
		var v render.Validator
		req.CheckFields(&v)
		if err := v.Err(); err != nil {
			return nil, err
		}
		return fn(r.Context(), (*Req)(req), r)
	}))
}

// Handler returns the surface, behind the credentials check when configured.
func (s *Server) Handler() http.Handler {
	if s.opts.Authenticator == nil {
		return s.mux
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if !ok || !s.opts.Authenticator.AuthenticateAdmin(r.Context(), user, pass) {
			w.Header().Set("WWW-Authenticate", `Basic realm="mauth"`)
			render.ErrorResponse(w, http.StatusUnauthorized, render.ErrorObject{Code: CodeAuthentication, Message: "Authentication failed"})
			return
		}
		s.mux.ServeHTTP(w, r)
	})
}
