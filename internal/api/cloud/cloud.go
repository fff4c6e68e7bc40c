package cloud

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/mauth/mauth/internal/api/render"
	cloudsvc "github.com/mauth/mauth/internal/cloud"
	"github.com/mauth/mauth/internal/domain"
)

// Prefix is the base path of the Cloud API.
const Prefix = "/powerauth-cloud"

// MaxBodyBytes bounds request bodies.
const MaxBodyBytes = 64 << 10

// Cloud is what the surface needs from the vertical (*cloud.Service).
type Cloud interface {
	AuthenticatePassword(ctx context.Context, username, password, ip string) (cloudsvc.Principal, error)
	AuthenticateBearer(ctx context.Context, token string) (cloudsvc.Principal, error)
	IssueToken(ctx context.Context, username, password, ip string) (cloudsvc.IssuedToken, error)
	ServiceBaseURL() string

	CreateApplication(ctx context.Context, name string, roles []string) (cloudsvc.Application, error)
	GetApplication(ctx context.Context, p cloudsvc.Principal, name string) (cloudsvc.Application, error)
	ListApplications(ctx context.Context) ([]cloudsvc.Application, error)
	SetPushCredentials(ctx context.Context, p cloudsvc.Principal, application string, req cloudsvc.PushCredentialsRequest) (cloudsvc.PushSettings, error)
	GetPushSettings(ctx context.Context, p cloudsvc.Principal, application string) (cloudsvc.PushSettings, error)
	RemovePushCredentials(ctx context.Context, p cloudsvc.Principal, application, platform string) error
	SendMessage(ctx context.Context, p cloudsvc.Principal, req cloudsvc.SendMessageRequest) error

	CreateUser(ctx context.Context, username string, role domain.CloudRole) (cloudsvc.User, error)
	GetUser(ctx context.Context, username string) (cloudsvc.User, error)
	ListUsers(ctx context.Context) ([]cloudsvc.User, error)
	SetUserEnabled(ctx context.Context, username string, enabled bool) (cloudsvc.User, error)
	DeleteUser(ctx context.Context, username string) error
	Grant(ctx context.Context, username, application string, grant bool) (cloudsvc.User, error)

	CreateTemplate(ctx context.Context, in cloudsvc.TemplateInput) (domain.OperationTemplate, error)
	ListTemplates(ctx context.Context) ([]domain.OperationTemplate, error)
	RemoveTemplate(ctx context.Context, name string) error
	PutLocalization(ctx context.Context, l domain.CloudLocalization) (domain.CloudLocalization, error)
	ListLocalizations(ctx context.Context, template string) ([]domain.CloudLocalization, error)
	DeleteLocalization(ctx context.Context, template, language string) error

	CreateCallback(ctx context.Context, p cloudsvc.Principal, application, name, typ, url string) (cloudsvc.Callback, error)
	ListCallbacks(ctx context.Context, p cloudsvc.Principal, application string) ([]cloudsvc.Callback, error)
	RemoveCallback(ctx context.Context, p cloudsvc.Principal, application, id string) error

	CreateRegistration(ctx context.Context, p cloudsvc.Principal, req cloudsvc.CreateRegistrationRequest) (cloudsvc.CreatedRegistration, error)
	GetRegistration(ctx context.Context, p cloudsvc.Principal, id string) (cloudsvc.Registration, error)
	ListRegistrations(ctx context.Context, p cloudsvc.Principal, userID, appID string) ([]cloudsvc.Registration, error)
	CommitRegistration(ctx context.Context, p cloudsvc.Principal, id, externalUserID, otp string) error
	ChangeRegistration(ctx context.Context, p cloudsvc.Principal, id, change, reason, externalUserID string) error
	DeleteRegistration(ctx context.Context, p cloudsvc.Principal, id, externalUserID string) error

	CreateOperation(ctx context.Context, p cloudsvc.Principal, req cloudsvc.CreateOperationRequest) (cloudsvc.LocalizedOperation, error)
	GetOperation(ctx context.Context, p cloudsvc.Principal, id, lang string) (cloudsvc.LocalizedOperation, error)
	CancelOperation(ctx context.Context, p cloudsvc.Principal, id, reason string) (cloudsvc.Operation, error)
	ListOperations(ctx context.Context, p cloudsvc.Principal, userID, appID, lang string, pendingOnly bool) ([]cloudsvc.LocalizedOperation, error)
	OperationOfflineQR(ctx context.Context, p cloudsvc.Principal, id, registrationID, lang string) (cloudsvc.OfflineQR, error)
	VerifyOfflineOTP(ctx context.Context, p cloudsvc.Principal, id, registrationID, nonce, otp string) (cloudsvc.OfflineResult, error)

	VerifySignature(ctx context.Context, p cloudsvc.Principal, req cloudsvc.VerifySignatureRequest) (cloudsvc.Verdict, error)
	VerifyToken(ctx context.Context, p cloudsvc.Principal, authHeader string) (cloudsvc.Verdict, error)
}

