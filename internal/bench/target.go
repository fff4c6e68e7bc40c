package bench

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mauth/mauth/client"
	"github.com/mauth/mauth/internal/app"
	"github.com/mauth/mauth/internal/coreclient"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/protocol"
)

// benchPIN is the PIN of every bench device.
const benchPIN = "1357"

// target is the server under test and how the bench reaches it.
type target struct {
	publicURL, privateURL string
	core                  *coreclient.Client
	// st is the server's store (in process) or a store opened on the same
	// database (remote with --database); nil when the bound cannot be measured.
	st store.Store
	// dbCfg opens the target's database (nil: unknown, no seeding).
	dbCfg *app.Config
	// inProcess is true when the server runs inside this process.
	inProcess bool
	stop      func()
	// creds are the private API credentials (HTTP Basic).
	creds [2]string
	// cloudAdmin are a Cloud ROLE_ADMIN user's name and password (the
	// cloud workload's administrator); empty: the workload is skipped.
	cloudAdmin [2]string

	appName   string
	appKey    string
	appSecret string
	sdkConfig string
	version   string
	// opTemplate is the operation template of the operation workload.
	opTemplate string
	http       *http.Client
	device     *client.Client

	// signTime (nanoseconds) and signCount measure the generator's own
	// signing work in the verify workload.
	signTime, signCount atomic.Int64
}

// startTarget starts an in-process server or connects to a remote one.
func startTarget(ctx context.Context, o Options) (*target, error) {
	tr := &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: 30 * time.Second}
	// The client timeout is a safety net against a hung target: a slow or
	// busy machine must not turn slow answers into errors.
	t := &target{version: protocol.Version33, http: &http.Client{Transport: tr, Timeout: 2 * time.Minute}, creds: [2]string{o.ClientToken, o.ClientSecret},
		cloudAdmin: [2]string{o.CloudUser, o.CloudPassword}}
	if o.PublicURL != "" {
		if o.PrivateURL == "" {
			return nil, errors.New("bench: --public-url needs --private-url (and credentials unless the private API is open)")
		}
		t.publicURL, t.privateURL = strings.TrimRight(o.PublicURL, "/"), strings.TrimRight(o.PrivateURL, "/")
		t.stop = func() {}
		if o.DatabaseURL != "" {
			st, err := app.OpenStore(ctx, boundConfig(app.Config{DatabaseURL: o.DatabaseURL, SQLiteSynchronous: o.SQLiteSynchronous}), false)
			if err != nil {
				return nil, fmt.Errorf("bench: open the database for the bound: %w", err)
			}
			t.st = st
			t.stop = func() { _ = st.Close() }
			c := boundConfig(app.Config{DatabaseURL: o.DatabaseURL, SQLiteSynchronous: o.SQLiteSynchronous})
			t.dbCfg = &c
		}
	} else if err := t.startInProcess(ctx, o); err != nil {
		return nil, err
	}
	cc, err := coreclient.New(coreclient.Options{BaseURL: t.privateURL, ClientToken: t.creds[0], ClientSecret: t.creds[1], HTTPClient: t.http})
	if err != nil {
		t.stop()
		return nil, err
	}
	t.core = cc
	return t, nil
}

// startInProcess runs mauth (role all) on loopback ports 0 with a
// temporary data folder.
func (t *target) startInProcess(ctx context.Context, o Options) error {
	dir, err := os.MkdirTemp("", "mauth-bench-*")
	if err != nil {
		return fmt.Errorf("bench: temp folder: %w", err)
	}
	cfg := app.DefaultConfig()
	cfg.DataDir = dir
	cfg.DatabaseURL = o.DatabaseURL
	cfg.SQLiteSynchronous = o.SQLiteSynchronous
	cfg.SQLiteSingleCommits = o.SQLiteSingleCommits
	cfg.PublicAddr, cfg.PrivateAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.RestrictAccess = true
	cfg.MaxInFlight = o.MaxInFlight
	// The bench measures capacity: its few devices sign far more often
	// than real ones, so the per-activation (and per-IP) rate limits are
	// off; admission control (MaxInFlight) stays on.
	cfg.RateLimit = app.RateLimitConfig{PerIP: -1, PerActivation: -1}
	cfg.CallbackAllowedDestinations = o.CallbackAllowedDestinations
	if !o.SkipCloud {
		// The cloud workload: the Test Server simulates the devices, and
		// the operation callbacks go to the bench's receiver on loopback.
		cfg.TestServer.Enabled = true
		cfg.CallbackAllowedDestinations = append(slices.Clone(cfg.CallbackAllowedDestinations), "127.0.0.1/32")
	}
	cfg.Logger = o.Logger
	cfg.Out = io.Discard
	if o.DatabaseURL != "" && !strings.HasPrefix(o.DatabaseURL, "sqlite:") {
		cfg.ServerKey = base64.StdEncoding.EncodeToString(secretbox.GenerateKey())
	}
	a, err := app.New(ctx, cfg)
	if err != nil {
		_ = os.RemoveAll(dir)
		return fmt.Errorf("bench: start mauth: %w", err)
	}
	integ, err := a.Service.CreateIntegration(ctx, fmt.Sprintf("bench-%d", time.Now().UnixNano()))
	if err != nil {
		_ = a.Close()
		_ = os.RemoveAll(dir)
		return fmt.Errorf("bench: integration: %w", err)
	}
	if a.Cloud != nil && !o.SkipCloud {
		admin, err := a.Cloud.CreateUser(ctx, fmt.Sprintf("bench-admin-%d", time.Now().UnixNano()), domain.CloudRoleAdmin)
		if err != nil {
			_ = a.Close()
			_ = os.RemoveAll(dir)
			return fmt.Errorf("bench: Cloud administrator: %w", err)
		}
		t.cloudAdmin = [2]string{admin.Username, admin.Password}
	}
	if err := a.Listen(ctx); err != nil {
		_ = a.Close()
		_ = os.RemoveAll(dir)
		return fmt.Errorf("bench: listen: %w", err)
	}
	srvCtx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() { defer close(served); _ = a.Serve(srvCtx) }()
	t.publicURL = "http://" + a.PublicAddr().String()
	t.privateURL = "http://" + a.PrivateAddr().String()
	t.st = a.Store
	closeBound := func() {}
	if strings.HasPrefix(cfg.DatabaseURL, "sqlite:") || cfg.DatabaseURL == "" {
		// The bound is the raw database: one transaction per call, on
		// connections of its own to the same file, never group commits.
		st, err := app.OpenStore(ctx, boundConfig(cfg), false)
		if err != nil {
			cancel()
			<-served
			_ = a.Close()
			_ = os.RemoveAll(dir)
			return fmt.Errorf("bench: open the database for the bound: %w", err)
		}
		t.st = st
		closeBound = func() { _ = st.Close() }
	}
	t.inProcess = true
	dbCfg := boundConfig(cfg)
	t.dbCfg = &dbCfg
	t.creds = [2]string{integ.ClientToken, integ.ClientSecret}
	t.stop = func() {
		cancel()
		<-served
		closeBound()
		_ = a.Close()
		_ = os.RemoveAll(dir)
	}
	return nil
}

