package app

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/mauth/mauth/client"
	apiinbox "github.com/mauth/mauth/internal/api/inbox"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/testutil/pgtest"
	"github.com/mauth/mauth/protocol"
)

// TestInboxWiring checks the inbox as the binary serves it, on both
// backends: the push server API on the private listener only, behind the
// integration credentials; the phone's API on the public listener; and
// the notification of a message posted with notify to the user's
// registered device (the logging sender).
func TestInboxWiring(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testInboxWiring(t, testConfig(t, RoleAll)) })
	t.Run("postgres", func(t *testing.T) {
		c := testConfig(t, RoleAll)
		c.DatabaseURL = pgtest.NewDatabase(t)
		c.ServerKey = base64.StdEncoding.EncodeToString(secretbox.GenerateKey())
		testInboxWiring(t, c)
	})
}

func testInboxWiring(t *testing.T, c Config) {
	ctx := context.Background()
	logs := &syncBuffer{}
	c.Logger = slogText(logs)
	r := start(t, c)
	admin := r.admin(t)
	publicURL := "http://" + r.PublicAddr().String()
	privURL := "http://" + r.PrivateAddr().String()
	d, dev := activateDevice(t, admin, publicURL, "inbox-app", protocol.Version33)
	tok, err := dev.CreateToken(ctx, d, client.Possession)
	if err != nil {
		t.Fatal(err)
	}
	if err := dev.RegisterPush(ctx, tok, client.PushRegistration{Platform: "fcm", Token: "inbox-push-token"}); err != nil {
		t.Fatal(err)
	}
	token, secret := r.credentials(t)
	post := func(base string, auth bool) (int, map[string]any) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, base+apiinbox.MessagesPath, strings.NewReader(`{"requestObject":{"userId":"alice","type":"text",
			"subject":"Your statement","summary":"The statement of November","body":"It is ready in the app.","applications":["inbox-app"],"notify":true}}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if auth {
			req.SetBasicAuth(token, secret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}
	if status, body := post(privURL, false); status != http.StatusUnauthorized {
		t.Fatalf("without credentials: HTTP %d %v", status, body)
	}
	if status, _ := post(publicURL, true); status != http.StatusNotFound {
		t.Fatalf("push server API on the public listener: HTTP %d", status)
	}
	status, body := post(privURL, true)
	if status != http.StatusOK {
		t.Fatalf("post: HTTP %d %v", status, body)
	}
	id, _ := body["responseObject"].(map[string]any)["id"].(string)
	if n, err := dev.InboxCount(ctx, tok); err != nil || n != 1 {
		t.Fatalf("count %d %v", n, err)
	}
	m, err := dev.InboxDetail(ctx, tok, id)
	if err != nil || m.Subject != "Your statement" || m.Body != "It is ready in the app." {
		t.Fatalf("detail %+v %v", m, err)
	}
	if out := logs.String(); !strings.Contains(out, "messageType=mtoken.inboxMessage.new") || !strings.Contains(out, "activationId="+d.ActivationID) {
		t.Fatalf("no inbox notification to the registered device in the log:\n%s", out)
	}
}
