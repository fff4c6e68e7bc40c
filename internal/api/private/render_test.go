package private

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/mauth/mauth/internal/api/render"
	"github.com/mauth/mauth/internal/service"
)

// TestRenderCodesMatchService: the codes render answers with on its own
// are the core's.
func TestRenderCodesMatchService(t *testing.T) {
	if render.CodeUnknown != service.CodeUnknown || render.InternalError.Message != service.CodeMessages[service.CodeUnknown] {
		t.Fatalf("render's internal answer %s %q differs from the core's %s %q", render.CodeUnknown, render.InternalError.Message, service.CodeUnknown, service.CodeMessages[service.CodeUnknown])
	}
	if render.CodeInvalidRequest != service.CodeInvalidRequest {
		t.Fatalf("render's validation code %s differs from the core's %s", render.CodeInvalidRequest, service.CodeInvalidRequest)
	}
}

// TestServiceErrorAnswers: the core's errors are rendered through
// render's interfaces with their code, message, status and PUK index.
func TestServiceErrorAnswers(t *testing.T) {
	idx := 2
	for _, tc := range []struct {
		name string
		err  error
		want int
		body string
	}{
		{"business", service.Errorf(service.CodeActivationNotFound, "Activation not found."), 400,
			`{"status":"ERROR","responseObject":{"code":"ERR0009","message":"Activation not found.","localizedMessage":"Activation not found."}}`},
		{"wrapped", errors.Join(errors.New("ctx"), service.Wrap(service.CodeInvalidApplication, "x", errors.New("secret cause"))), 400,
			`{"status":"ERROR","responseObject":{"code":"ERR0015","message":"x","localizedMessage":"x"}}`},
		{"authentication", service.Errorf(service.CodeAuthentication, "Authentication failed"), 401,
			`{"status":"ERROR","responseObject":{"code":"ERR_AUTHENTICATION","message":"Authentication failed","localizedMessage":"Authentication failed"}}`},
		{"recovery", &service.Error{Code: service.CodeRecovery, Message: "wrong PUK", CurrentRecoveryPukIndex: &idx}, 400,
			`{"status":"ERROR","responseObject":{"code":"ERR_RECOVERY","message":"wrong PUK","localizedMessage":"wrong PUK","currentRecoveryPukIndex":2}}`},
		{"internal", errors.New("database down"), 500,
			`{"status":"ERROR","responseObject":{"code":"ERR0000","message":"Unknown error occurred.","localizedMessage":"Unknown error occurred."}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			render.Error(rec, httptest.NewRequest(http.MethodPost, "/rest/v3/x", nil), nil, tc.err)
			if rec.Code != tc.want || rec.Body.String() != tc.body {
				t.Fatalf("got %d %s, want %d %s", rec.Code, rec.Body.String(), tc.want, tc.body)
			}
		})
	}
}
