package domain

import "time"

// AuditType classifies an audit log entry. The wire name is also the value
// stored in audit_log.type.
type AuditType string

// Audit entry types.
const (
	// AuditActivationStatusChanged is an activation status change.
	AuditActivationStatusChanged AuditType = "ACTIVATION_STATUS_CHANGED"
	// AuditSignatureVerified is a valid signature.
	AuditSignatureVerified AuditType = "SIGNATURE_VERIFIED"
	// AuditSignatureFailed is an invalid signature (or one that could not be
	// checked because of the activation's state).
	AuditSignatureFailed AuditType = "SIGNATURE_FAILED"
	// AuditTokenValidated is a MAC token validation, valid or not.
	AuditTokenValidated AuditType = "TOKEN_VALIDATED"
	// AuditOperationTransition is an approval operation state change.
	AuditOperationTransition AuditType = "OPERATION_TRANSITION"
	// AuditAdminChange is an administrative change (applications,
	// integrations, callbacks).
	AuditAdminChange AuditType = "ADMIN_CHANGE"
	// AuditIntegrationAuth is a failed authentication of an integration
	// calling the private API (details result REFUSED), or a call of an
	// authenticated integration its role does not allow (result DENIED).
	AuditIntegrationAuth AuditType = "INTEGRATION_AUTH"
)

// AuditTypes lists every audit type.
var AuditTypes = []AuditType{
	AuditActivationStatusChanged, AuditSignatureVerified, AuditSignatureFailed, AuditTokenValidated,
	AuditOperationTransition, AuditAdminChange, AuditIntegrationAuth,
}

// String returns the wire name.
func (t AuditType) String() string { return string(t) }

// Valid reports whether t is one of the defined types.
func (t AuditType) Valid() bool {
	for _, v := range AuditTypes {
		if v == t {
			return true
		}
	}
	return false
}

// ParseAuditType parses a wire name such as "SIGNATURE_FAILED".
func ParseAuditType(s string) (AuditType, error) {
	t := AuditType(s)
	if !t.Valid() {
		return "", errUnknown("audit type", s)
	}
	return t, nil
}

// AuditEntry is one security-relevant event (audit_log). It never holds
// secrets: no keys, signatures, PINs, codes or token digests.
type AuditEntry struct {
	// ID is assigned by the store.
	ID int64
	// Created is when the event happened.
	Created time.Time
	// Type classifies the event.
	Type AuditType
	// Actor is who caused the event: an integration, an administrator, a
	// device, or the server itself ("system").
	Actor string
	// ActivationID is the activation concerned, if any.
	ActivationID string
	// UserID is the user concerned, if any.
	UserID string
	// Application is the application name concerned, if any.
	Application string
	// IP is the client address of the request that caused the event.
	IP string
	// UserAgent is the User-Agent of that request.
	UserAgent string
	// Details holds further non-secret facts (status, reason, object id…).
	Details map[string]string
}
