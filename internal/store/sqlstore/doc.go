// Package sqlstore is the database/sql implementation of store.Store shared
// by the SQLite and PostgreSQL backends.
//
// Both schemas keep times as BIGINT Unix milliseconds, booleans as values
// the drivers convert both ways, and string lists as JSON text, so one set
// of SQL statements (with $1..$N placeholders, which modernc SQLite also
// accepts) serves both databases. What differs is collected in a Dialect:
// the row-locking clauses, how driver errors are classified, and the
// transaction options.
package sqlstore
