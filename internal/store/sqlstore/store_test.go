package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/internal/store"
)

var errTransient = errors.New("transient")

// testStore returns a Store over a bare SQLite file whose dialect treats
// errTransient as retryable.
func testStore(t *testing.T, maxAttempts int) *Store {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "r.db"))
	require.NoError(t, err)
	d := &Dialect{Name: "test", Classify: func(err error) ErrorClass {
		if errors.Is(err, errTransient) {
			return ErrorRetryable
		}
		return ErrorOther
	}}
	s, err := New(Config{Dialect: d, Write: db, Read: db, MaxAttempts: maxAttempts})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestRetry(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		failures  int   // attempts that fail before one succeeds
		failWith  error // the error of a failing attempt
		wantCalls int
		wantErr   error
	}{
		{"success", 0, errTransient, 1, nil},
		{"retried until success", 3, errTransient, 4, nil},
		{"wrapped retryable", 2, fmt.Errorf("verify: %w", errTransient), 3, nil},
		{"gives up after max attempts", 10, errTransient, 5, errTransient},
		{"not retryable", 10, store.ErrConflict, 1, store.ErrConflict},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := testStore(t, 5)
			calls := 0
			err := s.InTx(ctx, func(tx store.Tx) error {
				calls++
				if calls <= tc.failures {
					return tc.failWith
				}
				return nil
			})
			require.Equal(t, tc.wantCalls, calls)
			if tc.wantErr == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tc.wantErr)
			}
			calls = 0
			err = s.View(ctx, func(store.Reader) error {
				calls++
				if calls <= tc.failures {
					return tc.failWith
				}
				return nil
			})
			require.Equal(t, tc.wantCalls, calls, "View retries the same way")
		})
	}
}

func TestWrap(t *testing.T) {
	d := &Dialect{Classify: func(err error) ErrorClass {
		switch err.Error() {
		case "unique":
			return ErrorUniqueViolation
		case "fk":
			return ErrorForeignKeyViolation
		}
		return ErrorOther
	}}
	require.Nil(t, d.wrap("op", nil))
	require.ErrorIs(t, d.wrap("op", errors.New("unique")), store.ErrAlreadyExists)
	require.ErrorIs(t, d.wrap("op", errors.New("fk")), store.ErrConflict)
	plain := errors.New("other")
	err := d.wrap("op", plain)
	require.ErrorIs(t, err, plain)
	require.NotErrorIs(t, err, store.ErrConflict)
	require.Equal(t, "op: other", err.Error())
	require.ErrorIs(t, d.wrap("op", fmt.Errorf("x: %w", store.ErrNotFound)), store.ErrNotFound)
}

func TestBackoff(t *testing.T) {
	for i := range 10 {
		base := time.Millisecond << min(i, 6)
		for range 20 {
			b := backoff(i)
			require.GreaterOrEqual(t, b, base)
			require.Less(t, b, 2*base)
		}
	}
}
