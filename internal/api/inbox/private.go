package inbox

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mauth/mauth/internal/api/render"
	pushinbox "github.com/mauth/mauth/internal/push/inbox"
)

// Paths of the push server's inbox API.
const (
	MessagesPath       = "/inbox/messages"
	ListPath           = "/inbox/messages/list"
	CountPath          = "/inbox/messages/count"
	DetailPath         = "/inbox/messages/detail"
	ReadPath           = "/inbox/messages/read"
	ReadAllPath        = "/inbox/messages/read-all"
	privatePathsPrefix = "/inbox/"
)

// Error codes of the push server's inbox API.
const (
	CodeGeneric         = "ERROR_GENERIC"
	CodeRequest         = "ERROR_REQUEST"
	CodeMessageNotFound = "ERROR_MESSAGE_NOT_FOUND"
	CodeAppNotFound     = "ERROR_APP_NOT_FOUND"
	// CodeAuthentication is the answer to missing or wrong integration
	// credentials (the same code as /rest/v3).
	CodeAuthentication = "ERR_AUTHENTICATION"
)

var (
	failMessageNotFound = render.APIError{Status: http.StatusBadRequest, Code: CodeMessageNotFound, Message: "Inbox message not found."}
	failAppNotFound     = render.APIError{Status: http.StatusBadRequest, Code: CodeAppNotFound, Message: "Application not found."}
	failPrivateInternal = render.APIError{Status: http.StatusInternalServerError, Code: CodeGeneric, Message: "Unknown error occurred."}
	failBadRequest      = render.APIError{Status: http.StatusBadRequest, Code: CodeRequest, Message: "Invalid request."}
)

// Authenticate checks an integration's HTTP Basic credentials and returns
// the scope it acts in.
type Authenticate func(ctx context.Context, clientToken, clientSecret string) (pushinbox.Scope, bool)

// PrivateOptions configure the push server's inbox API.
type PrivateOptions struct {
	// Inbox is the inbox (required).
	Inbox Inbox
	// Authenticate checks integration credentials; nil: access is not
	// restricted and every caller acts on every application.
	Authenticate Authenticate
	// Logger receives rejected requests and internal errors.
	Logger *slog.Logger
}

// Private serves the push server's inbox API.
type Private struct {
	opts PrivateOptions
	log  *slog.Logger
	mux  *http.ServeMux
}

// NewPrivate builds the push server's inbox API; it panics without an Inbox.
func NewPrivate(opts PrivateOptions) *Private {
	if opts.Inbox == nil {
		panic("inbox: PrivateOptions.Inbox is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	p := &Private{opts: opts, log: opts.Logger, mux: http.NewServeMux()}
	p.mux.Handle(MessagesPath, render.AllowMethods(p.serve(p.create, render.OK), http.MethodPost))
	p.mux.Handle(ListPath, render.AllowMethods(p.serve(p.list, writePage), http.MethodGet))
	p.mux.Handle(CountPath, render.AllowMethods(p.serve(p.count, render.OK), http.MethodGet))
	p.mux.Handle(DetailPath, render.AllowMethods(p.serve(p.detail, render.OK), http.MethodGet))
	p.mux.Handle(ReadPath, render.AllowMethods(p.serve(p.read, render.OK), http.MethodPost))
	p.mux.Handle(ReadAllPath, render.AllowMethods(p.serve(p.readAll, render.OK), http.MethodPost))
	p.mux.HandleFunc("/", render.NotFound)
	return p
}

// Owns reports whether a path belongs to this API (the private listener
// routes /inbox/… here).
func Owns(path string) bool {
	return path == MessagesPath || strings.HasPrefix(path, privatePathsPrefix)
}

// Handler returns the API behind integration authentication; the audit
// log names the caller "push-api:<client token>".
func (p *Private) Handler() http.Handler {
	return render.WithRequestInfo("push-api", p.handler())
}

func (p *Private) handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scope := pushinbox.Scope{All: true}
		if p.opts.Authenticate != nil {
			token, secret, ok := r.BasicAuth()
			if ok {
				scope, ok = p.opts.Authenticate(r.Context(), token, secret)
			}
			if !ok {
				w.Header().Set("WWW-Authenticate", `Basic realm="mauth"`)
				render.ErrorResponse(w, http.StatusUnauthorized, render.ErrorObject{Code: CodeAuthentication, Message: "Authentication failed"})
				return
			}
		}
		inner := r.WithContext(context.WithValue(r.Context(), scopeKey{}, scope))
		p.mux.ServeHTTP(w, inner)
		r.Pattern = inner.Pattern
	})
}

