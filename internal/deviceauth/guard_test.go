package deviceauth

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mauth/mauth/internal/api/render"
)

// answering is a guard that answers with status and code instead of
// calling the handler.
func answering(status int, code string) func(http.Handler) http.Handler {
	return func(http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("X-Guard", "1")
			render.ErrorResponse(w, status, render.ErrorObject{Code: code, Message: "guard says no"})
		})
	}
}

// authenticating is a guard that puts a device into the context.
func authenticating(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(WithAuth(r.Context(), &Auth{Method: AuthToken, ActivationID: "a1"})))
	})
}

func TestGuard(t *testing.T) {
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := AuthFromContext(r.Context())
		body, _ := io.ReadAll(r.Body)
		if !ok || a.ActivationID != "a1" || string(body) != "payload" {
			t.Errorf("handler: auth %+v %v, body %q", a, ok, body)
		}
		render.OK(w, nil)
	})
	var failedBody string
	onFail := func(_ *http.Request, body []byte) { failedBody = string(body) }
	for _, tc := range []struct {
		name       string
		guard      func(http.Handler) http.Handler
		body       string
		wantStatus int
		wantBody   string
		wantHook   bool
	}{
		{"authenticated", authenticating, "payload", 200, `{"status":"OK"}`, false},
		{"401 becomes POWERAUTH_AUTH_FAIL", answering(401, "ERR_AUTHENTICATION"), "payload", 401,
			`{"status":"ERROR","responseObject":{"code":"POWERAUTH_AUTH_FAIL","message":"PowerAuth authentication failed.","localizedMessage":"PowerAuth authentication failed."}}`, true},
		{"other answers pass through", answering(400, "ERR_ENCRYPTION"), "payload", 400,
			`{"status":"ERROR","responseObject":{"code":"ERR_ENCRYPTION","message":"guard says no","localizedMessage":"guard says no"}}`, false},
		{"body over the limit", authenticating, strings.Repeat("x", 11), 413,
			`{"status":"ERROR","responseObject":{"code":"ERROR_HTTP_REQUEST","message":"Request body is too large.","localizedMessage":"Request body is too large."}}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			failedBody = ""
			g := Guard{Middleware: []func(http.Handler) http.Handler{tc.guard}, OnAuthFail: onFail, MaxBodyBytes: 10}
			rec := httptest.NewRecorder()
			g.Wrap(handler).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/x", strings.NewReader(tc.body)))
			if rec.Code != tc.wantStatus || rec.Body.String() != tc.wantBody {
				t.Fatalf("got %d %s, want %d %s", rec.Code, rec.Body.String(), tc.wantStatus, tc.wantBody)
			}
			if tc.wantHook != (failedBody == tc.body) {
				t.Fatalf("OnAuthFail got %q (want called: %v)", failedBody, tc.wantHook)
			}
		})
	}
}

func TestAuthFromContext(t *testing.T) {
	if _, ok := AuthFromContext(context.Background()); ok {
		t.Fatal("auth in an empty context")
	}
	if _, ok := AuthFromContext(WithAuth(context.Background(), nil)); ok {
		t.Fatal("nil auth reported")
	}
}
