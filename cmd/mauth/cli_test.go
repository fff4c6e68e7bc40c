package main

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/skip2/go-qrcode"

	"github.com/mauth/mauth/internal/app"
	"github.com/mauth/mauth/protocol"
)

// testServer runs an all-in-one mauth on free ports for the CLI tests and
// points the commands at it through the environment.
func testServer(t *testing.T) *app.App {
	t.Helper()
	return testServerWith(t, nil)
}

// testServerWith is testServer with a change of the configuration.
func testServerWith(t *testing.T, change func(*app.Config)) *app.App {
	t.Helper()
	cfg := app.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.PublicAddr, cfg.PrivateAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Service.RecoveryPUKHashMemoryKiB = 1024
	var out strings.Builder
	cfg.Out = &out
	if change != nil {
		change(&cfg)
	}
	a, err := app.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Listen(context.Background()); err != nil {
		a.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		a.Close()
	})
	for _, line := range strings.Split(out.String(), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "client token:"); ok {
			t.Setenv(envClientToken, strings.TrimSpace(v))
		}
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "client secret:"); ok {
			t.Setenv(envClientSecret, strings.TrimSpace(v))
		}
	}
	t.Setenv(envPrivateURL, "http://"+a.PrivateAddr().String())
	t.Setenv(envPublicURL, "http://"+a.PublicAddr().String())
	t.Setenv(envPIN, "")
	return a
}

