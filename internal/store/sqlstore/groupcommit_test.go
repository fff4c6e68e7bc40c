package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/internal/store"
)

// TestGroupCommitAbortRetriesInnocentMembers: member B breaks the shared
// transaction (here by ending it behind the batch's back, as SQLite does
// itself on SQLITE_FULL or an I/O error). B gets its own error; member A,
// whose work was in the same batch, is run again and committed.
func TestGroupCommitAbortRetriesInnocentMembers(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "g.db"))
	require.NoError(t, err)
	db.SetMaxOpenConns(1)
	_, err = db.Exec(`CREATE TABLE t (v TEXT NOT NULL)`)
	require.NoError(t, err)
	s, err := New(Config{Dialect: &Dialect{Name: "test"}, Write: db, Read: db, GroupCommit: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })

	errB := errors.New("member B failed")
	bDone := make(chan error, 1)
	aCalls := 0
	errA := s.InTx(ctx, func(tx store.Tx) error {
		aCalls++
		if _, err := tx.(*conn).q.ExecContext(ctx, `INSERT INTO t (v) VALUES ('a')`); err != nil {
			return err
		}
		if aCalls > 1 {
			return nil
		}
		// Queue B behind A so that it joins A's batch.
		go func() {
			bDone <- s.InTx(ctx, func(tx store.Tx) error {
				q := tx.(*conn).q
				if _, err := q.ExecContext(ctx, `INSERT INTO t (v) VALUES ('b')`); err != nil {
					return err
				}
				if _, err := q.ExecContext(ctx, `ROLLBACK`); err != nil {
					return err
				}
				return errB
			})
		}()
		for s.group.waiting.Load() == 0 {
			runtime.Gosched()
		}
		return nil
	})
	require.NoError(t, errA, "the innocent member is retried and committed")
	require.Equal(t, 2, aCalls)
	require.ErrorIs(t, <-bDone, errB, "the member that broke the batch gets its own error")

	var got []string
	rows, err := db.QueryContext(ctx, `SELECT v FROM t ORDER BY rowid`)
	require.NoError(t, err)
	defer rows.Close()
	for rows.Next() {
		var v string
		require.NoError(t, rows.Scan(&v))
		got = append(got, v)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []string{"a"}, got)
}
