package app

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/mauth/mauth/client"
	"github.com/mauth/mauth/internal/coreclient"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/push"
	"github.com/mauth/mauth/internal/push/pushtest"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/testutil/apicontract"
	"github.com/mauth/mauth/internal/testutil/pgtest"
	"github.com/mauth/mauth/internal/testutil/testclock"
	"github.com/mauth/mauth/openapi"
	"github.com/mauth/mauth/protocol"
)

// newDeviceOf activates a device of the user in an existing application
// with the given name and platform, leaving it PENDING_COMMIT.
func newDeviceOf(t *testing.T, admin *coreclient.Client, publicURL, appName, userID, name, platform string) (*client.Device, *client.Client) {
	t.Helper()
	return newDeviceIn(t, admin, publicURL, appName, userID, name, platform, "")
}

// newDeviceIn is newDeviceOf with a commit phase (ON_KEY_EXCHANGE: the
// key exchange commits the activation).
func newDeviceIn(t *testing.T, admin *coreclient.Client, publicURL, appName, userID, name, platform, commitPhase string) (*client.Device, *client.Client) {
	t.Helper()
	ctx := context.Background()
	d, err := admin.ApplicationDetail(ctx, appName)
	if err != nil {
		t.Fatal(err)
	}
	cfg := client.Config{BaseURL: publicURL, Version: protocol.Version33}
	if err := cfg.FromSDKConfig(d.Versions[0].MobileSdkConfig); err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	init, err := admin.InitActivation(ctx, coreclient.InitActivationRequest{UserID: userID, ApplicationID: appName, CommitPhase: commitPhase})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.ActivateWithCode(ctx, init.ActivationCode+"#"+init.ActivationSignature, "1234", client.ActivationOptions{Name: name, Platform: platform})
	if err != nil {
		t.Fatalf("activate: %v", err)
	}
	return res.Device, c
}

// deviceAddedRows returns the outbox rows of new-device notices.
func deviceAddedRows(t *testing.T, e *pushEnv) []domain.PushMessage {
	t.Helper()
	var out []domain.PushMessage
	for _, m := range e.messages(t) {
		if strings.Contains(string(m.Body), push.MessageTypeDeviceAdded) {
			out = append(out, m)
		}
	}
	return out
}

// TestNewDeviceNotice runs the new-device notice through the real HTTP
// APIs and a real database on both backends: alice's first device gets no
// notice; when her second device B is committed, her device A's fake APNs
// receives mauth.device.added naming B and A's /api/inbox lists the
// message, while B and bob's device get no push; a rolled-back status
// change and a refused commit write nothing.
func TestNewDeviceNotice(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			c := testConfig(t, RoleAll)
			if backend == "postgres" {
				c.DatabaseURL = pgtest.NewDatabase(t)
				c.ServerKey = base64.StdEncoding.EncodeToString(secretbox.GenerateKey())
			}
			runNewDeviceNotice(t, c)
		})
	}
}

