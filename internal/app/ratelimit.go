package app

import (
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/mauth/mauth/protocol"
)

// Default public API rate limits (requests per second and burst), used
// when the matching RateLimitConfig field is 0. They are generous: they
// stop floods, not the traffic of real devices or of many devices behind
// one carrier NAT.
const (
	DefaultRateLimitPerIP              = 500
	DefaultRateLimitPerIPBurst         = 1000
	DefaultRateLimitPerActivation      = 50
	DefaultRateLimitPerActivationBurst = 100
)

// rateLimitMaxKeys bounds the keys one limiter tracks; beyond it (after
// evicting idle keys) new keys are served untracked rather than growing
// memory without bound.
const rateLimitMaxKeys = 100_000

// rateLimitSweepEvery is how often idle keys are evicted.
const rateLimitSweepEvery = time.Minute

// maxLimitHeader is the longest authorization or token header parsed for
// the per-activation key; longer ones are left to the handlers to refuse.
const maxLimitHeader = 2048

// rateLimitedBody is the PowerAuth-style error answer of a rate-limited request.
const rateLimitedBody = `{"status":"ERROR","responseObject":{"code":"ERROR_GENERIC","message":"Too many requests, retry later."}}`

// RateLimitConfig limits the public API's request rate per client IP
// address and per activation. Each rate is in requests per second with a
// burst; 0 selects the package default and a negative value disables that
// limit.
type RateLimitConfig struct {
	// PerIP is the sustained rate per client IP address (IPv6: per /64).
	// Loopback peers (a local reverse proxy, local tooling) are exempt.
	PerIP int
	// PerIPBurst is the burst per client IP address (0: DefaultRateLimitPerIPBurst).
	PerIPBurst int
	// PerActivation is the sustained rate per activation id (signed
	// requests) or token id (token-authenticated requests).
	PerActivation int
	// PerActivationBurst is the burst per activation (0: DefaultRateLimitPerActivationBurst).
	PerActivationBurst int
}

// effective returns the rate and burst of one limit (ok false: disabled).
func effectiveRate(r, burst, defRate, defBurst int) (float64, int, bool) {
	if r < 0 || burst < 0 {
		return 0, 0, false
	}
	if r == 0 {
		r = defRate
	}
	if burst == 0 {
		burst = defBurst
		if burst < r {
			burst = r
		}
	}
	return float64(r), burst, true
}

// keyedLimiter is a token bucket per key with idle keys evicted: a key
// idle long enough for its bucket to refill is indistinguishable from a
// new key, so evicting it changes no decision.
type keyedLimiter struct {
	limit rate.Limit
	burst int
	idle  time.Duration // a bucket is full again after this long

	mu        sync.Mutex
	keys      map[string]*keyedEntry
	lastSweep time.Time
}

// keyedEntry is one key's bucket and when it was last used.
type keyedEntry struct {
	lim  *rate.Limiter
	last time.Time
}

// newKeyedLimiter returns a limiter of r requests per second with burst b.
func newKeyedLimiter(r float64, b int) *keyedLimiter {
	idle := time.Duration(float64(b) / r * float64(time.Second))
	if idle < time.Second {
		idle = time.Second
	}
	return &keyedLimiter{limit: rate.Limit(r), burst: b, idle: idle, keys: make(map[string]*keyedEntry)}
}

// allow takes one token for key at now; when none is left it returns how
// long until one is.
func (k *keyedLimiter) allow(key string, now time.Time) (bool, time.Duration) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if now.Sub(k.lastSweep) >= rateLimitSweepEvery || len(k.keys) >= rateLimitMaxKeys {
		k.sweep(now)
	}
	e := k.keys[key]
	if e == nil {
		if len(k.keys) >= rateLimitMaxKeys {
			return true, 0 // memory bound reached: serve untracked
		}
		e = &keyedEntry{lim: rate.NewLimiter(k.limit, k.burst)}
		k.keys[key] = e
	}
	e.last = now
	res := e.lim.ReserveN(now, 1)
	if !res.OK() {
		return false, time.Second
	}
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}

