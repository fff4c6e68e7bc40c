package cloud

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"sync"
	"time"
)

// authCache remembers recently verified passwords so that a backend
// sending the same HTTP Basic credentials on every call pays the Argon2id
// hash once a minute, not on every request. It keeps, per user, an
// HMAC-SHA256 of the password under a random per-process key (never the
// password), the stored hash it was verified against, and an expiry. A
// hit needs the same password, the same stored hash (a changed password
// or a recreated user misses) and an unexpired entry; the caller still
// loads the user and checks that it is enabled. Wrong passwords never
// enter it, so it does not weaken the rate limit.
type authCache struct {
	mu  sync.Mutex
	key [32]byte
	ttl time.Duration
	m   map[string]authEntry
}

type authEntry struct {
	mac   []byte
	hash  string
	until time.Time
}

// maxCachedLogins bounds the cache; past it, the cache starts over.
const maxCachedLogins = 10_000

// authCacheTTL is how long a verified password is remembered.
const authCacheTTL = time.Minute

func newAuthCache(ttl time.Duration) *authCache {
	c := &authCache{ttl: ttl, m: map[string]authEntry{}}
	_, _ = rand.Read(c.key[:]) // crypto/rand.Read never fails
	return c
}

func (c *authCache) mac(username, password string) []byte {
	h := hmac.New(sha256.New, c.key[:])
	h.Write([]byte(username))
	h.Write([]byte{0})
	h.Write([]byte(password))
	return h.Sum(nil)
}

// hit reports whether password was verified against hash recently.
func (c *authCache) hit(username, password, hash string, now time.Time) bool {
	c.mu.Lock()
	e, ok := c.m[username]
	c.mu.Unlock()
	if !ok || e.hash != hash || !now.Before(e.until) {
		return false
	}
	return hmac.Equal(e.mac, c.mac(username, password))
}

// remember records a verified password.
func (c *authCache) remember(username, password, hash string, now time.Time) {
	mac := c.mac(username, password)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxCachedLogins {
		c.m = map[string]authEntry{}
	}
	c.m[username] = authEntry{mac: mac, hash: hash, until: now.Add(c.ttl)}
}
