package storetest

import (
	"context"
	"crypto/sha256"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// parallel runs fn(i) for i in [0, n) on n goroutines started together and
// returns their errors by index.
func parallel(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range n {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			errs[i] = fn(i)
		}()
	}
	start.Done()
	done.Wait()
	return errs
}

// nextCtr is the hash-based counter step the tests use: SHA-256 of the
// previous value, truncated to 16 bytes.
func nextCtr(ctr []byte) []byte {
	h := sha256.Sum256(ctr)
	return h[:16]
}

// testLockedCounterIncrements: 64 goroutines × 20 locked read-modify-write
// transactions on one activation must yield exactly 1280 increments and the
// 1280th hash-counter step.
func testLockedCounterIncrements(t *testing.T, s store.Store) {
	const workers, rounds = 64, 20
	ctx := context.Background()
	app := newApp(t, s)
	a := newActivation(t, s, app.ID, "counter")
	errs := parallel(workers, func(int) error {
		for range rounds {
			err := s.InTx(ctx, func(tx store.Tx) error {
				cur, err := tx.GetActivationForUpdate(ctx, a.ActivationID)
				if err != nil {
					return err
				}
				cur.Counter++
				cur.CtrData = nextCtr(cur.CtrData)
				return tx.UpdateActivation(ctx, &cur)
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	for _, err := range errs {
		require.NoError(t, err)
	}
	got, err := s.GetActivation(ctx, a.ActivationID)
	require.NoError(t, err)
	require.Equal(t, int64(workers*rounds), got.Counter, "no lost updates")
	want := a.CtrData
	for range workers * rounds {
		want = nextCtr(want)
	}
	require.Equal(t, want, got.CtrData, "the hash counter advanced exactly once per increment")
	require.Equal(t, int64(workers*rounds), got.Revision)
}

// testCompareAndSwapOneWinner: 32 goroutines read the same revision, then
// all try to swap in counter+1; exactly one may win.
func testCompareAndSwapOneWinner(t *testing.T, s store.Store) {
	const workers = 32
	ctx := context.Background()
	app := newApp(t, s)
	a := newActivation(t, s, app.ID, "cas", func(a *domain.Activation) { a.Counter = 100 })

	reads := make([]domain.Activation, workers)
	var read sync.WaitGroup
	read.Add(workers)
	errs := parallel(workers, func(i int) error {
		cur, err := s.GetActivation(ctx, a.ActivationID)
		read.Done()
		if err != nil {
			return err
		}
		read.Wait() // everyone has read before anyone writes
		reads[i] = cur
		cur.Counter++
		cur.CtrData = nextCtr(cur.CtrData)
		return s.InTx(ctx, func(tx store.Tx) error { return tx.CompareAndSwapActivation(ctx, &cur) })
	})
	wins := 0
	for i, err := range errs {
		require.Equal(t, int64(100), reads[i].Counter)
		if err == nil {
			wins++
			continue
		}
		require.ErrorIs(t, err, store.ErrConflict)
	}
	require.Equal(t, 1, wins, "exactly one compare-and-set wins")
	got, err := s.GetActivation(ctx, a.ActivationID)
	require.NoError(t, err)
	require.Equal(t, int64(101), got.Counter)
	require.Equal(t, nextCtr(a.CtrData), got.CtrData)
}

// testFailedAttemptsBlockAtLimit: 50 concurrent failed attempts against a
// limit of 5 stop at exactly 5 and block the activation.
func testFailedAttemptsBlockAtLimit(t *testing.T, s store.Store) {
	const workers, limit = 50, 5
	ctx := context.Background()
	app := newApp(t, s)
	a := newActivation(t, s, app.ID, "fails", func(a *domain.Activation) { a.MaxFailedAttempts = limit })
	errs := parallel(workers, func(int) error {
		return s.InTx(ctx, func(tx store.Tx) error {
			cur, err := tx.GetActivationForUpdate(ctx, a.ActivationID)
			if err != nil || cur.Status != domain.ActivationActive {
				return err
			}
			cur.FailedAttempts++
			if cur.FailedAttempts >= cur.MaxFailedAttempts {
				cur.Status, cur.BlockedReason = domain.ActivationBlocked, domain.BlockedReasonMaxFailedAttempts
			}
			return tx.UpdateActivation(ctx, &cur)
		})
	})
	for _, err := range errs {
		require.NoError(t, err)
	}
	got, err := s.GetActivation(ctx, a.ActivationID)
	require.NoError(t, err)
	require.Equal(t, int64(limit), got.FailedAttempts)
	require.Equal(t, domain.ActivationBlocked, got.Status)
	require.Equal(t, domain.BlockedReasonMaxFailedAttempts, got.BlockedReason)
}

// testConcurrentStatusTransitions: concurrent block, unblock and remove,
// half through row locks and half through compare-and-set, each writing a
// history entry with its transition. The history must be one legal path
// from ACTIVE, end in the final state, and contain nothing after REMOVED.
func testConcurrentStatusTransitions(t *testing.T, s store.Store) {
	const workers = 60
	ctx := context.Background()
	app := newApp(t, s)
	a := newActivation(t, s, app.ID, "transitions")

	type op int
	const (
		block op = iota
		unblock
		remove
	)
	// apply performs o on cur in place if it is legal; it reports whether it did.
	apply := func(o op, cur *domain.Activation) bool {
		switch {
		case o == block && cur.Status == domain.ActivationActive:
			cur.Status, cur.BlockedReason = domain.ActivationBlocked, domain.BlockedReasonNotSpecified
		case o == unblock && cur.Status == domain.ActivationBlocked:
			cur.Status, cur.BlockedReason, cur.FailedAttempts = domain.ActivationActive, "", 0
		case o == remove && cur.Status != domain.ActivationRemoved:
			cur.Status = domain.ActivationRemoved
		default:
			return false
		}
		return true
	}
	record := func(ctx context.Context, tx store.Tx, cur domain.Activation) error {
		return tx.CreateActivationHistory(ctx, &domain.ActivationHistory{
			ActivationID: cur.ActivationID, Status: cur.Status, Created: base, ActivationVersion: cur.Version,
		})
	}
	errs := parallel(workers, func(i int) error {
		// Even workers lock the row, odd ones compare-and-set; both kinds
		// alternate block and unblock, and four of them remove.
		o := op((i / 2) % 2)
		if i == 20 || i == 21 || i == 40 || i == 41 {
			o = remove
		}
		if i%2 == 0 {
			return s.InTx(ctx, func(tx store.Tx) error { // row lock
				cur, err := tx.GetActivationForUpdate(ctx, a.ActivationID)
				if err != nil || !apply(o, &cur) {
					return err
				}
				if err := tx.UpdateActivation(ctx, &cur); err != nil {
					return err
				}
				return record(ctx, tx, cur)
			})
		}
		cur, err := s.GetActivation(ctx, a.ActivationID) // optimistic
		if err != nil || !apply(o, &cur) {
			return err
		}
		err = s.InTx(ctx, func(tx store.Tx) error {
			c := cur
			if err := tx.CompareAndSwapActivation(ctx, &c); err != nil {
				return err
			}
			return record(ctx, tx, c)
		})
		if errors.Is(err, store.ErrConflict) {
			return nil // lost the race: a legal outcome
		}
		return err
	})
	for _, err := range errs {
		require.NoError(t, err)
	}

	hist, err := s.ListActivationHistory(ctx, a.ActivationID, base, base)
	require.NoError(t, err)
	require.NotEmpty(t, hist)
	state, removed := domain.ActivationActive, 0
	for i, h := range hist {
		require.NotEqual(t, domain.ActivationRemoved, state, "entry %d follows REMOVED", i)
		switch h.Status {
		case domain.ActivationBlocked:
			require.Equal(t, domain.ActivationActive, state, "entry %d: BLOCKED only from ACTIVE", i)
		case domain.ActivationActive:
			require.Equal(t, domain.ActivationBlocked, state, "entry %d: ACTIVE only from BLOCKED", i)
		case domain.ActivationRemoved:
			removed++
		default:
			t.Fatalf("entry %d: unexpected status %v", i, h.Status)
		}
		state = h.Status
	}
	require.Equal(t, 1, removed, "removed exactly once")
	got, err := s.GetActivation(ctx, a.ActivationID)
	require.NoError(t, err)
	require.Equal(t, domain.ActivationRemoved, got.Status, "REMOVED is terminal and the final state")
	require.Equal(t, int64(len(hist)), got.Revision, "one update per recorded transition")
}

// testUniqueValueOneWinner: 32 goroutines insert the same replay-cache
// value; exactly one succeeds.
func testUniqueValueOneWinner(t *testing.T, s store.Store) {
	const workers = 32
	ctx := context.Background()
	v := domain.UniqueValue{Type: domain.UniqueValueMACToken, Value: uid(), Expires: base}
	errs := parallel(workers, func(int) error {
		return s.InTx(ctx, func(tx store.Tx) error { return tx.InsertUniqueValue(ctx, v) })
	})
	wins := 0
	for _, err := range errs {
		if err == nil {
			wins++
			continue
		}
		require.ErrorIs(t, err, store.ErrAlreadyExists)
	}
	require.Equal(t, 1, wins)
}

// testActivationCodeOneWinner: 16 goroutines create CREATED activations
// with the same code; exactly one may hold it.
func testActivationCodeOneWinner(t *testing.T, s store.Store) {
	const workers = 16
	ctx := context.Background()
	app := newApp(t, s)
	code := "RACE" + uid()[:8]
	errs := parallel(workers, func(int) error {
		a := activation(app.ID, "racer")
		a.Status, a.ActivationCode = domain.ActivationCreated, code
		return s.InTx(ctx, func(tx store.Tx) error { return tx.CreateActivation(ctx, &a) })
	})
	wins := 0
	for _, err := range errs {
		if err == nil {
			wins++
			continue
		}
		require.ErrorIs(t, err, store.ErrAlreadyExists)
	}
	require.Equal(t, 1, wins)
	_, err := s.GetActivationByCode(ctx, code)
	require.NoError(t, err)
}

// testExpiryWorkersDisjoint: four expiry jobs (as on four nodes) take
// batches of expired activations concurrently; every activation must be
// removed exactly once.
func testExpiryWorkersDisjoint(t *testing.T, s store.Store) {
	const workers, expired, batch = 4, 24, 3
	ctx := context.Background()
	app := newApp(t, s)
	// Far in the past, so that no other test's activations qualify.
	now := at(-24 * time.Hour)
	for i := range expired {
		newActivation(t, s, app.ID, "expiry", func(a *domain.Activation) {
			a.Status, a.ActivationExpire = domain.ActivationCreated, now.Add(-time.Duration(i+1)*time.Second)
		})
	}
	errs := parallel(workers, func(int) error {
		for {
			n := 0
			err := s.InTx(ctx, func(tx store.Tx) error {
				found, err := tx.ListExpiredActivationsForUpdate(ctx, now, batch)
				if err != nil {
					return err
				}
				n = len(found)
				for _, a := range found {
					a.Status = domain.ActivationRemoved
					if err := tx.UpdateActivation(ctx, &a); err != nil {
						return err
					}
					h := domain.ActivationHistory{ActivationID: a.ActivationID, Status: a.Status, EventReason: "EXPIRED", Created: now}
					if err := tx.CreateActivationHistory(ctx, &h); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil || n == 0 {
				return err
			}
		}
	})
	for _, err := range errs {
		require.NoError(t, err)
	}
	all, err := s.ListActivations(ctx, store.ActivationListFilter{UserID: "expiry"})
	require.NoError(t, err)
	require.Len(t, all, expired)
	for _, a := range all {
		require.Equal(t, domain.ActivationRemoved, a.Status)
		require.Equal(t, int64(1), a.Revision, "updated exactly once")
		hist, err := s.ListActivationHistory(ctx, a.ActivationID, time.Time{}, time.Time{})
		require.NoError(t, err)
		require.Len(t, hist, 1, "removed by exactly one worker")
	}
}