// run executes a command that must succeed and returns its "label: value" output.
func run(t *testing.T, args ...string) map[string]string {
	t.Helper()
	out, err := execute(t, args...)
	if err != nil {
		t.Fatalf("mauth %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return parseFields(out)
}

// fail executes a command that must fail with an error containing want.
func fail(t *testing.T, want string, args ...string) {
	t.Helper()
	out, err := execute(t, args...)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("mauth %s: %v (output %q), want an error containing %q", strings.Join(args, " "), err, out, want)
	}
}

// parseFields reads "label: value" lines.
func parseFields(out string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return m
}

func TestCLIApplicationAndActivationCommands(t *testing.T) {
	testServer(t)
	dir := t.TempDir()

	created := run(t, "app", "create", "bank")
	for _, k := range []string{"application key", "application secret", "master public key", "mobile SDK config"} {
		if created[k] == "" {
			t.Fatalf("app create lacks %q: %v", k, created)
		}
	}
	sdk, err := protocol.ParseSDKConfig(created["mobile SDK config"])
	if err != nil || base64.StdEncoding.EncodeToString(sdk.ApplicationKey) != created["application key"] ||
		base64.StdEncoding.EncodeToString(sdk.ApplicationSecret) != created["application secret"] ||
		base64.StdEncoding.EncodeToString(sdk.MasterPublicKey) != created["master public key"] {
		t.Fatalf("the SDK configuration does not hold the printed keys: %v", err)
	}
	fail(t, "ERR0043", "app", "create", "bank")

	if out, err := execute(t, "app", "list"); err != nil || !strings.Contains(out, "bank") {
		t.Fatalf("app list: %v\n%s", err, out)
	}
	shown := run(t, "app", "show", "bank")
	if shown["application key"] != created["application key"] || shown["application secret"] != "" || shown["mobile SDK config"] != "" {
		t.Fatalf("app show without --show-secrets: %v", shown)
	}
	shown = run(t, "app", "show", "bank", "--show-secrets")
	if shown["mobile SDK config"] != created["mobile SDK config"] {
		t.Fatalf("app show --show-secrets: %v", shown)
	}
	fail(t, "ERR0015", "app", "show", "nope")

	// The protocol version policy: defaults, then changes one at a time.
	wantProtocol := func(got map[string]string, minVersion, ratchet string) {
		t.Helper()
		if got["application"] != "bank" || got["minimum protocol version"] != minVersion || got["version ratchet"] != ratchet {
			t.Fatalf("app protocol: %v, want %s, %s", got, minVersion, ratchet)
		}
	}
	wantProtocol(run(t, "app", "protocol", "bank"), "3.0", "on")
	wantProtocol(run(t, "app", "protocol", "bank", "--min-version", "3.2"), "3.2", "on")
	wantProtocol(run(t, "app", "protocol", "bank", "--allow-downgrade"), "3.2", "off (downgrades allowed)")
	wantProtocol(run(t, "app", "protocol", "bank", "--allow-downgrade=false", "--min-version", "3.0"), "3.0", "on")
	fail(t, "ERR0024", "app", "protocol", "bank", "--min-version", "2.9")
	fail(t, "ERR0015", "app", "protocol", "nope")

	// activation init with a QR code image.
	qrPath := filepath.Join(dir, "qr.png")
	act := run(t, "activation", "init", "--app", "bank", "--user", "alice", "--qr", qrPath, "--max-failures", "3", "--expire", "10m")
	qr := act["QR code string"]
	if act["activation id"] == "" || qr != act["activation code"]+"#"+act["activation signature"] || act["user"] != "alice" {
		t.Fatalf("activation init: %v", act)
	}
	master, err := protocol.ParsePublicKey(sdk.MasterPublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := protocol.ParseActivationQRString(qr, master); err != nil {
		t.Fatalf("QR string signature: %v", err)
	}
	png, err := os.ReadFile(qrPath)
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := qrcode.Encode(qr, qrcode.Medium, qrSize); string(png) != string(want) {
		t.Fatal("the QR code image does not encode the QR code string")
	}

	id := act["activation id"]
	st := run(t, "activation", "status", id)
	if st["status"] != "CREATED" || st["activation code"] != act["activation code"] || st["failed attempts"] != "0 of 3" {
		t.Fatalf("activation status: %v", st)
	}
	fail(t, "ERR0008", "activation", "commit", id)
	if out, err := execute(t, "activation", "list", "--user", "alice"); err != nil || !strings.Contains(out, id) || !strings.Contains(out, "CREATED") {
		t.Fatalf("activation list: %v\n%s", err, out)
	}
	removed := run(t, "activation", "remove", id, "--external-user", "admin")
	if removed["status"] != "REMOVED" {
		t.Fatalf("activation remove: %v", removed)
	}
	fail(t, "does not exist", "activation", "status", "00000000-0000-4000-8000-000000000000")

	integ := run(t, "integration", "create", "backend")
	if integ["client token"] == "" || integ["client secret"] == "" {
		t.Fatalf("integration create: %v", integ)
	}
	// The new credentials work.
	t.Setenv(envClientToken, integ["client token"])
	t.Setenv(envClientSecret, integ["client secret"])
	run(t, "app", "list")
	t.Setenv(envClientSecret, "wrong")
	fail(t, "MAUTH_CLIENT_TOKEN", "app", "list")
}

func TestCLIDeviceCommands(t *testing.T) {
	testServer(t)
	dir := t.TempDir()
	state := filepath.Join(dir, "phone.json")
	sdk := run(t, "app", "create", "bank")["mobile SDK config"]

	for _, version := range []string{"3.1", "3.2", "3.3"} {
		t.Run(version, func(t *testing.T) {
			act := run(t, "activation", "init", "--app", "bank", "--user", "bob")
			dev := run(t, "device", "activate", "--state", state, "--force", "--sdk-config", sdk, "--code", act["QR code string"], "--pin", "1234", "--version", version, "--name", "Bob's phone")
			if dev["activation id"] != act["activation id"] || dev["status"] != "PENDING_COMMIT" || len(dev["fingerprint"]) != 8 {
				t.Fatalf("device activate: %v", dev)
			}
			if fi, err := os.Stat(state); err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("state file: %v %v", fi, err)
			}
			if c := run(t, "activation", "commit", act["activation id"]); c["status"] != "ACTIVE" {
				t.Fatalf("commit: %v", c)
			}
			if s := run(t, "device", "status", "--state", state); s["status"] != "ACTIVE" || s["remaining attempts"] != "5" {
				t.Fatalf("device status: %v", s)
			}
			if st := run(t, "activation", "status", act["activation id"]); st["name"] != "Bob's phone" || st["fingerprint"] != dev["fingerprint"] {
				t.Fatalf("activation status: %v", st)
			}

			// Signatures with every factor combination; the PIN may come from the environment.
			run(t, "device", "sign", "--state", state, "--factors", "possession")
			run(t, "device", "sign", "--state", state, "--pin", "1234", "--body", `{"amount":1}`)
			t.Setenv(envPIN, "1234")
			run(t, "device", "sign", "--state", state, "--factors", "possession_knowledge_biometry", "--method", "PUT")
			run(t, "device", "sign", "--state", state, "--factors", "possession_biometry", "--method", "GET", "--query", "a=1", "--query", "b=2")
			run(t, "device", "sign", "--state", state, "--method", "DELETE", "--query", "id=7")
			t.Setenv(envPIN, "")
			fail(t, "POWERAUTH_AUTH_FAIL", "device", "sign", "--state", state, "--pin", "9999")
			if s := run(t, "device", "status", "--state", state); s["failed attempts"] != "1 of 5" {
				t.Fatalf("status after a wrong PIN: %v", s)
			}
			fail(t, "a PIN is required", "device", "sign", "--state", state)

			// Tokens.
			tok := run(t, "device", "token", "create", "--state", state, "--pin", "1234")
			if tok["token id"] == "" || !strings.Contains(tok[protocol.HeaderToken], `token_id="`+tok["token id"]+`"`) {
				t.Fatalf("token create: %v", tok)
			}
			out, err := execute(t, "device", "token", "header", "--state", state, tok["token id"])
			if err != nil {
				t.Fatal(err)
			}
			h, err := protocol.ParseTokenHeader(strings.TrimSpace(out))
			if err != nil || h.TokenID != tok["token id"] {
				t.Fatalf("token header %q: %v", out, err)
			}
			if r := run(t, "device", "token", "remove", "--state", state); r["token id"] != tok["token id"] || r["removed"] != "true" {
				t.Fatalf("token remove: %v", r)
			}
			fail(t, "has no token", "device", "token", "header", "--state", state)

			// Vault unlock and a device-key signature.
			un := run(t, "device", "unlock", "--state", state, "--pin", "1234", "--sign-data", "payload")
			st, err := loadDeviceState(state)
			if err != nil {
				t.Fatal(err)
			}
			pub, err := protocol.ParsePublicKey(st.Device.DevicePublicKey)
			if err != nil {
				t.Fatal(err)
			}
			sig, err := base64.StdEncoding.DecodeString(un["device signature"])
			if err != nil || un["vault"] != "unlocked" || !pub.VerifyDER([]byte("payload"), sig) {
				t.Fatalf("unlock: %v %v", un, err)
			}
			fail(t, "POWER_AUTH", "device", "unlock", "--state", state, "--pin", "9999")

			// Block, unblock, remove.
			if b := run(t, "activation", "block", act["activation id"], "--reason", "LOST"); b["status"] != "BLOCKED" || b["blocked reason"] != "LOST" {
				t.Fatalf("block: %v", b)
			}
			if s := run(t, "device", "status", "--state", state); s["status"] != "BLOCKED" {
				t.Fatalf("device status when blocked: %v", s)
			}
			if u := run(t, "activation", "unblock", act["activation id"]); u["status"] != "ACTIVE" {
				t.Fatalf("unblock: %v", u)
			}
			if r := run(t, "device", "remove", "--state", state, "--pin", "1234"); r["status"] != "REMOVED" {
				t.Fatalf("device remove: %v", r)
			}
			if _, err := os.Stat(state); !os.IsNotExist(err) {
				t.Fatalf("state file after remove: %v", err)
			}
			if st := run(t, "activation", "status", act["activation id"]); st["status"] != "REMOVED" {
				t.Fatalf("activation after device remove: %v", st)
			}
		})
	}

	// An OTP checked in the key exchange activates at once.
	act := run(t, "activation", "init", "--app", "bank", "--user", "carol", "--otp", "55555", "--otp-mode", "on_key_exchange")
	fail(t, "ERR", "device", "activate", "--state", state, "--sdk-config", sdk, "--code", act["activation code"], "--pin", "1234", "--otp", "11111")
	dev := run(t, "device", "activate", "--state", state, "--force", "--sdk-config", sdk, "--code", act["activation code"], "--pin", "1234", "--otp", "55555")
	if dev["status"] != "ACTIVE" {
		t.Fatalf("OTP activation: %v", dev)
	}
	fail(t, "exists", "device", "activate", "--state", state, "--sdk-config", sdk, "--code", act["activation code"], "--pin", "1234")
}

func TestCLIArgumentErrors(t *testing.T) {
	t.Setenv(envPrivateURL, "http://127.0.0.1:1")
	t.Setenv(envPIN, "")
	t.Setenv(envCoreClientSecret, "")
	dir := t.TempDir()
	cases := []struct {
		want string
		args []string
	}{
		{"--app and --user", []string{"activation", "init", "--user", "u"}},
		{"--otp-mode needs --otp", []string{"activation", "init", "--app", "a", "--user", "u", "--otp-mode", "ON_COMMIT"}},
		{"ON_KEY_EXCHANGE or ON_COMMIT", []string{"activation", "init", "--app", "a", "--user", "u", "--otp", "1", "--otp-mode", "LATER"}},
		{"is `mauth serve` running", []string{"app", "list"}},
		{"--user is required", []string{"activation", "list"}},
		{"--state and --sdk-config", []string{"device", "activate", "--code", "X"}},
		{"exactly one of", []string{"device", "activate", "--state", filepath.Join(dir, "s.json"), "--sdk-config", "x", "--code", "c", "--recovery-code", "r", "--puk", "p"}},
		{"--recovery-code and --puk", []string{"device", "activate", "--state", filepath.Join(dir, "s.json"), "--sdk-config", "x", "--recovery-code", "r"}},
		{"a PIN is required", []string{"device", "activate", "--state", filepath.Join(dir, "s.json"), "--sdk-config", "x", "--code", "c"}},
		{"--sdk-config", []string{"device", "activate", "--state", filepath.Join(dir, "s.json"), "--sdk-config", "not-a-config", "--code", "c", "--pin", "1"}},
		{"--state is required", []string{"device", "status"}},
		{"read device state", []string{"device", "status", "--state", filepath.Join(dir, "missing.json")}},
		{"--method must be", []string{"device", "sign", "--state", "x", "--method", "PATCH"}},
		{"--query is for GET", []string{"device", "sign", "--state", "x", "--query", "a=1"}},
		{"has no body", []string{"device", "sign", "--state", "x", "--method", "GET", "--body", "{}"}},
		{"unknown role", []string{"serve", "--role", "edge", "--data-dir", dir}},
		{"--core-url", []string{"serve", "--role", "enrollment", "--data-dir", dir}},
		{"must not share", []string{"serve", "--public-addr", "127.0.0.1:9", "--private-addr", "localhost:9", "--data-dir", dir}},
		{"choose one identity provider", []string{"serve", "--idp-url", "http://idp", "--idp-static-file", "users.yaml", "--data-dir", dir}},
		{"enrollment role only", []string{"serve", "--core-url", "http://core:8081", "--data-dir", dir}},
		{"set both the core client token and the core client secret", []string{"serve", "--role", "enrollment", "--core-url", "http://core:8081", "--core-client-token", "t"}},
	}
	for _, tc := range cases {
		fail(t, tc.want, tc.args...)
	}
}
