// Package app wires mauth together: it opens the database, builds the
// services and serves the HTTP surfaces on their listeners. It holds no
// globals; cmd/mauth builds a Config and calls Run.
//
// A process has one of three roles: all (the core server and the
// enrollment server in one process, the public API calling the core service
// directly), core (only the private API on the database) or enrollment
// (only the public API, calling a remote core's private API over HTTP with
// Basic authentication; no database).
package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/mauth/mauth/internal/api/devices"
	apiinbox "github.com/mauth/mauth/internal/api/inbox"
	apimobileutil "github.com/mauth/mauth/internal/api/mobileutil"
	"github.com/mauth/mauth/internal/api/mtoken"
	apioidc "github.com/mauth/mauth/internal/api/oidc"
	"github.com/mauth/mauth/internal/api/private"
	"github.com/mauth/mauth/internal/api/public"
	apipush "github.com/mauth/mauth/internal/api/push"
	"github.com/mauth/mauth/internal/api/render"
	"github.com/mauth/mauth/internal/audit"
	"github.com/mauth/mauth/internal/buildinfo"
	"github.com/mauth/mauth/internal/cloud"
	"github.com/mauth/mauth/internal/console"
	"github.com/mauth/mauth/internal/coreclient"
	"github.com/mauth/mauth/internal/metrics"
	"github.com/mauth/mauth/internal/netguard"
	"github.com/mauth/mauth/internal/oidc"
	"github.com/mauth/mauth/internal/push"
	pushinbox "github.com/mauth/mauth/internal/push/inbox"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/store/postgres"
	"github.com/mauth/mauth/internal/store/sqlite"
	"github.com/mauth/mauth/internal/testserver"
)

// embedded reports whether the configuration uses the embedded SQLite database.
func (c Config) embedded() bool {
	return c.DatabaseURL == "" || strings.HasPrefix(c.DatabaseURL, "sqlite:")
}

// DefaultSQLiteSynchronous is the embedded database's default PRAGMA
// synchronous level: FULL, so that no acknowledged counter, activation or
// operation change is lost on a power failure (a counter rolled back would
// accept a replayed signature). Group commit amortises its fsync.
const DefaultSQLiteSynchronous = "FULL"

// OpenStore opens the configured database, applying migrations when migrate is true.
func OpenStore(ctx context.Context, c Config, migrate bool) (store.Store, error) {
	switch {
	case c.DatabaseURL == "" || strings.HasPrefix(c.DatabaseURL, "sqlite:"):
		path := strings.TrimPrefix(c.DatabaseURL, "sqlite:")
		if path == "" {
			if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
				return nil, fmt.Errorf("create data folder: %w", err)
			}
			path = filepath.Join(c.DataDir, "mauth.db")
		}
		sync := c.SQLiteSynchronous
		if sync == "" {
			sync = DefaultSQLiteSynchronous
		}
		st, err := sqlite.Open(ctx, path, sqlite.Options{Migrate: migrate, Synchronous: sync, GroupCommit: !c.SQLiteSingleCommits})
		if err != nil {
			return nil, err
		}
		return st, nil
	case strings.HasPrefix(c.DatabaseURL, "postgres://"), strings.HasPrefix(c.DatabaseURL, "postgresql://"):
		st, err := postgres.Open(ctx, c.DatabaseURL, postgres.Options{Migrate: migrate})
		if err != nil {
			return nil, err
		}
		return st, nil
	}
	return nil, fmt.Errorf("unsupported database URL (use sqlite:PATH or postgres://…)")
}

// loadServerKey returns the at-rest encryption key, generating a key file
// for the embedded database on first start.
func loadServerKey(c Config) (*secretbox.Box, bool, error) {
	if c.ServerKey != "" {
		k, err := secretbox.ParseKey(c.ServerKey)
		if err != nil {
			return nil, false, err
		}
		b, err := secretbox.New(k)
		return b, false, err
	}
	path := c.ServerKeyFile
	if path == "" {
		path = filepath.Join(c.DataDir, "server.key")
	}
	raw, err := os.ReadFile(path)
	if err == nil {
		if err := checkKeyFileMode(path); err != nil {
			return nil, false, err
		}
		k, err := secretbox.ParseKey(string(raw))
		if err != nil {
			return nil, false, fmt.Errorf("server key file %s: %w", path, err)
		}
		b, err := secretbox.New(k)
		return b, false, err
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, false, fmt.Errorf("read server key file: %w", err)
	}
	if !c.embedded() {
		return nil, false, fmt.Errorf("no server key: set the server key or a server key file (every node sharing a PostgreSQL database needs the same key)")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, fmt.Errorf("create server key folder: %w", err)
	}
	k := secretbox.GenerateKey()
	if err := os.WriteFile(path, []byte(encodeKey(k)+"\n"), 0o600); err != nil {
		return nil, false, fmt.Errorf("write server key file: %w", err)
	}
	b, err := secretbox.New(k)
	return b, true, err
}

