package sqlite_test

import (
	"context"
	"path/filepath"
	"sync"
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

// TestConformanceGroupCommit runs the whole suite with group commit, the
// configuration mauth serve uses by default.
func TestConformanceGroupCommit(t *testing.T) {
	storetest.RunTests(t, func(t *testing.T) store.Store {
		return sqlitetest.NewWithOptions(t, sqlite.Options{GroupCommit: true})
	})
}

// TestGroupCommitBatches checks that concurrent writers really share
// commits, and that every acknowledged increment is in the database.
func TestGroupCommitBatches(t *testing.T) {
	for _, level := range []string{"NORMAL", "FULL"} {
		t.Run(level, func(t *testing.T) {
			s := sqlitetest.NewWithOptions(t, sqlite.Options{GroupCommit: true, Synchronous: level})
			ctx := context.Background()
			a := storetest.NewActivation(t, s)
			before := s.GroupCommitStats()

			const workers, rounds = 16, 50
			var wg sync.WaitGroup
			errs := make(chan error, workers)
			for range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range rounds {
						if err := s.InTx(ctx, func(tx store.Tx) error {
							cur, err := tx.GetActivationForUpdate(ctx, a.ActivationID)
							if err != nil {
								return err
							}
							cur.Counter++
							return tx.UpdateActivation(ctx, &cur)
						}); err != nil {
							errs <- err
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}
			got, err := s.GetActivation(ctx, a.ActivationID)
			require.NoError(t, err)
			require.Equal(t, int64(workers*rounds), got.Counter)
			st := s.GroupCommitStats()
			txs, commits := st.Transactions-before.Transactions, st.Commits-before.Commits
			require.Equal(t, int64(workers*rounds), txs)
			require.Less(t, commits, txs, "16 concurrent writers never shared a commit")
			t.Logf("synchronous=%s: %d transactions in %d commits", level, txs, commits)
		})
	}
}

// BenchmarkAuditChainCost compares chained and unchained audit writes of a
// signature verification in one run (storetest.BenchmarkAuditChainCost).
func BenchmarkAuditChainCost(b *testing.B) {
	s := sqlitetest.New(b)
	storetest.BenchmarkAuditChainCost(b, s, s.UnchainedForBenchmark())
}
