package app

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mauth/mauth/client"
	"github.com/mauth/mauth/internal/coreclient"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/protocol"
)

// syncBuffer is an io.Writer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testConfig is a configuration on free loopback ports in a temp data dir.
func testConfig(t *testing.T, role string) Config {
	t.Helper()
	c := DefaultConfig()
	c.Role = role
	c.DataDir = t.TempDir()
	c.PublicAddr = "127.0.0.1:0"
	c.PrivateAddr = "127.0.0.1:0"
	c.Service.RecoveryPUKHashMemoryKiB = 1024
	// An enrollment server's calls to the core: a safety net only, so
	// that a busy machine does not turn a slow answer into an error.
	c.CoreTimeout = testTimeout
	return c
}

// testTimeout bounds what these tests wait for (a server's answer, a
// delivery, a state change) and the server's own time bounds in tests: a
// safety net against a hung server, far above what a slow or busy machine
// needs. No test asserts how fast anything happens.
const testTimeout = 5 * time.Minute

func init() {
	// The server's own bounds of a readiness check, of the outbox count of
	// a scrape and of the enrollment role's start-up call to the core
	// become safety nets too: on a busy machine a slow database or core
	// must not make a healthy server look unhealthy to these tests.
	readyTimeout, outboxScrapeTimeout, coreCheckTimeout = testTimeout, testTimeout, testTimeout
}

// running is an app serving in the background.
type running struct {
	*App
	out  *syncBuffer
	stop func() error
}

// start builds, listens and serves an app until the test ends.
func start(t *testing.T, c Config) *running {
	t.Helper()
	out := &syncBuffer{}
	c.Out = out
	a, err := New(context.Background(), c)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := a.Listen(context.Background()); err != nil {
		a.Close()
		t.Fatalf("Listen: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx) }()
	var once sync.Once
	var serveErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			serveErr = <-done
			a.Close()
		})
		return serveErr
	}
	t.Cleanup(func() { _ = stop() })
	return &running{App: a, out: out, stop: stop}
}

// credentials reads the bootstrap credentials the app printed.
func (r *running) credentials(t *testing.T) (string, string) {
	t.Helper()
	var token, secret string
	for _, line := range strings.Split(r.out.String(), "\n") {
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, "client token:"); ok {
			token = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(line, "client secret:"); ok {
			secret = strings.TrimSpace(v)
		}
	}
	if token == "" || secret == "" {
		t.Fatalf("no credentials in the output:\n%s", r.out)
	}
	return token, secret
}

