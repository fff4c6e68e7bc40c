// Package sqlite is the embedded SQLite backend of the mauth store (pure Go,
// modernc.org/sqlite, no cgo).
//
// The database runs in WAL mode with two connection pools on one file:
//
//   - a write pool (one connection by default) whose transactions start with
//     BEGIN IMMEDIATE (_txlock=immediate), so a read-modify-write takes the
//     write lock before it reads and concurrent writers can neither lose
//     updates nor deadlock on lock upgrades. Queueing writers on the single
//     connection inside database/sql is fairer and cheaper than letting them
//     spin in SQLite's busy handler; busy_timeout still covers other
//     processes (e.g. "mauth migrate") touching the file;
//   - a read pool of query_only connections for View and the Store's own
//     Reader methods: WAL readers see a consistent snapshot and never block
//     the writer or each other.
//
// synchronous=NORMAL is this package's default (mauth serve configures
// FULL): in WAL mode a commit is atomic and consistent, but the last
// transactions before a power loss or OS crash (not a process crash) may be
// rolled back on restart. With "FULL" every commit is fsynced;
// Options.GroupCommit then lets concurrent write transactions share one
// commit and so one fsync.
package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/mauth/mauth/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// SchemaVersionTable records the applied migrations.
const SchemaVersionTable = "mauth_schema_version"

// Options tune the SQLite backend. The zero value is ready to use.
type Options struct {
	// WriteConns is the size of the write pool; default 1. More connections
	// are safe (_txlock=immediate serialises them) but only add busy waits.
	WriteConns int
	// ReadConns is the size of the read pool; default max(4, GOMAXPROCS).
	ReadConns int
	// BusyTimeout is how long a connection waits for a lock held by another
	// connection before failing with SQLITE_BUSY (which InTx retries);
	// default 5s.
	BusyTimeout time.Duration
	// Synchronous is the PRAGMA synchronous level: "NORMAL" (default) or
	// "FULL" (or "EXTRA"); see the package documentation.
	Synchronous string
	// Migrate applies pending migrations before Open returns.
	Migrate bool
	// GroupCommit lets concurrent write transactions share one commit
	// (each in its own savepoint; see sqlstore.Config.GroupCommit): with
	// synchronous=FULL one fsync then covers a whole batch.
	GroupCommit bool
}

// Store is an SQLite-backed store.Store.
type Store struct {
	*sqlstore.Store
	path string
}

// Open opens (creating if needed) the database file at path.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if path == "" || path == ":memory:" {
		return nil, errors.New("sqlite: a database file path is required (in-memory databases do not work with several connections)")
	}
	if opts.WriteConns <= 0 {
		opts.WriteConns = 1
	}
	if opts.ReadConns <= 0 {
		opts.ReadConns = max(4, runtime.GOMAXPROCS(0))
	}
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = 5 * time.Second
	}
	switch opts.Synchronous {
	case "":
		opts.Synchronous = "NORMAL"
	case "NORMAL", "FULL", "EXTRA":
	default:
		return nil, fmt.Errorf("sqlite: unsupported synchronous level %q", opts.Synchronous)
	}

	// The database file is created (or tightened) to mode 0600 before
	// SQLite opens it: SQLite creates the -wal and -shm files with the
	// database file's mode, so they are private too.
	if err := privateFiles(path, false); err != nil {
		return nil, err
	}
	// The write pool is opened first: it switches the file to WAL, which
	// the query_only read connections cannot do.
	write, err := sql.Open("sqlite", dsn(path, opts, false))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	write.SetMaxOpenConns(opts.WriteConns)
	write.SetMaxIdleConns(opts.WriteConns)
	write.SetConnMaxLifetime(0)
	if err := write.PingContext(ctx); err != nil {
		_ = write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := privateFiles(path, true); err != nil {
		_ = write.Close()
		return nil, err
	}
	read, err := sql.Open("sqlite", dsn(path, opts, true))
	if err != nil {
		_ = write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	read.SetMaxOpenConns(opts.ReadConns)
	read.SetMaxIdleConns(opts.ReadConns)
	read.SetConnMaxLifetime(0)

	closeAll := func() { _ = write.Close(); _ = read.Close() }
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("sqlite: migrations: %w", err)
	}
	// Migrations share the single write connection: goose uses one
	// connection and no separate locker, and BEGIN IMMEDIATE serialises
	// concurrent migrators on the file.
	prov, err := goose.NewProvider(goose.DialectSQLite3, write, sub,
		goose.WithTableName(SchemaVersionTable), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("sqlite: migrations: %w", err)
	}
	inner, err := sqlstore.New(sqlstore.Config{
		Dialect: Dialect(), Write: write, Read: read, Migrations: prov,
		CacheStatements: true, // modernc re-parses every statement otherwise
		// The single write connection serialises write transactions, so
		// batching them into one commit costs no concurrency.
		GroupCommit: opts.GroupCommit && opts.WriteConns == 1,
	})
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	s := &Store{Store: inner, path: path}
	if opts.Migrate {
		if err := s.Migrate(ctx); err != nil {
			_ = s.Close()
			return nil, fmt.Errorf("sqlite: %w", err)
		}
	}
	return s, nil
}

