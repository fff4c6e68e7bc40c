package pushserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/mauth/mauth/internal/api/render"
	"github.com/mauth/mauth/internal/push"
	"github.com/mauth/mauth/internal/push/provider"
	"github.com/mauth/mauth/internal/testutil/apicontract"
	"github.com/mauth/mauth/openapi"
)

// fakePush records the calls and answers what it was told.
type fakePush struct {
	err      error
	sent     []push.SendMessage
	sync     bool
	devices  []push.DeviceRequest
	removed  []push.Platform
	apns     push.APNsCredentials
	result   push.SendResult
	lastApp  string
	statuses []string
	users    []string
}

func (f *fakePush) CreateDevice(_ context.Context, r push.DeviceRequest) error {
	f.devices = append(f.devices, r)
	return f.err
}
func (f *fakePush) DeviceStatus(_ context.Context, id string) error {
	f.statuses = append(f.statuses, id)
	return f.err
}
func (f *fakePush) DeleteDevice(_ context.Context, app, _ string) (int64, error) {
	f.lastApp = app
	return 0, f.err
}
func (f *fakePush) Send(_ context.Context, app string, msgs []push.SendMessage, sync bool) (push.SendResult, error) {
	f.lastApp, f.sent, f.sync = app, msgs, sync
	return f.result, f.err
}
func (f *fakePush) CreateApplication(_ context.Context, app string) error {
	f.lastApp = app
	return f.err
}
func (f *fakePush) SetAPNs(_ context.Context, app string, c push.APNsCredentials) error {
	f.lastApp, f.apns = app, c
	return f.err
}
func (f *fakePush) SetFCM(_ context.Context, app string, _ push.FCMCredentials) error {
	f.lastApp = app
	return f.err
}
func (f *fakePush) SetHMS(_ context.Context, app string, _ push.HMSCredentials) error {
	f.lastApp = app
	return f.err
}
func (f *fakePush) RemoveCredentials(_ context.Context, app string, p push.Platform) error {
	f.lastApp, f.removed = app, append(f.removed, p)
	return f.err
}
func (f *fakePush) App(_ context.Context, app string) (push.AppInfo, error) {
	return push.AppInfo{AppID: app, APNs: true, APNsKeyID: "K"}, f.err
}
func (f *fakePush) Apps(_ context.Context, configured bool) ([]push.AppInfo, error) {
	if !configured {
		return nil, f.err
	}
	return []push.AppInfo{{AppID: "a", FCM: true}}, f.err
}

func newHandler(t testing.TB, f *fakePush) http.Handler {
	mux := http.NewServeMux()
	New(Options{Push: f}).Register(mux)
	mux.HandleFunc("/", render.NotFound)
	if t == nil {
		return mux
	}
	c := apicontract.New(t, "openapi/pushserver.yaml", openapi.PushServer)
	t.Cleanup(func() { c.Report(t) })
	return c.Wrap(mux)
}

func do(h http.Handler, method, path, body string) (int, map[string]any) {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var out map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	return rec.Code, out
}

