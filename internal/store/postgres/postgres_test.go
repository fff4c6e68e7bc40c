package postgres_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/store/postgres"
	"github.com/mauth/mauth/internal/store/postgres/postgrestest"
	"github.com/mauth/mauth/internal/store/storetest"
	"github.com/mauth/mauth/internal/testutil/pgtest"
)

// TestConformance runs the suite on one database, emptied between groups
// (creating a database per group would cost most of the run time).
func TestConformance(t *testing.T) {
	pool := postgrestest.NewPool(t)
	storetest.RunTests(t, func(t *testing.T) store.Store { return pool.New(t) })
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)

	s, err := postgres.Open(ctx, dsn, postgres.Options{})
	require.NoError(t, err)
	defer s.Close()
	n, err := s.PendingMigrations(ctx)
	require.NoError(t, err)
	require.Positive(t, n, "a new database has pending migrations")
	require.NoError(t, s.Migrate(ctx))
	n, err = s.PendingMigrations(ctx)
	require.NoError(t, err)
	require.Zero(t, n)

	// A second node opening the same database finds the schema in place.
	s2, err := postgres.Open(ctx, dsn, postgres.Options{Migrate: true, MaxConns: 2})
	require.NoError(t, err)
	defer s2.Close()
	n, err = s2.PendingMigrations(ctx)
	require.NoError(t, err)
	require.Zero(t, n)

	_, err = postgres.Open(ctx, "postgres://%zz", postgres.Options{})
	require.Error(t, err, "malformed DSN")
}

func BenchmarkActivationCounterUpdate(b *testing.B) {
	storetest.BenchmarkActivationCounterUpdate(b, postgrestest.New(b))
}

// BenchmarkAuditChainCost compares chained and unchained audit writes of a
// signature verification in one run (storetest.BenchmarkAuditChainCost).
func BenchmarkAuditChainCost(b *testing.B) {
	s := postgrestest.New(b)
	storetest.BenchmarkAuditChainCost(b, s, s.UnchainedForBenchmark())
}
