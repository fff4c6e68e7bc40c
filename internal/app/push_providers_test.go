package app

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/mauth/mauth/client"
	apiinbox "github.com/mauth/mauth/internal/api/inbox"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/push/pushtest"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/testutil/apicontract"
	"github.com/mauth/mauth/internal/testutil/pgtest"
	"github.com/mauth/mauth/internal/testutil/testclock"
	"github.com/mauth/mauth/openapi"
	"github.com/mauth/mauth/protocol"
)

// eachBackend runs fn on SQLite and on PostgreSQL.
func eachBackend(t *testing.T, fn func(t *testing.T, c Config)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, testConfig(t, RoleAll)) })
	t.Run("postgres", func(t *testing.T) {
		c := testConfig(t, RoleAll)
		c.DatabaseURL = pgtest.NewDatabase(t)
		c.ServerKey = base64.StdEncoding.EncodeToString(secretbox.GenerateKey())
		fn(t, c)
	})
}

// TestPushFCMAndHMSEndToEnd: the bank uploads FCM and HMS credentials
// through the push server API and registers an Android and a Huawei
// device of alice; an operation created through /rest/v3 reaches the
// fake FCM (data strings) and the fake HMS (data as one JSON string) with
// the Mobile Token payload, and its approval with mtoken.operationFinished.
func TestPushFCMAndHMSEndToEnd(t *testing.T) {
	eachBackend(t, func(t *testing.T, c Config) {
		ctx := t.Context()
		_, pub := pushtest.NewAPNsKey(t)
		apnsFake := pushtest.NewAPNs(t, pushtest.APNsConfig{Key: pub, KeyID: pushKeyID, TeamID: pushTeamID, Topic: pushTopic})
		fcmFake := pushtest.NewFCM(t, "bank-project")
		hmsFake := pushtest.NewHMS(t, "10001", "hms-secret", "hms-project")
		c.Push.FCMURL, c.Push.FCMTokenURL = fcmFake.URL(), fcmFake.TokenURL()
		c.Push.HMSURL, c.Push.HMSTokenURL = hmsFake.URL(), hmsFake.TokenURL()
		clk := &testclock.Clock{}
		contract := apicontract.New(t, "openapi/pushserver.yaml", openapi.PushServer)
		// The fakes share httptest's certificate, which the APNs fake's client trusts.
		r := startPushApp(t, c, apnsFake, clk, contract)
		e := &pushEnv{running: r, fake: apnsFake, clk: clk, contract: contract, cfg: c}
		e.user, e.pass = r.credentials(t)
		admin := r.admin(t)
		pubURL := "http://" + r.PublicAddr().String()

		devF, dc := activateDevice(t, admin, pubURL, pushApp, protocol.Version33)
		devH, _ := activateDeviceOf(t, admin, pubURL, pushApp, protocol.Version33)
		e.ok(t, http.MethodPost, "/admin/app/create", map[string]any{"requestObject": map[string]any{"appId": pushApp}})
		e.ok(t, http.MethodPost, "/admin/app/fcm", map[string]any{"requestObject": map[string]any{"appId": pushApp,
			"privateKeyBase64": base64.StdEncoding.EncodeToString(fcmFake.ServiceAccountJSON())}})
		e.ok(t, http.MethodPost, "/admin/app/hms", map[string]any{"requestObject": map[string]any{"appId": pushApp,
			"clientId": "10001", "clientSecret": "hms-secret", "projectId": "hms-project"}})
		e.ok(t, http.MethodPost, "/push/device/create", map[string]any{"requestObject": map[string]any{
			"appId": pushApp, "token": "fcm-token-alice", "platform": "android", "activationId": devF.ActivationID}})
		e.ok(t, http.MethodPost, "/push/device/create", map[string]any{"requestObject": map[string]any{
			"appId": pushApp, "token": "hms-token-alice", "platform": "huawei", "activationId": devH.ActivationID}})

		e.rest(t, "operation/template/create", map[string]any{"templateName": "payment", "operationType": "payment",
			"dataTemplate": "A1*A${amount}CZK", "signatureType": []string{"POSSESSION_KNOWLEDGE"}, "maxFailureCount": 3, "expiration": 300})
		created := e.rest(t, "operation/create", map[string]any{"userId": "alice", "applications": []string{pushApp},
			"templateName": "payment", "parameters": map[string]string{"amount": "100"}})
		opID := created["id"].(string)

		fcmData := func(i int) map[string]string {
			var m pushtest.FCMMessage
			if err := json.Unmarshal(fcmFake.Received()[i].Body, &m); err != nil {
				t.Fatal(err)
			}
			if m.Message.Token != "fcm-token-alice" {
				t.Fatalf("FCM token %q", m.Message.Token)
			}
			return m.Message.Data
		}
		hmsData := func(i int) map[string]string {
			var m pushtest.HMSMessage
			if err := json.Unmarshal(hmsFake.Received()[i].Body, &m); err != nil {
				t.Fatal(err)
			}
			if len(m.Message.Token) != 1 || m.Message.Token[0] != "hms-token-alice" {
				t.Fatalf("HMS tokens %v", m.Message.Token)
			}
			var d map[string]string
			if err := json.Unmarshal([]byte(m.Message.Data), &d); err != nil {
				t.Fatalf("HMS data is not one JSON string: %v", err)
			}
			return d
		}
		waitFor(t, "operationInit at FCM and HMS", func() bool { return len(fcmFake.Received()) >= 1 && len(hmsFake.Received()) >= 1 })
		want := map[string]string{"messageType": "mtoken.operationInit", "operationId": opID, "operationName": "payment"}
		for name, got := range map[string]map[string]string{"FCM": fcmData(0), "HMS": hmsData(0)} {
			for k, v := range want {
				if got[k] != v {
					t.Fatalf("%s operationInit %s = %q, want %q (%v)", name, k, got[k], v, got)
				}
			}
		}

		tok, err := dc.CreateToken(ctx, devF, client.Possession)
		if err != nil {
			t.Fatal(err)
		}
		ops, err := dc.ListOperations(ctx, tok, "en")
		if err != nil || len(ops) != 1 {
			t.Fatalf("operations: %+v %v", ops, err)
		}
		if err := dc.AuthorizeOperation(ctx, devF, client.PossessionKnowledge("1234"), client.Approval{ID: opID, Data: ops[0].Data}); err != nil {
			t.Fatalf("approve: %v", err)
		}
		waitFor(t, "operationFinished at FCM and HMS", func() bool { return len(fcmFake.Received()) >= 2 && len(hmsFake.Received()) >= 2 })
		for name, got := range map[string]map[string]string{"FCM": fcmData(1), "HMS": hmsData(1)} {
			if got["messageType"] != "mtoken.operationFinished" || got["operationId"] != opID || got["mtokenOperationResult"] != "authentication.success" {
				t.Fatalf("%s operationFinished: %v", name, got)
			}
		}
		if len(apnsFake.Received()) != 0 || len(fcmFake.Rejections()) != 0 || len(hmsFake.Rejections()) != 0 {
			t.Fatalf("APNs got %d; rejections FCM %v HMS %v", len(apnsFake.Received()), fcmFake.Rejections(), hmsFake.Rejections())
		}
	})
}

