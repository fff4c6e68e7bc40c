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
}

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
