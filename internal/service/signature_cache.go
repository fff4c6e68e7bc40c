package service

import (
	"bytes"
	"container/list"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/protocol"
)

// This file holds the two in-memory caches of signature verification's
// pre-reads (see preDeriveKeys): derived activation keys (a bounded LRU
// cache) and application and application-version rows (a short TTL). Both
// are per node and only ever save work done before the write transaction:
// what the transaction decides is checked against the locked activation.
//
// Cached application rows are coherent across nodes: each carries the
// application's revision (domain.Application.Revision), which the store
// increments in the transaction of every change of the application, its
// versions, roles, protocol settings or configuration, and which every
// activation read of verification returns in the same statement
// (domain.Activation.ApplicationRevision). A cached row is used only when
// its stamp equals the activation's, so a change committed through any
// node applies to every verification that reads the activation afterwards.

// cachedKeys is what verification needs to reuse an activation's derived
// keys: the key material they were derived from (derivedKeys.keysFor
// compares it with the locked row), the keys and the application id (an
// activation never changes application). It is never modified once cached.
type cachedKeys struct {
	activationID       string
	applicationID      int64
	serverKeyEncrypted []byte
	devicePublicKey    []byte
	keys               *protocol.ActivationKeys
}

// keyCache is a bounded LRU cache of derived activation keys by activation
// id. A nil *keyCache is a disabled cache. It is safe for concurrent use.
type keyCache struct {
	mu    sync.Mutex
	max   int
	order *list.List // of *cachedKeys, most recently used first
	byID  map[string]*list.Element
}

// newKeyCache returns a cache of at most size entries; nil (disabled) for
// size <= 0.
func newKeyCache(size int) *keyCache {
	if size <= 0 {
		return nil
	}
	return &keyCache{max: size, order: list.New(), byID: make(map[string]*list.Element)}
}

// get returns the entry of an activation and marks it recently used. The
// entry is shared: callers must not modify it.
func (c *keyCache) get(activationID string) (*cachedKeys, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byID[activationID]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*cachedKeys), true
}

// put stores (or replaces) the entry of e.activationID, copying the key
// material, and evicts the least recently used entries beyond the bound.
func (c *keyCache) put(e cachedKeys) {
	if c == nil {
		return
	}
	e.serverKeyEncrypted = bytes.Clone(e.serverKeyEncrypted)
	e.devicePublicKey = bytes.Clone(e.devicePublicKey)
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byID[e.activationID]; ok {
		el.Value = &e
		c.order.MoveToFront(el)
		return
	}
	c.byID[e.activationID] = c.order.PushFront(&e)
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.byID, last.Value.(*cachedKeys).activationID)
	}
}

// drop removes the entry of an activation, if any.
func (c *keyCache) drop(activationID string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byID[activationID]; ok {
		c.order.Remove(el)
		delete(c.byID, activationID)
	}
}

// len returns the number of cached activations.
func (c *keyCache) len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// rowCacheMaxEntries bounds each map of the row cache, which is emptied
// when full. Only rows found in the database are cached, so the maps hold
// at most one entry per application and per version.
const rowCacheMaxEntries = 4096

// cachedRow is a row with the time it stops being used.
type cachedRow[T any] struct {
	row     T
	expires time.Time
}

// rowCache keeps application rows by id and application-version rows by
// application key for a fixed TTL. Invalidation bumps a generation that
// readers capture before they read the database, so a row read before an
// invalidation is never stored after it. A nil *rowCache is a disabled
// cache. It is safe for concurrent use.
type rowCache struct {
	ttl      time.Duration
	mu       sync.Mutex
	gen      uint64
	apps     map[int64]cachedRow[domain.Application]
	versions map[string]cachedRow[stampedVersion]
}

// stampedVersion is an application version with the revision of its
// application read before it (so the version is at least as new as the
// stamp says; an older stamp only makes it miss).
type stampedVersion struct {
	v     domain.ApplicationVersion
	stamp int64
}

// newRowCache returns a cache keeping rows for ttl; nil (disabled) for
// ttl <= 0.
func newRowCache(ttl time.Duration) *rowCache {
	if ttl <= 0 {
		return nil
	}
	return &rowCache{
		ttl:      ttl,
		apps:     make(map[int64]cachedRow[domain.Application]),
		versions: make(map[string]cachedRow[stampedVersion]),
	}
}

