//go:build unix

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Markers around the walk-through in README.md.
const (
	walkthroughBegin = "<!-- walkthrough:begin -->"
	walkthroughEnd   = "<!-- walkthrough:end -->"
)

// readmeWalkthrough extracts the shell block between the markers of README.md.
func readmeWalkthrough(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(raw), walkthroughBegin)
	if !ok {
		t.Fatalf("README.md has no %s marker", walkthroughBegin)
	}
	block, _, ok := strings.Cut(rest, walkthroughEnd)
	if !ok {
		t.Fatalf("README.md has no %s marker", walkthroughEnd)
	}
	block = strings.TrimSpace(block)
	body, ok := strings.CutPrefix(block, "```sh\n")
	if !ok || !strings.HasSuffix(body, "```") {
		t.Fatalf("the walk-through is not one ```sh block:\n%s", block)
	}
	return strings.TrimSuffix(body, "```")
}

// buildBinary builds cmd/mauth without cgo (as scripts/test.sh does, so the
// build cache serves it) into dir.
func buildBinary(t *testing.T, dir string) {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	cmd := exec.Command(goTool, "build", "-o", filepath.Join(dir, "mauth"), ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
}

// freeAddr returns a loopback address with a port that was free just now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestReadmeWalkthrough runs the README walk-through as written, with the
// freshly built binary on PATH, in an empty folder. Only the listen
// addresses differ (free ports, set through the environment variables the
// commands document).
func TestReadmeWalkthrough(t *testing.T) {
	script := readmeWalkthrough(t)
	bin := t.TempDir()
	buildBinary(t, bin)
	work := t.TempDir()
	pub, priv := freeAddr(t), freeAddr(t)

	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MAUTH_") && !strings.HasPrefix(kv, "PATH=") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"MAUTH_PUBLIC_ADDR="+pub,
		"MAUTH_PRIVATE_ADDR="+priv,
		"MAUTH_URL=http://"+priv,
		"MAUTH_PUBLIC_URL=http://"+pub,
	)
	// The script waits for the server by itself; this bound is only a
	// safety net against a hung command, not a measure of speed.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = work
	cmd.Env = env
	// Own process group, so that a server left behind by a failing script
	// is stopped with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	// Files, not pipes: a server the script leaves running keeps its
	// inherited stderr open, and Wait must not wait for it.
	stdout, err := os.Create(filepath.Join(bin, "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	defer stdout.Close()
	stderr, err := os.Create(filepath.Join(bin, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	cmd.Stdout, cmd.Stderr = stdout, stderr
	runErr := cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	outBytes, _ := os.ReadFile(stdout.Name())
	errBytes, _ := os.ReadFile(stderr.Name())
	if runErr != nil {
		t.Fatalf("walk-through failed: %v\nstdout:\n%s\nstderr:\n%s", runErr, outBytes, errBytes)
	}
	out := string(outBytes)

	for _, want := range []string{
		"application key:",
		"application secret:",
		"master public key:",
		"mobile SDK config:",
		"activation code:",
		"QR code string:",
		"fingerprint:",
		"status:             ACTIVE",
		"signature: valid",
		"factors:   possession_knowledge",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	serverLog, err := os.ReadFile(filepath.Join(work, "demo-server.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"client token:", "public API  (mobile devices): http://" + pub, "private API (bank backend):   http://" + priv} {
		if !strings.Contains(string(serverLog), want) {
			t.Errorf("server output lacks %q:\n%s", want, serverLog)
		}
	}
	if png, err := os.ReadFile(filepath.Join(work, "demo-qr.png")); err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("demo-qr.png: %v", err)
	}
	raw, err := os.ReadFile(filepath.Join(work, "demo-phone.json"))
	if err != nil {
		t.Fatal(err)
	}
	var st deviceState
	if err := json.Unmarshal(raw, &st); err != nil || st.Device == nil || st.Device.Counter == 0 {
		t.Fatalf("device state after signing: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(work, "demo-phone.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("device state permissions: %v %v", fi.Mode(), err)
	}
}
