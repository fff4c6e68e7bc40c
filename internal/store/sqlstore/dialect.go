package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/mauth/mauth/internal/store"
)

// ErrorClass is what a driver error means to the store.
type ErrorClass int

// Error classes.
const (
	// ErrorOther is any error without a special meaning.
	ErrorOther ErrorClass = iota
	// ErrorUniqueViolation is a primary-key or unique-index violation.
	ErrorUniqueViolation
	// ErrorForeignKeyViolation is a foreign-key violation.
	ErrorForeignKeyViolation
	// ErrorRetryable is a transient conflict (deadlock, serialization
	// failure, busy database) after which the transaction may be retried.
	ErrorRetryable
)

// Dialect describes what differs between the SQL databases.
type Dialect struct {
	// Name names the dialect in error messages.
	Name string
	// ForUpdate is appended to a SELECT to lock its rows for the rest of the
	// transaction, e.g. " FOR UPDATE"; empty when writers are serialised
	// anyway.
	ForUpdate string
	// ForUpdateSkipLocked is like ForUpdate but skips rows other
	// transactions hold locked.
	ForUpdateSkipLocked string
	// WritableCTE is set when INSERTs may run inside WITH clauses of one
	// statement (PostgreSQL), to save round trips.
	WritableCTE bool
	// SQLSHA256 is set when the database computes SHA-256 in SQL
	// (sha256(bytea), PostgreSQL), so that an audit INSERT computes its
	// chain link in the same statement that advances the chain head.
	SQLSHA256 bool
	// ChainLinkFunc names an SQL function f(prev, content) returning
	// SHA-256(prev || content) (BLOBs), with which a chain head advances in
	// one UPDATE … RETURNING where SQLSHA256 does not apply (SQLite, which
	// registers it); empty: the head is read, linked in Go and written.
	ChainLinkFunc string
	// unchained writes audit rows without chain links: only for the
	// benchmark that measures what the chains cost (UnchainedForBenchmark).
	unchained bool
	// Classify maps a driver error to an ErrorClass. It must look through
	// wrapping (errors.As).
	Classify func(err error) ErrorClass
	// WriteTxOptions are used to begin InTx transactions (nil for defaults).
	WriteTxOptions *sql.TxOptions
	// ReadTxOptions are used to begin View transactions.
	ReadTxOptions *sql.TxOptions
	// Explain is the statement prefix that asks for a query plan
	// ("EXPLAIN ", "EXPLAIN QUERY PLAN "); see Store.ExplainList.
	Explain string
	// CopyFrom, when set, loads rows into a table in one bulk operation
	// (PostgreSQL COPY) for Store.BulkLoad; the values are plain driver
	// values (no driver.Valuer). Nil: multi-row INSERTs.
	CopyFrom func(ctx context.Context, db *sql.DB, table string, columns []string, rows [][]any) error
}

// classify is Classify that tolerates a nil func and nil error.
func (d *Dialect) classify(err error) ErrorClass {
	if err == nil || d.Classify == nil {
		return ErrorOther
	}
	return d.Classify(err)
}

// wrap adds context to a driver error and translates the error classes that
// have a store sentinel: uniqueness → ErrAlreadyExists, foreign keys →
// ErrConflict. The driver error stays in the chain, so retry detection
// still sees it.
func (d *Dialect) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrAlreadyExists) || errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("%s: %w", op, err)
	}
	switch d.classify(err) {
	case ErrorUniqueViolation:
		return fmt.Errorf("%s: %w: %w", op, store.ErrAlreadyExists, err)
	case ErrorForeignKeyViolation:
		return fmt.Errorf("%s: %w: %w", op, store.ErrConflict, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}
