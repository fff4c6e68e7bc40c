package store

import (
	"time"

	"github.com/mauth/mauth/internal/domain"
)

// ActivationListFilter selects a user's activations for ListActivations.
// Results are ordered newest first (by Created, then by ActivationID).
type ActivationListFilter struct {
	// UserID is required.
	UserID string
	// ApplicationID restricts to one application; 0 means any.
	ApplicationID int64
	// Statuses restricts to these states; empty means any.
	Statuses []domain.ActivationStatus
	// Protocols restricts to these protocols; empty means any.
	Protocols []domain.ActivationProtocol
	// Device restricts by platform and OS version.
	Device DeviceFilter
	// Offset skips this many rows (page number × page size).
	Offset int
	// Limit caps the number of rows; 0 means no limit.
	Limit int
}

// ActivationLookup searches activations across users for LookupActivations.
// Every non-empty field must match. Results are ordered newest first.
type ActivationLookup struct {
	// UserIDs restricts to these users; empty means any.
	UserIDs []string
	// ApplicationIDs restricts to these applications; empty means any.
	ApplicationIDs []int64
	// LastUsedAfter keeps activations last used at or after it; zero means
	// unbounded. Never-used activations are excluded when either bound is set.
	LastUsedAfter time.Time
	// LastUsedBefore keeps activations last used strictly before it; zero
	// means unbounded.
	LastUsedBefore time.Time
	// Statuses restricts to these states; empty means any.
	Statuses []domain.ActivationStatus
	// Flags keeps activations carrying at least one of these flags; empty
	// means any.
	Flags []string
	// Device restricts by platform and OS version.
	Device DeviceFilter
	// Limit caps the number of rows; 0 means no limit.
	Limit int
}

// SignatureAuditFilter selects signature audit records for
// ListSignatureAudits. Results are ordered newest first.
type SignatureAuditFilter struct {
	// UserID restricts to one user; empty means any.
	UserID string
	// ApplicationID restricts to one application; 0 means any.
	ApplicationID int64
	// ActivationID restricts to one activation; empty means any.
	ActivationID string
	// From is the inclusive lower bound of Created; zero means unbounded.
	From time.Time
	// To is the inclusive upper bound of Created; zero means unbounded.
	To time.Time
	// Limit caps the number of rows; 0 means no limit.
	Limit int
}

// RecoveryCodeFilter selects recovery codes for ListRecoveryCodes. Every
// non-empty field must match. Results are ordered by ID.
type RecoveryCodeFilter struct {
	// ApplicationID restricts to one application; 0 means any.
	ApplicationID int64
	// Code restricts to one recovery code value; empty means any.
	Code string
	// UserID restricts to one user; empty means any.
	UserID string
	// ActivationID restricts to one activation; empty means any.
	ActivationID string
	// Statuses restricts to these states; empty means any.
	Statuses []domain.RecoveryCodeStatus
}

// DeviceFilter selects activations by the device attributes parsed at the
// key exchange. Every non-empty field must match.
type DeviceFilter struct {
	// Platforms restricts to these platforms (lower case); empty means any.
	Platforms []string
	// OSMajor restricts to this major OS version; 0 means any.
	OSMajor int
	// OSVersionPrefix restricts to OS versions equal to it or starting
	// with it followed by a dot ("16.6" matches "16.6" and "16.6.1", not
	// "16.60"); empty means any.
	OSVersionPrefix string
}
