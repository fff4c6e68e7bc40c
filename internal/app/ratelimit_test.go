package app

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mauth/mauth/protocol"
)

// authHeader is a well-formed signature header of activation id.
func authHeader(id string) string {
	b16 := base64.StdEncoding.EncodeToString(make([]byte, 16))
	return protocol.AuthorizationHeader{Version: "3.1", ActivationID: id, ApplicationKey: b16, Nonce: b16,
		SignatureType: protocol.SignaturePossession, Signature: b16}.String()
}

// fakeClock is a settable time source.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newFakeClock() *fakeClock               { return &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

const (
	actA = "3b1c1b5e-4c3a-4f0e-9a55-2f7d3c1e0a01"
	actB = "3b1c1b5e-4c3a-4f0e-9a55-2f7d3c1e0a02"
)

func TestRateLimit(t *testing.T) {
	tokA := protocol.NewTokenHeader("d6f0c1a2-7b3e-4c5d-8e9f-0a1b2c3d4e5f", make([]byte, 16), "3.1", 1767225600000).String()
	tokB := protocol.NewTokenHeader("d6f0c1a2-7b3e-4c5d-8e9f-0a1b2c3d4e60", make([]byte, 16), "3.1", 1767225600000).String()
	type req struct {
		remote, auth, token string
		want                int
	}
	tests := []struct {
		name string
		cfg  RateLimitConfig
		reqs []req
	}{
		{
			name: "per IP: third request of an address refused, other addresses unaffected",
			cfg:  RateLimitConfig{PerIP: 1, PerIPBurst: 2, PerActivation: -1},
			reqs: []req{
				{remote: "192.0.2.1:1000", want: 200},
				{remote: "192.0.2.1:1001", want: 200},
				{remote: "192.0.2.1:1002", want: 429},
				{remote: "192.0.2.2:1000", want: 200},
				{remote: "[::ffff:192.0.2.1]:5", want: 429}, // IPv4-mapped is the same client
			},
		},
		{
			name: "per IP: IPv6 keyed by /64",
			cfg:  RateLimitConfig{PerIP: 1, PerIPBurst: 1, PerActivation: -1},
			reqs: []req{
				{remote: "[2001:db8:1:2::1]:1", want: 200},
				{remote: "[2001:db8:1:2::ffff]:1", want: 429},
				{remote: "[2001:db8:1:3::1]:1", want: 200},
			},
		},
		{
			name: "per IP: loopback peers are limited like any other",
			cfg:  RateLimitConfig{PerIP: 1, PerIPBurst: 1, PerActivation: -1},
			reqs: []req{
				{remote: "127.0.0.1:1", want: 200},
				{remote: "127.0.0.1:2", want: 429},
				{remote: "[::1]:3", want: 200},
				{remote: "[::1]:4", want: 429},
			},
		},
		{
			name: "per activation: signature and token headers, other activations unaffected",
			cfg:  RateLimitConfig{PerIP: -1, PerActivation: 1, PerActivationBurst: 2},
			reqs: []req{
				{remote: "192.0.2.1:1", auth: authHeader(actA), want: 200},
				{remote: "192.0.2.2:1", auth: authHeader(strings.ToUpper(actA)), want: 200},
				{remote: "192.0.2.3:1", auth: authHeader(actA), want: 429}, // another IP, same activation
				{remote: "192.0.2.1:1", auth: authHeader(actB), want: 200},
				{remote: "192.0.2.1:1", want: 200}, // no header: not keyed
				{remote: "192.0.2.1:1", auth: "garbage", want: 200},
				{remote: "192.0.2.1:1", token: tokA, want: 200},
				{remote: "192.0.2.1:1", token: tokA, want: 200},
				{remote: "192.0.2.1:1", token: tokA, want: 429},
				{remote: "192.0.2.1:1", token: tokB, want: 200},
			},
		},
		{
			name: "both off",
			cfg:  RateLimitConfig{PerIP: -1, PerActivation: -1},
			reqs: []req{{remote: "192.0.2.1:1", want: 200}, {remote: "192.0.2.1:1", want: 200}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var served atomic.Int64
			next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { served.Add(1) })
			rl := newRateLimiter(tt.cfg, ProxyConfig{})
			if rl != nil {
				rl.now = newFakeClock().now
			}
			h := rl.wrap(next)
			var ok int64
			for i, q := range tt.reqs {
				r := httptest.NewRequest(http.MethodPost, "/pa/v3/signature/validate", nil)
				r.RemoteAddr = q.remote
				if q.auth != "" {
					r.Header.Set(protocol.HeaderAuthorization, q.auth)
				}
				if q.token != "" {
					r.Header.Set(protocol.HeaderToken, q.token)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, r)
				if rec.Code != q.want {
					t.Fatalf("request %d: HTTP %d, want %d", i, rec.Code, q.want)
				}
				if q.want == http.StatusTooManyRequests {
					if ra := rec.Header().Get("Retry-After"); ra != "1" {
						t.Fatalf("request %d: Retry-After %q, want 1", i, ra)
					}
					if !strings.Contains(rec.Body.String(), `"status":"ERROR"`) {
						t.Fatalf("request %d: body %s", i, rec.Body)
					}
				} else {
					ok++
				}
			}
			if served.Load() != ok {
				t.Fatalf("the handler ran %d times for %d accepted requests (refused ones must not reach it)", served.Load(), ok)
			}
		})
	}
}

