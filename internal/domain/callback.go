package domain

import "time"

// CallbackType selects which events a callback receives. The wire name is
// also the value stored in pa_application_callback.type.
type CallbackType string

// Callback types.
const (
	// CallbackActivationStatusChange fires on every activation status change.
	CallbackActivationStatusChange CallbackType = "ACTIVATION_STATUS_CHANGE"
	// CallbackOperationStatusChange fires on every operation status change.
	CallbackOperationStatusChange CallbackType = "OPERATION_STATUS_CHANGE"
)

// String returns the wire name.
func (c CallbackType) String() string { return string(c) }

// Valid reports whether c is one of the defined types.
func (c CallbackType) Valid() bool {
	return c == CallbackActivationStatusChange || c == CallbackOperationStatusChange
}

// ParseCallbackType parses a wire name such as "ACTIVATION_STATUS_CHANGE".
func ParseCallbackType(s string) (CallbackType, error) {
	c := CallbackType(s)
	if !c.Valid() {
		return "", errUnknown("callback type", s)
	}
	return c, nil
}

// CallbackURL is a webhook registered for an application
// (pa_application_callback).
type CallbackURL struct {
	// ID is the callback UUID.
	ID string
	// ApplicationID is the owning Application.
	ApplicationID int64
	// Name is a human-readable label.
	Name string
	// URL is where events are POSTed.
	URL string
	// Type selects the events.
	Type CallbackType
	// Attributes lists the optional payload attributes to include.
	Attributes []string
	// Authentication is the JSON authentication settings, or their at-rest
	// ciphertext as produced by the service; opaque to the store. Nil when
	// the callback needs no authentication.
	Authentication []byte
	// MaxAttempts is the delivery attempt limit; 0 means the server default.
	MaxAttempts int64
	// InitialBackoff is the first retry delay; 0 means the server default.
	InitialBackoff time.Duration
	// RetentionPeriod is how long events are kept; 0 means the server default.
	RetentionPeriod time.Duration
	// Enabled is false for a callback that must not fire.
	Enabled bool
	// Created is when the callback was registered.
	Created time.Time
	// LastUpdated is the last modification; zero when never modified.
	LastUpdated time.Time
}
