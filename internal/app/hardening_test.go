package app

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/mauth/mauth/openapi"
	"github.com/mauth/mauth/protocol"
)

// documentedCalls lists method and path of every operation of an OpenAPI
// document, path parameters filled with "x".
func documentedCalls(t *testing.T, doc []byte) [][2]string {
	t.Helper()
	var d struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	param := regexp.MustCompile(`\{[^}]+\}`)
	var out [][2]string
	for p, ops := range d.Paths {
		for m := range ops {
			switch m {
			case "get", "post", "put", "delete", "patch":
				out = append(out, [2]string{strings.ToUpper(m), param.ReplaceAllString(p, "x")})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i][1]+out[i][0] < out[j][1]+out[j][0] })
	return out
}

// TestSecurityHeadersOnEveryAnswer calls every documented operation of
// both APIs (and of the mobile utility administration) (unauthenticated and, on the private API, authenticated), the
// operational endpoints, unknown paths, wrong methods and a rate-limited
// request, and finds Cache-Control: no-store and
// X-Content-Type-Options: nosniff on every answer.
func TestSecurityHeadersOnEveryAnswer(t *testing.T) {
	c := testConfig(t, RoleAll)
	c.RateLimit = RateLimitConfig{PerIP: -1, PerActivation: 1, PerActivationBurst: 1}
	c.rateLimitNow = newFakeClock().now
	r := start(t, c)
	token, secret := r.credentials(t)
	pub, priv := "http://"+r.PublicAddr().String(), "http://"+r.PrivateAddr().String()
	statuses := map[int]int{}
	check := func(method, url string, edit func(*http.Request)) {
		t.Helper()
		var body io.Reader
		if method != http.MethodGet {
			body = strings.NewReader(`{"requestObject":{}}`)
		}
		req, err := http.NewRequest(method, url, body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if edit != nil {
			edit(req)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, url, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		statuses[resp.StatusCode]++
		if got := resp.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s %s (HTTP %d): Cache-Control %q, want no-store", method, url, resp.StatusCode, got)
		}
		if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s %s (HTTP %d): X-Content-Type-Options %q, want nosniff", method, url, resp.StatusCode, got)
		}
	}
	basic := func(req *http.Request) { req.SetBasicAuth(token, secret) }
	pubCalls, privCalls := documentedCalls(t, openapi.Public), documentedCalls(t, openapi.Private)
	if len(pubCalls) < 20 || len(privCalls) < 60 {
		t.Fatalf("found %d public and %d private operations in the documents", len(pubCalls), len(privCalls))
	}
	for _, call := range pubCalls {
		check(call[0], pub+call[1], nil)
	}
	for _, call := range privCalls {
		check(call[0], priv+call[1], nil)   // 401 without credentials
		check(call[0], priv+call[1], basic) // 200 or 400 with them
	}
	for _, call := range documentedCalls(t, openapi.Cloud) {
		check(call[0], priv+call[1], nil) // 401 without Cloud credentials
	}
	for _, call := range documentedCalls(t, openapi.MobileUtilAdmin) {
		check(call[0], priv+call[1], nil)   // 401 without credentials
		check(call[0], priv+call[1], basic) // 200, 400 or 404 with them
	}
	check(http.MethodGet, priv+openapi.MobileUtilAdminPath, nil)
	for _, base := range []string{pub, priv} {
		check(http.MethodGet, base+LivePath, nil)
		check(http.MethodGet, base+ReadyPath, nil)
		check(http.MethodGet, base+openapi.PublicPath, nil)
		check(http.MethodGet, base+"/no/such/path", nil)
		check(http.MethodPost, base+"/no/such/path", nil)
	}
	check(http.MethodGet, priv+MetricsPath, nil)
	check(http.MethodGet, priv+openapi.PrivatePath, nil)
	check(http.MethodGet, pub+"/pa/v3/activation/status", nil) // wrong method
	check(http.MethodGet, priv+"/rest/v3/status", basic)       // wrong method
	check(http.MethodPut, pub+MetricsPath, nil)
	auth := func(req *http.Request) { req.Header.Set(protocol.HeaderAuthorization, authHeader(actA)) }
	check(http.MethodPost, pub+"/pa/v3/signature/validate", auth)
	check(http.MethodPost, pub+"/pa/v3/signature/validate", auth) // 429
	for _, code := range []int{http.StatusOK, http.StatusBadRequest, http.StatusUnauthorized, http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusTooManyRequests} {
		if statuses[code] == 0 {
			t.Errorf("no HTTP %d answer was checked (answers seen: %v)", code, statuses)
		}
	}
}

// TestSecurityHeadersOnOverload: the 503 of the in-flight limit carries
// the headers too (the middleware is outside every limit).
func TestSecurityHeadersOnOverload(t *testing.T) {
	hold, entered := make(chan struct{}), make(chan struct{})
	h := withSecurityHeaders(limitInFlight(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		entered <- struct{}{}
		<-hold
	}), 1))
	srv := &http.Server{Handler: h}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		if resp, err := http.Get("http://" + ln.Addr().String()); err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	resp, err := http.Get("http://" + ln.Addr().String())
	close(hold)
	<-done
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("HTTP %d with %v", resp.StatusCode, resp.Header)
	}
}

// TestBusyPortCreatesNothing: when a listener cannot bind, New fails
// before creating the data folder, the server key, the database or
// credentials, and names the listener.
func TestBusyPortCreatesNothing(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, which := range []string{"public", "private"} {
		t.Run(which, func(t *testing.T) {
			c := testConfig(t, RoleAll)
			c.DataDir = filepath.Join(c.DataDir, "data")
			if which == "public" {
				c.PublicAddr = busy.Addr().String()
			} else {
				c.PrivateAddr = busy.Addr().String()
			}
			_, err := New(context.Background(), c)
			if err == nil || !strings.Contains(err.Error(), which+" listener") || !strings.Contains(err.Error(), "address already in use") {
				t.Fatalf("New: %v; want the %s listener's bind error", err, which)
			}
			if _, err := os.Stat(c.DataDir); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("the failed start created the data folder (%v)", err)
			}
		})
	}
	// The other listener was released: binding both again works.
	c := testConfig(t, RoleAll)
	a, err := New(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
}

// TestNoAuthNeedsLoopbackPrivateAddr: the private API without
// authentication may only listen on a loopback address.
func TestNoAuthNeedsLoopbackPrivateAddr(t *testing.T) {
	for _, addr := range []string{":8081", "0.0.0.0:8081", "[::]:8081", "10.1.2.3:8081", "example.com:8081"} {
		c := testConfig(t, RoleAll)
		c.RestrictAccess = false
		c.PrivateAddr = addr
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("no auth on %s: Validate: %v", addr, err)
		}
	}
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0", "localhost:0", "127.0.0.2:8081"} {
		c := testConfig(t, RoleCore)
		c.RestrictAccess = false
		c.PrivateAddr = addr
		if err := c.Validate(); err != nil {
			t.Errorf("no auth on %s: %v", addr, err)
		}
	}
	c := testConfig(t, RoleAll)
	c.PrivateAddr = "0.0.0.0:0" // with authentication any address is allowed
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}
