// Package devices is the self-service device API of the enrollment
// surface: from one of their devices a user lists their devices in the
// application (/api/device/list, MAC token) and blocks or removes another
// of them (/api/device/block, /api/device/remove, a two-factor signature:
// possession with knowledge or biometry, never a token alone). A device
// never sees or acts on another user's or another application's devices:
// those are answered as unknown (404), so their existence does not leak.
package devices

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
	"time"

	"github.com/mauth/mauth/internal/api/render"
	"github.com/mauth/mauth/internal/deviceauth"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/protocol"
	"github.com/mauth/mauth/wire"
)

// Paths and resource ids.
const (
	ListPath       = wire.DeviceListPath
	ActivityPath   = wire.DeviceActivityPath
	BlockPath      = wire.DeviceBlockPath
	RemovePath     = wire.DeviceRemovePath
	ResourceBlock  = wire.DeviceBlockResource
	ResourceRemove = wire.DeviceRemoveResource
)

// Error codes (the Mobile Token API's dialect).
const (
	CodeInvalidRequest = deviceauth.CodeInvalidRequest
	CodeNotFound       = "DEVICE_NOT_FOUND"
	CodeActionFailed   = "DEVICE_ACTION_FAILED"
	CodeGeneric        = "ERROR_GENERIC"
)

var (
	failNotFound = render.APIError{Status: http.StatusNotFound, Code: CodeNotFound, Message: "Device not found."}
	failAction   = render.APIError{Status: http.StatusBadRequest, Code: CodeActionFailed, Message: "The device cannot be changed."}
	failInternal = render.APIError{Status: http.StatusInternalServerError, Code: CodeGeneric, Message: "Unknown error occurred."}
)

// Core is what the API needs from the core (internal/app adapts the
// core service).
type Core interface {
	// UserActivations returns every activation of the user in the
	// application (by name), REMOVED ones included.
	UserActivations(ctx context.Context, userID, applicationName string) ([]domain.Activation, error)
	// BlockActivation blocks an ACTIVE activation (activation/block).
	BlockActivation(ctx context.Context, activationID, reason, externalUserID string) (domain.Activation, error)
	// RemoveActivation removes an activation (activation/remove).
	RemoveActivation(ctx context.Context, activationID, externalUserID string, revokeRecoveryCodes bool) (domain.Activation, error)
	// UserAudit returns the user's audit log entries created in [from,
	// to], newest first, at most limit.
	UserAudit(ctx context.Context, userID string, from, to time.Time, limit int) ([]domain.AuditEntry, error)
}

// BlockedReason is the reason recorded when a user blocks their device.
const BlockedReason = "BLOCKED_BY_USER"

// Options configure the API.
type Options struct {
	// Middleware are the public API's request guards (required).
	Middleware deviceauth.Guards
	// Core lists and changes activations (required).
	Core Core
	// Logger receives rejected requests.
	Logger *slog.Logger
	// MaxBodyBytes limits request bodies (default deviceauth.DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// ActivityPeriod is how far back the activity list reaches (default
	// DefaultActivityPeriod).
	ActivityPeriod time.Duration
	// Now is the clock of the activity period (default time.Now).
	Now func() time.Time
}

// DefaultActivityPeriod is the default reach of the activity list.
const DefaultActivityPeriod = 90 * 24 * time.Hour

// Server serves the API.
type Server struct {
	opts Options
	log  *slog.Logger
}