// admin returns a private API client with the bootstrap credentials.
func (r *running) admin(t *testing.T) *coreclient.Client {
	t.Helper()
	token, secret := r.credentials(t)
	c, err := coreclient.New(coreclient.Options{BaseURL: "http://" + r.PrivateAddr().String(), ClientToken: token, ClientSecret: secret, Timeout: testTimeout})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// publicStatus calls /pa/v3/status and returns the HTTP status.
func publicStatus(t *testing.T, addr net.Addr) int {
	t.Helper()
	resp, err := http.Post("http://"+addr.String()+"/pa/v3/status", "application/json", strings.NewReader(`{"requestObject":{}}`))
	if err != nil {
		t.Fatalf("public status: %v", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

func TestAllInOne(t *testing.T) {
	r := start(t, testConfig(t, ""))
	if r.Role() != RoleAll || r.Store == nil || r.Service == nil || r.Core == nil || r.Public == nil || r.Private == nil {
		t.Fatalf("all-in-one app: role %s, store %v, public %v, private %v", r.Role(), r.Store != nil, r.Public != nil, r.Private != nil)
	}
	if r.Core != any(r.Service) {
		t.Fatal("the public API of the all-in-one role must call the service directly")
	}
	pub, priv := r.PublicAddr(), r.PrivateAddr()
	if pub == nil || priv == nil || pub.String() == priv.String() {
		t.Fatalf("addresses %v %v", pub, priv)
	}
	out := r.out.String()
	for _, want := range []string{"generated a new server key", "client token:", "http://" + pub.String() + "/pa/v3/", "http://" + priv.String() + "/rest/v3/", "role all"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	st, err := r.admin(t).SystemStatus(context.Background())
	if err != nil || st.Status != "OK" {
		t.Fatalf("private status: %+v %v", st, err)
	}
	// Without credentials the private API refuses.
	anon, _ := coreclient.New(coreclient.Options{BaseURL: "http://" + priv.String(), Timeout: testTimeout})
	if _, err := anon.SystemStatus(context.Background()); !errors.Is(err, coreclient.ErrUnauthorized) {
		t.Fatalf("anonymous private call: %v", err)
	}
	if code := publicStatus(t, pub); code != http.StatusOK {
		t.Fatalf("public status: HTTP %d", code)
	}
	// The private API is not on the public listener.
	resp, err := http.Post("http://"+pub.String()+"/rest/v3/status", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("private method on the public listener: HTTP %d", resp.StatusCode)
	}

	// Cancelling the context shuts both listeners down.
	if err := r.stop(); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	for _, addr := range []net.Addr{pub, priv} {
		if c, err := net.Dial("tcp", addr.String()); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after shutdown", addr)
		}
	}

	// A restart on the same data reuses the key and prints no new credentials.
	c := testConfig(t, RoleAll)
	c.DataDir = r.cfg.DataDir
	again := start(t, c)
	if out := again.out.String(); strings.Contains(out, "client token:") || strings.Contains(out, "generated a new server key") {
		t.Fatalf("second start printed secrets again:\n%s", out)
	}
}

func TestCoreRole(t *testing.T) {
	r := start(t, testConfig(t, RoleCore))
	if r.Public != nil || r.Core != any(r.Service) || r.PublicAddr() != nil || r.PrivateAddr() == nil {
		t.Fatalf("core role: public %v, public addr %v", r.Public != nil, r.PublicAddr())
	}
	if _, err := r.admin(t).SystemStatus(context.Background()); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.out.String(), "public API") {
		t.Fatalf("the core role announced a public API:\n%s", r.out)
	}
}

// TestSplitDeployment runs a core and an enrollment server and drives a
// device through the enrollment server: activation, commit, status, a
// two-factor signature, a token and the vault.
func TestSplitDeployment(t *testing.T) {
	ctx := context.Background()
	core := start(t, testConfig(t, RoleCore))
	admin := core.admin(t)
	integ, err := admin.CreateIntegration(ctx, "enrollment")
	if err != nil {
		t.Fatal(err)
	}

	ec := testConfig(t, RoleEnrollment)
	// The enrollment role needs no database: a data dir it cannot create
	// must not matter.
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	ec.DataDir = filepath.Join(blocker, "data")
	ec.CoreURL = "http://" + core.PrivateAddr().String()
	ec.CoreClientToken, ec.CoreClientSecret = integ.ClientToken, integ.ClientSecret
	enr := start(t, ec)
	if enr.Store != nil || enr.Service != nil || enr.Private != nil || enr.PrivateAddr() != nil {
		t.Fatal("the enrollment role opened a database or serves the private API")
	}
	if _, ok := enr.Core.(*coreclient.Client); !ok {
		t.Fatalf("the enrollment role's core is %T, want *coreclient.Client", enr.Core)
	}
	if !strings.Contains(enr.out.String(), "core server:") || strings.Contains(enr.out.String(), integ.ClientSecret) {
		t.Fatalf("enrollment output:\n%s", enr.out)
	}
	if code := publicStatus(t, enr.PublicAddr()); code != http.StatusOK {
		t.Fatalf("public status: HTTP %d", code)
	}

	for _, version := range []string{protocol.Version31, protocol.Version32, protocol.Version33} {
		t.Run(version, func(t *testing.T) {
			appName := "split-" + strings.ReplaceAll(version, ".", "")
			dev, c := activateDevice(t, admin, "http://"+enr.PublicAddr().String(), appName, version)
			if err := c.ValidateSignature(ctx, dev, client.PossessionKnowledge("1234"), []byte(`{"amount":1}`)); err != nil {
				t.Fatalf("2FA signature: %v", err)
			}
			var api *client.APIError
			if err := c.ValidateSignature(ctx, dev, client.PossessionKnowledge("0000"), nil); !errors.As(err, &api) || api.HTTPStatus != http.StatusUnauthorized {
				t.Fatalf("wrong PIN: %v", err)
			}
			st, err := c.Status(ctx, dev)
			if err != nil || st.State != client.StateActive || st.FailedAttempts != 1 {
				t.Fatalf("status after a wrong PIN: %+v %v", st, err)
			}
			tok, err := c.CreateToken(ctx, dev, client.PossessionKnowledge("1234"))
			if err != nil {
				t.Fatalf("token: %v", err)
			}
			if err := c.RemoveToken(ctx, dev, client.Possession, tok.ID); err != nil {
				t.Fatalf("remove token: %v", err)
			}
			priv, err := c.UnlockVault(ctx, dev, client.PossessionKnowledge("1234"), "TEST")
			if err != nil || !protocol.Equal(priv.Public().Compressed(), dev.DevicePublicKey) {
				t.Fatalf("vault: %v", err)
			}
			if err := c.Remove(ctx, dev, client.PossessionKnowledge("1234")); err != nil {
				t.Fatalf("remove: %v", err)
			}
			s, err := admin.ActivationStatus(ctx, dev.ActivationID)
			if err != nil || s.ActivationStatus != domain.ActivationRemoved {
				t.Fatalf("core sees %v %v", s.ActivationStatus, err)
			}
		})
	}

	// A core that is down makes the enrollment server answer 5xx, not 4xx.
	if err := core.stop(); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post("http://"+enr.PublicAddr().String()+"/pa/v3/activation/status", "application/json",
		strings.NewReader(`{"requestObject":{"activationId":"00000000-0000-4000-8000-000000000000","challenge":"AAAAAAAAAAAAAAAAAAAAAA=="}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode < 500 {
		t.Fatalf("status with the core down: HTTP %d", resp.StatusCode)
	}
}

// activateDevice creates an application, initialises an activation,
// activates a device with PIN 1234 through the public API and commits it.
func activateDevice(t *testing.T, admin *coreclient.Client, publicURL, appName, version string) (*client.Device, *client.Client) {
	t.Helper()
	if _, err := admin.CreateApplication(context.Background(), appName); err != nil {
		t.Fatal(err)
	}
	return activateDeviceOf(t, admin, publicURL, appName, version)
}

// activateDeviceOf is activateDevice for an existing application.
func activateDeviceOf(t *testing.T, admin *coreclient.Client, publicURL, appName, version string) (*client.Device, *client.Client) {
	t.Helper()
	ctx := context.Background()
	d, err := admin.ApplicationDetail(ctx, appName)
	if err != nil {
		t.Fatal(err)
	}
	cfg := client.Config{BaseURL: publicURL, Version: version}
	if err := cfg.FromSDKConfig(d.Versions[0].MobileSdkConfig); err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	init, err := admin.InitActivation(ctx, coreclient.InitActivationRequest{UserID: "alice", ApplicationID: appName})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.ActivateWithCode(ctx, init.ActivationCode+"#"+init.ActivationSignature, "1234", client.ActivationOptions{Name: "phone"})
	if err != nil {
		t.Fatalf("activate: %v", err)
	}
	if st, err := c.Status(ctx, res.Device); err != nil || st.State != client.StatePendingCommit {
		t.Fatalf("status before commit: %+v %v", st, err)
	}
	if _, err := admin.CommitActivation(ctx, res.Device.ActivationID, "", ""); err != nil {
		t.Fatal(err)
	}
	return res.Device, c
}

// TestIdentityProviderWiring activates with custom credentials through a
// static user file.
func TestIdentityProviderWiring(t *testing.T) {
	ctx := context.Background()
	c := testConfig(t, RoleAll)
	c.IdentityProvider.StaticFile = filepath.Join(t.TempDir(), "users.yaml")
	if err := os.WriteFile(c.IdentityProvider.StaticFile, []byte("users:\n  jane: {userId: \"1001\", password: \"s3cret\"}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := start(t, c)
	if !strings.Contains(r.out.String(), "identity provider:") {
		t.Fatalf("output does not name the identity provider:\n%s", r.out)
	}
	admin := r.admin(t)
	if _, err := admin.CreateApplication(ctx, "custom"); err != nil {
		t.Fatal(err)
	}
	d, err := admin.ApplicationDetail(ctx, "custom")
	if err != nil {
		t.Fatal(err)
	}
	cfg := client.Config{BaseURL: "http://" + r.PublicAddr().String()}
	if err := cfg.FromSDKConfig(d.Versions[0].MobileSdkConfig); err != nil {
		t.Fatal(err)
	}
	cl, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.ActivateWithCredentials(ctx, map[string]string{"username": "jane", "password": "wrong"}, "1234", client.ActivationOptions{}); err == nil {
		t.Fatal("activation with a wrong password succeeded")
	}
	res, err := cl.ActivateWithCredentials(ctx, map[string]string{"username": "jane", "password": "s3cret"}, "1234", client.ActivationOptions{})
	if err != nil {
		t.Fatalf("custom activation: %v", err)
	}
	st, err := admin.ActivationStatus(ctx, res.Device.ActivationID)
	if err != nil || st.UserID != "1001" {
		t.Fatalf("activation of user %q: %v", st.UserID, err)
	}

	// A broken user file stops the start-up.
	bad := testConfig(t, RoleAll)
	bad.IdentityProvider.StaticFile = filepath.Join(t.TempDir(), "missing.yaml")
	if _, err := New(ctx, bad); err == nil {
		t.Fatal("New with a missing static user file succeeded")
	}
}

// TestJobs runs the maintenance jobs on a controlled clock.
func TestJobs(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	c := testConfig(t, RoleCore)
	var logs syncBuffer
	c.Logger = slogText(&logs)
	c.serviceOptions = []service.Option{service.WithClock(clock)}
	a, err := New(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.Service.CreateApplication(ctx, "jobs", nil); err != nil {
		t.Fatal(err)
	}
	act, err := a.Service.InitActivation(ctx, service.InitActivationInput{UserID: "u", ApplicationID: "jobs"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Service.CreateOperationTemplate(ctx, service.OperationTemplateInput{Name: "login", OperationType: "login", DataTemplate: "A2",
		SignatureTypes: []protocol.SignatureType{protocol.SignaturePossessionKnowledge}, MaxFailureCount: 3, Expiration: 5 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	op, err := a.Service.CreateOperation(ctx, service.CreateOperationInput{UserID: "u", Applications: []string{"jobs"}, TemplateName: "login"})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Store.InTx(ctx, func(tx store.Tx) error {
		return tx.CreateTemporaryKey(ctx, &domain.TemporaryKey{ID: "k1", ApplicationKey: "x", PrivateKeyEncrypted: []byte{1}, PublicKey: []byte{2}, Expires: now.Add(time.Minute)})
	}); err != nil {
		t.Fatal(err)
	}

	// Nothing is due yet.
	a.runJobsOnce(ctx)
	if got, _ := a.Store.GetActivation(ctx, act.ActivationID); got.Status != domain.ActivationCreated {
		t.Fatalf("activation %v before expiry", got.Status)
	}
	mu.Lock()
	now = now.Add(time.Hour)
	mu.Unlock()
	a.runJobsOnce(ctx)
	if got, _ := a.Store.GetActivation(ctx, act.ActivationID); got.Status != domain.ActivationRemoved {
		t.Fatalf("activation %v after expiry", got.Status)
	}
	// The job persists the expiry of the pending operation (read from the store, not the lazy path).
	if got, err := a.Store.GetOperation(ctx, op.ID); err != nil || got.Status != domain.OperationExpired {
		t.Fatalf("operation %v after expiry: %v", got.Status, err)
	}
	if _, err := a.Store.GetTemporaryKey(ctx, "k1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired temporary key: %v", err)
	}
	if !strings.Contains(logs.String(), "expired unfinished activations") {
		t.Fatalf("logs:\n%s", logs.String())
	}

	// Failures are logged, not fatal.
	a.Store.Close()
	a.runJobsOnce(ctx)
	for _, want := range []string{"job failed: expire activations", "job failed: expire operations", "job failed: purge expired records"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %q:\n%s", want, logs.String())
		}
	}
}

func TestConfigValidate(t *testing.T) {
	base := DefaultConfig()
	cases := []struct {
		name string
		mod  func(c *Config)
		err  string
	}{
		{"defaults", func(c *Config) {}, ""},
		{"empty role means all", func(c *Config) { c.Role = "" }, ""},
		{"unknown role", func(c *Config) { c.Role = "edge" }, "unknown role"},
		{"same address", func(c *Config) { c.PublicAddr, c.PrivateAddr = "127.0.0.1:9000", "127.0.0.1:9000" }, "must not share"},
		{"wildcard and loopback", func(c *Config) { c.PublicAddr, c.PrivateAddr = ":9000", "127.0.0.1:9000" }, "must not share"},
		{"localhost and loopback", func(c *Config) { c.PublicAddr, c.PrivateAddr = "localhost:9000", "127.0.0.1:9000" }, "must not share"},
		{"two random ports", func(c *Config) { c.PublicAddr, c.PrivateAddr = "127.0.0.1:0", "127.0.0.1:0" }, ""},
		{"different hosts", func(c *Config) { c.PublicAddr, c.PrivateAddr = "10.0.0.1:9000", "127.0.0.1:9000" }, ""},
		{"core role may reuse the public address", func(c *Config) { c.Role, c.PrivateAddr = RoleCore, c.PublicAddr }, ""},
		{"enrollment without core", func(c *Config) { c.Role = RoleEnrollment }, "core-url"},
		{"enrollment", func(c *Config) { c.Role, c.CoreURL = RoleEnrollment, "http://core:8081" }, ""},
		{"enrollment token without secret", func(c *Config) {
			c.Role, c.CoreURL, c.CoreClientToken = RoleEnrollment, "http://core:8081", "t"
		}, "both"},
		{"core URL in the all role", func(c *Config) { c.CoreURL = "http://core:8081" }, "enrollment role only"},
		{"no public address", func(c *Config) { c.PublicAddr = "" }, "public API needs"},
		{"no private address", func(c *Config) { c.Role, c.PrivateAddr = RoleCore, "" }, "private API needs"},
		{"two identity providers", func(c *Config) {
			c.IdentityProvider = IdentityProviderConfig{URL: "http://idp", StaticFile: "users.yaml"}
		}, "choose one"},
		{"identity provider auth without URL", func(c *Config) { c.IdentityProvider.Auth = "bearer:x" }, "need the identity provider URL"},
		{"identity provider in the core role", func(c *Config) { c.Role, c.IdentityProvider.StaticFile = RoleCore, "u.yaml" }, "need the public API"},
		{"bad identity provider auth", func(c *Config) {
			c.IdentityProvider = IdentityProviderConfig{URL: "http://idp", Auth: "token:sup3rsecret"}
		}, "basic:USER:PASSWORD"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			tc.mod(&c)
			err := c.Validate()
			if tc.err == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("Validate: %v, want an error containing %q", err, tc.err)
			}
			if strings.Contains(err.Error(), "sup3rsecret") {
				t.Fatalf("the error repeats a secret: %v", err)
			}
		})
	}
}

func TestParseIdPAuth(t *testing.T) {
	cases := []struct {
		in                 string
		user, pass, bearer string
		ok                 bool
	}{
		{"", "", "", "", true},
		{"basic:bank:pa:ss", "bank", "pa:ss", "", true},
		{"BASIC:bank:", "bank", "", "", true},
		{"bearer:abc.def", "", "", "abc.def", true},
		{"basic:bank", "", "", "", false},
		{"basic::pw", "", "", "", false},
		{"bearer:", "", "", "", false},
		{"digest:x", "", "", "", false},
	}
	for _, tc := range cases {
		got, err := parseIdPAuth(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("%q: %v, want ok %v", tc.in, err, tc.ok)
			continue
		}
		if got.BasicUsername != tc.user || got.BasicPassword != tc.pass || got.BearerToken != tc.bearer {
			t.Errorf("%q: %+v", tc.in, got)
		}
	}
}

// slogText logs text at debug level to w.
func slogText(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// TestEnrollmentStartupCheck: credentials the core rejects stop the
// start-up; a core that is not up yet only warns.
func TestEnrollmentStartupCheck(t *testing.T) {
	ctx := context.Background()
	core := start(t, testConfig(t, RoleCore))

	bad := testConfig(t, RoleEnrollment)
	bad.CoreURL = "http://" + core.PrivateAddr().String()
	bad.CoreClientToken, bad.CoreClientSecret = "nobody", "wrong"
	a, err := New(ctx, bad)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.Listen(ctx); !errors.Is(err, coreclient.ErrUnauthorized) {
		t.Fatalf("Listen with rejected credentials: %v", err)
	}
	if a.PublicAddr() != nil {
		t.Fatal("the public API listens after a failed start")
	}

	down := testConfig(t, RoleEnrollment)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down.CoreURL = "http://" + ln.Addr().String()
	ln.Close()
	r := start(t, down)
	if !strings.Contains(r.out.String(), "warning: the core server") {
		t.Fatalf("no warning about the unreachable core:\n%s", r.out)
	}
	if code := publicStatus(t, r.PublicAddr()); code != http.StatusOK {
		t.Fatalf("public status without a core: HTTP %d", code)
	}
}
