package e2e

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mauth/mauth/client"
	"github.com/mauth/mauth/internal/api/private"
	"github.com/mauth/mauth/internal/api/public"
	"github.com/mauth/mauth/internal/idp"
	"github.com/mauth/mauth/internal/mobileutil"
	"github.com/mauth/mauth/internal/netguard"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/internal/service/servicetest"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/apicontract"
	"github.com/mauth/mauth/internal/testutil/testclock"
	"github.com/mauth/mauth/internal/testutil/teststore"
	"github.com/mauth/mauth/openapi"
	"github.com/mauth/mauth/protocol"
)

// CoreEnv is what a deployment mode gets to build the public API's core:
// the core service of the test environment and its private REST API, which
// requires HTTP Basic credentials of an integration.
type CoreEnv struct {
	// Service is the core service behind the private API.
	Service *service.Service
	// PrivateURL is the base URL of the private API (append /rest/v3/…).
	PrivateURL string
	// ClientToken and ClientSecret are integration credentials accepted by
	// the private API (HTTP Basic user name and password).
	ClientToken  string
	ClientSecret string
}

// Deployment decides how the public API reaches the core server.
//
// The hook for deployment modes: InProcess returns the *service.Service
// itself (the all-in-one `mauth serve`). The split mode (`mauth serve
// --role enrollment --core-url …`) returns a remote Core that calls the
// private REST API at env.PrivateURL with Basic auth
// env.ClientToken/env.ClientSecret; it lives in split_test.go and runs the
// whole suite with
//
//	func TestEndToEndSplit(t *testing.T) { runSuite(t, splitDeployment) }
//
// Every scenario of runSuite runs unchanged on each deployment, backend and
// protocol version.
type Deployment func(t testing.TB, env CoreEnv) public.Core

// InProcess is the all-in-one deployment: the public API calls the core
// service directly.
func InProcess(_ testing.TB, env CoreEnv) public.Core { return env.Service }

// testClock is the shared test clock: real time plus an offset tests advance.
type testClock = testclock.Clock

// testTimeout bounds every call of these tests (device and bank to the
// servers, the enrollment layer to the core, the core to the identity
// provider): a safety net against a hung server, far above what a slow or
// busy machine needs. No test asserts how fast anything happens.
const testTimeout = 5 * time.Minute

// Identity provider of the custom-credential scenarios.
const (
	idpToken    = "e2e-idp-bearer-token"
	idpUsername = "alice"
	idpPassword = "correct horse"
	idpUserID   = "user-alice-1001"
)

// env is one test environment: a core service on a fresh database, its
// private API and the public API on real listeners, a test identity
// provider and the shared clock.
type env struct {
	svc        *service.Service
	clock      *testClock
	privateURL string
	publicURL  string
	basicUser  string
	basicPass  string
	http       *http.Client
	// privateAPI and publicAPI validate every exchange against the
	// OpenAPI documents (see internal/testutil/apicontract).
	privateAPI *apicontract.Checker
	publicAPI  *apicontract.Checker
	// mobileUtil is the mobile utility services mountMobile serves.
	mobileUtil *mobileutil.Service
	// idpCalls counts the identity provider's calls.
	idpMu    sync.Mutex
	idpCalls int
}

