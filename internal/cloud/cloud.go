package cloud

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/store"
)

// Application is an application as the Cloud API shows it.
type Application struct {
	// Name is the application's unique name (the Cloud API's id).
	Name string
	// Roles are the application roles.
	Roles []string
	// AppKey and AppSecret are the Base64 key and secret of its version.
	AppKey, AppSecret string
	// MasterServerPublicKey is the Base64 master public key.
	MasterServerPublicKey string
	// MobileSDKConfig is the mobile SDK configuration string.
	MobileSDKConfig string
}

// RegistrationInput asks the core for a new activation.
type RegistrationInput struct {
	// UserID and Application (name) are required.
	UserID, Application string
	// OTP is the optional activation OTP.
	OTP string
	// CommitPhase is ON_COMMIT (default), ON_KEY_EXCHANGE or empty.
	CommitPhase string
	// OTPValidation is the deprecated OTP validation mode (empty: NONE).
	OTPValidation string
	// Flags are the initial activation flags.
	Flags []string
	// Expires is when the unfinished registration expires (zero: default).
	Expires time.Time
}

// Registration is an activation with its application's name and the
// device key fingerprint.
type Registration struct {
	domain.Activation
	// Application is the application's name.
	Application string
	// Fingerprint is the device public key fingerprint (empty before the key exchange).
	Fingerprint string
}

// OperationInput asks the core for an operation from a template.
type OperationInput struct {
	// UserID is the user; empty for a non-personalised operation.
	UserID string
	// Applications are the application names that may approve it.
	Applications []string
	// Template is the template name.
	Template string
	// ExternalID, ActivationFlag: see the core's operation/create.
	ExternalID, ActivationFlag string
	// Expires overrides the template's expiry when not zero.
	Expires time.Time
	// Parameters fill the template placeholders.
	Parameters map[string]string
	// ProximityCheckEnabled overrides the template's setting when set.
	ProximityCheckEnabled *bool
	// Silent suppresses the push message announcing the new operation
	// (mtoken.operationInit) to the user's devices.
	Silent bool
}

// Operation is an operation as the core shows it.
type Operation struct {
	domain.Operation
	// Applications are the names of its applications.
	Applications []string
	// ProximityOTP is the current proximity TOTP (empty without one).
	ProximityOTP string
}

// OfflineQR is the content of an operation's offline QR code.
type OfflineQR struct {
	// Data is the QR code content and Nonce its Base64 nonce.
	Data, Nonce string
}

// OfflineResult is the outcome of an offline (QR code) approval.
type OfflineResult struct {
	// Approved reports a valid code that approved the operation.
	Approved bool
	// Operation is the operation after the attempt.
	Operation Operation
	// Registration is the activation that signed, after the attempt.
	Registration Registration
	// SignatureType is the factor combination of the offline signature.
	SignatureType string
}

// TemplateInput is an operation template to create.
type TemplateInput struct {
	// Name, OperationType and DataTemplate are required.
	Name, OperationType, DataTemplate string
	// SignatureTypes are the allowed factor combinations (lower case).
	SignatureTypes []string
	// MaxFailureCount is the failure limit (≥ 1).
	MaxFailureCount int64
	// Expiration is the operations' lifetime.
	Expiration time.Duration
	// RiskFlags are optional risk flags.
	RiskFlags string
	// ProximityCheckEnabled gives the operations a proximity TOTP.
	ProximityCheckEnabled bool
}

// Callback is a callback of an application, with the secret its events
// are signed with.
type Callback struct {
	// ID is the callback id.
	ID string
	// Application is the application's name.
	Application string
	// Name is the label, URL the target.
	Name, URL string
	// Type is the core's callback type.
	Type domain.CallbackType
	// SigningSecret is the key of the events' HMAC signature.
	SigningSecret string
}

// Core is what the Cloud API needs from the PowerAuth core. Every method
// runs the core's own rules; failures the caller caused are *CoreError.
type Core interface {
	CreateApplication(ctx context.Context, name string, roles []string) (Application, error)
	GetApplication(ctx context.Context, name string) (Application, error)
	ListApplications(ctx context.Context) ([]Application, error)

	CreateRegistration(ctx context.Context, in RegistrationInput) (Registration, error)
	GetRegistration(ctx context.Context, id string) (Registration, error)
	ListRegistrations(ctx context.Context, userID string, applications []string) ([]Registration, error)
	CommitRegistration(ctx context.Context, id, externalUserID, otp string) error
	BlockRegistration(ctx context.Context, id, reason, externalUserID string) error
	UnblockRegistration(ctx context.Context, id, externalUserID string) error
	RemoveRegistration(ctx context.Context, id, externalUserID string) error

	CreateOperation(ctx context.Context, in OperationInput) (Operation, error)
	GetOperation(ctx context.Context, id string) (Operation, error)
	ListOperations(ctx context.Context, userID string, applications []string, pendingOnly bool) ([]Operation, error)
	CancelOperation(ctx context.Context, id, reason string) (Operation, error)
	OperationOfflineQR(ctx context.Context, id, registrationID, title, message string) (OfflineQR, error)
	ApproveOperationOffline(ctx context.Context, id, registrationID, nonce, otp string) (OfflineResult, error)

	CreateTemplate(ctx context.Context, in TemplateInput) (domain.OperationTemplate, error)
	ListTemplates(ctx context.Context) ([]domain.OperationTemplate, error)
	RemoveTemplate(ctx context.Context, name string) error

	VerifySignature(ctx context.Context, in SignatureCheck) (Verdict, error)
	ValidateToken(ctx context.Context, in TokenCheck) (Verdict, error)

	CreateCallback(ctx context.Context, application, name string, typ domain.CallbackType, url string) (Callback, error)
	ListCallbacks(ctx context.Context, application string) ([]Callback, error)
	RemoveCallback(ctx context.Context, application, id string) error
}

