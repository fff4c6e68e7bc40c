package protocol

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
)

// SHARED_INFO_1 values of the end-to-end encryption (ECIES) use cases. Each
// value belongs to exactly one scope (see SharedInfo1Scope).
const (
	// SharedInfo1GenericApplication is used for activation create layer 1
	// and the generic application-scope encryptor.
	SharedInfo1GenericApplication = "/pa/generic/application"
	// SharedInfo1ActivationLayer2 is used for activation create layer 2
	// (application scope).
	SharedInfo1ActivationLayer2 = "/pa/activation"
	// SharedInfo1Upgrade is used for the activation upgrade start (activation scope).
	SharedInfo1Upgrade = "/pa/upgrade"
	// SharedInfo1VaultUnlock is used for the vault unlock (activation scope).
	SharedInfo1VaultUnlock = "/pa/vault/unlock"
	// SharedInfo1TokenCreate is used for the token create (activation scope).
	SharedInfo1TokenCreate = "/pa/token/create"
	// SharedInfo1RecoveryConfirm is used for the recovery code confirmation
	// (activation scope).
	SharedInfo1RecoveryConfirm = "/pa/recovery/confirm"
	// SharedInfo1GenericActivation is used by the generic activation-scope
	// encryptor (user info, custom APIs).
	SharedInfo1GenericActivation = "/pa/generic/activation"
)

// EciesScope says which keys an ECIES envelope is bound to.
type EciesScope int

// The two ECIES scopes. The zero value is not a valid scope.
const (
	// EciesScopeApplication binds the envelope to the application only: the
	// master server key (3.0–3.2) or an application-scope temporary key (3.3).
	EciesScopeApplication EciesScope = iota + 1
	// EciesScopeActivation binds the envelope to an activation: the server
	// activation key (3.0–3.2) or an activation-scope temporary key (3.3),
	// plus KEY_TRANSPORT in SHARED_INFO_2.
	EciesScopeActivation
)

// String returns "application", "activation" or "invalid".
func (s EciesScope) String() string {
	switch s {
	case EciesScopeApplication:
		return "application"
	case EciesScopeActivation:
		return "activation"
	}
	return "invalid"
}

// SharedInfo1Scope returns the scope a SHARED_INFO_1 constant belongs to.
// ok is false for values that are not one of the SharedInfo1* constants.
func SharedInfo1Scope(sh1 string) (scope EciesScope, ok bool) {
	switch sh1 {
	case SharedInfo1GenericApplication, SharedInfo1ActivationLayer2:
		return EciesScopeApplication, true
	case SharedInfo1Upgrade, SharedInfo1VaultUnlock, SharedInfo1TokenCreate,
		SharedInfo1RecoveryConfirm, SharedInfo1GenericActivation:
		return EciesScopeActivation, true
	}
	return 0, false
}

// Errors returned by the ECIES code. Callers map them to API error codes
// with errors.Is; the returned errors wrap them with context.
var (
	// ErrEciesContext means the EciesContext is incomplete or inconsistent
	// (for example an activation-scope use case without an activation ID).
	ErrEciesContext = errors.New("protocol: invalid ECIES context")
	// ErrEciesVersion means the protocol version does not support ECIES.
	ErrEciesVersion = errors.New("protocol: unsupported ECIES protocol version")
	// ErrEciesMalformed means an encrypted request or response is
	// structurally invalid: bad JSON, a missing or forbidden field, bad
	// Base64, a wrong length or an invalid ephemeral public key.
	ErrEciesMalformed = errors.New("protocol: malformed ECIES payload")
	// ErrEciesTemporaryKey means the request's temporaryKeyId does not match
	// the temporary key the context was built for.
	ErrEciesTemporaryKey = errors.New("protocol: ECIES temporary key mismatch")
	// ErrEciesMAC means the MAC did not verify: wrong key, wrong context or
	// tampered data.
	ErrEciesMAC = errors.New("protocol: ECIES MAC mismatch")
	// ErrEciesDecrypt means the MAC verified but the plaintext padding was
	// invalid (the peer encrypted garbage).
	ErrEciesDecrypt = errors.New("protocol: ECIES decryption failed")
	// ErrEciesEnvelopeUsed means a response was already encrypted with the
	// envelope; each envelope key serves exactly one request/response pair.
	ErrEciesEnvelopeUsed = errors.New("protocol: ECIES envelope already used for a response")
	// ErrEciesTimestampTooOld means a request timestamp is older than allowed.
	ErrEciesTimestampTooOld = errors.New("protocol: ECIES request timestamp too old")
	// ErrEciesTimestampInFuture means a request timestamp is too far in the future.
	ErrEciesTimestampInFuture = errors.New("protocol: ECIES request timestamp too far in the future")
)

