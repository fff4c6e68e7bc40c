package idp

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const (
	testBearer   = "s3cret-bearer-token"
	testBasicPwd = "s3cret-basic-password"
	testPassword = "user-password-never-logged"
)

// backend is a test bank backend recording what it received.
type backend struct {
	srv     *httptest.Server
	status  int
	answer  string
	gotAuth string
	gotCT   string
	gotBody map[string]any
	gotMeth string
}

func newBackend(t *testing.T, status int, answer string) *backend {
	t.Helper()
	b := &backend{status: status, answer: answer}
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.gotAuth, b.gotCT, b.gotMeth = r.Header.Get("Authorization"), r.Header.Get("Content-Type"), r.Method
		raw, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(raw, &b.gotBody)
		w.WriteHeader(b.status)
		_, _ = io.WriteString(w, b.answer)
	}))
	t.Cleanup(b.srv.Close)
	return b
}

func TestHTTPResolve(t *testing.T) {
	attrs := map[string]any{"username": "alice", "password": testPassword, "branch": float64(7)}
	tests := []struct {
		name    string
		status  int
		answer  string
		want    string
		wantErr error
	}{
		{"user found", 200, `{"userId":"u-1001"}`, "u-1001", nil},
		{"user found, extra fields", 201, `{"userId":"u-1001","name":"Alice"}`, "u-1001", nil},
		{"unauthorized", 401, `{}`, "", ErrInvalidCredentials},
		{"forbidden", 403, ``, "", ErrInvalidCredentials},
		{"not found", 404, `{"error":"no such user"}`, "", ErrInvalidCredentials},
		{"server error", 500, `{"userId":"u-1001"}`, "", ErrUnavailable},
		{"bad request", 400, ``, "", ErrUnavailable},
		{"not JSON", 200, `<html>`, "", ErrUnavailable},
		{"no userId", 200, `{"id":"u-1001"}`, "", ErrUnavailable},
		{"null userId", 200, `{"userId":null}`, "", ErrUnavailable},
		{"empty userId", 200, `{"userId":"  "}`, "", ErrUnavailable},
		{"userId not a string", 200, `{"userId":1001}`, "", ErrUnavailable},
		{"userId too long", 200, `{"userId":"` + strings.Repeat("x", 256) + `"}`, "", ErrUnavailable},
		{"answer too large", 200, `{"userId":"u","pad":"` + strings.Repeat("x", maxHTTPResponse) + `"}`, "", ErrUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBackend(t, tc.status, tc.answer)
			p, err := NewHTTP(HTTPConfig{URL: b.srv.URL + "/resolve", BearerToken: testBearer})
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.Resolve(context.Background(), attrs)
			if tc.wantErr == nil {
				if err != nil || got != tc.want {
					t.Fatalf("got %q, %v; want %q", got, err, tc.want)
				}
			} else {
				if !errors.Is(err, tc.wantErr) || got != "" {
					t.Fatalf("got %q, %v; want %v", got, err, tc.wantErr)
				}
				for _, secret := range []string{testPassword, testBearer} {
					if strings.Contains(err.Error(), secret) {
						t.Fatalf("error text leaks a secret: %v", err)
					}
				}
			}
			if b.gotMeth != http.MethodPost || b.gotCT != "application/json" || b.gotAuth != "Bearer "+testBearer {
				t.Fatalf("request: %s %q auth %q", b.gotMeth, b.gotCT, b.gotAuth)
			}
			if b.gotBody["username"] != "alice" || b.gotBody["password"] != testPassword || b.gotBody["branch"] != float64(7) {
				t.Fatalf("backend received %v", b.gotBody)
			}
		})
	}
}

func TestHTTPBasicAuth(t *testing.T) {
	b := newBackend(t, 200, `{"userId":"u-1"}`)
	p, err := NewHTTP(HTTPConfig{URL: b.srv.URL, BasicUsername: "enrollment", BasicPassword: testBasicPwd})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Resolve(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	r := &http.Request{Header: http.Header{"Authorization": {b.gotAuth}}}
	user, pass, ok := r.BasicAuth()
	if !ok || user != "enrollment" || pass != testBasicPwd {
		t.Fatalf("basic auth %q", b.gotAuth)
	}
	if len(b.gotBody) != 0 {
		t.Fatalf("nil attributes sent as %v", b.gotBody)
	}
	if s := p.String(); strings.Contains(s, testBasicPwd) || !strings.Contains(s, "basic") {
		t.Fatalf("String() = %q", s)
	}
}

func TestHTTPNoAuth(t *testing.T) {
	b := newBackend(t, 200, `{"userId":"u-1"}`)
	p, err := NewHTTP(HTTPConfig{URL: b.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Resolve(context.Background(), map[string]any{}); err != nil {
		t.Fatal(err)
	}
	if b.gotAuth != "" {
		t.Fatalf("unexpected Authorization %q", b.gotAuth)
	}
}

func TestHTTPTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	p, err := NewHTTP(HTTPConfig{URL: srv.URL, Timeout: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Resolve(context.Background(), map[string]any{"password": testPassword}); !errors.Is(err, ErrUnavailable) || strings.Contains(err.Error(), testPassword) {
		t.Fatalf("got %v, want ErrUnavailable", err)
	}
}

func TestHTTPBackendDown(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	p, err := NewHTTP(HTTPConfig{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Resolve(context.Background(), map[string]any{}); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("got %v, want ErrUnavailable", err)
	}
}

func TestHTTPCanceledContext(t *testing.T) {
	b := newBackend(t, 200, `{"userId":"u-1"}`)
	p, err := NewHTTP(HTTPConfig{URL: b.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Resolve(ctx, map[string]any{}); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("got %v, want ErrUnavailable", err)
	}
}

func TestNewHTTPValidation(t *testing.T) {
	for name, cfg := range map[string]HTTPConfig{
		"empty URL":          {},
		"relative URL":       {URL: "/resolve"},
		"other scheme":       {URL: "ftp://bank.example/resolve"},
		"no host":            {URL: "http:///resolve"},
		"credentials in URL": {URL: "https://user:pass@bank.example/resolve"},
		"basic and bearer":   {URL: "https://bank.example/resolve", BasicUsername: "u", BearerToken: "t"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := NewHTTP(cfg)
			if err == nil {
				t.Fatal("accepted")
			}
			if strings.Contains(err.Error(), "user:pass") {
				t.Fatalf("error echoes the credentials: %v", err)
			}
		})
	}
}

func TestProviderFunc(t *testing.T) {
	var p Provider = ProviderFunc(func(_ context.Context, a map[string]any) (string, error) {
		return a["u"].(string), nil
	})
	if got, err := p.Resolve(context.Background(), map[string]any{"u": "x"}); err != nil || got != "x" {
		t.Fatalf("got %q, %v", got, err)
	}
}
