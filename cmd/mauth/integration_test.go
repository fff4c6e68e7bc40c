package main

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mauth/mauth/internal/app"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/testutil/pgtest"
)

// recoveryBackend is where TestCLIIntegrationRecover runs a server: the
// server's configuration and the flags that give `integration recover` the
// same database and server key.
type recoveryBackend struct {
	cfg   app.Config
	flags []string
}

// startServerWith runs mauth with cfg on free ports until the test ends and
// points the API commands at its private API (without credentials).
func startServerWith(t *testing.T, cfg app.Config) {
	t.Helper()
	cfg.PublicAddr, cfg.PrivateAddr = "127.0.0.1:0", "127.0.0.1:0"
	var out strings.Builder
	cfg.Out = &out
	a, err := app.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Listen(context.Background()); err != nil {
		a.Close()
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "client secret:") {
		t.Fatalf("no bootstrap credentials printed: %q", out.String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		a.Close()
	})
	t.Setenv(envPrivateURL, "http://"+a.PrivateAddr().String())
	// The bootstrap credentials are "lost": the commands start without any.
	t.Setenv(envClientToken, "")
	t.Setenv(envClientSecret, "")
}

// TestCLIIntegrationRecover loses the bootstrap credentials, creates an
// ADMIN credential offline with `mauth integration recover` against the
// database of a running server (SQLite and PostgreSQL), and uses it through
// the private HTTP API: list, remove the lost integration, create a scoped
// one, grant and revoke. The scoped credential is refused administration.
func TestCLIIntegrationRecover(t *testing.T) {
	key := secretbox.GenerateKey()
	keyFile := filepath.Join(t.TempDir(), "server.key")
	if err := os.WriteFile(keyFile, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	backends := map[string]func(t *testing.T) recoveryBackend{
		"sqlite": func(t *testing.T) recoveryBackend {
			cfg := app.DefaultConfig()
			cfg.DataDir = t.TempDir() // the server generates its key file there
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
			fail(t, "rejected the integration credentials", "integration", "list")

			// Offline: no credential, only the database and the server key.
			rec := run(t, append([]string{"integration", "recover", "rescue"}, b.flags...)...)
			if rec["name"] != "rescue" || rec["role"] != "ADMIN" || rec["client token"] == "" || rec["client secret"] == "" {
				t.Fatalf("recover printed %v", rec)
			}
			t.Setenv(envClientToken, rec["client token"])
			t.Setenv(envClientSecret, rec["client secret"])

			// Through the private HTTP API with the printed credentials.
			out, err := execute(t, "integration", "list")
			if err != nil {
				t.Fatalf("list with the recovered credentials: %v", err)
			}
			bootstrapID := ""
			for _, line := range strings.Split(out, "\n") {
				if f := strings.Fields(line); len(f) >= 3 && f[1] == "mauth-bootstrap" && f[2] == "ADMIN" {
					bootstrapID = f[0]
				}
			}
			if bootstrapID == "" || !strings.Contains(out, "rescue") || strings.Contains(out, rec["client secret"]) {
				t.Fatalf("integration list:\n%s", out)
			}
			if got := run(t, "integration", "remove", bootstrapID); got["removed"] != "true" {
				t.Fatalf("remove: %v", got)
			}
			if out, _ := execute(t, "integration", "list"); strings.Contains(out, "mauth-bootstrap") {
				t.Fatalf("the lost integration is still listed:\n%s", out)
			}

			// A scoped integration made with the recovered credential.
			run(t, "app", "create", "bank")
			run(t, "app", "create", "other")
			scoped := run(t, "integration", "create", "bank-backend", "--app", "bank")
			if scoped["role"] != "APPLICATION" || scoped["applications"] != "bank" {
				t.Fatalf("create --app: %v", scoped)
			}
			if g := run(t, "integration", "grant", scoped["integration id"], "other"); g["applications"] != "bank,other" {
				t.Fatalf("grant: %v", g)
			}
			if g := run(t, "integration", "revoke", scoped["integration id"], "other"); g["applications"] != "bank" {
				t.Fatalf("revoke: %v", g)
			}
			t.Setenv(envClientToken, scoped["client token"])
			t.Setenv(envClientSecret, scoped["client secret"])
			apps, err := execute(t, "app", "list")
			if err != nil || !strings.Contains(apps, "bank") || strings.Contains(apps, "other") {
				t.Fatalf("app list as the scoped integration: %v\n%s", err, apps)
			}
			fail(t, "ERR_ACCESS_DENIED", "integration", "list")
			fail(t, "ERR_ACCESS_DENIED", "app", "show", "other")
		})
	}
}

