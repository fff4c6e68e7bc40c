// Package config is mauth's configuration file: a typed struct with YAML
// tags, defaults, validation naming the offending key, environment
// overrides (MAUTH_<SECTION>_<KEY> for every key), secrets read from files
// (the *_file keys) and an effective view with secrets masked.
//
// Precedence, lowest first: defaults, the YAML file, the environment, and
// (in cmd/mauth) command-line flags.
package config

import (
	"time"

	"github.com/mauth/mauth/internal/app"
	"github.com/mauth/mauth/internal/service"
)

// Config is every setting of a mauth process. Each section is a YAML
// mapping; each leaf carries a doc tag (rendered into
// docs/configuration.md), secret:"true" when it must never be shown, and
// file:"KEY" when the leaf is a path whose content becomes KEY.
type Config struct {
	// Server holds the process settings.
	Server Server `yaml:"server"`
	// Public configures the public (mobile) API listener.
	Public Public `yaml:"public"`
	// Private configures the private (back-office) API listener.
	Private Private `yaml:"private"`
	// Database selects and tunes the database.
	Database Database `yaml:"database"`
	// Core configures how the enrollment role reaches the core server.
	Core Core `yaml:"core"`
	// IdP configures the identity provider of custom-credential activations.
	IdP IdP `yaml:"idp"`
	// Callbacks configures the delivery of callback events.
	Callbacks Callbacks `yaml:"callbacks"`
	// Cloud configures the PowerAuth Cloud API.
	Cloud Cloud `yaml:"cloud"`
	// MobileUtility configures the mobile utility services (/app/init).
	MobileUtility MobileUtility `yaml:"mobile_utility"`
	// Push configures push delivery (APNs, FCM, HMS).
	Push Push `yaml:"push"`
	// Audit configures the tamper-evident audit trail.
	Audit Audit `yaml:"audit"`
	// Devices configures the user's own devices.
	Devices Devices `yaml:"devices"`
	// Log configures logging.
	Log Log `yaml:"log"`
	// Service holds the core server's protocol knobs.
	Service Service `yaml:"service"`
	// TestServer configures the Test Server API (simulated devices).
	TestServer TestServer `yaml:"test_server"`
}

// TestServer configures the Test Server API.
type TestServer struct {
	// Enabled mounts the Test Server API on the private listener.
	Enabled bool `yaml:"enabled" doc:"serve the Test Server API (simulated mobile devices for tests and load tests) at /powerauth-test-server on the private listener; it stores device keys, so it is refused when server.environment is production"`
	// PublicURL is the public API the simulated devices call.
	PublicURL string `yaml:"public_url" doc:"public (mobile) API the simulated devices call, e.g. https://mauth.example.com (empty: this process's own public listener over loopback; required in the core role and when the public API serves TLS)"`
}

// Server holds the process settings.
type Server struct {
	// Role is what the process serves.
	Role string `yaml:"role" doc:"what this process serves: all, core or enrollment"`
	// DataDir holds the embedded database and the generated server key.
	DataDir string `yaml:"data_dir" doc:"folder of the embedded SQLite database and the generated server key"`
	// Key is the Base64 server key encrypting private keys at rest.
	Key string `yaml:"key" secret:"true" doc:"Base64 server key that encrypts private keys at rest (prefer key_file)"`
	// KeyFile is the file holding the server key.
	KeyFile string `yaml:"key_file" doc:"file holding the Base64 server key (default DATA_DIR/server.key, generated for the embedded database)"`
	// Environment names the deployment.
	Environment string `yaml:"environment" doc:"name of the deployment (free text, e.g. test or staging); production marks a production configuration, on which test-only features (test_server.enabled) refuse to start"`
}

