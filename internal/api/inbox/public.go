package inbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/mauth/mauth/internal/api/render"
	"github.com/mauth/mauth/internal/deviceauth"
	pushinbox "github.com/mauth/mauth/internal/push/inbox"
	"github.com/mauth/mauth/wire"
)

// Error codes of the phone's inbox API (the enrollment server's dialect).
const (
	CodeInboxFailed        = "INBOX_FAILED"
	CodeInvalidRequest     = deviceauth.CodeInvalidRequest
	CodePublicGeneric      = "ERROR_GENERIC"
	inboxFailedDescription = "Unable to process inbox request."
)

var (
	failInbox          = render.APIError{Status: http.StatusBadRequest, Code: CodeInboxFailed, Message: inboxFailedDescription}
	failPublicInternal = render.APIError{Status: http.StatusInternalServerError, Code: CodePublicGeneric, Message: "Unknown error occurred."}
)

// PublicOptions configure the phone's inbox API.
type PublicOptions struct {
	// Middleware are the public API's request guards (required).
	Middleware deviceauth.Guards
	// Inbox is the inbox (required).
	Inbox Inbox
	// Logger receives rejected requests.
	Logger *slog.Logger
	// MaxBodyBytes limits request bodies (default deviceauth.DefaultMaxBodyBytes).
	MaxBodyBytes int64
}

// Public serves the phone's inbox API.
type Public struct {
	opts PublicOptions
	log  *slog.Logger
}

