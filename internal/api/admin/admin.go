package admin

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/mauth/mauth/internal/console"
	"github.com/mauth/mauth/internal/domain"
)

// Prefix is the path the console is served under.
const Prefix = "/admin/"

// CookieName is the name of the session cookie.
const CookieName = "mauth_console"

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Console is what the surface needs from the console vertical
// (*console.Service implements it).
type Console interface {
	SignIn(ctx context.Context, username, password string) (string, console.Principal, error)
	Authenticate(ctx context.Context, id string) (console.Principal, error)
	SignOut(ctx context.Context, p console.Principal) error
	Record(ctx context.Context, p console.Principal, action string, details map[string]string) error
	CreateUser(ctx context.Context, actor, username, password string, role domain.ConsoleRole) (domain.ConsoleUser, error)
	RemoveUser(ctx context.Context, p console.Principal, id int64) error
	Core() console.Core

	Dashboard(ctx context.Context) (console.Dashboard, error)
	Applications(ctx context.Context) ([]domain.Application, error)
	Activations(ctx context.Context, q console.ActivationQuery) (console.ActivationList, error)
	Activation(ctx context.Context, id string) (console.ActivationDetail, error)
	ActivationStatus(ctx context.Context, id string) (domain.ActivationStatus, error)
	Operations(ctx context.Context, q console.OperationQuery) (console.OperationList, error)
	Operation(ctx context.Context, id string) (domain.Operation, error)
	Templates(ctx context.Context) ([]domain.OperationTemplate, error)
	Template(ctx context.Context, id int64) (domain.OperationTemplate, error)
	Integrations(ctx context.Context) ([]domain.Integration, error)
	Users(ctx context.Context) ([]domain.ConsoleUser, error)
	Audit(ctx context.Context, q console.AuditQuery) (console.AuditList, error)
	Now() time.Time
}

// Options configure the surface.
type Options struct {
	// Console is the vertical.
	Console Console
	// Logger logs internal failures (default: discard).
	Logger *slog.Logger
}

// Server is the console's HTTP surface.
type Server struct {
	c     Console
	log   *slog.Logger
	pages map[string]*template.Template
}

// New returns the surface.
func New(o Options) (*Server, error) {
	s := &Server{c: o.Console, log: o.Logger}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	s.pages = pages
	return s, nil
}

// securityHeaders sets the console's headers on every answer.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "+
			"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

