package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runJSON executes a command with --json and decodes its output.
func runJSON(t *testing.T, args ...string) any {
	t.Helper()
	out, err := execute(t, append(args, "--json")...)
	if err != nil {
		t.Fatalf("mauth %s --json: %v\n%s", strings.Join(args, " "), err, out)
	}
	var v any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("mauth %s --json printed no JSON: %v\n%s", strings.Join(args, " "), err, out)
	}
	return v
}

// runTable executes a command that must succeed and returns its output,
// which must contain every string of want.
func runTable(t *testing.T, want []string, args ...string) string {
	t.Helper()
	out, err := execute(t, args...)
	if err != nil {
		t.Fatalf("mauth %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Fatalf("mauth %s: output lacks %q:\n%s", strings.Join(args, " "), w, out)
		}
	}
	return out
}

// TestCLIPrivateAPICommands runs every command over the private API
// against a real server: the table or field output, --json, and the
// server's code and message on a refusal.
func TestCLIPrivateAPICommands(t *testing.T) {
	testServer(t)
	run(t, "app", "create", "bank")

	t.Run("app version", func(t *testing.T) {
		v := run(t, "app", "version", "create", "bank", "v2")
		if v["version"] != "v2" || v["application key"] == "" || v["application secret"] == "" || v["supported"] != "true" {
			t.Fatalf("version create: %v", v)
		}
		if u := run(t, "app", "version", "unsupport", "bank", "v2"); u["supported"] != "false" {
			t.Fatalf("unsupport: %v", u)
		}
		out := runTable(t, []string{"VERSION", "default", "v2", v["application key"], "false"}, "app", "version", "list", "bank")
		if strings.Contains(out, v["application secret"]) {
			t.Fatal("version list prints the application secret")
		}
		if s := run(t, "app", "version", "support", "bank", "v2"); s["supported"] != "true" {
			t.Fatalf("support: %v", s)
		}
		j := runJSON(t, "app", "version", "list", "bank").(map[string]any)
		if vs, _ := j["versions"].([]any); len(vs) != 2 {
			t.Fatalf("version list --json: %v", j)
		}
		fail(t, "ERR0015", "app", "version", "create", "nope", "v1")
	})

	t.Run("app role", func(t *testing.T) {
		if r := run(t, "app", "role", "add", "bank", "ROLE_A", "ROLE_B"); r["roles"] != "ROLE_A,ROLE_B" {
			t.Fatalf("role add: %v", r)
		}
		if r := run(t, "app", "role", "remove", "bank", "ROLE_A"); r["roles"] != "ROLE_B" {
			t.Fatalf("role remove: %v", r)
		}
		if r := run(t, "app", "role", "set", "bank", "ROLE_C"); r["roles"] != "ROLE_C" {
			t.Fatalf("role set: %v", r)
		}
		if r := run(t, "app", "role", "list", "bank"); r["roles"] != "ROLE_C" || r["application"] != "bank" {
			t.Fatalf("role list: %v", r)
		}
		fail(t, "ERR0015", "app", "role", "list", "nope")
	})

	t.Run("app config", func(t *testing.T) {
		const aaguid1, aaguid2 = "ee882879-721c-4913-9775-3dfcce97072a", "fbfc3007-154e-4ecc-8c0b-6e020557d7bd"
		if c := run(t, "app", "config", "set", "bank", "fido2_aaguids_allowed", aaguid1, aaguid2); c["values"] != aaguid1+","+aaguid2 {
			t.Fatalf("config set: %v", c)
		}
		runTable(t, []string{"KEY", "fido2_aaguids_allowed", aaguid1 + "," + aaguid2}, "app", "config", "list", "bank")
		run(t, "app", "config", "remove", "bank", "fido2_aaguids_allowed")
		if out := runTable(t, []string{"KEY"}, "app", "config", "list", "bank"); strings.Contains(out, "fido2") {
			t.Fatalf("config remove left the key:\n%s", out)
		}
		fail(t, "ERR0015", "app", "config", "list", "nope")
	})

	t.Run("callback", func(t *testing.T) {
		c := run(t, "callback", "create", "--app", "bank", "--name", "hooks", "--callback-url", "https://hooks.bank.example/mauth",
			"--type", "activation_status_change", "--attribute", "userId", "--attribute", "activationStatus")
		id := c["callback id"]
		if id == "" || c["signing secret"] == "" || c["type"] != "ACTIVATION_STATUS_CHANGE" || c["attributes"] != "userId,activationStatus" {
			t.Fatalf("callback create: %v", c)
		}
		runTable(t, []string{"ID", id, "hooks", "https://hooks.bank.example/mauth"}, "callback", "list", "--app", "bank")
		u := run(t, "callback", "update", id, "--app", "bank", "--name", "renamed")
		if u["name"] != "renamed" || u["url"] != "https://hooks.bank.example/mauth" || u["attributes"] != "userId,activationStatus" {
			t.Fatalf("callback update kept the other settings? %v", u)
		}
		j := runJSON(t, "callback", "list", "--app", "bank").(map[string]any)
		if l, _ := j["callbackUrlList"].([]any); len(l) != 1 {
			t.Fatalf("callback list --json: %v", j)
		}
		fail(t, "ERR0014", "callback", "create", "--app", "bank", "--name", "bad", "--callback-url", "not a url", "--type", "ACTIVATION_STATUS_CHANGE")
		if r := run(t, "callback", "remove", id); r["removed"] != "true" {
			t.Fatalf("callback remove: %v", r)
		}
		fail(t, "no callback", "callback", "update", id, "--app", "bank", "--name", "x")
	})

	var templateID string
	t.Run("template", func(t *testing.T) {
		tp := run(t, "template", "create", "payment", "--type", "authorize_payment", "--data", "A1*A${amount}${currency}",
			"--signature-type", "possession_knowledge", "--max-failures", "3", "--expiration", "300")
		templateID = tp["template id"]
		if templateID == "" || tp["signature types"] != "POSSESSION_KNOWLEDGE" || tp["max failures"] != "3" {
			t.Fatalf("template create: %v", tp)
		}
		runTable(t, []string{"NAME", "payment", "authorize_payment"}, "template", "list")
		u := run(t, "template", "update", templateID, "--expiration", "600")
		if u["expiration (s)"] != "600" || u["data template"] != "A1*A${amount}${currency}" || u["max failures"] != "3" {
			t.Fatalf("template update kept the other settings? %v", u)
		}
		if s := run(t, "template", "show", templateID); s["name"] != "payment" || s["expiration (s)"] != "600" {
			t.Fatalf("template show: %v", s)
		}
		if l, _ := runJSON(t, "template", "list").([]any); len(l) != 1 {
			t.Fatalf("template list --json: %v", l)
		}
		fail(t, "ERR0024", "template", "create", "bad", "--type", "x", "--data", "A1", "--signature-type", "nonsense")
		run(t, "template", "create", "doomed", "--type", "login", "--data", "A2", "--signature-type", "POSSESSION")
		doomed := ""
		for _, it := range runJSON(t, "template", "list").([]any) {
			if m := it.(map[string]any); m["templateName"] == "doomed" {
				doomed = text(m["id"])
			}
		}
		run(t, "template", "remove", doomed)
		fail(t, "ERR0033", "template", "show", doomed)
	})

	t.Run("operation", func(t *testing.T) {
		op := run(t, "operation", "create", "--user", "alice", "--app", "bank", "--template", "payment", "--param", "amount=100", "--param", "currency=CZK")
		id := op["operation id"]
		if id == "" || op["status"] != "PENDING" || op["data"] != "A1*A100CZK" {
			t.Fatalf("operation create: %v", op)
		}
		runTable(t, []string{"ID", id, "PENDING", "payment"}, "operation", "list", "--user", "alice", "--app", "bank")
		if d := run(t, "operation", "detail", id); d["operation id"] != id || d["user"] != "alice" {
			t.Fatalf("operation detail: %v", d)
		}
		if c := run(t, "operation", "cancel", id, "--reason", "customer called"); c["status"] != "CANCELED" {
			t.Fatalf("operation cancel: %v", c)
		}
		if l, _ := runJSON(t, "operation", "list", "--user", "alice", "--app", "bank").([]any); len(l) != 1 || l[0].(map[string]any)["status"] != "CANCELED" {
			t.Fatalf("operation list --json: %v", l)
		}
		fail(t, "ERR0036", "operation", "cancel", id)
		fail(t, "--param", "operation", "create", "--user", "alice", "--app", "bank", "--template", "payment", "--param", "amount")
		fail(t, "ERR0034", "operation", "detail", "00000000-0000-4000-8000-000000000000")
	})

	t.Run("activation", func(t *testing.T) {
		act := run(t, "activation", "init", "--app", "bank", "--user", "carol")
		id := act["activation id"]
		if d := run(t, "activation", "detail", id); d["status"] != "CREATED" || d["user"] != "carol" || d["application"] != "bank" {
			t.Fatalf("activation detail: %v", d)
		}
		if f := run(t, "activation", "flags", id, "--add", "VIP", "--add", "BETA"); f["flags"] != "BETA,VIP" {
			t.Fatalf("flags add: %v", f)
		}
		if f := run(t, "activation", "flags", id, "--remove", "VIP"); f["flags"] != "BETA" {
			t.Fatalf("flags remove: %v", f)
		}
		if f := run(t, "activation", "flags", id, "--set", "ONE"); f["flags"] != "ONE" {
			t.Fatalf("flags set: %v", f)
		}
		if f := run(t, "activation", "flags", id, "--clear"); f["flags"] != "(none)" {
			t.Fatalf("flags clear: %v", f)
		}
		if f := run(t, "activation", "flags", id); f["flags"] != "(none)" {
			t.Fatalf("flags: %v", f)
		}
		fail(t, "one of", "activation", "flags", id, "--add", "A", "--remove", "B")
		if l, _ := runJSON(t, "activation", "list", "--user", "carol").(map[string]any)["activations"].([]any); len(l) != 1 {
			t.Fatalf("activation list --json: %v", l)
		}
		if r := runJSON(t, "activation", "remove", id).(map[string]any); r["removed"] != true || r["activationId"] != id {
			t.Fatalf("activation remove --json: %v", r)
		}
		runTable(t, []string{"STATUS", "CREATED", "REMOVED"}, "activation", "history", id)
		j := runJSON(t, "activation", "history", id).(map[string]any)
		if items, _ := j["items"].([]any); len(items) != 2 {
			t.Fatalf("history --json: %v", j)
		}
		if d := runJSON(t, "activation", "detail", id).(map[string]any); d["activationStatus"] != "REMOVED" {
			t.Fatalf("detail --json: %v", d)
		}
		fail(t, "ERR0009", "activation", "flags", "00000000-0000-4000-8000-000000000000")
	})

	t.Run("recovery config", func(t *testing.T) {
		if c := run(t, "recovery", "config", "show", "bank"); c["activation recovery"] != "false" || c["application"] != "bank" {
			t.Fatalf("recovery config show: %v", c)
		}
		c := run(t, "recovery", "config", "update", "bank", "--activation-recovery", "--multiple-codes")
		if c["activation recovery"] != "true" || c["multiple recovery codes"] != "true" || c["recovery postcard"] != "false" {
			t.Fatalf("recovery config update: %v", c)
		}
		if c := run(t, "recovery", "config", "update", "bank", "--multiple-codes=false"); c["activation recovery"] != "true" || c["multiple recovery codes"] != "false" {
			t.Fatalf("recovery config update kept the other settings? %v", c)
		}
		fail(t, "ERR0024: Application does not exist.", "recovery", "config", "show", "nope")
	})

	t.Run("audit", func(t *testing.T) {
		runTable(t, []string{"TIME", "TYPE", "ADMIN_CHANGE"}, "audit", "list")
		j := runJSON(t, "audit", "list", "--limit", "2").(map[string]any)
		if items, _ := j["items"].([]any); len(items) != 2 {
			t.Fatalf("audit list --limit 2 --json: %v", j)
		}
		fail(t, "ERR0024", "audit", "list", "--limit", "-1")
	})
}

