package app

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/mauth/mauth/internal/api/devices"
	"github.com/mauth/mauth/internal/callbacks"
	"github.com/mauth/mauth/internal/coreclient"
	"github.com/mauth/mauth/internal/netguard"
	"github.com/mauth/mauth/internal/service"
)

// Roles of a mauth process.
const (
	// RoleAll runs the core server and the enrollment server in one
	// process; the public API calls the core service directly.
	RoleAll = "all"
	// RoleCore runs only the core server: the private API on its database.
	RoleCore = "core"
	// RoleEnrollment runs only the public API, calling a remote core's
	// private API (Config.CoreURL); it needs no database.
	RoleEnrollment = "enrollment"
)

// Config is everything needed to run mauth.
type Config struct {
	// Role is RoleAll (the default when empty), RoleCore or RoleEnrollment.
	Role string
	// DataDir holds the embedded database and the generated server key.
	DataDir string
	// DatabaseURL selects the database: empty for the embedded SQLite file
	// DataDir/mauth.db, "sqlite:PATH" for another SQLite file, or a
	// postgres:// URL.
	DatabaseURL string
	// SQLiteSynchronous is the embedded database's PRAGMA synchronous:
	// "FULL" (the default when empty: an acknowledged write survives a
	// power loss) or "NORMAL" (it survives a process crash only).
	SQLiteSynchronous string
	// SQLiteSingleCommits turns the embedded database's group commit off:
	// every write transaction then commits (and with FULL, fsyncs) alone.
	SQLiteSingleCommits bool
	// PublicAddr is the listen address of the public (mobile) API.
	PublicAddr string
	// PrivateAddr is the listen address of the private (back-office) API.
	// It must not be the public address, and must be a loopback address
	// when RestrictAccess is off.
	PrivateAddr string
	// PublicTLS and PrivateTLS serve the listeners over TLS (HTTP/2 and
	// HTTP/1.1) when their files are set; PrivateTLS.ClientCAFile adds
	// mutual TLS. Empty: plain HTTP.
	PublicTLS  TLSConfig
	PrivateTLS TLSConfig
	// Proxies names the reverse proxies in front of the public API whose
	// forwarded client addresses the per-IP rate limit and the audit log
	// believe (none by default).
	Proxies ProxyConfig
	// ServerKey is the Base64 key that encrypts server secrets at rest.
	// When empty, ServerKeyFile is read; with the embedded database a
	// missing key file is generated.
	ServerKey string
	// ServerKeyFile is the path of the server key (default DataDir/server.key).
	ServerKeyFile string
	// RestrictAccess requires integration credentials (HTTP Basic) on the private API.
	RestrictAccess bool
	// Console tunes the admin console.
	Console ConsoleOptions
	// AutoMigrate applies pending migrations at start-up.
	AutoMigrate bool
	// Service holds the core server's behaviour settings.
	Service service.Config

	// CoreURL is the private API of the core that the enrollment role calls.
	CoreURL string
	// CoreClientToken and CoreClientSecret are the integration credentials
	// the enrollment role sends to the core (HTTP Basic).
	CoreClientToken  string
	CoreClientSecret string
	// CoreTimeout bounds each call to the core (0: the client's default).
	CoreTimeout time.Duration
	// CoreTLS configures TLS to an https:// core: a CA file to verify it
	// (default: the system roots) and a client certificate for a core
	// that requires mutual TLS.
	CoreTLS coreclient.TLSFiles

	// MaxInFlight limits the requests each HTTP surface serves at once;
	// more are answered 503 with Retry-After (0: DefaultMaxInFlight per
	// CPU, negative: no limit).
	MaxInFlight int
	// RateLimit limits the public API's request rate per client IP and
	// per activation (zero value: the defaults; see RateLimitConfig).
	RateLimit RateLimitConfig

	// IdentityProvider configures custom-credential activations.
	IdentityProvider IdentityProviderConfig

	// Environment names the deployment; EnvironmentProduction marks a
	// production configuration, which refuses the test server.
	Environment string
	// TestServer enables the Test Server API (simulated devices) on the
	// private listener.
	TestServer TestServerConfig

	// CallbackAllowedDestinations are CIDR prefixes, IP addresses and host
	// names callbacks may reach although they are internal addresses
	// (netguard); empty: public addresses only.
	CallbackAllowedDestinations []string
	// MobileUtilityVersionCheckDisabled leaves the version check out of
	// the answers of GET /app/init.
	MobileUtilityVersionCheckDisabled bool

	// Cloud configures the PowerAuth Cloud API (/powerauth-cloud on the
	// private listener of the core roles).
	Cloud CloudConfig

	// Push configures push delivery (provider endpoints, defaults).
	Push PushConfig

	// Audit configures the audit chains' checkpoints and verification
	// (auditchain.go).
	Audit AuditConfig
	// Devices configures the user's own devices: the self-service device
	// API and the new-device notice.
	Devices DevicesConfig

	// Logger receives the server's logs (JSON or text, set by the caller).
	Logger *slog.Logger
	// Out receives messages for the operator (listen addresses, first credentials).
	Out io.Writer

	// serviceOptions customise the core service (tests set a clock).
	serviceOptions []service.Option
	// mobileUtilityNow is the mobile utility services' clock (tests move it; nil: time.Now).
	mobileUtilityNow func() time.Time
	// rateLimitNow is the rate limiter's clock (tests freeze it; nil: time.Now).
	rateLimitNow func() time.Time
	// callbacks tunes the callback dispatcher (tests shorten the poll
	// interval); the logger and the metrics observer are set by Serve.
	callbacks callbacks.Config
	// cloudNow is the Cloud API's clock (tests move it; nil: the core service's clock).
	cloudNow func() time.Time
	// push overrides push service settings (tests).
	push pushOverrides
}