// sidecars are the suffixes of the files SQLite keeps next to a database.
var sidecars = []string{"-wal", "-shm", "-journal"}

// privateFiles creates the database file at path with mode 0600 when it
// does not exist (unless onlySidecars), and removes group and other
// permissions from it and its -wal, -shm and -journal files when they
// exist: they hold every activation and the sealed keys.
func privateFiles(path string, onlySidecars bool) error {
	if !onlySidecars {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		switch {
		case err == nil:
			if err := f.Close(); err != nil {
				return fmt.Errorf("sqlite: create %s: %w", path, err)
			}
		case errors.Is(err, fs.ErrExist):
		default:
			return fmt.Errorf("sqlite: create %s: %w", path, err)
		}
	}
	files := make([]string, 0, len(sidecars)+1)
	if !onlySidecars {
		files = append(files, path)
	}
	for _, s := range sidecars {
		files = append(files, path+s)
	}
	if runtime.GOOS == "windows" {
		return nil
	}
	for _, p := range files {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("sqlite: %w", err)
		}
		if m := fi.Mode().Perm(); m&0o077 != 0 {
			if err := os.Chmod(p, m&0o700); err != nil {
				return fmt.Errorf("sqlite: %s is accessible by group or others (mode %04o) and its mode cannot be changed (%v): run `chmod 600 %s`", p, m, err, p)
			}
		}
	}
	return nil
}

// Path returns the database file path.
func (s *Store) Path() string { return s.path }

// dsn builds the modernc.org/sqlite connection string for path.
func dsn(path string, opts Options, readOnly bool) string {
	q := url.Values{}
	q.Set("_busy_timeout", strconv.FormatInt(opts.BusyTimeout.Milliseconds(), 10))
	q.Set("_foreign_keys", "1")
	q.Set("_synchronous", opts.Synchronous)
	if readOnly {
		q.Set("_query_only", "1")
	} else {
		q.Set("_journal_mode", "WAL")
		q.Set("_txlock", "immediate")
	}
	u := url.URL{Scheme: "file", Opaque: path, RawQuery: q.Encode()}
	return u.String()
}

// Dialect describes SQLite to the shared SQL implementation: no row locks
// (BEGIN IMMEDIATE serialises writers), constraint errors by extended result
// code, SQLITE_BUSY/LOCKED as retryable.
func Dialect() *sqlstore.Dialect {
	return &sqlstore.Dialect{
		Name:          "sqlite",
		Classify:      classify,
		ReadTxOptions: &sql.TxOptions{ReadOnly: true},
		Explain:       "EXPLAIN QUERY PLAN ",
		ChainLinkFunc: chainLinkFunc,
	}
}

// chainLinkFunc is the SQL function chain_link(prev, content) =
// SHA-256(prev || content) over BLOBs (sqlstore.Dialect.ChainLinkFunc),
// registered with the driver for every connection.
const chainLinkFunc = "mauth_chain_link"

func init() {
	sqlite.MustRegisterDeterministicScalarFunction(chainLinkFunc, 2, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		h := sha256.New()
		for _, a := range args {
			b, ok := a.([]byte)
			if !ok {
				return nil, fmt.Errorf("%s: BLOB arguments expected, got %T", chainLinkFunc, a)
			}
			h.Write(b)
		}
		return h.Sum(nil), nil
	})
}

// classify maps modernc.org/sqlite errors to error classes.
func classify(err error) sqlstore.ErrorClass {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return sqlstore.ErrorOther
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return sqlstore.ErrorUniqueViolation
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return sqlstore.ErrorForeignKeyViolation
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return sqlstore.ErrorRetryable
	}
	return sqlstore.ErrorOther
}