// TestCLIDeviceInbox reads a message posted through the push server API
// with `mauth device inbox`.
func TestCLIDeviceInbox(t *testing.T) {
	testServer(t)
	state := filepath.Join(t.TempDir(), "phone.json")
	sdk := run(t, "app", "create", "bank")["mobile SDK config"]
	act := run(t, "activation", "init", "--app", "bank", "--user", "dora")
	run(t, "device", "activate", "--state", state, "--sdk-config", sdk, "--code", act["QR code string"], "--pin", "1234")
	run(t, "activation", "commit", act["activation id"])
	run(t, "device", "token", "create", "--state", state, "--pin", "1234")

	body := `{"requestObject":{"userId":"dora","type":"text","subject":"Card blocked","summary":"Your card was blocked","body":"Call us to unblock it.","applications":["bank"]}}`
	req, err := http.NewRequest(http.MethodPost, os.Getenv(envPrivateURL)+"/inbox/messages", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(os.Getenv(envClientToken), os.Getenv(envClientSecret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var posted struct {
		ResponseObject struct {
			ID string `json:"id"`
		} `json:"responseObject"`
	}
	err = json.NewDecoder(resp.Body).Decode(&posted)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || posted.ResponseObject.ID == "" {
		t.Fatalf("post: HTTP %d %v", resp.StatusCode, err)
	}
	id := posted.ResponseObject.ID

	out := runTable(t, []string{"unread:", "1", id, "Card blocked", "false"}, "device", "inbox", "list", "--state", state)
	if !strings.Contains(out, "SUBJECT") {
		t.Fatalf("inbox list:\n%s", out)
	}
	if m := run(t, "device", "inbox", "show", "--state", state, id); m["body"] != "Call us to unblock it." || m["read"] != "false" {
		t.Fatalf("inbox show: %v", m)
	}
	run(t, "device", "inbox", "read", "--state", state, id)
	if m := run(t, "device", "inbox", "show", "--state", state, id); m["read"] != "true" {
		t.Fatalf("inbox show after read: %v", m)
	}
	run(t, "device", "inbox", "read", "--state", state, "--all")
	runTable(t, []string{"unread:", "0"}, "device", "inbox", "list", "--state", state, "--unread")
	fail(t, "INBOX_FAILED", "device", "inbox", "show", "--state", state, "00000000-0000-4000-8000-000000000000")
	fail(t, "--all", "device", "inbox", "read", "--state", state)
}
