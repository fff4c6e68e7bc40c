package domain

import "time"

// Well-known values of Activation.BlockedReason. Free text is allowed too.
const (
	// BlockedReasonMaxFailedAttempts is set when failed attempts reach the limit.
	BlockedReasonMaxFailedAttempts = "MAX_FAILED_ATTEMPTS"
	// BlockedReasonNotSpecified is the default reason of an administrative block.
	BlockedReasonNotSpecified = "NOT_SPECIFIED"
)

// Activation is one device (or FIDO2 authenticator) bound to a user in an
// application: a row of pa_activation.
type Activation struct {
	// ActivationID is the UUID that identifies the activation.
	ActivationID string
	// ApplicationID is the internal id of the owning Application.
	ApplicationID int64
	// UserID identifies the user in the customer's systems.
	UserID string
	// Name is the user-visible activation (device) name.
	Name string
	// ActivationCode is the XXXXX-XXXXX-XXXXX-XXXXX code the device uses to
	// find this activation; empty when none. Unique among CREATED and
	// PENDING_COMMIT activations.
	ActivationCode string
	// ActivationSignature is the master-key ECDSA signature of the activation
	// code handed out with it; nil when none.
	ActivationSignature []byte
	// Status is the lifecycle state.
	Status ActivationStatus
	// OtpHash is the hashed activation OTP (service-defined encoding); empty
	// when the activation has no OTP.
	OtpHash string
	// OtpValidation is the deprecated OTP validation mode.
	OtpValidation OtpValidation
	// CommitPhase says when the OTP is checked and the activation committed.
	CommitPhase CommitPhase
	// BlockedReason says why a BLOCKED activation was blocked.
	BlockedReason string
	// Counter is the numeric signature counter.
	Counter int64
	// CtrData is the hash-based counter (16 bytes for protocol version 3).
	CtrData []byte
	// DevicePublicKey is the device public key exactly as received.
	DevicePublicKey []byte
	// Extras is free text the device sent at activation.
	Extras string
	// Platform is the device platform (ios, android, hw, unknown).
	Platform string
	// DeviceInfo describes the device (model, OS version).
	DeviceInfo string
	// UserAgent is the User-Agent of the key-exchange request as stored
	// (valid UTF-8, no control characters, at most 1024 bytes); empty when
	// none.
	UserAgent string
	// Device is what mauth parsed from UserAgent, Platform and DeviceInfo
	// at the key exchange; empty fields are unknown.
	Device DeviceDetails
	// Flags are free-form activation flags (a set; order kept as given).
	Flags []string
	// ExternalID is an optional identifier from an external system.
	ExternalID string
	// Protocol is powerauth or fido2.
	Protocol ActivationProtocol
	// FailedAttempts counts consecutive failed signature attempts.
	FailedAttempts int64
	// MaxFailedAttempts is the limit at which the activation is blocked.
	MaxFailedAttempts int64
	// ServerPrivateKeyEncrypted is the server private key of the activation
	// in the server's at-rest encryption format; opaque to the store.
	ServerPrivateKeyEncrypted []byte
	// ServerPublicKey is the server public key of the activation.
	ServerPublicKey []byte
	// MasterKeyPairID is the MasterKeyPair used at activation; 0 when none.
	MasterKeyPairID int64
	// Created is when the activation was initialised.
	Created time.Time
	// ActivationExpire is when an unfinished (CREATED/PENDING_COMMIT)
	// activation expires.
	ActivationExpire time.Time
	// LastUsed is the last successful use; zero when never used.
	LastUsed time.Time
	// LastChange is the last status change; zero when never changed.
	LastChange time.Time
	// Version is the cryptography version of the activation (2 or 3).
	Version int
	// MaxProtocolVersion is the highest protocol version ("3.0" … "3.3")
	// the device has been seen speaking in an authenticated request (the
	// key exchange or a valid signature); empty when none yet. See
	// Application.AllowVersionDowngrade.
	MaxProtocolVersion string
	// SignatureDigests are the digests of the most recently accepted
	// signatures, concatenated oldest first (a bounded ring the service
	// maintains), so that an exact replay can be told from a guess.
	SignatureDigests []byte
	// PossessionFailedAttempts counts the failed DECIMAL (protocol 3.0)
	// possession-only signatures of the current streak; they never block
	// the activation but make further DECIMAL possession-only attempts
	// wait (a back-off).
	PossessionFailedAttempts int64
	// PossessionLastFailure is the time of the last counted possession-only
	// failure; zero when none.
	PossessionLastFailure time.Time
	// Revision is maintained by the store: it is incremented on every update
	// and lets callers do compare-and-set updates without holding row locks.
	Revision int64
	// ApplicationRevision is the revision of the activation's application
	// (Application.Revision) read in the same statement as the activation
	// by GetActivation, GetActivationSigningState and
	// GetActivationForUpdate (zero from other reads; never written). Nodes
	// use cached application rows only while it matches their stamp.
	ApplicationRevision int64
}

// Well-known values of ActivationHistory.EventReason.
const (
	// EventReasonOtpFailedAttempt records a wrong activation OTP.
	EventReasonOtpFailedAttempt = "OTP_FAILED_ATTEMPT"
	// EventReasonOtpMaxFailedAttempts records removal after too many wrong OTPs.
	EventReasonOtpMaxFailedAttempts = "OTP_MAX_FAILED_ATTEMPTS"
	// EventReasonOtpValueUpdate records a new activation OTP.
	EventReasonOtpValueUpdate = "OTP_VALUE_UPDATE"
	// EventReasonActivationVersionChanged records a crypto version upgrade.
	EventReasonActivationVersionChanged = "ACTIVATION_VERSION_CHANGED"
	// EventReasonActivationNameUpdated records a rename.
	EventReasonActivationNameUpdated = "ACTIVATION_NAME_UPDATED"
)

// ActivationHistory is one entry of the status/name change log of an
// activation (pa_activation_history).
type ActivationHistory struct {
	// ID is assigned by the store; entries of one activation are ordered by it.
	ID int64
	// ActivationID is the activation the entry belongs to.
	ActivationID string
	// Status is the activation status after the change.
	Status ActivationStatus
	// EventReason says why, e.g. EventReasonOtpFailedAttempt; may be empty.
	EventReason string
	// ExternalUserID is the administrator or system that made the change.
	ExternalUserID string
	// ActivationName is the activation name after the change.
	ActivationName string
	// ActivationVersion is the crypto version after the change.
	ActivationVersion int
	// Created is when the change happened.
	Created time.Time
}

// DeviceDetails are the typed device attributes of an activation, parsed
// from the SDK's User-Agent and the activation's platform and deviceInfo
// (internal/deviceinfo). Empty fields (0 for OSMajor) are unknown.
type DeviceDetails struct {
	// Manufacturer is the device maker ("Apple", "samsung").
	Manufacturer string
	// Model is the device model ("iphone12,3", "SM-A047F").
	Model string
	// OS is the operating system ("iOS", "Android").
	OS string
	// OSVersion is the operating system version ("16.6.1").
	OSVersion string
	// OSMajor is the leading number of OSVersion (16).
	OSMajor int
	// AppID is the application identifier (bundle id, package name).
	AppID string
	// AppVersion is the application version.
	AppVersion string
	// SDKName is the networking library ("PowerAuthNetworking").
	SDKName string
	// SDKVersion is the networking library version.
	SDKVersion string
}
