package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/mauth/mauth/internal/store"
)

// DefaultMaxAttempts is how often InTx and View run a transaction that keeps
// failing with a retryable error.
const DefaultMaxAttempts = 8

// Config assembles a Store.
type Config struct {
	// Dialect describes the database.
	Dialect *Dialect
	// Write is the pool for InTx (and migrations, unless Migrations uses
	// its own).
	Write *sql.DB
	// Read is the pool for View and the Store's own Reader methods; it may
	// be the same as Write.
	Read *sql.DB
	// Migrations applies the schema; required for Migrate and
	// PendingMigrations.
	Migrations *goose.Provider
	// MaxAttempts bounds retries of transient failures; 0 means
	// DefaultMaxAttempts.
	MaxAttempts int
	// CacheStatements keeps prepared statements of the static queries, for
	// drivers that do not cache them themselves.
	CacheStatements bool
	// GroupCommit makes concurrent InTx callers share transactions (see
	// groupCommit). Only for a database with a single writer connection,
	// where write transactions are serialised anyway (SQLite).
	GroupCommit bool
	// GroupCommitMaxBatch bounds the callers of one group commit; 0 means
	// DefaultGroupCommitMaxBatch.
	GroupCommitMaxBatch int
}

// Store implements store.Store over database/sql.
type Store struct {
	store.Reader // one autocommit query per call on the read pool

	d                     *Dialect
	write, read           *sql.DB
	writeCache, readCache *stmtCache // nil without statement caching
	migrations            *goose.Provider
	maxAttempts           int
	group                 *groupCommit // nil without group commit
}

var _ store.Store = (*Store)(nil)

// New returns a Store over the pools in cfg. The Store owns the pools:
// Close closes them.
func New(cfg Config) (*Store, error) {
	if cfg.Dialect == nil || cfg.Write == nil || cfg.Read == nil {
		return nil, errors.New("sqlstore: dialect, write and read pools are required")
	}
	n := cfg.MaxAttempts
	if n <= 0 {
		n = DefaultMaxAttempts
	}
	s := &Store{
		d:           cfg.Dialect,
		write:       cfg.Write,
		read:        cfg.Read,
		migrations:  cfg.Migrations,
		maxAttempts: n,
	}
	if cfg.CacheStatements {
		s.writeCache = newStmtCache(cfg.Write)
		s.readCache = s.writeCache
		if cfg.Read != cfg.Write {
			s.readCache = newStmtCache(cfg.Read)
		}
	}
	s.Reader = &conn{q: cfg.Read, cache: s.readCache, d: cfg.Dialect}
	if cfg.GroupCommit {
		s.group = newGroupCommit(s, cfg.Dialect.WriteTxOptions, cfg.GroupCommitMaxBatch)
	}
	return s, nil
}

// InTx implements store.Store.
func (s *Store) InTx(ctx context.Context, fn func(tx store.Tx) error) error {
	if s.group != nil {
		return s.retry(ctx, func() error { return s.group.inTx(ctx, fn) })
	}
	return s.retry(ctx, func() error {
		return s.run(ctx, s.write, s.writeCache, s.d.WriteTxOptions, func(c *conn) error { return fn(c) })
	})
}

// View implements store.Store.
func (s *Store) View(ctx context.Context, fn func(r store.Reader) error) error {
	return s.retry(ctx, func() error {
		return s.run(ctx, s.read, s.readCache, s.d.ReadTxOptions, func(c *conn) error { return fn(c) })
	})
}

// retry runs attempt until it succeeds, fails with a non-retryable error,
// or has run maxAttempts times, sleeping with jittered exponential backoff
// between attempts.
func (s *Store) retry(ctx context.Context, attempt func() error) error {
	for i := 0; ; i++ {
		err := attempt()
		if err == nil || i+1 >= s.maxAttempts || (s.d.classify(err) != ErrorRetryable && !errors.Is(err, ErrBatchAborted)) {
			return err
		}
		t := time.NewTimer(backoff(i))
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// backoff returns the pause before retry i+1: 1ms·2^i (capped at 64ms) plus
// up to 100% jitter so that colliding transactions drift apart.
func backoff(i int) time.Duration {
	base := time.Millisecond << min(i, 6)
	var b [8]byte
	_, _ = rand.Read(b[:]) // jitter only; never fails on supported platforms
	return base + time.Duration(binary.LittleEndian.Uint64(b[:])%uint64(base))
}

// run executes fn in one transaction on db.
func (s *Store) run(ctx context.Context, db *sql.DB, cache *stmtCache, opts *sql.TxOptions, fn func(c *conn) error) (err error) {
	tx, err := db.BeginTx(ctx, opts)
	if err != nil {
		return s.d.wrap("sqlstore: begin", err)
	}
	done := false
	defer func() {
		// fn panicked or called runtime.Goexit (t.FailNow in a test):
		// release the connection before unwinding further.
		if !done {
			_ = tx.Rollback()
		}
	}()
	err = fn(&conn{q: tx, tx: tx, cache: cache, d: s.d})
	if err != nil {
		done = true
		_ = tx.Rollback()
		return err
	}
	done = true
	if err := tx.Commit(); err != nil {
		return s.d.wrap("sqlstore: commit", err)
	}
	return nil
}

// Ping implements store.Store.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.write.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlstore: ping: %w", err)
	}
	if s.read != s.write {
		if err := s.read.PingContext(ctx); err != nil {
			return fmt.Errorf("sqlstore: ping read pool: %w", err)
		}
	}
	return nil
}

// Migrate implements store.Store.
func (s *Store) Migrate(ctx context.Context) error {
	if s.migrations == nil {
		return errors.New("sqlstore: no migrations configured")
	}
	if _, err := s.migrations.Up(ctx); err != nil {
		return fmt.Errorf("sqlstore: migrate: %w", err)
	}
	return nil
}

// PendingMigrations implements store.Store.
func (s *Store) PendingMigrations(ctx context.Context) (int, error) {
	if s.migrations == nil {
		return 0, errors.New("sqlstore: no migrations configured")
	}
	st, err := s.migrations.Status(ctx)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: migration status: %w", err)
	}
	n := 0
	for _, m := range st {
		if m.State == goose.StatePending {
			n++
		}
	}
	return n, nil
}

// Close implements store.Store.
func (s *Store) Close() error {
	caches := []*stmtCache{s.writeCache}
	if s.readCache != s.writeCache {
		caches = append(caches, s.readCache)
	}
	for _, c := range caches {
		if c != nil {
			c.close()
		}
	}
	err := s.write.Close()
	if s.read != s.write {
		err = errors.Join(err, s.read.Close())
	}
	for _, c := range caches {
		if c != nil {
			c.wait()
		}
	}
	return err
}
