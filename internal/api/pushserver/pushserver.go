// Package pushserver is the push server API (api.md §4.1) on the private
// listener: device registrations (/push/device/...), message sends
// (/push/message/...), campaigns (/push/campaign/...) and the
// applications' provider credentials
// (/admin/app/...), with the reference's envelope, field names and error
// codes. It is a thin translation layer over internal/push, reached
// through the Push interface; who may call what is decided by Access,
// which the wiring implements with the private API's integration
// credentials.
package pushserver

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/mauth/mauth/internal/api/render"
	"github.com/mauth/mauth/internal/push"
)

// Push is what the API needs of the push server.
type Push interface {
	CreateDevice(ctx context.Context, r push.DeviceRequest) error
	DeviceStatus(ctx context.Context, activationID string) error
	DeleteDevice(ctx context.Context, appName, token string) (int64, error)
	Send(ctx context.Context, appName string, msgs []push.SendMessage, sync bool) (push.SendResult, error)
	CreateApplication(ctx context.Context, appName string) error
	SetAPNs(ctx context.Context, appName string, c push.APNsCredentials) error
	SetFCM(ctx context.Context, appName string, c push.FCMCredentials) error
	SetHMS(ctx context.Context, appName string, c push.HMSCredentials) error
	RemoveCredentials(ctx context.Context, appName string, p push.Platform) error
	App(ctx context.Context, appName string) (push.AppInfo, error)
	Apps(ctx context.Context, configured bool) ([]push.AppInfo, error)
	CreateCampaign(ctx context.Context, appName string, body push.Body) (int64, error)
	CampaignApp(ctx context.Context, id int64) (string, error)
	Campaign(ctx context.Context, id int64) (push.Campaign, error)
	Campaigns(ctx context.Context, all bool) ([]push.Campaign, error)
	DeleteCampaign(ctx context.Context, id int64) error
	AddCampaignUsers(ctx context.Context, id int64, users []string) (int64, error)
	RemoveCampaignUsers(ctx context.Context, id int64, users []string) (int64, error)
	CampaignUsers(ctx context.Context, id int64, page, size int) ([]string, error)
	SendCampaignTest(ctx context.Context, id int64, userID string) (push.SendResult, error)
	SendCampaignLive(ctx context.Context, id int64) error
	CancelCampaign(ctx context.Context, id int64) error
}

// Access decides whether the caller of r may act on an application (by
// name; empty for calls naming none) — adminOnly for the credential and
// application administration. It returns a render.CodedError (401 or
// 403) when not.
type Access interface {
	Check(r *http.Request, appID string, adminOnly bool) error
}

// Options configure the API.
type Options struct {
	// Push is the push server.
	Push Push
	// Access authorises the calls; nil allows every call.
	Access Access
	// Logger receives internal errors.
	Logger *slog.Logger
	// Version is reported by /push/service/status.
	Version string
	// Now is the clock of the status answer (default time.Now).
	Now func() time.Time
}

// Error codes of the push server (api-checked.md §4.1).
const (
	CodeGeneric  = "ERROR_GENERIC"
	CodeDatabase = "ERROR_DATABASE"
	CodeRequest  = "ERROR_REQUEST"
)

var internalError = render.APIError{Status: http.StatusInternalServerError, Code: CodeGeneric, Message: "Unknown error occurred."}

// Server serves the push server API.
type Server struct {
	opts Options
	log  *slog.Logger
}

// New returns the API.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Server{opts: opts, log: opts.Logger}
}

