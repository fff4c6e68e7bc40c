package crashtest

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mauth/mauth/client"
	"github.com/mauth/mauth/internal/app"
	"github.com/mauth/mauth/internal/coreclient"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/testutil/pgtest"
)

var (
	flagKills = flag.Int("crash.kills", 0, "number of kill -9 cycles (default 3, or MAUTH_CRASH_KILLS)")
	flagSeed  = flag.Uint64("crash.seed", 0, "seed of the kill moments (default: from the clock, logged)")
)

const pin = "2468"

// waitLimit bounds every wait of these tests for something the server
// does (start, die, answer, deliver): a safety net for a hung server, far
// above what a slow or busy machine needs. No test asserts how fast
// anything happens.
const waitLimit = 5 * time.Minute

// waitFor polls cond until it holds, failing the test after waitLimit.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", waitLimit, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// buildOnce builds the mauth binary once per test process.
var buildOnce = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "mauth-crashtest-bin-*")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "mauth")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/mauth/mauth/cmd/mauth").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

func kills() int {
	if *flagKills > 0 {
		return *flagKills
	}
	if n, err := strconv.Atoi(os.Getenv("MAUTH_CRASH_KILLS")); err == nil && n > 0 {
		return n
	}
	return 3
}

// server is one run of the binary.
type server struct {
	cmd        *exec.Cmd
	publicURL  string
	privateURL string
	exited     chan struct{}
}

var addrLine = regexp.MustCompile(`(public|private) API .*(http://127\.0\.0\.1:\d+)`)

// start runs `mauth serve` on loopback ports 0 and waits for its addresses.
func start(t *testing.T, bin string, args []string) *server {
	t.Helper()
	return startEnv(t, bin, args, nil)
}

// startEnv is start with extra MAUTH_* settings in the environment.
func startEnv(t *testing.T, bin string, args, env []string) *server {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--public-addr", "127.0.0.1:0", "--private-addr", "127.0.0.1:0", "--insecure-no-private-auth"}, args...)...)
	// Only the settings given here: no MAUTH_* from the caller's environment.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MAUTH_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, exited: make(chan struct{})}
	found := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := addrLine.FindStringSubmatch(sc.Text()); m != nil {
				if m[1] == "public" {
					s.publicURL = m[2]
				} else {
					s.privateURL = m[2]
				}
				if s.publicURL != "" && s.privateURL != "" {
					close(found)
				}
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	go func() { _ = cmd.Wait(); close(s.exited) }()
	select {
	case <-found:
	case <-s.exited:
		t.Fatal("mauth serve exited before listening")
	case <-time.After(waitLimit):
		_ = cmd.Process.Kill()
		t.Fatal("mauth serve did not print its addresses")
	}
	return s
}

// kill sends SIGKILL and waits for the process to be gone.
func (s *server) kill(t *testing.T) {
	t.Helper()
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-s.exited:
	case <-time.After(waitLimit):
		t.Fatal("mauth did not die")
	}
}

// fleet is the test's view of the server: the current URLs and what the
// server acknowledged.
type fleet struct {
	mu         sync.Mutex
	publicURL  string
	privateURL string
	appName    string
	sdkConfig  string
	httpClient *http.Client
	// acked maps activation ids whose commit was acknowledged to the
	// device and the highest counter the server acknowledged.
	acked map[string]*ackedDevice
	// verifications counts acknowledged signatures.
	verifications int
	activations   int
}

// acknowledged returns the number of acknowledged results so far.
func (f *fleet) acknowledged() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.activations + f.verifications
}

type ackedDevice struct {
	dev        *client.Device
	ackedCount uint64
}

func (f *fleet) urls() (string, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.publicURL, f.privateURL
}

