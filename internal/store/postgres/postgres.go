// Package postgres is the PostgreSQL backend of the mauth store.
//
// It uses pgx (github.com/jackc/pgx/v5) through its database/sql adapter
// rather than pgxpool, so that the repository code — every statement and
// every scan — is shared with the SQLite backend in internal/store/sqlstore
// and checked once by one conformance suite. The adapter costs little on
// top of pgx (statements are still prepared and cached per connection); the
// benchmarks in this package measure the whole path.
//
// Write transactions run at READ COMMITTED; read-modify-write sequences lock
// their rows with SELECT … FOR UPDATE (the expiry job with FOR UPDATE SKIP
// LOCKED) or use compare-and-set updates, never advisory locks, so the same
// SQL works on distributed PostgreSQL-compatible engines (which retry with
// serialization failures, handled by InTx). View runs REPEATABLE READ, READ
// ONLY for a consistent snapshot.
//
// Behind a transaction-pooling pgbouncer, add default_query_exec_mode=exec
// (or simple_protocol) to the DSN so that pgx does not rely on per-session
// prepared statements.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/mauth/mauth/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Tables used for schema bookkeeping.
const (
	// SchemaVersionTable records the applied migrations.
	SchemaVersionTable = "mauth_schema_version"
	// SchemaLockTable holds the lease that serialises concurrent migrators
	// (a table row with a heartbeat, not an advisory lock).
	SchemaLockTable = "mauth_schema_lock"
)

// Options tune the PostgreSQL backend. The zero value is ready to use.
type Options struct {
	// MaxConns caps open connections; default 32.
	MaxConns int
	// MaxIdleConns caps idle connections; default MaxConns.
	MaxIdleConns int
	// ConnMaxLifetime recycles connections; default 30 minutes.
	ConnMaxLifetime time.Duration
	// Migrate applies pending migrations before Open returns.
	Migrate bool
}

// Store is a PostgreSQL-backed store.Store.
type Store struct {
	*sqlstore.Store
}

// Open connects to the database named by dsn (a postgres:// URL or
// key=value string as pgx accepts).
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse DSN: %w", err)
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = 32
	}
	// goose's lock heartbeat and its migration connection need two
	// connections at once.
	opts.MaxConns = max(opts.MaxConns, 4)
	if opts.MaxIdleConns <= 0 || opts.MaxIdleConns > opts.MaxConns {
		opts.MaxIdleConns = opts.MaxConns
	}
	if opts.ConnMaxLifetime <= 0 {
		opts.ConnMaxLifetime = 30 * time.Minute
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(opts.MaxConns)
	db.SetMaxIdleConns(opts.MaxIdleConns)
	db.SetConnMaxLifetime(opts.ConnMaxLifetime)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}

	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("postgres: migrations: %w", err)
	}
	locker, err := lock.NewPostgresTableLocker(
		lock.WithTableName(SchemaLockTable),
		lock.WithTableLockTimeout(time.Second, 300),
	)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("postgres: migration lock: %w", err)
	}
	prov, err := goose.NewProvider(goose.DialectPostgres, db, sub,
		goose.WithTableName(SchemaVersionTable), goose.WithLocker(locker), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("postgres: migrations: %w", err)
	}
	inner, err := sqlstore.New(sqlstore.Config{Dialect: Dialect(), Write: db, Read: db, Migrations: prov})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s := &Store{Store: inner}
	if opts.Migrate {
		if err := s.Migrate(ctx); err != nil {
			_ = s.Close()
			return nil, fmt.Errorf("postgres: %w", err)
		}
	}
	return s, nil
}

// Dialect describes PostgreSQL to the shared SQL implementation.
func Dialect() *sqlstore.Dialect {
	return &sqlstore.Dialect{
		Name:                "postgres",
		ForUpdate:           " FOR UPDATE",
		ForUpdateSkipLocked: " FOR UPDATE SKIP LOCKED",
		WritableCTE:         true,
		SQLSHA256:           true,
		Classify:            classify,
		WriteTxOptions:      &sql.TxOptions{Isolation: sql.LevelReadCommitted},
		ReadTxOptions:       &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true},
		Explain:             "EXPLAIN ",
		CopyFrom:            copyFrom,
	}
}

// copyFrom loads rows into table with COPY … FROM STDIN (binary) on one
// connection of db.
func copyFrom(ctx context.Context, db *sql.DB, table string, columns []string, rows [][]any) error {
	c, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("postgres: COPY needs a pgx connection, not %T", dc)
		}
		n, err := sc.Conn().CopyFrom(ctx, pgx.Identifier{table}, columns, pgx.CopyFromRows(rows))
		if err != nil {
			return err
		}
		if n != int64(len(rows)) {
			return fmt.Errorf("postgres: COPY %s wrote %d of %d rows", table, n, len(rows))
		}
		return nil
	})
}

// PostgreSQL SQLSTATE codes the store reacts to.
const (
	codeUniqueViolation      = "23505"
	codeForeignKeyViolation  = "23503"
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
)

// classify maps pgx errors to error classes.
func classify(err error) sqlstore.ErrorClass {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return sqlstore.ErrorOther
	}
	switch pe.Code {
	case codeUniqueViolation:
		return sqlstore.ErrorUniqueViolation
	case codeForeignKeyViolation:
		return sqlstore.ErrorForeignKeyViolation
	case codeSerializationFailure, codeDeadlockDetected:
		return sqlstore.ErrorRetryable
	}
	return sqlstore.ErrorOther
}