// App is a wired mauth instance.
type App struct {
	cfg Config
	log *slog.Logger
	// Store and Service are the core's database and domain services; nil
	// in the enrollment role.
	Store   store.Store
	Service *service.Service
	// Core is what the public API calls: the Service in the all-in-one
	// (and core) role, a client of the remote core's private API in the
	// enrollment role.
	Core public.Core
	// Private serves /rest/v3 (bind it only to a private address); nil in
	// the enrollment role.
	Private http.Handler
	// Public serves the mobile-facing API; nil in the core role.
	Public http.Handler
	// Push is the push server (credentials, outbox, dispatcher); nil in
	// the enrollment role.
	Push *push.Service
	// Console is the admin console served at /admin/ on the private
	// listener; nil in the enrollment role.
	Console *console.Service

	mu        sync.Mutex
	listeners []surface
	announced bool                   // Listen ran for the bound listeners
	tls       map[string]*tls.Config // per surface name; nil entry: plain HTTP
	metrics   *metrics.Metrics       // see Metrics (health.go)
	box       *secretbox.Box         // the server key (core roles; also seals the audit key)
	auditMon  audit.Monitor          // the last audit verification (auditchain.go)
	inboxSvc  *pushinbox.Service     // the push server's inbox (inbox.go)
	testSrv   *testserver.Server     // the test server's simulated devices (testserver.go); nil when disabled
	// Cloud is the PowerAuth Cloud API's service (nil when it is off or
	// outside the core roles).
	Cloud      *cloud.Service
	mobileUtil *apimobileutil.Server // the mobile utility surface (mobileutil.go)
}

// surface is one HTTP surface bound to its listener.
type surface struct {
	name string // "public" or "private"
	ln   net.Listener
	tls  *tls.Config // nil: plain HTTP
}

