package testserver

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	ts "github.com/mauth/mauth/internal/testserver"
	"github.com/mauth/mauth/wire"
)

// fakeDevices answers every call with err, or an empty success.
type fakeDevices struct {
	err   error
	calls int
}

func (f *fakeDevices) ConfigureApplication(context.Context, ts.ConfigureApplicationRequest) error {
	f.calls++
	return f.err
}

func (f *fakeDevices) CreateActivation(context.Context, ts.CreateActivationRequest) (*ts.CreateActivationResponse, error) {
	f.calls++
	return &ts.CreateActivationResponse{ActivationID: "a"}, f.err
}

func (f *fakeDevices) ComputeOnlineSignature(context.Context, ts.ComputeOnlineSignatureRequest) (*ts.ComputeOnlineSignatureResponse, error) {
	f.calls++
	return &ts.ComputeOnlineSignatureResponse{AuthHeader: "h"}, f.err
}

func (f *fakeDevices) ComputeOfflineSignature(context.Context, ts.ComputeOfflineSignatureRequest) (*ts.ComputeOfflineSignatureResponse, error) {
	f.calls++
	return &ts.ComputeOfflineSignatureResponse{OTP: "1"}, f.err
}

func (f *fakeDevices) CreateToken(context.Context, ts.CreateTokenRequest) (*ts.CreateTokenResponse, error) {
	f.calls++
	return &ts.CreateTokenResponse{TokenID: "t", TokenSecret: "s"}, f.err
}

func (f *fakeDevices) ComputeTokenDigest(context.Context, ts.TokenRequest) (*ts.ComputeTokenDigestResponse, error) {
	f.calls++
	return &ts.ComputeTokenDigestResponse{AuthHeader: "h"}, f.err
}

func (f *fakeDevices) PendingOperations(context.Context, ts.TokenRequest, string) ([]wire.Operation, error) {
	f.calls++
	return []wire.Operation{}, f.err
}

func (f *fakeDevices) ApproveOperation(context.Context, ts.ApproveOperationRequest) error {
	f.calls++
	return f.err
}

func (f *fakeDevices) RejectOperation(context.Context, ts.RejectOperationRequest) error {
	f.calls++
	return f.err
}

// post sends a raw body to an endpoint of h.
func post(h http.Handler, endpoint, body string) (int, map[string]any) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, Prefix+endpoint, strings.NewReader(body)))
	var out map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	return rec.Code, out
}

func code(out map[string]any) any {
	ro, _ := out["responseObject"].(map[string]any)
	return ro["code"]
}

// TestErrorAnswers maps the vertical's errors: its coded errors with their
// status, anything else as a 500 without detail.
func TestErrorAnswers(t *testing.T) {
	body := `{"requestObject":{"activationId":"a","applicationId":"b","operationId":"c"}}`
	tests := []struct {
		name   string
		err    error
		status int
		code   string
	}{
		{"ok", nil, http.StatusOK, ""},
		{"coded", &ts.Error{Code: ts.CodeActivationFailed, Message: "Activation failed.", Status: http.StatusBadRequest}, http.StatusBadRequest, ts.CodeActivationFailed},
		{"signature", &ts.Error{Code: ts.CodeSignatureVerification, Message: "x", Status: http.StatusUnauthorized}, http.StatusUnauthorized, ts.CodeSignatureVerification},
		{"internal", errors.New("database is down: secret detail"), http.StatusInternalServerError, ts.CodeGeneric},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := New(Options{Devices: &fakeDevices{err: tt.err}}).Handler()
			status, out := post(h, "operations/reject", body)
			if status != tt.status {
				t.Fatalf("HTTP %d %v, want %d", status, out, tt.status)
			}
			if tt.code == "" {
				if out["status"] != "OK" || out["responseObject"] != nil {
					t.Fatalf("answer %v", out)
				}
				return
			}
			if code(out) != tt.code || strings.Contains(mustJSON(out), "secret detail") {
				t.Fatalf("answer %v", out)
			}
		})
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestValidationBeforeTheVertical: invalid requests are answered 400
// without reaching the vertical.
func TestValidationBeforeTheVertical(t *testing.T) {
	tests := []struct{ endpoint, body, code string }{
		{"application/config", `{}`, "ERR0024"},
		{"application/config", `{"requestObject":{"applicationId":" ","applicationName":"n","mobileSdkConfig":"x"}}`, "ERR0024"},
		{"activation/create", `{"requestObject":{"applicationId":"a"}}`, "ERR0024"},
		{"signature/compute-online", `{"requestObject":{"activationId":"a","applicationId":"b","httpMethod":"POST","resourceId":"/r"}}`, "ERR0024"},
		{"signature/compute-online", `{"requestObject":{"activationId":"a","applicationId":"b","httpMethod":"POST","resourceId":"/r","signatureType":"x"}}`, "ERR0024"},
		{"signature/compute-offline", `{"requestObject":{"activationId":"a","qrCodeData":"q"}}`, "ERR0024"},
		{"token/create", `{"requestObject":{"activationId":"a","applicationId":"b","signatureType":"KNOWLEDGE_POSSESSION"}}`, "ERR0024"},
		{"token/compute-digest", `{"requestObject":{"activationId":"a","tokenId":"t"}}`, "ERR0024"},
		{"operations/pending", `{"requestObject":{"activationId":"a","tokenSecret":"s"}}`, "ERR0024"},
		{"operations/approve", `{"requestObject":{"activationId":"a","applicationId":"b","operationId":"c"}}`, "ERR0024"},
		{"operations/reject", `{"requestObject":{"activationId":"a","applicationId":"b"}}`, "ERR0024"},
		{"operations/reject", `{"requestObject":`, "ERROR_HTTP_REQUEST"},
		{"operations/reject", `{"requestObject":{"operationId":7}}`, "ERR0024"},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint+" "+tt.body, func(t *testing.T) {
			f := &fakeDevices{}
			status, out := post(New(Options{Devices: f}).Handler(), tt.endpoint, tt.body)
			if status != http.StatusBadRequest || code(out) != tt.code || f.calls != 0 {
				t.Fatalf("HTTP %d %v (%d calls), want 400 %s", status, out, f.calls, tt.code)
			}
		})
	}
}