// newEnv starts the servers over st for a deployment.
func newEnv(t *testing.T, st store.Store, dep Deployment) *env {
	t.Helper()
	e := &env{clock: &testClock{}, http: &http.Client{Timeout: testTimeout}}
	cfg := service.DefaultConfig()
	cfg.RecoveryPUKHashMemoryKiB = 128 // fast Argon2 for tests
	// Callback receivers of the scenarios are httptest servers on 127.0.0.1.
	e.svc = servicetest.New(t, servicetest.Options{Store: st, Clock: e.clock, Config: cfg,
		Options: []service.Option{service.WithCallbackPolicy(netguard.MustNew("127.0.0.0/8"))}}).Service
	integ, err := e.svc.CreateIntegration(context.Background(), "e2e")
	if err != nil {
		t.Fatalf("create integration: %v", err)
	}
	e.basicUser, e.basicPass = integ.ClientToken, integ.ClientSecret
	e.privateAPI = apicontract.New(t, "openapi/private.yaml", openapi.Private)
	e.publicAPI = apicontract.New(t, "openapi/public.yaml", openapi.Public)
	priv := httptest.NewServer(e.privateAPI.Wrap(private.New(e.svc, private.Options{RestrictAccess: true}).Handler()))
	t.Cleanup(priv.Close)
	e.privateURL = priv.URL

	idpSrv := httptest.NewServer(http.HandlerFunc(e.serveIdentityProvider))
	t.Cleanup(idpSrv.Close)
	provider, err := idp.NewHTTP(idp.HTTPConfig{URL: idpSrv.URL + "/users/resolve", BearerToken: idpToken, Timeout: testTimeout})
	if err != nil {
		t.Fatalf("identity provider: %v", err)
	}
	core := dep(t, CoreEnv{Service: e.svc, PrivateURL: priv.URL, ClientToken: e.basicUser, ClientSecret: e.basicPass})
	pub := httptest.NewServer(e.publicAPI.Wrap(public.New(core, public.Options{Now: e.clock.Now, IdentityProvider: provider}).Handler()))
	t.Cleanup(pub.Close)
	e.publicURL = pub.URL
	return e
}

