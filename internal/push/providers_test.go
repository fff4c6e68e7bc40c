package push

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/push/apns"
	"github.com/mauth/mauth/internal/push/pushtest"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/teststore"
)

// withFCMAndHMS returns the rig's configuration pointed at new FCM and HMS
// fakes as well, with a client trusting all three fakes.
func withFCMAndHMS(t *testing.T, r *rig) (Config, *pushtest.FCM, *pushtest.HMS) {
	fcmFake := pushtest.NewFCM(t, "bank-project")
	hmsFake := pushtest.NewHMS(t, "10001", "hms-secret", "hms-project")
	pool := x509.NewCertPool()
	for _, c := range []*x509.Certificate{r.fake.Server.Certificate(), fcmFake.Server.Certificate(), hmsFake.Server.Certificate()} {
		pool.AddCert(c)
	}
	cfg := r.cfg
	cfg.HTTPClient = apns.NewHTTPClient(pool)
	cfg.FCMBaseURL, cfg.FCMTokenURL = fcmFake.URL(), fcmFake.TokenURL()
	cfg.HMSBaseURL, cfg.HMSTokenURL = hmsFake.URL(), hmsFake.TokenURL()
	return cfg, fcmFake, hmsFake
}

// TestFCMAndHMSThroughTheOutbox delivers through the FCM and HMS fakes
// (with their OAuth2 token endpoints): the Mobile Token keys arrive as FCM
// data strings and as the HMS data JSON string; FCM UNREGISTERED removes
// the registration and QUOTA_EXCEEDED keeps the message PENDING.
func TestFCMAndHMSThroughTheOutbox(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		r := newRig(t, st)
		cfg, fcmFake, hmsFake := withFCMAndHMS(t, r)
		svc := NewService(st, r.box, cfg)
		require.NoError(t, svc.SetFCM(ctx, r.app.Name, FCMCredentials{ServiceAccount: fcmFake.ServiceAccountJSON()}))
		require.NoError(t, svc.SetHMS(ctx, r.app.Name, HMSCredentials{ClientID: "10001", ClientSecret: "hms-secret", ProjectID: "hms-project"}))
		for _, d := range []struct{ id, platform, token string }{{"act-f", "android", "fcm-token-1"}, {"act-h", "huawei", "hms-token-1"}} {
			newActivation(t, st, r.app.ID, d.id, "carol", domain.ActivationActive)
			require.NoError(t, svc.CreateDevice(ctx, DeviceRequest{AppID: r.app.Name, ActivationIDs: []string{d.id}, Platform: d.platform, Token: d.token}))
		}

		op := domain.Operation{ID: "op-7", UserID: "carol", OperationType: "login", ApplicationIDs: []int64{r.app.ID}, Status: domain.OperationPending}
		require.NoError(t, st.InTx(ctx, func(tx store.Tx) error { _, err := svc.EnqueueOperation(ctx, tx, op); return err }))
		n, err := svc.DispatchOnce(ctx)
		require.NoError(t, err)
		require.Equal(t, 2, n)

		got := fcmFake.Received()
		require.Len(t, got, 1)
		var fm pushtest.FCMMessage
		require.NoError(t, json.Unmarshal(got[0].Body, &fm))
		require.Equal(t, "fcm-token-1", fm.Message.Token)
		require.Equal(t, map[string]string{"messageType": "mtoken.operationInit", "operationId": "op-7", "operationName": "login"}, fm.Message.Data)
		require.Equal(t, "New operation", fm.Message.Android.Notification.Title)

		hgot := hmsFake.Received()
		require.Len(t, hgot, 1)
		var hm pushtest.HMSMessage
		require.NoError(t, json.Unmarshal(hgot[0].Body, &hm))
		require.Equal(t, []string{"hms-token-1"}, hm.Message.Token)
		var data map[string]string
		require.NoError(t, json.Unmarshal([]byte(hm.Message.Data), &data), "HMS data is one JSON string")
		require.Equal(t, "mtoken.operationInit", data["messageType"])
		require.Equal(t, "op-7", data["operationId"])
		require.Empty(t, fcmFake.Rejections())
		require.Empty(t, hmsFake.Rejections())

		// FCM: QUOTA_EXCEEDED keeps it PENDING; UNREGISTERED removes the registration.
		fcmFake.Queue(pushtest.FCMResponse{Status: 429, ErrorStatus: "RESOURCE_EXHAUSTED", ErrorCode: "QUOTA_EXCEEDED", RetryAfter: "30"})
		res, err := svc.Send(ctx, r.app.Name, []SendMessage{{UserID: "carol", ActivationID: "act-f", Body: Body{Title: "q"}}}, true)
		require.NoError(t, err)
		require.Equal(t, SendResult{FCM: Counts{Pending: 1, Total: 1}}, res)
		fcmFake.RespondTo("fcm-token-1", pushtest.FCMResponse{Status: 404, ErrorStatus: "NOT_FOUND", ErrorCode: "UNREGISTERED"})
		res, err = svc.Send(ctx, r.app.Name, []SendMessage{{UserID: "carol", ActivationID: "act-f", Body: Body{Title: "u"}}}, true)
		require.NoError(t, err)
		require.Equal(t, SendResult{FCM: Counts{Failed: 1, Total: 1}}, res)
		_, err = st.GetPushDevice(ctx, "act-f")
		require.ErrorIs(t, err, store.ErrNotFound)
		res, err = svc.Send(ctx, r.app.Name, []SendMessage{{UserID: "carol", Body: Body{Title: "h", Extras: map[string]any{"n": 1}}}}, true)
		require.NoError(t, err)
		require.Equal(t, SendResult{HMS: Counts{Sent: 1, Total: 1}}, res)
	})
}

// TestTwoDispatchersShareTheOutbox runs two services (two nodes) on one
// database at once: every message is claimed once and accepted by the
// provider (the FCM fake) exactly once.
func TestTwoDispatchersShareTheOutbox(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		r := newRig(t, st)
		cfg, fcmFake, _ := withFCMAndHMS(t, r)
		cfg.BatchSize = 7
		require.NoError(t, r.svc.SetFCM(ctx, r.app.Name, FCMCredentials{ServiceAccount: fcmFake.ServiceAccountJSON()}))
		newActivation(t, st, r.app.ID, "act-1", "dave", domain.ActivationActive)
		require.NoError(t, r.svc.CreateDevice(ctx, DeviceRequest{AppID: r.app.Name, ActivationIDs: []string{"act-1"}, Platform: "fcm", Token: "fcm-dave"}))
		const total = 60
		for range total / 10 {
			msgs := make([]SendMessage, 10)
			for i := range msgs {
				msgs[i] = SendMessage{UserID: "dave", Body: Body{Title: "x"}}
			}
			_, err := r.svc.Send(ctx, r.app.Name, msgs, false)
			require.NoError(t, err)
		}
		nodes := []*Service{NewService(st, r.box, cfg), NewService(st, r.box, cfg)}
		done := make(chan int, len(nodes))
		for _, n := range nodes {
			go func() {
				claimed := 0
				for {
					k, err := n.DispatchOnce(ctx)
					if err != nil {
						t.Error(err)
					}
					if k == 0 || err != nil {
						done <- claimed
						return
					}
					claimed += k
				}
			}()
		}
		require.Equal(t, total, <-done+<-done, "each message claimed once")
		require.Equal(t, int64(total), fcmFake.Count(), "each message accepted by the provider exactly once")
		for _, m := range r.messages(t, "act-1") {
			require.Equal(t, domain.PushMessageSent, m.Status)
		}
	})
}
