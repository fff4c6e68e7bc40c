package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mauth/mauth/client"
	apicloud "github.com/mauth/mauth/internal/api/cloud"
	"github.com/mauth/mauth/internal/callbacks"
	"github.com/mauth/mauth/internal/cloud"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/push/pushtest"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/apicontract"
	"github.com/mauth/mauth/internal/testutil/pgtest"
	"github.com/mauth/mauth/internal/testutil/testclock"
	"github.com/mauth/mauth/openapi"
	"github.com/mauth/mauth/protocol"
)

// cloudEnv is a running mauth with the Cloud API behind the OpenAPI
// contract checker, its own clock and an admin user.
type cloudEnv struct {
	r         *running
	clock     *testclock.Clock
	privURL   string
	pubURL    string
	contract  *apicontract.Checker
	http      *http.Client
	adminUser string
	adminPass string
	// apns is the fake APNs the push service delivers to and p8 the key
	// it accepts.
	apns *pushtest.APNs
	p8   []byte
}

// startCloud starts an all-in-one server on backend ("sqlite" or
// "postgres") whose /powerauth-cloud traffic the contract checker
// validates.
func startCloud(t *testing.T, backend string) *cloudEnv {
	t.Helper()
	c := testConfig(t, RoleAll)
	if backend == "postgres" {
		c.DatabaseURL = pgtest.NewDatabase(t)
		c.ServerKey = base64.StdEncoding.EncodeToString(make([]byte, 32))
	}
	c.CallbackAllowedDestinations = []string{"127.0.0.0/8"}
	c.callbacks.PollInterval = 10 * time.Millisecond
	c.callbacks.ResponseTimeout = testTimeout
	c.Cloud.PasswordHashMemoryKiB = 64 // fast Argon2id for tests
	clock := &testclock.Clock{}
	c.cloudNow = clock.Now
	p8, pub := pushtest.NewAPNsKey(t)
	fake := pushtest.NewAPNs(t, pushtest.APNsConfig{Key: pub, KeyID: pushKeyID, TeamID: pushTeamID, Topic: pushTopic})
	c.Push.APNsDevelopmentURL, c.Push.APNsProductionURL = fake.URL(), fake.URL()
	c.push = pushOverrides{httpClient: fake.Client(), pollInterval: 20 * time.Millisecond, retryBase: time.Millisecond}
	e := &cloudEnv{clock: clock, http: &http.Client{Timeout: testTimeout}, apns: fake, p8: p8}
	e.contract = apicontract.New(t, "openapi/cloud.yaml", openapi.Cloud)
	out := &syncBuffer{}
	c.Out = out
	a, err := New(context.Background(), c)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	inner, checked := a.Private, e.contract.Wrap(a.Private)
	a.Private = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if strings.HasPrefix(req.URL.Path, apicloud.Prefix+"/") {
			checked.ServeHTTP(w, req)
			return
		}
		inner.ServeHTTP(w, req)
	})
	if err := a.Listen(context.Background()); err != nil {
		a.Close()
		t.Fatalf("Listen: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		a.Close()
	})
	e.r = &running{App: a, out: out}
	e.privURL = "http://" + a.PrivateAddr().String() + apicloud.Prefix
	e.pubURL = "http://" + a.PublicAddr().String()
	// The first admin is created like `mauth cloud user create` does.
	admin, err := a.Cloud.CreateUser(context.Background(), "admin", domain.CloudRoleAdmin)
	if err != nil {
		t.Fatalf("create admin: %v", err)
	}
	e.adminUser, e.adminPass = admin.Username, admin.Password
	return e
}

// auth sets the credentials of a request.
type auth func(*http.Request)

func basic(user, pass string) auth { return func(r *http.Request) { r.SetBasicAuth(user, pass) } }
func bearer(token string) auth {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
}

// call sends a Cloud API request (body: nil, a string sent as is, or a
// value sent as JSON) and returns the status and the decoded answer.
func (e *cloudEnv) call(t *testing.T, method, path string, a auth, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.privURL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if a != nil {
		a(req)
	}
	resp, err := e.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: HTTP %d, not JSON: %s", method, path, resp.StatusCode, raw)
		}
	}
	return resp.StatusCode, out
}

// ok calls and requires 200.
func (e *cloudEnv) ok(t *testing.T, method, path string, a auth, body any) map[string]any {
	t.Helper()
	code, out := e.call(t, method, path, a, body)
	if code != http.StatusOK {
		t.Fatalf("%s %s: HTTP %d %v", method, path, code, out)
	}
	return out
}

// wantError calls and requires an error answer with status and code.
func (e *cloudEnv) wantError(t *testing.T, status int, code, method, path string, a auth, body any) {
	t.Helper()
	got, out := e.call(t, method, path, a, body)
	ro, _ := out["responseObject"].(map[string]any)
	if got != status || out["status"] != "ERROR" || ro["code"] != code {
		t.Fatalf("%s %s: HTTP %d %v, want %d %s", method, path, got, out, status, code)
	}
}

func (e *cloudEnv) admin() auth { return basic(e.adminUser, e.adminPass) }

// user creates a ROLE_USER granted the applications and returns its credentials.
func (e *cloudEnv) user(t *testing.T, name string, apps ...string) auth {
	t.Helper()
	u := e.ok(t, "POST", "/admin/users", e.admin(), map[string]any{"username": name})
	pass, _ := u["password"].(string)
	if u["username"] != name || u["role"] != "ROLE_USER" || u["enabled"] != true || len(pass) < 20 {
		t.Fatalf("created user %v", u)
	}
	for _, app := range apps {
		e.ok(t, "POST", "/admin/users/"+name+"/applications/"+app, e.admin(), nil)
	}
	return basic(name, pass)
}

// signedReceiver is the bank's callback endpoint: it accepts only
// requests signed with one of its secrets and records their payloads.
type signedReceiver struct {
	mu      sync.Mutex
	secrets []string
	got     []map[string]any
	bad     int
}

func (s *signedReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, secret := range s.secrets {
		if callbacks.VerifySignature(secret, r.Header.Get(callbacks.SignatureHeader), body, time.Hour) == nil {
			var p map[string]any
			if json.Unmarshal(body, &p) == nil {
				s.got = append(s.got, p)
				return
			}
		}
	}
	s.bad++
	w.WriteHeader(http.StatusUnauthorized)
}