// CloudConfig configures the PowerAuth Cloud API.
type CloudConfig struct {
	// Disabled turns the Cloud API off (it is on in the core roles).
	Disabled bool
	// ServiceBaseURL is the public API's URL given to the mobile apps of
	// new applications (serviceBaseUrl); empty: derived from the public
	// listener's address.
	ServiceBaseURL string
	// TokenAudience is the audience of the bearer tokens (default "powerauth-cloud").
	TokenAudience string
	// TokenLifetime is how long a bearer token is valid (default 1 hour).
	TokenLifetime time.Duration
	// PasswordHashMemoryKiB is the Argon2id memory cost of new Cloud
	// passwords (default 19 MiB).
	PasswordHashMemoryKiB uint32
}

// DefaultConfig returns the settings `mauth serve` uses without flags.
func DefaultConfig() Config {
	return Config{
		Role:           RoleAll,
		DataDir:        "data",
		PublicAddr:     ":8080",
		PrivateAddr:    "127.0.0.1:8081",
		RestrictAccess: true,
		AutoMigrate:    true,
		Service:        service.DefaultConfig(),
		Audit:          AuditConfig{CheckpointInterval: DefaultAuditCheckpointInterval, VerifyInterval: DefaultAuditVerifyInterval},
	}
}

// EnvironmentProduction is the Environment of a production deployment.
const EnvironmentProduction = "production"

// TestServerConfig configures the Test Server API.
type TestServerConfig struct {
	// Enabled mounts /powerauth-test-server on the private listener.
	Enabled bool
	// PublicURL is the public API the simulated devices call (empty: the
	// process's own public listener over loopback).
	PublicURL string
}

// validate checks the test server settings against the rest.
func (c Config) validateTestServer() error {
	if !c.TestServer.Enabled {
		if c.TestServer.PublicURL != "" {
			return errors.New("test_server.public_url is set but the test server is not enabled (test_server.enabled)")
		}
		return nil
	}
	if strings.EqualFold(strings.TrimSpace(c.Environment), EnvironmentProduction) {
		return errors.New("the test server (test_server.enabled) holds device keys and must never run beside real users: it is refused on a configuration marked server.environment: production")
	}
	if !c.servesCore() {
		return fmt.Errorf("the test server needs the database and the private listener (role %s or %s)", RoleAll, RoleCore)
	}
	if c.TestServer.PublicURL == "" {
		if !c.servesPublic() {
			return fmt.Errorf("the test server of the %s role needs test_server.public_url (the public API the devices call)", RoleCore)
		}
		if c.PublicTLS.enabled() {
			return errors.New("the test server needs test_server.public_url when the public API serves TLS (a URL its certificate is valid for)")
		}
		return nil
	}
	u, err := url.Parse(c.TestServer.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("test_server.public_url %q is not an http:// or https:// URL", c.TestServer.PublicURL)
	}
	return nil
}

// role returns the effective role.
func (c Config) role() string {
	if c.Role == "" {
		return RoleAll
	}
	return c.Role
}

// servesCore reports whether the process runs the core (database and private API).
func (c Config) servesCore() bool { return c.role() != RoleEnrollment }

