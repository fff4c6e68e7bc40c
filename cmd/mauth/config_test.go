package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/app"
)

func writeConfig(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "mauth.yaml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConfigCheck(t *testing.T) {
	key := filepath.Join(t.TempDir(), "idp-auth")
	if err := os.WriteFile(key, []byte("bearer:tok-123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := writeConfig(t, "server:\n  data_dir: /srv/mauth\nidp:\n  url: http://idp.local/users\n  auth_file: "+key+"\nservice:\n  signature_look_ahead: 40\n")
	t.Setenv("MAUTH_PUBLIC_ADDR", "127.0.0.1:7070")
	t.Setenv("MAUTH_SERVICE_SIGNATURE_LOOK_AHEAD", "50")
	out, err := execute(t, "config", "check", "--config", path)
	if err != nil {
		t.Fatalf("config check: %v\n%s", err, out)
	}
	for _, want := range []string{"data_dir: /srv/mauth", "addr: 127.0.0.1:7070", "signature_look_ahead: 50", "auth: '********'", "url: http://idp.local/users"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "tok-123") {
		t.Fatalf("the secret is printed:\n%s", out)
	}

	bad := writeConfig(t, "private:\n  addr: 127.0.0.1:8081\n  restrict_acess: false\n")
	fail(t, "private.restrict_acess", "config", "check", "--config", bad)
	bad = writeConfig(t, "service:\n  offline_signature_component_length: 12\n")
	fail(t, "service.offline_signature_component_length", "config", "check", "--config", bad)
	t.Setenv("MAUTH_CONFIG", bad)
	fail(t, "service.offline_signature_component_length", "config", "check")
}

// TestServeFromConfigFile starts `mauth serve` from a file, with an
// environment override and a flag override, and calls both APIs on the
// configured addresses.
func TestServeFromConfigFile(t *testing.T) {
	pub, priv, filePub := freeAddr(t), freeAddr(t), freeAddr(t)
	path := writeConfig(t, "server:\n  data_dir: "+t.TempDir()+"\npublic:\n  addr: "+filePub+"\nprivate:\n  addr: 127.0.0.1:1\n  restrict_access: false\nservice:\n  recovery_puk_hash_memory_kib: 1024\nlog:\n  level: error\n")
	t.Setenv("MAUTH_PRIVATE_ADDR", priv) // env over file
	ctx, cancel := context.WithCancel(context.Background())
	var out bytes.Buffer
	cmd := newRootCommand()
	cmd.SetOut(&out)
	cmd.SetErr(io.Discard)
	cmd.SetArgs([]string{"serve", "--config", path, "--public-addr", pub}) // flag over file
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()

	// The server starts in the background: wait for it (a generous
	// deadline, only a safety net against a server that never starts).
	deadline := time.Now().Add(5 * time.Minute)
	call := func(url string) (int, string) {
		for {
			resp, err := http.Post(url, "application/json", strings.NewReader(`{"requestObject":{}}`))
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				return resp.StatusCode, string(b)
			}
			select {
			case err := <-done:
				done <- err // for the deferred wait
				t.Fatalf("serve ended before answering %s: %v", url, err)
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("POST %s: %v", url, err)
			}
			time.Sleep(50 * time.Millisecond) // the server is still starting
		}
	}
	// No credentials needed: private.restrict_access is false in the file.
	if code, body := call("http://" + priv + "/rest/v3/status"); code != http.StatusOK || !strings.Contains(body, `"status":"OK"`) {
		t.Fatalf("private status on %s: %d %s", priv, code, body)
	}
	if code, _ := call("http://" + pub + "/pa/v3/status"); code != http.StatusOK {
		t.Fatalf("public status on %s: %d", pub, code)
	}
	// Ready: its checks have a time bound of their own, so a busy machine
	// may first see 503; wait for 200 (again only a safety-net deadline).
	for {
		resp, err := http.Get("http://" + priv + "/health/ready")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ready: %d", resp.StatusCode)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestMigrateFromConfigFile runs `mauth migrate` with the database taken
// from a configuration file, then from an environment override and a flag
// override, and checks which SQLite files got the schema.
func TestMigrateFromConfigFile(t *testing.T) {
	dir := t.TempDir()
	dataDir := filepath.Join(dir, "data")
	fromFile, fromEnv, fromFlag := filepath.Join(dir, "file.db"), filepath.Join(dir, "env.db"), filepath.Join(dir, "flag.db")
	path := writeConfig(t, "server:\n  data_dir: "+dataDir+"\ndatabase:\n  url: sqlite:"+fromFile+"\n  migrate: false\n")
	pending := func(db string) int {
		t.Helper()
		st, err := app.OpenStore(context.Background(), app.Config{DatabaseURL: "sqlite:" + db}, false)
		if err != nil {
			t.Fatalf("open %s: %v", db, err)
		}
		defer st.Close()
		n, err := st.PendingMigrations(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	exists := func(p string) bool {
		_, err := os.Stat(p)
		return err == nil
	}
	all := pending(filepath.Join(dir, "empty.db"))
	if all == 0 {
		t.Fatal("an empty database has no pending migrations")
	}

	out, err := execute(t, "migrate", "--config", path)
	if err != nil {
		t.Fatalf("migrate --config: %v\n%s", err, out)
	}
	if want := fmt.Sprintf("applied %d migration(s)", all); !strings.Contains(out, want) {
		t.Fatalf("output %q, want %q", out, want)
	}
	if n := pending(fromFile); n != 0 {
		t.Fatalf("%d migrations pending in the configured database", n)
	}
	if exists(filepath.Join(dataDir, "mauth.db")) {
		t.Fatal("migrate used the embedded database instead of database.url")
	}
	// A second run has nothing to do; MAUTH_CONFIG names the file too.
	t.Setenv("MAUTH_CONFIG", path)
	if out, err := execute(t, "migrate"); err != nil || !strings.Contains(out, "applied 0 migration(s)") {
		t.Fatalf("second migrate: %v %q", err, out)
	}

	// The environment overrides the file, a flag overrides both.
	t.Setenv("MAUTH_DATABASE_URL", "sqlite:"+fromEnv)
	if out, err := execute(t, "migrate", "--config", path); err != nil || !strings.Contains(out, fmt.Sprintf("applied %d migration(s)", all)) {
		t.Fatalf("migrate with MAUTH_DATABASE_URL: %v %q", err, out)
	}
	if n := pending(fromEnv); n != 0 {
		t.Fatalf("%d migrations pending in the database of the environment", n)
	}
	if out, err := execute(t, "migrate", "--config", path, "--database", "sqlite:"+fromFlag); err != nil || !strings.Contains(out, fmt.Sprintf("applied %d migration(s)", all)) {
		t.Fatalf("migrate --database: %v %q", err, out)
	}
	if n := pending(fromFlag); n != 0 {
		t.Fatalf("%d migrations pending in the database of the flag", n)
	}

	// A bad file is refused with the key named, before any database is touched.
	bad := writeConfig(t, "database:\n  urll: sqlite:"+filepath.Join(dir, "bad.db")+"\n")
	fail(t, "database.urll", "migrate", "--config", bad)
	if exists(filepath.Join(dir, "bad.db")) {
		t.Fatal("a bad configuration created a database")
	}
}