// Public configures the public API listener.
type Public struct {
	// Addr is the listen address.
	Addr string `yaml:"addr" doc:"listen address of the public (mobile) API"`
	// RateLimitPerIP is the request rate per client IP address.
	RateLimitPerIP int `yaml:"rate_limit_per_ip" doc:"requests per second per client IP address (IPv6: per /64; the TCP peer, or behind a trusted proxy the client it forwards; loopback peers are not exempt), answered 429 with Retry-After above it; 0 disables"`
	// RateLimitPerIPBurst is the burst per client IP address.
	RateLimitPerIPBurst int `yaml:"rate_limit_per_ip_burst" doc:"bucket size: requests a client IP address may send at once before its rate applies"`
	// RateLimitPerActivation is the request rate per activation.
	RateLimitPerActivation int `yaml:"rate_limit_per_activation" doc:"requests per second per activation (signature header) or token (token header), answered 429 with Retry-After above it; 0 disables"`
	// RateLimitPerActivationBurst is the burst per activation.
	RateLimitPerActivationBurst int `yaml:"rate_limit_per_activation_burst" doc:"bucket size: requests an activation may send at once before its rate applies"`
	// TrustedProxies lists the reverse proxies whose forwarded client address is believed.
	TrustedProxies string `yaml:"trusted_proxies" doc:"comma-separated CIDR networks or addresses of the reverse proxies in front of the public API (e.g. 127.0.0.1/32, 10.0.0.0/8); only when the TCP peer is one of them is the client address taken from client_ip_header (the right-most address that is not a trusted proxy); empty: headers are ignored and the client is the TCP peer"`
	// ClientIPHeader is the header the trusted proxies append the client address to.
	ClientIPHeader string `yaml:"client_ip_header" doc:"header the trusted proxies append the client address to: X-Forwarded-For or Forwarded (RFC 7239); the other one is ignored"`
	// TLSCertFile is the PEM certificate chain of the listener.
	TLSCertFile string `yaml:"tls_cert_file" doc:"PEM certificate chain: serve the public API over TLS (HTTP/2 and HTTP/1.1); reloaded on the first handshake after the file changes"`
	// TLSKeyFile is the PEM private key of the listener.
	TLSKeyFile string `yaml:"tls_key_file" doc:"PEM private key of tls_cert_file (both or neither)"`
}

// Private configures the private API listener.
type Private struct {
	// Addr is the listen address.
	Addr string `yaml:"addr" doc:"listen address of the private (back-office) API, health and metrics; keep it off public networks"`
	// RestrictAccess requires integration credentials.
	RestrictAccess bool `yaml:"restrict_access" doc:"require integration credentials (HTTP Basic) on /rest/v3; false is accepted only with a loopback addr"`
	// TLSCertFile is the PEM certificate chain of the listener.
	TLSCertFile string `yaml:"tls_cert_file" doc:"PEM certificate chain: serve the private API over TLS (HTTP/2 and HTTP/1.1); reloaded on the first handshake after the file changes"`
	// TLSKeyFile is the PEM private key of the listener.
	TLSKeyFile string `yaml:"tls_key_file" doc:"PEM private key of tls_cert_file (both or neither)"`
	// TLSClientCAFile turns on mutual TLS.
	TLSClientCAFile string `yaml:"tls_client_ca_file" doc:"PEM CA certificates: mutual TLS, clients without a certificate they issued are refused during the handshake (health and metrics included); needs tls_cert_file"`
	// ConsoleIdleTimeout ends an admin console session without requests.
	ConsoleIdleTimeout time.Duration `yaml:"console_idle_timeout" doc:"admin console (/admin/ on this listener): a session without requests for this long is signed out (0: 30m)"`
	// ConsoleAbsoluteTimeout ends any admin console session.
	ConsoleAbsoluteTimeout time.Duration `yaml:"console_absolute_timeout" doc:"admin console: every session is signed out this long after its sign-in (0: 12h)"`
}

