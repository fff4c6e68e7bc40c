package app

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/api/render"
)

// TestRateLimitBehindTrustedProxy: behind a trusted proxy every client has
// its own per-IP budget, keyed by the address the proxy appended to the
// configured header; entries a client wrote itself (left of the proxy's)
// and the other header are ignored; from an untrusted peer both headers
// are ignored, so sending them evades nothing. Count-based, frozen clock.
func TestRateLimitBehindTrustedProxy(t *testing.T) {
	trusted, err := ParseTrustedProxies("10.0.0.0/8, 192.0.2.200")
	if err != nil {
		t.Fatal(err)
	}
	type req struct {
		remote    string
		xff       []string // X-Forwarded-For lines
		forwarded []string // Forwarded lines
		want      int
	}
	tests := []struct {
		name   string
		header string
		reqs   []req
	}{
		{
			name:   "X-Forwarded-For",
			header: HeaderXForwardedFor,
			reqs: []req{
				{remote: "10.0.0.1:4000", xff: []string{"198.51.100.1"}, want: 200},
				{remote: "10.0.0.1:4001", xff: []string{"198.51.100.1"}, want: 429}, // same client through the proxy
				{remote: "10.0.0.1:4002", xff: []string{"198.51.100.2"}, want: 200}, // another client, same proxy
				{remote: "192.0.2.200:1", xff: []string{"198.51.100.3"}, want: 200}, // a single trusted address
				// A client writes a header of its own; the proxy appends what it saw.
				{remote: "10.0.0.1:4003", xff: []string{"203.0.113.77, 198.51.100.1"}, want: 429},
				{remote: "10.0.0.1:4004", xff: []string{"203.0.113.78", "198.51.100.1"}, want: 429}, // two header lines
				// Two trusted hops: the right-most untrusted address is the client.
				{remote: "10.0.0.1:4005", xff: []string{"198.51.100.4, 10.9.9.9"}, want: 200},
				{remote: "10.0.0.2:4006", xff: []string{"198.51.100.4"}, want: 429},
				{remote: "10.0.0.1:4007", xff: []string{"198.51.100.5:5555"}, want: 200}, // with a port
				{remote: "10.0.0.1:4008", xff: []string{"198.51.100.5"}, want: 429},
				{remote: "10.0.0.1:4009", xff: []string{"2001:db8:1:2::1"}, want: 200}, // IPv6: per /64
				{remote: "10.0.0.1:4010", xff: []string{"[2001:db8:1:2::9]:80"}, want: 429},
				// The Forwarded header is not the configured one: ignored.
				{remote: "10.0.0.1:4011", xff: []string{"198.51.100.1"}, forwarded: []string{"for=198.51.100.99"}, want: 429},
				// No header, or garbage where the proxy's entry should be: the proxy itself is the client.
				{remote: "10.0.0.3:1", want: 200},
				{remote: "10.0.0.3:2", xff: []string{"not-an-address"}, want: 429},
				{remote: "10.0.0.4:1", xff: []string{"198.51.100.60, garbage"}, want: 200},
				{remote: "10.0.0.4:2", want: 429},
				// An untrusted peer: its headers are ignored, whatever they claim.
				{remote: "203.0.113.9:1", xff: []string{"198.51.100.50"}, want: 200},
				{remote: "203.0.113.9:2", xff: []string{"198.51.100.51"}, want: 429},
				{remote: "203.0.113.9:3", forwarded: []string{"for=198.51.100.52"}, want: 429},
				{remote: "203.0.113.9:4", xff: []string{"10.0.0.1"}, want: 429},
			},
		},
		{
			name:   "Forwarded",
			header: HeaderForwarded,
			reqs: []req{
				{remote: "10.0.0.1:4000", forwarded: []string{"for=198.51.100.1;proto=https"}, want: 200},
				{remote: "10.0.0.1:4001", forwarded: []string{"For=198.51.100.1"}, want: 429},
				{remote: "10.0.0.1:4002", forwarded: []string{`for="198.51.100.2:4711";by=10.0.0.1`}, want: 200},
				{remote: "10.0.0.1:4003", forwarded: []string{`for="[2001:db8:cafe::17]:4711"`}, want: 200},
				{remote: "10.0.0.1:4004", forwarded: []string{`for="[2001:db8:cafe::18]"`}, want: 429}, // same /64
				// Client-written elements left of the proxy's are ignored.
				{remote: "10.0.0.1:4005", forwarded: []string{"for=203.0.113.77, for=198.51.100.1"}, want: 429},
				{remote: "10.0.0.1:4006", forwarded: []string{`for=203.0.113.78;host="a,b"`, "for=198.51.100.2"}, want: 429},
				{remote: "10.0.0.1:4007", forwarded: []string{"for=198.51.100.3, for=10.1.1.1"}, want: 200},
				{remote: "10.0.0.1:4008", forwarded: []string{"for=198.51.100.3"}, want: 429},
				// X-Forwarded-For is not the configured header: ignored.
				{remote: "10.0.0.1:4009", forwarded: []string{"for=198.51.100.1"}, xff: []string{"198.51.100.200"}, want: 429},
				// Unknown or obfuscated nodes: the last trusted hop is the client.
				{remote: "10.0.0.5:1", forwarded: []string{"for=unknown"}, want: 200},
				{remote: "10.0.0.5:2", forwarded: []string{"for=_hidden"}, want: 429},
				{remote: "10.0.0.5:3", forwarded: []string{"proto=https"}, want: 429},
				// An untrusted peer's Forwarded header is ignored.
				{remote: "203.0.113.9:1", forwarded: []string{"for=198.51.100.50"}, want: 200},
				{remote: "203.0.113.9:2", forwarded: []string{"for=198.51.100.51"}, want: 429},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rl := newRateLimiter(RateLimitConfig{PerIP: 1, PerIPBurst: 1, PerActivation: -1}, ProxyConfig{Trusted: trusted, Header: tt.header})
			rl.now = newFakeClock().now
			h := rl.wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
			for i, q := range tt.reqs {
				r := httptest.NewRequest(http.MethodPost, "/pa/v3/status", nil)
				r.RemoteAddr = q.remote
				for _, v := range q.xff {
					r.Header.Add("X-Forwarded-For", v)
				}
				for _, v := range q.forwarded {
					r.Header.Add("Forwarded", v)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, r)
				if rec.Code != q.want {
					t.Fatalf("request %d (%s, X-Forwarded-For %q, Forwarded %q): HTTP %d, want %d", i, q.remote, q.xff, q.forwarded, rec.Code, q.want)
				}
			}
		})
	}
}