// New validates the configuration, loads the TLS certificates, binds the
// listeners of the role's surfaces, and only then opens the database (core
// roles, creating the data folder, the server key and the database file
// on first start) and builds the services and handlers. A configuration
// error or a busy port therefore leaves nothing behind.
func New(ctx context.Context, c Config) (*App, error) {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Out == nil {
		c.Out = io.Discard
	}
	c.Role = c.role()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	a := &App{cfg: c, log: c.Logger, tls: map[string]*tls.Config{}}
	if err := a.loadTLS(); err != nil {
		return nil, err
	}
	if err := a.bind(); err != nil {
		return nil, err
	}
	if c.servesCore() {
		if err := a.openCore(ctx); err != nil {
			_ = a.Close()
			return nil, err
		}
		a.Private = private.New(a.Service, private.Options{RestrictAccess: c.RestrictAccess, Logger: c.Logger, ServerVersion: buildinfo.Version}).Handler()
		a.Private = a.withInbox(a.Private)      // the push server's /inbox/… (inbox.go)
		a.Private = a.withPushServer(a.Private) // the push server API (push.go)
		a.Core = a.Service
		if err := a.mountCloud(); err != nil { // cloud.go
			_ = a.Close()
			return nil, err
		}
		a.mountMobileUtilityAdmin() // mobileutil.go
		if c.TestServer.Enabled {
			if err := a.mountTestServer(); err != nil {
				_ = a.Close()
				return nil, err
			}
		}
		if err := a.mountConsole(); err != nil { // admin console at /admin/ (console.go)
			_ = a.Close()
			return nil, err
		}
	}
	if c.role() == RoleEnrollment {
		coreTLS, err := c.CoreTLS.Config()
		if err != nil {
			_ = a.Close()
			return nil, fmt.Errorf("core TLS: %w", err)
		}
		cc, err := coreclient.New(coreclient.Options{BaseURL: c.CoreURL, ClientToken: c.CoreClientToken, ClientSecret: c.CoreClientSecret, Timeout: c.CoreTimeout, TLS: coreTLS})
		if err != nil {
			_ = a.Close()
			return nil, err
		}
		a.Core = cc
	}
	if c.servesPublic() {
		provider, err := c.IdentityProvider.provider()
		if err != nil {
			_ = a.Close()
			return nil, err
		}
		popts := public.Options{Logger: c.Logger, IdentityProvider: provider}
		var oidcActivator *oidc.Activator
		if a.Service != nil { // OIDC activation over the application's oauth2_providers
			oidcActivator = NewOIDCActivator(a.Service, oidc.Options{})
			popts.OIDC = oidcActivator
		}
		pub := public.New(a.Core, popts)
		a.Public = pub.Handler()
		if a.Service != nil { // Mobile Token API, activation spawn and push registration (issue #5)
			mux := http.NewServeMux()
			mux.Handle("/", pub.Handler())
			MountOIDCConfig(mux, oidcActivator, apioidc.Options{Middleware: pub.Middleware(), Logger: c.Logger})
			MountDevices(mux, a.Service, devices.Options{Middleware: pub.Middleware(), Logger: c.Logger, ActivityPeriod: c.Devices.ActivityPeriod})
			mtoken.New(mtoken.Options{Middleware: pub.Middleware(), Operations: mtoken.ServiceOperations{Service: a.Service}, Activations: a.Service, Logger: c.Logger}).Register(mux)
			apipush.New(apipush.Options{Middleware: pub.Middleware(), Registrar: push.NewRegistry(a.Store, nil), Logger: c.Logger}).Register(mux)
			apiinbox.NewPublic(apiinbox.PublicOptions{Middleware: pub.Middleware(), Inbox: a.inbox(), Logger: c.Logger}).Register(mux)
			a.mobileUtilitySurface().RegisterPublic(mux) // /app/init (mobileutil.go)
			// The whole public surface records the caller's IP and user agent for the audit log.
			a.Public = render.WithRequestInfo("public-api", mux)
		}
	}
	a.limit()           // concurrency limit: 503 + Retry-After under overload (limit.go)
	a.rateLimit()       // public API per-IP and per-activation rates: 429 + Retry-After (ratelimit.go)
	a.instrument()      // health, metrics, request ids, access log (health.go)
	a.resolveClients()  // public API: the client address behind trusted proxies (clientip.go)
	a.securityHeaders() // Cache-Control: no-store, X-Content-Type-Options: nosniff on every answer
	a.warnRateLimits()
	return a, nil
}

// handler returns the current handler of a surface (Public or Private,
// which callers may wrap between New and Serve).
func (a *App) handler(name string) http.Handler {
	if name == "public" {
		return a.Public
	}
	return a.Private
}

// loadTLS loads the certificates of the listeners that serve TLS.
func (a *App) loadTLS() error {
	for _, l := range []struct {
		name   string
		serves bool
		cfg    TLSConfig
	}{{"public", a.cfg.servesPublic(), a.cfg.PublicTLS}, {"private", a.cfg.servesCore(), a.cfg.PrivateTLS}} {
		if !l.serves || !l.cfg.enabled() {
			continue
		}
		tc, err := l.cfg.serverTLS(a.log, l.name)
		if err != nil {
			return err
		}
		a.tls[l.name] = tc
	}
	return nil
}

// bind binds the listeners of the role's surfaces (all or none).
func (a *App) bind() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, s := range a.listeners {
		_ = s.ln.Close()
	}
	var bound []surface
	add := func(name, addr string) error {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			for _, s := range bound {
				_ = s.ln.Close()
			}
			return fmt.Errorf("%s listener: %w (is another server running there? choose another address: --%s-addr or %s.addr); nothing was created", name, err, name, name)
		}
		bound = append(bound, surface{name: name, ln: ln, tls: a.tls[name]})
		return nil
	}
	if a.cfg.servesPublic() {
		if err := add("public", a.cfg.PublicAddr); err != nil {
			return err
		}
	}
	if a.cfg.servesCore() {
		if err := add("private", a.cfg.PrivateAddr); err != nil {
			return err
		}
	}
	a.listeners, a.announced = bound, false
	return nil
}

