package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"
)

// TestStmtCacheSingleConnection checks that a cache miss inside a
// transaction holding a pool's only connection neither blocks nor fails,
// and that the statement is cached (and used in transactions) afterwards.
func TestStmtCacheSingleConnection(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "c.db"))
	require.NoError(t, err)
	db.SetMaxOpenConns(1)
	_, err = db.ExecContext(ctx, `CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)`)
	require.NoError(t, err)
	cache := newStmtCache(db)
	const q = `INSERT INTO t (k, v) VALUES ($1, $2)`

	tx, err := db.BeginTx(ctx, nil)
	require.NoError(t, err)
	c := &conn{q: tx, tx: tx, cache: cache, d: &Dialect{}}
	_, err = c.exec(ctx, q, 1, "a") // miss: runs unprepared, prepares in the background
	require.NoError(t, err)
	require.NoError(t, tx.Commit()) // frees the connection for the preparation
	cache.wait()
	require.NotNil(t, cache.lookup(q), "prepared after the transaction released the connection")

	tx, err = db.BeginTx(ctx, nil)
	require.NoError(t, err)
	c = &conn{q: tx, tx: tx, cache: cache, d: &Dialect{}}
	_, err = c.exec(ctx, q, 2, "b") // hit: bound to the transaction
	require.NoError(t, err)
	require.NoError(t, tx.Commit())

	var n int
	require.NoError(t, db.QueryRowContext(ctx, `SELECT count(*) FROM t`).Scan(&n))
	require.Equal(t, 2, n)

	cache.close()
	require.NoError(t, db.Close())
	cache.wait()
	require.Nil(t, cache.lookup(q), "a closed cache hands out nothing")
}

// TestStmtCacheBounded checks that the cache stops growing at its limit.
func TestStmtCacheBounded(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "c.db"))
	require.NoError(t, err)
	defer db.Close()
	cache := newStmtCache(db)
	defer cache.close()
	for i := range maxCachedStatements + 10 {
		q := fmt.Sprintf("SELECT %d", i)
		cache.lookup(q)
		cache.wait()
		var v int
		require.NoError(t, (&conn{q: db, cache: cache, d: &Dialect{}}).queryRow(ctx, q).Scan(&v))
		require.Equal(t, i, v)
	}
	cache.mu.Lock()
	defer cache.mu.Unlock()
	require.Len(t, cache.stmts, maxCachedStatements)
}
