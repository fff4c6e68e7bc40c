// Package service holds the use cases of the mauth core server (the
// PowerAuth Server equivalent): applications, activations, signatures,
// tokens, end-to-end encryption, vault unlock, recovery, temporary keys,
// integrations and callbacks. It talks to the database only through
// internal/store and never imports HTTP; every surface (the private REST
// API, the enrollment API, the CLI) calls it.
//
// Errors meant for API clients are *Error values with a stable code;
// anything else is an internal failure.
package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/mauth/mauth/internal/callbacks"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/netguard"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/protocol"
)

// Config holds the behaviour knobs of the core server. Zero values are
// replaced by the defaults of DefaultConfig in New.
type Config struct {
	// ActivationValidity is how long a CREATED activation (and its code) stays usable.
	ActivationValidity time.Duration
	// SignatureMaxFailedAttempts is the default per-activation limit of
	// failed non-possession signatures before the activation is BLOCKED.
	SignatureMaxFailedAttempts int64
	// SignatureLookAhead is how many counter values a signature is tried against.
	SignatureLookAhead int
	// OfflineSignatureComponentLength is the default digit count per offline factor (4–8).
	OfflineSignatureComponentLength int
	// TokenTimestampValidity is how old a token timestamp may be.
	TokenTimestampValidity time.Duration
	// TokenTimestampForwardValidity is how far in the future a token timestamp may be.
	TokenTimestampForwardValidity time.Duration
	// EciesMaxAge is how old an ECIES request timestamp (3.2+) may be.
	// The reference server does not check this; mauth does.
	EciesMaxAge time.Duration
	// EciesMaxFuture is how far in the future an ECIES request timestamp may be.
	EciesMaxFuture time.Duration
	// TemporaryKeyValidity is the lifetime of a 3.3 temporary encryption key.
	TemporaryKeyValidity time.Duration
	// RecoveryMaxFailedAttempts is the number of wrong PUKs that blocks a recovery code.
	RecoveryMaxFailedAttempts int64
	// VaultUnlockAllowBiometry lets possession_biometry signatures unlock the vault.
	VaultUnlockAllowBiometry bool
	// RecoveryPUKHashMemoryKiB is the Argon2 memory cost for PUK and OTP hashes.
	RecoveryPUKHashMemoryKiB uint32
	// KeyCacheSize bounds the in-memory LRU cache of derived activation
	// keys that signature verification keeps (entries, one per activation,
	// about 0.5 KiB each). 0 means the default (DefaultKeyCacheSize);
	// negative disables the cache.
	KeyCacheSize int
	// LegacyProtocolVersionInference reads an ECIES request of the private
	// API without protocolVersion as servers up to PowerAuth 1.4 did: 3.1
	// when it has a nonce, 3.0 otherwise. Off (the default), such a request
	// is CodeDecryptionFailed, as in PowerAuth 1.5 and later.
	LegacyProtocolVersionInference bool
	// ApplicationCacheTTL is how long signature verification reuses the
	// application and application-version rows it read before its
	// transaction (see preDeriveKeys) while they are unchanged: a change
	// through any node applies at once, as the cached rows are checked
	// against the application revision read with the activation. 0 means
	// the default
	// (DefaultApplicationCacheTTL); negative disables the cache.
	ApplicationCacheTTL time.Duration
	// PossessionFailureBudget is how many failed DECIMAL (protocol 3.0)
	// possession-only signatures an activation may have in a streak
	// before further ones wait (the possession back-off; BASE64
	// signatures are neither counted nor held up). These failures never
	// block the activation. 0 means the default
	// (DefaultPossessionFailureBudget).
	PossessionFailureBudget int64
	// PossessionBackoffBase is the wait after the failure that uses up
	// the budget; it doubles with every further failure. 0 means the
	// default (DefaultPossessionBackoffBase).
	PossessionBackoffBase time.Duration
	// PossessionBackoffMax caps the wait. 0 means the default
	// (DefaultPossessionBackoffMax).
	PossessionBackoffMax time.Duration
	// PossessionFailureWindow is how long after its last failure a
	// possession-only failure streak is forgotten. 0 means the default
	// (DefaultPossessionFailureWindow).
	PossessionFailureWindow time.Duration
}

// Defaults of the signature verification caches.
const (
	// DefaultKeyCacheSize is the default of Config.KeyCacheSize.
	DefaultKeyCacheSize = 10000
	// DefaultApplicationCacheTTL is the default of Config.ApplicationCacheTTL.
	DefaultApplicationCacheTTL = time.Second
)

