package app

import (
	"container/list"
	"hash/maphash"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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

// rateLimitMaxKeys bounds the keys one limiter tracks. When a shard of
// the table is full and its least recently used key is still active (its
// bucket not yet refilled), new keys of that shard share the shard's
// overflow bucket: limited together, never unlimited.
const rateLimitMaxKeys = 100_000

// rateLimitShards is the number of independently locked parts of a
// limiter's table: concurrent requests of different keys rarely wait for
// each other.
const rateLimitShards = 64

// rateLimitSweepEvery is how often every shard drops its idle keys (each
// shard under its own lock, oldest first, stopping at the first active
// key: the work is proportional to the keys dropped, never a scan of the
// table).
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
	// The client is the TCP peer, or behind a trusted proxy the address
	// it forwards (Config.Proxies); loopback peers are not exempt.
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

// keyedLimiter is a token bucket per key in a bounded, sharded table.
// Each shard keeps its keys in least-recently-used order and drops idle
// ones from the old end: a key idle long enough for its bucket to refill
// is indistinguishable from a new key, so dropping it changes no decision.
// A full shard whose oldest key is still active sends new keys to its
// overflow bucket, shared by all of them.
type keyedLimiter struct {
	limit rate.Limit
	burst int
	idle  time.Duration // a bucket is full again after this long

	seed      maphash.Seed
	shards    []keyShard
	lastSweep atomic.Int64 // unix nanoseconds of the last sweep
}

// keyShard is one independently locked part of a keyedLimiter.
type keyShard struct {
	mu       sync.Mutex
	keys     map[string]*list.Element // of *keyedEntry
	lru      list.List                // front: most recently used
	max      int
	overflow *rate.Limiter // shared by new keys while the shard is full
}

// keyedEntry is one key's bucket and when it was last used.
type keyedEntry struct {
	key  string
	lim  *rate.Limiter
	last time.Time
}

// newKeyedLimiter returns a limiter of r requests per second with burst b
// tracking at most rateLimitMaxKeys keys.
func newKeyedLimiter(r float64, b int) *keyedLimiter {
	return newKeyedLimiterSize(r, b, rateLimitShards, rateLimitMaxKeys)
}

// newKeyedLimiterSize is newKeyedLimiter with n shards tracking at most
// maxKeys keys together.
func newKeyedLimiterSize(r float64, b, n, maxKeys int) *keyedLimiter {
	idle := time.Duration(float64(b) / r * float64(time.Second))
	if idle < time.Second {
		idle = time.Second
	}
	k := &keyedLimiter{limit: rate.Limit(r), burst: b, idle: idle, seed: maphash.MakeSeed(), shards: make([]keyShard, n)}
	for i := range k.shards {
		k.shards[i] = keyShard{keys: make(map[string]*list.Element), max: max(1, maxKeys/n), overflow: rate.NewLimiter(k.limit, k.burst)}
	}
	return k
}

// allow takes one token for key at now; when none is left it returns how
// long until one is.
func (k *keyedLimiter) allow(key string, now time.Time) (bool, time.Duration) {
	if last := k.lastSweep.Load(); now.UnixNano()-last >= int64(rateLimitSweepEvery) && k.lastSweep.CompareAndSwap(last, now.UnixNano()) {
		k.sweep(now)
	}
	s := &k.shards[maphash.String(k.seed, key)%uint64(len(k.shards))]
	s.mu.Lock()
	defer s.mu.Unlock()
	var lim *rate.Limiter
	if el := s.keys[key]; el != nil {
		e := el.Value.(*keyedEntry)
		e.last = now
		s.lru.MoveToFront(el)
		lim = e.lim
	} else {
		if len(s.keys) >= s.max {
			s.dropIdle(now, k.idle, 1)
		}
		if len(s.keys) >= s.max {
			lim = s.overflow // every key of the shard is active: share one bucket
		} else {
			e := &keyedEntry{key: key, lim: rate.NewLimiter(k.limit, k.burst), last: now}
			s.keys[key] = s.lru.PushFront(e)
			lim = e.lim
		}
	}
	res := lim.ReserveN(now, 1)
	if !res.OK() {
		return false, time.Second
	}
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}

// dropIdle removes up to n keys (n < 0: all) idle for at least idle, oldest
// first; s.mu is held.
func (s *keyShard) dropIdle(now time.Time, idle time.Duration, n int) {
	for n != 0 {
		el := s.lru.Back()
		if el == nil {
			return
		}
		e := el.Value.(*keyedEntry)
		if now.Sub(e.last) < idle {
			return
		}
		s.lru.Remove(el)
		delete(s.keys, e.key)
		n--
	}
}

// sweep drops the idle keys of every shard, one shard lock at a time.
func (k *keyedLimiter) sweep(now time.Time) {
	for i := range k.shards {
		s := &k.shards[i]
		s.mu.Lock()
		s.dropIdle(now, k.idle, -1)
		s.mu.Unlock()
	}
}

// size returns the number of tracked keys.
func (k *keyedLimiter) size() int {
	n := 0
	for i := range k.shards {
		s := &k.shards[i]
		s.mu.Lock()
		n += len(s.keys)
		s.mu.Unlock()
	}
	return n
}

// rateLimiter is the public API's per-IP and per-activation limit.
type rateLimiter struct {
	perIP         *keyedLimiter // nil: disabled
	perActivation *keyedLimiter // nil: disabled
	clients       *clientResolver
	now           func() time.Time
}

// newRateLimiter builds the limiter of c, keying clients as p resolves
// them (nil when both limits are off).
func newRateLimiter(c RateLimitConfig, p ProxyConfig) *rateLimiter {
	rl := &rateLimiter{now: time.Now, clients: newClientResolver(p)}
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
			if a, ok := rl.clients.resolve(r); ok {
				if ok, wait := rl.perIP.allow(clientIPKey(a), now); !ok {
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

// clientIPKey returns the per-IP key of a client address: the address
// for IPv4, its /64 prefix for IPv6 (one subscriber's allocation).
func clientIPKey(a netip.Addr) string {
	if a.Is6() {
		if p, err := a.Prefix(64); err == nil {
			return p.String()
		}
	}
	return a.String()
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
	rl := newRateLimiter(a.cfg.RateLimit, a.cfg.Proxies)
	if rl != nil && a.cfg.rateLimitNow != nil {
		rl.now = a.cfg.rateLimitNow
	}
	a.Public = rl.wrap(a.Public)
}
