// Package teststore opens real, migrated databases for tests: SQLite in a
// temporary folder and PostgreSQL in a fresh database (see pgtest).
package teststore

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/store/postgres"
	"github.com/mauth/mauth/internal/store/sqlite"
	"github.com/mauth/mauth/internal/testutil/pgtest"
)

// SQLite returns a migrated SQLite store in t.TempDir(), closed on cleanup.
func SQLite(t testing.TB) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "mauth.db"), sqlite.Options{Migrate: true, GroupCommit: true})
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// Postgres returns a migrated store on a fresh PostgreSQL database, closed
// and dropped on cleanup. It skips or fails like pgtest.AdminDSN when no
// server is configured.
func Postgres(t testing.TB) store.Store {
	t.Helper()
	dsn := pgtest.NewDatabase(t)
	st, err := postgres.Open(context.Background(), dsn, postgres.Options{Migrate: true})
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// Each runs fn as subtests "sqlite" and "postgres", each on its own fresh store.
func Each(t *testing.T, fn func(t *testing.T, st store.Store)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}