// TestInboxNotifyThroughAPNs: an inbox message posted with notify to a
// user of an application with APNs credentials goes through the push
// outbox and reaches the fake APNs with messageType
// mtoken.inboxMessage.new and the message's id; a message without notify
// sends nothing.
func TestInboxNotifyThroughAPNs(t *testing.T) {
	eachBackend(t, func(t *testing.T, c Config) {
		p8, pub := pushtest.NewAPNsKey(t)
		fake := pushtest.NewAPNs(t, pushtest.APNsConfig{Key: pub, KeyID: pushKeyID, TeamID: pushTeamID, Topic: pushTopic})
		clk := &testclock.Clock{}
		fake.SetClock(clk.Now)
		contract := apicontract.New(t, "openapi/pushserver.yaml", openapi.PushServer)
		r := startPushApp(t, c, fake, clk, contract)
		e := &pushEnv{running: r, fake: fake, p8: p8, clk: clk, contract: contract, cfg: c}
		e.user, e.pass = r.credentials(t)
		admin := r.admin(t)
		dev, _ := activateDevice(t, admin, "http://"+r.PublicAddr().String(), pushApp, protocol.Version33)
		e.ok(t, http.MethodPost, "/admin/app/create", map[string]any{"requestObject": map[string]any{"appId": pushApp}})
		e.ok(t, http.MethodPost, "/admin/app/apns", map[string]any{"requestObject": map[string]any{"appId": pushApp, "bundle": pushTopic,
			"keyId": pushKeyID, "teamId": pushTeamID, "privateKeyBase64": base64.StdEncoding.EncodeToString(p8)}})
		tok := pushToken(7)
		e.ok(t, http.MethodPost, "/push/device/create", map[string]any{"requestObject": map[string]any{
			"appId": pushApp, "token": tok, "platform": "ios", "activationId": dev.ActivationID}})

		post := func(notify bool) string {
			t.Helper()
			ro := e.ok(t, http.MethodPost, apiinbox.MessagesPath, map[string]any{"requestObject": map[string]any{"userId": "alice", "type": "text",
				"subject": "Your statement", "summary": "November", "body": "It is ready.", "applications": []string{pushApp}, "notify": notify}})
			id, _ := ro["id"].(string)
			if id == "" {
				t.Fatalf("inbox post: %v", ro)
			}
			return id
		}
		quiet := post(false)
		id := post(true)
		waitFor(t, "the inbox notification at APNs", func() bool { return len(received(fake, tok)) >= 1 })
		got := received(fake, tok)
		if len(got) != 1 || got[0]["messageType"] != "mtoken.inboxMessage.new" || got[0]["inboxId"] != id || got[0]["inboxId"] == quiet {
			t.Fatalf("APNs received %v (notified %s, quiet %s)", got, id, quiet)
		}
		if aps, _ := got[0]["aps"].(map[string]any); aps["alert"] == nil || aps["category"] != "inbox" {
			t.Fatalf("inbox notification aps: %v", got[0])
		}
		// The outcome is recorded after the provider answered.
		waitFor(t, "the outbox message SENT", func() bool {
			ms := e.messages(t)
			return len(ms) == 1 && ms[0].ActivationID == dev.ActivationID && ms[0].Status == domain.PushMessageSent
		})
		if len(fake.Rejections()) != 0 {
			t.Fatalf("rejections %v", fake.Rejections())
		}
	})
}