// NewPublic builds the phone's inbox API; it panics without Middleware or Inbox.
func NewPublic(opts PublicOptions) *Public {
	if opts.Middleware == nil || opts.Inbox == nil {
		panic("inbox: PublicOptions.Middleware and PublicOptions.Inbox are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Public{opts: opts, log: opts.Logger}
}

// Register mounts the endpoints on mux (POST only, MAC token of any
// factor combination with possession).
func (p *Public) Register(mux *http.ServeMux) {
	guard := deviceauth.Guard{
		Middleware:   []func(http.Handler) http.Handler{p.opts.Middleware.RequireToken(deviceauth.PossessionTypes...)},
		MaxBodyBytes: p.opts.MaxBodyBytes, Logger: p.log,
	}
	for path, fn := range map[string]deviceEndpoint{
		wire.InboxCountPath:   p.count,
		wire.InboxDetailPath:  p.detail,
		wire.InboxReadPath:    p.read,
		wire.InboxReadAllPath: p.readAll,
	} {
		mux.Handle(path, render.AllowMethods(guard.Wrap(render.Serve(p.log, failPublicInternal, render.OK, p.device(fn))), http.MethodPost))
	}
	mux.Handle(wire.InboxListPath, render.AllowMethods(guard.Wrap(render.Serve(p.log, failPublicInternal, writePage, p.device(p.list))), http.MethodPost))
}

// deviceEndpoint is an endpoint of the authenticated device in its scope.
type deviceEndpoint func(r *http.Request, a *deviceauth.Auth, scope pushinbox.Scope) (any, error)

// device resolves the device's scope before fn and maps the inbox's
// errors to INBOX_FAILED.
func (p *Public) device(fn deviceEndpoint) render.Endpoint {
	return func(r *http.Request) (any, error) {
		a, ok := deviceauth.AuthFromContext(r.Context())
		if !ok {
			return nil, errors.New("inbox: no authenticated device")
		}
		scope, err := p.opts.Inbox.DeviceScope(r.Context(), a.ApplicationID, a.UserID)
		if err != nil {
			return nil, inboxError(err)
		}
		answer, err := fn(r, a, scope)
		if err != nil {
			return nil, inboxError(err)
		}
		return answer, nil
	}
}

// inboxError maps the inbox's refusals to INBOX_FAILED (a message of
// another user or application answers like a missing one); an unreadable
// request stays INVALID_REQUEST, anything else is internal.
func inboxError(err error) error {
	var ce render.CodedError
	var ve *pushinbox.ValidationError
	switch {
	case errors.As(err, &ce):
		return err
	case errors.As(err, &ve), errors.Is(err, pushinbox.ErrMessageNotFound), errors.Is(err, pushinbox.ErrAppNotFound):
		return failInbox.With(err)
	}
	return err
}

// decodeObject reads an optional {"requestObject": {…}} body; an empty
// body or object leaves dst at its zero value.
func decodeObject(r *http.Request, dst any) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return deviceauth.FailInvalidRequest.Withf("read body: %w", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	var env struct {
		RequestObject json.RawMessage `json:"requestObject"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return deviceauth.FailInvalidRequest.Withf("body is not JSON: %w", err)
	}
	if len(env.RequestObject) == 0 || string(env.RequestObject) == "null" {
		return nil
	}
	if err := json.Unmarshal(env.RequestObject, dst); err != nil {
		return deviceauth.FailInvalidRequest.Withf("requestObject: %w", err)
	}
	return nil
}

// count answers the number of unread messages (the body is ignored).
func (p *Public) count(r *http.Request, a *deviceauth.Auth, scope pushinbox.Scope) (any, error) {
	n, err := p.opts.Inbox.CountUnread(r.Context(), scope, a.UserID, a.ApplicationID)
	if err != nil {
		return nil, err
	}
	return wire.InboxCount{CountUnread: n}, nil
}

// list answers a page of messages.
func (p *Public) list(r *http.Request, a *deviceauth.Auth, scope pushinbox.Scope) (any, error) {
	var req wire.InboxListRequest
	if err := decodeObject(r, &req); err != nil {
		return nil, err
	}
	if req.Page < 0 || req.Size < 0 || req.Size > pushinbox.MaxPageSize {
		return nil, deviceauth.FailInvalidRequest.Withf("page %d, size %d out of range", req.Page, req.Size)
	}
	size := req.Size
	if size == 0 {
		size = pushinbox.DefaultPageSize
	}
	ms, err := p.opts.Inbox.List(r.Context(), scope, pushinbox.ListQuery{
		UserID: a.UserID, Applications: []string{a.ApplicationID}, OnlyUnread: req.OnlyUnread, Page: req.Page, Size: size,
	})
	if err != nil {
		return nil, err
	}
	items := make([]wire.InboxMessage, len(ms))
	for i, m := range ms {
		items[i] = wire.InboxMessage{ID: m.ID, Type: m.Type, Subject: m.Subject, Summary: m.Summary, Read: m.Read(), TimestampCreated: m.Created.UTC()}
	}
	return paged{items: items, page: req.Page, size: size}, nil
}

// messageID reads the id of a detail or read request.
func messageID(r *http.Request) (string, error) {
	var req wire.InboxMessageRequest
	if err := decodeObject(r, &req); err != nil {
		return "", err
	}
	if req.ID == "" {
		return "", deviceauth.FailInvalidRequest.Withf("id is missing")
	}
	return req.ID, nil
}

// detail answers one message with its body.
func (p *Public) detail(r *http.Request, _ *deviceauth.Auth, scope pushinbox.Scope) (any, error) {
	id, err := messageID(r)
	if err != nil {
		return nil, err
	}
	m, err := p.opts.Inbox.Detail(r.Context(), scope, id)
	if err != nil {
		return nil, err
	}
	return wire.InboxMessageDetail{ID: m.ID, Type: m.Type, Subject: m.Subject, Summary: m.Summary, Body: m.Body, Read: m.Read(), TimestampCreated: m.Created.UTC()}, nil
}

// read marks one message read.
func (p *Public) read(r *http.Request, _ *deviceauth.Auth, scope pushinbox.Scope) (any, error) {
	id, err := messageID(r)
	if err != nil {
		return nil, err
	}
	if _, err := p.opts.Inbox.Read(r.Context(), scope, id); err != nil {
		return nil, err
	}
	return nil, nil
}

// readAll marks every message of the device's user and application read
// (the body is ignored).
func (p *Public) readAll(r *http.Request, a *deviceauth.Auth, scope pushinbox.Scope) (any, error) {
	if _, err := p.opts.Inbox.ReadAll(r.Context(), scope, a.UserID, a.ApplicationID); err != nil {
		return nil, err
	}
	return nil, nil
}
