package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/app"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/push/pushtest"
	"github.com/mauth/mauth/internal/store"
)

const (
	cliKeyID  = "CLIKEY0001"
	cliTeamID = "CLITEAM001"
	cliTopic  = "io.mauth.cli"
)

// pushDevices creates an active activation with an APNs registration for
// each user of the application.
func pushDevices(t *testing.T, a *app.App, appName string, users ...string) map[string]string {
	t.Helper()
	ctx := context.Background()
	tokens := map[string]string{}
	now := time.Now().UTC().Truncate(time.Millisecond)
	err := a.Store.InTx(ctx, func(tx store.Tx) error {
		appl, err := tx.GetApplicationByName(ctx, appName)
		if err != nil {
			return err
		}
		mk := domain.MasterKeyPair{ApplicationID: appl.ID, Name: "cli-push", PrivateKeyEncrypted: []byte{1}, PublicKey: []byte{2}, Created: now}
		if err := tx.CreateMasterKeyPair(ctx, &mk); err != nil {
			return err
		}
		for i, u := range users {
			act := fmt.Sprintf("cli-push-act-%d", i)
			if err := tx.CreateActivation(ctx, &domain.Activation{ActivationID: act, ApplicationID: appl.ID, UserID: u, Status: domain.ActivationActive,
				MasterKeyPairID: mk.ID, Created: now, ActivationExpire: now.Add(time.Hour), MaxFailedAttempts: 5}); err != nil {
				return err
			}
			tokens[u] = fmt.Sprintf("%064x", i+1)
			if err := tx.AddPushDevice(ctx, &domain.PushDevice{ActivationID: act, ApplicationID: appl.ID, UserID: u, Platform: "apns",
				Token: tokens[u], Created: now, LastRegistered: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("push devices: %v", err)
	}
	return tokens
}

// TestCLIPushCommands runs every `mauth push` command against a real
// server delivering to a fake APNs (TLS + HTTP/2): credentials, a message
// to a user, a campaign from a user file sent with a progress bar, the
// table and --json output and the server's codes on refusals.
func TestCLIPushCommands(t *testing.T) {
	p8, pub := pushtest.NewAPNsKey(t)
	fake := pushtest.NewAPNs(t, pushtest.APNsConfig{Key: pub, KeyID: cliKeyID, TeamID: cliTeamID, Topic: cliTopic})
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	keyFile := filepath.Join(dir, "AuthKey.p8")
	for f, b := range map[string][]byte{ca: fake.CertificatePEM(), keyFile: p8, filepath.Join(dir, "bad.p8"): []byte("not a key"),
		filepath.Join(dir, "bad.json"): []byte(`{"type":"service_account"}`)} {
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	a := testServerWith(t, func(c *app.Config) {
		c.Push.APNsDevelopmentURL, c.Push.APNsProductionURL, c.Push.CAFile = fake.URL(), fake.URL(), ca
	})
	run(t, "app", "create", "bank")
	tokens := pushDevices(t, a, "bank", "alice", "bob", "carol")

	// Applications and credentials.
	if out := runTable(t, nil, "push", "app", "create", "--app", "bank"); !strings.Contains(out, "push enabled for bank") {
		t.Fatalf("app create: %s", out)
	}
	fail(t, "ERROR", "push", "app", "create", "--app", "nope")
	runTable(t, []string{"APP", "APNS", "bank", "false"}, "push", "app", "list")
	run(t, "push", "credentials", "apns", "--app", "bank", "--p8", keyFile, "--key-id", cliKeyID, "--team-id", cliTeamID, "--bundle", cliTopic)
	fail(t, "ERROR_GENERIC: apns credentials", "push", "credentials", "apns", "--app", "bank", "--p8", filepath.Join(dir, "bad.p8"), "--key-id", cliKeyID, "--team-id", cliTeamID, "--bundle", cliTopic)
	fail(t, "ERROR_GENERIC", "push", "credentials", "fcm", "--app", "bank", "--service-account", filepath.Join(dir, "bad.json"))
	run(t, "push", "credentials", "hms", "--app", "bank", "--client-id", "108000001", "--client-secret", "hms-secret", "--project-id", "736000001")
	d := run(t, "push", "app", "detail", "--app", "bank")
	if d["apns"] != "true" || d["hms"] != "true" || d["fcm"] != "false" || d["apns bundle"] != cliTopic || d["apns key id"] != cliKeyID || d["hms project"] != "736000001" {
		t.Fatalf("app detail: %v", d)
	}
	run(t, "push", "credentials", "remove", "--app", "bank", "--platform", "hms")
	if j := runJSON(t, "push", "app", "detail", "--app", "bank").(map[string]any); j["application"].(map[string]any)["hms"] != false {
		t.Fatalf("detail --json after remove: %v", j)
	}
	fail(t, "--platform", "push", "credentials", "remove", "--app", "bank", "--platform", "nokia")

	// A message to one user, synchronously: the fake got it.
	runTable(t, []string{"PROVIDER", "apns", "1"}, "push", "send", "--app", "bank", "--user", "alice", "--title", "Hello", "--body", "From the CLI")
	got := fake.Received()
	if len(got) != 1 || got[0].Token != tokens["alice"] || !strings.Contains(string(got[0].Body), "From the CLI") {
		t.Fatalf("fake received %+v", got)
	}
	j := runJSON(t, "push", "send", "--app", "bank", "--user", "bob", "--body", "quiet", "--silent", "--personal").(map[string]any)
	if apns, _ := j["apns"].(map[string]any); fmt.Sprint(apns["sent"]) != "1" {
		t.Fatalf("send --json: %v", j)
	}
	if got := fake.Received(); got[1].Header.Get("apns-push-type") != "background" {
		t.Fatalf("silent message: %v", got[1].Header)
	}
	fail(t, "ERROR", "push", "send", "--app", "nope", "--user", "alice", "--body", "x")

	// A campaign: users from a file, a test send, the live send followed
	// to the end, its status.
	c := run(t, "push", "campaign", "create", "--app", "bank", "--title", "Sale", "--body", "Half price")
	id := c["id"]
	if id == "" {
		t.Fatalf("campaign create: %v", c)
	}
	users := filepath.Join(dir, "users.txt")
	if err := os.WriteFile(users, []byte("# customers\nalice\nbob\n\ncarol\nnobody\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	runTable(t, []string{"4 users"}, "push", "campaign", "add-users", "--id", id, "--file", users)
	runTable(t, []string{"USER", "alice", "bob", "carol", "nobody"}, "push", "campaign", "users", "--id", id)
	if out := runTable(t, []string{"USER", "carol", "nobody"}, "push", "campaign", "users", "--id", id, "--page", "1", "--size", "2"); strings.Contains(out, "alice") {
		t.Fatalf("second page of 2: %s", out)
	}
	before := fake.Count()
	runTable(t, []string{"sent to carol"}, "push", "campaign", "test", "--id", id, "--user", "carol")
	if fake.Count() != before+1 {
		t.Fatalf("test send: fake count %d → %d", before, fake.Count())
	}
	before = fake.Count()
	out := runTable(t, []string{"100%", "3/3 sent, 0 failed, SENT"}, "push", "campaign", "send", "--id", id, "--wait", "--poll", "50ms")
	if fake.Count() != before+3 {
		t.Fatalf("campaign: fake count %d → %d\n%s", before, fake.Count(), out)
	}
	seen := map[string]int{}
	for _, r := range fake.Received()[before:] {
		seen[r.Token]++
	}
	for u, tok := range tokens {
		if seen[tok] != 1 {
			t.Fatalf("campaign reached %s %d times", u, seen[tok])
		}
	}
	st := run(t, "push", "campaign", "status", "--id", id)
	if st["status"] != "SENT" || st["sent"] != "3" || st["total"] != "3" || st["title"] != "Sale" {
		t.Fatalf("campaign status: %v", st)
	}
	fail(t, "ERROR", "push", "campaign", "send", "--id", id)

	// Cancel another campaign; unknown ids are refused with the server's code.
	c2 := run(t, "push", "campaign", "create", "--app", "bank", "--body", "Never sent")
	runTable(t, []string{"canceled"}, "push", "campaign", "cancel", "--id", c2["id"])
	if st := runJSON(t, "push", "campaign", "status", "--id", c2["id"]).(map[string]any); st["status"] != "CANCELED" {
		t.Fatalf("canceled campaign: %v", st)
	}
	fail(t, "ERROR_DATABASE", "push", "campaign", "status", "--id", "999999")
	if r := fake.Rejections(); len(r) > 0 {
		t.Fatalf("the fake refused requests: %v", r)
	}
}
