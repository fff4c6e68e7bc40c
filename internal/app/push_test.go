package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mauth/mauth/client"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/push/pushtest"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/apicontract"
	"github.com/mauth/mauth/internal/testutil/pgtest"
	"github.com/mauth/mauth/internal/testutil/testclock"
	"github.com/mauth/mauth/openapi"
)

const (
	pushKeyID  = "ABC123DEFG"
	pushTeamID = "TEAM123456"
	pushTopic  = "com.example.bank"
	pushApp    = "push-bank"
)

// pushToken returns a distinct hex APNs device token.
func pushToken(b byte) string { return strings.Repeat(string("0123456789abcdef"[b%16]), 64) }

// pushEnv is a running app whose push providers are a fake APNs.
type pushEnv struct {
	*running
	fake     *pushtest.APNs
	pub      any
	p8       []byte
	clk      *testclock.Clock
	contract *apicontract.Checker
	user     string
	pass     string
	cfg      Config
}

// startPushApp starts an app on the configuration with the push server
// pointed at fake, validating every push server API exchange against
// openapi/pushserver.yaml.
func startPushApp(t *testing.T, c Config, fake *pushtest.APNs, clk *testclock.Clock, contract *apicontract.Checker) *running {
	t.Helper()
	c.Push.APNsDevelopmentURL, c.Push.APNsProductionURL = fake.URL(), fake.URL()
	c.push = pushOverrides{httpClient: fake.Client(), now: clk.Now, pollInterval: 20 * time.Millisecond,
		breakerFailures: 3, breakerOpenFor: time.Hour, retryBase: time.Millisecond}
	out := &syncBuffer{}
	c.Out = out
	a, err := New(context.Background(), c)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	inner := a.Private
	checked := contract.Wrap(inner)
	mux := http.NewServeMux()
	mux.Handle("/", inner)
	mux.Handle("/push/", checked)
	mux.Handle("/admin/app/", checked)
	a.Private = mux
	if err := a.Listen(context.Background()); err != nil {
		a.Close()
		t.Fatalf("Listen: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx) }()
	var once sync.Once
	var serveErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			serveErr = <-done
			a.Close()
		})
		return serveErr
	}
	t.Cleanup(func() { _ = stop() })
	return &running{App: a, out: out, stop: stop}
}

// call sends a JSON request to the private listener with the integration
// credentials and returns the status and decoded body.
func (e *pushEnv) call(t *testing.T, method, path string, body any, auth bool) (int, map[string]any) {
	t.Helper()
	if !auth {
		return e.callAs(t, "", "", method, path, body)
	}
	return e.callAs(t, e.user, e.pass, method, path, body)
}