// Database selects and tunes the database.
type Database struct {
	// URL selects the database.
	URL string `yaml:"url" doc:"empty for the embedded SQLite file in server.data_dir, sqlite:PATH, or postgres://USER@HOST:PORT/DB"`
	// Password is the PostgreSQL password, merged into URL.
	Password string `yaml:"password" secret:"true" doc:"PostgreSQL password (merged into the URL; prefer password_file)"`
	// PasswordFile holds the PostgreSQL password.
	PasswordFile string `yaml:"password_file" file:"password" doc:"file holding the PostgreSQL password"`
	// Migrate applies pending migrations at start-up.
	Migrate bool `yaml:"migrate" doc:"apply pending database migrations at start-up"`
	// SQLiteSynchronous is the embedded database's PRAGMA synchronous.
	SQLiteSynchronous string `yaml:"sqlite_synchronous" doc:"embedded SQLite durability: FULL (fsync per commit; an acknowledged write survives a power loss) or NORMAL (survives a process crash only)"`
	// SQLiteGroupCommit lets concurrent write transactions share a commit.
	SQLiteGroupCommit bool `yaml:"sqlite_group_commit" doc:"embedded SQLite: concurrent write transactions share one commit (and one fsync); each still succeeds or fails on its own"`
}

// Core configures how the enrollment role reaches the core server.
type Core struct {
	// URL is the core's private API.
	URL string `yaml:"url" doc:"enrollment role: the core server's private API URL, e.g. http://core:8081"`
	// ClientToken is the integration client token.
	ClientToken string `yaml:"client_token" doc:"enrollment role: integration client token for the core"`
	// ClientSecret is the integration client secret.
	ClientSecret string `yaml:"client_secret" secret:"true" doc:"enrollment role: integration client secret for the core (prefer client_secret_file)"`
	// ClientSecretFile holds the integration client secret.
	ClientSecretFile string `yaml:"client_secret_file" file:"client_secret" doc:"file holding the integration client secret"`
	// Timeout bounds each call to the core.
	Timeout time.Duration `yaml:"timeout" doc:"timeout of each call to the core (0: 10s)"`
	// TLSCAFile verifies an https core.
	TLSCAFile string `yaml:"tls_ca_file" doc:"enrollment role: PEM CA certificates that verify an https:// core (empty: the system roots)"`
	// TLSCertFile is the client certificate for a core requiring mutual TLS.
	TLSCertFile string `yaml:"tls_cert_file" doc:"enrollment role: PEM client certificate for a core that requires mutual TLS"`
	// TLSKeyFile is the key of TLSCertFile.
	TLSKeyFile string `yaml:"tls_key_file" doc:"enrollment role: PEM private key of tls_cert_file (both or neither)"`
}

// IdP configures the identity provider.
type IdP struct {
	// URL is the bank's backend receiving identity attributes.
	URL string `yaml:"url" doc:"HTTP identity provider: URL of the bank's backend that maps credentials to a user"`
	// Timeout bounds each call.
	Timeout time.Duration `yaml:"timeout" doc:"timeout of each identity provider call (0: 10s)"`
	// Auth authenticates the calls.
	Auth string `yaml:"auth" secret:"true" doc:"identity provider authentication: basic:USER:PASSWORD or bearer:TOKEN (prefer auth_file)"`
	// AuthFile holds Auth.
	AuthFile string `yaml:"auth_file" file:"auth" doc:"file holding the identity provider authentication"`
	// StaticFile is a static user table.
	StaticFile string `yaml:"static_file" doc:"static YAML or JSON user table (demos)"`
}

// Callbacks configures the delivery of callback events.
type Callbacks struct {
	// AllowedDestinations lists what callbacks may reach besides public addresses.
	AllowedDestinations string `yaml:"allowed_destinations" doc:"comma-separated CIDR prefixes, IP addresses and host names (a name starting with *. covers every name below it) that callback URLs and their OAuth 2.0 token URLs may reach although they are loopback, link-local (169.254.0.0/16, fe80::/10, cloud metadata), private (RFC 1918, fc00::/7, 100.64.0.0/10), unspecified, multicast or reserved; checked when a callback is created or updated and on every connection. Empty: public addresses only"`
}