// Handler serves the console under Prefix.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFiles, "static")
	mux.Handle("GET /admin/static/", http.StripPrefix("/admin/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /admin/signin", s.signInPage)
	mux.HandleFunc("POST /admin/signin", s.signIn)
	mux.Handle("POST /admin/signout", s.post(console.Read, s.signOut))
	mux.Handle("GET /admin/{$}", s.get(func(w http.ResponseWriter, r *http.Request, _ console.Principal) {
		http.Redirect(w, r, "/admin/dashboard", http.StatusSeeOther)
	}))
	mux.Handle("GET /admin/dashboard", s.get(s.dashboard))

	mux.Handle("GET /admin/applications", s.get(s.applications))
	mux.Handle("POST /admin/applications", s.post(console.Change, s.createApplication))
	mux.Handle("GET /admin/applications/{name}", s.get(s.application))
	mux.Handle("GET /admin/applications/{name}/versions/{version}/qr.png", s.get(s.versionQR))
	mux.Handle("POST /admin/applications/{name}/versions", s.post(console.Change, s.createVersion))
	mux.Handle("POST /admin/applications/{name}/versions/{version}/{action}", s.post(console.Change, s.versionAction))
	mux.Handle("POST /admin/applications/{name}/callbacks", s.post(console.Change, s.createCallback))
	mux.Handle("POST /admin/applications/{name}/callbacks/{id}/remove", s.post(console.Change, s.removeCallback))
	mux.Handle("POST /admin/applications/{name}/callbacks/{id}", s.post(console.Change, s.updateCallback))
	mux.Handle("POST /admin/applications/{name}/callbacks/{id}/test", s.post(console.Change, s.testCallback))
	mux.Handle("POST /admin/applications/{name}/recovery", s.post(console.Change, s.setRecovery))
	mux.Handle("POST /admin/applications/{name}/integrations/{id}/{action}", s.post(console.Change, s.integrationAccess))

	mux.Handle("GET /admin/activations", s.get(s.activations))
	mux.Handle("GET /admin/activations/new", s.get(s.newActivationPage))
	mux.Handle("POST /admin/activations", s.post(console.Change, s.createActivation))
	mux.Handle("GET /admin/activations/{id}", s.get(s.activation))
	mux.Handle("GET /admin/activations/{id}/status", s.get(s.activationStatus))
	mux.Handle("GET /admin/activations/{id}/qr.png", s.get(s.activationQR))
	mux.Handle("POST /admin/activations/{id}/{action}", s.post(console.Change, s.activationAction))
	mux.Handle("POST /admin/activations/{id}/recovery-codes/{code}/revoke", s.post(console.Change, s.revokeRecoveryCode))

	mux.Handle("GET /admin/operations", s.get(s.operations))
	mux.Handle("POST /admin/operations", s.post(console.Change, s.createOperation))
	mux.Handle("GET /admin/operations/{id}", s.get(s.operation))
	mux.Handle("POST /admin/operations/{id}/cancel", s.post(console.Change, s.cancelOperation))

	mux.Handle("GET /admin/templates", s.get(s.templates))
	mux.Handle("POST /admin/templates", s.post(console.Change, s.createTemplate))
	mux.Handle("POST /admin/templates/preview", s.post(console.Read, s.previewTemplate))
	mux.Handle("GET /admin/templates/{id}", s.get(s.template))
	mux.Handle("POST /admin/templates/{id}", s.post(console.Change, s.updateTemplate))
	mux.Handle("POST /admin/templates/{id}/remove", s.post(console.Change, s.removeTemplate))

	mux.Handle("GET /admin/integrations", s.get(s.integrations))
	mux.Handle("POST /admin/integrations", s.post(console.Change, s.createIntegration))
	mux.Handle("POST /admin/integrations/{id}/remove", s.post(console.Change, s.removeIntegration))

	mux.Handle("GET /admin/users", s.get(s.users))
	mux.Handle("POST /admin/users", s.post(console.ManageUsers, s.createUser))
	mux.Handle("POST /admin/users/{id}/remove", s.post(console.ManageUsers, s.removeUser))

	mux.Handle("GET /admin/audit", s.get(s.audit))
	mux.Handle("GET /admin/audit.csv", s.get(s.auditCSV))
	mux.Handle("GET /admin/push", s.get(s.push))
	mux.Handle("POST /admin/push/credentials/{platform}", s.post(console.Change, s.setPushCredentials))
	mux.Handle("POST /admin/push/credentials/{platform}/remove", s.post(console.Change, s.removePushCredentials))
	mux.Handle("POST /admin/push/campaigns", s.post(console.Change, s.createCampaign))
	mux.Handle("GET /admin/push/campaigns/{id}", s.get(s.campaign))
	mux.Handle("GET /admin/push/campaigns/{id}/status", s.get(s.campaignStatus))
	mux.Handle("POST /admin/push/campaigns/{id}/users", s.post(console.Change, s.addCampaignUsers))
	mux.Handle("POST /admin/push/campaigns/{id}/{action}", s.post(console.Change, s.campaignAction))

	mux.HandleFunc("/admin/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, console.Principal{}, console.NotFound)
	})
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, console.Principal{}, console.ErrCSRF)
	}))
	return securityHeaders(cop.Handler(mux))
}

// handler is a page handler of a signed-in user.
type handler func(w http.ResponseWriter, r *http.Request, p console.Principal)

// principal authenticates the session cookie of r.
func (s *Server) principal(r *http.Request) (console.Principal, error) {
	c, err := r.Cookie(CookieName)
	if err != nil {
		return console.Principal{}, console.ErrNoSession
	}
	return s.c.Authenticate(r.Context(), c.Value)
}

// withActor returns r whose context names the console user as the actor.
func withActor(r *http.Request, p console.Principal) *http.Request {
	ri := domain.RequestInfoOf(r.Context())
	ip, ua := ri.IP, ri.UserAgent
	if ip == "" {
		ip = r.RemoteAddr
		if i := strings.LastIndexByte(ip, ':'); i > 0 {
			ip = ip[:i]
		}
	}
	if ua == "" {
		ua = r.UserAgent()
		if len(ua) > 512 {
			ua = ua[:512]
		}
	}
	return r.WithContext(p.Context(r.Context(), ip, ua))
}

