package push

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/teststore"
)

// TestCampaignResumesAfterCrash runs a campaign in batches, "kills" the
// node after its first batch with messages in flight (claimed and sent,
// outcome not recorded), and restarts a new node on the same database:
// every device gets the campaign, only the in-flight sends repeat, and the
// repeats carry the same collapse id.
func TestCampaignResumesAfterCrash(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		r := newRig(t, st)
		const users = 30
		var ids []string
		for i := range users {
			user := fmt.Sprintf("user-%02d", i)
			ids = append(ids, user)
			act := fmt.Sprintf("act-%02d", i)
			newActivation(t, st, r.app.ID, act, user, domain.ActivationActive)
			require.NoError(t, r.svc.CreateDevice(ctx, DeviceRequest{AppID: r.app.Name, ActivationIDs: []string{act}, Platform: "apns", Token: fmt.Sprintf("%064x", i+1)}))
		}
		cfg := r.cfg
		cfg.CampaignBatch = 7
		node := NewService(st, r.box, cfg)

		id, err := node.CreateCampaign(ctx, r.app.Name, Body{Title: "Sale", Body: "Everything half price"})
		require.NoError(t, err)
		n, err := node.AddCampaignUsers(ctx, id, append(ids, "user-00", "nobody-registered"))
		require.NoError(t, err)
		require.Equal(t, int64(users+1), n)
		page, err := node.CampaignUsers(ctx, id, 1, 10)
		require.NoError(t, err)
		require.Equal(t, "user-09", page[0], "user id order: nobody-registered comes first")
		res, err := node.SendCampaignTest(ctx, id, "user-05")
		require.NoError(t, err)
		require.Equal(t, SendResult{APNs: Counts{Sent: 1, Total: 1}}, res)
		testSends := r.fake.Count()

		require.NoError(t, node.SendCampaignLive(ctx, id))
		require.Error(t, node.SendCampaignLive(ctx, id), "a campaign is sent live once")
		_, err = node.AddCampaignUsers(ctx, id, []string{"late"})
		require.True(t, IsBadRequest(err))
		queued, err := node.QueueCampaignsOnce(ctx)
		require.NoError(t, err)
		require.Equal(t, int64(6), queued, "7 users, one of them without a device")
		c, err := node.Campaign(ctx, id)
		require.NoError(t, err)
		require.Equal(t, domain.PushCampaignProgress{Pending: 6, Total: 6}, c.Progress, "progress is readable while it runs")

		// The crash: three messages claimed and sent, outcomes never recorded.
		var inflight []domain.PushMessage
		require.NoError(t, st.InTx(ctx, func(tx store.Tx) (err error) {
			now := node.now()
			inflight, err = tx.ClaimPushMessages(ctx, now, now.Add(cfg.Lease), "dead-node", 3)
			return err
		}))
		require.Len(t, inflight, 3)
		rc := &roundClients{s: node, m: map[int64]*roundEntry{}}
		for _, m := range inflight {
			out := node.deliver(ctx, rc, m, "dead-node", true, nil)
			require.Equal(t, domain.PushMessageSent, out.m.Status)
		}

		// Restart after the lease (and Apple's 20 minutes between provider
		// tokens) on the same database.
		r.clock.Advance(25 * time.Minute)
		restarted := NewService(st, r.box, cfg)
		for {
			q, err := restarted.QueueCampaignsOnce(ctx)
			require.NoError(t, err)
			d, err := restarted.DispatchOnce(ctx)
			require.NoError(t, err)
			if q == 0 && d == 0 {
				break
			}
		}
		c, err = restarted.Campaign(ctx, id)
		require.NoError(t, err)
		require.Equal(t, domain.PushCampaignSent, c.Status)
		require.Equal(t, domain.PushCampaignProgress{Sent: users, Total: users}, c.Progress)

		got := map[string]int{}
		collapse := map[string]bool{}
		for _, rec := range r.fake.Received()[testSends:] {
			got[rec.Token]++
			collapse[rec.Header.Get("apns-collapse-id")] = true
		}
		require.Len(t, got, users, "every device got the campaign")
		repeated := map[string]bool{}
		for tok, k := range got {
			if k > 1 {
				require.Equal(t, 2, k)
				repeated[tok] = true
			}
		}
		want := map[string]bool{}
		for _, m := range inflight {
			want[m.Token] = true
		}
		require.Equal(t, want, repeated, "only the sends in flight at the crash repeat")
		require.Equal(t, map[string]bool{fmt.Sprintf("campaign-%d", id): true}, collapse, "one collapse id for the whole campaign")
	})
}

func TestCampaignCancelAndDelete(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		r := newRig(t, st)
		r.device(t, "act-1", "erin", tokA, domain.ActivationActive)
		id, err := r.svc.CreateCampaign(ctx, r.app.Name, Body{Title: "x"})
		require.NoError(t, err)
		_, err = r.svc.AddCampaignUsers(ctx, id, []string{"erin"})
		require.NoError(t, err)
		require.NoError(t, r.svc.SendCampaignLive(ctx, id))
		_, err = r.svc.QueueCampaignsOnce(ctx)
		require.NoError(t, err)
		require.NoError(t, r.svc.CancelCampaign(ctx, id))
		c, err := r.svc.Campaign(ctx, id)
		require.NoError(t, err)
		require.Equal(t, domain.PushCampaignCanceled, c.Status)
		require.Equal(t, domain.PushCampaignProgress{Failed: 1, Total: 1}, c.Progress)
		n, err := r.svc.DispatchOnce(ctx)
		require.NoError(t, err)
		require.Zero(t, n)
		require.Zero(t, r.fake.Count())
		require.NoError(t, r.svc.DeleteCampaign(ctx, id))
		_, err = r.svc.Campaign(ctx, id)
		require.ErrorIs(t, err, ErrCampaignNotFound)
		_, err = r.svc.CreateCampaign(ctx, r.app.Name, Body{Body: string(make([]byte, 5000))})
		require.True(t, IsBadRequest(err))
	})
}
