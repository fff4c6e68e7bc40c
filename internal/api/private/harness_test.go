package private

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/internal/service/servicetest"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/testclock"
	"github.com/mauth/mauth/internal/testutil/teststore"
	"github.com/mauth/mauth/protocol"
)

// testClock is the shared test clock: real time plus an offset tests advance.
type testClock = testclock.Clock

// testServer is a real private API on a real (SQLite) database behind
// httptest, its traffic checked against the OpenAPI document (contract).
type testServer struct {
	URL   string
	api   *Server
	svc   *service.Service
	store store.Store
	box   *secretbox.Box
	clock *testClock
	// Auth, when set, is sent as HTTP Basic credentials.
	Auth *[2]string
	// UserAgent, when set, is sent as the User-Agent header.
	UserAgent string
	// Header holds further request headers.
	Header map[string]string
}

// newTestServer starts the private API with access control off and the
// default service configuration.
func newTestServer(t *testing.T) *testServer {
	return newTestServerWith(t, service.Config{}, Options{})
}

// newTestServerWith starts the private API with the given settings.
func newTestServerWith(t *testing.T, cfg service.Config, opts Options) *testServer {
	t.Helper()
	return newTestServerOn(t, teststore.SQLite(t), cfg, opts)
}

// newTestServerOn starts the private API over st (see teststore.Each).
func newTestServerOn(t *testing.T, st store.Store, cfg service.Config, opts Options) *testServer {
	t.Helper()
	h := servicetest.New(t, servicetest.Options{Store: st, Config: cfg})
	svc, box, clock := h.Service, h.Box, h.Clock
	api := New(svc, opts)
	hs := httptest.NewServer(recordOK(contract.Wrap(api.Handler())))
	t.Cleanup(hs.Close)
	// Fail the test that caused a contract violation (TestMain fails the
	// package on any that slips through).
	seen := len(contract.Violations())
	t.Cleanup(func() {
		if v := contract.Violations(); len(v) > seen {
			t.Errorf("%d exchange(s) break openapi/private.yaml:\n%s", len(v)-seen, strings.Join(v[seen:], "\n"))
		}
	})
	return &testServer{URL: hs.URL, api: api, svc: svc, store: st, box: box, clock: clock}
}

// rawBody marks a request body that is sent as is, not wrapped in requestObject.
type rawBody string

// post calls POST /rest/v3/<method> with {"requestObject": reqObj} (or a
// rawBody as is) and returns the HTTP status and the decoded JSON body.
func (ts *testServer) post(t *testing.T, method string, reqObj any) (int, map[string]any) {
	t.Helper()
	var body []byte
	switch v := reqObj.(type) {
	case rawBody:
		body = []byte(v)
	default:
		b, err := json.Marshal(map[string]any{"requestObject": reqObj})
		if err != nil {
			t.Fatal(err)
		}
		body = b
	}
	req, err := http.NewRequest(http.MethodPost, ts.URL+Prefix+method, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if ts.Auth != nil {
		req.SetBasicAuth(ts.Auth[0], ts.Auth[1])
	}
	if ts.UserAgent != "" {
		req.Header.Set("User-Agent", ts.UserAgent)
	}
	for k, v := range ts.Header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s: response is not JSON (HTTP %d): %q", method, resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

// ok calls a method that must succeed and returns its responseObject
// (nil when the response has none).
func (ts *testServer) ok(t *testing.T, method string, reqObj any) map[string]any {
	t.Helper()
	status, out := ts.post(t, method, reqObj)
	if status != http.StatusOK || out["status"] != "OK" {
		t.Fatalf("%s: HTTP %d %v", method, status, out)
	}
	ro, _ := out["responseObject"].(map[string]any)
	return ro
}

// fail calls a method that must fail with the HTTP status and error code,
// and returns the error's responseObject.
func (ts *testServer) fail(t *testing.T, method string, reqObj any, wantStatus int, wantCode string) map[string]any {
	t.Helper()
	status, out := ts.post(t, method, reqObj)
	ro, _ := out["responseObject"].(map[string]any)
	if status != wantStatus || out["status"] != "ERROR" || ro["code"] != wantCode {
		t.Fatalf("%s: got HTTP %d %v, want HTTP %d %s", method, status, out, wantStatus, wantCode)
	}
	return ro
}

func TestSystemMethods(t *testing.T) {
	ts := newTestServer(t)
	st := ts.ok(t, "status", nil)
	if st["status"] != "OK" || st["version"] != "1.9" || st["mauthVersion"] == "" || st["applicationName"] != "mauth" {
		t.Fatalf("status: %v", st)
	}
	if _, err := time.Parse(time.RFC3339, st["timestamp"].(string)); err != nil {
		t.Fatalf("timestamp: %v", err)
	}
	errs := ts.ok(t, "error/list", nil)["errors"].([]any)
	if len(errs) != len(service.CodeMessages) {
		t.Fatalf("%d errors listed", len(errs))
	}
	first := errs[0].(map[string]any)
	if first["code"] != "ERR0000" || first["value"] == "" {
		t.Fatalf("first error %v", first)
	}
	// Unknown methods and wrong HTTP methods answer in the envelope.
	ts.fail(t, "no/such/method", nil, http.StatusNotFound, "ERROR_NOT_FOUND")
	ts.fail(t, "status", rawBody("{not json"), http.StatusBadRequest, "ERROR_HTTP_REQUEST")
	resp, err := http.Get(ts.URL + Prefix + "status")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Fatal("GET accepted on a POST-only method")
	}
}

func TestRestrictAccess(t *testing.T) {
	ts := newTestServerWith(t, service.Config{}, Options{RestrictAccess: true})
	ts.fail(t, "status", nil, http.StatusUnauthorized, "ERR_AUTHENTICATION")
	ts.Auth = &[2]string{"nobody", "wrong"}
	ts.fail(t, "status", nil, http.StatusUnauthorized, "ERR_AUTHENTICATION")
}

// testApp is an application created through the service, with what a
// device needs to talk to it.
type testApp struct {
	Name              string
	ApplicationKey    string
	ApplicationSecret string
	Master            *protocol.PublicKey
}

// createApp creates an application (with its default version) directly
// through the service.
func (ts *testServer) createApp(t *testing.T) testApp {
	t.Helper()
	ctx := context.Background()
	app, err := ts.svc.CreateApplication(ctx, "app-"+protocol.GenerateActivationCode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	// The tests of this package drive one activation through several
	// protocol versions in any order; the version ratchet, on by default,
	// has its own tests (TestApplicationProtocolMethods, internal/e2e).
	allow := true
	if _, err := ts.svc.UpdateApplicationProtocolSettings(ctx, app.Name, service.ApplicationProtocolUpdate{AllowVersionDowngrade: &allow}); err != nil {
		t.Fatal(err)
	}
	d, err := ts.svc.GetApplicationDetail(ctx, app.Name)
	if err != nil {
		t.Fatal(err)
	}
	master, err := protocol.ParsePublicKey(d.MasterPublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return testApp{Name: app.Name, ApplicationKey: d.Versions[0].ApplicationKey, ApplicationSecret: d.Versions[0].ApplicationSecret, Master: master}
}