type scopeKey struct{}

func scopeOf(r *http.Request) pushinbox.Scope {
	s, _ := r.Context().Value(scopeKey{}).(pushinbox.Scope)
	return s
}

// paged is an answer with its page number and size next to the envelope.
type paged struct {
	items      any
	page, size int
}

// writePage writes {"status":"OK","responseObject":[…],"page":n,"size":n}.
func writePage(w http.ResponseWriter, answer any) {
	pg := answer.(paged)
	render.JSON(w, http.StatusOK, struct {
		Status         string `json:"status"`
		ResponseObject any    `json:"responseObject"`
		Page           int    `json:"page"`
		Size           int    `json:"size"`
	}{"OK", pg.items, pg.page, pg.size})
}

// violation is one invalid field of an ERROR_REQUEST answer.
type violation struct {
	FieldName    string `json:"fieldName"`
	InvalidValue string `json:"invalidValue"`
	Hint         string `json:"hint"`
}

// serve adapts an endpoint with the push server's error answers.
func (p *Private) serve(fn render.Endpoint, write render.Writer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		answer, err := fn(r)
		if err == nil {
			write(w, answer)
			return
		}
		var ve *pushinbox.ValidationError
		switch {
		case errors.As(err, &ve):
			vs := make([]violation, len(ve.Violations))
			for i, v := range ve.Violations {
				vs[i] = violation{FieldName: v.Field, InvalidValue: v.Value, Hint: v.Hint}
			}
			p.log.InfoContext(r.Context(), "request rejected", "path", r.URL.Path, "code", CodeRequest, "reason", err.Error())
			render.JSON(w, http.StatusBadRequest, struct {
				Status         string `json:"status"`
				ResponseObject any    `json:"responseObject"`
			}{"ERROR", struct {
				Code       string      `json:"code"`
				Message    string      `json:"message"`
				Violations []violation `json:"violations"`
			}{CodeRequest, "Invalid method parameter value", vs}})
		case errors.Is(err, pushinbox.ErrMessageNotFound):
			render.ErrorWith(w, r, p.log, failMessageNotFound.With(err), failPrivateInternal)
		case errors.Is(err, pushinbox.ErrAppNotFound):
			render.ErrorWith(w, r, p.log, failAppNotFound.With(err), failPrivateInternal)
		default:
			render.ErrorWith(w, r, p.log, err, failPrivateInternal)
		}
	})
}

// decode reads the requestObject of a POST body.
func decode(r *http.Request, dst any) error {
	if err := render.DecodeRequest(r, dst); err != nil {
		var ve *render.ValidationError
		if errors.As(err, &ve) {
			vs := make([]pushinbox.Violation, 0, len(ve.Fields))
			for f, reason := range ve.Fields {
				vs = append(vs, pushinbox.Violation{Field: f, Hint: reason})
			}
			return &pushinbox.ValidationError{Violations: vs}
		}
		return failBadRequest.Withf("decode request: %w", err)
	}
	return nil
}

// CreateRequest is the request object of POST /inbox/messages.
type CreateRequest struct {
	UserID       string   `json:"userId"`
	Type         string   `json:"type"`
	Subject      string   `json:"subject"`
	Summary      string   `json:"summary"`
	Body         string   `json:"body"`
	Applications []string `json:"applications"`
	// Notify (a mauth extension) pushes a notification to the user's
	// devices in each application.
	Notify bool `json:"notify"`
}

// MessageDetail is a message as the push server API answers it.
type MessageDetail struct {
	ID               string     `json:"id"`
	UserID           string     `json:"userId"`
	Type             string     `json:"type"`
	Subject          string     `json:"subject"`
	Summary          string     `json:"summary"`
	Body             string     `json:"body"`
	Read             bool       `json:"read"`
	TimestampCreated *time.Time `json:"timestampCreated"`
	TimestampRead    *time.Time `json:"timestampRead"`
	Applications     []string   `json:"applications"`
}

// MessageSummary is a message in a list.
type MessageSummary struct {
	ID               string     `json:"id"`
	Type             string     `json:"type"`
	Subject          string     `json:"subject"`
	Summary          string     `json:"summary"`
	Read             bool       `json:"read"`
	TimestampCreated *time.Time `json:"timestampCreated"`
}

