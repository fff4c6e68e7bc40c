package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/mauth/mauth/client"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/internal/testutil/apicontract"
	"github.com/mauth/mauth/internal/testutil/pgtest"
	"github.com/mauth/mauth/openapi"
	"github.com/mauth/mauth/protocol"
)

// tsEnv is a running server with the test server enabled, its admin
// credentials and the contract checker of the Test Server API.
type tsEnv struct {
	*running
	private, user, pass string
	contract            *apicontract.Checker
	http                *http.Client
}

// startTestServer starts c with the test server enabled; every exchange
// with /powerauth-test-server is validated against openapi/testserver.yaml.
func startTestServer(t *testing.T, c Config) *tsEnv {
	t.Helper()
	c.TestServer.Enabled = true
	out := &syncBuffer{}
	c.Out = out
	a, err := New(context.Background(), c)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	checker := apicontract.New(t, "openapi/testserver.yaml", openapi.TestServer)
	inner, checked := a.Private, checker.Wrap(a.Private)
	a.Private = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/powerauth-test-server/") {
			checked.ServeHTTP(w, r)
			return
		}
		inner.ServeHTTP(w, r)
	})
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
	r := &running{App: a, out: out, stop: stop}
	user, pass := r.credentials(t)
	return &tsEnv{running: r, private: "http://" + a.PrivateAddr().String(), user: user, pass: pass, contract: checker, http: &http.Client{Timeout: testTimeout}}
}