// waitFor polls until the receiver holds a payload with every field of
// want (a safety-net deadline only).
func (s *signedReceiver) waitFor(t *testing.T, want map[string]any) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for {
		s.mu.Lock()
		for _, p := range s.got {
			match := true
			for k, v := range want {
				if p[k] != v {
					match = false
				}
			}
			if match {
				s.mu.Unlock()
				return
			}
		}
		got, bad := len(s.got), s.bad
		s.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("no callback %v among %d verified (%d refused)", want, got, bad)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

const cloudPIN = "1234"

// device activates a Go client from a registration's QR code data.
func (e *cloudEnv) device(t *testing.T, sdkConfig, qr string) (*client.Client, *client.Device) {
	t.Helper()
	cfg := client.Config{BaseURL: e.pubURL, Version: protocol.Version33, HTTPClient: e.http}
	if err := cfg.FromSDKConfig(sdkConfig); err != nil {
		t.Fatalf("sdk config: %v", err)
	}
	c, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.ActivateWithCode(context.Background(), qr, cloudPIN, client.ActivationOptions{Name: "phone", Platform: "android", DeviceInfo: "cloud test"})
	if err != nil {
		t.Fatalf("activate: %v", err)
	}
	return c, res.Device
}

// TestCloudAPI runs the Cloud API scenarios through HTTP on SQLite and
// PostgreSQL, every exchange checked against openapi/cloud.yaml.
func TestCloudAPI(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			e := startCloud(t, backend)
			f := e.fixture(t)
			t.Run("EndToEnd", func(t *testing.T) { e.endToEnd(t, f) })
			t.Run("Admin", func(t *testing.T) { e.adminEndpoints(t, f) })
			t.Run("Authorization", func(t *testing.T) { e.authorization(t, f) })
			t.Run("BearerTokens", func(t *testing.T) { e.bearerTokens(t, f) })
			t.Run("BadInput", func(t *testing.T) { e.badInput(t, f) })
			t.Run("LoadTestFlow", func(t *testing.T) { e.loadTestFlow(t, f) })
			t.Run("Push", func(t *testing.T) { e.push(t, f) })
			// Last: it exhausts the client IP's login failures.
			t.Run("RateLimit", func(t *testing.T) { e.rateLimit(t, f) })
			if missing := e.contract.Unexercised(); len(missing) != 0 {
				t.Errorf("operations of openapi/cloud.yaml no test exercised: %v", missing)
			}
		})
	}
}

// cloudFixture is two applications, a user of each, a template with
// English and Czech texts, and a signed callback receiver.
type cloudFixture struct {
	appA, appB map[string]any
	userA      auth
	userB      auth
	recv       *signedReceiver
	recvURL    string
}

func (e *cloudEnv) fixture(t *testing.T) *cloudFixture {
	f := &cloudFixture{}
	f.appA = e.ok(t, "POST", "/admin/applications", e.admin(), map[string]any{"id": "bank-app-a", "roles": []string{"ROLE_PAYMENTS"}})
	f.appB = e.ok(t, "POST", "/admin/applications", e.admin(), map[string]any{"id": "bank-app-b"})
	for _, k := range []string{"serviceBaseUrl", "mobileSdkConfig", "appKey", "appSecret", "masterServerPublicKey"} {
		if s, _ := f.appA[k].(string); s == "" {
			t.Fatalf("application without %s: %v", k, f.appA)
		}
	}
	if f.appA["serviceBaseUrl"] != e.pubURL {
		t.Fatalf("serviceBaseUrl %v, want %s", f.appA["serviceBaseUrl"], e.pubURL)
	}
	f.userA = e.user(t, "backend-a", "bank-app-a")
	f.userB = e.user(t, "backend-b", "bank-app-b")
	e.ok(t, "POST", "/admin/templates", e.admin(), map[string]any{"name": "payment", "operationType": "authorize_payment",
		"dataTemplate": "A1*A${amount}${currency}*I${iban}", "signatureType": []string{"possession_knowledge"},
		"maxFailureCount": 3, "expiration": 300})
	e.ok(t, "PUT", "/admin/templates/payment/localizations/en", e.admin(), map[string]any{"title": "Payment", "summary": "Pay ${amount} ${currency} to ${iban}"})
	e.ok(t, "PUT", "/admin/templates/payment/localizations/cs", e.admin(), map[string]any{"title": "Platba", "summary": "Zaplaťte ${amount} ${currency} na ${iban}"})
	f.recv = &signedReceiver{}
	srv := newLoopbackServer(t, f.recv)
	f.recvURL = srv
	return f
}

// newLoopbackServer serves h on 127.0.0.1 until the test ends.
func newLoopbackServer(t *testing.T, h http.Handler) string {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s.URL
}

var payment = map[string]string{"amount": "100.50", "currency": "CZK", "iban": "CZ6508000000192000145399"}

