package testserver

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/client"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/protocol"
)

// countingDerive is client.DerivePINKey that counts its runs.
func countingDerive(n *atomic.Int64) func(string, []byte) ([]byte, error) {
	return func(pin string, salt []byte) ([]byte, error) {
		n.Add(1)
		return client.DerivePINKey(pin, salt)
	}
}

// testDevice is a device whose knowledge key is wrapped under pin.
func testDevice(t *testing.T, id, pin string) *client.Device {
	t.Helper()
	salt := protocol.RandomBytes(16)
	pk, err := client.DerivePINKey(pin, salt)
	require.NoError(t, err)
	wrapped, err := protocol.EncryptCBCNoPadding(pk, make([]byte, 16), protocol.RandomBytes(16))
	require.NoError(t, err)
	return &client.Device{ActivationID: id, PINSalt: salt, WrappedKnowledgeKey: wrapped}
}

// TestPINKeyCache counts the PBKDF2 runs of a sequence of lookups: the
// same PIN of an unchanged device derives once; another PIN, a re-wrapped
// knowledge key, an evicted or forgotten entry derive again; every key
// returned is the one DerivePINKey gives for that PIN.
func TestPINKeyCache(t *testing.T) {
	type step struct {
		device      int    // index into the devices
		pin         string // PIN used
		rewrap      bool   // change the device's salt and wrapped key first
		forget      bool   // forget the device first
		derivations int64  // total PBKDF2 runs after the step
	}
	for _, c := range []struct {
		name  string
		size  int
		steps []step
	}{
		{"same PIN derives once", 8, []step{{0, "1234", false, false, 1}, {0, "1234", false, false, 1}, {0, "1234", false, false, 1}}},
		{"another PIN is derived, not served", 8, []step{{0, "1234", false, false, 1}, {0, "9999", false, false, 2}, {0, "9999", false, false, 2}, {0, "1234", false, false, 3}}},
		{"a re-wrapped key drops the entry", 8, []step{{0, "1234", false, false, 1}, {0, "1234", true, false, 2}, {0, "1234", false, false, 2}}},
		{"forget drops the entry", 8, []step{{0, "1234", false, false, 1}, {0, "1234", false, true, 2}}},
		{"devices are kept apart", 8, []step{{0, "1234", false, false, 1}, {1, "1234", false, false, 2}, {0, "1234", false, false, 2}, {1, "1234", false, false, 2}}},
		{"least recently used is evicted", 2, []step{{0, "1", false, false, 1}, {1, "1", false, false, 2}, {0, "1", false, false, 2}, {2, "1", false, false, 3}, {0, "1", false, false, 3}, {1, "1", false, false, 4}}},
		{"disabled derives every time", -1, []step{{0, "1234", false, false, 1}, {0, "1234", false, false, 2}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var n atomic.Int64
			cache := newPINKeyCache(c.size, countingDerive(&n))
			devices := []*client.Device{testDevice(t, "a", "1234"), testDevice(t, "b", "1234"), testDevice(t, "c", "1234")}
			for i, st := range c.steps {
				d := devices[st.device]
				if st.rewrap {
					*d = *testDevice(t, d.ActivationID, st.pin)
				}
				if st.forget {
					cache.forget(d.ActivationID)
				}
				got, err := cache.key(d, st.pin)
				require.NoError(t, err)
				want, err := client.DerivePINKey(st.pin, d.PINSalt)
				require.NoError(t, err)
				require.Equal(t, want, got, "step %d: the key of that PIN", i)
				require.Equal(t, st.derivations, n.Load(), "step %d: PBKDF2 runs", i)
				if c.size > 0 {
					require.LessOrEqual(t, cache.len(), c.size)
				}
				clear(got) // a caller's copy: wiping it leaves the cache intact
			}
			st := cache.snapshot()
			require.Equal(t, uint64(n.Load()), st.Derivations)
			require.Equal(t, uint64(len(c.steps))-st.Derivations, st.Hits)
		})
	}
}

// TestPINKeyCacheEvictionZeroes checks that an evicted key is wiped.
func TestPINKeyCacheEvictionZeroes(t *testing.T) {
	var n atomic.Int64
	cache := newPINKeyCache(1, countingDerive(&n))
	a, b := testDevice(t, "a", "1234"), testDevice(t, "b", "1234")
	_, err := cache.key(a, "1234")
	require.NoError(t, err)
	held := cache.entries["a"].Value.(*pinKeyEntry).key
	_, err = cache.key(b, "1234")
	require.NoError(t, err)
	require.Equal(t, make([]byte, len(held)), held)
	require.NotContains(t, cache.entries, "a")
}

// TestServerPINKeyOncePerDevice signs repeatedly through the Server with
// a knowledge factor: the PIN key is derived once per device and PIN, a
// wrong PIN is derived rather than served from memory, and every
// signature still advances the stored counter.
func TestServerPINKeyOncePerDevice(t *testing.T) {
	backends(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		box, err := secretbox.New(secretbox.GenerateKey())
		require.NoError(t, err)
		id := seedDevice(t, s, box)
		var n atomic.Int64
		srv, err := New(Options{Store: s, Box: box, PublicURL: "http://127.0.0.1:1", DerivePINKey: countingDerive(&n)})
		require.NoError(t, err)
		sign := func(pin string) string {
			res, err := srv.ComputeOnlineSignature(ctx, ComputeOnlineSignatureRequest{
				ActivationID: id, ApplicationID: "app", HTTPMethod: "POST", ResourceID: "/x", SignatureType: "POSSESSION_KNOWLEDGE", Password: pin,
			})
			require.NoError(t, err)
			h, err := protocol.ParseAuthorizationHeader(res.AuthHeader)
			require.NoError(t, err)
			return h.Signature
		}
		const rounds = 5
		for range rounds {
			sign("1234")
		}
		require.Equal(t, int64(1), n.Load(), "one PBKDF2 run for %d signatures", rounds)
		sign("9999")
		require.Equal(t, int64(2), n.Load(), "a wrong PIN is derived, not served from memory")
		sign("1234")
		require.Equal(t, int64(3), n.Load())
		require.Equal(t, PINKeyStats{Derivations: 3, Hits: rounds - 1}, srv.PINKeyStats())

		row, err := s.GetTestDevice(ctx, id)
		require.NoError(t, err)
		plain, err := box.Open(row.SealedState, sealContext(id))
		require.NoError(t, err)
		var dev client.Device
		require.NoError(t, json.Unmarshal(plain, &dev))
		require.Equal(t, uint64(rounds+2), dev.Counter, "every signature advanced the stored counter")
	})
}