// callAs is call with other integration credentials (none when user is empty).
func (e *pushEnv) callAs(t *testing.T, user, pass, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, "http://"+e.PrivateAddr().String()+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := (&http.Client{Timeout: testTimeout}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: HTTP %d, body %q", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

// ok calls and requires HTTP 200.
func (e *pushEnv) ok(t *testing.T, method, path string, body any) map[string]any {
	t.Helper()
	code, out := e.call(t, method, path, body, true)
	if code != http.StatusOK || out["status"] != "OK" {
		t.Fatalf("%s %s: HTTP %d %v", method, path, code, out)
	}
	ro, _ := out["responseObject"].(map[string]any)
	return ro
}

// refused calls and requires an error answer with the status and code.
func (e *pushEnv) refused(t *testing.T, method, path string, body any, status int, code, msg string) {
	t.Helper()
	got, out := e.call(t, method, path, body, true)
	ro, _ := out["responseObject"].(map[string]any)
	if got != status || ro["code"] != code || !strings.Contains(ro["message"].(string), msg) {
		t.Fatalf("%s %s: HTTP %d %v, want %d %s containing %q", method, path, got, out, status, code, msg)
	}
}

// waitFor polls cond until it holds; the deadline is only a safety net.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// received returns the payloads the fake APNs got for a device token.
func received(fake *pushtest.APNs, token string) []map[string]any {
	var out []map[string]any
	for _, r := range fake.Received() {
		if r.Token != token {
			continue
		}
		var m map[string]any
		if json.Unmarshal(r.Body, &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

func (e *pushEnv) messages(t *testing.T) []domain.PushMessage {
	t.Helper()
	ms, err := e.Store.ListPushMessages(context.Background(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// TestPushEndToEnd runs the push server through the real HTTP APIs and a
// real database on both backends: the bank configures APNs and registers
// a device through the push server API, creates an operation through
// /rest/v3, the fake APNs receives mtoken.operationInit, the device
// approves with a 2FA signature and the fake receives
// mtoken.operationFinished; then the outcome classes, the circuit
// breaker, a restart delivering the PENDING messages, and bad input.
func TestPushEndToEnd(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			c := testConfig(t, RoleAll)
			if backend == "postgres" {
				c.DatabaseURL = pgtest.NewDatabase(t)
				c.ServerKey = base64.StdEncoding.EncodeToString(secretbox.GenerateKey())
			}
			runPushEndToEnd(t, c)
		})
	}
}

func runPushEndToEnd(t *testing.T, c Config) {
	ctx := context.Background()
	p8, pub := pushtest.NewAPNsKey(t)
	fake := pushtest.NewAPNs(t, pushtest.APNsConfig{Key: pub, KeyID: pushKeyID, TeamID: pushTeamID, Topic: pushTopic})
	clk := &testclock.Clock{}
	fake.SetClock(clk.Now)
	contract := apicontract.New(t, "openapi/pushserver.yaml", openapi.PushServer)
	r := startPushApp(t, c, fake, clk, contract)
	e := &pushEnv{running: r, fake: fake, p8: p8, clk: clk, contract: contract, cfg: c}
	e.user, e.pass = r.credentials(t)
	admin := r.admin(t)
	pubURL := "http://" + r.PublicAddr().String()

	// Unauthenticated calls are refused.
	if code, _ := e.call(t, http.MethodPost, "/push/message/send", map[string]any{}, false); code != http.StatusUnauthorized {
		t.Fatalf("anonymous send: HTTP %d", code)
	}

	// The bank's application, a device of alice, APNs credentials.
	dev, dc := activateDevice(t, admin, pubURL, pushApp, "3.3")
	e.ok(t, http.MethodPost, "/admin/app/create", map[string]any{"requestObject": map[string]any{"appId": pushApp}})
	apns := map[string]any{"appId": pushApp, "bundle": pushTopic, "keyId": pushKeyID, "teamId": pushTeamID,
		"privateKeyBase64": base64.StdEncoding.EncodeToString(p8)}
	e.ok(t, http.MethodPost, "/admin/app/apns", map[string]any{"requestObject": apns})
	tokA := pushToken(10)
	e.ok(t, http.MethodPost, "/push/device/create", map[string]any{"requestObject": map[string]any{
		"appId": pushApp, "token": tokA, "platform": "ios", "activationId": dev.ActivationID}})
	detail := e.ok(t, http.MethodPost, "/admin/app/detail", map[string]any{"requestObject": map[string]any{"appId": pushApp, "includeApns": true}})
	if app, _ := detail["application"].(map[string]any); app["apns"] != true || app["fcm"] != false || detail["apnsKeyId"] != pushKeyID {
		t.Fatalf("detail: %v", detail)
	}

	// Bad input: 4xx, nothing stored half-way.
	before := len(e.messages(t))
	badKey := map[string]any{}
	for k, v := range apns {
		badKey[k] = v
	}
	badKey["privateKeyBase64"] = base64.StdEncoding.EncodeToString([]byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"))
	e.refused(t, http.MethodPost, "/admin/app/apns", map[string]any{"requestObject": badKey}, 400, "ERROR_GENERIC", ".p8 key")
	e.refused(t, http.MethodPost, "/admin/app/fcm", map[string]any{"requestObject": map[string]any{"appId": pushApp,
		"privateKeyBase64": base64.StdEncoding.EncodeToString([]byte(`{"type":"service_account"}`))}}, 400, "ERROR_GENERIC", "fcm credentials")
	e.refused(t, http.MethodPost, "/admin/app/hms", map[string]any{"requestObject": map[string]any{"appId": pushApp, "clientId": "1"}}, 400, "ERROR_GENERIC", "client secret")
	e.refused(t, http.MethodPost, "/push/device/create", map[string]any{"requestObject": map[string]any{
		"appId": pushApp, "token": tokA, "platform": "windows", "activationId": dev.ActivationID}}, 400, "ERROR_GENERIC", "unknown platform")
	e.refused(t, http.MethodPost, "/push/device/create", map[string]any{"requestObject": map[string]any{
		"appId": pushApp, "token": "has spaces", "platform": "apns", "activationId": dev.ActivationID}}, 400, "ERROR_GENERIC", "token")
	e.refused(t, http.MethodPost, "/push/message/send", map[string]any{"requestObject": map[string]any{"appId": pushApp,
		"message": map[string]any{"userId": "alice", "body": map[string]any{"body": strings.Repeat("x", 5000)}}}}, 400, "ERROR_GENERIC", "too large")
	if _, err := admin.CreateApplication(ctx, "push-unconfigured"); err != nil {
		t.Fatal(err)
	}
	e.refused(t, http.MethodPost, "/push/message/send", map[string]any{"requestObject": map[string]any{"appId": "push-unconfigured",
		"message": map[string]any{"userId": "alice", "body": map[string]any{"title": "x"}}}}, 400, "ERROR_GENERIC", "no push credentials")
	e.refused(t, http.MethodPost, "/push/message/send", map[string]any{"requestObject": map[string]any{"appId": pushApp, "mode": "SOMETIMES",
		"message": map[string]any{"userId": "alice", "body": map[string]any{"title": "x"}}}}, 400, "ERROR_REQUEST", "mode")
	if got := len(e.messages(t)); got != before {
		t.Fatalf("refused requests stored %d messages", got-before)
	}
	if creds, err := e.Store.GetPushCredentials(ctx, mustApp(t, e.Store, pushApp)); err != nil || len(creds.FCMKey) > 0 || len(creds.HMSClientSecret) > 0 {
		t.Fatalf("refused credentials stored: %v", err)
	}

	// E2E: operation create → operationInit; 2FA approval → operationFinished.
	e.rest(t, "operation/template/create", map[string]any{"templateName": "payment", "operationType": "payment",
		"dataTemplate": "A1*A${amount}CZK", "signatureType": []string{"POSSESSION_KNOWLEDGE"}, "maxFailureCount": 3, "expiration": 300})
	created := e.rest(t, "operation/create", map[string]any{"userId": "alice", "applications": []string{pushApp},
		"templateName": "payment", "parameters": map[string]string{"amount": "100"}})
	opID := created["id"].(string)
	waitFor(t, "mtoken.operationInit", func() bool { return len(received(fake, tokA)) >= 1 })
	initMsg := received(fake, tokA)[0]
	if initMsg["messageType"] != "mtoken.operationInit" || initMsg["operationId"] != opID || initMsg["operationName"] != "payment" {
		t.Fatalf("operationInit payload: %v", initMsg)
	}
	if aps, _ := initMsg["aps"].(map[string]any); aps["alert"] == nil {
		t.Fatalf("operationInit is not visible: %v", initMsg)
	}
	tok, err := dc.CreateToken(ctx, dev, client.Possession)
	if err != nil {
		t.Fatal(err)
	}
	ops, err := dc.ListOperations(ctx, tok, "en")
	if err != nil || len(ops) != 1 {
		t.Fatalf("operations: %+v %v", ops, err)
	}
	if err := dc.AuthorizeOperation(ctx, dev, client.PossessionKnowledge("1234"), client.Approval{ID: opID, Data: ops[0].Data}); err != nil {
		t.Fatalf("approve: %v", err)
	}
	waitFor(t, "mtoken.operationFinished", func() bool { return len(received(fake, tokA)) >= 2 })
	fin := received(fake, tokA)[1]
	if fin["messageType"] != "mtoken.operationFinished" || fin["operationId"] != opID || fin["mtokenOperationResult"] != "authentication.success" {
		t.Fatalf("operationFinished payload: %v", fin)
	}

	// An APPLICATION integration may use the push server API for its
	// applications only, and may not manage credentials.
	integ := e.rest(t, "integration/create", map[string]any{"name": "push-scoped", "role": "APPLICATION", "applicationIds": []string{pushApp}})
	su, sp := integ["clientToken"].(string), integ["clientSecret"].(string)
	for _, tc := range []struct {
		path string
		body any
		want int
	}{
		{"/push/device/delete", map[string]any{"requestObject": map[string]any{"appId": pushApp, "token": "none"}}, http.StatusOK},
		{"/push/device/delete", map[string]any{"requestObject": map[string]any{"appId": "push-unconfigured", "token": "none"}}, http.StatusForbidden},
		{"/admin/app/apns", map[string]any{"requestObject": apns}, http.StatusForbidden},
		{"/admin/app/create", map[string]any{"requestObject": map[string]any{"appId": pushApp}}, http.StatusForbidden},
	} {
		if code, out := e.callAs(t, su, sp, http.MethodPost, tc.path, tc.body); code != tc.want {
			t.Fatalf("scoped integration %s: HTTP %d %v, want %d", tc.path, code, out, tc.want)
		}
	}
	if code, _ := e.callAs(t, su, "wrong", http.MethodPost, "/push/device/delete", map[string]any{}); code != http.StatusUnauthorized {
		t.Fatalf("wrong secret: HTTP %d", code)
	}

	// Invalid token: FAILED and the registration removed.
	dev2, _ := activateDeviceOf(t, admin, pubURL, pushApp, "3.3")
	tokB := pushToken(11)
	e.ok(t, http.MethodPost, "/push/device/create", map[string]any{"requestObject": map[string]any{
		"appId": pushApp, "token": tokB, "platform": "apns", "activationId": dev2.ActivationID}})
	fake.RespondTo(tokB, pushtest.APNsResponse{Status: 410, Reason: "Unregistered"})
	res := e.ok(t, http.MethodPost, "/push/message/send", map[string]any{"requestObject": map[string]any{"appId": pushApp,
		"message": map[string]any{"userId": "alice", "activationId": dev2.ActivationID, "body": map[string]any{"title": "hello"}}}})
	if want := map[string]any{"sent": 0.0, "failed": 1.0, "pending": 0.0, "total": 1.0}; !equalJSON(res["apns"], want) || res["mode"] != "SYNCHRONOUS" {
		t.Fatalf("invalid token send: %v", res)
	}
	if _, err := e.Store.GetPushDevice(ctx, dev2.ActivationID); err == nil {
		t.Fatal("the invalid token's registration was kept")
	}

	// Transient errors: retried (kept PENDING meanwhile), then delivered.
	fake.Queue(pushtest.APNsResponse{Status: 503, Reason: "ServiceUnavailable"}, pushtest.APNsResponse{Status: 429, Reason: "TooManyRequests"})
	res = e.ok(t, http.MethodPost, "/push/message/send", map[string]any{"requestObject": map[string]any{"appId": pushApp,
		"message": map[string]any{"userId": "alice", "body": map[string]any{"title": "retry me"}}}})
	if want := map[string]any{"sent": 0.0, "failed": 0.0, "pending": 1.0, "total": 1.0}; !equalJSON(res["apns"], want) {
		t.Fatalf("transient send: %v", res)
	}
	last := func() domain.PushMessage { ms := e.messages(t); return ms[len(ms)-1] }
	waitFor(t, "the retried message to be SENT", func() bool { return last().Status == domain.PushMessageSent })
	if m := last(); m.Attempts != 3 {
		t.Fatalf("delivered after %d attempts, want 3", m.Attempts)
	}

	// Provider down: the breaker opens after 3 transient failures and the
	// messages stay PENDING without calling the provider.
	fake.Queue(pushtest.APNsResponse{Status: 503}, pushtest.APNsResponse{Status: 503}, pushtest.APNsResponse{Status: 503})
	calls := fake.Count()
	e.ok(t, http.MethodPost, "/push/message/send", map[string]any{"requestObject": map[string]any{"appId": pushApp, "mode": "ASYNCHRONOUS",
		"message": map[string]any{"userId": "alice", "body": map[string]any{"title": "down 1"}}}})
	waitFor(t, "the breaker to hold the message", func() bool { return last().Reason == "circuit breaker open" })
	if got := fake.Count() - calls; got != 3 {
		t.Fatalf("the provider got %d calls, want 3 before the breaker opened", got)
	}
	e.ok(t, http.MethodPost, "/push/message/batch/send", map[string]any{"requestObject": map[string]any{"appId": pushApp, "mode": "ASYNCHRONOUS",
		"batch": []any{map[string]any{"userId": "alice", "body": map[string]any{"title": "down 2"}}}}})
	waitFor(t, "the breaker to hold the second message", func() bool { return last().Reason == "circuit breaker open" })
	if got := fake.Count() - calls; got != 3 {
		t.Fatalf("the open breaker let %d calls through", got-3)
	}
	pending := 0
	for _, m := range e.messages(t) {
		if m.Status == domain.PushMessagePending {
			pending++
		}
	}
	if pending != 2 {
		t.Fatalf("%d PENDING messages, want 2", pending)
	}
	_, metricsBody, _ := get(t, "http://"+r.PrivateAddr().String()+"/metrics", nil)
	for _, want := range []string{`mauth_push_messages_total{outcome="sent",provider="apns"}`, `mauth_push_messages_total{outcome="breaker_open",provider="apns"}`,
		`mauth_push_messages_total{outcome="invalid_token",provider="apns"} 1`, `mauth_push_queue_depth 2`, `mauth_push_breaker_state{application=`, "mauth_push_provider_duration_seconds"} {
		if !strings.Contains(metricsBody, want) {
			t.Errorf("metrics lack %q", want)
		}
	}

	// A restart (a new instance on the same database) after the breaker's
	// hold delivers the PENDING messages.
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	clk.Advance(2 * time.Hour)
	c2 := c
	c2.DataDir = r.cfg.DataDir
	c2.ServerKey = r.cfg.ServerKey
	e.running = startPushApp(t, c2, fake, clk, contract)
	waitFor(t, "the PENDING messages to be delivered after the restart", func() bool {
		for _, m := range e.messages(t) {
			if m.Status == domain.PushMessagePending {
				return false
			}
		}
		return true
	})
	if n := len(received(fake, tokA)); n < 6 {
		t.Fatalf("the device got %d messages, want at least 6", n)
	}

	// A campaign through the API: users in bulk, live send, progress.
	camp := e.ok(t, http.MethodPost, "/push/campaign/create", map[string]any{"requestObject": map[string]any{"appId": pushApp,
		"message": map[string]any{"title": "Campaign", "body": "News"}}})
	cid := int64(camp["id"].(float64))
	users := []string{"alice"}
	for i := range 5000 {
		users = append(users, "nobody-"+strconv.Itoa(i))
	}
	e.ok(t, http.MethodPost, "/push/campaign/"+strconv.FormatInt(cid, 10)+"/user/add", map[string]any{"requestObject": users})
	e.ok(t, http.MethodPost, "/push/campaign/send/live/"+strconv.FormatInt(cid, 10), nil)
	waitFor(t, "the campaign to be sent", func() bool {
		d := e.ok(t, http.MethodGet, "/push/campaign/"+strconv.FormatInt(cid, 10)+"/detail", nil)
		p, _ := d["progress"].(map[string]any)
		return d["status"] == "SENT" && p["sent"] == 1.0 && p["total"] == 1.0
	})
	if got := received(fake, tokA); got[len(got)-1]["aps"].(map[string]any)["alert"].(map[string]any)["title"] != "Campaign" {
		t.Fatalf("campaign message: %v", got[len(got)-1])
	}

	// Registrations follow their activation: a BLOCKED one gets no personal
	// message (other messages still), a REMOVED one loses its registration.
	e.rest(t, "activation/block", map[string]any{"activationId": dev.ActivationID})
	send := func(personal bool) map[string]any {
		return e.ok(t, http.MethodPost, "/push/message/send", map[string]any{"requestObject": map[string]any{"appId": pushApp,
			"message": map[string]any{"userId": "alice", "attributes": map[string]any{"personal": personal}, "body": map[string]any{"title": "p"}}}})
	}
	if res := send(true); !equalJSON(res["apns"], map[string]any{"sent": 0, "failed": 0, "pending": 0, "total": 0}) {
		t.Fatalf("personal message to a BLOCKED activation: %v", res)
	}
	if res := send(false); !equalJSON(res["apns"], map[string]any{"sent": 1, "failed": 0, "pending": 0, "total": 1}) {
		t.Fatalf("message to a BLOCKED activation: %v", res)
	}
	e.rest(t, "activation/remove", map[string]any{"activationId": dev.ActivationID})
	if _, err := e.Store.GetPushDevice(ctx, dev.ActivationID); err == nil {
		t.Fatal("a REMOVED activation keeps its push registration")
	}
	contract.Report(t)
}

// rest calls a /rest/v3 method with the integration credentials.
func (e *pushEnv) rest(t *testing.T, method string, req any) map[string]any {
	t.Helper()
	return e.ok(t, http.MethodPost, "/rest/v3/"+method, map[string]any{"requestObject": req})
}

func mustApp(t *testing.T, st store.Store, name string) int64 {
	t.Helper()
	a, err := st.GetApplicationByName(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return a.ID
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}