// endToEnd: a bank backend registers callbacks, creates a registration,
// a Go client activates with its QR data, the backend commits it, creates
// an operation that the client approves, and the receiver gets the signed
// registration and operation events.
func (e *cloudEnv) endToEnd(t *testing.T, f *cloudFixture) {
	ctx := context.Background()
	opCB := e.ok(t, "POST", "/v2/admin/applications/bank-app-a/callbacks", f.userA,
		map[string]any{"name": "ops", "type": "OPERATION_STATUS_CHANGE", "callbackUrl": f.recvURL + "/ops"})
	regCB := e.ok(t, "POST", "/v2/admin/applications/bank-app-a/callbacks", f.userA,
		map[string]any{"name": "regs", "type": "REGISTRATION_STATUS_CHANGE", "callbackUrl": f.recvURL + "/regs"})
	if regCB["type"] != "REGISTRATION_STATUS_CHANGE" || opCB["signingSecret"] == "" || opCB["signingSecret"] == regCB["signingSecret"] {
		t.Fatalf("callbacks %v %v", opCB, regCB)
	}
	f.recv.mu.Lock()
	f.recv.secrets = []string{opCB["signingSecret"].(string), regCB["signingSecret"].(string)}
	f.recv.mu.Unlock()
	list := e.ok(t, "GET", "/v2/admin/applications/bank-app-a/callbacks", f.userA, nil)
	if cbs, _ := list["callbacks"].([]any); len(cbs) != 2 {
		t.Fatalf("callbacks %v", list)
	}

	reg := e.ok(t, "POST", "/v2/registrations", f.userA, map[string]any{"userId": "alice", "appId": "bank-app-a"})
	id, _ := reg["registrationId"].(string)
	qr, _ := reg["activationQrCodeData"].(string)
	if id == "" || qr != reg["activationCode"].(string)+"#"+reg["activationCodeSignature"].(string) {
		t.Fatalf("registration %v", reg)
	}
	detail := e.ok(t, "GET", "/v2/registrations/"+id, f.userA, nil)
	if detail["registrationStatus"] != "CREATED" || detail["activationQrCodeData"] != qr || detail["userId"] != "alice" {
		t.Fatalf("detail %v", detail)
	}
	c, d := e.device(t, f.appA["mobileSdkConfig"].(string), qr)
	if d.ActivationID != id {
		t.Fatalf("activated %s, want %s", d.ActivationID, id)
	}
	detail = e.ok(t, "GET", "/v2/registrations/"+id, f.userA, nil)
	if detail["registrationStatus"] != "PENDING_COMMIT" || detail["activationFingerprint"] == nil || detail["platform"] != "android" {
		t.Fatalf("after the key exchange %v", detail)
	}
	if out := e.ok(t, "POST", "/v2/registrations/"+id+"/commit", f.userA, map[string]any{"externalUserId": "clerk-7"}); out["status"] != "OK" {
		t.Fatalf("commit %v", out)
	}
	if detail = e.ok(t, "GET", "/v2/registrations/"+id, f.userA, nil); detail["registrationStatus"] != "ACTIVE" {
		t.Fatalf("after commit %v", detail)
	}
	hist, err := e.r.Service.ActivationHistory(ctx, id, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	recorded := false
	for _, h := range hist {
		recorded = recorded || (h.Status == domain.ActivationActive && h.ExternalUserID == "clerk-7")
	}
	if !recorded {
		t.Fatalf("commit by clerk-7 not in the history %+v", hist)
	}
	regs := e.ok(t, "GET", "/v2/registrations?userId=alice", f.userA, nil)
	if rs, _ := regs["registrations"].([]any); len(rs) != 1 {
		t.Fatalf("registrations of alice %v", regs)
	}

	op := e.ok(t, "POST", "/v2/operations", f.userA, map[string]any{"userId": "alice", "template": "payment", "language": "cs", "parameters": payment})
	opID, _ := op["operationId"].(string)
	if op["status"] != "PENDING" || op["title"] != "Platba" || op["summary"] != "Zaplaťte 100.50 CZK na CZ6508000000192000145399" ||
		op["data"] != "A1*A100.50CZK*ICZ6508000000192000145399" || op["operationType"] != "authorize_payment" {
		t.Fatalf("operation %v", op)
	}
	if en := e.ok(t, "GET", "/v2/operations/"+opID+"?language=de", f.userA, nil); en["title"] != "Payment" {
		t.Fatalf("fallback to English %v", en)
	}
	// The backend verifies a signed request and a token of the device.
	body := []byte(`{"amount":"100.50"}`)
	hdr, err := c.SignatureHeader(d, client.PossessionKnowledge(cloudPIN), "POST", "/payment/submit", body)
	if err != nil {
		t.Fatal(err)
	}
	sv := e.ok(t, "POST", "/v2/signature/verify", f.userA, map[string]any{"method": "POST", "uriId": "/payment/submit",
		"authHeader": hdr, "requestBody": base64.StdEncoding.EncodeToString(body)})
	if sv["signatureValid"] != true || sv["userId"] != "alice" || sv["registrationId"] != id || sv["registrationStatus"] != "ACTIVE" || sv["signatureType"] != "POSSESSION_KNOWLEDGE" {
		t.Fatalf("signature verify %v", sv)
	}
	wrongHdr, _ := c.SignatureHeader(d, client.PossessionKnowledge("9999"), "POST", "/payment/submit", body)
	if sv = e.ok(t, "POST", "/v2/signature/verify", f.userA, map[string]any{"method": "POST", "uriId": "/payment/submit",
		"authHeader": wrongHdr, "requestBody": base64.StdEncoding.EncodeToString(body)}); sv["signatureValid"] != false || sv["remainingAttempts"] == nil {
		t.Fatalf("wrong PIN verify %v", sv)
	}
	e.wantError(t, 400, cloud.CodeSignatureInvalid, "POST", "/v2/signature/verify", f.userA, map[string]any{"method": "POST", "uriId": "/x", "authHeader": "PowerAuth nonsense"})
	e.wantError(t, 400, cloud.CodeRegistrationNotFound, "POST", "/v2/signature/verify", f.userB, map[string]any{"method": "POST", "uriId": "/payment/submit",
		"authHeader": hdr, "requestBody": base64.StdEncoding.EncodeToString(body)})
	tk, err := c.CreateToken(ctx, d, client.PossessionKnowledge(cloudPIN))
	if err != nil {
		t.Fatal(err)
	}
	tokHdr := c.TokenHeader(tk)
	if tv := e.ok(t, "POST", "/v2/token/verify", f.userB, map[string]any{"authHeader": tokHdr}); tv["tokenValid"] != false {
		t.Fatalf("token of A verified for B: %v", tv)
	}
	if tv := e.ok(t, "POST", "/v2/token/verify", f.userA, map[string]any{"authHeader": tokHdr}); tv["tokenValid"] != true || tv["userId"] != "alice" || tv["registrationId"] != id {
		t.Fatalf("token verify %v", tv)
	}
	if tv := e.ok(t, "POST", "/v2/token/verify", f.userA, map[string]any{"authHeader": tokHdr}); tv["tokenValid"] != false {
		t.Fatalf("a replayed token digest verified: %v", tv)
	}
	e.wantError(t, 400, cloud.CodeTokenInvalid, "POST", "/v2/token/verify", f.userA, map[string]any{"authHeader": "PowerAuth token_id=\"x\""})

	if err := c.AuthorizeOperation(ctx, d, client.PossessionKnowledge(cloudPIN), client.Approval{ID: opID, Data: op["data"].(string)}); err != nil {
		t.Fatalf("approve: %v", err)
	}
	if got := e.ok(t, "GET", "/v2/operations/"+opID, f.userA, nil); got["status"] != "APPROVED" {
		t.Fatalf("after approval %v", got)
	}
	ops := e.ok(t, "GET", "/v2/operations?userId=alice", f.userA, nil)
	if os, _ := ops["operations"].([]any); len(os) != 1 {
		t.Fatalf("operations of alice %v", ops)
	}
	f.recv.waitFor(t, map[string]any{"type": "OPERATION", "operationId": opID, "status": "APPROVED"})
	f.recv.waitFor(t, map[string]any{"type": "ACTIVATION", "activationId": id, "activationStatus": "ACTIVE"})

	// Offline QR code: a wrong code counts, the right one approves.
	op2 := e.ok(t, "POST", "/v2/operations", f.userA, map[string]any{"userId": "alice", "template": "payment", "parameters": payment})
	op2ID := op2["operationId"].(string)
	qrOut := e.ok(t, "GET", "/v2/operations/"+op2ID+"/offline/qr?registrationId="+id, f.userA, nil)
	oq, err := client.ParseOfflineQR(qrOut["operationQrCodeData"].(string), d.ServerPublicKey, nil)
	if err != nil {
		t.Fatalf("offline QR: %v", err)
	}
	if oq.Title != "Payment" {
		t.Fatalf("offline QR title %q", oq.Title)
	}
	bad := e.ok(t, "POST", "/v2/operations/"+op2ID+"/offline/otp", f.userA, map[string]any{"otp": "12345678-12345678", "nonce": qrOut["nonce"], "registrationId": id})
	if bad["otpValid"] != false || bad["operationStatus"] != "PENDING" {
		t.Fatalf("wrong offline code %v", bad)
	}
	otp, err := c.OfflineSignature(d, client.PossessionKnowledge(cloudPIN), oq)
	if err != nil {
		t.Fatal(err)
	}
	good := e.ok(t, "POST", "/v2/operations/"+op2ID+"/offline/otp", f.userA, map[string]any{"otp": otp, "nonce": qrOut["nonce"], "registrationId": id})
	if good["otpValid"] != true || good["operationStatus"] != "APPROVED" || good["userId"] != "alice" || good["registrationStatus"] != "ACTIVE" {
		t.Fatalf("right offline code %v", good)
	}
	e.wantError(t, 400, cloud.CodeOTPInvalid, "POST", "/v2/operations/"+op2ID+"/offline/otp", f.userA, map[string]any{"otp": "12ab", "nonce": qrOut["nonce"], "registrationId": id})

	// Cancel, and a cancelled operation cannot change any more.
	op3 := e.ok(t, "POST", "/v2/operations", f.userA, map[string]any{"userId": "alice", "template": "payment", "parameters": payment, "proximityCheckEnabled": true})
	if p, _ := op3["proximityOtp"].(string); p == "" {
		t.Fatalf("no proximity OTP %v", op3)
	}
	op3ID := op3["operationId"].(string)
	if out := e.ok(t, "DELETE", "/v2/operations/"+op3ID+"?statusReason=CUSTOMER_CANCEL", f.userA, nil); out["operationStatus"] != "CANCELED" {
		t.Fatalf("cancel %v", out)
	}
	e.wantError(t, 400, cloud.CodeOperationStateChange, "DELETE", "/v2/operations/"+op3ID, f.userA, nil)
	if pend := e.ok(t, "GET", "/v2/operations?userId=alice&pendingOnly=true", f.userA, nil); len(pend["operations"].([]any)) != 0 {
		t.Fatalf("pending %v", pend)
	}

	// Block, unblock, remove.
	e.ok(t, "PUT", "/v2/registrations/"+id, f.userA, map[string]any{"change": "BLOCK", "blockReason": "LOST"})
	if detail = e.ok(t, "GET", "/v2/registrations/"+id, f.userA, nil); detail["registrationStatus"] != "BLOCKED" || detail["blockedReason"] != "LOST" {
		t.Fatalf("blocked %v", detail)
	}
	e.ok(t, "PUT", "/v2/registrations/"+id, f.userA, map[string]any{"change": "UNBLOCK"})
	f.recv.waitFor(t, map[string]any{"type": "ACTIVATION", "activationId": id, "activationStatus": "BLOCKED"})
	e.ok(t, "DELETE", "/v2/registrations/"+id, f.userA, nil)
	if detail = e.ok(t, "GET", "/v2/registrations/"+id, f.userA, nil); detail["registrationStatus"] != "REMOVED" {
		t.Fatalf("removed %v", detail)
	}
	e.wantError(t, 400, cloud.CodeRegistrationChange, "PUT", "/v2/registrations/"+id, f.userA, map[string]any{"change": "BLOCK"})
	e.wantError(t, 400, cloud.CodeRegistrationChange, "POST", "/v2/registrations/"+id+"/commit", f.userA, nil)

	// A registration with an activation OTP checked on commit: a wrong
	// OTP is refused, the right one commits.
	otpReg := e.ok(t, "POST", "/v2/registrations", f.userA, map[string]any{"userId": "erin", "otp": "55555", "commitPhase": "ON_COMMIT"})
	_, od := e.device(t, f.appA["mobileSdkConfig"].(string), otpReg["activationQrCodeData"].(string))
	e.wantError(t, 400, cloud.CodeOTPInvalid, "POST", "/v2/registrations/"+od.ActivationID+"/commit", f.userA, map[string]any{"otp": "11111"})
	e.ok(t, "POST", "/v2/registrations/"+od.ActivationID+"/commit", f.userA, map[string]any{"otp": "55555"})
	if got := e.ok(t, "GET", "/v2/registrations/"+od.ActivationID, f.userA, nil); got["registrationStatus"] != "ACTIVE" {
		t.Fatalf("after the OTP commit %v", got)
	}
	// With commitPhase ON_KEY_EXCHANGE the key exchange activates at once.
	kxReg := e.ok(t, "POST", "/v2/registrations", f.userA, map[string]any{"userId": "frank", "commitPhase": "ON_KEY_EXCHANGE", "flags": []string{}})
	_, kd := e.device(t, f.appA["mobileSdkConfig"].(string), kxReg["activationQrCodeData"].(string))
	if got := e.ok(t, "GET", "/v2/registrations/"+kd.ActivationID, f.userA, nil); got["registrationStatus"] != "ACTIVE" {
		t.Fatalf("after an ON_KEY_EXCHANGE key exchange %v", got)
	}

	// A second registration while one is unfinished, with the check on.
	e.ok(t, "POST", "/v2/registrations", f.userA, map[string]any{"userId": "bob", "otp": "55555", "commitPhase": "ON_COMMIT"})
	e.wantError(t, 400, cloud.CodeRegistrationNotAllowed, "POST", "/v2/registrations?incompleteStatusCheck=true", f.userA, map[string]any{"userId": "bob"})
	e.ok(t, "POST", "/v2/registrations?incompleteStatusCheck=true", f.userA, map[string]any{"userId": "carol"})

	// Callbacks are removed by the application's users.
	e.ok(t, "DELETE", "/v2/admin/applications/bank-app-a/callbacks/"+opCB["id"].(string), f.userA, nil)
	e.ok(t, "DELETE", "/v2/admin/applications/bank-app-a/callbacks/"+regCB["id"].(string), f.userA, nil)
	e.wantError(t, 404, cloud.CodeNotFound, "DELETE", "/v2/admin/applications/bank-app-a/callbacks/"+regCB["id"].(string), f.userA, nil)
}

// adminEndpoints covers the remaining admin calls.
func (e *cloudEnv) adminEndpoints(t *testing.T, f *cloudFixture) {
	if got := e.ok(t, "GET", "/admin/applications/bank-app-a", e.admin(), nil); got["appKey"] != f.appA["appKey"] || got["mobileSdkConfig"] != f.appA["mobileSdkConfig"] {
		t.Fatalf("application detail %v", got)
	}
	apps := e.ok(t, "GET", "/admin/applications", e.admin(), nil)
	if as, _ := apps["applications"].([]any); len(as) != 2 {
		t.Fatalf("applications %v", apps)
	}
	e.wantError(t, 404, cloud.CodeNotFound, "GET", "/admin/applications/nope", e.admin(), nil)
	e.wantError(t, 400, cloud.CodeRequest, "POST", "/admin/applications", e.admin(), map[string]any{"id": "bank-app-a"})
	users := e.ok(t, "GET", "/admin/users", e.admin(), nil)
	if us, _ := users["users"].([]any); len(us) < 3 {
		t.Fatalf("users %v", users)
	}
	if u := e.ok(t, "GET", "/admin/users/backend-a", e.admin(), nil); u["password"] != nil || len(u["applications"].([]any)) != 1 {
		t.Fatalf("user detail %v", u)
	}
	e.wantError(t, 400, cloud.CodeRequest, "POST", "/admin/users", e.admin(), map[string]any{"username": "backend-a"})
	e.wantError(t, 400, cloud.CodeRequest, "POST", "/admin/users", e.admin(), map[string]any{"username": "bad name!"})
	e.wantError(t, 404, cloud.CodeNotFound, "GET", "/admin/users/nobody", e.admin(), nil)
	tmp := e.user(t, "temp-user", "bank-app-a", "bank-app-b")
	if u := e.ok(t, "DELETE", "/admin/users/temp-user/applications/bank-app-b", e.admin(), nil); len(u["applications"].([]any)) != 1 {
		t.Fatalf("after revoke %v", u)
	}
	e.wantError(t, 404, cloud.CodeNotFound, "DELETE", "/admin/users/temp-user/applications/bank-app-b", e.admin(), nil)
	e.wantError(t, 404, cloud.CodeNotFound, "POST", "/admin/users/temp-user/applications/nope", e.admin(), nil)
	e.ok(t, "DELETE", "/admin/users/temp-user", e.admin(), nil)
	e.wantError(t, 401, cloud.CodeUnauthorized, "GET", "/v2/registrations?userId=x", tmp, nil)
	e.wantError(t, 404, cloud.CodeNotFound, "DELETE", "/admin/users/temp-user", e.admin(), nil)

	tpls := e.ok(t, "GET", "/admin/templates", e.admin(), nil)
	if ts, _ := tpls["templates"].([]any); len(ts) != 1 {
		t.Fatalf("templates %v", tpls)
	}
	e.ok(t, "POST", "/admin/templates", e.admin(), map[string]any{"name": "login", "operationType": "login", "dataTemplate": "A2",
		"signatureType": []string{"possession"}, "maxFailureCount": 1, "expiration": 60})
	e.ok(t, "PUT", "/admin/templates/login/localizations/en", e.admin(), map[string]any{"title": "Log in"})
	if ls := e.ok(t, "GET", "/admin/templates/payment/localizations", e.admin(), nil); len(ls["localizations"].([]any)) != 2 {
		t.Fatalf("localizations %v", ls)
	}
	e.ok(t, "DELETE", "/admin/templates/login/localizations/en", e.admin(), nil)
	e.wantError(t, 404, cloud.CodeNotFound, "DELETE", "/admin/templates/login/localizations/en", e.admin(), nil)
	e.wantError(t, 404, cloud.CodeNotFound, "PUT", "/admin/templates/nope/localizations/en", e.admin(), map[string]any{"title": "x"})
	e.wantError(t, 400, cloud.CodeRequest, "PUT", "/admin/templates/login/localizations/english", e.admin(), map[string]any{"title": "x"})
	e.ok(t, "DELETE", "/admin/templates/login", e.admin(), nil)
	e.wantError(t, 404, cloud.CodeNotFound, "DELETE", "/admin/templates/login", e.admin(), nil)
	e.wantError(t, 400, cloud.CodeRequest, "POST", "/admin/templates", e.admin(), map[string]any{"name": "payment", "operationType": "x",
		"dataTemplate": "A2", "signatureType": []string{"possession"}, "maxFailureCount": 1, "expiration": 60})
	e.wantError(t, 404, cloud.CodeNotFound, "GET", "/no/such/path", e.admin(), nil)
}

// authorization: a user of application B cannot see or change what
// belongs to application A, a ROLE_USER cannot call /admin/**, and wrong
// passwords and disabled users get 401.
func (e *cloudEnv) authorization(t *testing.T, f *cloudFixture) {
	reg := e.ok(t, "POST", "/v2/registrations", f.userA, map[string]any{"userId": "dave", "appId": "bank-app-a"})
	id := reg["registrationId"].(string)
	op := e.ok(t, "POST", "/v2/operations", f.userA, map[string]any{"userId": "dave", "template": "payment", "parameters": payment})
	opID := op["operationId"].(string)
	for _, c := range []struct {
		method, path string
		body         any
		status       int
		code         string
	}{
		{"GET", "/v2/registrations/" + id, nil, 400, cloud.CodeRegistrationNotFound},
		{"POST", "/v2/registrations/" + id + "/commit", map[string]any{}, 400, cloud.CodeRegistrationNotFound},
		{"PUT", "/v2/registrations/" + id, map[string]any{"change": "BLOCK"}, 400, cloud.CodeRegistrationNotFound},
		{"DELETE", "/v2/registrations/" + id, nil, 400, cloud.CodeRegistrationNotFound},
		{"POST", "/v2/registrations", map[string]any{"userId": "dave", "appId": "bank-app-a"}, 403, cloud.CodeForbidden},
		{"GET", "/v2/registrations?userId=dave&appId=bank-app-a", nil, 403, cloud.CodeForbidden},
		{"GET", "/v2/operations/" + opID, nil, 400, cloud.CodeOperationNotFound},
		{"DELETE", "/v2/operations/" + opID, nil, 400, cloud.CodeOperationNotFound},
		{"GET", "/v2/operations/" + opID + "/offline/qr?registrationId=" + id, nil, 400, cloud.CodeOperationNotFound},
		{"POST", "/v2/operations", map[string]any{"userId": "dave", "template": "payment", "parameters": payment, "appId": "bank-app-a"}, 403, cloud.CodeForbidden},
		{"POST", "/v2/admin/applications/bank-app-a/callbacks", map[string]any{"name": "x", "type": "OPERATION_STATUS_CHANGE", "callbackUrl": f.recvURL}, 404, cloud.CodeNotFound},
		{"GET", "/admin/users", nil, 403, cloud.CodeForbidden},
		{"POST", "/admin/users", map[string]any{"username": "mallory"}, 403, cloud.CodeForbidden},
		{"POST", "/admin/users/backend-b/applications/bank-app-a", nil, 403, cloud.CodeForbidden},
		{"POST", "/admin/applications", map[string]any{"id": "evil"}, 403, cloud.CodeForbidden},
		{"GET", "/admin/applications/bank-app-b", nil, 403, cloud.CodeForbidden},
		{"POST", "/admin/applications/bank-app-a/push", map[string]any{"hms": map[string]any{"clientId": "1", "clientSecret": "s"}}, 403, cloud.CodeForbidden},
		{"GET", "/admin/applications/bank-app-a/push", nil, 403, cloud.CodeForbidden},
		{"DELETE", "/admin/applications/bank-app-a/push/apns", nil, 403, cloud.CodeForbidden},
		{"POST", "/admin/templates", map[string]any{"name": "t", "operationType": "x", "dataTemplate": "A2", "signatureType": []string{"possession"}, "maxFailureCount": 1, "expiration": 60}, 403, cloud.CodeForbidden},
	} {
		e.wantError(t, c.status, c.code, c.method, c.path, f.userB, c.body)
	}
	// The list of B's user shows nothing of A's.
	if regs := e.ok(t, "GET", "/v2/registrations?userId=dave", f.userB, nil); len(regs["registrations"].([]any)) != 0 {
		t.Fatalf("user of B sees %v", regs)
	}
	if ops := e.ok(t, "GET", "/v2/operations?userId=dave", f.userB, nil); len(ops["operations"].([]any)) != 0 {
		t.Fatalf("user of B sees %v", ops)
	}
	// A's own user still can.
	e.ok(t, "GET", "/v2/registrations/"+id, f.userA, nil)
	e.ok(t, "GET", "/v2/operations/"+opID, f.userA, nil)

	e.wantError(t, 401, cloud.CodeUnauthorized, "GET", "/v2/registrations/"+id, nil, nil)
	e.wantError(t, 401, cloud.CodeUnauthorized, "GET", "/v2/registrations/"+id, basic("backend-a", "wrong"), nil)
	e.wantError(t, 401, cloud.CodeUnauthorized, "GET", "/v2/registrations/"+id, basic("nobody", "wrong"), nil)
	disabled := e.user(t, "disabled-user", "bank-app-a")
	e.ok(t, "GET", "/v2/registrations/"+id, disabled, nil)
	if u := e.ok(t, "PUT", "/admin/users/disabled-user", e.admin(), map[string]any{"enabled": false}); u["enabled"] != false {
		t.Fatalf("disable %v", u)
	}
	e.wantError(t, 401, cloud.CodeUnauthorized, "GET", "/v2/registrations/"+id, disabled, nil)
}

// token asks the token endpoint for a bearer token.
func (e *cloudEnv) token(t *testing.T, form string, a auth) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest("POST", e.privURL+"/oauth2/token", strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if a != nil {
		a(req)
	}
	resp, err := e.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// bearerTokens: client-credentials tokens work until they expire; a
// token for another audience, a forged one and a disabled user's are 401.
func (e *cloudEnv) bearerTokens(t *testing.T, f *cloudFixture) {
	code, out := e.token(t, "grant_type=client_credentials", f.userA)
	tok, _ := out["access_token"].(string)
	if code != 200 || out["token_type"] != "Bearer" || out["expires_in"] != float64(3600) || tok == "" {
		t.Fatalf("token: %d %v", code, out)
	}
	e.ok(t, "GET", "/v2/registrations?userId=alice", bearer(tok), nil)
	if code, out = e.token(t, "grant_type=password", f.userA); code != 400 || out["error"] != "unsupported_grant_type" {
		t.Fatalf("wrong grant: %d %v", code, out)
	}
	if code, out = e.token(t, "grant_type=client_credentials&client_id=backend-a&client_secret=wrong", nil); code != 401 || out["error"] != "invalid_client" {
		t.Fatalf("wrong secret: %d %v", code, out)
	}

	// Another audience, signed with the server's own key.
	other, err := cloud.New(e.r.Store, e.r.box, cloudCore{svc: e.r.Service}, cloud.Options{Now: e.clock.Now, TokenAudience: "another-api", PasswordHashMemoryKiB: 64})
	if err != nil {
		t.Fatal(err)
	}
	otherTok, err := other.IssueToken(context.Background(), "backend-a", passwordOf(t, f.userA), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.AuthenticateBearer(context.Background(), otherTok.AccessToken); err != nil {
		t.Fatalf("the other audience's own check: %v", err)
	}
	e.wantError(t, 401, cloud.CodeUnauthorized, "GET", "/v2/registrations?userId=alice", bearer(otherTok.AccessToken), nil)

	// Tampered and unsigned tokens.
	parts := strings.Split(tok, ".")
	claims, _ := base64.RawURLEncoding.DecodeString(parts[1])
	forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString(bytes.Replace(claims, []byte("backend-a"), []byte("admin"), 1)) + "." + parts[2]
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
	for _, bad := range []string{forged, none, "not-a-token", parts[0] + "." + parts[1]} {
		e.wantError(t, 401, cloud.CodeUnauthorized, "GET", "/v2/registrations?userId=alice", bearer(bad), nil)
	}

	// Expiry: one hour later the token is refused.
	e.clock.Advance(time.Hour + time.Minute)
	e.wantError(t, 401, cloud.CodeUnauthorized, "GET", "/v2/registrations?userId=alice", bearer(tok), nil)

	// A disabled user's fresh token stops working at once.
	u := e.user(t, "token-user", "bank-app-a")
	_, out = e.token(t, "grant_type=client_credentials", u)
	tok2 := out["access_token"].(string)
	e.ok(t, "GET", "/v2/registrations?userId=alice", bearer(tok2), nil)
	e.ok(t, "PUT", "/admin/users/token-user", e.admin(), map[string]any{"enabled": false})
	e.wantError(t, 401, cloud.CodeUnauthorized, "GET", "/v2/registrations?userId=alice", bearer(tok2), nil)
}

// loadTestFlow is the calls of the reference's load tests: an
// administrator granted an application creates a callback (on the
// alternative path), a registration (with appId), commits it with a null
// externalUserId, and creates operations without naming the application,
// which is derived from its grant.
func (e *cloudEnv) loadTestFlow(t *testing.T, f *cloudFixture) {
	e.ok(t, "POST", "/admin/users/admin/applications/bank-app-b", e.admin(), nil)
	cb := e.ok(t, "POST", "/v2/admin/operations/bank-app-b/callbacks", e.admin(), map[string]any{"name": "lt", "type": "OPERATION_STATUS_CHANGE", "callbackUrl": f.recvURL + "/lt"})
	reg := e.ok(t, "POST", "/v2/registrations", e.admin(), map[string]any{"userId": "lt-user", "appId": "bank-app-b"})
	_, d := e.device(t, f.appB["mobileSdkConfig"].(string), reg["activationCode"].(string))
	e.ok(t, "POST", "/v2/registrations/"+d.ActivationID+"/commit", e.admin(), `{"externalUserId": null}`)
	op := e.ok(t, "POST", "/v2/operations", e.admin(), map[string]any{"userId": "lt-user", "template": "payment", "language": "en", "parameters": payment})
	id := op["operationId"].(string)
	e.ok(t, "GET", "/v2/operations/"+id, f.userB, nil) // an operation of application B
	e.wantError(t, 400, cloud.CodeOperationNotFound, "GET", "/v2/operations/"+id, f.userA, nil)
	e.ok(t, "DELETE", "/v2/admin/applications/bank-app-b/callbacks/"+cb["id"].(string), e.admin(), nil)
	e.ok(t, "DELETE", "/admin/users/admin/applications/bank-app-b", e.admin(), nil)
}

// passwordOf reads the password of Basic credentials.
func passwordOf(t *testing.T, a auth) string {
	req, _ := http.NewRequest("GET", "http://x", nil)
	a(req)
	_, p, _ := req.BasicAuth()
	return p
}

// badInput: missing and unknown fields, unknown template, bad language,
// oversize parameters and malformed bodies are 400 with a Cloud code.
func (e *cloudEnv) badInput(t *testing.T, f *cloudFixture) {
	many := map[string]string{}
	for i := range cloud.MaxParameters + 1 {
		many[strings.Repeat("p", i+1)] = "v"
	}
	for _, c := range []struct {
		name, method, path string
		body               any
		code               string
	}{
		{"missing userId", "POST", "/v2/registrations", map[string]any{"appId": "bank-app-a"}, cloud.CodeRequest},
		{"unknown field", "POST", "/v2/registrations", map[string]any{"userId": "x", "colour": "red"}, cloud.CodeRequest},
		{"wrong type", "POST", "/v2/registrations", map[string]any{"userId": 5}, cloud.CodeRequest},
		{"bad commit phase", "POST", "/v2/registrations", map[string]any{"userId": "x", "commitPhase": "LATER"}, cloud.CodeRequest},
		{"not JSON", "POST", "/v2/registrations", "{", cloud.CodeRequest},
		{"empty body", "POST", "/v2/operations", "", cloud.CodeRequest},
		{"two objects", "POST", "/v2/operations", `{"template":"payment"}{}`, cloud.CodeRequest},
		{"missing template", "POST", "/v2/operations", map[string]any{"userId": "x"}, cloud.CodeRequest},
		{"unknown template", "POST", "/v2/operations", map[string]any{"userId": "x", "template": "nope"}, cloud.CodeRequest},
		{"bad language", "POST", "/v2/operations", map[string]any{"userId": "x", "template": "payment", "language": "english", "parameters": payment}, cloud.CodeRequest},
		{"too many parameters", "POST", "/v2/operations", map[string]any{"userId": "x", "template": "payment", "parameters": many}, cloud.CodeRequest},
		{"oversize parameter", "POST", "/v2/operations", map[string]any{"userId": "x", "template": "payment", "parameters": map[string]string{"amount": strings.Repeat("9", cloud.MaxParameterValue+1)}}, cloud.CodeRequest},
		{"unknown operation field", "POST", "/v2/operations", map[string]any{"template": "payment", "priority": 1}, cloud.CodeRequest},
		{"bad change", "PUT", "/v2/registrations/x", map[string]any{"change": "FREEZE"}, cloud.CodeRequest},
		{"missing change", "PUT", "/v2/registrations/x", map[string]any{}, cloud.CodeRequest},
		{"bad list language", "GET", "/v2/operations?userId=x&language=EN", nil, cloud.CodeRequest},
		{"list without user", "GET", "/v2/registrations", nil, cloud.CodeRequest},
		{"bad boolean", "GET", "/v2/operations?userId=x&pendingOnly=maybe", nil, cloud.CodeRequest},
		{"unknown registration", "GET", "/v2/registrations/no-such-id", nil, cloud.CodeRegistrationNotFound},
		{"unknown operation", "GET", "/v2/operations/no-such-id", nil, cloud.CodeOperationNotFound},
		{"callback type", "POST", "/v2/admin/applications/bank-app-a/callbacks", map[string]any{"name": "x", "type": "PUSH", "callbackUrl": f.recvURL}, cloud.CodeRequest},
		{"callback URL", "POST", "/v2/admin/applications/bank-app-a/callbacks", map[string]any{"name": "x", "type": "OPERATION_STATUS_CHANGE", "callbackUrl": "ftp://x"}, cloud.CodeRequest},
	} {
		t.Run(c.name, func(t *testing.T) { e.wantError(t, 400, c.code, c.method, c.path, f.userA, c.body) })
	}
	big := `{"userId":"` + strings.Repeat("x", apicloud.MaxBodyBytes) + `"}`
	e.wantError(t, 400, cloud.CodeRequest, "POST", "/v2/registrations", f.userA, big)
}

// rateLimit: after too many wrong passwords a user is refused even with
// the right one, then the client IP is refused for every user, until the
// window ends.
func (e *cloudEnv) rateLimit(t *testing.T, f *cloudFixture) {
	victim := e.user(t, "victim", "bank-app-a")
	for range cloud.DefaultMaxFailuresPerUser {
		e.wantError(t, 401, cloud.CodeUnauthorized, "GET", "/v2/registrations?userId=x", basic("victim", "guess"), nil)
	}
	e.wantError(t, 429, cloud.CodeTooManyRequests, "GET", "/v2/registrations?userId=x", victim, nil)
	if code, _ := e.token(t, "grant_type=client_credentials", victim); code != 429 {
		t.Fatalf("token endpoint of a locked user: %d", code)
	}
	e.ok(t, "GET", "/v2/registrations?userId=x", f.userA, nil) // other users still can

	limited := false
	for i := range cloud.DefaultMaxFailuresPerIP {
		code, _ := e.call(t, "GET", "/v2/registrations?userId=x", basic("guess-"+strings.Repeat("x", i), "guess"), nil)
		if code == 429 {
			limited = true
			break
		}
		if code != 401 {
			t.Fatalf("wrong password: HTTP %d", code)
		}
	}
	if !limited {
		e.wantError(t, 429, cloud.CodeTooManyRequests, "GET", "/v2/registrations?userId=x", basic("one-more", "guess"), nil)
	}
	e.wantError(t, 429, cloud.CodeTooManyRequests, "GET", "/v2/registrations?userId=x", f.userA, nil)
	e.clock.Advance(cloud.DefaultFailureWindow + time.Second)
	e.ok(t, "GET", "/v2/registrations?userId=x", f.userA, nil)
	e.ok(t, "GET", "/v2/registrations?userId=x", victim, nil)
}

// TestCloudAPIDisabled: with cloud.enabled false the private listener has
// no /powerauth-cloud (404), and /rest/v3 works as before.
func TestCloudAPIDisabled(t *testing.T) {
	c := testConfig(t, RoleCore)
	c.Cloud.Disabled = true
	r := start(t, c)
	if r.Cloud != nil {
		t.Fatal("a disabled Cloud API was built")
	}
	priv := "http://" + r.PrivateAddr().String()
	code, _, _ := get(t, priv+"/powerauth-cloud/v2/registrations?userId=x", nil)
	if code != http.StatusNotFound {
		t.Fatalf("disabled Cloud API: HTTP %d", code)
	}
	if _, err := r.admin(t).SystemStatus(context.Background()); err != nil {
		t.Fatalf("/rest/v3 without the Cloud API: %v", err)
	}
}

// received returns the payloads the fake APNs accepted for a device token.
func (e *cloudEnv) received(token string) []map[string]any { return received(e.apns, token) }

// push: an administrator uploads APNs credentials through the Cloud API
// (refused ones change nothing); an operation created through
// /v2/operations reaches the fake APNs as mtoken.operationInit, a silent
// one is never queued; /v2/messages/send reaches it; neither a ROLE_USER
// nor a user of another application may set credentials.
func (e *cloudEnv) push(t *testing.T, f *cloudFixture) {
	ctx := context.Background()
	b64 := base64.StdEncoding.EncodeToString
	appID := mustApp(t, e.r.Store, "bank-app-a")
	apnsCreds := map[string]any{"bundle": pushTopic, "keyId": pushKeyID, "teamId": pushTeamID, "environment": "development",
		"privateKeyBase64": b64(e.p8)}
	noCredentials := func(t *testing.T) {
		t.Helper()
		if got := e.ok(t, "GET", "/admin/applications/bank-app-a/push", e.admin(), nil); got["appId"] != "bank-app-a" || got["apns"] != nil || got["fcm"] != nil || got["hms"] != nil {
			t.Fatalf("push settings %v", got)
		}
		if c, err := e.r.Store.GetPushCredentials(ctx, appID); err == nil && (len(c.APNsKey) > 0 || len(c.FCMKey) > 0 || len(c.HMSClientSecret) > 0) {
			t.Fatalf("refused credentials stored: %+v", c)
		} else if err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Fatal(err)
		}
	}
	noCredentials(t)

	// Refused credentials: 400 ERROR_REQUEST naming the problem, nothing stored.
	badP8 := maps.Clone(apnsCreds)
	badP8["privateKeyBase64"] = b64([]byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"))
	for _, c := range []struct {
		name string
		body any
		msg  string
	}{
		{"bad p8", map[string]any{"apns": badP8}, ".p8"},
		{"not Base64", map[string]any{"apns": map[string]any{"bundle": pushTopic, "keyId": pushKeyID, "teamId": pushTeamID, "privateKeyBase64": "%%%"}}, "apns.privateKeyBase64"},
		{"missing key id", map[string]any{"apns": map[string]any{"bundle": pushTopic, "teamId": pushTeamID, "privateKeyBase64": b64(e.p8)}}, "apns.keyId"},
		{"bad environment", map[string]any{"apns": map[string]any{"bundle": pushTopic, "keyId": pushKeyID, "teamId": pushTeamID, "environment": "staging", "privateKeyBase64": b64(e.p8)}}, "apns.environment"},
		{"good APNs with a bad FCM key", map[string]any{"apns": apnsCreds, "fcm": map[string]any{"privateKeyBase64": b64([]byte(`{"type":"service_account"}`))}}, "fcm"},
		{"HMS without secret", map[string]any{"hms": map[string]any{"clientId": "1"}}, "hms.clientSecret"},
		{"nothing", map[string]any{}, "at least one"},
		{"unknown field", map[string]any{"apns": apnsCreds, "wns": map[string]any{}}, "wns"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out := e.call(t, "POST", "/admin/applications/bank-app-a/push", e.admin(), c.body)
			ro, _ := out["responseObject"].(map[string]any)
			if msg, _ := ro["message"].(string); code != 400 || ro["code"] != cloud.CodeRequest || !strings.Contains(msg, c.msg) {
				t.Fatalf("HTTP %d %v, want 400 %s naming %q", code, out, cloud.CodeRequest, c.msg)
			}
			noCredentials(t)
		})
	}
	e.wantError(t, 404, cloud.CodeNotFound, "POST", "/admin/applications/nope/push", e.admin(), map[string]any{"apns": apnsCreds})
	// A ROLE_USER, also one granted the application, may not set them.
	e.wantError(t, 403, cloud.CodeForbidden, "POST", "/admin/applications/bank-app-a/push", f.userA, map[string]any{"apns": apnsCreds})
	e.wantError(t, 403, cloud.CodeForbidden, "POST", "/admin/applications/bank-app-a/push", f.userB, map[string]any{"apns": apnsCreds})
	noCredentials(t)

	set := e.ok(t, "POST", "/admin/applications/bank-app-a/push", e.admin(), map[string]any{"apns": apnsCreds})
	want := map[string]any{"bundle": pushTopic, "keyId": pushKeyID, "teamId": pushTeamID, "environment": "development"}
	if !equalJSON(set["apns"], want) || set["fcm"] != nil {
		t.Fatalf("push settings after set %v", set)
	}
	if got := e.ok(t, "GET", "/admin/applications/bank-app-a/push", e.admin(), nil); !equalJSON(got, set) {
		t.Fatalf("push settings %v, want %v", got, set)
	}
	audited, err := e.r.Store.ListAuditEntries(ctx, store.AuditFilter{Type: domain.AuditAdminChange})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(audited, func(a domain.AuditEntry) bool {
		return a.Details["action"] == "push.apns.set" && a.Application == "bank-app-a" && a.Actor == "cloud:"+e.adminUser
	}) {
		t.Fatalf("no audit entry of the APNs change by cloud:%s", e.adminUser)
	}

	// A device of pam registered through the Cloud API, its APNs token
	// through the push server API.
	reg := e.ok(t, "POST", "/v2/registrations", f.userA, map[string]any{"userId": "pam", "appId": "bank-app-a"})
	regID := reg["registrationId"].(string)
	e.device(t, f.appA["mobileSdkConfig"].(string), reg["activationQrCodeData"].(string))
	e.ok(t, "POST", "/v2/registrations/"+regID+"/commit", f.userA, map[string]any{})
	token := pushToken(7)
	code, out := e.callPrivate(t, "/push/device/create", map[string]any{"requestObject": map[string]any{
		"appId": "bank-app-a", "token": token, "platform": "apns", "activationId": regID}})
	if code != http.StatusOK {
		t.Fatalf("push device: HTTP %d %v", code, out)
	}

	// An operation reaches the device as mtoken.operationInit.
	op := e.ok(t, "POST", "/v2/operations", f.userA, map[string]any{"userId": "pam", "template": "payment", "parameters": payment})
	opID := op["operationId"].(string)
	waitFor(t, "mtoken.operationInit", func() bool { return len(e.received(token)) >= 1 })
	if m := e.received(token)[0]; m["messageType"] != "mtoken.operationInit" || m["operationId"] != opID {
		t.Fatalf("operationInit payload %v", m)
	}

	// A silent operation is never queued; the next one is delivered.
	silent := e.ok(t, "POST", "/v2/operations", f.userA, map[string]any{"userId": "pam", "template": "payment", "parameters": payment, "silent": true})
	silentID := silent["operationId"].(string)
	loud := e.ok(t, "POST", "/v2/operations", f.userA, map[string]any{"userId": "pam", "template": "payment", "parameters": payment, "silent": false})
	waitFor(t, "the second operationInit", func() bool {
		return slices.ContainsFunc(e.received(token), func(m map[string]any) bool { return m["operationId"] == loud["operationId"] })
	})
	if slices.ContainsFunc(e.received(token), func(m map[string]any) bool { return m["operationId"] == silentID }) {
		t.Fatal("the silent operation reached the device")
	}
	msgs, err := e.r.Store.ListPushMessages(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if bytes.Contains(m.Body, []byte(silentID)) {
			t.Fatalf("the silent operation was queued: %s", m.Body)
		}
	}
	// It is still an ordinary pending operation.
	if got := e.ok(t, "GET", "/v2/operations/"+silentID, f.userA, nil); got["status"] != "PENDING" {
		t.Fatalf("silent operation %v", got)
	}

	// messages/send reaches the device, to all of pam's or to one registration.
	before := len(e.received(token))
	e.ok(t, "POST", "/v2/messages/send", f.userA, map[string]any{"userId": "pam", "title": "Hello", "message": "Your card is ready",
		"sound": "default", "silent": false, "extras": map[string]any{"screen": "cards"}})
	e.ok(t, "POST", "/v2/messages/send", f.userA, map[string]any{"userId": "pam", "registrationId": regID, "silent": true, "extras": map[string]any{"sync": "1"}})
	waitFor(t, "two messages", func() bool { return len(e.received(token)) >= before+2 })
	var visible, quiet map[string]any
	for _, m := range e.received(token)[before:] {
		if m["screen"] == "cards" {
			visible = m
		}
		if m["sync"] == "1" {
			quiet = m
		}
	}
	aps, _ := visible["aps"].(map[string]any)
	alert, _ := aps["alert"].(map[string]any)
	if alert["title"] != "Hello" || alert["body"] != "Your card is ready" || aps["sound"] != "default" {
		t.Fatalf("message %v", visible)
	}
	if qa, _ := quiet["aps"].(map[string]any); qa == nil || qa["alert"] != nil || qa["content-available"] != 1.0 {
		t.Fatalf("silent message %v", quiet)
	}
	for _, c := range []struct {
		name   string
		a      auth
		body   any
		status int
		code   string
	}{
		{"too large", f.userA, map[string]any{"userId": "pam", "title": "x", "extras": map[string]any{"blob": strings.Repeat("x", 5000)}}, 400, cloud.CodePushMessage},
		{"empty visible message", f.userA, map[string]any{"userId": "pam"}, 400, cloud.CodePushMessage},
		{"no credentials in the caller's application", f.userB, map[string]any{"userId": "pam", "title": "x"}, 400, cloud.CodePushMessage},
		{"registration of another application", f.userB, map[string]any{"userId": "pam", "registrationId": regID, "title": "x"}, 400, cloud.CodeRegistrationNotFound},
		{"registration of another user", f.userA, map[string]any{"userId": "tom", "registrationId": regID, "title": "x"}, 400, cloud.CodeRegistrationNotFound},
		{"application not granted", f.userB, map[string]any{"userId": "pam", "appId": "bank-app-a", "title": "x"}, 403, cloud.CodeForbidden},
		{"missing userId", f.userA, map[string]any{"title": "x"}, 400, cloud.CodeRequest},
	} {
		t.Run(c.name, func(t *testing.T) { e.wantError(t, c.status, c.code, "POST", "/v2/messages/send", c.a, c.body) })
	}

	// Removing the credentials of a platform.
	e.wantError(t, 404, cloud.CodeNotFound, "DELETE", "/admin/applications/bank-app-a/push/wns", e.admin(), nil)
	e.ok(t, "DELETE", "/admin/applications/bank-app-a/push/apns", e.admin(), nil)
	noCredentials(t)
	e.wantError(t, 400, cloud.CodePushMessage, "POST", "/v2/messages/send", f.userA, map[string]any{"userId": "pam", "title": "x"})
}

// callPrivate posts a JSON body to the private API outside
// /powerauth-cloud with the first integration's credentials.
func (e *cloudEnv) callPrivate(t *testing.T, path string, body any) (int, map[string]any) {
	t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest("POST", "http://"+e.r.PrivateAddr().String()+path, bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(e.r.credentials(t))
	resp, err := e.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}
