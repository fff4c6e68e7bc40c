package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mauth/mauth/internal/app"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/testutil/pgtest"
)

// cloudCall sends a request to the Cloud API of the running server.
func cloudCall(t *testing.T, method, path, user, pass string, body any) (int, map[string]any) {
	t.Helper()
	raw, _ := json.Marshal(body)
	req, err := http.NewRequest(method, os.Getenv(envPrivateURL)+"/powerauth-cloud"+path, bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(user, pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// TestCLICloudUser creates the first Cloud API administrator offline with
// `mauth cloud user create --role ROLE_ADMIN` against the database of a
// running server (SQLite and PostgreSQL), uses it through HTTP, creates,
// grants, lists and disables a ROLE_USER with the CLI and checks each
// change through HTTP.
func TestCLICloudUser(t *testing.T) {
	key := secretbox.GenerateKey()
	keyFile := filepath.Join(t.TempDir(), "server.key")
	if err := os.WriteFile(keyFile, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	backends := map[string]func(t *testing.T) recoveryBackend{
		"sqlite": func(t *testing.T) recoveryBackend {
			cfg := app.DefaultConfig()
			cfg.DataDir = t.TempDir()
			return recoveryBackend{cfg: cfg, flags: []string{"--data-dir", cfg.DataDir}}
		},
		"postgres": func(t *testing.T) recoveryBackend {
			cfg := app.DefaultConfig()
			cfg.DataDir = t.TempDir()
			cfg.DatabaseURL = pgtest.NewDatabase(t)
			cfg.ServerKey = base64.StdEncoding.EncodeToString(key)
			return recoveryBackend{cfg: cfg, flags: []string{"--database", cfg.DatabaseURL, "--server-key-file", keyFile}}
		},
	}
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			b := backends[name](t)
			startServerWith(t, b.cfg)
			cli := func(args ...string) map[string]string { return run(t, append(args, b.flags...)...) }

			admin := cli("cloud", "user", "create", "boss", "--role", "ROLE_ADMIN")
			if admin["username"] != "boss" || admin["role"] != "ROLE_ADMIN" || len(admin["password"]) < 20 {
				t.Fatalf("create printed %v", admin)
			}
			if code, out := cloudCall(t, "POST", "/admin/applications", "boss", admin["password"], map[string]any{"id": "bank"}); code != 200 || out["appKey"] == "" {
				t.Fatalf("create application as the new admin: %d %v", code, out)
			}
			user := cli("cloud", "user", "create", "backend")
			if user["role"] != "ROLE_USER" {
				t.Fatalf("create printed %v", user)
			}
			if g := cli("cloud", "user", "grant", "backend", "bank"); g["applications"] != "bank" {
				t.Fatalf("grant printed %v", g)
			}
			if code, out := cloudCall(t, "POST", "/v2/registrations", "backend", user["password"], map[string]any{"userId": "alice"}); code != 200 || out["activationQrCodeData"] == "" {
				t.Fatalf("registration as the granted user: %d %v", code, out)
			}
			if code, _ := cloudCall(t, "GET", "/admin/users", "backend", user["password"], nil); code != 403 {
				t.Fatalf("a ROLE_USER on /admin: %d", code)
			}
			out, err := execute(t, append([]string{"cloud", "user", "list"}, b.flags...)...)
			if err != nil || !strings.Contains(out, "boss") || !strings.Contains(out, "backend") || strings.Contains(out, user["password"]) {
				t.Fatalf("list: %v\n%s", err, out)
			}
			if out, err := execute(t, append([]string{"cloud", "user", "disable", "backend"}, b.flags...)...); err != nil || !strings.Contains(out, "backend is disabled") {
				t.Fatalf("disable: %v %s", err, out)
			}
			if code, _ := cloudCall(t, "POST", "/v2/registrations", "backend", user["password"], map[string]any{"userId": "alice"}); code != 401 {
				t.Fatalf("a disabled user: %d", code)
			}
			fail(t, "already exists", append([]string{"cloud", "user", "create", "boss"}, b.flags...)...)
			fail(t, "not found", append([]string{"cloud", "user", "grant", "backend", "nope"}, b.flags...)...)
		})
	}
	fail(t, "no database", "cloud", "user", "list", "--data-dir", t.TempDir(), "--server-key-file", keyFile)
}