// Options configure the surface.
type Options struct {
	// Logger receives rejected and failed requests (never secrets).
	Logger *slog.Logger
}

// Server serves the Cloud API.
type Server struct {
	c   Cloud
	log *slog.Logger
	mux *http.ServeMux
}

// failInternal is the answer to an internal failure.
var failInternal = render.APIError{Status: http.StatusInternalServerError, Code: cloudsvc.CodeGeneric, Message: "Internal error."}

// New builds the surface over the vertical.
func New(c Cloud, opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{c: c, log: opts.Logger, mux: http.NewServeMux()}
	s.routes()
	return s
}

// Handler returns the HTTP handler (paths start with Prefix).
func (s *Server) Handler() http.Handler { return render.WithRequestInfo("cloud-api", s.mux) }

// principalKey carries the authenticated user in the request context.
type principalKey struct{}

func principalOf(r *http.Request) cloudsvc.Principal {
	p, _ := r.Context().Value(principalKey{}).(cloudsvc.Principal)
	return p
}

// endpoint is a handler of an authenticated call.
type endpoint func(r *http.Request, p cloudsvc.Principal) (any, error)

// access is who may call an endpoint.
type access int

const (
	anyUser access = iota // ROLE_USER or ROLE_ADMIN
	adminOnly
)

// handle registers an authenticated endpoint.
func (s *Server) handle(pattern string, who access, fn endpoint) {
	method, path, _ := strings.Cut(pattern, " ")
	s.mux.Handle(method+" "+Prefix+path, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.authenticate(r)
		if err == nil && who == adminOnly && !p.Admin() {
			err = cloudsvc.Forbidden("ROLE_ADMIN is required")
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		answer, err := fn(r, p)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if answer == nil {
			answer = statusOK
		}
		render.JSON(w, http.StatusOK, answer)
	}))
}

// statusOK is the answer of a change without other data.
var statusOK = map[string]string{"status": "OK"}

// fail renders an error (with Retry-After and WWW-Authenticate where due).
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ce *cloudsvc.Error
	if errors.As(err, &ce) {
		switch {
		case ce.RetryAfter > 0:
			w.Header().Set("Retry-After", strconv.Itoa(ce.RetryAfter))
		case ce.Status == http.StatusUnauthorized:
			w.Header().Set("WWW-Authenticate", `Basic realm="powerauth-cloud", Bearer realm="powerauth-cloud"`)
		}
	}
	render.ErrorWith(w, r, s.log, err, failInternal)
}

// clientIP is the caller's address as the request info recorded it.
func clientIP(r *http.Request) string { return domain.RequestInfoOf(r.Context()).IP }

// authenticate checks the Authorization header: Basic or Bearer.
func (s *Server) authenticate(r *http.Request) (cloudsvc.Principal, error) {
	h := r.Header.Get("Authorization")
	if scheme, token, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") {
		return s.c.AuthenticateBearer(r.Context(), strings.TrimSpace(token))
	}
	user, pass, ok := r.BasicAuth()
	if !ok || user == "" {
		return cloudsvc.Principal{}, cloudsvc.Unauthorized()
	}
	return s.c.AuthenticatePassword(r.Context(), user, pass, clientIP(r))
}

// decode reads a JSON body into dst: a single object, no unknown fields,
// at most MaxBodyBytes. An empty body is allowed when emptyOK.
func decode(r *http.Request, dst any, emptyOK bool) error {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, MaxBodyBytes))
	if err != nil {
		return cloudsvc.BadRequest("request body must be at most %d bytes", MaxBodyBytes)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if emptyOK {
			return nil
		}
		return cloudsvc.BadRequest("request body must be a JSON object")
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.DisallowUnknownFields()
	if err := d.Decode(dst); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te) && te.Field != "":
			return cloudsvc.BadRequest("%s - wrong type", te.Field)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return cloudsvc.BadRequest("unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
		}
		return cloudsvc.BadRequest("request body must be a JSON object")
	}
	if d.More() {
		return cloudsvc.BadRequest("request body must be one JSON object")
	}
	return nil
}

// required reports the first blank required field.
func required(fields ...string) error {
	for i := 0; i+1 < len(fields); i += 2 {
		if strings.TrimSpace(fields[i+1]) == "" {
			return cloudsvc.BadRequest("%s - must not be blank", fields[i])
		}
	}
	return nil
}

// queryBool reads an optional boolean query parameter.
func queryBool(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, cloudsvc.BadRequest("%s - must be true or false", name)
	}
	return b, nil
}