// setupApp creates the bench application and the device client.
func (t *target) setupApp(ctx context.Context) error {
	t.appName = fmt.Sprintf("bench-%d", time.Now().UnixNano())
	if _, err := t.core.CreateApplication(ctx, t.appName); err != nil {
		return fmt.Errorf("bench: create application: %w", err)
	}
	d, err := t.core.ApplicationDetail(ctx, t.appName)
	if err != nil {
		return fmt.Errorf("bench: application detail: %w", err)
	}
	if len(d.Versions) == 0 {
		return errors.New("bench: the application has no version")
	}
	v := d.Versions[0]
	t.appKey, t.appSecret, t.sdkConfig = v.ApplicationKey, v.ApplicationSecret, v.MobileSdkConfig
	t.opTemplate = t.appName + "-payment"
	if err := t.privateCall(ctx, "operation/template/create", operationTemplate(t.opTemplate), nil); err != nil {
		return fmt.Errorf("bench: create operation template: %w", err)
	}
	cfg := client.Config{BaseURL: t.publicURL, Version: t.version, HTTPClient: t.http}
	if err := cfg.FromSDKConfig(t.sdkConfig); err != nil {
		return fmt.Errorf("bench: SDK configuration: %w", err)
	}
	t.device, err = client.New(cfg)
	return err
}

// activate runs one complete activation: init on the private API, key
// exchange from the device on the public API, commit on the private API.
func (t *target) activate(ctx context.Context, user string) (*client.Device, error) {
	init, err := t.core.InitActivation(ctx, coreclient.InitActivationRequest{UserID: user, ApplicationID: t.appName})
	if err != nil {
		return nil, fmt.Errorf("init: %w", err)
	}
	res, err := t.device.ActivateWithCode(ctx, init.ActivationCode, benchPIN, client.ActivationOptions{Name: "bench", Platform: "unknown"})
	if err != nil {
		return nil, fmt.Errorf("key exchange: %w", err)
	}
	if _, err := t.core.CommitActivation(ctx, init.ActivationID, "", ""); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	return res.Device, nil
}

// provision activates n devices (concurrently) with a token each.
func (t *target) provision(ctx context.Context, n int, out io.Writer) ([]*device, error) {
	devs := make([]*device, n)
	errs := make(chan error, n)
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			user := fmt.Sprintf("bench-user-%d", i)
			cd, err := t.activate(ctx, user)
			if err != nil {
				errs <- err
				return
			}
			tok, err := t.device.CreateToken(ctx, cd, client.PossessionKnowledge(benchPIN))
			if err != nil {
				errs <- fmt.Errorf("token: %w", err)
				return
			}
			d, err := newDevice(cd, benchPIN)
			if err != nil {
				errs <- err
				return
			}
			d.token, d.user = tok, user
			devs[i] = d
			mu.Lock()
			done++
			if out != nil {
				fmt.Fprintf(out, "\r  provisioning devices %d/%d", done, n)
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	if out != nil {
		fmt.Fprintf(out, "\r%-60s\r", "")
	}
	close(errs)
	if err := <-errs; err != nil {
		return nil, fmt.Errorf("bench: provision devices: %w", err)
	}
	return devs, nil
}

// boundConfig is the database configuration of the db-rmw bound: the
// server's database and durability, one commit per transaction.
func boundConfig(c app.Config) app.Config {
	return app.Config{DataDir: c.DataDir, DatabaseURL: c.DatabaseURL, SQLiteSynchronous: c.SQLiteSynchronous, SQLiteSingleCommits: true}
}