// Cloud configures the PowerAuth Cloud API (/powerauth-cloud on the
// private listener of the core roles).
type Cloud struct {
	// Enabled serves the Cloud API.
	Enabled bool `yaml:"enabled" doc:"serve the PowerAuth Cloud API under /powerauth-cloud on the private listener (core roles); its users are created with mauth cloud user create"`
	// ServiceBaseURL is given to new applications.
	ServiceBaseURL string `yaml:"service_base_url" doc:"public API URL the mobile apps of new Cloud applications use (serviceBaseUrl); empty: http(s)://PUBLIC_ADDR of this process"`
	// TokenAudience is the audience of the bearer tokens.
	TokenAudience string `yaml:"token_audience" doc:"aud claim of the bearer tokens /powerauth-cloud/oauth2/token issues, required on use (empty: powerauth-cloud)"`
	// TokenLifetime is the validity of the bearer tokens.
	TokenLifetime time.Duration `yaml:"token_lifetime" doc:"validity of the bearer tokens, 1m to 24h (0: 1h)"`
}

// MobileUtility configures the mobile utility services.
type MobileUtility struct {
	// VersionCheckDisabled leaves the version check out of /app/init.
	VersionCheckDisabled bool `yaml:"version_check_disabled" doc:"leave the app version check (verifyVersionResult) out of every GET /app/init answer"`
}

// Devices configures the user's own devices: the self-service device API
// (/api/device/...) and the new-device notice.
type Devices struct {
	// NotifyNewDevice announces a newly ACTIVE device to the user's others.
	NotifyNewDevice bool `yaml:"notify_new_device" doc:"when an activation becomes ACTIVE, send the user's other ACTIVE devices in the application a push message (messageType mauth.device.added) and an inbox message naming the new device, written in the same transaction as the status change"`
	// ActivityPeriod is how far back /api/device/activity reaches.
	ActivityPeriod time.Duration `yaml:"activity_period" doc:"how far back the device activity list (/api/device/activity) reaches, 1h to 3660 days"`
}

// Push configures push delivery. The provider credentials are set per
// application through the push server API, not here.
type Push struct {
	// APNsEnvironment is the default APNs environment.
	APNsEnvironment string `yaml:"apns_environment" doc:"APNs environment of applications whose credentials set none: development (default) or production"`
	// APNsDevelopmentURL overrides Apple's development host.
	APNsDevelopmentURL string `yaml:"apns_development_url" doc:"APNs development host (default https://api.sandbox.push.apple.com)"`
	// APNsProductionURL overrides Apple's production host.
	APNsProductionURL string `yaml:"apns_production_url" doc:"APNs production host (default https://api.push.apple.com)"`
	// FCMURL overrides the FCM send endpoint's base.
	FCMURL string `yaml:"fcm_url" doc:"FCM HTTP v1 base URL (default https://fcm.googleapis.com)"`
	// FCMTokenURL overrides the OAuth 2.0 token endpoint of FCM.
	FCMTokenURL string `yaml:"fcm_token_url" doc:"OAuth 2.0 token endpoint for FCM (default: the service-account key's token_uri, else https://oauth2.googleapis.com/token)"`
	// FCMDataOnly sends FCM messages without a notification block.
	FCMDataOnly bool `yaml:"fcm_data_only" doc:"send FCM messages as data only (no notification block)"`
	// HMSURL overrides the Push Kit base URL.
	HMSURL string `yaml:"hms_url" doc:"HMS Push Kit base URL (default https://push-api.cloud.huawei.com)"`
	// HMSTokenURL overrides the Huawei OAuth 2.0 token endpoint.
	HMSTokenURL string `yaml:"hms_token_url" doc:"HMS OAuth 2.0 token endpoint (default https://oauth-login.cloud.huawei.com/oauth2/v3/token)"`
	// CAFile adds trusted CA certificates for the provider connections.
	CAFile string `yaml:"ca_file" doc:"PEM file of CA certificates trusted for the push provider connections besides the system roots (a TLS-inspecting proxy, test providers)"`
	// Workers is how many messages one dispatcher sends at once.
	Workers int `yaml:"workers" doc:"push messages one node sends at once (0: 64)"`
	// BatchSize is how many messages one dispatcher round claims.
	BatchSize int `yaml:"batch_size" doc:"push messages one dispatcher round claims from the outbox (0: 500)"`
}

