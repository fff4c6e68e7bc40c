// Package postgrestest gives tests a migrated PostgreSQL store in a fresh
// database of their own (see internal/testutil/pgtest for how the server is
// found; without one the test is skipped, or fails when PostgreSQL is
// required).
package postgrestest

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/mauth/mauth/internal/store/postgres"
	"github.com/mauth/mauth/internal/testutil/pgtest"
)

// New creates a fresh database, opens a migrated store on it and closes the
// store when the test ends (before pgtest drops the database).
func New(t testing.TB) *postgres.Store {
	t.Helper()
	return NewWithOptions(t, postgres.Options{})
}

// NewWithOptions is New with explicit options (Migrate is always set).
func NewWithOptions(t testing.TB, opts postgres.Options) *postgres.Store {
	t.Helper()
	opts.Migrate = true
	return open(t, pgtest.NewDatabase(t), opts)
}

// Pool hands out empty stores on one database: creating a PostgreSQL
// database costs a checkpoint-sized write, emptying the tables of an
// existing one does not. Stores from a Pool must not be used concurrently
// with the next call to New.
type Pool struct {
	dsn string
}

// NewPool creates a fresh, migrated database for the stores of p.
func NewPool(t testing.TB) *Pool {
	t.Helper()
	p := &Pool{dsn: pgtest.NewDatabase(t)}
	s := open(t, p.dsn, postgres.Options{Migrate: true})
	if err := s.Close(); err != nil {
		t.Fatalf("postgrestest: close: %v", err)
	}
	return p
}

// New empties every table of the pool's database (restarting identity
// sequences) and opens a store on it that is closed when t ends.
func (p *Pool) New(t testing.TB) *postgres.Store {
	t.Helper()
	if err := truncateAll(p.dsn); err != nil {
		t.Fatalf("postgrestest: %v", err)
	}
	return open(t, p.dsn, postgres.Options{})
}

// open opens a store on dsn, closed when t ends.
func open(t testing.TB, dsn string, opts postgres.Options) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), dsn, opts)
	if err != nil {
		t.Fatalf("postgrestest: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("postgrestest: close: %v", err)
		}
	})
	return s
}

// truncateAll empties the mauth tables (pa_*, audit_*) of the database at dsn.
func truncateAll(dsn string) error {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return err
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	ctx := context.Background()
	rows, err := db.QueryContext(ctx,
		`SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE 'pa\_%' ORDER BY tablename`)
	if err != nil {
		return err
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, pgx.Identifier{name}.Sanitize())
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if len(tables) == 0 {
		return nil
	}
	// The audit tables (00017_audit_chain) go too, and the chain heads
	// start again, so that the audit chains of the empty store verify.
	tables = append(tables, "audit_log", "audit_checkpoint", "audit_key")
	if _, err = db.ExecContext(ctx, `TRUNCATE `+strings.Join(tables, ", ")+` RESTART IDENTITY CASCADE`); err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, `UPDATE audit_chain_head SET seq = 0, hash = decode(repeat('00', 32), 'hex')`)
	return err
}
