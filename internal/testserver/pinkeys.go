package testserver

import (
	"container/list"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"sync"

	"github.com/mauth/mauth/client"
)

// DefaultPINKeyCacheSize is the number of simulated devices whose PIN key
// a Server keeps in memory unless Options.PINKeyCacheSize says otherwise.
const DefaultPINKeyCacheSize = 4096

// pinKeyCache keeps the PIN key (the PBKDF2 output that wraps the
// knowledge key) of recently used simulated devices in memory, so that
// repeated knowledge-factor signatures with the same PIN derive it once,
// as a phone asks for the PIN but not for PBKDF2 on the server's time.
//
// An entry is keyed by the activation id and holds an HMAC of the PIN
// under a per-process random key (never the PIN) and an HMAC of the
// wrapping state (salt and wrapped knowledge key): a different PIN or a
// changed wrapping drops the entry and derives afresh, so a cached key
// never stands in for another PIN. Entries live in memory only, at most
// size of them (least recently used evicted first), and their key bytes
// are zeroed when they are dropped or evicted; callers get copies.
type pinKeyCache struct {
	derive func(pin string, salt []byte) ([]byte, error)
	size   int
	mac    []byte // HMAC key of the PIN and state digests

	mu      sync.Mutex
	entries map[string]*list.Element // activation id → element of lru
	lru     *list.List               // of *pinKeyEntry, most recent first
	stats   PINKeyStats
}

// pinKeyEntry is one cached PIN key.
type pinKeyEntry struct {
	activationID string
	pinMAC       []byte
	stateMAC     []byte
	key          []byte
}

// PINKeyStats counts the PIN key lookups of a Server.
type PINKeyStats struct {
	// Derivations is the number of PIN keys derived (PBKDF2 runs).
	Derivations uint64
	// Hits is the number of lookups answered from memory.
	Hits uint64
}

// newPINKeyCache returns a cache of size entries (0 or less: no caching)
// over derive.
func newPINKeyCache(size int, derive func(pin string, salt []byte) ([]byte, error)) *pinKeyCache {
	mac := make([]byte, 32)
	_, _ = rand.Read(mac) // crypto/rand.Read never fails
	return &pinKeyCache{derive: derive, size: size, mac: mac, entries: map[string]*list.Element{}, lru: list.New()}
}

// digest is the keyed hash of the parts (each length-prefixed).
func (c *pinKeyCache) digest(parts ...[]byte) []byte {
	h := hmac.New(sha256.New, c.mac)
	for _, p := range parts {
		n := len(p)
		h.Write([]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
		h.Write(p)
	}
	return h.Sum(nil)
}

// key returns the PIN key of d for pin (client.Config.PINKey).
func (c *pinKeyCache) key(d *client.Device, pin string) ([]byte, error) {
	pinMAC := c.digest([]byte(pin))
	stateMAC := c.digest(d.PINSalt, d.WrappedKnowledgeKey)
	if c.size > 0 {
		c.mu.Lock()
		if el, ok := c.entries[d.ActivationID]; ok {
			e := el.Value.(*pinKeyEntry)
			if hmac.Equal(e.pinMAC, pinMAC) && hmac.Equal(e.stateMAC, stateMAC) {
				c.lru.MoveToFront(el)
				c.stats.Hits++
				k := append([]byte(nil), e.key...)
				c.mu.Unlock()
				return k, nil
			}
			c.removeLocked(el) // another PIN or a re-wrapped key
		}
		c.mu.Unlock()
	}
	k, err := c.derive(pin, d.PINSalt)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stats.Derivations++
	if err != nil || c.size <= 0 {
		return k, err
	}
	if el, ok := c.entries[d.ActivationID]; ok {
		c.removeLocked(el) // derived concurrently by another process's use
	}
	c.entries[d.ActivationID] = c.lru.PushFront(&pinKeyEntry{activationID: d.ActivationID, pinMAC: pinMAC, stateMAC: stateMAC, key: append([]byte(nil), k...)})
	for c.lru.Len() > c.size {
		c.removeLocked(c.lru.Back())
	}
	return k, nil
}

// forget drops the entry of an activation (if any).
func (c *pinKeyCache) forget(activationID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[activationID]; ok {
		c.removeLocked(el)
	}
}

// removeLocked drops an entry and zeroes its key; c.mu is held.
func (c *pinKeyCache) removeLocked(el *list.Element) {
	e := c.lru.Remove(el).(*pinKeyEntry)
	delete(c.entries, e.activationID)
	clear(e.key)
}

// len is the number of cached keys.
func (c *pinKeyCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// snapshot returns the counters.
func (c *pinKeyCache) snapshot() PINKeyStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}