func runNewDeviceNotice(t *testing.T, c Config) {
	ctx := context.Background()
	const appName = "newdev-bank"
	p8, pub := pushtest.NewAPNsKey(t)
	fake := pushtest.NewAPNs(t, pushtest.APNsConfig{Key: pub, KeyID: pushKeyID, TeamID: pushTeamID, Topic: pushTopic})
	clk := &testclock.Clock{}
	fake.SetClock(clk.Now)
	contract := apicontract.New(t, "openapi/pushserver.yaml", openapi.PushServer)
	r := startPushApp(t, c, fake, clk, contract)
	e := &pushEnv{running: r, fake: fake, p8: p8, clk: clk, contract: contract, cfg: c}
	e.user, e.pass = r.credentials(t)
	admin := r.admin(t)
	pubURL := "http://" + r.PublicAddr().String()

	if _, err := admin.CreateApplication(ctx, appName); err != nil {
		t.Fatal(err)
	}
	e.ok(t, http.MethodPost, "/admin/app/create", map[string]any{"requestObject": map[string]any{"appId": appName}})
	e.ok(t, http.MethodPost, "/admin/app/apns", map[string]any{"requestObject": map[string]any{"appId": appName, "bundle": pushTopic,
		"keyId": pushKeyID, "teamId": pushTeamID, "privateKeyBase64": base64.StdEncoding.EncodeToString(p8)}})
	register := func(activationID, token string) {
		t.Helper()
		e.ok(t, http.MethodPost, "/push/device/create", map[string]any{"requestObject": map[string]any{
			"appId": appName, "token": token, "platform": "ios", "activationId": activationID}})
	}
	commit := func(id string) {
		t.Helper()
		if _, err := admin.CommitActivation(ctx, id, "", ""); err != nil {
			t.Fatalf("commit %s: %v", id, err)
		}
	}
	inbox := func(d *client.Device, dc *client.Client) []client.InboxMessage {
		t.Helper()
		tok, err := dc.CreateToken(ctx, d, client.Possession)
		if err != nil {
			t.Fatal(err)
		}
		page, err := dc.InboxList(ctx, tok, 0, 50, false)
		if err != nil {
			t.Fatal(err)
		}
		return page.ResponseObject
	}

	// Alice's first device A and bob's device: nobody to tell.
	devA, dcA := newDeviceOf(t, admin, pubURL, appName, "alice", "Alice's phone", "ios")
	tokA := pushToken(1)
	register(devA.ActivationID, tokA)
	commit(devA.ActivationID)
	devBob, dcBob := newDeviceOf(t, admin, pubURL, appName, "bob", "Bob's phone", "ios")
	tokBob := pushToken(2)
	register(devBob.ActivationID, tokBob)
	commit(devBob.ActivationID)
	if rows := deviceAddedRows(t, e); len(rows) != 0 {
		t.Fatalf("first devices were announced: %+v", rows)
	}
	if msgs := inbox(devA, dcA); len(msgs) != 0 {
		t.Fatalf("A's inbox after its own activation: %+v", msgs)
	}

	// Alice's second device B, registered before its commit.
	devB, dcB := newDeviceOf(t, admin, pubURL, appName, "alice", "Alice's tablet", "android")
	tokB := pushToken(3)
	register(devB.ActivationID, tokB)
	commit(devB.ActivationID)
	waitFor(t, "mauth.device.added on A", func() bool { return len(received(fake, tokA)) >= 1 })
	got := received(fake, tokA)[0]
	if got["messageType"] != push.MessageTypeDeviceAdded || got["activationId"] != devB.ActivationID ||
		got["deviceName"] != "Alice's tablet" || got["devicePlatform"] != "android" || got["activatedAt"] == "" {
		t.Fatalf("A's notice: %v", got)
	}
	if aps, _ := got["aps"].(map[string]any); aps["alert"] == nil {
		t.Fatalf("the notice is not visible: %v", got)
	}
	rows := deviceAddedRows(t, e)
	if len(rows) != 1 || rows[0].ActivationID != devA.ActivationID || !rows[0].Personal {
		t.Fatalf("outbox rows of the notice: %+v", rows)
	}
	waitFor(t, "the notice delivered", func() bool {
		rows := deviceAddedRows(t, e)
		return len(rows) == 1 && rows[0].Status == domain.PushMessageSent
	})
	if n := len(received(fake, tokB)) + len(received(fake, tokBob)); n != 0 {
		t.Fatalf("B or bob got %d pushes", n)
	}
	msgs := inbox(devA, dcA)
	if len(msgs) != 1 || msgs[0].Subject != "New device added" || msgs[0].Type != "text" ||
		!strings.Contains(msgs[0].Summary, "Alice's tablet") || !strings.Contains(msgs[0].Summary, "android") {
		t.Fatalf("A's inbox: %+v", msgs)
	}
	if msgs := inbox(devBob, dcBob); len(msgs) != 0 {
		t.Fatalf("bob's inbox: %+v", msgs)
	}
	_ = dcB

	// A refused commit (B is ACTIVE already) and a rolled-back status
	// change (C's commit with an unknown activation) write nothing.
	if _, err := admin.CommitActivation(ctx, devB.ActivationID, "", ""); err == nil {
		t.Fatal("second commit of B accepted")
	}
	devC, _ := newDeviceOf(t, admin, pubURL, appName, "alice", "Alice's watch", "ios")
	code, out := e.call(t, http.MethodPost, "/rest/v3/activation/status/update", map[string]any{"requestObject": map[string]any{
		"activationIds": []string{devC.ActivationID, "00000000-0000-4000-8000-000000000000"}, "activationStatus": "ACTIVE"}}, true)
	if code == http.StatusOK {
		t.Fatalf("status update with an unknown activation: HTTP %d %v", code, out)
	}
	if a, err := e.Store.GetActivation(ctx, devC.ActivationID); err != nil || a.Status != domain.ActivationPendingCommit {
		t.Fatalf("C after the rolled-back change: %v %v", a.Status, err)
	}
	if rows := deviceAddedRows(t, e); len(rows) != 1 {
		t.Fatalf("rolled-back change queued notices: %+v", rows)
	}
	if msgs := inbox(devA, dcA); len(msgs) != 1 {
		t.Fatalf("rolled-back change wrote inbox messages: %+v", msgs)
	}

	// C's status update commits: A and B (both ACTIVE, registered) are told.
	e.rest(t, "activation/status/update", map[string]any{"activationIds": []string{devC.ActivationID}, "activationStatus": "ACTIVE"})
	waitFor(t, "notices of C", func() bool { return len(received(fake, tokA)) >= 2 && len(received(fake, tokB)) >= 1 })
	for _, tok := range []string{tokA, tokB} {
		ms := received(fake, tok)
		if m := ms[len(ms)-1]; m["activationId"] != devC.ActivationID || m["deviceName"] != "Alice's watch" {
			t.Fatalf("notice of C: %v", m)
		}
	}
	if rows := deviceAddedRows(t, e); len(rows) != 3 {
		t.Fatalf("notices after C: %d rows", len(rows))
	}

	// A device committed in its key exchange (ON_KEY_EXCHANGE) is announced too.
	devD, _ := newDeviceIn(t, admin, pubURL, appName, "alice", "Alice's laptop", "ios", "ON_KEY_EXCHANGE")
	if a, err := e.Store.GetActivation(ctx, devD.ActivationID); err != nil || a.Status != domain.ActivationActive {
		t.Fatalf("D after its key exchange: %v %v", a.Status, err)
	}
	waitFor(t, "notices of D", func() bool { return len(received(fake, tokA)) >= 3 && len(received(fake, tokB)) >= 2 })
	if ms := received(fake, tokA); ms[2]["activationId"] != devD.ActivationID || ms[2]["deviceName"] != "Alice's laptop" {
		t.Fatalf("notice of D: %v", ms[2])
	}
	if msgs := inbox(devA, dcA); len(msgs) != 3 {
		t.Fatalf("A's inbox after C and D: %+v", msgs)
	}
	raw, _ := json.Marshal(received(fake, tokBob))
	if len(received(fake, tokBob)) != 0 {
		t.Fatalf("bob got pushes: %s", raw)
	}
	contract.Report(t)
}

