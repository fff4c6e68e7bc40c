package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// testTestServer runs the test server's checks, each on a fresh store.
func testTestServer(t *testing.T, newStore Factory) {
	t.Run("Applications", func(t *testing.T) { testTestApplications(t, newStore(t)) })
	t.Run("Devices", func(t *testing.T) { testTestDevices(t, newStore(t)) })
	t.Run("DeviceCompareAndSwap", func(t *testing.T) { testTestDeviceCompareAndSwap(t, newStore(t)) })
}

func testTestApplications(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := domain.TestApplication{
		ApplicationID: "app-" + uid(), Name: "Mobile Banking", ApplicationKey: "a2V5", ApplicationSecret: "c2VjcmV0",
		MasterPublicKey: "bWFzdGVy", Created: at(0), Updated: at(0),
	}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.PutTestApplication(ctx, &a) })
	got, err := s.GetTestApplication(ctx, a.ApplicationID)
	require.NoError(t, err)
	require.Equal(t, a, got)

	// A new configuration replaces the fields and keeps the creation time.
	b := a
	b.Name, b.ApplicationKey, b.Created, b.Updated = "Renamed", "bmV3", at(time.Hour), at(time.Hour)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.PutTestApplication(ctx, &b) })
	require.Equal(t, at(0), b.Created, "Created is set to the stored value")
	got, err = s.GetTestApplication(ctx, a.ApplicationID)
	require.NoError(t, err)
	require.Equal(t, b, got)

	_, err = s.GetTestApplication(ctx, uid())
	require.ErrorIs(t, err, store.ErrNotFound)
}

func newTestApplication(t *testing.T, s store.Store) domain.TestApplication {
	t.Helper()
	a := domain.TestApplication{ApplicationID: "app-" + uid(), Name: "n", ApplicationKey: "k", ApplicationSecret: "s", MasterPublicKey: "m", Created: at(0), Updated: at(0)}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.PutTestApplication(ctx, &a) })
	return a
}

func testTestDevices(t *testing.T, s store.Store) {
	ctx := context.Background()
	app := newTestApplication(t, s)
	d := domain.TestDevice{ActivationID: uid(), ApplicationID: app.ApplicationID, SealedState: []byte{0, 1, 2, 255}, Created: at(0), Updated: at(0)}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateTestDevice(ctx, &d) })
	require.Equal(t, int64(1), d.Revision)
	got, err := s.GetTestDevice(ctx, d.ActivationID)
	require.NoError(t, err)
	require.Equal(t, d, got)

	dup := d
	require.ErrorIs(t, txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.CreateTestDevice(ctx, &dup) }), store.ErrAlreadyExists)
	orphan := domain.TestDevice{ActivationID: uid(), ApplicationID: "missing-" + uid(), SealedState: []byte{1}, Created: at(0), Updated: at(0)}
	require.ErrorIs(t, txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.CreateTestDevice(ctx, &orphan) }), store.ErrConflict)
	_, err = s.GetTestDevice(ctx, uid())
	require.ErrorIs(t, err, store.ErrNotFound)

	// Reconfiguring the application keeps its devices.
	app.Name = "again"
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.PutTestApplication(ctx, &app) })
	_, err = s.GetTestDevice(ctx, d.ActivationID)
	require.NoError(t, err)

	gone := domain.TestDevice{ActivationID: uid(), Revision: 1, SealedState: []byte{1}, Updated: at(0)}
	require.ErrorIs(t, txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.SwapTestDevice(ctx, &gone) }), store.ErrNotFound)
}

// testTestDeviceCompareAndSwap checks that of concurrent writers holding
// the same revision exactly one wins, and that a stale revision never
// overwrites a newer state.
func testTestDeviceCompareAndSwap(t *testing.T, s store.Store) {
	ctx := context.Background()
	app := newTestApplication(t, s)
	d := domain.TestDevice{ActivationID: uid(), ApplicationID: app.ApplicationID, SealedState: []byte("v1"), Created: at(0), Updated: at(0)}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateTestDevice(ctx, &d) })

	next := d
	next.SealedState, next.Updated = []byte("v2"), at(time.Second)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.SwapTestDevice(ctx, &next) })
	require.Equal(t, int64(2), next.Revision)
	stale := d
	stale.SealedState = []byte("stale")
	require.ErrorIs(t, txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.SwapTestDevice(ctx, &stale) }), store.ErrConflict)
	got, err := s.GetTestDevice(ctx, d.ActivationID)
	require.NoError(t, err)
	require.Equal(t, next, got)

	const writers = 8
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins int
		errs []error
	)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := got
			w.SealedState = []byte{byte(i)}
			err := s.InTx(ctx, func(tx store.Tx) error { return tx.SwapTestDevice(ctx, &w) })
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				wins++
				return
			}
			errs = append(errs, err)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.ErrorIs(t, err, store.ErrConflict)
	}
	require.Equal(t, 1, wins, "exactly one writer of a revision wins")
	final, err := s.GetTestDevice(ctx, d.ActivationID)
	require.NoError(t, err)
	require.Equal(t, got.Revision+1, final.Revision)
}
