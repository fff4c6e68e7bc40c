// Package private is the core server's private REST API: POST
// /rest/v3/<method> with the PowerAuth Server's request and response
// envelopes, field names, enums and error codes. It is a thin translation
// layer over internal/service and must only be reachable from the bank's
// backend (its own listener, 127.0.0.1:8081 by default).
package private

import (
	"context"
	"log/slog"
	"net/http"
	"reflect"
	"strings"

	"github.com/mauth/mauth/internal/api/render"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/restv3"
	"github.com/mauth/mauth/internal/service"
)

// maxDeviceUserAgent bounds a forwarded device User-Agent (as the
// public API bounds the one it records).
const maxDeviceUserAgent = 512

// Prefix is the path prefix of every method.
const Prefix = "/rest/v3/"

// Options configure the private API.
type Options struct {
	// RestrictAccess requires HTTP Basic credentials of an integration
	// (client token : client secret) on every call. On by default in mauth.
	RestrictAccess bool
	// Logger receives internal errors (never secrets).
	Logger *slog.Logger
	// ServerVersion is mauth's own version, reported by the status method.
	ServerVersion string
}

// Server serves the private API.
type Server struct {
	svc  *service.Service
	opts Options
	log  *slog.Logger
	mux  *http.ServeMux
	// methods lists the registered method names (see Methods).
	methods []string
	// rules holds the access rule of each registered method that has one
	// (access.go); a method without one denies every call.
	rules map[string]compiledRule
}

// New builds the private API over the core service.
func New(svc *service.Service, opts Options) *Server {
	s := &Server{svc: svc, opts: opts, log: opts.Logger, mux: http.NewServeMux(), rules: map[string]compiledRule{}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.registerSystemRoutes()
	s.registerApplicationRoutes()
	s.registerIntegrationRoutes()
	s.registerCallbackRoutes()
	s.registerActivationRoutes()
	s.registerRecoveryRoutes()
	s.registerSignatureRoutes()
	s.registerTokenRoutes()
	s.registerEncryptionRoutes()
	s.registerAuditRoutes()
	s.registerOperationRoutes()
	s.mux.HandleFunc("/", render.NotFound)
	return s
}

// Handler returns the HTTP handler, with access control when configured.
func (s *Server) Handler() http.Handler {
	return render.WithRequestInfo("private-api", s.handler())
}

// handler is the mux behind the optional access control.
func (s *Server) handler() http.Handler {
	if !s.opts.RestrictAccess {
		return s.mux
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, Prefix) {
			s.mux.ServeHTTP(w, r)
			return
		}
		token, secret, ok := r.BasicAuth()
		var p service.Principal
		if ok {
			p, ok = s.svc.Authenticate(r.Context(), token, secret)
		}
		if !ok {
			w.Header().Set("WWW-Authenticate", `Basic realm="mauth"`)
			render.ErrorResponse(w, http.StatusUnauthorized, render.ErrorObject{Code: service.CodeAuthentication, Message: "Authentication failed"})
			return
		}
		ctx := withPrincipal(r.Context(), p)
		// An enrollment server forwards the device's User-Agent: trusted
		// from an authenticated integration only.
		if ua := r.Header.Get(restv3.HeaderDeviceUserAgent); ua != "" {
			ri := domain.RequestInfoOf(ctx)
			if len(ua) > maxDeviceUserAgent {
				ua = ua[:maxDeviceUserAgent]
			}
			ri.UserAgent = ua
			ctx = domain.WithRequestInfo(ctx, ri)
		}
		inner := r.WithContext(ctx)
		s.mux.ServeHTTP(w, inner)
		r.Pattern = inner.Pattern // for the access log and metrics outside

	})
}

// register records a method name and compiles its access rule for the
// request type req (nil: the method reads no body).
func (s *Server) register(name string, req reflect.Type) {
	s.methods = append(s.methods, name)
	if rule, ok := compileRule(name, req); ok {
		s.rules[name] = rule
	}
}

// method registers POST /rest/v3/<name>. The request object is decoded into
// a fresh Req and authorised (access.go); fn's result becomes the
// responseObject (nil → {"status":"OK"}).
func method[Req any](s *Server, name string, fn func(ctx context.Context, req *Req) (any, error)) {
	s.register(name, reflect.TypeFor[Req]())
	s.mux.HandleFunc("POST "+Prefix+name, func(w http.ResponseWriter, r *http.Request) {
		req := new(Req)
		if err := render.DecodeRequest(r, req); err != nil {
			render.Error(w, r, s.log, err)
			return
		}
		if err := s.authorize(r.Context(), name, req); err != nil {
			render.Error(w, r, s.log, err)
			return
		}
		resp, err := fn(r.Context(), req)
		if err != nil {
			render.Error(w, r, s.log, err)
			return
		}
		render.OK(w, resp)
	})
}
