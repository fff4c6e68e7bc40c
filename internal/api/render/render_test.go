package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func decodeBody(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("response is not JSON: %q", rec.Body.String())
	}
	return m
}

func TestOK(t *testing.T) {
	rec := httptest.NewRecorder()
	OK(rec, map[string]string{"a": "b"})
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" || rec.Body.String() != `{"status":"OK","responseObject":{"a":"b"}}` {
		t.Fatalf("%d %q", rec.Code, rec.Body.String())
	}
	rec = httptest.NewRecorder()
	OK(rec, nil)
	if rec.Body.String() != `{"status":"OK"}` {
		t.Fatalf("%q", rec.Body.String())
	}
}

// codedOnly implements CodedError alone: it is answered 400.
type codedOnly struct{ code, msg string }

func (e codedOnly) Error() string       { return e.code + ": " + e.msg + ": cause with password=secret" }
func (e codedOnly) ErrorCode() string   { return e.code }
func (e codedOnly) SafeMessage() string { return e.msg }

func TestErrorMapping(t *testing.T) {
	idx := 2
	cases := []struct {
		name   string
		err    error
		status int
		code   string
	}{
		{"coded", codedOnly{"ERR0009", "Activation not found."}, 400, "ERR0009"},
		{"wrapped coded", errors.Join(errors.New("ctx"), codedOnly{"ERR0015", "x"}), 400, "ERR0015"},
		{"status", APIError{Status: 401, Code: "ERR_AUTHENTICATION", Message: "Authentication failed"}.With(errors.New("password=secret")), 401, "ERR_AUTHENTICATION"},
		{"recovery", &APIError{Status: 400, Code: "ERR_RECOVERY", Message: "wrong PUK", PukIndex: &idx}, 400, "ERR_RECOVERY"},
		{"outer answer wins", fmt.Errorf("ctx: %w", APIError{Status: 401, Code: "OUTER", Message: "m"}.With(codedOnly{"INNER", "x"})), 401, "OUTER"},
		{"request", &RequestError{Message: "bad json"}, 400, CodeHTTPRequest},
		{"validation", &ValidationError{Fields: map[string]string{"userId": "must not be empty", "applicationId": "must not be empty"}}, 400, "ERR0024"},
		{"internal", errors.New("database on fire: password=secret"), 500, "ERR0000"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			Error(rec, httptest.NewRequest("POST", "/x", nil), nil, c.err)
			if rec.Code != c.status {
				t.Fatalf("status %d want %d", rec.Code, c.status)
			}
			m := decodeBody(t, rec)
			ro := m["responseObject"].(map[string]any)
			if m["status"] != "ERROR" || ro["code"] != c.code {
				t.Fatalf("body %v", m)
			}
			if strings.Contains(rec.Body.String(), "secret") {
				t.Fatal("internal error detail leaked to the client")
			}
			if c.name == "validation" && ro["message"] != "applicationId - must not be empty, userId - must not be empty" {
				t.Fatalf("validation message %q", ro["message"])
			}
			if c.name == "recovery" && ro["currentRecoveryPukIndex"] != float64(2) {
				t.Fatalf("puk index %v", ro["currentRecoveryPukIndex"])
			}
			if _, ok := ro["currentRecoveryPukIndex"]; ok && c.name != "recovery" {
				t.Fatalf("unexpected puk index: %v", ro)
			}
		})
	}
}