// DefaultConfig returns the reference server's defaults.
func DefaultConfig() Config {
	return Config{
		ActivationValidity:              5 * time.Minute,
		SignatureMaxFailedAttempts:      5,
		SignatureLookAhead:              protocol.DefaultLookAhead,
		OfflineSignatureComponentLength: 8,
		TokenTimestampValidity:          2 * time.Hour,
		TokenTimestampForwardValidity:   30 * time.Minute,
		EciesMaxAge:                     protocol.DefaultEciesMaxAge,
		EciesMaxFuture:                  protocol.DefaultEciesMaxFuture,
		TemporaryKeyValidity:            protocol.TemporaryKeyValidity,
		RecoveryMaxFailedAttempts:       5,
		RecoveryPUKHashMemoryKiB:        1 << 15,
		KeyCacheSize:                    DefaultKeyCacheSize,
		ApplicationCacheTTL:             DefaultApplicationCacheTTL,
		PossessionFailureBudget:         DefaultPossessionFailureBudget,
		PossessionBackoffBase:           DefaultPossessionBackoffBase,
		PossessionBackoffMax:            DefaultPossessionBackoffMax,
		PossessionFailureWindow:         DefaultPossessionFailureWindow,
	}
}

func (c *Config) fillDefaults() {
	d := DefaultConfig()
	if c.ActivationValidity <= 0 {
		c.ActivationValidity = d.ActivationValidity
	}
	if c.SignatureMaxFailedAttempts <= 0 {
		c.SignatureMaxFailedAttempts = d.SignatureMaxFailedAttempts
	}
	if c.SignatureLookAhead <= 0 {
		c.SignatureLookAhead = d.SignatureLookAhead
	}
	if c.OfflineSignatureComponentLength == 0 {
		c.OfflineSignatureComponentLength = d.OfflineSignatureComponentLength
	}
	if c.TokenTimestampValidity <= 0 {
		c.TokenTimestampValidity = d.TokenTimestampValidity
	}
	if c.TokenTimestampForwardValidity <= 0 {
		c.TokenTimestampForwardValidity = d.TokenTimestampForwardValidity
	}
	if c.EciesMaxAge <= 0 {
		c.EciesMaxAge = d.EciesMaxAge
	}
	if c.EciesMaxFuture <= 0 {
		c.EciesMaxFuture = d.EciesMaxFuture
	}
	if c.TemporaryKeyValidity <= 0 {
		c.TemporaryKeyValidity = d.TemporaryKeyValidity
	}
	if c.RecoveryMaxFailedAttempts <= 0 {
		c.RecoveryMaxFailedAttempts = d.RecoveryMaxFailedAttempts
	}
	if c.RecoveryPUKHashMemoryKiB == 0 {
		c.RecoveryPUKHashMemoryKiB = d.RecoveryPUKHashMemoryKiB
	}
	if c.KeyCacheSize == 0 {
		c.KeyCacheSize = d.KeyCacheSize
	}
	if c.ApplicationCacheTTL == 0 {
		c.ApplicationCacheTTL = d.ApplicationCacheTTL
	}
	if c.PossessionFailureBudget <= 0 {
		c.PossessionFailureBudget = d.PossessionFailureBudget
	}
	if c.PossessionBackoffBase <= 0 {
		c.PossessionBackoffBase = d.PossessionBackoffBase
	}
	if c.PossessionBackoffMax <= 0 {
		c.PossessionBackoffMax = d.PossessionBackoffMax
	}
	if c.PossessionFailureWindow <= 0 {
		c.PossessionFailureWindow = d.PossessionFailureWindow
	}
}

// Validate reports settings outside their legal range.
func (c Config) Validate() error {
	if c.OfflineSignatureComponentLength < protocol.MinOfflineDecimalLength || c.OfflineSignatureComponentLength > protocol.MaxOfflineDecimalLength {
		return fmt.Errorf("offline signature component length %d is outside 4..8", c.OfflineSignatureComponentLength)
	}
	if c.SignatureLookAhead > 255 {
		return fmt.Errorf("signature look-ahead %d is larger than 255", c.SignatureLookAhead)
	}
	if c.SignatureMaxFailedAttempts > 255 {
		return fmt.Errorf("signature max failed attempts %d is larger than 255", c.SignatureMaxFailedAttempts)
	}
	if c.PossessionBackoffMax > 0 && c.PossessionBackoffBase > c.PossessionBackoffMax {
		return fmt.Errorf("possession back-off base %s is longer than its maximum %s", c.PossessionBackoffBase, c.PossessionBackoffMax)
	}
	return nil
}

