package domain

import "time"

// RecoveryCodeStatus is the state of a recovery code, stored in
// pa_recovery_code.status.
type RecoveryCodeStatus int

// Recovery code states.
const (
	// RecoveryCodeCreated is issued but not yet confirmed by the device.
	RecoveryCodeCreated RecoveryCodeStatus = 1
	// RecoveryCodeActive may be used to recover an activation.
	RecoveryCodeActive RecoveryCodeStatus = 2
	// RecoveryCodeBlocked reached its failed-attempt limit.
	RecoveryCodeBlocked RecoveryCodeStatus = 3
	// RecoveryCodeRevoked was revoked (terminal).
	RecoveryCodeRevoked RecoveryCodeStatus = 4
)

var recoveryCodeStatusNames = map[RecoveryCodeStatus]string{
	RecoveryCodeCreated: "CREATED",
	RecoveryCodeActive:  "ACTIVE",
	RecoveryCodeBlocked: "BLOCKED",
	RecoveryCodeRevoked: "REVOKED",
}

// String returns the wire name, e.g. "ACTIVE".
func (s RecoveryCodeStatus) String() string {
	return enumName("RecoveryCodeStatus", recoveryCodeStatusNames, s)
}

// Valid reports whether s is one of the defined states.
func (s RecoveryCodeStatus) Valid() bool { _, ok := recoveryCodeStatusNames[s]; return ok }

// MarshalText implements encoding.TextMarshaler with the wire name.
func (s RecoveryCodeStatus) MarshalText() ([]byte, error) {
	return marshalEnum("RecoveryCodeStatus", recoveryCodeStatusNames, s)
}

// UnmarshalText implements encoding.TextUnmarshaler from the wire name.
func (s *RecoveryCodeStatus) UnmarshalText(b []byte) error {
	v, err := ParseRecoveryCodeStatus(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseRecoveryCodeStatus parses a wire name such as "REVOKED".
func ParseRecoveryCodeStatus(s string) (RecoveryCodeStatus, error) {
	return parseEnum("recovery code status", recoveryCodeStatusNames, s)
}

// RecoveryPukStatus is the state of one recovery PUK, stored in
// pa_recovery_puk.status.
type RecoveryPukStatus int

// Recovery PUK states.
const (
	// RecoveryPukValid may be used.
	RecoveryPukValid RecoveryPukStatus = 1
	// RecoveryPukUsed was used successfully.
	RecoveryPukUsed RecoveryPukStatus = 2
	// RecoveryPukInvalid was invalidated.
	RecoveryPukInvalid RecoveryPukStatus = 3
)

var recoveryPukStatusNames = map[RecoveryPukStatus]string{
	RecoveryPukValid:   "VALID",
	RecoveryPukUsed:    "USED",
	RecoveryPukInvalid: "INVALID",
}

// String returns the wire name, e.g. "VALID".
func (s RecoveryPukStatus) String() string {
	return enumName("RecoveryPukStatus", recoveryPukStatusNames, s)
}

// Valid reports whether s is one of the defined states.
func (s RecoveryPukStatus) Valid() bool { _, ok := recoveryPukStatusNames[s]; return ok }

// MarshalText implements encoding.TextMarshaler with the wire name.
func (s RecoveryPukStatus) MarshalText() ([]byte, error) {
	return marshalEnum("RecoveryPukStatus", recoveryPukStatusNames, s)
}

// UnmarshalText implements encoding.TextUnmarshaler from the wire name.
func (s *RecoveryPukStatus) UnmarshalText(b []byte) error {
	v, err := ParseRecoveryPukStatus(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseRecoveryPukStatus parses a wire name such as "USED".
func ParseRecoveryPukStatus(s string) (RecoveryPukStatus, error) {
	return parseEnum("recovery PUK status", recoveryPukStatusNames, s)
}

// RecoveryCode is an activation recovery code (pa_recovery_code).
type RecoveryCode struct {
	// ID is assigned by the store.
	ID int64
	// Code is the recovery code (XXXXX-XXXXX-XXXXX-XXXXX).
	Code string
	// ApplicationID is the owning Application.
	ApplicationID int64
	// UserID is the user the code belongs to.
	UserID string
	// ActivationID is the activation the code was issued with; empty for a
	// postcard code.
	ActivationID string
	// Status is the code's state.
	Status RecoveryCodeStatus
	// FailedAttempts counts wrong PUKs.
	FailedAttempts int64
	// MaxFailedAttempts is the limit at which the code is blocked.
	MaxFailedAttempts int64
	// Created is when the code was issued.
	Created time.Time
	// LastUsed is the last use; zero when never used.
	LastUsed time.Time
	// LastChange is the last status change; zero when never changed.
	LastChange time.Time
}

// RecoveryPUK is one PUK of a recovery code (pa_recovery_puk); (RecoveryCodeID,
// Index) is unique.
type RecoveryPUK struct {
	// ID is assigned by the store.
	ID int64
	// RecoveryCodeID is the owning RecoveryCode.
	RecoveryCodeID int64
	// PUK is the PUK hash, possibly encrypted at rest by the service; opaque
	// to the store.
	PUK []byte
	// Index is the PUK index (1-based), unique per recovery code.
	Index int64
	// Status is the PUK's state.
	Status RecoveryPukStatus
	// LastChange is the last status change; zero when never changed.
	LastChange time.Time
}

// RecoveryConfig holds the activation recovery settings of one application
// (pa_recovery_config); at most one per application.
type RecoveryConfig struct {
	// ID is assigned by the store.
	ID int64
	// ApplicationID is the owning Application (unique).
	ApplicationID int64
	// ActivationRecoveryEnabled turns recovery codes on.
	ActivationRecoveryEnabled bool
	// RecoveryPostcardEnabled turns postcard recovery codes on.
	RecoveryPostcardEnabled bool
	// AllowMultipleRecoveryCodes lets a user hold more than one code.
	AllowMultipleRecoveryCodes bool
	// PostcardPrivateKeyEncrypted is the server's postcard private key in the
	// at-rest encryption format; opaque to the store.
	PostcardPrivateKeyEncrypted []byte
	// PostcardPublicKey is the server's postcard public key.
	PostcardPublicKey []byte
	// RemotePostcardPublicKey is the printing center's public key.
	RemotePostcardPublicKey []byte
}
