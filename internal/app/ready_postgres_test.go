package app

import (
	"encoding/base64"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/secretbox"
)

// pgCluster is a throwaway PostgreSQL cluster run as the postgres user.
type pgCluster struct {
	bin, dir string
	port     int
}

// newPGCluster initialises and starts a cluster on a free loopback port.
// It skips the test when not root or without PostgreSQL binaries, except
// under CI=true where that is a failure.
func newPGCluster(t *testing.T) *pgCluster {
	t.Helper()
	skip := func(reason string) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL readiness test cannot run in CI: %s", reason)
		}
		t.Skip("PostgreSQL readiness test needs root and the PostgreSQL server binaries: " + reason)
	}
	if os.Geteuid() != 0 {
		skip("not running as root")
	}
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(bins) == 0 {
		skip("no /usr/lib/postgresql/*/bin/pg_ctl")
	}
	if _, err := exec.LookPath("runuser"); err != nil {
		skip("no runuser")
	}
	dir, err := os.MkdirTemp("", "mauth-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if out, err := exec.Command("chown", "postgres:postgres", dir).CombinedOutput(); err != nil {
		t.Fatalf("chown: %v %s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	c := &pgCluster{bin: filepath.Dir(bins[len(bins)-1]), dir: dir, port: port}
	c.run(t, "initdb", "-D", dir+"/data", "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8")
	c.start(t)
	t.Cleanup(func() { c.stop(t) })
	return c
}

func (c *pgCluster) run(t *testing.T, tool string, args ...string) {
	t.Helper()
	cmd := exec.Command("runuser", append([]string{"-u", "postgres", "--", filepath.Join(c.bin, tool)}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", tool, err, out)
	}
}

func (c *pgCluster) start(t *testing.T) {
	t.Helper()
	// -t: pg_ctl's wait for the server is a safety net (its default of
	// 60 s could run out on a busy machine).
	c.run(t, "pg_ctl", "-D", c.dir+"/data", "-l", c.dir+"/log", "-w", "-t", strconv.Itoa(int(testTimeout.Seconds())), "-o",
		"-p "+strconv.Itoa(c.port)+" -k "+c.dir+" -c listen_addresses=127.0.0.1 -c fsync=off", "start")
}

func (c *pgCluster) stop(t *testing.T) {
	t.Helper()
	cmd := exec.Command("runuser", "-u", "postgres", "--", filepath.Join(c.bin, "pg_ctl"), "-D", c.dir+"/data", "-m", "immediate", "-w", "-t", strconv.Itoa(int(testTimeout.Seconds())), "stop")
	_ = cmd.Run() // already stopped is fine
}

func (c *pgCluster) dsn() string {
	return "postgres://postgres@127.0.0.1:" + strconv.Itoa(c.port) + "/postgres?sslmode=disable"
}

// readyCode polls /health/ready until it answers want (the database comes
// and goes asynchronously), failing after a generous bound (a safety net).
func readyCode(t *testing.T, url string, want int) {
	t.Helper()
	var code int
	for deadline := time.Now().Add(testTimeout); time.Now().Before(deadline); {
		code, _, _ = get(t, url, nil)
		if code == want {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("GET %s: HTTP %d after %v, want %d", url, code, testTimeout, want)
}

func TestReadinessFollowsPostgres(t *testing.T) {
	pg := newPGCluster(t)
	c := testConfig(t, RoleAll)
	c.DatabaseURL = pg.dsn()
	c.ServerKey = base64.StdEncoding.EncodeToString(secretbox.GenerateKey())
	r := start(t, c)
	priv := "http://" + r.PrivateAddr().String()
	pub := "http://" + r.PublicAddr().String()

	readyCode(t, priv+ReadyPath, http.StatusOK)
	pg.stop(t)
	readyCode(t, priv+ReadyPath, http.StatusServiceUnavailable)
	readyCode(t, pub+ReadyPath, http.StatusServiceUnavailable)
	if code, _, _ := get(t, pub+LivePath, nil); code != http.StatusOK {
		t.Fatalf("liveness while the database is down: HTTP %d", code)
	}
	pg.start(t)
	readyCode(t, priv+ReadyPath, http.StatusOK)
	readyCode(t, pub+ReadyPath, http.StatusOK)
}