// Service is the core server. It is safe for concurrent use.
type Service struct {
	store store.Store
	box   *secretbox.Box
	cfg   Config
	now   func() time.Time
	log   *slog.Logger
	ops   OperationSettings
	// notifier is told about created operations (push notifications).
	notifier OperationNotifier
	// keyCache holds derived activation keys for signature verification
	// (nil: disabled).
	keyCache *keyCache
	// rowCache holds application and version rows for signature
	// verification (nil: disabled).
	rowCache *rowCache
	// deriveHook, when set (tests only), is called on every activation
	// key derivation.
	deriveHook func()
	// dummySecret is the stored client secret an unknown client token is
	// checked against (see authenticateIntegrationUnaudited).
	dummySecret string
	// callbackPolicy decides which addresses callbacks may reach.
	callbackPolicy *netguard.Policy
	// callbacks keeps the callback configuration (internal/callbacks).
	callbacks *callbacks.Registry
}

// OperationNotifier is told, after commit, about every created operation
// (e.g. to send push notifications to the user's devices). It must not
// block for long and cannot fail the request.
type OperationNotifier interface {
	OperationCreated(ctx context.Context, op domain.Operation)
}

// WithOperationNotifier sets who is told about created operations.
func WithOperationNotifier(n OperationNotifier) Option {
	return func(s *Service) { s.notifier = n }
}

// Option customises a Service.
type Option func(*Service)

// WithClock replaces the wall clock (tests).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// WithCallbackPolicy sets which network addresses callback URLs and their
// OAuth 2.0 token URLs may reach (default: no loopback, link-local,
// private, unspecified, multicast or reserved address; see netguard).
func WithCallbackPolicy(p *netguard.Policy) Option {
	return func(s *Service) {
		if p != nil {
			s.callbackPolicy = p
		}
	}
}

// New builds a Service over a store. box encrypts server secrets at rest.
func New(st store.Store, box *secretbox.Box, cfg Config, opts ...Option) (*Service, error) {
	if st == nil || box == nil {
		return nil, errors.New("service: store and secret box are required")
	}
	cfg.fillDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("service: %w", err)
	}
	s := &Service{store: st, box: box, cfg: cfg, now: time.Now, log: slog.New(slog.DiscardHandler), ops: DefaultOperationSettings(), callbackPolicy: netguard.MustNew()}
	for _, o := range opts {
		o(s)
	}
	s.callbacks = callbacks.NewRegistry(box, s.callbackPolicy, s.Now)
	s.keyCache = newKeyCache(cfg.KeyCacheSize)
	s.rowCache = newRowCache(cfg.ApplicationCacheTTL)
	s.dummySecret = s.newDummySecret()
	return s, nil
}

// Config returns the effective configuration.
func (s *Service) Config() Config { return s.cfg }

// CallbackPolicy returns the network policy of callback deliveries (the
// dispatcher dials through it).
func (s *Service) CallbackPolicy() *netguard.Policy { return s.callbackPolicy }

// Store returns the underlying store (for wiring health checks and jobs).
func (s *Service) Store() store.Store { return s.store }

// Now returns the service clock's current time, in UTC with millisecond precision
// (the precision the database keeps).
func (s *Service) Now() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// At-rest encryption contexts: every sealed secret is bound to its record.
func masterKeyContext(applicationName, keyPairName string) string {
	return "pa_master_keypair:" + applicationName + ":" + keyPairName
}

func activationKeyContext(activationID string) string {
	return "pa_activation.server_private_key:" + activationID
}

func temporaryKeyContext(id string) string { return "pa_temporary_key:" + id }

func tokenSecretContext(tokenID string) string { return "pa_token.secret:" + tokenID }

// sealPrivateKey encrypts a private key for storage.
func (s *Service) sealPrivateKey(k *protocol.PrivateKey, context string) []byte {
	return s.box.Seal(k.Bytes(), context)
}