// openCore opens the database and builds the core service.
func (a *App) openCore(ctx context.Context) error {
	c := a.cfg
	box, generated, err := loadServerKey(c)
	if err != nil {
		return err
	}
	st, err := OpenStore(ctx, c, c.AutoMigrate)
	if err != nil {
		return err
	}
	if !c.AutoMigrate {
		n, err := st.PendingMigrations(ctx)
		if err != nil {
			_ = st.Close()
			return fmt.Errorf("check migrations: %w", err)
		}
		if n > 0 {
			_ = st.Close()
			return fmt.Errorf("%d database migrations are pending: run `mauth migrate` first", n)
		}
	}
	policy, err := netguard.New(c.CallbackAllowedDestinations, nil)
	if err != nil {
		_ = st.Close()
		return fmt.Errorf("callback allowed destinations: %w", err)
	}
	opts := append([]service.Option{service.WithLogger(c.Logger), service.WithCallbackPolicy(policy)}, c.serviceOptions...)
	// Push delivery: the push outbox is filled inside the core's
	// transactions (push.go) and drained by the push dispatcher of Serve.
	pushCfg, err := a.pushConfig()
	if err != nil {
		_ = st.Close()
		return err
	}
	a.Push = push.NewService(st, box, pushCfg)
	svc, err := service.New(newPushStore(a.observe(st), a.Push, c.Logger, !c.Devices.NotifyNewDeviceDisabled), box, c.Service, opts...)
	if err != nil {
		_ = st.Close()
		return err
	}
	if generated {
		fmt.Fprintf(c.Out, "generated a new server key in %s (back it up: it decrypts the server's private keys)\n", filepath.Join(c.DataDir, "server.key"))
	}
	upgradeIntegrationSecrets(ctx, svc, c.Logger) // integration.go
	a.Store, a.Service, a.box = st, svc, box
	a.registerAuditMetrics()
	return nil
}

// Close releases the database and the listeners of a New or Listen not
// followed by Serve.
func (a *App) Close() error {
	a.closeListeners()
	if a.Store != nil {
		return a.Store.Close()
	}
	return nil
}

// Role returns the role the app runs.
func (a *App) Role() string { return a.cfg.role() }

// Run listens and serves until ctx is cancelled (see Listen and Serve).
func (a *App) Run(ctx context.Context) error {
	if err := a.Listen(ctx); err != nil {
		return err
	}
	return a.Serve(ctx)
}

// Listen creates the first private API credentials when needed (printed
// once) and prints where each listener listens; the listeners are bound
// by New (and again here after a Serve has closed them). After New,
// PublicAddr and PrivateAddr report the bound addresses (useful with
// port 0).
func (a *App) Listen(ctx context.Context) error {
	a.mu.Lock()
	rebind := len(a.listeners) == 0
	announced := a.announced
	a.mu.Unlock()
	if announced && !rebind {
		return errors.New("app: already listening")
	}
	if rebind {
		if err := a.bind(); err != nil {
			return err
		}
	}
	if err := a.prepare(ctx); err != nil {
		a.closeListeners() // a failed start listens nowhere
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.announced = true
	out := a.cfg.Out
	fmt.Fprintf(out, "mauth %s (role %s)\n", buildinfo.Version, a.cfg.role())
	for _, s := range a.listeners {
		scheme := "http"
		if s.tls != nil {
			scheme = "https"
		}
		switch s.name {
		case "public":
			fmt.Fprintf(out, "public API  (mobile devices): %s://%s%s\n", scheme, s.ln.Addr(), public.Prefix)
		case "private":
			mtls := ""
			if s.tls != nil && s.tls.ClientCAs != nil {
				mtls = " (client certificate required)"
			}
			fmt.Fprintf(out, "private API (bank backend):   %s://%s%s%s\n", scheme, s.ln.Addr(), private.Prefix, mtls)
		}
	}
	if a.cfg.role() == RoleEnrollment {
		fmt.Fprintf(out, "core server:                  %s\n", a.cfg.CoreURL)
	}
	if d := a.cfg.IdentityProvider.describe(); d != "" && a.Public != nil {
		fmt.Fprintf(out, "identity provider:            %s\n", d)
	}
	return nil
}

// prepare creates the bootstrap credentials (core roles) and checks the
// remote core (enrollment role).
func (a *App) prepare(ctx context.Context) error {
	if a.Service != nil && a.cfg.RestrictAccess {
		if err := a.bootstrapCredentials(ctx); err != nil {
			return err
		}
	}
	return a.checkCore(ctx)
}

// closeListeners closes the bound listeners.
func (a *App) closeListeners() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, s := range a.listeners {
		_ = s.ln.Close()
	}
	a.listeners = nil
}