// Audit configures the checkpoints and the verification of the audit
// chains (docs/audit.md).
type Audit struct {
	// CheckpointInterval is how often the chain heads are signed.
	CheckpointInterval time.Duration `yaml:"checkpoint_interval" doc:"how often the server signs the heads of the audit chains with the audit key (ECDSA P-256, created on first use and sealed with the server key) and stores the checkpoint; 0: never"`
	// VerifyInterval is how often the chains are verified.
	VerifyInterval time.Duration `yaml:"verify_interval" doc:"how often the server verifies every audit chain against the latest checkpoint and updates the mauth_audit_* metrics; 0: never"`
	// CheckpointURL receives every checkpoint.
	CheckpointURL string `yaml:"checkpoint_url" doc:"http(s) URL every new checkpoint is POSTed to as JSON (id, created, keyId, publicKey, payload, signature), so that a copy lives outside the database; reached under callbacks.allowed_destinations. Empty: none"`
	// PublicKeyFile pins the audit public key.
	PublicKeyFile string `yaml:"public_key_file" doc:"PEM file of the audit public key (printed by mauth audit key) that verification checks the checkpoints with; empty: the key stored in the database (which whoever can write the database can replace)"`
}

// Log configures logging.
type Log struct {
	// Format is auto, json or text.
	Format string `yaml:"format" doc:"auto (JSON unless stderr is a terminal), json or text"`
	// Level is debug, info, warn or error.
	Level string `yaml:"level" doc:"minimum level: debug, info, warn or error"`
}

// Service holds the core server's protocol knobs (see internal/service.Config).
type Service struct {
	// ActivationValidity is how long a CREATED activation stays usable.
	ActivationValidity time.Duration `yaml:"activation_validity" doc:"how long a CREATED activation and its code stay usable"`
	// SignatureMaxFailedAttempts blocks an activation after that many failures.
	SignatureMaxFailedAttempts int64 `yaml:"signature_max_failed_attempts" doc:"failed signatures before an activation is BLOCKED (1-255)"`
	// SignatureLookAhead is the counter look-ahead window.
	SignatureLookAhead int `yaml:"signature_look_ahead" doc:"counter values a signature is tried against (1-255)"`
	// OfflineSignatureComponentLength is the digits per offline factor.
	OfflineSignatureComponentLength int `yaml:"offline_signature_component_length" doc:"digits per offline signature factor (4-8)"`
	// TokenTimestampValidity is how old a token timestamp may be.
	TokenTimestampValidity time.Duration `yaml:"token_timestamp_validity" doc:"how old a token timestamp may be"`
	// TokenTimestampForwardValidity is how far ahead a token timestamp may be.
	TokenTimestampForwardValidity time.Duration `yaml:"token_timestamp_forward_validity" doc:"how far in the future a token timestamp may be"`
	// EciesMaxAge is how old an ECIES request may be.
	EciesMaxAge time.Duration `yaml:"ecies_max_age" doc:"how old an ECIES request timestamp (3.2+) may be"`
	// EciesMaxFuture is how far ahead an ECIES request may be.
	EciesMaxFuture time.Duration `yaml:"ecies_max_future" doc:"how far in the future an ECIES request timestamp may be"`
	// TemporaryKeyValidity is the lifetime of a 3.3 temporary key.
	TemporaryKeyValidity time.Duration `yaml:"temporary_key_validity" doc:"lifetime of a 3.3 temporary encryption key"`
	// RecoveryMaxFailedAttempts blocks a recovery code after that many wrong PUKs.
	RecoveryMaxFailedAttempts int64 `yaml:"recovery_max_failed_attempts" doc:"wrong PUKs that block a recovery code"`
	// VaultUnlockAllowBiometry lets biometry signatures unlock the vault.
	VaultUnlockAllowBiometry bool `yaml:"vault_unlock_allow_biometry" doc:"let possession_biometry signatures unlock the vault"`
	// RecoveryPUKHashMemoryKiB is the Argon2 memory cost.
	RecoveryPUKHashMemoryKiB uint32 `yaml:"recovery_puk_hash_memory_kib" doc:"Argon2 memory cost (KiB) of PUK and OTP hashes"`
	// KeyCacheSize bounds the cache of derived activation keys.
	KeyCacheSize int `yaml:"key_cache_size" doc:"activations whose derived signature keys each node keeps in memory (least recently used evicted, about 0.5 KiB each); 0 disables"`
	// LegacyProtocolVersionInference infers a missing ECIES protocolVersion.
	LegacyProtocolVersionInference bool `yaml:"legacy_protocol_version_inference" doc:"private API: read an encrypted request without protocolVersion as PowerAuth servers up to 1.4 did (3.1 when it has a nonce, else 3.0), for backends that still send such requests; off, it is answered 400 ERR0018 as PowerAuth 1.5 and later do"`
	// ApplicationCacheTTL is how long application rows are reused.
	ApplicationCacheTTL time.Duration `yaml:"application_cache_ttl" doc:"how long signature verification reuses unchanged application and application-version rows; a change through any node applies on every node at the next request (the rows carry the application revision, checked with the activation read); 0 disables"`
}