// Register adds the routes to mux.
func (s *Server) Register(mux *http.ServeMux) {
	s.handle(mux, "GET /push/service/status", s.status)
	s.handle(mux, "POST /push/device/create", s.createDevice)
	s.handle(mux, "POST /push/device/create/multi", s.createDeviceMulti)
	for _, m := range []string{"POST", "PUT"} {
		s.handle(mux, m+" /push/device/status/update", s.deviceStatus)
	}
	for _, m := range []string{"POST", "DELETE"} {
		s.handle(mux, m+" /push/device/delete", s.deleteDevice)
	}
	s.handle(mux, "POST /push/message/send", s.send)
	s.handle(mux, "POST /push/message/batch/send", s.sendBatch)
	s.handle(mux, "GET /admin/app/list", s.appList(true))
	s.handle(mux, "GET /admin/app/unconfigured/list", s.appList(false))
	s.handle(mux, "POST /admin/app/detail", s.appDetail)
	s.handle(mux, "POST /admin/app/create", s.appCreate)
	for _, m := range []string{"POST", "PUT"} {
		s.handle(mux, m+" /admin/app/apns", s.setAPNs)
		s.handle(mux, m+" /admin/app/fcm", s.setFCM)
		s.handle(mux, m+" /admin/app/hms", s.setHMS)
	}
	s.handle(mux, "DELETE /admin/app/apns", s.removeByQuery(push.PlatformAPNs))
	s.handle(mux, "DELETE /admin/app/fcm", s.removeByQuery(push.PlatformFCM))
	s.handle(mux, "DELETE /admin/app/hms", s.removeByQuery(push.PlatformHMS))
	// Deprecated aliases of the reference.
	s.handle(mux, "POST /admin/app/ios/update", s.setAPNs)
	s.handle(mux, "POST /admin/app/android/update", s.setFCM)
	s.handle(mux, "POST /admin/app/huawei/update", s.setHMS)
	s.handle(mux, "POST /admin/app/ios/remove", s.removeByBody(push.PlatformAPNs))
	s.handle(mux, "POST /admin/app/android/remove", s.removeByBody(push.PlatformFCM))
	s.handle(mux, "POST /admin/app/huawei/remove", s.removeByBody(push.PlatformHMS))
	s.registerCampaigns(mux)
}

func (s *Server) handle(mux *http.ServeMux, pattern string, fn render.Endpoint) {
	mux.Handle(pattern, render.Serve(s.log, internalError, render.OK, func(r *http.Request) (any, error) {
		answer, err := fn(r)
		if err != nil {
			return nil, apiError(err)
		}
		return answer, nil
	}))
}

// apiError maps the push server's errors to the reference's codes, in one
// place: the caller's mistakes are 400 ERROR_GENERIC with the problem,
// malformed requests 400 ERROR_REQUEST, access refusals pass through,
// anything else 500 ERROR_GENERIC without detail.
func apiError(err error) error {
	var ce render.CodedError
	var re *render.RequestError
	var ve *render.ValidationError
	switch {
	case errors.As(err, &re), errors.As(err, &ve):
		return &render.APIError{Status: http.StatusBadRequest, Code: CodeRequest, Message: err.Error(), Cause: err}
	case errors.As(err, &ce):
		return err
	case errors.Is(err, push.ErrCampaignNotFound):
		return errCampaignNotFound
	case push.IsBadRequest(err), errors.Is(err, push.ErrActivationRemoved):
		return &render.APIError{Status: http.StatusBadRequest, Code: CodeGeneric, Message: err.Error(), Cause: err}
	}
	return internalError.With(err)
}

func badRequest(format string) error {
	return &render.APIError{Status: http.StatusBadRequest, Code: CodeRequest, Message: format}
}

func (s *Server) check(r *http.Request, appID string, adminOnly bool) error {
	if s.opts.Access == nil {
		return nil
	}
	return s.opts.Access.Check(r, appID, adminOnly)
}

// decode reads the requestObject envelope into dst.
func decode(r *http.Request, dst any) error {
	return render.DecodeRequest(r, dst)
}

type statusResponse struct {
	ApplicationName        string    `json:"applicationName"`
	ApplicationDisplayName string    `json:"applicationDisplayName"`
	ApplicationEnvironment string    `json:"applicationEnvironment"`
	Version                string    `json:"version"`
	BuildTime              time.Time `json:"buildTime"`
	Timestamp              time.Time `json:"timestamp"`
}

