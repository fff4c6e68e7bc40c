package domain

import "time"

// SignatureAudit records one signature verification attempt
// (pa_signature_audit). UserID and ApplicationID are copied from the
// activation so the log can be searched without joining and survives the
// activation row.
type SignatureAudit struct {
	// ID is assigned by the store.
	ID int64
	// ActivationID is the activation that was verified.
	ActivationID string
	// UserID is the user of the activation.
	UserID string
	// ApplicationID is the internal id of the activation's application.
	ApplicationID int64
	// ActivationCounter is the numeric counter at verification time.
	ActivationCounter int64
	// ActivationCtrData is the hash-based counter at verification time.
	ActivationCtrData []byte
	// ActivationStatus is the status after the verification.
	ActivationStatus ActivationStatus
	// AdditionalInfo holds extra key/value details of the attempt.
	AdditionalInfo map[string]string
	// Data is the signed data as received.
	Data []byte
	// SignatureType is the lower-case factor combination, e.g.
	// possession_knowledge.
	SignatureType string
	// Signature is the signature value as received.
	Signature string
	// SignatureVersion is the protocol version of the signature, e.g. "3.3".
	SignatureVersion string
	// SignatureMetadata is optional JSON describing the signature context.
	SignatureMetadata []byte
	// Note is a human-readable note (e.g. why the signature failed).
	Note string
	// Valid tells whether the signature was valid.
	Valid bool
	// Version is the crypto version of the activation (2 or 3).
	Version int
	// Created is when the attempt happened.
	Created time.Time
}
