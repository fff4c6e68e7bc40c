package domain

import "time"

// OperationStatus is the state of an approval operation. The integer is the
// value stored in pa_operation.status.
type OperationStatus int

// Operation statuses.
const (
	// OperationPending waits for the user's decision.
	OperationPending OperationStatus = 1
	// OperationCanceled was canceled by the bank's backend.
	OperationCanceled OperationStatus = 2
	// OperationExpired passed its expiry time while pending.
	OperationExpired OperationStatus = 3
	// OperationApproved was approved by the user.
	OperationApproved OperationStatus = 4
	// OperationRejected was rejected by the user.
	OperationRejected OperationStatus = 5
	// OperationFailed reached the maximum number of failed approvals.
	OperationFailed OperationStatus = 6
)

var operationStatusNames = map[OperationStatus]string{
	OperationPending:  "PENDING",
	OperationCanceled: "CANCELED",
	OperationExpired:  "EXPIRED",
	OperationApproved: "APPROVED",
	OperationRejected: "REJECTED",
	OperationFailed:   "FAILED",
}

// String returns the wire name, e.g. "PENDING".
func (s OperationStatus) String() string { return enumName("OperationStatus", operationStatusNames, s) }

// MarshalText renders the wire name; values outside the enumeration fail.
func (s OperationStatus) MarshalText() ([]byte, error) {
	return marshalEnum("operation status", operationStatusNames, s)
}

// ParseOperationStatus parses a wire name such as "APPROVED".
func ParseOperationStatus(s string) (OperationStatus, error) {
	return parseEnum("operation status", operationStatusNames, s)
}

// Final reports whether no further transition is possible.
func (s OperationStatus) Final() bool { return s != OperationPending }

// OperationTemplate describes how operations of one kind are created
// (pa_operation_template).
type OperationTemplate struct {
	// ID is the internal id assigned by the store.
	ID int64
	// Name is the unique template name.
	Name string
	// OperationType is the operation type copied to new operations.
	OperationType string
	// DataTemplate is the operation data with ${param} placeholders.
	DataTemplate string
	// SignatureTypes are the allowed factor combinations, lower case, e.g.
	// "possession_knowledge".
	SignatureTypes []string
	// MaxFailureCount is how many failed approvals fail the operation.
	MaxFailureCount int64
	// Expiration is the lifetime of new operations (whole seconds).
	Expiration time.Duration
	// RiskFlags are the operation's risk flags, e.g. "XFC"; may be empty.
	RiskFlags string
	// ProximityCheckEnabled gives new operations a proximity TOTP seed.
	ProximityCheckEnabled bool
	// NumberMatchingEnabled gives new operations a 2-digit number the user
	// must pick on the device (mauth extension).
	NumberMatchingEnabled bool
}

// Operation is one approval operation (pa_operation with its
// pa_operation_application rows).
type Operation struct {
	// ID is the operation UUID.
	ID string
	// UserID is the user; empty for an operation not yet claimed.
	UserID string
	// ApplicationIDs are the internal ids of the applications that may
	// approve it (at least one).
	ApplicationIDs []int64
	// ExternalID is the bank's identifier; may be empty.
	ExternalID string
	// ActivationFlag limits the operation to activations with this flag.
	ActivationFlag string
	// ActivationID limits the operation to one activation.
	ActivationID string
	// OperationType is the template's operation type.
	OperationType string
	// TemplateName is the template the operation was created from.
	TemplateName string
	// Data is the operation data the user signs.
	Data string
	// Parameters are the template parameters.
	Parameters map[string]string
	// AdditionalData is free-form data merged on every transition.
	AdditionalData map[string]any
	// Status is the current state.
	Status OperationStatus
	// StatusReason is a machine-readable reason (≤32 characters).
	StatusReason string
	// SignatureTypes are the allowed factor combinations, lower case.
	SignatureTypes []string
	// FailureCount counts failed approvals.
	FailureCount int64
	// MaxFailureCount is the failure limit.
	MaxFailureCount int64
	// Created is when the operation was created.
	Created time.Time
	// Expires is when a pending operation expires.
	Expires time.Time
	// Finalized is when the operation reached a final state; zero before.
	Finalized time.Time
	// RiskFlags are the template's risk flags.
	RiskFlags string
	// TotpSeedEncrypted is the at-rest ciphertext of the proximity-check
	// TOTP seed; nil without a proximity check. Opaque to the store.
	TotpSeedEncrypted []byte
	// NumberMatching is the 2-digit number the user must pick; empty
	// without number matching.
	NumberMatching string
}