func (s *Server) status(r *http.Request) (any, error) {
	if err := s.check(r, "", false); err != nil {
		return nil, err
	}
	now := s.opts.Now().UTC()
	return statusResponse{ApplicationName: "mauth-push", ApplicationDisplayName: "mauth push server", Version: s.opts.Version, BuildTime: now, Timestamp: now}, nil
}

type createDeviceRequest struct {
	AppID         string   `json:"appId"`
	Token         string   `json:"token"`
	Platform      string   `json:"platform"`
	Environment   string   `json:"environment"`
	ActivationID  string   `json:"activationId"`
	ActivationIDs []string `json:"activationIds"`
}

func (s *Server) createDevice(r *http.Request) (any, error) {
	var req createDeviceRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if err := s.check(r, req.AppID, false); err != nil {
		return nil, err
	}
	return nil, s.opts.Push.CreateDevice(r.Context(), push.DeviceRequest{AppID: req.AppID, ActivationIDs: []string{req.ActivationID},
		Platform: req.Platform, Token: req.Token, Environment: req.Environment})
}

func (s *Server) createDeviceMulti(r *http.Request) (any, error) {
	var req createDeviceRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if err := s.check(r, req.AppID, false); err != nil {
		return nil, err
	}
	if len(req.ActivationIDs) == 0 {
		return nil, badRequest("activationIds must not be empty")
	}
	return nil, s.opts.Push.CreateDevice(r.Context(), push.DeviceRequest{AppID: req.AppID, ActivationIDs: req.ActivationIDs,
		Platform: req.Platform, Token: req.Token, Environment: req.Environment})
}

// deviceStatus takes the bare (non-enveloped) body of the reference.
func (s *Server) deviceStatus(r *http.Request) (any, error) {
	var req struct {
		ActivationID     string `json:"activationId"`
		ActivationStatus string `json:"activationStatus"`
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, render.MaxRequestBody))
	if err != nil {
		return nil, badRequest("Cannot read request body.")
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, badRequest("Request body is not valid JSON.")
	}
	if err := s.check(r, "", false); err != nil {
		return nil, err
	}
	return nil, s.opts.Push.DeviceStatus(r.Context(), req.ActivationID)
}