// Default returns the settings used when nothing is configured.
func Default() Config {
	s := service.DefaultConfig()
	return Config{
		Server: Server{Role: "all", DataDir: "data"},
		Public: Public{
			Addr:                        ":8080",
			RateLimitPerIP:              app.DefaultRateLimitPerIP,
			RateLimitPerIPBurst:         app.DefaultRateLimitPerIPBurst,
			RateLimitPerActivation:      app.DefaultRateLimitPerActivation,
			RateLimitPerActivationBurst: app.DefaultRateLimitPerActivationBurst,
			ClientIPHeader:              app.HeaderXForwardedFor,
		},
		Private:  Private{Addr: "127.0.0.1:8081", RestrictAccess: true},
		Cloud:    Cloud{Enabled: true},
		Devices:  Devices{NotifyNewDevice: true, ActivityPeriod: app.DefaultDeviceActivityPeriod},
		Database: Database{Migrate: true, SQLiteSynchronous: app.DefaultSQLiteSynchronous, SQLiteGroupCommit: true},
		Log:      Log{Format: "auto", Level: "info"},
		Audit:    Audit{CheckpointInterval: app.DefaultAuditCheckpointInterval, VerifyInterval: app.DefaultAuditVerifyInterval},
		Service: Service{
			ActivationValidity:              s.ActivationValidity,
			SignatureMaxFailedAttempts:      s.SignatureMaxFailedAttempts,
			SignatureLookAhead:              s.SignatureLookAhead,
			OfflineSignatureComponentLength: s.OfflineSignatureComponentLength,
			TokenTimestampValidity:          s.TokenTimestampValidity,
			TokenTimestampForwardValidity:   s.TokenTimestampForwardValidity,
			EciesMaxAge:                     s.EciesMaxAge,
			EciesMaxFuture:                  s.EciesMaxFuture,
			TemporaryKeyValidity:            s.TemporaryKeyValidity,
			RecoveryMaxFailedAttempts:       s.RecoveryMaxFailedAttempts,
			VaultUnlockAllowBiometry:        s.VaultUnlockAllowBiometry,
			RecoveryPUKHashMemoryKiB:        s.RecoveryPUKHashMemoryKiB,
			KeyCacheSize:                    s.KeyCacheSize,
			ApplicationCacheTTL:             s.ApplicationCacheTTL,
		},
	}
}