// addr returns the bound address of a surface, nil when it is not listening.
func (a *App) addr(name string) net.Addr {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, s := range a.listeners {
		if s.name == name {
			return s.ln.Addr()
		}
	}
	return nil
}

// PublicAddr is the bound address of the public API (nil before Listen
// and in the core role).
func (a *App) PublicAddr() net.Addr { return a.addr("public") }

// PrivateAddr is the bound address of the private API (nil before Listen
// and in the enrollment role).
func (a *App) PrivateAddr() net.Addr { return a.addr("private") }

// Serve serves the bound listeners and runs the maintenance jobs (core
// roles) until ctx is cancelled, then shuts down gracefully (in-flight
// requests get up to 10 seconds).
func (a *App) Serve(ctx context.Context) error {
	a.mu.Lock()
	bound := a.listeners
	a.mu.Unlock()
	if len(bound) == 0 {
		return errors.New("app: Serve before Listen")
	}
	servers := make([]*http.Server, len(bound))
	errc := make(chan error, len(bound))
	for i, s := range bound {
		servers[i] = &http.Server{Handler: a.handler(s.name), TLSConfig: s.tls, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: serverReadTimeout, IdleTimeout: serverIdleTimeout, ErrorLog: slog.NewLogLogger(a.log.Handler(), slog.LevelWarn)}
		go func() {
			var err error
			if s.tls != nil {
				err = servers[i].ServeTLS(s.ln, "", "") // the certificate comes from TLSConfig.GetCertificate
			} else {
				err = servers[i].Serve(s.ln)
			}
			if err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("%s API: %w", s.name, err)
			}
		}()
	}
	var jobs sync.WaitGroup
	jobCtx, stopJobs := context.WithCancel(ctx)
	if a.Service != nil {
		jobs.Go(func() { a.runJobs(jobCtx) })
		// Callback delivery from the database outbox (safe on several nodes).
		jobs.Go(func() { a.callbackDispatcher().Run(jobCtx) })
		// Push delivery from the database outbox (safe on several nodes).
		jobs.Go(func() { a.Push.Run(jobCtx) })
		jobs.Go(func() { a.runAuditJobs(jobCtx) })
	}
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	stopJobs()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, s := range servers {
		_ = s.Shutdown(shutdownCtx)
	}
	jobs.Wait()
	a.mu.Lock()
	a.listeners = nil
	a.mu.Unlock()
	return runErr
}

// serverReadTimeout bounds reading a whole request (headers and body, at
// most 1 MiB) and serverIdleTimeout a kept-alive connection's wait for the
// next request: slow or idle clients cannot hold connections forever.
const (
	serverReadTimeout = 30 * time.Second
	serverIdleTimeout = 2 * time.Minute
)

// coreCheckTimeout bounds the enrollment role's start-up call to the core
// (a variable: tests lift it).
var coreCheckTimeout = 5 * time.Second

// checkCore calls the remote core once at start-up (enrollment role).
// Credentials the core rejects are a configuration error that stops the
// start; an unreachable core is only reported, since it may come up later.
func (a *App) checkCore(ctx context.Context) error {
	cc, ok := a.Core.(*coreclient.Client)
	if !ok {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, coreCheckTimeout)
	defer cancel()
	_, err := cc.SystemStatus(ctx)
	switch {
	case errors.Is(err, coreclient.ErrUnauthorized):
		return fmt.Errorf("core server %s: %w", cc.BaseURL(), err)
	case err != nil:
		fmt.Fprintf(a.cfg.Out, "warning: the core server %s does not answer yet (%v); devices get 5xx answers until it does\n", cc.BaseURL(), err)
		a.log.WarnContext(ctx, "core server unreachable at start-up", "core", cc.BaseURL(), "error", err)
	}
	return nil
}

// bootstrapCredentials creates the first integration when there is none
// and prints its credentials once.
func (a *App) bootstrapCredentials(ctx context.Context) error {
	created, integ, err := a.Service.EnsureBootstrapIntegration(ctx, "mauth-bootstrap")
	if err != nil {
		return fmt.Errorf("bootstrap integration: %w", err)
	}
	if created {
		fmt.Fprintf(a.cfg.Out, "created private API credentials (shown once; HTTP Basic):\n  client token:  %s\n  client secret: %s\n", integ.ClientToken, integ.ClientSecret)
	}
	return nil
}
