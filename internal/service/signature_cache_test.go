package service

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/teststore"
	"github.com/mauth/mauth/protocol"
)

// countingStore counts the autocommit reads preDeriveKeys makes (reads
// inside transactions go to the wrapped store's Tx and are not counted).
type countingStore struct {
	store.Store
	activations, applications, versions atomic.Int64
}

func (c *countingStore) GetActivation(ctx context.Context, id string) (domain.Activation, error) {
	c.activations.Add(1)
	return c.Store.GetActivation(ctx, id)
}

func (c *countingStore) GetActivationSigningState(ctx context.Context, id string) (domain.Activation, error) {
	c.activations.Add(1)
	return c.Store.GetActivationSigningState(ctx, id)
}

func (c *countingStore) GetApplication(ctx context.Context, id int64) (domain.Application, error) {
	c.applications.Add(1)
	return c.Store.GetApplication(ctx, id)
}

func (c *countingStore) GetApplicationVersionByKey(ctx context.Context, key string) (domain.ApplicationVersion, error) {
	c.versions.Add(1)
	return c.Store.GetApplicationVersionByKey(ctx, key)
}

// manualClock is a clock that moves only when told to.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// cacheHarness is a service on a real SQLite store with counted reads,
// counted key derivations and a manual clock.
type cacheHarness struct {
	svc     *Service
	st      *countingStore
	clock   *manualClock
	derived atomic.Int64
}

// counts is a snapshot of the counters.
type counts struct{ activations, applications, versions, derived int64 }

func (h *cacheHarness) counts() counts {
	return counts{h.st.activations.Load(), h.st.applications.Load(), h.st.versions.Load(), h.derived.Load()}
}

// since returns the counters' growth from before.
func (h *cacheHarness) since(before counts) counts {
	now := h.counts()
	return counts{now.activations - before.activations, now.applications - before.applications,
		now.versions - before.versions, now.derived - before.derived}
}