// CoreErrorKind classifies a failure of the core the caller caused.
type CoreErrorKind int

// The kinds of core failures.
const (
	// CoreInvalid is bad input.
	CoreInvalid CoreErrorKind = iota + 1
	// CoreNotFound is an unknown object (application, activation, operation).
	CoreNotFound
	// CoreState is a change the object's state does not allow.
	CoreState
	// CoreTemplateNotFound is an unknown operation template.
	CoreTemplateNotFound
	// CoreDuplicate is an object that already exists.
	CoreDuplicate
	// CoreOTP is a wrong or malformed one-time password.
	CoreOTP
)

// CoreError is a failure of the core the caller caused; Message is safe
// to show.
type CoreError struct {
	Kind    CoreErrorKind
	Message string
	Cause   error
}

// Error implements error.
func (e *CoreError) Error() string {
	if e.Cause != nil {
		return e.Message + ": " + e.Cause.Error()
	}
	return e.Message
}

// Unwrap returns the cause.
func (e *CoreError) Unwrap() error { return e.Cause }

// coreKind returns the kind of a core failure, 0 for an internal one.
func coreKind(err error) (CoreErrorKind, string) {
	var ce *CoreError
	if errors.As(err, &ce) {
		return ce.Kind, ce.Message
	}
	return 0, ""
}

// Options configure the Cloud API.
type Options struct {
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger receives refused logins and internal errors (never secrets).
	Logger *slog.Logger
	// ServiceBaseURL is the public API's base URL given to new
	// applications (serviceBaseUrl).
	ServiceBaseURL string
	// TokenAudience is the aud of issued bearer tokens, checked on use
	// (default DefaultTokenAudience).
	TokenAudience string
	// TokenIssuer is the iss of issued tokens (default DefaultTokenIssuer).
	TokenIssuer string
	// TokenLifetime is how long a bearer token is valid (default DefaultTokenLifetime).
	TokenLifetime time.Duration
	// PasswordHashMemoryKiB is the Argon2id memory cost of new password
	// hashes (default DefaultPasswordHashMemoryKiB).
	PasswordHashMemoryKiB uint32
	// MaxFailuresPerUser and MaxFailuresPerIP are the wrong passwords
	// accepted in FailureWindow before further logins of the user / from
	// the IP are refused until the window ends (defaults 5 and 20).
	MaxFailuresPerUser, MaxFailuresPerIP int
	// FailureWindow is the rate limit's window (default 15 minutes).
	FailureWindow time.Duration
	// Push is the push server (credentials, messages); nil answers the
	// push endpoints with 501 ERROR_NOT_IMPLEMENTED.
	Push Push
}

// Defaults of Options.
const (
	DefaultTokenAudience         = "powerauth-cloud"
	DefaultTokenIssuer           = "mauth"
	DefaultTokenLifetime         = time.Hour
	DefaultPasswordHashMemoryKiB = 19 * 1024
	DefaultMaxFailuresPerUser    = 5
	DefaultMaxFailuresPerIP      = 20
	DefaultFailureWindow         = 15 * time.Minute
)

// Service is the Cloud API.
type Service struct {
	st      store.Store
	box     *secretbox.Box
	core    Core
	opts    Options
	log     *slog.Logger
	limiter *limiter
	keys    *keyCache
	auth    *authCache

	dummyOnce sync.Once
	dummy     string
}

// New builds the Cloud API over the store, the server key and the core port.
func New(st store.Store, box *secretbox.Box, core Core, opts Options) (*Service, error) {
	if st == nil || box == nil || core == nil {
		return nil, errors.New("cloud: store, server key and core are required")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.TokenAudience == "" {
		opts.TokenAudience = DefaultTokenAudience
	}
	if opts.TokenIssuer == "" {
		opts.TokenIssuer = DefaultTokenIssuer
	}
	if opts.TokenLifetime <= 0 {
		opts.TokenLifetime = DefaultTokenLifetime
	}
	if opts.PasswordHashMemoryKiB == 0 {
		opts.PasswordHashMemoryKiB = DefaultPasswordHashMemoryKiB
	}
	if opts.MaxFailuresPerUser <= 0 {
		opts.MaxFailuresPerUser = DefaultMaxFailuresPerUser
	}
	if opts.MaxFailuresPerIP <= 0 {
		opts.MaxFailuresPerIP = DefaultMaxFailuresPerIP
	}
	if opts.FailureWindow <= 0 {
		opts.FailureWindow = DefaultFailureWindow
	}
	return &Service{st: st, box: box, core: core, opts: opts, log: opts.Logger,
		limiter: newLimiter(opts.MaxFailuresPerUser, opts.MaxFailuresPerIP, opts.FailureWindow),
		keys:    &keyCache{keys: map[string]*signingKey{}}, auth: newAuthCache(authCacheTTL)}, nil
}

// now is the current time truncated to milliseconds (the store's precision).
func (s *Service) now() time.Time { return s.opts.Now().UTC().Truncate(time.Millisecond) }

// ServiceBaseURL is the public API's base URL given to applications.
func (s *Service) ServiceBaseURL() string { return s.opts.ServiceBaseURL }

// wrap adds context to an internal error.
func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("cloud: %s: %w", what, err)
}