// application returns the fresh cached application id; on a miss it
// returns the generation to pass to putApplication.
func (c *rowCache) application(id int64, now time.Time) (domain.Application, uint64, bool) {
	if c == nil {
		return domain.Application{}, 0, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	app, ok := lookupRow(c.apps, id, now)
	app.Roles = slices.Clone(app.Roles)
	return app, c.gen, ok
}

// putApplication caches app, read at now, unless the cache was
// invalidated since generation gen.
func (c *rowCache) putApplication(gen uint64, app domain.Application, now time.Time) {
	if c == nil {
		return
	}
	app.Roles = slices.Clone(app.Roles)
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen == c.gen {
		storeRow(c.apps, app.ID, app, now.Add(c.ttl))
	}
}

// version returns the fresh cached version of applicationKey; on a miss it
// returns the generation to pass to putVersion.
func (c *rowCache) version(applicationKey string, now time.Time) (stampedVersion, uint64, bool) {
	if c == nil {
		return stampedVersion{}, 0, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := lookupRow(c.versions, applicationKey, now)
	return v, c.gen, ok
}

// putVersion caches v, read at now, unless the cache was invalidated
// since generation gen.
func (c *rowCache) putVersion(gen uint64, v stampedVersion, now time.Time) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen == c.gen {
		storeRow(c.versions, v.v.ApplicationKey, v, now.Add(c.ttl))
	}
}

// invalidate empties the cache and makes reads in flight not store their
// rows.
func (c *rowCache) invalidate() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.apps)
	clear(c.versions)
}

// lookupRow returns the row of k when it has not expired at now.
func lookupRow[K comparable, T any](m map[K]cachedRow[T], k K, now time.Time) (T, bool) {
	e, ok := m[k]
	if !ok || !now.Before(e.expires) {
		var zero T
		return zero, false
	}
	return e.row, true
}

// storeRow stores row under k, emptying a full map first.
func storeRow[K comparable, T any](m map[K]cachedRow[T], k K, row T, expires time.Time) {
	if _, ok := m[k]; !ok && len(m) >= rowCacheMaxEntries {
		clear(m)
	}
	m[k] = cachedRow[T]{row: row, expires: expires}
}

// preReadApplication returns the application id for preDeriveKeys, from
// the row cache when it is fresh there.
func (s *Service) preReadApplication(ctx context.Context, r store.Reader, id int64) (domain.Application, bool) {
	now := s.now()
	app, gen, ok := s.rowCache.application(id, now)
	if ok {
		return app, true
	}
	app, err := r.GetApplication(ctx, id)
	if err != nil {
		return app, false
	}
	s.rowCache.putApplication(gen, app, now)
	return app, true
}

// preReadVersion returns the version of applicationKey for preDeriveKeys
// with its stamp, from the row cache when it is fresh there. app is the
// activation's application, read before: a version read from the database
// is stamped with app.Revision and cached only when it belongs to app.
// Unknown keys are not cached.
func (s *Service) preReadVersion(ctx context.Context, r store.Reader, applicationKey string, app domain.Application) (stampedVersion, bool) {
	now := s.now()
	v, gen, ok := s.rowCache.version(applicationKey, now)
	if ok {
		return v, true
	}
	row, err := r.GetApplicationVersionByKey(ctx, applicationKey)
	if err != nil {
		return v, false
	}
	v = stampedVersion{v: row, stamp: app.Revision}
	if row.ApplicationID == app.ID {
		s.rowCache.putVersion(gen, v, now)
	}
	return v, true
}

// applicationsChanged is called after every write of an application or
// application-version row by this node (after the transaction, committed
// or not), and when a verification finds the cached rows older than the
// database (changed through another node): verifications that start
// afterwards read the rows again.
func (s *Service) applicationsChanged() { s.rowCache.invalidate() }

// forgetActivationKeys drops the cached keys of an activation whose key
// material changed or which was removed. Correctness does not depend on
// it (keysFor compares the key material under the lock); it frees memory
// and spares the next verification a useless comparison.
func (s *Service) forgetActivationKeys(activationID string) { s.keyCache.drop(activationID) }