func (s *Server) deleteDevice(r *http.Request) (any, error) {
	var req struct {
		AppID string `json:"appId"`
		Token string `json:"token"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if err := s.check(r, req.AppID, false); err != nil {
		return nil, err
	}
	_, err := s.opts.Push.DeleteDevice(r.Context(), req.AppID, req.Token)
	return nil, err
}

type messageAttributes struct {
	Silent   bool `json:"silent"`
	Personal bool `json:"personal"`
}

type message struct {
	UserID       string            `json:"userId"`
	ActivationID string            `json:"activationId"`
	Priority     string            `json:"priority"`
	Attributes   messageAttributes `json:"attributes"`
	Body         *push.Body        `json:"body"`
}

type counts struct {
	Sent    int `json:"sent"`
	Failed  int `json:"failed"`
	Pending int `json:"pending"`
	Total   int `json:"total"`
}

type sendResponse struct {
	Mode string  `json:"mode"`
	APNs *counts `json:"apns,omitempty"`
	FCM  *counts `json:"fcm,omitempty"`
	HMS  *counts `json:"hms,omitempty"`
}

func (s *Server) send(r *http.Request) (any, error) {
	var req struct {
		AppID   string   `json:"appId"`
		Mode    string   `json:"mode"`
		Message *message `json:"message"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if err := s.check(r, req.AppID, false); err != nil {
		return nil, err
	}
	if req.Message == nil {
		return nil, badRequest("message is required")
	}
	return s.sendAll(r.Context(), req.AppID, req.Mode, []*message{req.Message})
}

func (s *Server) sendBatch(r *http.Request) (any, error) {
	var req struct {
		AppID string     `json:"appId"`
		Mode  string     `json:"mode"`
		Batch []*message `json:"batch"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if err := s.check(r, req.AppID, false); err != nil {
		return nil, err
	}
	if len(req.Batch) == 0 || len(req.Batch) > push.MaxBatch {
		return nil, badRequest("batch must have 1 to 20 messages")
	}
	return s.sendAll(r.Context(), req.AppID, req.Mode, req.Batch)
}

func (s *Server) sendAll(ctx context.Context, appID, mode string, in []*message) (any, error) {
	sync := true
	switch strings.ToUpper(mode) {
	case "", "SYNCHRONOUS":
	case "ASYNCHRONOUS":
		sync = false
	default:
		return nil, badRequest("mode must be SYNCHRONOUS or ASYNCHRONOUS")
	}
	msgs := make([]push.SendMessage, 0, len(in))
	for _, m := range in {
		if m == nil || m.Body == nil {
			return nil, badRequest("message body is required")
		}
		prio := push.Priority(strings.ToUpper(m.Priority))
		if prio == "" {
			prio = push.PriorityHigh
		}
		msgs = append(msgs, push.SendMessage{UserID: m.UserID, ActivationID: m.ActivationID, Priority: prio,
			Silent: m.Attributes.Silent, Personal: m.Attributes.Personal, Body: *m.Body})
	}
	res, err := s.opts.Push.Send(ctx, appID, msgs, sync)
	if err != nil {
		return nil, err
	}
	if !sync {
		return sendResponse{Mode: "ASYNCHRONOUS"}, nil
	}
	conv := func(c push.Counts) *counts {
		return &counts{Sent: c.Sent, Failed: c.Failed, Pending: c.Pending, Total: c.Total}
	}
	return sendResponse{Mode: "SYNCHRONOUS", APNs: conv(res.APNs), FCM: conv(res.FCM), HMS: conv(res.HMS)}, nil
}

type appEntry struct {
	AppID string `json:"appId"`
	APNs  bool   `json:"apns"`
	FCM   bool   `json:"fcm"`
	HMS   bool   `json:"hms"`
}

func (s *Server) appList(configured bool) render.Endpoint {
	return func(r *http.Request) (any, error) {
		if err := s.check(r, "", true); err != nil {
			return nil, err
		}
		apps, err := s.opts.Push.Apps(r.Context(), configured)
		if err != nil {
			return nil, err
		}
		list := make([]appEntry, 0, len(apps))
		for _, a := range apps {
			list = append(list, appEntry{AppID: a.AppID, APNs: a.APNs, FCM: a.FCM, HMS: a.HMS})
		}
		return struct {
			ApplicationList []appEntry `json:"applicationList"`
		}{list}, nil
	}
}

func (s *Server) appDetail(r *http.Request) (any, error) {
	var req struct {
		AppID       string `json:"appId"`
		IncludeAPNs bool   `json:"includeApns"`
		IncludeFCM  bool   `json:"includeFcm"`
		IncludeHMS  bool   `json:"includeHms"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if err := s.check(r, req.AppID, true); err != nil {
		return nil, err
	}
	a, err := s.opts.Push.App(r.Context(), req.AppID)
	if err != nil {
		return nil, err
	}
	type detail struct {
		Application     appEntry `json:"application"`
		APNsBundle      string   `json:"apnsBundle,omitempty"`
		APNsKeyID       string   `json:"apnsKeyId,omitempty"`
		APNsTeamID      string   `json:"apnsTeamId,omitempty"`
		APNsEnvironment string   `json:"apnsEnvironment,omitempty"`
		FCMProjectID    string   `json:"fcmProjectId,omitempty"`
		HMSProjectID    string   `json:"hmsProjectId,omitempty"`
	}
	d := detail{Application: appEntry{AppID: a.AppID, APNs: a.APNs, FCM: a.FCM, HMS: a.HMS}}
	if req.IncludeAPNs {
		d.APNsBundle, d.APNsKeyID, d.APNsTeamID, d.APNsEnvironment = a.APNsBundle, a.APNsKeyID, a.APNsTeamID, a.APNsEnvironment
	}
	if req.IncludeFCM {
		d.FCMProjectID = a.FCMProjectID
	}
	if req.IncludeHMS {
		d.HMSProjectID = a.HMSProjectID
	}
	return d, nil
}

func (s *Server) appCreate(r *http.Request) (any, error) {
	var req struct {
		AppID string `json:"appId"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if err := s.check(r, req.AppID, true); err != nil {
		return nil, err
	}
	if err := s.opts.Push.CreateApplication(r.Context(), req.AppID); err != nil {
		return nil, err
	}
	return struct {
		AppID string `json:"appId"`
	}{req.AppID}, nil
}

func decodeKey(field, v string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
	if err != nil || len(b) == 0 {
		return nil, badRequest(field + " must be non-empty Base64")
	}
	return b, nil
}

func (s *Server) setAPNs(r *http.Request) (any, error) {
	var req struct {
		AppID            string `json:"appId"`
		Bundle           string `json:"bundle"`
		KeyID            string `json:"keyId"`
		TeamID           string `json:"teamId"`
		Environment      string `json:"environment"`
		PrivateKeyBase64 string `json:"privateKeyBase64"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if err := s.check(r, req.AppID, true); err != nil {
		return nil, err
	}
	key, err := decodeKey("privateKeyBase64", req.PrivateKeyBase64)
	if err != nil {
		return nil, err
	}
	return nil, s.opts.Push.SetAPNs(r.Context(), req.AppID, push.APNsCredentials{PrivateKey: key, KeyID: req.KeyID,
		TeamID: req.TeamID, Bundle: req.Bundle, Environment: req.Environment})
}

func (s *Server) setFCM(r *http.Request) (any, error) {
	var req struct {
		AppID            string `json:"appId"`
		ProjectID        string `json:"projectId"`
		PrivateKeyBase64 string `json:"privateKeyBase64"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if err := s.check(r, req.AppID, true); err != nil {
		return nil, err
	}
	key, err := decodeKey("privateKeyBase64", req.PrivateKeyBase64)
	if err != nil {
		return nil, err
	}
	return nil, s.opts.Push.SetFCM(r.Context(), req.AppID, push.FCMCredentials{ServiceAccount: key, ProjectID: req.ProjectID})
}

func (s *Server) setHMS(r *http.Request) (any, error) {
	var req struct {
		AppID        string `json:"appId"`
		ProjectID    string `json:"projectId"`
		ClientID     string `json:"clientId"`
		ClientSecret string `json:"clientSecret"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if err := s.check(r, req.AppID, true); err != nil {
		return nil, err
	}
	return nil, s.opts.Push.SetHMS(r.Context(), req.AppID, push.HMSCredentials{ClientID: req.ClientID, ClientSecret: req.ClientSecret, ProjectID: req.ProjectID})
}

func (s *Server) removeByQuery(p push.Platform) render.Endpoint {
	return func(r *http.Request) (any, error) {
		app := r.URL.Query().Get("appId")
		if err := s.check(r, app, true); err != nil {
			return nil, err
		}
		return nil, s.opts.Push.RemoveCredentials(r.Context(), app, p)
	}
}

func (s *Server) removeByBody(p push.Platform) render.Endpoint {
	return func(r *http.Request) (any, error) {
		var req struct {
			AppID string `json:"appId"`
		}
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		if err := s.check(r, req.AppID, true); err != nil {
			return nil, err
		}
		return nil, s.opts.Push.RemoveCredentials(r.Context(), req.AppID, p)
	}
}

// AdminRoot is the path root of the push server's application
// administration. The private listener also serves other /admin/…
// surfaces (the console, the mobile utility administration), so the push
// server claims only this root.
const AdminRoot = "/admin/app/"

// OwnsAdmin reports whether path belongs to the push server's
// application administration.
func OwnsAdmin(path string) bool { return strings.HasPrefix(path, AdminRoot) }