type staticAuth struct{ user, pass string }

func (a staticAuth) AuthenticateAdmin(_ context.Context, u, p string) bool {
	return u == a.user && p == a.pass
}

func TestAuthentication(t *testing.T) {
	f := &fakeDevices{}
	h := New(Options{Devices: f, Authenticator: staticAuth{"admin", "pw"}}).Handler()
	for _, creds := range [][2]string{{"", ""}, {"admin", "no"}, {"x", "pw"}} {
		req := httptest.NewRequest(http.MethodPost, Prefix+"operations/reject", strings.NewReader(`{}`))
		if creds[0] != "" {
			req.SetBasicAuth(creds[0], creds[1])
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), CodeAuthentication) || rec.Header().Get("WWW-Authenticate") == "" {
			t.Fatalf("%v: HTTP %d %s", creds, rec.Code, rec.Body)
		}
	}
	req := httptest.NewRequest(http.MethodPost, Prefix+"operations/reject", strings.NewReader(`{"requestObject":{"activationId":"a","applicationId":"b","operationId":"c"}}`))
	req.SetBasicAuth("admin", "pw")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || f.calls != 1 {
		t.Fatalf("admin: HTTP %d %s", rec.Code, rec.Body)
	}
}

// FuzzRequests sends untrusted bodies to every endpoint: never a panic or
// a 5xx, and the vertical is reached only with the required fields set.
func FuzzRequests(f *testing.F) {
	f.Add("application/config", `{"requestObject":{"applicationId":"a","applicationName":"n","mobileSdkConfig":"AAAA"}}`)
	f.Add("signature/compute-online", `{"requestObject":{"activationId":"a","applicationId":"b","httpMethod":"POST","resourceId":"/r","signatureType":"possession","requestBody":"e30="}}`)
	f.Add("operations/approve", `{"requestObject":{"activationId":"a","applicationId":"b","operationId":"c","operationData":"A1","mobileTokenData":{"x":[1,2]}}}`)
	f.Add("token/create", `{"requestObject":{"activationId":"a","applicationId":"b","signatureType":null}}`)
	f.Add("operations/pending", `[]`)
	f.Add("activation/create", `{"requestObject":"x"}`)
	endpoints := map[string]bool{"application/config": true, "activation/create": true, "signature/compute-online": true, "signature/compute-offline": true,
		"token/create": true, "token/compute-digest": true, "operations/pending": true, "operations/approve": true, "operations/reject": true}
	f.Fuzz(func(t *testing.T, endpoint, body string) {
		if !endpoints[endpoint] {
			return
		}
		rec := &recordingDevices{}
		status, _ := post(New(Options{Devices: rec}).Handler(), endpoint, body)
		if status >= 500 || (status != http.StatusOK && status != http.StatusBadRequest) {
			t.Fatalf("%s %q: HTTP %d", endpoint, body, status)
		}
		if status == http.StatusOK && rec.missing {
			t.Fatalf("%s %q reached the vertical without a required field", endpoint, body)
		}
	})
}

// recordingDevices notes a call without the fields every request needs.
type recordingDevices struct {
	fakeDevices
	missing bool
}

func (r *recordingDevices) need(vals ...string) {
	for _, v := range vals {
		if strings.TrimSpace(v) == "" {
			r.missing = true
		}
	}
}

func (r *recordingDevices) ConfigureApplication(_ context.Context, q ts.ConfigureApplicationRequest) error {
	r.need(q.ApplicationID, q.ApplicationName)
	return nil
}

func (r *recordingDevices) CreateActivation(_ context.Context, q ts.CreateActivationRequest) (*ts.CreateActivationResponse, error) {
	r.need(q.ApplicationID, q.ActivationCode)
	return &ts.CreateActivationResponse{}, nil
}

func (r *recordingDevices) ComputeOnlineSignature(_ context.Context, q ts.ComputeOnlineSignatureRequest) (*ts.ComputeOnlineSignatureResponse, error) {
	r.need(q.ActivationID, q.ApplicationID, q.HTTPMethod, q.ResourceID, q.SignatureType)
	return &ts.ComputeOnlineSignatureResponse{}, nil
}

func (r *recordingDevices) ApproveOperation(_ context.Context, q ts.ApproveOperationRequest) error {
	r.need(q.ActivationID, q.ApplicationID, q.OperationID, q.OperationData)
	return nil
}