// serveIdentityProvider is the bank backend of the custom activations:
// it knows one user and requires its bearer token.
func (e *env) serveIdentityProvider(w http.ResponseWriter, r *http.Request) {
	e.idpMu.Lock()
	e.idpCalls++
	e.idpMu.Unlock()
	if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte("Bearer "+idpToken)) != 1 {
		w.WriteHeader(http.StatusForbidden)
		return
	}
	var attrs map[string]any
	if err := json.NewDecoder(r.Body).Decode(&attrs); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if attrs["username"] != idpUsername || attrs["password"] != idpPassword {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"userId":"` + idpUserID + `"}`))
}

func (e *env) identityProviderCalls() int {
	e.idpMu.Lock()
	defer e.idpMu.Unlock()
	return e.idpCalls
}

// testApp is an application with one version as a device sees it.
type testApp struct {
	name      string
	key       string
	secret    string
	masterPub []byte
	sdkConfig string
}

// newApp creates an application through the core service.
func (e *env) newApp(t *testing.T, name string) *testApp {
	t.Helper()
	ctx := context.Background()
	if _, err := e.svc.CreateApplication(ctx, name, []string{"ROLE_E2E"}); err != nil {
		t.Fatalf("create application: %v", err)
	}
	d, err := e.svc.GetApplicationDetail(ctx, name)
	if err != nil || len(d.Versions) == 0 {
		t.Fatalf("application detail: %v", err)
	}
	v := d.Versions[0]
	return &testApp{name: name, key: v.ApplicationKey, secret: v.ApplicationSecret, masterPub: d.MasterPublicKey, sdkConfig: d.SDKConfig(v)}
}

// device returns a client of the app speaking version.
func (e *env) device(t *testing.T, app *testApp, version string) *client.Client {
	t.Helper()
	cfg := client.Config{BaseURL: e.publicURL, Version: version, HTTPClient: e.http, Now: e.clock.Now}
	if err := cfg.FromSDKConfig(app.sdkConfig); err != nil {
		t.Fatalf("sdk config: %v", err)
	}
	c, err := client.New(cfg)
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	return c
}

// --- private API (the bank's backend) ---

// private calls /rest/v3/<method> and returns the responseObject of a
// successful answer.
func (e *env) private(t *testing.T, method string, req any) map[string]any {
	t.Helper()
	status, body := e.privateCall(t, method, req)
	if status != http.StatusOK || body["status"] != "OK" {
		t.Fatalf("private %s: HTTP %d %v", method, status, body)
	}
	obj, _ := body["responseObject"].(map[string]any)
	return obj
}

// privateFail calls a private method that must fail with the status and code.
func (e *env) privateFail(t *testing.T, method string, req any, wantStatus int, wantCode string) {
	t.Helper()
	status, body := e.privateCall(t, method, req)
	if status != wantStatus || errorCode(body) != wantCode {
		t.Fatalf("private %s: got HTTP %d %v, want %d %s", method, status, body, wantStatus, wantCode)
	}
}

func (e *env) privateCall(t *testing.T, method string, req any) (int, map[string]any) {
	t.Helper()
	b, err := json.Marshal(map[string]any{"requestObject": req})
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	hr, err := http.NewRequest(http.MethodPost, e.privateURL+private.Prefix+method, bytes.NewReader(b))
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.SetBasicAuth(e.basicUser, e.basicPass)
	return e.send(t, hr)
}

// initActivation creates a CREATED activation (activation/init) and
// returns the scannable "CODE#signature" string and the activation id.
func (e *env) initActivation(t *testing.T, app *testApp, userID string, extra map[string]any) (qr, activationID string) {
	t.Helper()
	req := map[string]any{"userId": userID, "applicationId": app.name}
	for k, v := range extra {
		req[k] = v
	}
	res := e.private(t, "activation/init", req)
	code, _ := res["activationCode"].(string)
	sig, _ := res["activationSignature"].(string)
	id, _ := res["activationId"].(string)
	if code == "" || sig == "" || id == "" {
		t.Fatalf("activation/init answered %v", res)
	}
	return code + "#" + sig, id
}

// commit commits a PENDING_COMMIT activation through the private API.
func (e *env) commit(t *testing.T, activationID string) {
	t.Helper()
	res := e.private(t, "activation/commit", map[string]any{"activationId": activationID})
	if res["activated"] != true {
		t.Fatalf("commit: %v", res)
	}
}

// coreStatus is the private activation/status of an activation.
func (e *env) coreStatus(t *testing.T, activationID string) map[string]any {
	t.Helper()
	return e.private(t, "activation/status", map[string]any{"activationId": activationID})
}

// wantCoreState checks the activation status and failed attempts the core keeps.
func (e *env) wantCoreState(t *testing.T, activationID, status string, failed int) {
	t.Helper()
	s := e.coreStatus(t, activationID)
	if s["activationStatus"] != status || s["failedAttempts"] != float64(failed) {
		t.Fatalf("core state of %s: status %v failed %v, want %s %d", activationID, s["activationStatus"], s["failedAttempts"], status, failed)
	}
}

// --- raw public API calls ---

// rawResponse is an answer of the public API.
type rawResponse struct {
	status int
	body   map[string]any
	raw    []byte
}

// publicRaw sends a request to the public API as is.
func (e *env) publicRaw(t *testing.T, method, path string, headers map[string]string, body []byte) rawResponse {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	hr, err := http.NewRequest(method, e.publicURL+path, rd)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	hr.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		hr.Header.Set(k, v)
	}
	resp, err := e.http.Do(hr)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	out := rawResponse{status: resp.StatusCode, raw: raw}
	_ = json.Unmarshal(raw, &out.body)
	return out
}

// wantError checks a public error answer.
func (r rawResponse) wantError(t *testing.T, status int, code string) {
	t.Helper()
	if r.status != status || errorCode(r.body) != code || r.body["status"] != "ERROR" {
		t.Fatalf("got HTTP %d %s, want %d %s", r.status, r.raw, status, code)
	}
}

func (e *env) send(t *testing.T, hr *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := e.http.Do(hr)
	if err != nil {
		t.Fatalf("%s %s: %v", hr.Method, hr.URL.Path, err)
	}
	defer resp.Body.Close()
	var body map[string]any
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("%s: answer is not JSON: %q", hr.URL.Path, raw)
	}
	return resp.StatusCode, body
}

func errorCode(body map[string]any) string {
	obj, _ := body["responseObject"].(map[string]any)
	code, _ := obj["code"].(string)
	return code
}

// wantAPIError checks that a client call failed with the status and code.
func wantAPIError(t *testing.T, err error, status int, code string) *client.APIError {
	t.Helper()
	var ae *client.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got error %v, want HTTP %d %s", err, status, code)
	}
	if ae.HTTPStatus != status || ae.Code != code {
		t.Fatalf("got HTTP %d %s (%s), want %d %s", ae.HTTPStatus, ae.Code, ae.Message, status, code)
	}
	return ae
}

// apiError requires err to be an error answer of the server.
func apiError(t *testing.T, err error) *client.APIError {
	t.Helper()
	var ae *client.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got error %v, want an error answer of the server", err)
	}
	return ae
}

// --- hand-built cryptograms for the bad-input tests ---

// cryptogram encrypts plaintext like a device of app would, at the time
// now: application scope when d is nil, activation scope otherwise. A 3.3
// temporary key is fetched over the public API.
func (e *env) cryptogram(t *testing.T, app *testApp, version string, d *client.Device, sh1 string, plaintext []byte, now time.Time) (*protocol.EncryptedRequest, *protocol.EciesEnvelope) {
	t.Helper()
	ectx := protocol.EciesContext{Version: version, SharedInfo1: sh1, ApplicationKey: app.key, ApplicationSecret: app.secret}
	keyBytes := app.masterPub
	var actID string
	var transport []byte
	if d != nil {
		ectx.ActivationID, ectx.TransportKey = d.ActivationID, d.TransportKey
		actID, transport, keyBytes = d.ActivationID, d.TransportKey, d.ServerPublicKey
	}
	encKey, err := protocol.ParsePublicKey(keyBytes)
	if err != nil {
		t.Fatalf("key: %v", err)
	}
	if version == protocol.Version33 {
		jwt, challenge, err := protocol.BuildTemporaryKeyRequest(app.key, app.secret, actID, transport)
		if err != nil {
			t.Fatalf("temporary key request: %v", err)
		}
		b, _ := json.Marshal(map[string]any{"requestObject": map[string]string{"jwt": jwt}})
		r := e.publicRaw(t, http.MethodPost, "/pa/v3/keystore/create", nil, b)
		if r.status != http.StatusOK {
			t.Fatalf("keystore/create: HTTP %d %s", r.status, r.raw)
		}
		obj, _ := r.body["responseObject"].(map[string]any)
		respJWT, _ := obj["jwt"].(string)
		claims, err := protocol.ParseTemporaryKeyResponse(respJWT, encKey)
		if err != nil {
			t.Fatalf("temporary key response: %v", err)
		}
		if err := claims.MatchesRequest(app.key, actID, challenge); err != nil {
			t.Fatalf("temporary key response: %v", err)
		}
		ectx.TemporaryKeyID, encKey = claims.TemporaryKeyID, claims.PublicKey
	}
	req, env, err := protocol.EncryptRequest(encKey, ectx, plaintext, now)
	if err != nil {
		t.Fatalf("encrypt: %v", err)
	}
	return req, env
}

func mustMarshal(t *testing.T, v interface{ Marshal() ([]byte, error) }) []byte {
	t.Helper()
	b, err := v.Marshal()
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return b
}

// encryptionHeader is X-PowerAuth-Encryption of a device of app.
func encryptionHeader(app *testApp, version, activationID string) string {
	return protocol.EncryptionHeader{ApplicationKey: app.key, ActivationID: activationID, Version: version}.String()
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// versions are the protocol versions the device client speaks.
var versions = []string{protocol.Version31, protocol.Version32, protocol.Version33}

// runSuite runs every end-to-end scenario for one deployment mode: per
// database backend one environment, per protocol version its own
// applications.
func runSuite(t *testing.T, dep Deployment) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		e := newEnv(t, st, dep)
		for _, v := range versions {
			t.Run("v"+v, func(t *testing.T) {
				prefix := "e2e-" + strings.ReplaceAll(v, ".", "")
				t.Run("lifecycle", func(t *testing.T) { scenarioLifecycle(t, e, e.newApp(t, prefix+"-lifecycle"), v) })
				t.Run("recovery", func(t *testing.T) { scenarioRecovery(t, e, e.newApp(t, prefix+"-recovery"), v) })
				t.Run("custom-credentials", func(t *testing.T) { scenarioCustom(t, e, e.newApp(t, prefix+"-custom"), v) })
				t.Run("otp-on-key-exchange", func(t *testing.T) { scenarioOTPKeyExchange(t, e, e.newApp(t, prefix+"-otp-kx"), v) })
				t.Run("otp-on-commit", func(t *testing.T) { scenarioOTPCommit(t, e, e.newApp(t, prefix+"-otp-commit"), v) })
				t.Run("bad-input", func(t *testing.T) { scenarioBadInput(t, e, e.newApp(t, prefix+"-bad"), v) })
			})
		}
	})
}

// codeValidateFail is the 401 code of /pa/v3/signature/validate (other
// signed endpoints answer ERR_AUTHENTICATION).
const codeValidateFail = "POWERAUTH_AUTH_FAIL"
