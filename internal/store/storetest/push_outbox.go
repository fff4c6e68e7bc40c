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

func testPushCredentials(t *testing.T, s store.Store) {
	ctx := context.Background()
	app := newApp(t, s)
	_, err := s.GetPushCredentials(ctx, app.ID)
	require.ErrorIs(t, err, store.ErrNotFound)

	c := domain.PushCredentials{
		ApplicationID: app.ID, APNsKey: []byte("sealed-p8"), APNsKeyID: "ABCDE12345", APNsTeamID: "TEAM123456",
		APNsBundle: "com.example.app", APNsEnvironment: "production", Created: at(0), Updated: at(0),
	}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.PutPushCredentials(ctx, &c) })
	got, err := s.GetPushCredentials(ctx, app.ID)
	require.NoError(t, err)
	require.Equal(t, c, got)

	// Replacing keeps Created; removing a provider stores NULLs.
	c2 := c
	c2.APNsKey, c2.APNsKeyID, c2.APNsTeamID, c2.APNsBundle, c2.APNsEnvironment = nil, "", "", "", ""
	c2.FCMKey, c2.FCMProjectID = []byte("sealed-json"), "proj-1"
	c2.HMSClientID, c2.HMSClientSecret, c2.HMSProjectID = "1234", []byte("sealed-secret"), "hms-proj"
	c2.Created, c2.Updated = at(time.Hour), at(time.Hour)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.PutPushCredentials(ctx, &c2) })
	got, err = s.GetPushCredentials(ctx, app.ID)
	require.NoError(t, err)
	want := c2
	want.Created = at(0)
	require.Equal(t, want, got)

	all, err := s.ListPushCredentials(ctx)
	require.NoError(t, err)
	require.Contains(t, all, want)

	bad := domain.PushCredentials{ApplicationID: app.ID + 1_000_000, Created: at(0), Updated: at(0)}
	require.ErrorIs(t, txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.PutPushCredentials(ctx, &bad) }), store.ErrConflict)
}

func newPushMessage(appID int64, activationID string, next time.Time) domain.PushMessage {
	return domain.PushMessage{
		ApplicationID: appID, ActivationID: activationID, UserID: "user", Platform: "apns", Token: "aabbcc",
		Environment: "development", Body: []byte(`{"title":"t"}`), Personal: true, Status: domain.PushMessagePending,
		Created: at(0), Next: next,
	}
}

func testPushMessages(t *testing.T, s store.Store) {
	ctx := context.Background()
	app := newApp(t, s)
	act := newActivation(t, s, app.ID, "user-"+uid())
	m1 := newPushMessage(app.ID, act.ActivationID, at(0))
	m2 := newPushMessage(app.ID, act.ActivationID, at(time.Minute))
	m2.Personal, m2.Environment = false, ""
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreatePushMessage(ctx, &m1); err != nil {
			return err
		}
		return tx.CreatePushMessage(ctx, &m2)
	})
	require.NotZero(t, m1.ID)
	require.Greater(t, m2.ID, m1.ID)
	got, err := s.GetPushMessage(ctx, m2.ID)
	require.NoError(t, err)
	require.Equal(t, m2, got)
	n, err := s.CountPushMessages(ctx, domain.PushMessagePending)
	require.NoError(t, err)
	require.GreaterOrEqual(t, n, int64(2))

	// Only the due message is claimed; it stays PENDING under the lease.
	var claimed []domain.PushMessage
	inTx(t, s, func(ctx context.Context, tx store.Tx) (err error) {
		claimed, err = tx.ClaimPushMessages(ctx, at(30*time.Second), at(2*time.Minute), "lease-a", 10)
		return err
	})
	require.Len(t, claimed, 1)
	require.Equal(t, m1.ID, claimed[0].ID)
	require.Equal(t, 1, claimed[0].Attempts)
	got, err = s.GetPushMessage(ctx, m1.ID)
	require.NoError(t, err)
	require.Equal(t, claimed[0], got)
	require.Equal(t, domain.PushMessagePending, got.Status)

	// Claimed rows are not claimed again until the lease ends.
	inTx(t, s, func(ctx context.Context, tx store.Tx) (err error) {
		claimed, err = tx.ClaimPushMessages(ctx, at(90*time.Second), at(3*time.Minute), "lease-b", 10)
		return err
	})
	require.Len(t, claimed, 1)
	require.Equal(t, m2.ID, claimed[0].ID)

	// After the lease of m1 expired another dispatcher takes it over; the
	// first one's finish is then refused.
	inTx(t, s, func(ctx context.Context, tx store.Tx) (err error) {
		claimed, err = tx.ClaimPushMessages(ctx, at(2*time.Minute), at(4*time.Minute), "lease-c", 10)
		return err
	})
	require.Len(t, claimed, 1)
	require.Equal(t, m1.ID, claimed[0].ID)
	require.Equal(t, 2, claimed[0].Attempts)
	done := claimed[0]
	done.Status, done.Finished, done.Next = domain.PushMessageSent, at(2*time.Minute), at(2*time.Minute)
	require.ErrorIs(t, txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.FinishPushMessage(ctx, &done, "lease-a") }), store.ErrConflict)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.FinishPushMessage(ctx, &done, "lease-c") })
	got, err = s.GetPushMessage(ctx, m1.ID)
	require.NoError(t, err)
	require.Equal(t, done, got)
	require.Empty(t, got.Lease)

	// A retry: back to PENDING with a later Next, free for any dispatcher.
	retry := newPushMessage(app.ID, act.ActivationID, at(0))
	retry.ID, retry.Attempts, retry.Reason, retry.Next = m2.ID, 1, "transient: 503", at(10*time.Minute)
	retry.Personal, retry.Environment = false, ""
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.FinishPushMessage(ctx, &retry, "lease-b") })
	got, err = s.GetPushMessage(ctx, m2.ID)
	require.NoError(t, err)
	require.Equal(t, retry, got)

	list, err := s.ListPushMessages(ctx, act.ActivationID, 0)
	require.NoError(t, err)
	require.Len(t, list, 2)
	require.Equal(t, []int64{m1.ID, m2.ID}, []int64{list[0].ID, list[1].ID})
}

