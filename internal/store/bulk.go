package store

import (
	"context"

	"github.com/mauth/mauth/internal/domain"
)

// Seed is a batch of rows for BulkLoader.BulkLoad: activations with their
// status history, signature audit records and audit log entries.
type Seed struct {
	Activations []domain.Activation
	History     []domain.ActivationHistory
	Signatures  []domain.SignatureAudit
	Audit       []domain.AuditEntry
	// Analyze refreshes the planner statistics of the loaded tables after
	// the load: set it on the last batch of a series (a bulk load changes
	// the tables' sizes at once, and the statistics would catch up only
	// later).
	Analyze bool
}

// Len is the number of rows of the seed.
func (s Seed) Len() int {
	return len(s.Activations) + len(s.History) + len(s.Signatures) + len(s.Audit)
}

// BulkLoader fills a database quickly, outside the transactions of the
// services: `mauth bench --seed-activations` loads a population before it
// measures. PostgreSQL uses COPY, SQLite multi-row INSERTs in one
// transaction per call. The rows are written as given (the generated ids
// of history, signature audit and audit log rows are assigned by the
// database and not reported back); no callback event is queued. A failure
// may leave part of the seed loaded.
type BulkLoader interface {
	// BulkLoad inserts the rows of s, activations first.
	BulkLoad(ctx context.Context, s Seed) error
}

// PlanExplainer shows how the database runs a query of the store: the
// tests and the bench use it to check that user-scoped lists stay on an
// index on a large database.
type PlanExplainer interface {
	// ExplainList runs list against a Reader that, instead of running the
	// one list query list issues, asks the database for its plan (EXPLAIN
	// on PostgreSQL, EXPLAIN QUERY PLAN on SQLite) and returns its lines.
	ExplainList(ctx context.Context, list func(r Reader) error) ([]string, error)
}
