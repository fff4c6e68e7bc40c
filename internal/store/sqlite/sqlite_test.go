package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/store/sqlite"
	"github.com/mauth/mauth/internal/store/sqlite/sqlitetest"
	"github.com/mauth/mauth/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.RunTests(t, func(t *testing.T) store.Store { return sqlitetest.New(t) })
}

// TestConcurrencyManyWriteConns runs the concurrency tests with a write
// pool of several connections, where only BEGIN IMMEDIATE (not the pool)
// keeps read-modify-write transactions from losing updates.
func TestConcurrencyManyWriteConns(t *testing.T) {
	storetest.RunConcurrencyTests(t, func(t *testing.T) store.Store {
		return sqlitetest.NewWithOptions(t, sqlite.Options{WriteConns: 8})
	})
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "mauth.db")

	s, err := sqlite.Open(ctx, path, sqlite.Options{})
	require.NoError(t, err)
	n, err := s.PendingMigrations(ctx)
	require.NoError(t, err)
	require.Positive(t, n, "a new database has pending migrations")
	require.NoError(t, s.Migrate(ctx))
	n, err = s.PendingMigrations(ctx)
	require.NoError(t, err)
	require.Zero(t, n)
	require.Equal(t, path, s.Path())
	require.NoError(t, s.Close())

	// Reopening finds the schema in place and the file in WAL mode.
	s, err = sqlite.Open(ctx, path, sqlite.Options{Migrate: true, Synchronous: "FULL"})
	require.NoError(t, err)
	defer s.Close()
	n, err = s.PendingMigrations(ctx)
	require.NoError(t, err)
	require.Zero(t, n)

	for _, tc := range []struct {
		name string
		path string
		opts sqlite.Options
	}{
		{"memory", ":memory:", sqlite.Options{}},
		{"empty path", "", sqlite.Options{}},
		{"bad synchronous", filepath.Join(t.TempDir(), "x.db"), sqlite.Options{Synchronous: "OFF"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sqlite.Open(ctx, tc.path, tc.opts)
			require.Error(t, err)
		})
	}
}

func BenchmarkActivationCounterUpdate(b *testing.B) {
	storetest.BenchmarkActivationCounterUpdate(b, sqlitetest.New(b))
}

// BenchmarkActivationCounterUpdateSyncFull is the same with
// synchronous=FULL (an fsync per commit), to show what the default
// synchronous=NORMAL trades for durability across power loss.
func BenchmarkActivationCounterUpdateSyncFull(b *testing.B) {
	storetest.BenchmarkActivationCounterUpdate(b, sqlitetest.NewWithOptions(b, sqlite.Options{Synchronous: "FULL"}))
}