// TestCLIIntegrationRecoverRefuses checks that recover creates nothing
// without the server's own key or database.
func TestCLIIntegrationRecoverRefuses(t *testing.T) {
	cfg := app.DefaultConfig()
	cfg.DataDir = t.TempDir()
	startServerWith(t, cfg)
	wrong := filepath.Join(t.TempDir(), "wrong.key")
	if err := os.WriteFile(wrong, []byte(base64.StdEncoding.EncodeToString(secretbox.GenerateKey())), 0o600); err != nil {
		t.Fatal(err)
	}
	fail(t, "not the key of this database", "integration", "recover", "--data-dir", cfg.DataDir, "--server-key-file", wrong)
	fail(t, "no server key", "integration", "recover", "--data-dir", cfg.DataDir, "--server-key-file", filepath.Join(t.TempDir(), "missing.key"))
	empty := t.TempDir()
	fail(t, "no server key", "integration", "recover", "--data-dir", empty)
	if entries, _ := os.ReadDir(empty); len(entries) != 0 {
		t.Fatalf("recover wrote into an empty data folder: %v", entries)
	}
	fail(t, "no database", "integration", "recover", "--data-dir", empty, "--server-key-file", filepath.Join(cfg.DataDir, "server.key"))
	// Nothing was created: only the bootstrap integration exists.
	t.Setenv(envClientToken, "")
	out, err := execute(t, "integration", "recover", "--data-dir", cfg.DataDir)
	if err != nil {
		t.Fatalf("recover with the right key: %v", err)
	}
	rec := parseFields(out)
	t.Setenv(envClientToken, rec["client token"])
	t.Setenv(envClientSecret, rec["client secret"])
	list, err := execute(t, "integration", "list")
	if err != nil || strings.Count(list, "ADMIN") != 2 || !strings.Contains(list, "mauth-recovery") {
		t.Fatalf("integrations after the refused attempts: %v\n%s", err, list)
	}
}

// TestCLIAdminUserCreate creates the first console user offline with
// `mauth admin user create` against the database of a running server
// (SQLite and PostgreSQL) and signs in to the console with it.
func TestCLIAdminUserCreate(t *testing.T) {
	key := secretbox.GenerateKey()
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			cfg := app.DefaultConfig()
			cfg.DataDir = t.TempDir()
			flags := []string{"--data-dir", cfg.DataDir}
			if name == "postgres" {
				cfg.DatabaseURL = pgtest.NewDatabase(t)
				cfg.ServerKey = base64.StdEncoding.EncodeToString(key)
				flags = []string{"--database", cfg.DatabaseURL}
			}
			startServerWith(t, cfg)
			t.Setenv(envConsolePassword, "a long console passphrase")
			got := run(t, append([]string{"admin", "user", "create", "alice", "--role", "operator"}, flags...)...)
			if got["username"] != "alice" || got["role"] != "operator" {
				t.Fatalf("admin user create printed %v", got)
			}
			fail(t, "exists", append([]string{"admin", "user", "create", "alice"}, flags...)...)
			t.Setenv(envConsolePassword, "short")
			fail(t, "at least 12", append([]string{"admin", "user", "create", "bob"}, flags...)...)

			// Sign in to the console on the private listener.
			base := os.Getenv(envPrivateURL)
			hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := hc.PostForm(base+"/admin/signin", url.Values{"username": {"alice"}, "password": {"a long console passphrase"}})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/dashboard" {
				t.Fatalf("sign in as the created user: %d %s", resp.StatusCode, resp.Header.Get("Location"))
			}
		})
	}
}