func TestRateLimitRetryAfterAndRefill(t *testing.T) {
	clock := newFakeClock()
	k := newKeyedLimiter(1.0/4, 1) // one request every 4 seconds
	if ok, _ := k.allow("x", clock.now()); !ok {
		t.Fatal("first request refused")
	}
	clock.advance(time.Second)
	ok, wait := k.allow("x", clock.now())
	if ok || wait != 3*time.Second {
		t.Fatalf("second request: ok %v, wait %v; want refused, 3s", ok, wait)
	}
	rec := httptest.NewRecorder()
	tooManyRequests(rec, 2500*time.Millisecond)
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "3" {
		t.Fatalf("answer %d, Retry-After %q; want 429, 3 (rounded up)", rec.Code, rec.Header().Get("Retry-After"))
	}
	clock.advance(3 * time.Second)
	if ok, _ := k.allow("x", clock.now()); !ok {
		t.Fatal("request after the announced wait refused")
	}
}

func TestRateLimitEvictsIdleKeys(t *testing.T) {
	clock := newFakeClock()
	k := newKeyedLimiter(10, 20) // a bucket refills in 2 s
	for i := range 100 {
		k.allow("ip-"+string(rune('a'+i%26))+string(rune('a'+i/26)), clock.now())
	}
	if n := k.size(); n != 100 {
		t.Fatalf("tracked %d keys, want 100", n)
	}
	clock.advance(rateLimitSweepEvery)
	k.allow("fresh", clock.now())
	if n := k.size(); n != 1 {
		t.Fatalf("after the idle sweep %d keys remain, want 1", n)
	}
}

func TestRateLimitBoundedKeys(t *testing.T) {
	clock := newFakeClock()
	k := newKeyedLimiter(1, 1)
	for i := range rateLimitMaxKeys + 10 {
		k.allow("k"+strconv.Itoa(i), clock.now())
	}
	if n := k.size(); n > rateLimitMaxKeys {
		t.Fatalf("tracked %d keys, bound is %d", n, rateLimitMaxKeys)
	}
}

// TestRateLimitWired checks the limiter guards the public API of a running app.
func TestRateLimitWired(t *testing.T) {
	c := testConfig(t, RoleAll)
	c.RateLimit = RateLimitConfig{PerIP: -1, PerActivation: 1, PerActivationBurst: 2}
	r := start(t, c)
	url := "http://" + r.PublicAddr().String() + "/pa/v3/signature/validate"
	call := func(id string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(`{}`))
		req.Header.Set(protocol.HeaderAuthorization, authHeader(id))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	for i := range 2 {
		if resp := call(actA); resp.StatusCode == http.StatusTooManyRequests {
			t.Fatalf("request %d within the burst refused", i)
		}
	}
	// Above the burst a refusal comes (the real clock refills one token a
	// second, so allow a few requests before it).
	var refused *http.Response
	for range 20 {
		if resp := call(actA); resp.StatusCode == http.StatusTooManyRequests {
			refused = resp
			break
		}
	}
	if refused == nil || refused.Header.Get("Retry-After") == "" {
		t.Fatal("no 429 with Retry-After above the per-activation limit")
	}
	if resp := call(actB); resp.StatusCode == http.StatusTooManyRequests {
		t.Fatal("another activation was refused")
	}
	// The private API is not rate limited.
	for range 5 {
		if _, err := r.admin(t).SystemStatus(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
}