// call POSTs {"requestObject": obj} to the private listener with the
// credentials and returns the status and the decoded answer.
func (e *tsEnv) call(t *testing.T, path string, obj any, user, pass string, header map[string]string) (int, map[string]any) {
	t.Helper()
	var body []byte
	switch v := obj.(type) {
	case []byte:
		body = v
	default:
		b, err := json.Marshal(map[string]any{"requestObject": obj})
		if err != nil {
			t.Fatal(err)
		}
		body = b
	}
	req, err := http.NewRequest(http.MethodPost, e.private+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := e.http.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("POST %s: HTTP %d, not JSON: %s", path, resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

// rest calls a /rest/v3 method that must succeed and returns responseObject.
func (e *tsEnv) rest(t *testing.T, method string, obj any) map[string]any {
	t.Helper()
	code, out := e.call(t, "/rest/v3/"+method, obj, e.user, e.pass, nil)
	if code != http.StatusOK {
		t.Fatalf("%s: HTTP %d %v", method, code, out)
	}
	ro, _ := out["responseObject"].(map[string]any)
	return ro
}

// ts calls a test server endpoint that must succeed and returns the whole answer.
func (e *tsEnv) ts(t *testing.T, endpoint string, obj any) map[string]any {
	t.Helper()
	code, out := e.call(t, "/powerauth-test-server/"+endpoint, obj, e.user, e.pass, nil)
	if code != http.StatusOK || out["status"] != "OK" {
		t.Fatalf("%s: HTTP %d %v", endpoint, code, out)
	}
	return out
}

// tsObject calls a test server endpoint that must succeed and returns its responseObject.
func (e *tsEnv) tsObject(t *testing.T, endpoint string, obj any) map[string]any {
	t.Helper()
	ro, _ := e.ts(t, endpoint, obj)["responseObject"].(map[string]any)
	return ro
}

// tsFail calls a test server endpoint that must fail with status and code.
func (e *tsEnv) tsFail(t *testing.T, endpoint string, obj any, status int, code string) {
	t.Helper()
	got, out := e.call(t, "/powerauth-test-server/"+endpoint, obj, e.user, e.pass, nil)
	ro, _ := out["responseObject"].(map[string]any)
	if got != status || out["status"] != "ERROR" || ro["code"] != code {
		t.Fatalf("%s %v: HTTP %d %v, want %d %s", endpoint, obj, got, out, status, code)
	}
}

const (
	tsApp = "ts-bank"
	tsPIN = "1234"
)

// TestTestServerFlow runs the bank's and the simulated device's whole
// story through HTTP on both backends: the bank creates an activation, the
// test server activates a device, the bank commits; online signatures,
// tokens, operations (approve, reject) and offline signatures computed by
// the test server are accepted by the core's /rest/v3 checks.
func TestTestServerFlow(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testTestServerFlow(t, testConfig(t, RoleAll)) })
	t.Run("postgres", func(t *testing.T) {
		c := testConfig(t, RoleAll)
		c.DatabaseURL = pgtest.NewDatabase(t)
		c.ServerKey = base64.StdEncoding.EncodeToString(secretbox.GenerateKey())
		testTestServerFlow(t, c)
	})
}

func testTestServerFlow(t *testing.T, c Config) {
	e := startTestServer(t, c)
	e.rest(t, "application/create", map[string]any{"applicationId": tsApp})
	detail := e.rest(t, "application/detail", map[string]any{"applicationId": tsApp})
	version := detail["versions"].([]any)[0].(map[string]any)
	e.ts(t, "application/config", map[string]any{"applicationId": tsApp, "applicationName": "Bank", "mobileSdkConfig": version["mobileSdkConfig"]})

	activationID, tokenID, tokenSecret := tsActivate(t, e, "alice")

	t.Run("compute-online", func(t *testing.T) {
		body := []byte(`{"requestObject":{"amount":"100"}}`)
		// The token was created with the PIN, so its key is in memory: the
		// signatures below derive no PIN key, and all verify.
		before := e.App.testSrv.PINKeyStats()
		for i := range 3 { // each header carries the next counter
			h := e.tsObject(t, "signature/compute-online", map[string]any{
				"activationId": activationID, "applicationId": tsApp, "httpMethod": "post", "resourceId": "/pa/signature/validate",
				"signatureType": "possession_knowledge", "requestBody": base64.StdEncoding.EncodeToString(body), "password": tsPIN,
			})["authHeader"].(string)
			if res := tsVerify(t, e, h, "/pa/signature/validate", body); res["signatureValid"] != true {
				t.Fatalf("signature %d: %v", i, res)
			}
		}
		if got := e.App.testSrv.PINKeyStats(); got.Derivations != before.Derivations || got.Hits != before.Hits+3 {
			t.Fatalf("PIN keys: %+v before, %+v after three signatures with the cached PIN", before, got)
		}
		// A wrong PIN computes a signature the core refuses: its key is
		// derived (the cached key of the right PIN is not used for it).
		h := e.tsObject(t, "signature/compute-online", map[string]any{
			"activationId": activationID, "applicationId": tsApp, "httpMethod": "POST", "resourceId": "/pa/signature/validate",
			"signatureType": "POSSESSION_KNOWLEDGE", "requestBody": base64.StdEncoding.EncodeToString(body), "password": "9999",
		})["authHeader"].(string)
		if res := tsVerify(t, e, h, "/pa/signature/validate", body); res["signatureValid"] != false {
			t.Fatalf("a wrong PIN verified: %v", res)
		}
		if got := e.App.testSrv.PINKeyStats(); got.Derivations != before.Derivations+1 {
			t.Fatalf("PIN keys: %+v before, %+v after a wrong PIN", before, got)
		}
		// The wrong PIN, cached now, is still refused; the right one verifies again.
		for _, c := range []struct {
			pin   string
			valid bool
		}{{"9999", false}, {tsPIN, true}, {tsPIN, true}} {
			h := e.tsObject(t, "signature/compute-online", map[string]any{
				"activationId": activationID, "applicationId": tsApp, "httpMethod": "POST", "resourceId": "/pa/signature/validate",
				"signatureType": "POSSESSION_KNOWLEDGE", "requestBody": base64.StdEncoding.EncodeToString(body), "password": c.pin,
			})["authHeader"].(string)
			if res := tsVerify(t, e, h, "/pa/signature/validate", body); res["signatureValid"] != c.valid {
				t.Fatalf("PIN %s: %v, want signatureValid %v", c.pin, res, c.valid)
			}
		}
		if got := e.App.testSrv.PINKeyStats(); got.Derivations != before.Derivations+2 {
			t.Fatalf("PIN keys: %+v before, %+v after the right PIN came back", before, got)
		}
		// A possession signature with an empty body.
		h = e.tsObject(t, "signature/compute-online", map[string]any{
			"activationId": activationID, "applicationId": tsApp, "httpMethod": "POST", "resourceId": "/custom", "signatureType": "POSSESSION",
		})["authHeader"].(string)
		if res := tsVerify(t, e, h, "/custom", nil); res["signatureValid"] != true {
			t.Fatalf("possession signature: %v", res)
		}
	})

	t.Run("token-digest", func(t *testing.T) {
		h := e.tsObject(t, "token/compute-digest", map[string]any{"activationId": activationID, "tokenId": tokenID, "tokenSecret": tokenSecret})["authHeader"].(string)
		th, err := protocol.ParseTokenHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		ts, _ := strconv.ParseInt(th.Timestamp, 10, 64)
		res := e.rest(t, "token/validate", map[string]any{"tokenId": th.TokenID, "tokenDigest": th.Digest, "nonce": th.Nonce, "timestamp": ts, "protocolVersion": th.Version})
		if res["tokenValid"] != true || res["activationId"] != activationID {
			t.Fatalf("token/validate: %v", res)
		}
	})

	e.rest(t, "operation/template/create", map[string]any{
		"templateName": "ts-payment", "operationType": "payment", "dataTemplate": "A1*A${amount}${currency}",
		"signatureType": []string{"POSSESSION_KNOWLEDGE"}, "maxFailureCount": 3, "expiration": 300,
	})
	newOperation := func(t *testing.T) (string, string) {
		op := e.rest(t, "operation/create", map[string]any{
			"userId": "alice", "applications": []string{tsApp}, "templateName": "ts-payment",
			"parameters": map[string]string{"amount": "100", "currency": "CZK"},
		})
		return op["id"].(string), op["data"].(string)
	}
	wantStatus := func(t *testing.T, id, status string) {
		t.Helper()
		if got := e.rest(t, "operation/detail", map[string]any{"operationId": id})["status"]; got != status {
			t.Fatalf("operation %s is %v, want %s", id, got, status)
		}
	}
	tokenReq := map[string]any{"activationId": activationID, "tokenId": tokenID, "tokenSecret": tokenSecret}

	t.Run("approve", func(t *testing.T) {
		id, data := newOperation(t)
		list := e.ts(t, "operations/pending", tokenReq)["responseObject"].([]any)
		found := false
		for _, o := range list {
			if o.(map[string]any)["id"] == id {
				found = true
			}
		}
		if !found {
			t.Fatalf("operation %s not pending: %v", id, list)
		}
		// Data that differs from the operation's does not verify on the server.
		e.tsFail(t, "operations/approve", map[string]any{
			"activationId": activationID, "applicationId": tsApp, "password": tsPIN, "operationId": id, "operationData": data + "X",
		}, http.StatusUnauthorized, "SIGNATURE_VERIFICATION_EXCEPTION")
		wantStatus(t, id, "PENDING")
		e.ts(t, "operations/approve", map[string]any{
			"activationId": activationID, "applicationId": tsApp, "password": tsPIN, "operationId": id, "operationData": data,
			"mobileTokenData": map[string]any{"fds": "ok"},
		})
		wantStatus(t, id, "APPROVED")
		if list := e.ts(t, "operations/pending", tokenReq)["responseObject"].([]any); len(list) != 0 {
			t.Fatalf("still pending: %v", list)
		}
	})

	t.Run("reject", func(t *testing.T) {
		id, _ := newOperation(t)
		e.ts(t, "operations/reject", map[string]any{"activationId": activationID, "applicationId": tsApp, "operationId": id, "reason": "INCORRECT_DATA"})
		wantStatus(t, id, "REJECTED")
	})

	t.Run("compute-offline", func(t *testing.T) {
		id, _ := newOperation(t)
		qr := e.rest(t, "operation/offline/qr", map[string]any{"operationId": id, "activationId": activationID, "title": "Payment", "message": "Pay 100 CZK"})
		otp := e.tsObject(t, "signature/compute-offline", map[string]any{"activationId": activationID, "qrCodeData": qr["offlineData"], "password": tsPIN})["otp"].(string)
		res := e.rest(t, "operation/offline/approve", map[string]any{"operationId": id, "activationId": activationID, "nonce": qr["nonce"], "signature": otp})
		if res["result"] != "APPROVED" {
			t.Fatalf("offline approval: %v", res)
		}
		wantStatus(t, id, "APPROVED")
		// A tampered payload does not verify.
		e.tsFail(t, "signature/compute-offline", map[string]any{"activationId": activationID, "qrCodeData": strings.Replace(qr["offlineData"].(string), "Payment", "Paymenx", 1), "password": tsPIN},
			http.StatusBadRequest, "GENERIC_CRYPTOGRAPHY_ERROR")
	})

	t.Run("bad-input", func(t *testing.T) { testTestServerBadInput(t, e, activationID) })
	t.Run("same-device-concurrently", func(t *testing.T) { testTestServerConcurrency(t, e, activationID) })

	for _, op := range []string{"configureApplication", "createActivation", "computeOnlineSignature", "computeOfflineSignature",
		"createToken", "computeTokenDigest", "pendingOperations", "approveOperation", "rejectOperation"} {
		if e.contract.Exercised()[op] == 0 {
			t.Errorf("no exchange validated for %s", op)
		}
	}
}

// tsActivate activates a device of user through the test server, commits
// it through /rest/v3 and creates a token.
func tsActivate(t *testing.T, e *tsEnv, user string) (activationID, tokenID, tokenSecret string) {
	t.Helper()
	init := e.rest(t, "activation/init", map[string]any{"userId": user, "applicationId": tsApp})
	code := init["activationCode"].(string) + "#" + init["activationSignature"].(string)
	activationID = e.tsObject(t, "activation/create", map[string]any{"applicationId": tsApp, "activationName": "test phone", "password": tsPIN, "activationCode": code})["activationId"].(string)
	if activationID != init["activationId"] {
		t.Fatalf("activated %s, the bank created %s", activationID, init["activationId"])
	}
	e.rest(t, "activation/commit", map[string]any{"activationId": activationID, "externalUserId": "bank"})
	if st := e.rest(t, "activation/status", map[string]any{"activationId": activationID}); st["activationStatus"] != "ACTIVE" || st["devicePublicKeyFingerprint"] == "" {
		t.Fatalf("status: %v", st)
	}
	tok := e.tsObject(t, "token/create", map[string]any{"activationId": activationID, "applicationId": tsApp, "password": tsPIN, "signatureType": "POSSESSION_KNOWLEDGE"})
	return activationID, tok["tokenId"].(string), tok["tokenSecret"].(string)
}

// tsVerify checks an authorization header with /rest/v3/signature/verify.
func tsVerify(t *testing.T, e *tsEnv, header, uriID string, body []byte) map[string]any {
	t.Helper()
	h, err := protocol.ParseAuthorizationHeader(header)
	if err != nil {
		t.Fatal(err)
	}
	nonce, err := h.NonceBytes()
	if err != nil {
		t.Fatal(err)
	}
	return e.rest(t, "signature/verify", map[string]any{
		"activationId": h.ActivationID, "applicationKey": h.ApplicationKey,
		"data":      protocol.RequestData(http.MethodPost, uriID, nonce, body),
		"signature": h.Signature, "signatureType": service.SignatureTypeName(h.SignatureType), "signatureVersion": h.Version,
	})
}

func testTestServerBadInput(t *testing.T, e *tsEnv, activationID string) {
	missing := uuidLike()
	tests := []struct {
		name, endpoint string
		req            any
		status         int
		code           string
	}{
		{"no request object", "activation/create", map[string]any{}, http.StatusBadRequest, "ERR0024"},
		{"not JSON", "token/create", []byte("{"), http.StatusBadRequest, "ERROR_HTTP_REQUEST"},
		{"wrong type", "token/create", []byte(`{"requestObject":{"activationId":5}}`), http.StatusBadRequest, "ERR0024"},
		{"config without keys", "application/config", map[string]any{"applicationId": "x", "applicationName": "x"}, http.StatusBadRequest, "ERR0024"},
		{"invalid SDK config", "application/config", map[string]any{"applicationId": "x", "applicationName": "x", "mobileSdkConfig": "AAAA"}, http.StatusBadRequest, "APP_CONFIG_INVALID"},
		{"invalid keys", "application/config", map[string]any{"applicationId": "x", "applicationName": "x", "applicationKey": "a", "applicationSecret": "b", "masterPublicKey": "c"}, http.StatusBadRequest, "APP_CONFIG_INVALID"},
		{"unknown application", "activation/create", map[string]any{"applicationId": "nope", "activationCode": "AAAAA-AAAAA-AAAAA-AAAAA"}, http.StatusBadRequest, "APP_CONFIG_NOT_FOUND"},
		{"malformed activation code", "activation/create", map[string]any{"applicationId": tsApp, "activationCode": "not-a-code", "password": tsPIN}, http.StatusBadRequest, "ACTIVATION_FAILED"},
		{"unknown activation code", "activation/create", map[string]any{"applicationId": tsApp, "activationCode": "AAAAA-AAAAA-AAAAA-AAAAA", "password": tsPIN}, http.StatusBadRequest, "ACTIVATION_FAILED"},
		{"unknown device", "signature/compute-online", map[string]any{"activationId": missing, "applicationId": tsApp, "httpMethod": "POST", "resourceId": "/x", "signatureType": "POSSESSION"}, http.StatusBadRequest, "ACTIVATION_FAILED"},
		{"device of another application", "signature/compute-online", map[string]any{"activationId": activationID, "applicationId": "other", "httpMethod": "POST", "resourceId": "/x", "signatureType": "POSSESSION"}, http.StatusBadRequest, "ACTIVATION_FAILED"},
		{"unknown signature type", "signature/compute-online", map[string]any{"activationId": activationID, "applicationId": tsApp, "httpMethod": "POST", "resourceId": "/x", "signatureType": "FACE"}, http.StatusBadRequest, "ERR0024"},
		{"body not Base64", "signature/compute-online", map[string]any{"activationId": activationID, "applicationId": tsApp, "httpMethod": "POST", "resourceId": "/x", "signatureType": "POSSESSION", "requestBody": "%%%"}, http.StatusBadRequest, "GENERIC_CRYPTOGRAPHY_ERROR"},
		{"offline without password", "signature/compute-offline", map[string]any{"activationId": activationID, "qrCodeData": "x"}, http.StatusBadRequest, "ERR0024"},
		{"offline garbage", "signature/compute-offline", map[string]any{"activationId": activationID, "qrCodeData": "x", "password": tsPIN}, http.StatusBadRequest, "GENERIC_CRYPTOGRAPHY_ERROR"},
		{"token secret not Base64", "token/compute-digest", map[string]any{"activationId": activationID, "tokenId": "t", "tokenSecret": "x"}, http.StatusBadRequest, "GENERIC_CRYPTOGRAPHY_ERROR"},
		{"unknown token", "operations/pending", map[string]any{"activationId": activationID, "tokenId": missing, "tokenSecret": base64.StdEncoding.EncodeToString(make([]byte, 16))}, http.StatusUnauthorized, "SIGNATURE_VERIFICATION_EXCEPTION"},
		{"approve without data", "operations/approve", map[string]any{"activationId": activationID, "applicationId": tsApp, "operationId": "x"}, http.StatusBadRequest, "ERR0024"},
		{"approve wrong PIN", "operations/approve", map[string]any{"activationId": activationID, "applicationId": tsApp, "operationId": missing, "operationData": "A1", "password": "0000"}, http.StatusUnauthorized, "SIGNATURE_VERIFICATION_EXCEPTION"},
		{"reject unknown operation", "operations/reject", map[string]any{"activationId": activationID, "applicationId": tsApp, "operationId": missing}, http.StatusBadRequest, "REMOTE_EXECUTION_ERROR"},
		{"unknown endpoint", "activation/remove", map[string]any{}, http.StatusNotFound, "ERROR_NOT_FOUND"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { e.tsFail(t, tt.endpoint, tt.req, tt.status, tt.code) })
	}

	t.Run("credentials", func(t *testing.T) {
		req := map[string]any{"applicationId": tsApp, "applicationName": "x", "mobileSdkConfig": "AAAA"}
		for _, c := range []struct{ user, pass string }{{"", ""}, {e.user, "wrong"}} {
			code, out := e.call(t, "/powerauth-test-server/application/config", req, c.user, c.pass, nil)
			if ro, _ := out["responseObject"].(map[string]any); code != http.StatusUnauthorized || ro["code"] != "ERR_AUTHENTICATION" {
				t.Fatalf("user %q: HTTP %d %v", c.user, code, out)
			}
		}
		// An integration scoped to applications is no administrator.
		scoped := e.rest(t, "integration/create", map[string]any{"name": "scoped", "role": "APPLICATION", "applications": []string{tsApp}})
		code, out := e.call(t, "/powerauth-test-server/application/config", req, scoped["clientToken"].(string), scoped["clientSecret"].(string), nil)
		if ro, _ := out["responseObject"].(map[string]any); code != http.StatusUnauthorized || ro["code"] != "ERR_AUTHENTICATION" {
			t.Fatalf("APPLICATION integration: HTTP %d %v", code, out)
		}
	})

	t.Run("not on the public listener", func(t *testing.T) {
		resp, err := e.http.Post("http://"+e.PublicAddr().String()+"/powerauth-test-server/application/config", "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("public listener: HTTP %d", resp.StatusCode)
		}
	})
}

// testTestServerConcurrency computes signatures for one device from many
// requests at once: every request gets its own counter (the stored
// counter advances by exactly the number of requests) and the device
// stays in step with the server.
func testTestServerConcurrency(t *testing.T, e *tsEnv, activationID string) {
	ctx := context.Background()
	counter := func() uint64 {
		row, err := e.Store.GetTestDevice(ctx, activationID)
		if err != nil {
			t.Fatal(err)
		}
		plain, err := e.box.Open(row.SealedState, "pa_test_device.sealed_state:"+activationID)
		if err != nil {
			t.Fatal(err)
		}
		var d client.Device
		if err := json.Unmarshal(plain, &d); err != nil {
			t.Fatal(err)
		}
		return d.Counter
	}
	before := counter()
	const n = 12
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		headers = map[string]bool{}
		fails   []string
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, _ := json.Marshal(map[string]any{"requestObject": map[string]any{
				"activationId": activationID, "applicationId": tsApp, "httpMethod": "POST", "resourceId": "/x", "signatureType": "POSSESSION",
			}})
			req, _ := http.NewRequest(http.MethodPost, e.private+"/powerauth-test-server/signature/compute-online", bytes.NewReader(b))
			req.SetBasicAuth(e.user, e.pass)
			req.Header.Set("Content-Type", "application/json")
			resp, err := e.http.Do(req)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				fails = append(fails, err.Error())
				return
			}
			defer resp.Body.Close()
			var out struct {
				ResponseObject struct {
					AuthHeader string `json:"authHeader"`
				} `json:"responseObject"`
			}
			if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&out) != nil {
				fails = append(fails, fmt.Sprintf("HTTP %d", resp.StatusCode))
				return
			}
			headers[out.ResponseObject.AuthHeader] = true
		}()
	}
	wg.Wait()
	if len(fails) > 0 {
		t.Fatalf("concurrent requests failed: %v", fails)
	}
	if len(headers) != n {
		t.Fatalf("%d distinct headers from %d requests", len(headers), n)
	}
	if got := counter(); got != before+n {
		t.Fatalf("counter %d after %d signatures from %d", got, n, before)
	}
	// The device is still in step: its next signature verifies.
	h := e.tsObject(t, "signature/compute-online", map[string]any{
		"activationId": activationID, "applicationId": tsApp, "httpMethod": "POST", "resourceId": "/x", "signatureType": "POSSESSION",
	})["authHeader"].(string)
	if res := tsVerify(t, e, h, "/x", nil); res["signatureValid"] != true {
		t.Fatalf("after concurrent signatures: %v", res)
	}
}