func newCacheHarness(t testing.TB, cfg Config) *cacheHarness {
	t.Helper()
	box, err := secretbox.New(secretbox.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	cfg.RecoveryPUKHashMemoryKiB = 64
	h := &cacheHarness{st: &countingStore{Store: teststore.SQLite(t)}, clock: &manualClock{now: time.Now()}}
	h.svc, err = New(h.st, box, cfg, WithClock(h.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	h.svc.deriveHook = func() { h.derived.Add(1) }
	return h
}

// verify signs new request data with the device and verifies it.
func (h *cacheHarness) verify(t testing.TB, d *testDevice) VerifySignatureResult {
	t.Helper()
	typ, version := protocol.SignaturePossessionKnowledge, protocol.Version33
	data := testRequestData(`{"cache":true}`)
	res, err := h.svc.VerifySignature(context.Background(), d.verifyInput(typ, version, data, d.sign(t, typ, version, data)))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// updateStored changes the stored activation directly in the database, as
// another node would.
func updateStored(t testing.TB, svc *Service, id string, change func(a *domain.Activation)) {
	t.Helper()
	ctx := context.Background()
	if err := svc.store.InTx(ctx, func(tx store.Tx) error {
		a, err := tx.GetActivationForUpdate(ctx, id)
		if err != nil {
			return err
		}
		change(&a)
		return tx.UpdateActivation(ctx, &a)
	}); err != nil {
		t.Fatal(err)
	}
}

// replaceDeviceKey gives the stored activation a new device public key
// (directly in the database) and points the test device at it.
func replaceDeviceKey(t *testing.T, svc *Service, d *testDevice) {
	t.Helper()
	devicePriv, err := protocol.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	serverPub, err := protocol.ParsePublicKey(loadActivation(t, svc, d.ActivationID).ServerPublicKey)
	if err != nil {
		t.Fatal(err)
	}
	updateStored(t, svc, d.ActivationID, func(a *domain.Activation) { a.DevicePublicKey = devicePriv.Public().Compressed() })
	keys, err := protocol.DeriveActivationKeysECDH(devicePriv, serverPub)
	if err != nil {
		t.Fatal(err)
	}
	d.DevicePriv, d.Keys = devicePriv, keys
}

func TestVerifySignatureKeyCacheHit(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		// second is what the second verification of an activation reads
		// before its transaction and derives.
		second counts
		cached int
	}{
		// With the keys cached, the only read is the optimistic path's
		// unlocked read of the activation (its counter).
		{name: "both caches on", cfg: Config{ApplicationCacheTTL: time.Hour}, second: counts{activations: 1}, cached: 1},
		{name: "key cache only", cfg: Config{ApplicationCacheTTL: -1}, second: counts{activations: 1, applications: 1, versions: 1}, cached: 1},
		{name: "row cache only", cfg: Config{KeyCacheSize: -1, ApplicationCacheTTL: time.Hour}, second: counts{activations: 1, derived: 1}},
		{name: "both disabled", cfg: Config{KeyCacheSize: -1, ApplicationCacheTTL: -1}, second: counts{1, 1, 1, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newCacheHarness(t, tc.cfg)
			d := newActiveTestActivation(t, h.svc, createTestApp(t, h.svc))
			before := h.counts()
			if res := h.verify(t, d); !res.SignatureValid {
				t.Fatalf("first verification: %+v", res)
			}
			if got, want := h.since(before), (counts{1, 1, 1, 1}); got != want {
				t.Fatalf("first verification read and derived %+v, want %+v", got, want)
			}
			before = h.counts()
			res := h.verify(t, d)
			if !res.SignatureValid || res.ApplicationID != d.App.App.Name || res.UserID != d.UserID {
				t.Fatalf("second verification: %+v", res)
			}
			if got := h.since(before); got != tc.second {
				t.Fatalf("second verification read and derived %+v, want %+v", got, tc.second)
			}
			if n := h.svc.keyCache.len(); n != tc.cached {
				t.Fatalf("key cache holds %d entries, want %d", n, tc.cached)
			}
			if a := loadActivation(t, h.svc, d.ActivationID); a.Counter != 2 {
				t.Fatalf("counter = %d, want 2", a.Counter)
			}
		})
	}
}

func TestVerifySignatureKeyCacheStaleEntry(t *testing.T) {
	tests := []struct {
		name string
		// change alters the stored activation behind the cache's back.
		change func(t *testing.T, svc *Service, d *testDevice)
		// wantStatus is the status reported by the verification after it.
		wantStatus domain.ActivationStatus
		wantValid  bool
		// wantDerived is how many derivations that verification makes (under
		// the lock, as the cached keys do not match).
		wantDerived int64
	}{
		{name: "device public key replaced", change: replaceDeviceKey,
			wantStatus: domain.ActivationActive, wantValid: true, wantDerived: 1},
		{name: "device and server keys replaced", change: rekey,
			wantStatus: domain.ActivationActive, wantValid: true, wantDerived: 1},
		{name: "removed through another node", change: func(t *testing.T, svc *Service, d *testDevice) {
			updateStored(t, svc, d.ActivationID, func(a *domain.Activation) { a.Status = domain.ActivationRemoved })
		}, wantStatus: domain.ActivationRemoved},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newCacheHarness(t, Config{ApplicationCacheTTL: time.Hour})
			d := newActiveTestActivation(t, h.svc, createTestApp(t, h.svc))
			if res := h.verify(t, d); !res.SignatureValid {
				t.Fatalf("first verification: %+v", res)
			}
			oldKeys := d.Keys
			tc.change(t, h.svc, d)
			if _, ok := h.svc.keyCache.get(d.ActivationID); !ok {
				t.Fatal("the entry is gone before the change was noticed")
			}

			before := h.counts()
			res := h.verify(t, d)
			if res.SignatureValid != tc.wantValid || res.ActivationStatus != tc.wantStatus {
				t.Fatalf("verification after the change: %+v", res)
			}
			// One unlocked read of the activation (the optimistic path,
			// which then sees the change and leaves it to the locked path),
			// no read to derive keys.
			if got := h.since(before); got.activations != 1 || got.derived != tc.wantDerived {
				t.Fatalf("verification after the change read and derived %+v (want the cached entry, %d derivations)", got, tc.wantDerived)
			}
			if _, ok := h.svc.keyCache.get(d.ActivationID); ok {
				t.Fatal("the stale entry is still cached")
			}
			if !tc.wantValid {
				return
			}
			// The next verification derives the current keys and caches them.
			before = h.counts()
			if res := h.verify(t, d); !res.SignatureValid {
				t.Fatalf("verification with the current keys: %+v", res)
			}
			if got := h.since(before); got.activations != 1 || got.derived != 1 {
				t.Fatalf("re-derivation read and derived %+v, want 1 read and 1 derivation", got)
			}
			e, ok := h.svc.keyCache.get(d.ActivationID)
			if !ok || e.keysFor(loadActivation(t, h.svc, d.ActivationID)) == nil {
				t.Fatal("the current keys were not cached")
			}
			// The keys that the stale entry held no longer verify.
			d.Keys = oldKeys
			if res := h.verify(t, d); res.SignatureValid {
				t.Fatal("a signature with the replaced keys was accepted")
			}
		})
	}
}

// keysFor adapts a cache entry to derivedKeys.keysFor.
func (e *cachedKeys) keysFor(a domain.Activation) *protocol.ActivationKeys {
	return (&derivedKeys{serverKeyEncrypted: e.serverKeyEncrypted, devicePublicKey: e.devicePublicKey, keys: e.keys}).keysFor(a)
}

func TestKeyCacheDroppedOnThisNode(t *testing.T) {
	h := newCacheHarness(t, Config{})
	ctx := context.Background()
	app := createTestApp(t, h.svc)
	d := newActiveTestActivation(t, h.svc, app)
	other := newActiveTestActivation(t, h.svc, app)
	for _, dev := range []*testDevice{d, other} {
		if res := h.verify(t, dev); !res.SignatureValid {
			t.Fatalf("verification: %+v", res)
		}
	}
	if _, err := h.svc.BlockActivation(ctx, other.ActivationID, "", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.RemoveActivation(ctx, d.ActivationID, "", false); err != nil {
		t.Fatal(err)
	}
	if _, ok := h.svc.keyCache.get(d.ActivationID); ok {
		t.Fatal("keys of a removed activation are still cached")
	}
	if _, ok := h.svc.keyCache.get(other.ActivationID); !ok {
		t.Fatal("keys of a blocked activation (which can be unblocked) were dropped")
	}
	if res := h.verify(t, d); res.SignatureValid || res.ActivationStatus != domain.ActivationRemoved {
		t.Fatalf("verification of a removed activation: %+v", res)
	}
}

func TestKeyCacheLRU(t *testing.T) {
	entry := func(id string) cachedKeys {
		return cachedKeys{activationID: id, serverKeyEncrypted: []byte(id), devicePublicKey: []byte(id), keys: &protocol.ActivationKeys{}}
	}
	type op struct {
		put, get, drop string
		hit            bool // for get
	}
	tests := []struct {
		name string
		size int
		ops  []op
		len  int
	}{
		{name: "evicts the least recently put", size: 2, len: 2, ops: []op{
			{put: "a"}, {put: "b"}, {put: "c"}, {get: "a"}, {get: "b", hit: true}, {get: "c", hit: true},
		}},
		{name: "a get refreshes", size: 2, len: 2, ops: []op{
			{put: "a"}, {put: "b"}, {get: "a", hit: true}, {put: "c"}, {get: "b"}, {get: "a", hit: true}, {get: "c", hit: true},
		}},
		{name: "a put of a cached id replaces and refreshes", size: 2, len: 2, ops: []op{
			{put: "a"}, {put: "b"}, {put: "a"}, {put: "c"}, {get: "b"}, {get: "a", hit: true},
		}},
		{name: "drop", size: 2, len: 1, ops: []op{
			{put: "a"}, {put: "b"}, {drop: "a"}, {drop: "x"}, {get: "a"}, {get: "b", hit: true},
		}},
		{name: "disabled", size: 0, len: 0, ops: []op{{put: "a"}, {get: "a"}, {drop: "a"}}},
		{name: "disabled by a negative size", size: -1, len: 0, ops: []op{{put: "a"}, {get: "a"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newKeyCache(tc.size)
			for i, o := range tc.ops {
				switch {
				case o.put != "":
					c.put(entry(o.put))
					if n := c.len(); tc.size > 0 && n > tc.size {
						t.Fatalf("op %d: %d entries, bound %d", i, n, tc.size)
					}
				case o.get != "":
					e, ok := c.get(o.get)
					if ok != o.hit || (ok && e.activationID != o.get) {
						t.Fatalf("op %d: get(%s) hit %v; want %v", i, o.get, ok, o.hit)
					}
				case o.drop != "":
					c.drop(o.drop)
				}
			}
			if n := c.len(); n != tc.len {
				t.Fatalf("len = %d, want %d", n, tc.len)
			}
		})
	}
}

func TestKeyCacheCopiesKeyMaterial(t *testing.T) {
	c := newKeyCache(1)
	server, device := []byte{1, 2}, []byte{3, 4}
	c.put(cachedKeys{activationID: "a", serverKeyEncrypted: server, devicePublicKey: device})
	server[0], device[0] = 9, 9
	e, _ := c.get("a")
	if !slices.Equal(e.serverKeyEncrypted, []byte{1, 2}) || !slices.Equal(e.devicePublicKey, []byte{3, 4}) {
		t.Fatal("the cache shares the caller's key material")
	}
}

func TestVerifySignatureKeyCacheBound(t *testing.T) {
	h := newCacheHarness(t, Config{KeyCacheSize: 2})
	app := createTestApp(t, h.svc)
	a, b, c := newActiveTestActivation(t, h.svc, app), newActiveTestActivation(t, h.svc, app), newActiveTestActivation(t, h.svc, app)
	steps := []struct {
		dev     *testDevice
		derived int64 // derivations of this verification
	}{
		{a, 1}, {b, 1}, {a, 0}, // a is now the most recently used
		{c, 1}, // evicts b
		{a, 0}, {c, 0},
		{b, 1}, // evicts a
		{a, 1},
	}
	for i, st := range steps {
		before := h.counts()
		if res := h.verify(t, st.dev); !res.SignatureValid {
			t.Fatalf("step %d: %+v", i, res)
		}
		// Every verification reads the activation once without a lock: to
		// derive its keys on a miss, for the optimistic path on a hit.
		if got := h.since(before); got.derived != st.derived || got.activations != 1 {
			t.Fatalf("step %d: read and derived %+v, want %d", i, got, st.derived)
		}
		if n := h.svc.keyCache.len(); n > 2 {
			t.Fatalf("step %d: %d cached entries, bound 2", i, n)
		}
	}
}

func TestApplicationRowCacheTTL(t *testing.T) {
	const ttl = time.Second
	h := newCacheHarness(t, Config{ApplicationCacheTTL: ttl})
	app := createTestApp(t, h.svc)
	d := newActiveTestActivation(t, h.svc, app)
	if res := h.verify(t, d); !res.SignatureValid {
		t.Fatalf("first verification: %+v", res)
	}
	// Another node marks the version unsupported (directly in the
	// database, so this node does not invalidate its cache itself): the
	// application revision read with the activation no longer matches the
	// cached rows, so the next verification refuses the version at once
	// and the node reads the rows again; the TTL only bounds how long
	// unchanged rows are kept.
	ctx := context.Background()
	if err := h.st.InTx(ctx, func(tx store.Tx) error {
		v := app.Version
		v.Supported = false
		return tx.UpdateApplicationVersion(ctx, &v)
	}); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name      string
		advance   time.Duration
		wantValid bool
		wantReads int64 // application and version reads before the transaction
	}{
		{"a change through another node is seen at once", ttl / 2, false, 0},
		{"the stale rows were dropped and are read again", 0, false, 2},
		{"the re-read rows are cached", ttl - time.Nanosecond, false, 0},
		{"at expiry the rows are read again", time.Nanosecond, false, 2},
	}
	for _, st := range steps {
		h.clock.Advance(st.advance)
		before := h.counts()
		res := h.verify(t, d)
		if res.SignatureValid != st.wantValid || res.ActivationStatus != domain.ActivationActive {
			t.Fatalf("%s: %+v", st.name, res)
		}
		if got := h.since(before); got.applications+got.versions != st.wantReads || got.derived != 0 {
			t.Fatalf("%s: read and derived %+v, want %d row reads", st.name, got, st.wantReads)
		}
	}
}

func TestApplicationRowCacheInvalidatedOnThisNode(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		change func(t *testing.T, svc *Service, app testApp)
		check  func(t *testing.T, res VerifySignatureResult)
	}{
		{
			name: "version unsupported",
			change: func(t *testing.T, svc *Service, app testApp) {
				if _, err := svc.SetApplicationVersionSupported(ctx, app.App.Name, app.Version.Name, false); err != nil {
					t.Fatal(err)
				}
			},
			check: func(t *testing.T, res VerifySignatureResult) {
				if res.SignatureValid || res.ActivationStatus != domain.ActivationActive {
					t.Fatalf("signature with a version unsupported on this node: %+v", res)
				}
			},
		},
		{
			name: "version supported again",
			change: func(t *testing.T, svc *Service, app testApp) {
				for _, supported := range []bool{false, true} {
					if _, err := svc.SetApplicationVersionSupported(ctx, app.App.Name, app.Version.Name, supported); err != nil {
						t.Fatal(err)
					}
				}
			},
			check: func(t *testing.T, res VerifySignatureResult) {
				if !res.SignatureValid {
					t.Fatalf("signature with a supported version: %+v", res)
				}
			},
		},
		{
			name: "roles updated",
			change: func(t *testing.T, svc *Service, app testApp) {
				if _, err := svc.UpdateApplicationRoles(ctx, app.App.Name, []string{"ROLE_NEW"}); err != nil {
					t.Fatal(err)
				}
			},
			check: func(t *testing.T, res VerifySignatureResult) {
				if !res.SignatureValid || !slices.Equal(res.ApplicationRoles, []string{"ROLE_NEW"}) {
					t.Fatalf("roles after the update: %+v", res)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// A TTL far longer than the test: only invalidation can show the change.
			h := newCacheHarness(t, Config{ApplicationCacheTTL: time.Hour})
			app := createTestApp(t, h.svc)
			d := newActiveTestActivation(t, h.svc, app)
			if res := h.verify(t, d); !res.SignatureValid {
				t.Fatalf("first verification: %+v", res)
			}
			tc.change(t, h.svc, app)
			before := h.counts()
			tc.check(t, h.verify(t, d))
			if got := h.since(before); got.applications != 1 || got.versions != 1 {
				t.Fatalf("the rows were not read again after the change: %+v", got)
			}
		})
	}
}

func TestRowCacheGeneration(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	app := domain.Application{ID: 1, Name: "a", Roles: []string{"R"}}
	v := domain.ApplicationVersion{ApplicationID: 1, ApplicationKey: "k", Supported: true}
	tests := []struct {
		name       string
		invalidate bool // between the miss and the put
		wantHit    bool
	}{
		{"a row read before no invalidation is stored", false, true},
		{"a row read before an invalidation is not stored", true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newRowCache(time.Minute)
			_, appGen, ok := c.application(app.ID, now)
			_, verGen, okV := c.version(v.ApplicationKey, now)
			if ok || okV {
				t.Fatal("hit in an empty cache")
			}
			if tc.invalidate {
				c.invalidate()
			}
			c.putApplication(appGen, app, now)
			c.putVersion(verGen, stampedVersion{v: v}, now)
			gotApp, _, ok := c.application(app.ID, now)
			_, _, okV = c.version(v.ApplicationKey, now)
			if ok != tc.wantHit || okV != tc.wantHit {
				t.Fatalf("hits %v, %v; want %v", ok, okV, tc.wantHit)
			}
			if ok {
				gotApp.Roles[0] = "changed"
				if again, _, _ := c.application(app.ID, now); again.Roles[0] != "R" {
					t.Fatal("the cached roles can be changed through a returned row")
				}
			}
		})
	}
	if c := newRowCache(0); c != nil {
		t.Fatal("a zero TTL does not disable the row cache")
	}
}

// BenchmarkVerifySignatureKeyCache compares VerifySignature on SQLite with
// the key and row caches on (the defaults) and off.
func BenchmarkVerifySignatureKeyCache(b *testing.B) {
	for _, bc := range []struct {
		name string
		cfg  Config
	}{
		{"cache=on", Config{}},
		{"cache=off", Config{KeyCacheSize: -1, ApplicationCacheTTL: -1}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			svc, _ := newTestService(b, teststore.SQLite(b), bc.cfg)
			d := newActiveTestActivation(b, svc, createTestApp(b, svc))
			typ, version := protocol.SignaturePossessionKnowledge, protocol.Version33
			inputs := make([]VerifySignatureInput, b.N)
			for i := range inputs {
				data := testRequestData(`{"bench":true}`)
				inputs[i] = d.verifyInput(typ, version, data, d.sign(b, typ, version, data))
			}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for _, in := range inputs {
				res, err := svc.VerifySignature(ctx, in)
				if err != nil || !res.SignatureValid {
					b.Fatalf("verification: %+v %v", res, err)
				}
			}
		})
	}
}