func testPushClaimOneWinner(t *testing.T, s store.Store) {
	ctx := context.Background()
	app := newApp(t, s)
	act := newActivation(t, s, app.ID, "user-"+uid())
	const total = 40
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		for range total {
			m := newPushMessage(app.ID, act.ActivationID, at(0))
			if err := tx.CreatePushMessage(ctx, &m); err != nil {
				return err
			}
		}
		return nil
	})
	var (
		mu   sync.Mutex
		seen = map[int64]int{}
		wg   sync.WaitGroup
	)
	for w := range 4 {
		wg.Go(func() {
			for {
				var got []domain.PushMessage
				err := s.InTx(ctx, func(tx store.Tx) (err error) {
					got, err = tx.ClaimPushMessages(ctx, at(time.Second), at(time.Hour), "lease-"+string(rune('a'+w)), 3)
					return err
				})
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, m := range got {
					if m.ActivationID == act.ActivationID {
						seen[m.ID]++
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	require.Len(t, seen, total, "every message claimed")
	for id, n := range seen {
		require.Equal(t, 1, n, "message %d claimed once", id)
	}
}

func testPushDevicesByToken(t *testing.T, s store.Store) {
	ctx := context.Background()
	app := newApp(t, s)
	a1 := newActivation(t, s, app.ID, "user-"+uid())
	a2 := newActivation(t, s, app.ID, "user-"+uid())
	for i, a := range []domain.Activation{a1, a2} {
		d := domain.PushDevice{ActivationID: a.ActivationID, ApplicationID: app.ID, UserID: a.UserID, Platform: "fcm",
			Token: "tok-" + string(rune('1'+i)), Created: at(0), LastRegistered: at(0)}
		inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.PutPushDevice(ctx, &d) })
	}
	var n int64
	inTx(t, s, func(ctx context.Context, tx store.Tx) (err error) {
		n, err = tx.DeletePushDevicesByToken(ctx, app.ID, "tok-1")
		return err
	})
	require.Equal(t, int64(1), n)
	_, err := s.GetPushDevice(ctx, a1.ActivationID)
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.GetPushDevice(ctx, a2.ActivationID)
	require.NoError(t, err)
}

// testDeliverablePushMessages: a message is deliverable while its
// activation holds a registration with the message's application and
// token and is not REMOVED (ACTIVE for a personal message).
func testDeliverablePushMessages(t *testing.T, s store.Store) {
	ctx := context.Background()
	app := newApp(t, s)
	active := newActivation(t, s, app.ID, "user-"+uid(), func(a *domain.Activation) { a.Status = domain.ActivationActive })
	blocked := newActivation(t, s, app.ID, "user-"+uid(), func(a *domain.Activation) { a.Status = domain.ActivationBlocked })
	removed := newActivation(t, s, app.ID, "user-"+uid(), func(a *domain.Activation) { a.Status = domain.ActivationRemoved })
	unregistered := newActivation(t, s, app.ID, "user-"+uid(), func(a *domain.Activation) { a.Status = domain.ActivationActive })
	for _, a := range []domain.Activation{active, blocked, removed} {
		inTx(t, s, func(ctx context.Context, tx store.Tx) error {
			return tx.AddPushDevice(ctx, &domain.PushDevice{ActivationID: a.ActivationID, ApplicationID: app.ID, UserID: a.UserID,
				Platform: "apns", Token: "aabbcc", Created: at(0), LastRegistered: at(0)})
		})
	}
	msg := func(a domain.Activation, personal bool, token string) domain.PushMessage {
		m := newPushMessage(app.ID, a.ActivationID, at(0))
		m.Personal, m.Token = personal, token
		inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreatePushMessage(ctx, &m) })
		return m
	}
	cases := []struct {
		m    domain.PushMessage
		want bool
	}{
		{msg(active, true, "aabbcc"), true},
		{msg(active, false, "aabbcc"), true},
		{msg(active, false, "ddeeff"), false}, // token changed since queued
		{msg(blocked, false, "aabbcc"), true},
		{msg(blocked, true, "aabbcc"), false},
		{msg(removed, false, "aabbcc"), false},
		{msg(unregistered, false, "aabbcc"), false},
	}
	var ids, want []int64
	for _, c := range cases {
		ids = append(ids, c.m.ID)
		if c.want {
			want = append(want, c.m.ID)
		}
	}
	got, err := s.DeliverablePushMessages(ctx, append(ids, 1<<40))
	require.NoError(t, err)
	require.Equal(t, want, got)
	got, err = s.DeliverablePushMessages(ctx, nil)
	require.NoError(t, err)
	require.Empty(t, got)
}

// testFinishPushMessagesSent: the claimed messages under the lease become
// SENT in one statement; others (another lease, not claimed) are left
// alone and not counted.
func testFinishPushMessagesSent(t *testing.T, s store.Store) {
	ctx := context.Background()
	app := newApp(t, s)
	act := newActivation(t, s, app.ID, "user-"+uid())
	var ms []domain.PushMessage
	for range 4 {
		m := newPushMessage(app.ID, act.ActivationID, at(0))
		inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreatePushMessage(ctx, &m) })
		ms = append(ms, m)
	}
	var claimed []domain.PushMessage
	inTx(t, s, func(ctx context.Context, tx store.Tx) (err error) {
		claimed, err = tx.ClaimPushMessages(ctx, at(time.Second), at(time.Minute), "lease-s", 3)
		return err
	})
	require.Len(t, claimed, 3)
	var n int64
	inTx(t, s, func(ctx context.Context, tx store.Tx) (err error) {
		n, err = tx.FinishPushMessagesSent(ctx, []int64{claimed[0].ID, claimed[1].ID, ms[3].ID}, "lease-s", at(2*time.Second))
		return err
	})
	require.Equal(t, int64(2), n, "the unclaimed message is not under the lease")
	for i, m := range ms {
		got, err := s.GetPushMessage(ctx, m.ID)
		require.NoError(t, err)
		if i < 2 {
			require.Equal(t, domain.PushMessageSent, got.Status)
			require.Empty(t, got.Lease)
			require.Empty(t, got.Reason)
			require.Equal(t, 1, got.Attempts)
			require.True(t, got.Finished.Equal(at(2*time.Second)), "finished %v", got.Finished)
		} else {
			require.Equal(t, domain.PushMessagePending, got.Status)
		}
	}
	inTx(t, s, func(ctx context.Context, tx store.Tx) (err error) {
		n, err = tx.FinishPushMessagesSent(ctx, []int64{claimed[2].ID}, "other-lease", at(3*time.Second))
		return err
	})
	require.Zero(t, n)
	inTx(t, s, func(ctx context.Context, tx store.Tx) (err error) {
		n, err = tx.FinishPushMessagesSent(ctx, nil, "lease-s", at(3*time.Second))
		return err
	})
	require.Zero(t, n)
}
