// Package audit writes the audit log (audit_log) as a building block
// inside a store transaction: the core and every vertical append the entry
// that describes a change in the transaction that makes the change, so the
// entry commits (or rolls back) with it and a security-relevant change
// never takes effect without its record.
//
// It also keeps the audit trail tamper-evident (docs/audit.md): the store
// writes every audit row as a link of a hash chain; Signer signs the chain
// heads as checkpoints with the audit key (ECDSA P-256, sealed with the
// server key) and Publish sends them outside the database; Verify walks
// every chain, streaming, and reports the first broken link of each.
//
// It imports only internal/domain, internal/store, internal/secretbox and
// the standard library, never the core service or an HTTP surface (the
// archtest rule audit-callbacks-building-blocks).
package audit