func TestParseTrustedProxies(t *testing.T) {
	got, err := ParseTrustedProxies(" 10.0.0.0/8,192.0.2.7 ::1  2001:db8::/32, ::ffff:198.51.100.0/120")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.0.0.0/8", "192.0.2.7/32", "::1/128", "2001:db8::/32", "198.51.100.0/24"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "proxy.local", "10.0.0.1/8/2"} {
		if _, err := ParseTrustedProxies(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if err := (ProxyConfig{Header: "X-Real-IP"}).Validate(); err == nil {
		t.Error("an unsupported client address header was accepted")
	}
}

// TestKeyedLimiterFullTable: once the table is full of active keys, new
// keys share one overflow bucket (limited, never unlimited) and the
// tracked keys keep their own budgets; idle keys make room again.
func TestKeyedLimiterFullTable(t *testing.T) {
	clock := newFakeClock()
	k := newKeyedLimiterSize(1, 2, 1, 3) // one shard of 3 keys, 2 requests each
	allow := func(key string) bool {
		ok, _ := k.allow(key, clock.now())
		return ok
	}
	for _, key := range []string{"a", "b", "c"} {
		if !allow(key) {
			t.Fatalf("first request of %s refused", key)
		}
	}
	// The table is full and every key is active: new keys share the
	// overflow bucket of 2 requests.
	var admitted int
	for i := range 100 {
		if allow("new-" + strconv.Itoa(i)) {
			admitted++
		}
	}
	if admitted != 2 {
		t.Fatalf("%d of 100 requests of new keys admitted while the table is full, want 2 (the overflow bucket)", admitted)
	}
	if n := k.size(); n != 3 {
		t.Fatalf("tracked %d keys, want 3", n)
	}
	// Tracked keys keep their own budgets: one request left each.
	if !allow("a") || allow("a") {
		t.Fatal("key a: want one more request admitted, then refused")
	}
	// After a bucket refill time the oldest idle key makes room for a new one.
	clock.advance(2 * time.Second)
	if !allow("d") || !allow("d") || allow("d") {
		t.Fatal("key d: want its own bucket of 2 once an idle key is dropped")
	}
	if n := k.size(); n != 3 {
		t.Fatalf("tracked %d keys, want 3", n)
	}
}

// TestKeyedLimiterDropsOnlyIdleKeys: a full table drops the least
// recently used key only when it is idle, one per new key (no scan).
func TestKeyedLimiterDropsOnlyIdleKeys(t *testing.T) {
	clock := newFakeClock()
	k := newKeyedLimiterSize(1, 1, 1, 2) // refills in 1 s
	k.allow("old", clock.now())
	clock.advance(500 * time.Millisecond)
	k.allow("recent", clock.now())
	clock.advance(600 * time.Millisecond) // "old" idle 1.1 s, "recent" 0.6 s
	if ok, _ := k.allow("new", clock.now()); !ok {
		t.Fatal("a new key was refused although an idle key could be dropped")
	}
	if ok, _ := k.allow("recent", clock.now()); ok {
		t.Fatal("the active key lost its state (its bucket is empty)")
	}
	// Now both tracked keys are active: further keys share the overflow
	// bucket (one request) instead of getting buckets of their own.
	if ok, _ := k.allow("x", clock.now()); !ok {
		t.Fatal("the overflow bucket refused its first request")
	}
	if ok, _ := k.allow("old", clock.now()); ok {
		t.Fatal("a third key got its own bucket in a full table of active keys")
	}
	if n := k.size(); n != 2 {
		t.Fatalf("tracked %d keys, want 2", n)
	}
}

// TestTrustedProxyThroughApp runs the app behind a "proxy" on loopback:
// with the proxy trusted, clients named in X-Forwarded-For get their own
// budgets and the access log names them; without it, the header is
// ignored and every request shares the loopback peer's budget.
func TestTrustedProxyThroughApp(t *testing.T) {
	clock := newFakeClock()
	send := func(t *testing.T, r *running, xff string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, "http://"+r.PublicAddr().String()+"/pa/v3/status", strings.NewReader(`{"requestObject":{}}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", xff)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	t.Run("trusted", func(t *testing.T) {
		logs := &syncBuffer{}
		c := testConfig(t, RoleAll)
		c.Logger = slog.New(render.LogHandler(slog.NewJSONHandler(logs, nil)))
		c.RateLimit = RateLimitConfig{PerIP: 1, PerIPBurst: 2, PerActivation: -1}
		c.Proxies = ProxyConfig{Trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
		c.rateLimitNow = clock.now
		r := start(t, c)
		for i, want := range []int{200, 200, 429} {
			if got := send(t, r, "198.51.100.1"); got != want {
				t.Fatalf("client 1 request %d: HTTP %d, want %d", i, got, want)
			}
		}
		if got := send(t, r, "203.0.113.5, 198.51.100.1"); got != 429 {
			t.Fatalf("a spoofed left-most entry evaded the limit: HTTP %d", got)
		}
		if got := send(t, r, "198.51.100.2"); got != 200 {
			t.Fatalf("client 2 shares client 1's budget: HTTP %d", got)
		}
		if !strings.Contains(logs.String(), `"client":"198.51.100.2"`) {
			t.Fatalf("the access log does not name the forwarded client:\n%s", logs)
		}
	})
	t.Run("untrusted", func(t *testing.T) {
		c := testConfig(t, RoleAll)
		c.RateLimit = RateLimitConfig{PerIP: 1, PerIPBurst: 2, PerActivation: -1}
		c.rateLimitNow = clock.now
		r := start(t, c)
		for i, want := range []int{200, 200, 429, 429} {
			if got := send(t, r, "198.51.100."+strconv.Itoa(10+i)); got != want {
				t.Fatalf("request %d with a fresh X-Forwarded-For: HTTP %d, want %d (the header must be ignored)", i, got, want)
			}
		}
	})
}

// TestRateLimitStartWarnings: the log warns when per-IP limiting cannot
// tell clients apart.
func TestRateLimitStartWarnings(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		want string // "" : no warning
	}{
		{"loopback public listener without trusted proxies", func(c *Config) {}, "no trusted proxy is configured"},
		{"per-IP limit off", func(c *Config) { c.RateLimit.PerIP = -1 }, "no per-IP rate limit"},
		{"trusted proxy configured", func(c *Config) {
			c.Proxies.Trusted = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
		}, ""},
		{"trust everybody", func(c *Config) {
			c.Proxies.Trusted = []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")}
		}, "trusts every address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			c := testConfig(t, RoleAll)
			c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			tt.edit(&c)
			a, err := New(t.Context(), c)
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			switch {
			case tt.want == "" && strings.Contains(logs.String(), "level=WARN"):
				t.Fatalf("unexpected warning:\n%s", logs.String())
			case tt.want != "" && !strings.Contains(logs.String(), tt.want):
				t.Fatalf("no warning %q:\n%s", tt.want, logs.String())
			}
		})
	}
}