// TestErrorWith: an error that is no CodedError gets the surface's
// internal answer, with the cause in the error log only; a rejected
// request is logged at info level with its cause.
func TestErrorWith(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	internal := APIError{Status: 500, Code: "ERROR_GENERIC", Message: "Unknown error occurred."}
	rec := httptest.NewRecorder()
	ErrorWith(rec, httptest.NewRequest("POST", "/x", nil), log, errors.New("disk full"), internal)
	if rec.Code != 500 || rec.Body.String() != `{"status":"ERROR","responseObject":{"code":"ERROR_GENERIC","message":"Unknown error occurred.","localizedMessage":"Unknown error occurred."}}` {
		t.Fatalf("%d %s", rec.Code, rec.Body.String())
	}
	if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "disk full") {
		t.Fatalf("logs: %s", logs.String())
	}
	logs.Reset()
	rec = httptest.NewRecorder()
	ErrorWith(rec, httptest.NewRequest("POST", "/x", nil), log, APIError{Status: 400, Code: "INVALID_REQUEST", Message: "Invalid request."}.Withf("field %s", "id"), internal)
	if rec.Code != 400 || rec.Body.String() != `{"status":"ERROR","responseObject":{"code":"INVALID_REQUEST","message":"Invalid request.","localizedMessage":"Invalid request."}}` {
		t.Fatalf("%d %s", rec.Code, rec.Body.String())
	}
	if !strings.Contains(logs.String(), "level=INFO") || !strings.Contains(logs.String(), `reason="field id"`) {
		t.Fatalf("logs: %s", logs.String())
	}
	// An answer a surface makes internal on purpose is a 500 logged as a failure.
	logs.Reset()
	rec = httptest.NewRecorder()
	ErrorWith(rec, httptest.NewRequest("POST", "/x", nil), log, internal.With(codedOnly{"ERR_AUTHENTICATION", "hidden"}), internal)
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "ERR_AUTHENTICATION") || !strings.Contains(logs.String(), "level=ERROR") {
		t.Fatalf("%d %s, logs: %s", rec.Code, rec.Body.String(), logs.String())
	}
}

func TestAllowMethods(t *testing.T) {
	h := AllowMethods(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { OK(w, nil) }), http.MethodGet, http.MethodPost)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", nil))
	if rec.Code != 200 {
		t.Fatalf("POST: %d", rec.Code)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPut, "/", nil))
	if rec.Code != 405 || rec.Header().Get("Allow") != "GET, POST" ||
		rec.Body.String() != `{"status":"ERROR","responseObject":{"code":"ERROR_HTTP_REQUEST","message":"Method PUT is not allowed.","localizedMessage":"Method PUT is not allowed."}}` {
		t.Fatalf("PUT: %d %q %s", rec.Code, rec.Header().Get("Allow"), rec.Body.String())
	}
}

func TestDecodeRequest(t *testing.T) {
	type req struct {
		UserID string `json:"userId"`
		Max    *int64 `json:"maxFailureCount"`
	}
	for _, c := range []struct {
		body    string
		wantErr string
		user    string
	}{
		{``, "", ""},
		{`{}`, "", ""},
		{`{"requestObject":null}`, "", ""},
		{`{"requestObject":{"userId":"u1","unknown":1}}`, "", "u1"},
		{`{"requestObject":{"userId":5}}`, "ERR0024", ""},
		{`{"requestObject":{"maxFailureCount":"x"}}`, "ERR0024", ""},
		{`{"requestObject":`, "ERROR_HTTP_REQUEST", ""},
		{`[1,2]`, "ERROR_HTTP_REQUEST", ""},
		{`{"requestObject":[1]}`, "ERROR_HTTP_REQUEST", ""},
		{`{"requestObject":{"userId":"` + strings.Repeat("x", MaxRequestBody) + `"}}`, "ERROR_HTTP_REQUEST", ""},
	} {
		var dst req
		err := DecodeRequest(httptest.NewRequest(http.MethodPost, "/", strings.NewReader(c.body)), &dst)
		got := ""
		if err != nil {
			rec := httptest.NewRecorder()
			Error(rec, httptest.NewRequest("POST", "/", nil), nil, err)
			got = decodeBody(t, rec)["responseObject"].(map[string]any)["code"].(string)
		}
		if got != c.wantErr || dst.UserID != c.user {
			t.Errorf("body %.60q: err %q user %q", c.body, got, dst.UserID)
		}
	}
}

func TestNotFound(t *testing.T) {
	rec := httptest.NewRecorder()
	NotFound(rec, httptest.NewRequest("POST", "/rest/v3/nope", nil))
	if rec.Code != 404 || decodeBody(t, rec)["responseObject"].(map[string]any)["code"] != CodeNotFound {
		t.Fatalf("%d %s", rec.Code, rec.Body.String())
	}
}