// waitRestart waits until the server answers again after a request to
// pub got no answer: the restarted server listens on new ports, so the
// fleet's public URL changes; a server still up at pub answers its
// liveness probe.
func (f *fleet) waitRestart(ctx context.Context, pub string) {
	for ctx.Err() == nil {
		if now, _ := f.urls(); now != pub {
			return
		}
		if resp, err := f.httpClient.Get(pub + "/health/live"); err == nil {
			_ = resp.Body.Close()
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (f *fleet) clients() (*client.Client, *coreclient.Client, error) {
	pub, priv := f.urls()
	cfg := client.Config{BaseURL: pub, HTTPClient: f.httpClient}
	if err := cfg.FromSDKConfig(f.sdkConfig); err != nil {
		return nil, nil, err
	}
	c, err := client.New(cfg)
	if err != nil {
		return nil, nil, err
	}
	cc, err := coreclient.New(coreclient.Options{BaseURL: priv, HTTPClient: f.httpClient, Timeout: waitLimit})
	return c, cc, err
}

// worker activates devices and signs with them until ctx ends. Errors are
// expected while the server is down; only acknowledged results count.
func (f *fleet) worker(ctx context.Context, id int, rng *rand.Rand) {
	var mine []*ackedDevice
	for n := 0; ctx.Err() == nil; n++ {
		c, cc, err := f.clients()
		if err != nil {
			return
		}
		if len(mine) == 0 || rng.IntN(4) == 0 {
			init, err := cc.InitActivation(ctx, coreclient.InitActivationRequest{UserID: fmt.Sprintf("crash-%d-%d", id, n), ApplicationID: f.appName})
			if err != nil {
				time.Sleep(20 * time.Millisecond)
				continue
			}
			res, err := c.ActivateWithCode(ctx, init.ActivationCode, pin, client.ActivationOptions{Name: "crash"})
			if err != nil {
				continue
			}
			if _, err := cc.CommitActivation(ctx, init.ActivationID, "", ""); err != nil {
				continue
			}
			d := &ackedDevice{dev: res.Device}
			mine = append(mine, d)
			f.mu.Lock()
			f.acked[init.ActivationID] = d
			f.activations++
			f.mu.Unlock()
			continue
		}
		d := mine[rng.IntN(len(mine))]
		f2 := client.PossessionBiometry
		pub, _ := f.urls()
		if err := c.ValidateSignature(ctx, d.dev, f2, []byte(`{"n":`+strconv.Itoa(n)+`}`)); err != nil {
			var apiErr *client.APIError
			switch {
			case errors.As(err, &apiErr) && apiErr.HTTPStatus == http.StatusUnauthorized:
				// The server saw a counter it did not accept: resynchronise.
				_, _ = c.Status(ctx, d.dev)
			case !errors.As(err, &apiErr):
				// No answer: the server is down. Each signature advances
				// the device's counter, so a worker that kept signing
				// while the server restarts would run its devices'
				// counters past the server's look-ahead window, which no
				// real phone does. Wait for the restarted server.
				f.waitRestart(ctx, pub)
			}
			continue
		}
		f.mu.Lock()
		d.ackedCount = d.dev.Counter
		f.verifications++
		f.mu.Unlock()
	}
}

func TestCrashRecoverySQLite(t *testing.T) {
	dir := t.TempDir()
	runCrash(t, []string{"--data-dir", dir}, app.Config{DataDir: dir})
}

func TestCrashRecoveryPostgres(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	keyFile := filepath.Join(t.TempDir(), "server.key")
	if err := os.WriteFile(keyFile, []byte(base64.StdEncoding.EncodeToString(secretbox.GenerateKey())+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	runCrash(t, []string{"--database", dsn, "--server-key-file", keyFile}, app.Config{DatabaseURL: dsn})
}

func runCrash(t *testing.T, args []string, storeCfg app.Config) {
	bin, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	seed := *flagSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (rerun with -args -crash.seed=%d), %d kills", seed, seed, kills())
	rng := rand.New(rand.NewPCG(seed, 1))

	srv := start(t, bin, args)
	t.Cleanup(func() { _ = srv.cmd.Process.Kill() })
	f := &fleet{publicURL: srv.publicURL, privateURL: srv.privateURL, acked: map[string]*ackedDevice{},
		httpClient: &http.Client{Timeout: waitLimit}}
	ctx := context.Background()
	cc, err := coreclient.New(coreclient.Options{BaseURL: srv.privateURL, Timeout: waitLimit})
	if err != nil {
		t.Fatal(err)
	}
	f.appName = fmt.Sprintf("crash-%d", seed)
	if _, err := cc.CreateApplication(ctx, f.appName); err != nil {
		t.Fatal(err)
	}
	detail, err := cc.ApplicationDetail(ctx, f.appName)
	if err != nil || len(detail.Versions) == 0 {
		t.Fatalf("application detail: %v", err)
	}
	f.sdkConfig = detail.Versions[0].MobileSdkConfig

	wctx, stop := context.WithCancel(ctx)
	t.Cleanup(stop) // also when the test fails early
	var wg sync.WaitGroup
	for i := range 4 {
		wrng := rand.New(rand.NewPCG(seed, uint64(i)+2))
		wg.Go(func() { f.worker(wctx, i, wrng) })
	}
	// The kill moments are counted in work, not time: each server is
	// killed once the workers got a random number (20 to 219) of results
	// acknowledged by it, so every run of the server does as much work
	// and is killed mid-traffic however slow or busy the machine is.
	for k := range kills() {
		target := f.acknowledged() + 20 + rng.IntN(200)
		waitFor(t, "the workers got no results acknowledged", func() bool { return f.acknowledged() >= target })
		srv.kill(t)
		f.mu.Lock()
		t.Logf("kill %d: %d activations and %d verifications acknowledged so far", k+1, f.activations, f.verifications)
		f.mu.Unlock()
		srv = start(t, bin, args)
		f.mu.Lock()
		f.publicURL, f.privateURL = srv.publicURL, srv.privateURL
		f.mu.Unlock()
	}
	// The last server too acknowledges some work, and at least one
	// activation and one verification were acknowledged in all.
	target := f.acknowledged() + 20
	waitFor(t, "the workers got no activation and verification acknowledged", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.activations+f.verifications >= target && f.activations > 0 && f.verifications > 0
	})
	stop()
	wg.Wait()
	srv.kill(t) // the last one too: a crash, not a clean shutdown

	f.mu.Lock()
	defer f.mu.Unlock()
	if f.activations == 0 || f.verifications == 0 {
		t.Fatalf("nothing was acknowledged (%d activations, %d verifications): the test did not exercise the server", f.activations, f.verifications)
	}
	st, err := app.OpenStore(ctx, storeCfg, false)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for id, d := range f.acked {
		a, err := st.GetActivation(ctx, id)
		if err != nil {
			t.Errorf("acknowledged activation %s lost: %v", id, err)
			continue
		}
		if a.Status != domain.ActivationActive {
			t.Errorf("acknowledged activation %s is %s, want ACTIVE", id, a.Status)
		}
		if uint64(a.Counter) < d.ackedCount {
			t.Errorf("activation %s: stored counter %d is behind the acknowledged %d", id, a.Counter, d.ackedCount)
		}
	}
	t.Logf("checked %d acknowledged activations and %d acknowledged verifications after %d kills", len(f.acked), f.verifications, kills())

	// The restarted server serves the surviving devices: every one can
	// still synchronise and sign.
	srv = start(t, bin, args)
	f.publicURL, f.privateURL = srv.publicURL, srv.privateURL
	f.mu.Unlock()
	c, _, err := f.clients()
	f.mu.Lock()
	if err != nil {
		t.Fatal(err)
	}
	for id, d := range f.acked {
		if _, err := c.Status(ctx, d.dev); err != nil {
			t.Errorf("activation %s: status after the crashes: %v", id, err)
			continue
		}
		if err := c.ValidateSignature(ctx, d.dev, client.PossessionBiometry, []byte(`{}`)); err != nil {
			t.Errorf("activation %s: signature after the crashes: %v", id, err)
		}
	}
	srv.kill(t)
}
