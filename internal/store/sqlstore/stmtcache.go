package sqlstore

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// maxCachedStatements bounds a stmtCache; statements past it run unprepared.
const maxCachedStatements = 256

// stmtCache keeps one prepared *sql.Stmt per static query text for a pool,
// for drivers that re-parse every statement otherwise (modernc SQLite; pgx
// caches statements per connection on its own).
//
// A statement is prepared in the background on its first use, and that use
// runs unprepared: preparing on the pool needs an idle connection, and the
// caller may be a transaction holding the pool's only one. Inside a
// transaction a cached statement is bound to it with Tx.StmtContext, which
// reuses the statement already prepared on the transaction's connection, or
// prepares it there, never taking another connection.
type stmtCache struct {
	db *sql.DB

	mu      sync.Mutex
	stmts   map[string]*sql.Stmt
	pending map[string]bool
	closed  bool
	wg      sync.WaitGroup
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, stmts: map[string]*sql.Stmt{}, pending: map[string]bool{}}
}

// lookup returns the prepared statement for query, or nil (and starts
// preparing it) when there is none yet.
func (c *stmtCache) lookup(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.stmts[query]; s != nil {
		return s
	}
	if c.closed || c.pending[query] || len(c.stmts)+len(c.pending) >= maxCachedStatements {
		return nil
	}
	c.pending[query] = true
	c.wg.Add(1)
	go c.prepare(query)
	return nil
}

// prepare prepares query on the pool and stores it. A failure (e.g. the
// schema is not migrated yet) leaves it uncached, to be retried on a later
// use.
func (c *stmtCache) prepare(query string) {
	defer c.wg.Done()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := c.db.PrepareContext(ctx, query)
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.pending, query)
	if err != nil {
		return
	}
	if c.closed {
		_ = s.Close()
		return
	}
	c.stmts[query] = s
}

// close closes the cached statements; call wait after closing the pool to
// let background preparations finish.
func (c *stmtCache) close() {
	c.mu.Lock()
	c.closed = true
	stmts := c.stmts
	c.stmts = map[string]*sql.Stmt{}
	c.mu.Unlock()
	for _, s := range stmts {
		_ = s.Close()
	}
}

// wait blocks until no preparation runs.
func (c *stmtCache) wait() { c.wg.Wait() }
