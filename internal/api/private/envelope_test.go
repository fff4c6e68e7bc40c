package private

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/mauth/mauth/internal/api/render"
	"github.com/mauth/mauth/internal/service"
)

// rawPost posts body as is to a method and returns the status, the
// response headers and the decoded JSON answer.
func (ts *testServer) rawPost(t *testing.T, method string, body []byte) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, ts.URL+Prefix+method, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if ts.Auth != nil {
		req.SetBasicAuth(ts.Auth[0], ts.Auth[1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
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
	return resp.StatusCode, resp.Header, out
}

// TestRequestEnvelope covers the request bodies every method accepts and
// refuses, as the OpenAPI document describes them.
func TestRequestEnvelope(t *testing.T) {
	ts := newTestServer(t)
	// No body, an empty object and a null request object are an empty
	// request object.
	for _, body := range []string{"", "{}", `{"requestObject":null}`, `{"requestObject":{},"unknown":1}`} {
		status, _, out := ts.rawPost(t, "status", []byte(body))
		if status != http.StatusOK || out["status"] != "OK" {
			t.Errorf("status with %q: HTTP %d %v", body, status, out)
		}
		status, _, out = ts.rawPost(t, "application/detail", []byte(body))
		if ro, _ := out["responseObject"].(map[string]any); status != http.StatusBadRequest || ro["code"] != service.CodeInvalidRequest ||
			ro["message"] != "applicationId - must not be blank" || ro["localizedMessage"] != ro["message"] {
			t.Errorf("application/detail with %q: HTTP %d %v", body, status, out)
		}
	}
	// Bodies that are not the envelope.
	for _, body := range []string{"{not json", "[]", `{"requestObject":"x"}`, `{"requestObject":[1]}`} {
		status, _, out := ts.rawPost(t, "activation/status", []byte(body))
		if ro, _ := out["responseObject"].(map[string]any); status != http.StatusBadRequest || ro["code"] != render.CodeHTTPRequest {
			t.Errorf("activation/status with %q: HTTP %d %v", body, status, out)
		}
	}
	// A field of the wrong JSON type is a validation error naming it.
	ts.fail(t, "activation/status", rawBody(`{"requestObject":{"activationId":17}}`), http.StatusBadRequest, service.CodeInvalidRequest)
	// Bodies above 1 MiB are refused whole (as 400, not 413).
	big := append([]byte(`{"requestObject":{"activationId":"`), bytes.Repeat([]byte("a"), render.MaxRequestBody)...)
	big = append(big, `"}}`...)
	status, _, out := ts.rawPost(t, "activation/status", big)
	if ro, _ := out["responseObject"].(map[string]any); status != http.StatusBadRequest || ro["code"] != render.CodeHTTPRequest ||
		!strings.Contains(ro["message"].(string), "exceeds") {
		t.Errorf("oversized body: HTTP %d %v", status, out)
	}
	// The list methods ignore their body entirely.
	for _, name := range []string{"application/list", "integration/list", "operation/template/list", "error/list"} {
		if status, _, out := ts.rawPost(t, name, []byte("{not json")); status != http.StatusOK || out["status"] != "OK" {
			t.Errorf("%s with a non-JSON body: HTTP %d %v", name, status, out)
		}
	}
}

// TestRestrictAccessAnswers checks the 401 answer of restricted access and
// that valid integration credentials pass.
func TestRestrictAccessAnswers(t *testing.T) {
	ts := newTestServerWith(t, service.Config{}, Options{RestrictAccess: true})
	integ, err := ts.svc.CreateIntegration(t.Context(), "backend")
	if err != nil {
		t.Fatal(err)
	}
	status, header, out := ts.rawPost(t, "status", nil)
	ro, _ := out["responseObject"].(map[string]any)
	if status != http.StatusUnauthorized || header.Get("WWW-Authenticate") != `Basic realm="mauth"` || out["status"] != "ERROR" ||
		ro["code"] != service.CodeAuthentication || ro["message"] != "Authentication failed" || ro["localizedMessage"] != "Authentication failed" {
		t.Fatalf("no credentials: HTTP %d %v %v", status, header, out)
	}
	ts.Auth = &[2]string{integ.ClientToken, integ.ClientSecret}
	if ro := ts.ok(t, "integration/list", nil); ro["restrictedAccess"] != true {
		t.Fatalf("integration/list: %v", ro)
	}
}
