package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// testEvents checks the callback outbox, callback secrets and the audit log.
func testEvents(t *testing.T, newStore Factory) {
	t.Run("CallbackEvents", func(t *testing.T) { testCallbackEvents(t, newStore(t)) })
	t.Run("CallbackEventOrder", func(t *testing.T) { testCallbackEventOrder(t, newStore(t)) })
	t.Run("CallbackEventClaimDisjoint", func(t *testing.T) { testCallbackEventClaimDisjoint(t, newStore(t)) })
	t.Run("CallbackEventQueueDepth", func(t *testing.T) { testCallbackEventQueueDepth(t, newStore(t)) })
	t.Run("CallbackSecrets", func(t *testing.T) { testCallbackSecrets(t, newStore(t)) })
	t.Run("AuditLog", func(t *testing.T) { testAuditLog(t, newStore(t)) })
}

// newCallback stores an enabled activation callback of a new application.
func newCallback(t *testing.T, s store.Store) domain.CallbackURL {
	t.Helper()
	app := newApp(t, s)
	cb := domain.CallbackURL{ID: uid(), ApplicationID: app.ID, Name: "cb", URL: "https://example.test/cb",
		Type: domain.CallbackActivationStatusChange, Enabled: true, Created: base}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateCallbackURL(ctx, &cb) })
	return cb
}

// newEvent stores a PENDING event due at next.
func newEvent(t *testing.T, s store.Store, callbackID, key string, next time.Time) domain.CallbackEvent {
	t.Helper()
	e := domain.CallbackEvent{CallbackID: callbackID, OrderingKey: key, Payload: []byte(`{"type":"ACTIVATION","activationId":"` + key + `"}`),
		Status: domain.CallbackEventPending, IdempotencyKey: uid(), Created: base, NextCall: next}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateCallbackEvent(ctx, &e) })
	require.NotZero(t, e.ID)
	return e
}

// claim claims up to limit events at now and fails the test on error.
func claim(t *testing.T, s store.Store, now time.Time, lease string, limit int) []domain.CallbackEvent {
	t.Helper()
	var out []domain.CallbackEvent
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		out, err = tx.ClaimCallbackEvents(ctx, now, now.Add(time.Minute), lease, limit)
		return err
	})
	return out
}

func eventIDs(es []domain.CallbackEvent) []int64 {
	ids := make([]int64, len(es))
	for i, e := range es {
		ids[i] = e.ID
	}
	return ids
}

func testCallbackEvents(t *testing.T, s store.Store) {
	ctx := context.Background()
	cb := newCallback(t, s)
	e := newEvent(t, s, cb.ID, "a1", base)
	got, err := s.GetCallbackEvent(ctx, e.ID)
	require.NoError(t, err)
	require.Equal(t, e, got)
	_, err = s.GetCallbackEvent(ctx, e.ID+1000)
	require.ErrorIs(t, err, store.ErrNotFound)

	require.ErrorIs(t, txErr(s, func(ctx context.Context, tx store.Tx) error {
		bad := e
		bad.CallbackID = uid()
		return tx.CreateCallbackEvent(ctx, &bad)
	}), store.ErrConflict, "unknown callback")

	future := newEvent(t, s, cb.ID, "a2", at(time.Hour))
	require.Empty(t, claim(t, s, at(-time.Second), "early", 10), "nothing due yet")

	claimed := claim(t, s, base, "L1", 10)
	require.Equal(t, []int64{e.ID}, eventIDs(claimed), "only the due event")
	require.Equal(t, domain.CallbackEventProcessing, claimed[0].Status)
	require.Equal(t, "L1", claimed[0].Lease)
	stored, err := s.GetCallbackEvent(ctx, e.ID)
	require.NoError(t, err)
	require.Equal(t, claimed[0], stored)
	require.Empty(t, claim(t, s, at(time.Second), "L2", 10), "a PROCESSING event is not claimed again before its rerun time")

	// A stale lease cannot finish the event.
	done := claimed[0]
	done.Status, done.Attempts, done.LastCall, done.DeleteAfter = domain.CallbackEventCompleted, 1, at(time.Second), at(time.Hour)
	require.ErrorIs(t, txErr(s, func(ctx context.Context, tx store.Tx) error {
		d := done
		return tx.FinishCallbackEvent(ctx, &d, "other")
	}), store.ErrConflict)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.FinishCallbackEvent(ctx, &done, "L1") })
	stored, err = s.GetCallbackEvent(ctx, e.ID)
	require.NoError(t, err)
	require.Equal(t, done, stored)
	require.Equal(t, domain.CallbackEventCompleted, stored.Status)
	require.Empty(t, stored.Lease)
	require.ErrorIs(t, txErr(s, func(ctx context.Context, tx store.Tx) error {
		d := done
		return tx.FinishCallbackEvent(ctx, &d, "L1")
	}), store.ErrConflict, "a final event cannot be finished twice")

	// A vanished dispatcher's claim expires.
	late := claim(t, s, at(time.Hour), "L3", 10)
	require.Equal(t, []int64{future.ID}, eventIDs(late))
	require.Empty(t, claim(t, s, at(time.Hour+30*time.Second), "L4", 10))
	again := claim(t, s, at(time.Hour+time.Minute), "L5", 10)
	require.Equal(t, []int64{future.ID}, eventIDs(again), "re-claimed after its rerun time")
	require.Equal(t, "L5", again[0].Lease)

	list, err := s.ListCallbackEvents(ctx, store.CallbackEventFilter{CallbackID: cb.ID})
	require.NoError(t, err)
	require.Equal(t, []int64{e.ID, future.ID}, eventIDs(list))
	list, err = s.ListCallbackEvents(ctx, store.CallbackEventFilter{Status: domain.CallbackEventCompleted})
	require.NoError(t, err)
	require.Equal(t, []int64{e.ID}, eventIDs(list))
	list, err = s.ListCallbackEvents(ctx, store.CallbackEventFilter{OrderingKey: "a2", Limit: 1})
	require.NoError(t, err)
	require.Equal(t, []int64{future.ID}, eventIDs(list))

	// Retention purge removes only final events past their time.
	var n int64
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		n, err = tx.DeleteExpiredCallbackEvents(ctx, at(time.Hour-time.Millisecond), 10)
		return err
	})
	require.Zero(t, n)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		n, err = tx.DeleteExpiredCallbackEvents(ctx, at(48*time.Hour), 10)
		return err
	})
	require.EqualValues(t, 1, n)
	_, err = s.GetCallbackEvent(ctx, e.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.GetCallbackEvent(ctx, future.ID)
	require.NoError(t, err, "a PROCESSING event is never purged")
}

