package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

func testPushCampaigns(t *testing.T, s store.Store) {
	ctx := context.Background()
	app := newApp(t, s)
	c := domain.PushCampaign{ApplicationID: app.ID, Message: []byte(`{"title":"sale"}`), Status: domain.PushCampaignCreated, Created: at(0)}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreatePushCampaign(ctx, &c) })
	require.NotZero(t, c.ID)
	got, err := s.GetPushCampaign(ctx, c.ID)
	require.NoError(t, err)
	require.Equal(t, c, got)

	// Users: added in bulk (duplicates skipped), paged in id order, removed.
	users := make([]string, 2500)
	for i := range users {
		users[i] = fmt.Sprintf("u%05d", i)
	}
	var n int64
	inTx(t, s, func(ctx context.Context, tx store.Tx) (err error) {
		n, err = tx.AddPushCampaignUsers(ctx, c.ID, append(users, "u00001", "u00002"), at(0))
		return err
	})
	require.Equal(t, int64(2500), n)
	page, err := s.ListPushCampaignUsers(ctx, c.ID, 1000, 3)
	require.NoError(t, err)
	require.Equal(t, []string{"u01000", "u01001", "u01002"}, page)
	inTx(t, s, func(ctx context.Context, tx store.Tx) (err error) {
		n, err = tx.DeletePushCampaignUsers(ctx, c.ID, []string{"u00000", "nobody"})
		return err
	})
	require.Equal(t, int64(1), n)

	// Devices of u00001 (two activations, one REMOVED) and u00003.
	reg := func(user string, mods ...func(*domain.Activation)) domain.Activation {
		a := newActivation(t, s, app.ID, user, mods...)
		d := domain.PushDevice{ActivationID: a.ActivationID, ApplicationID: app.ID, UserID: user, Platform: "apns", Token: "tok-" + a.ActivationID, Created: at(0), LastRegistered: at(0)}
		inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.PutPushDevice(ctx, &d) })
		return a
	}
	reg("u00001")
	reg("u00001", func(a *domain.Activation) { a.Status = domain.ActivationRemoved })
	reg("u00003")

	// Batches of two users: u00001, u00002 | u00003, u00004 | … | none left.
	queue := func(c domain.PushCampaign) (last string, n int64) {
		inTx(t, s, func(ctx context.Context, tx store.Tx) (err error) {
			last, n, err = tx.QueuePushCampaignBatch(ctx, c, []byte(`{"title":"sale"}`), 2, at(time.Minute))
			return err
		})
		return last, n
	}
	last, q := queue(c)
	require.Equal(t, "u00002", last)
	require.Equal(t, int64(1), q, "the REMOVED activation is skipped")
	again, q := queue(c)
	require.Equal(t, "u00002", again)
	require.Zero(t, q, "a device is queued once per campaign")
	from := c
	c.Cursor, c.Status, c.Sent = last, domain.PushCampaignSending, at(time.Minute)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdatePushCampaign(ctx, &c, from) })
	require.ErrorIs(t, txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.UpdatePushCampaign(ctx, &c, from) }), store.ErrConflict,
		"compare-and-set on status and cursor")
	last, q = queue(c)
	require.Equal(t, "u00004", last)
	require.Equal(t, int64(1), q)
	end := c
	end.Cursor = "u02499"
	last, q = queue(end)
	require.Empty(t, last)
	require.Zero(t, q)

	msgs, err := s.ListPushMessages(ctx, "", 0)
	require.NoError(t, err)
	var mine []domain.PushMessage
	for _, m := range msgs {
		if m.CampaignID == c.ID {
			mine = append(mine, m)
		}
	}
	require.Len(t, mine, 2)
	require.Equal(t, domain.PushMessagePending, mine[0].Status)
	require.Equal(t, at(time.Minute), mine[0].Next)

	p, err := s.PushCampaignProgress(ctx, c.ID)
	require.NoError(t, err)
	require.Equal(t, domain.PushCampaignProgress{Pending: 2, Total: 2}, p)
	inTx(t, s, func(ctx context.Context, tx store.Tx) (err error) {
		n, err = tx.FailPushCampaignMessages(ctx, c.ID, "campaign canceled", at(2*time.Minute))
		return err
	})
	require.Equal(t, int64(2), n)
	p, err = s.PushCampaignProgress(ctx, c.ID)
	require.NoError(t, err)
	require.Equal(t, domain.PushCampaignProgress{Failed: 2, Total: 2}, p)

	list, err := s.ListPushCampaigns(ctx, false)
	require.NoError(t, err)
	for _, l := range list {
		require.NotEqual(t, c.ID, l.ID, "a SENDING campaign is not in the unsent list")
	}
	list, err = s.ListPushCampaigns(ctx, true)
	require.NoError(t, err)
	require.Contains(t, list, c)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeletePushCampaign(ctx, c.ID) })
	_, err = s.GetPushCampaign(ctx, c.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
}