// Sizes of the ECIES values.
const (
	// EciesEnvelopeKeySize is the size of the X9.63-derived envelope key
	// (K_ENC || K_MAC || K_IV).
	EciesEnvelopeKeySize = 48
	// EciesNonceSize is the size of the request and response nonces (3.1+).
	EciesNonceSize = 16
	// EciesMACSize is the size of the HMAC-SHA256 tag.
	EciesMACSize = 32
)

// eciesLevel maps a version string to a comparable number (30..33), or 0.
func eciesLevel(version string) int {
	switch version {
	case Version30:
		return 30
	case Version31:
		return 31
	case Version32:
		return 32
	case Version33:
		return 33
	}
	return 0
}

// eciesHasNonce reports whether requests of version carry a nonce (3.1+).
func eciesHasNonce(version string) bool { return eciesLevel(version) >= 31 }

// eciesHasTimestamp reports whether requests and responses of version carry
// a timestamp, a full SHARED_INFO_2 and associated data (3.2+).
func eciesHasTimestamp(version string) bool { return eciesLevel(version) >= 32 }

// eciesHasTemporaryKey reports whether version uses temporary keys (3.3).
func eciesHasTemporaryKey(version string) bool { return eciesLevel(version) >= 33 }

// EciesContext holds everything besides the keys and the payload that enters
// an ECIES envelope. The scope follows from SharedInfo1.
type EciesContext struct {
	// Version is the protocol version, "3.0" to "3.3".
	Version string
	// SharedInfo1 is one of the SharedInfo1* constants, without the version prefix.
	SharedInfo1 string
	// ApplicationKey is APP_KEY as its Base64 text.
	ApplicationKey string
	// ApplicationSecret is APP_SECRET as its Base64 text; SHARED_INFO_2 uses
	// the text's ASCII bytes. It may be empty only when the SHARED_INFO_2
	// base is supplied directly (NewEciesEnvelopeFromSecrets).
	ApplicationSecret string
	// ActivationID is required in activation scope and must be empty in
	// application scope. It is used exactly as received.
	ActivationID string
	// TemporaryKeyID is the temporary key's ID; required in 3.3, must be
	// empty before.
	TemporaryKeyID string
	// TransportKey is KEY_TRANSPORT (16 bytes); required in activation scope
	// and must be empty in application scope. It may be empty only when the
	// SHARED_INFO_2 base is supplied directly.
	TransportKey []byte
}

// String describes the context without its secrets.
func (c EciesContext) String() string {
	return fmt.Sprintf("EciesContext{Version:%q SharedInfo1:%q ApplicationKey:%q ActivationID:%q TemporaryKeyID:%q}",
		c.Version, c.SharedInfo1, c.ApplicationKey, c.ActivationID, c.TemporaryKeyID)
}

// GoString is like String, so %#v does not print secrets either.
func (c EciesContext) GoString() string { return c.String() }

// Scope returns the scope implied by SharedInfo1 (0 if SharedInfo1 is unknown).
func (c EciesContext) Scope() EciesScope {
	s, _ := SharedInfo1Scope(c.SharedInfo1)
	return s
}

// Validate checks that the context is complete and consistent for its
// version and scope, including the secrets needed for SHARED_INFO_2.
func (c EciesContext) Validate() error { return c.validate(true) }

