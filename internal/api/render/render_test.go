package render

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mauth/mauth/internal/service"
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

func TestErrorMapping(t *testing.T) {
	idx := 2
	cases := []struct {
		name   string
		err    error
		status int
		code   string
	}{
		{"service", service.Errorf(service.CodeActivationNotFound, "Activation not found."), 400, "ERR0009"},
		{"wrapped service", errors.Join(errors.New("ctx"), service.Errorf(service.CodeInvalidApplication, "x")), 400, "ERR0015"},
		{"auth", service.Errorf(service.CodeAuthentication, "Authentication failed"), 401, "ERR_AUTHENTICATION"},
		{"recovery", &service.Error{Code: service.CodeRecovery, Message: "wrong PUK", CurrentRecoveryPukIndex: &idx}, 400, "ERR_RECOVERY"},
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
		})
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