// uuidLike returns an id no object has.
func uuidLike() string { return "00000000-0000-4000-8000-000000000000" }

// TestTestServerRefusedOnProduction checks that a configuration marked
// production refuses to start with the test server enabled, with a clear
// error, and that the test server is off (404) by default.
func TestTestServerRefusedOnProduction(t *testing.T) {
	c := testConfig(t, RoleAll)
	c.Environment = "production"
	c.TestServer.Enabled = true
	_, err := New(context.Background(), c)
	if err == nil || !strings.Contains(err.Error(), "production") || !strings.Contains(err.Error(), "test_server.enabled") {
		t.Fatalf("New on production with the test server: %v", err)
	}
	c.TestServer.Enabled = false
	r := start(t, c)
	user, pass := r.credentials(t)
	req, _ := http.NewRequest(http.MethodPost, "http://"+r.PrivateAddr().String()+"/powerauth-test-server/application/config", strings.NewReader(`{}`))
	req.SetBasicAuth(user, pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("test server disabled: HTTP %d", resp.StatusCode)
	}
}

func TestTestServerConfigValidation(t *testing.T) {
	tests := []struct {
		name string
		edit func(c *Config)
		want string
	}{
		{"production", func(c *Config) { c.Environment = "Production"; c.TestServer.Enabled = true }, "production"},
		{"enrollment role", func(c *Config) {
			c.Role, c.CoreURL, c.TestServer.Enabled = RoleEnrollment, "http://127.0.0.1:1", true
		}, "needs the database"},
		{"core role without URL", func(c *Config) { c.Role, c.TestServer.Enabled = RoleCore, true }, "public_url"},
		{"bad URL", func(c *Config) { c.TestServer.Enabled, c.TestServer.PublicURL = true, "ftp://x" }, "public_url"},
		{"URL without enabling", func(c *Config) { c.TestServer.PublicURL = "http://x" }, "not enabled"},
		{"ok", func(c *Config) { c.Environment, c.TestServer.Enabled = "staging", true }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testConfig(t, RoleAll)
			tt.edit(&c)
			err := c.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}

// TestTestServerDrivesARemoteServer runs the test server in a core-role
// process of its own (its own database) whose devices talk to another
// mauth's public API over HTTP: the bank works with the other server, the
// test server only simulates the phone.
func TestTestServerDrivesARemoteServer(t *testing.T) {
	remote := start(t, testConfig(t, RoleAll))
	user, pass := remote.credentials(t)
	bank := &tsEnv{running: remote, private: "http://" + remote.PrivateAddr().String(), user: user, pass: pass, http: &http.Client{Timeout: testTimeout}}

	c := testConfig(t, RoleCore)
	c.TestServer.PublicURL = "http://" + remote.PublicAddr().String()
	farm := startTestServer(t, c)

	bank.rest(t, "application/create", map[string]any{"applicationId": tsApp})
	version := bank.rest(t, "application/detail", map[string]any{"applicationId": tsApp})["versions"].([]any)[0].(map[string]any)
	farm.ts(t, "application/config", map[string]any{"applicationId": tsApp, "applicationName": "Bank", "mobileSdkConfig": version["mobileSdkConfig"]})
	init := bank.rest(t, "activation/init", map[string]any{"userId": "erin", "applicationId": tsApp})
	id := farm.tsObject(t, "activation/create", map[string]any{"applicationId": tsApp, "password": tsPIN, "activationCode": init["activationCode"]})["activationId"].(string)
	bank.rest(t, "activation/commit", map[string]any{"activationId": id})
	h := farm.tsObject(t, "signature/compute-online", map[string]any{
		"activationId": id, "applicationId": tsApp, "httpMethod": "POST", "resourceId": "/pa/signature/validate",
		"signatureType": "POSSESSION_KNOWLEDGE", "password": tsPIN,
	})["authHeader"].(string)
	if res := tsVerify(t, bank, h, "/pa/signature/validate", nil); res["signatureValid"] != true {
		t.Fatalf("the remote server refused the signature: %v", res)
	}
	tok := farm.tsObject(t, "token/create", map[string]any{"activationId": id, "applicationId": tsApp, "password": tsPIN})
	if tok["tokenId"] == "" {
		t.Fatalf("token: %v", tok)
	}
	if _, err := remote.Store.GetTestDevice(context.Background(), id); err == nil {
		t.Fatalf("the remote server holds the simulated device")
	}
	if _, err := farm.Store.GetActivation(context.Background(), id); err == nil {
		t.Fatalf("the test server's database holds the activation")
	}
}
