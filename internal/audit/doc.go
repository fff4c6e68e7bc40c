// Package audit writes the audit log (pa_audit_log) as a building block
// inside a store transaction: the core and every vertical append the entry
// that describes a change in the transaction that makes the change, so the
// entry commits (or rolls back) with it and a security-relevant change
// never takes effect without its record.
//
// It imports only internal/domain and internal/store, never the core
// service or an HTTP surface (the archtest rule audit-building-block).
package audit