func testCallbackEventOrder(t *testing.T, s store.Store) {
	cb, other := newCallback(t, s), newCallback(t, s)
	a1 := newEvent(t, s, cb.ID, "act-a", base)
	b1 := newEvent(t, s, cb.ID, "act-b", base)
	a2 := newEvent(t, s, cb.ID, "act-a", base)
	o1 := newEvent(t, s, other.ID, "act-a", base)
	first := claim(t, s, base, "L1", 10)
	require.Equal(t, []int64{a1.ID, b1.ID, o1.ID}, eventIDs(first), "one event per callback and activation at a time")
	require.Empty(t, claim(t, s, base, "L2", 10))

	// a1 fails and waits for a retry: a2 still waits behind it.
	retry := first[0]
	retry.Status, retry.Attempts, retry.NextCall = domain.CallbackEventPending, 1, at(30*time.Second)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.FinishCallbackEvent(ctx, &retry, "L1") })
	require.Empty(t, claim(t, s, at(time.Second), "L3", 10))
	require.Equal(t, []int64{a1.ID}, eventIDs(claim(t, s, at(30*time.Second), "L4", 10)))
	final := retry
	final.Status, final.Attempts = domain.CallbackEventFailed, 2
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.FinishCallbackEvent(ctx, &final, "L4") })
	require.Equal(t, []int64{a2.ID}, eventIDs(claim(t, s, at(30*time.Second), "L5", 10)), "a FAILED event releases the next one")
}