func TestRoutesAndMapping(t *testing.T) {
	f := &fakePush{result: push.SendResult{APNs: push.Counts{Sent: 1, Total: 1}}}
	h := newHandler(t, f)
	tests := []struct {
		method, path, body string
		code               int
		check              func(t *testing.T, out map[string]any)
	}{
		{"GET", "/push/service/status", "", 200, nil},
		{"POST", "/push/device/create", `{"requestObject":{"appId":"a","token":"t","platform":"ios","environment":"production","activationId":"x"}}`, 200, func(t *testing.T, _ map[string]any) {
			if d := f.devices[len(f.devices)-1]; d.AppID != "a" || d.Platform != "ios" || d.ActivationIDs[0] != "x" || d.Environment != "production" {
				t.Fatalf("device %+v", d)
			}
		}},
		{"POST", "/push/device/create/multi", `{"requestObject":{"appId":"a","token":"t","platform":"fcm","activationIds":["x","y"]}}`, 200, nil},
		{"POST", "/push/device/create/multi", `{"requestObject":{"appId":"a","token":"t","platform":"fcm"}}`, 400, nil},
		{"PUT", "/push/device/status/update", `{"activationId":"x","activationStatus":"BLOCKED"}`, 200, nil},
		{"DELETE", "/push/device/delete", `{"requestObject":{"appId":"a","token":"t"}}`, 200, nil},
		{"POST", "/push/message/send", `{"requestObject":{"appId":"a","message":{"userId":"u","priority":"normal","attributes":{"silent":true,"personal":true},"body":{"title":"T","badge":3,"extras":{"k":1}}}}}`, 200, func(t *testing.T, out map[string]any) {
			m := f.sent[0]
			if !f.sync || m.UserID != "u" || m.Priority != push.PriorityNormal || !m.Silent || !m.Personal || m.Body.Title != "T" || *m.Body.Badge != 3 {
				t.Fatalf("message %+v", m)
			}
			ro := out["responseObject"].(map[string]any)
			if ro["mode"] != "SYNCHRONOUS" || ro["apns"].(map[string]any)["sent"] != 1.0 {
				t.Fatalf("answer %v", out)
			}
		}},
		{"POST", "/push/message/send", `{"requestObject":{"appId":"a","mode":"ASYNCHRONOUS","message":{"userId":"u","body":{}}}}`, 200, func(t *testing.T, out map[string]any) {
			if ro := out["responseObject"].(map[string]any); f.sync || len(ro) != 1 || ro["mode"] != "ASYNCHRONOUS" {
				t.Fatalf("async answer %v", out)
			}
		}},
		{"POST", "/push/message/send", `{"requestObject":{"appId":"a","message":{"userId":"u"}}}`, 400, nil},
		{"POST", "/push/message/batch/send", `{"requestObject":{"appId":"a","batch":[]}}`, 400, nil},
		{"POST", "/push/message/batch/send", `{"requestObject":{"appId":"a","batch":[{"userId":"u","body":{}},{"userId":"v","body":{}}]}}`, 200, func(t *testing.T, _ map[string]any) {
			if len(f.sent) != 2 {
				t.Fatalf("batch %+v", f.sent)
			}
		}},
		{"GET", "/admin/app/list", "", 200, nil},
		{"GET", "/admin/app/unconfigured/list", "", 200, nil},
		{"POST", "/admin/app/detail", `{"requestObject":{"appId":"a","includeApns":true}}`, 200, nil},
		{"POST", "/admin/app/create", `{"requestObject":{"appId":"a"}}`, 200, nil},
		{"POST", "/admin/app/apns", `{"requestObject":{"appId":"a","bundle":"b","keyId":"k","teamId":"t","privateKeyBase64":"cDg="}}`, 200, func(t *testing.T, _ map[string]any) {
			if string(f.apns.PrivateKey) != "p8" || f.apns.Bundle != "b" {
				t.Fatalf("apns %+v", f.apns)
			}
		}},
		{"POST", "/admin/app/apns", `{"requestObject":{"appId":"a","privateKeyBase64":"%%%"}}`, 400, nil},
		{"PUT", "/admin/app/fcm", `{"requestObject":{"appId":"a","privateKeyBase64":"e30="}}`, 200, nil},
		{"POST", "/admin/app/hms", `{"requestObject":{"appId":"a","clientId":"1","clientSecret":"s"}}`, 200, nil},
		{"DELETE", "/admin/app/hms?appId=a", "", 200, nil},
		{"POST", "/admin/app/android/remove", `{"requestObject":{"appId":"a"}}`, 200, func(t *testing.T, _ map[string]any) {
			if f.removed[len(f.removed)-1] != push.PlatformFCM {
				t.Fatalf("removed %v", f.removed)
			}
		}},
		{"POST", "/admin/app/ios/update", `{"requestObject":{"appId":"a","privateKeyBase64":"cDg="}}`, 200, nil},
		{"POST", "/push/message/send", `not json`, 400, nil},
		{"GET", "/push/unknown", "", 404, nil},
	}
	for _, tc := range tests {
		code, out := do(h, tc.method, tc.path, tc.body)
		if code != tc.code {
			t.Fatalf("%s %s: HTTP %d %v, want %d", tc.method, tc.path, code, out, tc.code)
		}
		if tc.check != nil {
			tc.check(t, out)
		}
	}
}

func TestErrorCodes(t *testing.T) {
	tests := []struct {
		err  error
		code int
		want string
	}{
		{push.ErrUnknownApplication, 400, CodeGeneric},
		{&provider.CredentialError{Provider: "apns", Problem: "the .p8 key is not PEM"}, 400, CodeGeneric},
		{push.ErrActivationRemoved, 400, CodeGeneric},
		{errors.New("disk on fire"), 500, CodeGeneric},
	}
	for _, tc := range tests {
		h := newHandler(t, &fakePush{err: tc.err})
		code, out := do(h, "POST", "/admin/app/create", `{"requestObject":{"appId":"a"}}`)
		ro := out["responseObject"].(map[string]any)
		if code != tc.code || ro["code"] != tc.want {
			t.Fatalf("%v: HTTP %d %v", tc.err, code, out)
		}
		if code == 500 && strings.Contains(ro["message"].(string), "fire") {
			t.Fatal("an internal error leaks its cause")
		}
	}
}