// openPrivateKey decrypts a stored private key.
func (s *Service) openPrivateKey(sealed []byte, context string) (*protocol.PrivateKey, error) {
	raw, err := s.box.Open(sealed, context)
	if err != nil {
		return nil, Wrap(CodeGenericCryptography, "Stored private key cannot be decrypted.", err)
	}
	k, err := protocol.ParsePrivateKey(raw)
	if err != nil {
		return nil, Wrap(CodeInvalidKeyFormat, "Stored private key is invalid.", err)
	}
	return k, nil
}

// masterKey returns the newest master key pair of an application with its
// private key decrypted.
func (s *Service) masterKey(ctx context.Context, r store.Reader, app domain.Application) (*protocol.PrivateKey, domain.MasterKeyPair, error) {
	kp, err := r.GetNewestMasterKeyPair(ctx, app.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, kp, Errorf(CodeNoMasterKeyPair, "No master server key pair configured in database.")
	}
	if err != nil {
		return nil, kp, fmt.Errorf("load master key pair: %w", err)
	}
	k, err := s.openPrivateKey(kp.PrivateKeyEncrypted, masterKeyContext(app.Name, kp.Name))
	if err != nil {
		return nil, kp, err
	}
	return k, kp, nil
}

// activationServerKey decrypts the server private key of an activation.
func (s *Service) activationServerKey(a domain.Activation) (*protocol.PrivateKey, error) {
	if len(a.ServerPrivateKeyEncrypted) == 0 {
		return nil, Errorf(CodeActivationIncorrectState, "Activation has no key pair yet.")
	}
	return s.openPrivateKey(a.ServerPrivateKeyEncrypted, activationKeyContext(a.ActivationID))
}

// activationKeys derives the activation's symmetric keys on the server side.
func (s *Service) activationKeys(a domain.Activation) (*protocol.ActivationKeys, error) {
	if s.deriveHook != nil {
		s.deriveHook()
	}
	priv, err := s.activationServerKey(a)
	if err != nil {
		return nil, err
	}
	dev, err := protocol.ParsePublicKey(a.DevicePublicKey)
	if err != nil {
		return nil, Wrap(CodeInvalidKeyFormat, "Stored device public key is invalid.", err)
	}
	ks, err := protocol.DeriveActivationKeysECDH(priv, dev)
	if err != nil {
		return nil, Wrap(CodeGenericCryptography, "Key agreement failed.", err)
	}
	return ks, nil
}

// applicationVersionByKey resolves an application key to its version and
// application. An unknown key is CodeInvalidApplication.
func (s *Service) applicationVersionByKey(ctx context.Context, r store.Reader, applicationKey string) (domain.ApplicationVersion, domain.Application, error) {
	v, err := r.GetApplicationVersionByKey(ctx, applicationKey)
	if errors.Is(err, store.ErrNotFound) {
		return v, domain.Application{}, Errorf(CodeInvalidApplication, "Application does not exist or is not supported.")
	}
	if err != nil {
		return v, domain.Application{}, fmt.Errorf("load application version: %w", err)
	}
	app, err := r.GetApplication(ctx, v.ApplicationID)
	if err != nil {
		return v, app, fmt.Errorf("load application: %w", err)
	}
	return v, app, nil
}

// applicationByName resolves the REST API's applicationId.
func (s *Service) applicationByName(ctx context.Context, r store.Reader, name string) (domain.Application, error) {
	if name == "" {
		return domain.Application{}, Errorf(CodeNoApplicationID, "No application ID was set.")
	}
	app, err := r.GetApplicationByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return app, Errorf(CodeInvalidApplication, "Application does not exist.")
	}
	if err != nil {
		return app, fmt.Errorf("load application: %w", err)
	}
	return app, nil
}

// activationByID loads an activation; unknown ids are CodeActivationNotFound.
func activationByID(ctx context.Context, r store.Reader, id string) (domain.Activation, error) {
	a, err := r.GetActivation(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return a, Errorf(CodeActivationNotFound, "Activation with given activation ID was not found.")
	}
	if err != nil {
		return a, fmt.Errorf("load activation: %w", err)
	}
	return a, nil
}

// activationForUpdate loads and locks an activation inside a transaction.
func activationForUpdate(ctx context.Context, tx store.Tx, id string) (domain.Activation, error) {
	a, err := tx.GetActivationForUpdate(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return a, Errorf(CodeActivationNotFound, "Activation with given activation ID was not found.")
	}
	if err != nil {
		return a, fmt.Errorf("lock activation: %w", err)
	}
	return a, nil
}