func detailOf(m pushinbox.Message) MessageDetail {
	return MessageDetail{
		ID: m.ID, UserID: m.UserID, Type: m.Type, Subject: m.Subject, Summary: m.Summary, Body: m.Body, Read: m.Read(),
		TimestampCreated: timestamp(m.Created), TimestampRead: timestamp(m.ReadAt), Applications: m.Applications,
	}
}

func (p *Private) create(r *http.Request) (any, error) {
	var req CreateRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	m, err := p.opts.Inbox.Create(r.Context(), scopeOf(r), pushinbox.NewMessage{
		UserID: req.UserID, Type: req.Type, Subject: req.Subject, Summary: req.Summary, Body: req.Body,
		Applications: req.Applications, Notify: req.Notify,
	})
	if err != nil {
		return nil, err
	}
	return detailOf(m), nil
}

// queryInt reads an optional integer query parameter.
func queryInt(q map[string][]string, name string, vs *[]pushinbox.Violation) int {
	raw := ""
	if v := q[name]; len(v) > 0 {
		raw = v[0]
	}
	if raw == "" {
		return 0
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 0 {
		*vs = append(*vs, pushinbox.Violation{Field: name, Value: raw, Hint: "must be a non-negative integer"})
		return 0
	}
	return n
}

func (p *Private) list(r *http.Request) (any, error) {
	q := r.URL.Query()
	var vs []pushinbox.Violation
	page, size := queryInt(q, "page", &vs), queryInt(q, "size", &vs)
	onlyUnread := false
	if raw := q.Get("onlyUnread"); raw != "" {
		b, err := strconv.ParseBool(raw)
		if err != nil {
			vs = append(vs, pushinbox.Violation{Field: "onlyUnread", Value: raw, Hint: "must be true or false"})
		}
		onlyUnread = b
	}
	if len(vs) > 0 {
		return nil, &pushinbox.ValidationError{Violations: vs}
	}
	var apps []string
	if raw := q.Get("applications"); raw != "" {
		apps = strings.Split(raw, ",")
	}
	if size == 0 {
		size = pushinbox.DefaultPageSize
	}
	ms, err := p.opts.Inbox.List(r.Context(), scopeOf(r), pushinbox.ListQuery{UserID: q.Get("userId"), Applications: apps, OnlyUnread: onlyUnread, Page: page, Size: size})
	if err != nil {
		return nil, err
	}
	items := make([]MessageSummary, len(ms))
	for i, m := range ms {
		items[i] = MessageSummary{ID: m.ID, Type: m.Type, Subject: m.Subject, Summary: m.Summary, Read: m.Read(), TimestampCreated: timestamp(m.Created)}
	}
	return paged{items: items, page: page, size: size}, nil
}

// Count is the answer of the count endpoints.
type Count struct {
	CountUnread int64 `json:"countUnread"`
}

func (p *Private) count(r *http.Request) (any, error) {
	q := r.URL.Query()
	if q.Get("appId") == "" {
		return nil, &pushinbox.ValidationError{Violations: []pushinbox.Violation{{Field: "appId", Hint: "must not be blank"}}}
	}
	n, err := p.opts.Inbox.CountUnread(r.Context(), scopeOf(r), q.Get("userId"), q.Get("appId"))
	if err != nil {
		return nil, err
	}
	return Count{CountUnread: n}, nil
}

func (p *Private) detail(r *http.Request) (any, error) {
	m, err := p.opts.Inbox.Detail(r.Context(), scopeOf(r), r.URL.Query().Get("id"))
	if err != nil {
		return nil, err
	}
	return detailOf(m), nil
}

// ReadRequest is the request object of POST /inbox/messages/read.
type ReadRequest struct {
	InboxID string `json:"inboxId"`
}

func (p *Private) read(r *http.Request) (any, error) {
	var req ReadRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	m, err := p.opts.Inbox.Read(r.Context(), scopeOf(r), req.InboxID)
	if err != nil {
		return nil, err
	}
	return detailOf(m), nil
}

// ReadAllRequest is the request object of POST /inbox/messages/read-all.
type ReadAllRequest struct {
	UserID string `json:"userId"`
	AppID  string `json:"appId"`
}

func (p *Private) readAll(r *http.Request) (any, error) {
	var req ReadAllRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if req.AppID == "" {
		return nil, &pushinbox.ValidationError{Violations: []pushinbox.Violation{{Field: "appId", Hint: "must not be blank"}}}
	}
	if _, err := p.opts.Inbox.ReadAll(r.Context(), scopeOf(r), req.UserID, req.AppID); err != nil {
		return nil, err
	}
	return nil, nil
}