// get serves a page to any signed-in user; others go to the sign-in page.
func (s *Server) get(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.principal(r)
		if errors.Is(err, console.ErrNoSession) {
			http.Redirect(w, r, "/admin/signin", http.StatusSeeOther)
			return
		}
		if err != nil {
			s.fail(w, r, p, err)
			return
		}
		h(w, withActor(r, p), p)
	})
}

// post runs a state-changing request: a session, the CSRF token and the
// permission are required.
func (s *Server) post(perm console.Permission, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		p, err := s.principal(r)
		if err != nil {
			s.fail(w, r, console.Principal{}, err)
			return
		}
		var perr error
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
			perr = r.ParseMultipartForm(64 << 10) // file uploads (push keys) stay in memory
		} else {
			perr = r.ParseForm()
		}
		if err := perr; err != nil {
			s.fail(w, r, p, &console.Error{Code: "CONSOLE_INVALID_INPUT", Message: "The form could not be read.", Status: http.StatusBadRequest})
			return
		}
		if err := p.CheckCSRF(r.PostForm.Get("csrf")); err != nil {
			s.fail(w, r, p, err)
			return
		}
		if !p.Can(perm) {
			s.fail(w, r, p, console.ErrForbidden)
			return
		}
		h(w, withActor(r, p), p)
	})
}

// codedError is an error that says what to show (the core's and the
// console's refusals).
type codedError interface {
	ErrorCode() string
	SafeMessage() string
}

// fail renders an error page: the message of a coded error with its
// status, anything else as a 500 without detail (logged).
func (s *Server) fail(w http.ResponseWriter, r *http.Request, p console.Principal, err error) {
	status, msg, code := http.StatusInternalServerError, "Something went wrong. The error is in the server log.", "CONSOLE_INTERNAL"
	var ce codedError
	if errors.As(err, &ce) {
		code, msg, status = ce.ErrorCode(), ce.SafeMessage(), http.StatusBadRequest
		var sc interface{ StatusCode() int }
		if errors.As(err, &sc) && sc.StatusCode() >= 400 {
			status = sc.StatusCode()
		}
		if status >= 500 {
			s.log.Error("console", "path", r.URL.Path, "err", err)
		}
	} else {
		s.log.Error("console", "path", r.URL.Path, "err", err)
	}
	if status == http.StatusUnauthorized && r.Method == http.MethodPost && code == console.ErrNoSession.Code {
		status = http.StatusForbidden
	}
	s.render(w, r, status, "error", p, map[string]any{"Code": code, "Message": msg, "Status": status})
}

// done redirects after a successful change (POST-redirect-GET).
func done(w http.ResponseWriter, r *http.Request, path string) {
	http.Redirect(w, r, path, http.StatusSeeOther)
}

// page is the data every template gets.
type page struct {
	Title  string
	Nav    string
	User   *domain.ConsoleUser
	CSRF   string
	CanChg bool
	Admin  bool
	Data   any
	Now    time.Time
	// Refresh asks browsers without JavaScript to reload the page every
	// few seconds (a live view's fallback).
	Refresh bool
}

// render executes a page template.
func (s *Server) render(w http.ResponseWriter, _ *http.Request, status int, name string, p console.Principal, data any) {
	t, ok := s.pages[name]
	if !ok {
		http.Error(w, "no such page", http.StatusInternalServerError)
		return
	}
	pg := page{Title: titles[name], Nav: navOf[name], Data: data, Now: s.c.Now()}
	if lr, ok := data.(interface{ LiveRefresh() bool }); ok {
		pg.Refresh = lr.LiveRefresh()
	}
	if p.User.ID != 0 {
		u := p.User
		pg.User, pg.CSRF, pg.CanChg, pg.Admin = &u, p.CSRFToken(), p.Can(console.Change), p.Can(console.ManageUsers)
	}
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, "layout", pg); err != nil {
		s.log.Error("console: render", "page", name, "err", err)
		http.Error(w, "render failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = fmt.Fprint(w, b.String())
}