func testCallbackEventClaimDisjoint(t *testing.T, s store.Store) {
	cb := newCallback(t, s)
	const n = 40
	for i := range n {
		newEvent(t, s, cb.ID, uid()+string(rune('a'+i%26)), base)
	}
	var (
		mu   sync.Mutex
		seen = map[int64]int{}
		wg   sync.WaitGroup
	)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				var got []domain.CallbackEvent
				err := s.InTx(context.Background(), func(tx store.Tx) error {
					var err error
					got, err = tx.ClaimCallbackEvents(context.Background(), base, at(time.Hour), uid(), 3)
					return err
				})
				if err != nil {
					t.Errorf("worker %d: %v", w, err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, e := range got {
					seen[e.ID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	require.Len(t, seen, n)
	for id, c := range seen {
		require.Equal(t, 1, c, "event %d claimed more than once", id)
	}
}

// queued returns CountQueuedCallbackEvents read on the Store, in View and
// in InTx, failing the test unless all three agree.
func queued(t *testing.T, s store.Store) int64 {
	t.Helper()
	ctx := context.Background()
	n, err := s.CountQueuedCallbackEvents(ctx)
	require.NoError(t, err)
	require.NoError(t, s.View(ctx, func(r store.Reader) error {
		v, err := r.CountQueuedCallbackEvents(ctx)
		require.Equal(t, n, v, "in View")
		return err
	}))
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		v, err := tx.CountQueuedCallbackEvents(ctx)
		require.Equal(t, n, v, "in InTx")
		return err
	})
	return n
}

func testCallbackEventQueueDepth(t *testing.T, s store.Store) {
	require.Zero(t, queued(t, s), "empty outbox")
	cb, other := newCallback(t, s), newCallback(t, s)
	a := newEvent(t, s, cb.ID, "a", base)
	b := newEvent(t, s, cb.ID, "b", at(time.Hour)) // not due yet: still queued
	c := newEvent(t, s, other.ID, "c", base)
	require.EqualValues(t, 3, queued(t, s))

	claimed := claim(t, s, base, "L1", 10)
	require.Equal(t, []int64{a.ID, c.ID}, eventIDs(claimed))
	require.EqualValues(t, 3, queued(t, s), "PROCESSING events are still queued")

	finish := func(e domain.CallbackEvent, status domain.CallbackEventStatus) {
		e.Status, e.Attempts, e.LastCall = status, e.Attempts+1, at(time.Second)
		if status.Final() {
			e.DeleteAfter = at(time.Hour)
		} else {
			e.NextCall = at(time.Minute)
		}
		inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.FinishCallbackEvent(ctx, &e, "L1") })
	}
	finish(claimed[0], domain.CallbackEventPending) // a retry is still queued
	require.EqualValues(t, 3, queued(t, s))
	finish(claimed[1], domain.CallbackEventCompleted)
	require.EqualValues(t, 2, queued(t, s), "a COMPLETED event left the queue")

	retry := claim(t, s, at(time.Minute), "L1", 10)
	require.Equal(t, []int64{a.ID}, eventIDs(retry))
	finish(retry[0], domain.CallbackEventFailed)
	require.EqualValues(t, 1, queued(t, s), "a FAILED event left the queue")
	got, err := s.GetCallbackEvent(context.Background(), b.ID)
	require.NoError(t, err)
	require.Equal(t, domain.CallbackEventPending, got.Status)

	// Purged final events do not change the depth.
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.DeleteExpiredCallbackEvents(ctx, at(48*time.Hour), 10)
		return err
	})
	require.EqualValues(t, 1, queued(t, s))
}

func testCallbackSecrets(t *testing.T, s store.Store) {
	ctx := context.Background()
	cb := newCallback(t, s)
	_, err := s.GetCallbackSecret(ctx, cb.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.CreateCallbackSecret(ctx, cb.ID, []byte("sealed"), base)
	})
	got, err := s.GetCallbackSecret(ctx, cb.ID)
	require.NoError(t, err)
	require.Equal(t, []byte("sealed"), got)
	require.ErrorIs(t, txErr(s, func(ctx context.Context, tx store.Tx) error {
		return tx.CreateCallbackSecret(ctx, cb.ID, []byte("other"), base)
	}), store.ErrAlreadyExists)
	require.ErrorIs(t, txErr(s, func(ctx context.Context, tx store.Tx) error {
		return tx.CreateCallbackSecret(ctx, uid(), []byte("x"), base)
	}), store.ErrConflict)
}

func testAuditLog(t *testing.T, s store.Store) {
	ctx := context.Background()
	full := domain.AuditEntry{Created: base, Type: domain.AuditSignatureFailed, Actor: "integration:x",
		ActivationID: "act-1", UserID: "alice", Application: "app", IP: "192.0.2.1", UserAgent: "ua/1",
		Details: map[string]string{"signatureType": "possession_knowledge"}}
	minimal := domain.AuditEntry{Created: at(time.Minute), Type: domain.AuditAdminChange}
	other := domain.AuditEntry{Created: at(2 * time.Minute), Type: domain.AuditSignatureVerified, ActivationID: "act-2", UserID: "bob"}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, e := range []*domain.AuditEntry{&full, &minimal, &other} {
			if err := tx.CreateAuditEntry(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
	all, err := s.ListAuditEntries(ctx, store.AuditFilter{})
	require.NoError(t, err)
	require.Equal(t, []domain.AuditEntry{other, minimal, full}, all, "newest first")
	for _, tc := range []struct {
		name string
		f    store.AuditFilter
		want []domain.AuditEntry
	}{
		{"user", store.AuditFilter{UserID: "alice"}, []domain.AuditEntry{full}},
		{"activation", store.AuditFilter{ActivationID: "act-2"}, []domain.AuditEntry{other}},
		{"type", store.AuditFilter{Type: domain.AuditAdminChange}, []domain.AuditEntry{minimal}},
		{"from", store.AuditFilter{From: at(time.Minute)}, []domain.AuditEntry{other, minimal}},
		{"to", store.AuditFilter{To: at(time.Minute)}, []domain.AuditEntry{minimal, full}},
		{"limit", store.AuditFilter{Limit: 1}, []domain.AuditEntry{other}},
		{"none", store.AuditFilter{UserID: "carol"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ListAuditEntries(ctx, tc.f)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}
