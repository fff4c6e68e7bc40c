package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/internal/store"
)

// errRefused is the error the failing transactions return.
var errRefused = errors.New("refused by the test")

// testFailingTransactionsLeaveNoTrace: concurrent transactions each
// increment their own activation's counter; every third one then fails (by
// returning an error, or by panicking) after its write. The failed ones
// must leave no trace and must not take the others' work with them (a
// backend that shares a transaction between callers, like SQLite's group
// commit, must isolate them).
func testFailingTransactionsLeaveNoTrace(t *testing.T, s store.Store) {
	const workers, rounds = 24, 10
	ctx := context.Background()
	app := newApp(t, s)
	ids := make([]string, workers)
	for i := range ids {
		ids[i] = newActivation(t, s, app.ID, fmt.Sprintf("iso-%d", i)).ActivationID
	}
	increment := func(tx store.Tx, id string) error {
		cur, err := tx.GetActivationForUpdate(ctx, id)
		if err != nil {
			return err
		}
		cur.Counter++
		return tx.UpdateActivation(ctx, &cur)
	}
	errs := parallel(workers, func(i int) (err error) {
		for r := range rounds {
			mode := (i + r) % 3 // 0: commit, 1: error, 2: panic
			func() {
				defer func() {
					if p := recover(); p != nil && mode != 2 {
						err = fmt.Errorf("unexpected panic: %v", p)
					}
				}()
				txErr := s.InTx(ctx, func(tx store.Tx) error {
					if err := increment(tx, ids[i]); err != nil {
						return err
					}
					switch mode {
					case 1:
						return errRefused
					case 2:
						panic("the test panics inside a transaction")
					}
					return nil
				})
				switch {
				case mode == 0 && txErr != nil:
					err = fmt.Errorf("worker %d round %d: %w", i, r, txErr)
				case mode == 1 && !errors.Is(txErr, errRefused):
					err = fmt.Errorf("worker %d round %d: got %v, want the function's error", i, r, txErr)
				case mode == 2:
					err = fmt.Errorf("worker %d round %d: the panic did not reach the caller", i, r)
				}
			}()
			if err != nil {
				return err
			}
		}
		return nil
	})
	for _, err := range errs {
		require.NoError(t, err)
	}
	for i, id := range ids {
		want := int64(0)
		for r := range rounds {
			if (i+r)%3 == 0 {
				want++
			}
		}
		got, err := s.GetActivation(ctx, id)
		require.NoError(t, err)
		require.Equal(t, want, got.Counter, "activation %d: only the committed increments count", i)
	}
}

// testCanceledContextRunsNothing: a transaction whose context is already
// canceled does not run and reports the cancellation.
func testCanceledContextRunsNothing(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	err := s.InTx(ctx, func(store.Tx) error { ran = true; return nil })
	require.Error(t, err)
	require.False(t, ran, "the function ran on a canceled context")
}
