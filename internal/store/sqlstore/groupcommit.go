package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/mauth/mauth/internal/store"
)

// DefaultGroupCommitMaxBatch bounds how many callers share one group-commit
// transaction.
const DefaultGroupCommitMaxBatch = 64

// groupCommit runs the write transactions of a database with a single
// writer (SQLite) as group commits: callers that queue for the writer while
// another caller's transaction runs join the same database transaction, each
// inside its own savepoint, and the last one to finish commits for all of
// them. One commit (and, with synchronous=FULL, one fsync) then serves many
// callers instead of one.
//
// Each caller's function runs in the caller's own goroutine, one at a time;
// its statements see the uncommitted work of the callers before it in the
// same batch (as they would have seen it committed, had each committed
// alone). A function that fails, panics or exits its goroutine is rolled
// back to its savepoint and leaves the others' work intact. No caller
// returns success before the commit that holds its work succeeded: when the
// commit fails, every member of the batch gets the error (and InTx retries
// it like any failed transaction). When one member's failure breaks the
// shared transaction (SQLite rolls a whole transaction back on SQLITE_FULL
// or an I/O error), that member gets its own error and the others get
// ErrBatchAborted, which InTx retries. Under no contention every
// transaction commits at once, so group commit adds no latency.
//
// A caller queued for the writer waits for its turn even when its context
// ends (its function is then not run): every queued caller must take its
// turn, as the member before it may have left the batch for it to commit.
type groupCommit struct {
	s        *Store
	opts     *sql.TxOptions
	maxBatch int

	mu      sync.Mutex   // held by the caller running on the batch
	waiting atomic.Int64 // callers blocked on mu
	cur     *batch       // the open batch, nil between batches

	committedMembers atomic.Int64 // transactions committed
	commits          atomic.Int64 // database commits that held them
}

// GroupCommitStats are counters of the group commits so far.
type GroupCommitStats struct {
	// Transactions is the number of InTx calls whose work was committed.
	Transactions int64
	// Commits is the number of database commits that held them.
	Commits int64
}

// GroupCommitStats returns the group-commit counters (zero without group
// commit).
func (s *Store) GroupCommitStats() GroupCommitStats {
	if s.group == nil {
		return GroupCommitStats{}
	}
	return GroupCommitStats{Transactions: s.group.committedMembers.Load(), Commits: s.group.commits.Load()}
}

// ErrBatchAborted is the error of the members of a group commit whose
// shared transaction broke because of another member (or a failed
// savepoint): their work was lost through no fault of their own, so InTx
// runs them again.
var ErrBatchAborted = errors.New("sqlstore: group commit aborted")

// batch is one shared transaction.
type batch struct {
	tx      *sql.Tx
	c       *conn
	members int // callers whose successful work awaits the commit
	seq     int // savepoint names
	done    chan struct{}
	err     error // the commit's result, set before done is closed
}

func newGroupCommit(s *Store, opts *sql.TxOptions, maxBatch int) *groupCommit {
	if maxBatch <= 0 {
		maxBatch = DefaultGroupCommitMaxBatch
	}
	return &groupCommit{s: s, opts: opts, maxBatch: maxBatch}
}

// inTx runs fn as one member of a batch and returns once its work is
// committed (nil) or lost (an error).
func (g *groupCommit) inTx(ctx context.Context, fn func(tx store.Tx) error) error {
	g.waiting.Add(1)
	g.mu.Lock()
	g.waiting.Add(-1)
	if err := ctx.Err(); err != nil {
		g.leave(nil)
		return err
	}
	b, err := g.open()
	if err != nil {
		g.mu.Unlock()
		return err
	}
	b.seq++
	sp := fmt.Sprintf("gc%d", b.seq)
	if _, err := b.tx.ExecContext(context.Background(), "SAVEPOINT "+sp); err != nil {
		return g.abort(b, g.s.d.wrap("sqlstore: savepoint", err))
	}
	finished := false
	defer func() {
		if finished {
			return
		}
		// fn panicked or called runtime.Goexit (t.FailNow in a test):
		// undo its work, let the batch go on, and unwind.
		if err := g.rollbackTo(b, sp); err != nil {
			_ = g.abort(b, err)
			return
		}
		g.leave(b)
	}()
	fnErr := fn(b.c)
	finished = true
	if fnErr != nil {
		if err := g.rollbackTo(b, sp); err != nil {
			// This member's failure broke the shared transaction: it gets
			// its own error, the others are retried.
			_ = g.abort(b, err)
			return fnErr
		}
		g.leave(b)
		return fnErr
	}
	if _, err := b.tx.ExecContext(context.Background(), "RELEASE "+sp); err != nil {
		return g.abort(b, g.s.d.wrap("sqlstore: release savepoint", err))
	}
	b.members++
	g.leave(b)
	<-b.done
	return b.err
}

// open returns the open batch or begins one. Called with mu held.
func (g *groupCommit) open() (*batch, error) {
	if g.cur != nil {
		return g.cur, nil
	}
	// The transaction outlives any one caller: never bind it to a
	// caller's context (database/sql rolls back on cancellation).
	bg := context.Background()
	tx, err := g.s.write.BeginTx(bg, g.opts)
	if err != nil {
		return nil, g.s.d.wrap("sqlstore: begin", err)
	}
	g.cur = &batch{
		tx:   tx,
		c:    &conn{q: fixedQuerier{ctx: bg, q: tx}, tx: tx, cache: g.s.writeCache, d: g.s.d, fixed: bg},
		done: make(chan struct{}),
	}
	return g.cur, nil
}

// rollbackTo undoes the work since savepoint sp.
func (g *groupCommit) rollbackTo(b *batch, sp string) error {
	bg := context.Background()
	if _, err := b.tx.ExecContext(bg, "ROLLBACK TO "+sp); err != nil {
		return g.s.d.wrap("sqlstore: rollback to savepoint", err)
	}
	if _, err := b.tx.ExecContext(bg, "RELEASE "+sp); err != nil {
		return g.s.d.wrap("sqlstore: release savepoint", err)
	}
	return nil
}

// leave ends a caller's turn (mu held): it commits the batch when nobody
// else is queued to join it or it is full, and releases mu. b is the
// caller's batch (nil: none was opened).
func (g *groupCommit) leave(b *batch) {
	if b == nil {
		b = g.cur
	}
	if b == nil || (g.waiting.Load() > 0 && b.members < g.maxBatch) {
		// A queued caller will finish the batch.
		g.mu.Unlock()
		return
	}
	g.cur = nil
	if b.members > 0 {
		if err := b.tx.Commit(); err != nil {
			b.err = g.s.d.wrap("sqlstore: commit", err)
		} else {
			g.commits.Add(1)
			g.committedMembers.Add(int64(b.members))
		}
	} else {
		_ = b.tx.Rollback()
	}
	close(b.done)
	g.mu.Unlock()
}

// abort ends a batch whose transaction is broken: every member's work is
// lost and each gets err wrapped in ErrBatchAborted (retried by InTx).
// Called with mu held; releases it.
func (g *groupCommit) abort(b *batch, err error) error {
	_ = b.tx.Rollback()
	err = fmt.Errorf("%w: %w", ErrBatchAborted, err)
	b.err = err
	g.cur = nil
	close(b.done)
	g.mu.Unlock()
	return err
}