// New builds the API; it panics without Middleware or Core (wiring mistakes).
func New(opts Options) *Server {
	if opts.Middleware == nil || opts.Core == nil {
		panic("devices: Options.Middleware and Options.Core are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.ActivityPeriod <= 0 {
		opts.ActivityPeriod = DefaultActivityPeriod
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Server{opts: opts, log: opts.Logger}
}

// twoFactor are the signature types that may block or remove a device.
var twoFactor = []protocol.SignatureType{
	protocol.SignaturePossessionKnowledge,
	protocol.SignaturePossessionBiometry,
	protocol.SignaturePossessionKnowledgeBiometry,
}

// Register mounts the endpoints on mux (POST only).
func (s *Server) Register(mux *http.ServeMux) {
	mw := s.opts.Middleware
	guard := func(m func(http.Handler) http.Handler, fn render.Endpoint) http.Handler {
		g := deviceauth.Guard{Middleware: []func(http.Handler) http.Handler{m}, MaxBodyBytes: s.opts.MaxBodyBytes, Logger: s.log}
		return render.AllowMethods(g.Wrap(render.Serve(s.log, failInternal, render.OK, fn)), http.MethodPost)
	}
	mux.Handle(ListPath, guard(mw.RequireToken(deviceauth.PossessionTypes...), s.list))
	mux.Handle(ActivityPath, guard(mw.RequireToken(deviceauth.PossessionTypes...), s.activity))
	mux.Handle(BlockPath, guard(mw.RequireSignature(ResourceBlock, twoFactor...), s.action(s.block)))
	mux.Handle(RemovePath, guard(mw.RequireSignature(ResourceRemove, twoFactor...), s.action(s.remove)))
}

// visible are the states a user sees (a REMOVED activation is gone).
func visible(a domain.Activation) bool {
	return a.Status != domain.ActivationRemoved
}

// list answers the caller's devices in the application.
func (s *Server) list(r *http.Request) (any, error) {
	auth, ok := deviceauth.AuthFromContext(r.Context())
	if !ok {
		return nil, errors.New("devices: no authenticated device")
	}
	acts, err := s.opts.Core.UserActivations(r.Context(), auth.UserID, auth.ApplicationID)
	if err != nil {
		return nil, err
	}
	out := wire.DeviceList{Devices: []wire.Device{}}
	for _, a := range acts {
		if !visible(a) {
			continue
		}
		d := wire.Device{
			ActivationID: a.ActivationID, Name: a.Name, Platform: a.Platform, DeviceInfo: a.DeviceInfo,
			Status: a.Status.String(), Created: a.Created.UTC().Format(time.RFC3339), Current: a.ActivationID == auth.ActivationID,
		}
		if !a.LastUsed.IsZero() {
			d.LastUsed = a.LastUsed.UTC().Format(time.RFC3339)
		}
		out.Devices = append(out.Devices, d)
	}
	return out, nil
}

// action decodes the target of a block or remove request, checks that it
// is another visible device of the caller's user and application, and
// runs fn on it.
func (s *Server) action(fn func(ctx context.Context, activationID string) error) render.Endpoint {
	return func(r *http.Request) (any, error) {
		auth, ok := deviceauth.AuthFromContext(r.Context())
		if !ok {
			return nil, errors.New("devices: no authenticated device")
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, deviceauth.FailInvalidRequest.Withf("read body: %w", err)
		}
		var env struct {
			RequestObject *wire.DeviceAction `json:"requestObject"`
		}
		if len(bytes.TrimSpace(body)) == 0 || json.Unmarshal(body, &env) != nil || env.RequestObject == nil {
			return nil, deviceauth.FailInvalidRequest.Withf("requestObject is missing or malformed")
		}
		target := env.RequestObject.ActivationID
		if strings.TrimSpace(target) == "" || len(target) > 64 {
			return nil, deviceauth.FailInvalidRequest.Withf("activationId is missing or too long")
		}
		if target == auth.ActivationID {
			return nil, deviceauth.FailInvalidRequest.Withf("a device acts on another device; remove this one with /pa/v3/activation/remove")
		}
		acts, err := s.opts.Core.UserActivations(r.Context(), auth.UserID, auth.ApplicationID)
		if err != nil {
			return nil, err
		}
		for _, a := range acts {
			if a.ActivationID == target && visible(a) {
				if err := fn(r.Context(), target); err != nil {
					return nil, failAction.With(err)
				}
				return nil, nil
			}
		}
		return nil, failNotFound.Withf("activation %.64s is not a device of the caller's user and application", target)
	}
}

func (s *Server) block(ctx context.Context, activationID string) error {
	_, err := s.opts.Core.BlockActivation(ctx, activationID, BlockedReason, "")
	return err
}

func (s *Server) remove(ctx context.Context, activationID string) error {
	_, err := s.opts.Core.RemoveActivation(ctx, activationID, "", false)
	return err
}

// Activity page sizes.
const (
	defaultActivitySize = 50
	maxActivitySize     = 100
	// auditBatch is how many audit entries one page reads before filtering.
	auditBatch = 1000
)

// activity answers a page of the user's activity in the caller's
// application: signatures, operation and device state changes from the
// audit log, newest first, within the activity period.
func (s *Server) activity(r *http.Request) (any, error) {
	auth, ok := deviceauth.AuthFromContext(r.Context())
	if !ok {
		return nil, errors.New("devices: no authenticated device")
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, deviceauth.FailInvalidRequest.Withf("read body: %w", err)
	}
	var env struct {
		RequestObject *wire.ActivityRequest `json:"requestObject"`
	}
	if len(bytes.TrimSpace(body)) == 0 || json.Unmarshal(body, &env) != nil {
		return nil, deviceauth.FailInvalidRequest.Withf("the request is not {\"requestObject\": …}")
	}
	req := wire.ActivityRequest{}
	if env.RequestObject != nil {
		req = *env.RequestObject
	}
	size := req.Size
	switch {
	case size == 0:
		size = defaultActivitySize
	case size < 0 || size > maxActivitySize:
		return nil, deviceauth.FailInvalidRequest.Withf("size must be 1 to %d", maxActivitySize)
	}
	now := s.opts.Now()
	from := now.Add(-s.opts.ActivityPeriod)
	cur := cursor{at: now, id: -1}
	if req.Before != "" {
		if cur, err = parseCursor(req.Before); err != nil {
			return nil, deviceauth.FailInvalidRequest.Withf("before is not a cursor of this listing")
		}
	}
	names := map[string]string{}
	acts, err := s.opts.Core.UserActivations(r.Context(), auth.UserID, auth.ApplicationID)
	if err != nil {
		return nil, err
	}
	for _, a := range acts {
		names[a.ActivationID] = a.Name
	}
	out := wire.ActivityPage{Activities: []wire.Activity{}}
	var last cursor
	for !cur.at.Before(from) {
		entries, err := s.opts.Core.UserAudit(r.Context(), auth.UserID, from, cur.at, auditBatch)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if !cur.after(e) {
				continue // on or before the cursor: an earlier page had it
			}
			a, ok := activityOf(e, auth.ApplicationID)
			if !ok {
				continue
			}
			if len(out.Activities) == size {
				out.NextBefore = last.String()
				return out, nil
			}
			a.DeviceName = names[a.ActivationID]
			out.Activities = append(out.Activities, a)
			last = cursor{at: e.Created, id: e.ID}
		}
		if len(entries) < auditBatch {
			break
		}
		end := entries[len(entries)-1]
		if end.Created.Equal(cur.at) && end.ID == cur.id {
			break // a full batch of one instant that was all read already
		}
		cur = cursor{at: end.Created, id: end.ID}
	}
	return out, nil
}

// cursor is a position in the audit log's order (newest first: creation
// time, then id, both descending).
type cursor struct {
	at time.Time
	id int64 // -1: every entry of at
}

// after reports whether e comes after the cursor in the listing order.
func (c cursor) after(e domain.AuditEntry) bool {
	if e.Created.Before(c.at) {
		return true
	}
	return e.Created.Equal(c.at) && (c.id < 0 || e.ID < c.id)
}

// String is the cursor's wire form: RFC 3339 time, "~", id.
func (c cursor) String() string {
	return c.at.UTC().Format(time.RFC3339Nano) + "~" + strconv.FormatInt(c.id, 10)
}

// parseCursor reads a cursor's wire form (untrusted input).
func parseCursor(s string) (cursor, error) {
	ts, id, ok := strings.Cut(s, "~")
	if !ok || len(s) > 64 {
		return cursor{}, errors.New("malformed cursor")
	}
	at, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return cursor{}, err
	}
	if y := at.UTC().Year(); y < 1970 || y > 9999 {
		return cursor{}, errors.New("cursor time out of range")
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n < 0 {
		return cursor{}, errors.New("malformed cursor id")
	}
	return cursor{at: at, id: n}, nil
}

// activityOf maps an audit entry of the application to an activity; other
// entries (token checks, administration, other applications) are left out.
func activityOf(e domain.AuditEntry, application string) (wire.Activity, bool) {
	if e.Application != application {
		return wire.Activity{}, false
	}
	a := wire.Activity{
		Timestamp: e.Created.UTC().Format(time.RFC3339Nano), ActivationID: e.ActivationID,
		IP: e.IP, UserAgent: e.UserAgent,
	}
	switch e.Type {
	case domain.AuditSignatureVerified:
		a.Kind, a.Result = "SIGNATURE", "OK"
	case domain.AuditSignatureFailed:
		a.Kind, a.Result = "SIGNATURE", "FAILED"
	case domain.AuditOperationTransition:
		a.Kind, a.Result, a.OperationType = "OPERATION", e.Details["status"], e.Details["operationType"]
	case domain.AuditActivationStatusChanged:
		a.Kind, a.Result = "DEVICE", e.Details["status"]
	default:
		return wire.Activity{}, false
	}
	return a, true
}