// TestNewDeviceNoticeFallbackAndDisabled checks the notice of an
// application without push credentials (the logging sender) and that
// devices.notify_new_device off sends nothing.
func TestNewDeviceNoticeFallbackAndDisabled(t *testing.T) {
	for _, disabled := range []bool{false, true} {
		name := "enabled"
		if disabled {
			name = "disabled"
		}
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			c := testConfig(t, RoleAll)
			c.Devices.NotifyNewDeviceDisabled = disabled
			logs := &syncBuffer{}
			c.Logger = slogText(logs)
			r := start(t, c)
			admin := r.admin(t)
			pubURL := "http://" + r.PublicAddr().String()
			if _, err := admin.CreateApplication(ctx, "newdev-log"); err != nil {
				t.Fatal(err)
			}
			devA, dcA := newDeviceOf(t, admin, pubURL, "newdev-log", "alice", "Alice's phone", "ios")
			if _, err := admin.CommitActivation(ctx, devA.ActivationID, "", ""); err != nil {
				t.Fatal(err)
			}
			tok, err := dcA.CreateToken(ctx, devA, client.Possession)
			if err != nil {
				t.Fatal(err)
			}
			if err := dcA.RegisterPush(ctx, tok, client.PushRegistration{Platform: "fcm", Token: "newdev-token-a"}); err != nil {
				t.Fatal(err)
			}
			devB, _ := newDeviceOf(t, admin, pubURL, "newdev-log", "alice", "Alice's tablet", "android")
			if _, err := admin.CommitActivation(ctx, devB.ActivationID, "", ""); err != nil {
				t.Fatal(err)
			}
			n, err := dcA.InboxCount(ctx, tok)
			if err != nil {
				t.Fatal(err)
			}
			logged := strings.Contains(logs.String(), "messageType="+push.MessageTypeDeviceAdded)
			if disabled {
				if n != 0 || logged {
					t.Fatalf("disabled: inbox %d, logged %v", n, logged)
				}
				return
			}
			if n != 1 {
				t.Fatalf("inbox count %d", n)
			}
			if out := logs.String(); !logged || !strings.Contains(out, "activationId="+devA.ActivationID) {
				t.Fatalf("no notice to A through the logging sender:\n%s", out)
			}
		})
	}
}
