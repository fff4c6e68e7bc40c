package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/internal/store/sqlstore"
)

// TestConnectionSettings checks the PRAGMAs each pool's DSN establishes.
func TestConnectionSettings(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "mauth.db")
	opts := Options{BusyTimeout: 1500 * time.Millisecond, Synchronous: "NORMAL"}

	pragma := func(db *sql.DB, name string) string {
		t.Helper()
		var v string
		require.NoError(t, db.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v))
		return strings.ToLower(v)
	}

	write, err := sql.Open("sqlite", dsn(path, opts, false))
	require.NoError(t, err)
	defer write.Close()
	require.Equal(t, "wal", pragma(write, "journal_mode"))
	require.Equal(t, "1", pragma(write, "foreign_keys"))
	require.Equal(t, "1", pragma(write, "synchronous"), "NORMAL")
	require.Equal(t, "1500", pragma(write, "busy_timeout"))
	require.Equal(t, "0", pragma(write, "query_only"))
	_, err = write.ExecContext(ctx, "CREATE TABLE t (x INTEGER)")
	require.NoError(t, err)

	read, err := sql.Open("sqlite", dsn(path, opts, true))
	require.NoError(t, err)
	defer read.Close()
	require.Equal(t, "wal", pragma(read, "journal_mode"))
	require.Equal(t, "1", pragma(read, "query_only"))
	require.Equal(t, "1", pragma(read, "foreign_keys"))
	_, err = read.ExecContext(ctx, "INSERT INTO t VALUES (1)")
	require.Error(t, err, "the read pool cannot write")

	full, err := sql.Open("sqlite", dsn(path, Options{BusyTimeout: time.Second, Synchronous: "FULL"}, false))
	require.NoError(t, err)
	defer full.Close()
	require.Equal(t, "2", pragma(full, "synchronous"), "FULL")
}

// TestWriteTransactionsAreImmediate checks that a write transaction takes
// the write lock when it begins: a second one on another connection cannot
// begin until the first ends.
func TestWriteTransactionsAreImmediate(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "mauth.db")
	db, err := sql.Open("sqlite", dsn(path, Options{BusyTimeout: 50 * time.Millisecond, Synchronous: "NORMAL"}, false))
	require.NoError(t, err)
	defer db.Close()
	db.SetMaxOpenConns(2)

	first, err := db.BeginTx(ctx, nil)
	require.NoError(t, err)
	_, err = db.BeginTx(ctx, nil)
	require.Error(t, err, "BEGIN IMMEDIATE waits for the lock, then fails with SQLITE_BUSY")
	require.Equal(t, sqlstore.ErrorRetryable, classify(err))
	require.NoError(t, first.Rollback())
	second, err := db.BeginTx(ctx, nil)
	require.NoError(t, err)
	require.NoError(t, second.Rollback())
}