func (c EciesContext) validate(needSecrets bool) error {
	if eciesLevel(c.Version) == 0 {
		return fmt.Errorf("%w: %q", ErrEciesVersion, c.Version)
	}
	scope, ok := SharedInfo1Scope(c.SharedInfo1)
	if !ok {
		return fmt.Errorf("%w: unknown SHARED_INFO_1 %q", ErrEciesContext, c.SharedInfo1)
	}
	if c.ApplicationKey == "" {
		return fmt.Errorf("%w: missing application key", ErrEciesContext)
	}
	if needSecrets {
		if c.ApplicationSecret == "" {
			return fmt.Errorf("%w: missing application secret", ErrEciesContext)
		}
		if _, err := eciesDecodeB64(c.ApplicationSecret); err != nil {
			return fmt.Errorf("%w: application secret is not Base64", ErrEciesContext)
		}
	}
	switch scope {
	case EciesScopeApplication:
		if c.ActivationID != "" {
			return fmt.Errorf("%w: activation ID in application scope (%s)", ErrEciesContext, c.SharedInfo1)
		}
		if len(c.TransportKey) != 0 {
			return fmt.Errorf("%w: transport key in application scope (%s)", ErrEciesContext, c.SharedInfo1)
		}
	case EciesScopeActivation:
		if c.ActivationID == "" {
			return fmt.Errorf("%w: missing activation ID in activation scope (%s)", ErrEciesContext, c.SharedInfo1)
		}
		if needSecrets && len(c.TransportKey) != KeySize {
			return fmt.Errorf("%w: transport key must be %d bytes, got %d", ErrEciesContext, KeySize, len(c.TransportKey))
		}
		if !needSecrets && len(c.TransportKey) != 0 && len(c.TransportKey) != KeySize {
			return fmt.Errorf("%w: transport key must be %d bytes, got %d", ErrEciesContext, KeySize, len(c.TransportKey))
		}
	}
	if eciesHasTemporaryKey(c.Version) {
		if c.TemporaryKeyID == "" {
			return fmt.Errorf("%w: version %s requires a temporary key ID", ErrEciesContext, c.Version)
		}
	} else if c.TemporaryKeyID != "" {
		return fmt.Errorf("%w: temporary key ID not allowed in version %s", ErrEciesContext, c.Version)
	}
	return nil
}

// SharedInfo1Bytes returns the effective SHARED_INFO_1: utf8(SharedInfo1)
// for 3.0 and 3.1, utf8(Version) || utf8(SharedInfo1) for 3.2 and 3.3.
func (c EciesContext) SharedInfo1Bytes() []byte {
	if eciesHasTimestamp(c.Version) {
		return []byte(c.Version + c.SharedInfo1)
	}
	return []byte(c.SharedInfo1)
}

// SharedInfo2Base returns SH2_BASE: SHA256(ascii(APP_SECRET)) in application
// scope, HMAC-SHA256(KEY_TRANSPORT, ascii(APP_SECRET)) in activation scope.
// It fails if the context does not validate.
func (c EciesContext) SharedInfo2Base() ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c.sharedInfo2Base(), nil
}

// sharedInfo2Base assumes a validated context with secrets.
func (c EciesContext) sharedInfo2Base() []byte {
	if c.Scope() == EciesScopeActivation {
		return HMACSHA256(c.TransportKey, []byte(c.ApplicationSecret))
	}
	h := sha256.Sum256([]byte(c.ApplicationSecret))
	return h[:]
}

// AssociatedData returns ASSOCIATED_DATA = concatWithSizes(VERSION, APP_KEY
// [, ACTIVATION_ID] [, TEMP_KEY_ID]) for 3.2 and 3.3, and nil for 3.0 and 3.1,
// which have none. The activation ID is present in activation scope, the
// temporary key ID in 3.3.
func (c EciesContext) AssociatedData() []byte {
	if !eciesHasTimestamp(c.Version) {
		return nil
	}
	parts := [][]byte{[]byte(c.Version), []byte(c.ApplicationKey)}
	if c.Scope() == EciesScopeActivation {
		parts = append(parts, []byte(c.ActivationID))
	}
	if eciesHasTemporaryKey(c.Version) {
		parts = append(parts, []byte(c.TemporaryKeyID))
	}
	return ConcatWithSizes(parts...)
}

// clone returns a copy that shares no memory with c.
func (c EciesContext) clone() EciesContext {
	c.TransportKey = append([]byte(nil), c.TransportKey...)
	if len(c.TransportKey) == 0 {
		c.TransportKey = nil
	}
	return c
}

// eciesDecodeB64 decodes canonical standard padded Base64. Unlike
// base64.StdEncoding it also rejects embedded CR/LF and non-zero padding bits.
func eciesDecodeB64(s string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		if s[i] == '\r' || s[i] == '\n' {
			return nil, errors.New("line break in Base64")
		}
	}
	return base64.StdEncoding.Strict().DecodeString(s)
}