// routes registers every endpoint.
func (s *Server) routes() {
	s.mux.HandleFunc("POST "+Prefix+"/oauth2/token", s.token)

	s.handle("POST /admin/applications", adminOnly, s.createApplication)
	s.handle("GET /admin/applications", adminOnly, s.listApplications)
	s.handle("GET /admin/applications/{appId}", adminOnly, s.getApplication)
	s.handle("POST /admin/applications/{appId}/push", adminOnly, s.setPushCredentials)
	s.handle("GET /admin/applications/{appId}/push", adminOnly, s.getPushSettings)
	s.handle("DELETE /admin/applications/{appId}/push/{platform}", adminOnly, s.removePushCredentials)
	s.handle("POST /admin/users", adminOnly, s.createUser)
	s.handle("GET /admin/users", adminOnly, s.listUsers)
	s.handle("GET /admin/users/{username}", adminOnly, s.getUser)
	s.handle("PUT /admin/users/{username}", adminOnly, s.updateUser)
	s.handle("DELETE /admin/users/{username}", adminOnly, s.deleteUser)
	s.handle("POST /admin/users/{username}/applications/{appId}", adminOnly, s.grant(true))
	s.handle("DELETE /admin/users/{username}/applications/{appId}", adminOnly, s.grant(false))
	s.handle("POST /admin/templates", adminOnly, s.createTemplate)
	s.handle("GET /admin/templates", adminOnly, s.listTemplates)
	s.handle("DELETE /admin/templates/{name}", adminOnly, s.removeTemplate)
	s.handle("GET /admin/templates/{name}/localizations", adminOnly, s.listLocalizations)
	s.handle("PUT /admin/templates/{name}/localizations/{language}", adminOnly, s.putLocalization)
	s.handle("DELETE /admin/templates/{name}/localizations/{language}", adminOnly, s.deleteLocalization)

	// Callbacks: the reference's load tests call them with an
	// integration user's credentials, so a ROLE_USER granted the
	// application may manage them too.
	s.handle("POST /v2/admin/applications/{appId}/callbacks", anyUser, s.createCallback)
	// The path some versions of the reference's load tests call.
	s.handle("POST /v2/admin/operations/{appId}/callbacks", anyUser, s.createCallback)
	s.handle("GET /v2/admin/applications/{appId}/callbacks", anyUser, s.listCallbacks)
	s.handle("DELETE /v2/admin/applications/{appId}/callbacks/{id}", anyUser, s.removeCallback)

	s.handle("POST /v2/registrations", anyUser, s.createRegistration)
	s.handle("GET /v2/registrations", anyUser, s.listRegistrations)
	s.handle("GET /v2/registrations/{id}", anyUser, s.getRegistration)
	s.handle("PUT /v2/registrations/{id}", anyUser, s.changeRegistration)
	s.handle("DELETE /v2/registrations/{id}", anyUser, s.deleteRegistration)
	s.handle("POST /v2/registrations/{id}/commit", anyUser, s.commitRegistration)

	s.handle("POST /v2/operations", anyUser, s.createOperation)
	s.handle("GET /v2/operations", anyUser, s.listOperations)
	s.handle("GET /v2/operations/{id}", anyUser, s.getOperation)
	s.handle("DELETE /v2/operations/{id}", anyUser, s.cancelOperation)
	s.handle("GET /v2/operations/{id}/offline/qr", anyUser, s.offlineQR)
	s.handle("POST /v2/operations/{id}/offline/otp", anyUser, s.offlineOTP)

	s.handle("POST /v2/messages/send", anyUser, s.sendMessage)

	s.handle("POST /v2/signature/verify", anyUser, s.verifySignature)
	s.handle("POST /v2/token/verify", anyUser, s.verifyToken)

	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		render.ErrorResponse(w, http.StatusNotFound, render.ErrorObject{Code: cloudsvc.CodeNotFound, Message: "Resource not found."})
	})
}

// token is the OAuth 2.0 token endpoint (client credentials grant, RFC
// 6749 §4.4): client authentication with HTTP Basic or the client_id and
// client_secret form fields; errors in the RFC's JSON form.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	oauthError := func(status int, code, desc string) {
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Basic realm="powerauth-cloud"`)
		}
		render.JSON(w, status, map[string]string{"error": code, "error_description": desc})
	}
	if err := r.ParseForm(); err != nil {
		oauthError(http.StatusBadRequest, "invalid_request", "the body must be form-encoded")
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != "client_credentials" {
		oauthError(http.StatusBadRequest, "unsupported_grant_type", "only client_credentials is supported")
		return
	}
	user, pass, ok := r.BasicAuth()
	if !ok {
		user, pass = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if user == "" {
		oauthError(http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return
	}
	tok, err := s.c.IssueToken(r.Context(), user, pass, clientIP(r))
	var ce *cloudsvc.Error
	switch {
	case errors.As(err, &ce) && ce.RetryAfter > 0:
		w.Header().Set("Retry-After", strconv.Itoa(ce.RetryAfter))
		oauthError(http.StatusTooManyRequests, "invalid_client", "too many failed logins")
	case errors.As(err, &ce) && ce.Status == http.StatusUnauthorized:
		oauthError(http.StatusUnauthorized, "invalid_client", "client authentication failed")
	case err != nil:
		s.log.ErrorContext(r.Context(), "token request failed", "error", err)
		oauthError(http.StatusInternalServerError, "server_error", "internal error")
	default:
		render.JSON(w, http.StatusOK, map[string]any{"access_token": tok.AccessToken, "token_type": "Bearer", "expires_in": tok.ExpiresIn})
	}
}