// servesPublic reports whether the process serves the public API.
func (c Config) servesPublic() bool { return c.role() != RoleCore }

// Validate reports inconsistent settings.
func (c Config) Validate() error {
	switch c.role() {
	case RoleAll, RoleCore, RoleEnrollment:
	default:
		return fmt.Errorf("unknown role %q (use %s, %s or %s)", c.Role, RoleAll, RoleCore, RoleEnrollment)
	}
	if c.servesCore() && strings.TrimSpace(c.PrivateAddr) == "" {
		return errors.New("the private API needs a listen address")
	}
	if c.servesPublic() && strings.TrimSpace(c.PublicAddr) == "" {
		return errors.New("the public API needs a listen address")
	}
	if c.servesCore() && !c.RestrictAccess && !IsLoopbackAddr(c.PrivateAddr) {
		return fmt.Errorf("the private API without authentication (--insecure-no-private-auth, private.restrict_access false) may only listen on a loopback address such as 127.0.0.1:8081, not %q", c.PrivateAddr)
	}
	if c.servesPublic() {
		if c.PublicTLS.ClientCAFile != "" {
			return errors.New("mutual TLS (a client CA file) is a setting of the private listener only")
		}
		if err := c.PublicTLS.validate("public"); err != nil {
			return err
		}
		if err := c.Proxies.Validate(); err != nil {
			return err
		}
	}
	if c.servesCore() {
		if err := c.PrivateTLS.validate("private"); err != nil {
			return err
		}
	}
	if c.role() == RoleAll && sameListener(c.PublicAddr, c.PrivateAddr) {
		return fmt.Errorf("the private API must not share the public listener address (%s)", c.PublicAddr)
	}
	if c.role() == RoleEnrollment {
		if c.CoreURL == "" {
			return errors.New("the enrollment role needs the core's private API URL (--core-url)")
		}
		if (c.CoreClientToken == "") != (c.CoreClientSecret == "") {
			return errors.New("set both the core client token and the core client secret, or neither")
		}
		if c.CoreTLS != (coreclient.TLSFiles{}) {
			if _, err := c.CoreTLS.Config(); err != nil {
				return fmt.Errorf("core TLS: %w", err)
			}
		}
	} else if c.CoreURL != "" || c.CoreClientToken != "" || c.CoreClientSecret != "" || c.CoreTLS != (coreclient.TLSFiles{}) {
		return fmt.Errorf("the core URL and credentials are settings of the %s role only", RoleEnrollment)
	}
	if _, err := netguard.New(c.CallbackAllowedDestinations, nil); err != nil {
		return fmt.Errorf("callback allowed destinations: %w", err)
	}
	if err := c.validateTestServer(); err != nil {
		return err
	}
	if c.IdentityProvider.configured() && !c.servesPublic() {
		return fmt.Errorf("identity provider settings need the public API (role %s or %s)", RoleAll, RoleEnrollment)
	}
	return c.IdentityProvider.validate()
}

// IsLoopbackAddr reports whether a listen address binds a loopback
// interface only: a loopback IP or "localhost".
func IsLoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(strings.TrimSpace(addr))
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// sameListener reports whether two listen addresses would collide: the
// same non-zero port on the same host, or on a host and the wildcard.
func sameListener(a, b string) bool {
	ha, pa, errA := net.SplitHostPort(a)
	hb, pb, errB := net.SplitHostPort(b)
	if errA != nil || errB != nil {
		return strings.TrimSpace(a) == strings.TrimSpace(b)
	}
	if pa != pb || pa == "0" {
		return false
	}
	norm := func(h string) string {
		h = strings.ToLower(h)
		switch h {
		case "", "0.0.0.0", "::", "[::]":
			return "*"
		case "localhost", "::1":
			return "127.0.0.1"
		}
		return h
	}
	na, nb := norm(ha), norm(hb)
	return na == nb || na == "*" || nb == "*"
}

// DevicesConfig configures the user's own devices.
type DevicesConfig struct {
	// NotifyNewDeviceDisabled stops the new-device notice (the
	// mauth.device.added push and inbox message to the user's other
	// devices when an activation becomes ACTIVE).
	NotifyNewDeviceDisabled bool
	// ActivityPeriod is how far back /api/device/activity reaches (0:
	// devices.DefaultActivityPeriod, 90 days).
	ActivityPeriod time.Duration
}

// DefaultDeviceActivityPeriod is the default reach of /api/device/activity.
const DefaultDeviceActivityPeriod = devices.DefaultActivityPeriod