// FuzzRequests feeds arbitrary bodies to every POST route: the API answers
// 200 or 4xx, never a panic or a 5xx.
func FuzzRequests(f *testing.F) {
	for _, s := range []string{
		`{"requestObject":{"appId":"a","message":{"userId":"u","body":{"title":"t","validUntil":"2026-01-01T00:00:00Z"}}}}`,
		`{"requestObject":{"appId":"a","batch":[{"userId":"u","body":{}}]}}`,
		`{"requestObject":{"appId":"a","token":"t","platform":"apns","activationIds":["x"]}}`,
		`{"activationId":"x"}`, `{"requestObject":null}`, `[]`, `{"requestObject":{"badge":"x"}}`, "",
	} {
		f.Add(s)
	}
	h := newHandler(nil, &fakePush{})
	paths := []string{"/push/device/create", "/push/device/create/multi", "/push/device/status/update", "/push/device/delete",
		"/push/message/send", "/push/message/batch/send", "/admin/app/detail", "/admin/app/create", "/admin/app/apns",
		"/admin/app/fcm", "/admin/app/hms", "/admin/app/ios/remove", "/push/campaign/create", "/push/campaign/7/user/add",
		"/push/campaign/send/test/7"}
	f.Fuzz(func(t *testing.T, body string) {
		for _, p := range paths {
			req := httptest.NewRequest("POST", p, bytes.NewReader([]byte(body)))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Fatalf("%s %q: HTTP %d", p, body, rec.Code)
			}
		}
	})
}

func (f *fakePush) CreateCampaign(_ context.Context, app string, _ push.Body) (int64, error) {
	f.lastApp = app
	return 7, f.err
}
func (f *fakePush) CampaignApp(_ context.Context, id int64) (string, error) {
	if id != 7 {
		return "", push.ErrCampaignNotFound
	}
	return "a", nil
}
func (f *fakePush) Campaign(_ context.Context, id int64) (push.Campaign, error) {
	return push.Campaign{ID: id, AppID: "a", Status: "SENDING", Sent: true, Message: push.Body{Title: "t"}}, f.err
}
func (f *fakePush) Campaigns(_ context.Context, _ bool) ([]push.Campaign, error) {
	return []push.Campaign{{ID: 7, AppID: "a", Status: "CREATED"}}, f.err
}
func (f *fakePush) DeleteCampaign(context.Context, int64) error { return f.err }
func (f *fakePush) AddCampaignUsers(_ context.Context, _ int64, users []string) (int64, error) {
	f.users = users
	return int64(len(users)), f.err
}
func (f *fakePush) RemoveCampaignUsers(_ context.Context, _ int64, users []string) (int64, error) {
	f.users = users
	return int64(len(users)), f.err
}
func (f *fakePush) CampaignUsers(context.Context, int64, int, int) ([]string, error) {
	return []string{"u1", "u2"}, f.err
}
func (f *fakePush) SendCampaignTest(_ context.Context, _ int64, user string) (push.SendResult, error) {
	f.lastApp = user
	return push.SendResult{}, f.err
}
func (f *fakePush) SendCampaignLive(context.Context, int64) error { return f.err }
func (f *fakePush) CancelCampaign(context.Context, int64) error   { return f.err }

func TestCampaignRoutes(t *testing.T) {
	f := &fakePush{}
	h := newHandler(t, f)
	many := make([]string, 100_000)
	for i := range many {
		many[i] = "user-" + strconv.Itoa(i)
	}
	big, _ := json.Marshal(map[string]any{"requestObject": many})
	tests := []struct {
		method, path, body string
		code               int
	}{
		{"POST", "/push/campaign/create", `{"requestObject":{"appId":"a","message":{"title":"t"}}}`, 200},
		{"POST", "/push/campaign/create", `{"requestObject":{"appId":"a"}}`, 400},
		{"GET", "/push/campaign/7/detail", "", 200},
		{"GET", "/push/campaign/8/detail", "", 404},
		{"GET", "/push/campaign/x/detail", "", 400},
		{"GET", "/push/campaign/list?all=true", "", 200},
		{"PUT", "/push/campaign/7/user/add", string(big), 200},
		{"DELETE", "/push/campaign/7/user/delete", `{"requestObject":["u1"]}`, 200},
		{"POST", "/push/campaign/7/user/add", `{"requestObject":{"not":"a list"}}`, 400},
		{"GET", "/push/campaign/7/user/list?page=0&size=2", "", 200},
		{"POST", "/push/campaign/send/test/7", `{"requestObject":{"userId":"u1"}}`, 200},
		{"POST", "/push/campaign/send/live/7", "", 200},
		{"POST", "/push/campaign/7/cancel", "", 200},
		{"DELETE", "/push/campaign/7/delete", "", 200},
	}
	for _, tc := range tests {
		code, out := do(h, tc.method, tc.path, tc.body)
		if code != tc.code {
			t.Fatalf("%s %s: HTTP %d %v, want %d", tc.method, tc.path, code, out, tc.code)
		}
	}
	if len(f.users) != 1 {
		t.Fatalf("users %d", len(f.users))
	}
	_, out := do(h, "GET", "/push/campaign/7/user/list?page=1&size=2", "")
	if out["page"] != 1.0 || out["size"] != 2.0 || out["responseObject"].(map[string]any)["campaignId"] != 7.0 {
		t.Fatalf("user list %v", out)
	}
}