// sweep evicts keys idle long enough to have refilled; k.mu is held.
func (k *keyedLimiter) sweep(now time.Time) {
	for key, e := range k.keys {
		if now.Sub(e.last) >= k.idle {
			delete(k.keys, key)
		}
	}
	k.lastSweep = now
}

// size returns the number of tracked keys.
func (k *keyedLimiter) size() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.keys)
}

// rateLimiter is the public API's per-IP and per-activation limit.
type rateLimiter struct {
	perIP         *keyedLimiter // nil: disabled
	perActivation *keyedLimiter // nil: disabled
	now           func() time.Time
}

// newRateLimiter builds the limiter of c (nil when both limits are off).
func newRateLimiter(c RateLimitConfig) *rateLimiter {
	rl := &rateLimiter{now: time.Now}
	if r, b, ok := effectiveRate(c.PerIP, c.PerIPBurst, DefaultRateLimitPerIP, DefaultRateLimitPerIPBurst); ok {
		rl.perIP = newKeyedLimiter(r, b)
	}
	if r, b, ok := effectiveRate(c.PerActivation, c.PerActivationBurst, DefaultRateLimitPerActivation, DefaultRateLimitPerActivationBurst); ok {
		rl.perActivation = newKeyedLimiter(r, b)
	}
	if rl.perIP == nil && rl.perActivation == nil {
		return nil
	}
	return rl
}

// wrap answers 429 with Retry-After when the client IP or the activation
// is over its rate, before h does any work.
func (rl *rateLimiter) wrap(h http.Handler) http.Handler {
	if rl == nil || h == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := rl.now()
		if rl.perIP != nil {
			if key, ok := clientIPKey(r.RemoteAddr); ok {
				if ok, wait := rl.perIP.allow(key, now); !ok {
					tooManyRequests(w, wait)
					return
				}
			}
		}
		if rl.perActivation != nil {
			if key := activationKey(r); key != "" {
				if ok, wait := rl.perActivation.allow(key, now); !ok {
					tooManyRequests(w, wait)
					return
				}
			}
		}
		h.ServeHTTP(w, r)
	})
}

// tooManyRequests writes the 429 answer with Retry-After in whole seconds (at least 1).
func tooManyRequests(w http.ResponseWriter, wait time.Duration) {
	secs := int(math.Ceil(wait.Seconds()))
	if secs < 1 {
		secs = 1
	}
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusTooManyRequests)
	_, _ = w.Write([]byte(rateLimitedBody))
}

// clientIPKey returns the per-IP key of a peer address: the address for
// IPv4, its /64 prefix for IPv6 (one subscriber's allocation). Loopback
// peers and unparsable addresses are not limited.
func clientIPKey(remote string) (string, bool) {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return "", false
	}
	ip = ip.Unmap().WithZone("")
	if ip.IsLoopback() {
		return "", false
	}
	if ip.Is6() {
		p, err := ip.Prefix(64)
		if err != nil {
			return "", false
		}
		return p.String(), true
	}
	return ip.String(), true
}

// activationKey returns the per-activation key of a request: the
// activation id of its signature header or the token id of its token
// header; "" when it has neither (or they do not parse).
func activationKey(r *http.Request) string {
	if v := r.Header.Get(protocol.HeaderAuthorization); v != "" && len(v) <= maxLimitHeader {
		if h, err := protocol.ParseAuthorizationHeader(v); err == nil {
			return "a:" + strings.ToLower(h.ActivationID)
		}
	}
	if v := r.Header.Get(protocol.HeaderToken); v != "" && len(v) <= maxLimitHeader {
		if h, err := protocol.ParseTokenHeader(v); err == nil {
			return "t:" + h.TokenID
		}
	}
	return ""
}

// rateLimit puts the per-IP and per-activation rate limits in front of the
// public API (outside the in-flight limit, so refused requests take no slot).
func (a *App) rateLimit() {
	a.Public = newRateLimiter(a.cfg.RateLimit).wrap(a.Public)
}
