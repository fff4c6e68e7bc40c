package audit

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mauth/mauth/internal/store"
)

// BreakKind says how a chain is broken.
type BreakKind string

// Break kinds.
const (
	// BreakChanged: a row's content no longer matches its stored content
	// hash: the row was edited.
	BreakChanged BreakKind = "changed"
	// BreakInserted: a row that is not part of the chain (its successor
	// links to the row before it), or a row without a chain link written
	// after the chains started.
	BreakInserted BreakKind = "inserted"
	// BreakDeleted: rows are missing (a gap in the positions, a chain that
	// ends before its head or its last checkpoint, or unchained legacy rows
	// gone).
	BreakDeleted BreakKind = "deleted"
	// BreakReordered: rows are out of order (positions or ids swapped): a
	// row comes before the row of the position before it.
	BreakReordered BreakKind = "reordered"
	// BreakLink: a row's content matches its content hash but its link
	// does not verify: its link columns were edited, or rows were deleted
	// or inserted before it and the later positions renumbered (the detail
	// says whether the next row still links to it).
	BreakLink BreakKind = "broken-link"
	// BreakRewritten: the chain verifies on its own but differs from the
	// signed checkpoint: it was recomputed after a change.
	BreakRewritten BreakKind = "rewritten"
	// BreakCheckpoint: the latest checkpoint's signature or payload is bad.
	BreakCheckpoint BreakKind = "checkpoint"
)

// Break is the first broken link of a chain.
type Break struct {
	Kind  BreakKind `json:"kind"`
	Chain string    `json:"chain"`
	Shard int       `json:"shard"`
	// Seq is the position where the chain breaks, RowID the row there (0
	// when the row is missing).
	Seq    int64  `json:"seq"`
	RowID  int64  `json:"rowId,omitempty"`
	Detail string `json:"detail"`
}

func (b Break) String() string {
	return fmt.Sprintf("%s %s shard %d seq %d row %d: %s", b.Kind, b.Chain, b.Shard, b.Seq, b.RowID, b.Detail)
}

// Report is the result of a verification.
type Report struct {
	// Records counts the chained rows verified; Chains the chains walked.
	Records int64 `json:"records"`
	Chains  int   `json:"chains"`
	// CheckpointID is the signed checkpoint verified against (0: none).
	CheckpointID      int64     `json:"checkpointId,omitempty"`
	CheckpointCreated time.Time `json:"checkpointCreated,omitzero"`
	// Breaks holds the first break of every broken chain (empty: intact).
	Breaks   []Break   `json:"breaks"`
	Verified time.Time `json:"verified"`
}

// OK reports whether every chain verified.
func (r Report) OK() bool { return len(r.Breaks) == 0 }

// walker verifies one chain as its rows stream by (in id order, which is
// seq order within a chain), in constant memory: the previous link and at
// most one row whose position or link failed, waiting for the chain's next
// row to tell why.
type walker struct {
	chain   string
	shard   int
	prev    []byte
	last    int64 // seq of the last verified row
	lastID  int64 // its id
	pending *store.ChainRecord
	gap     bool             // pending came before its position: rows missing or reordered
	cp      *store.ChainHead // the checkpoint's head of this chain
	cpID    int64
	brk     *Break
	records int64
}

func (w *walker) fail(kind BreakKind, seq, row int64, format string, args ...any) {
	w.brk = &Break{Kind: kind, Chain: w.chain, Shard: w.shard, Seq: seq, RowID: row, Detail: fmt.Sprintf(format, args...)}
}

// links reports whether r's stored link is the link of its stored
// content hash after prev.
func (w *walker) links(prev []byte, r store.ChainRecord) bool {
	return len(r.StoredContent) == store.ChainHashSize &&
		bytes.Equal(store.ChainLink(prev, [store.ChainHashSize]byte(r.StoredContent)), r.Hash)
}

// resolve decides what the pending row is, now that the chain's next row
// r (nil at the end of the chain) is known.
func (w *walker) resolve(r *store.ChainRecord) {
	p := w.pending
	switch {
	case w.gap && r != nil && r.Seq == w.last+1:
		w.fail(BreakReordered, w.last+1, p.ID, "row %d (seq %d) comes before row %d (seq %d) although it was written after it", p.ID, p.Seq, r.ID, r.Seq)
	case w.gap:
		w.fail(BreakDeleted, w.last+1, 0, "rows at seq %d to %d are missing (before row %d)", w.last+1, p.Seq-1, p.ID)
	case r != nil && w.links(w.prev, *r):
		w.fail(BreakInserted, p.Seq, p.ID, "row %d is not a link of the chain: the next row links to seq %d before it", p.ID, w.last)
	case r != nil && r.Seq == p.Seq+1 && w.links(p.Hash, *r):
		w.fail(BreakLink, p.Seq, p.ID, "row %d matches its content hash and the next row links to it, but it does not link to seq %d before it: rows between them were deleted and the positions renumbered, or its content hash was replaced", p.ID, w.last)
	default:
		w.fail(BreakLink, p.Seq, p.ID, "row %d does not link to seq %d before it: its link columns were edited, or rows around it deleted or inserted and the positions renumbered", p.ID, w.last)
	}
}

func (w *walker) row(r store.ChainRecord) {
	if w.brk != nil {
		return
	}
	if w.pending != nil {
		w.resolve(&r)
		return
	}
	hold := func(gap bool) {
		rr := r
		rr.Hash, rr.StoredContent = bytes.Clone(r.Hash), bytes.Clone(r.StoredContent)
		w.pending, w.gap = &rr, gap
	}
	switch {
	case r.Seq > w.last+1:
		hold(true)
		return
	case r.Seq <= w.last:
		w.fail(BreakInserted, r.Seq, r.ID, "row %d repeats seq %d", r.ID, r.Seq)
		return
	case !bytes.Equal(r.StoredContent, r.ContentHash[:]):
		w.fail(BreakChanged, r.Seq, r.ID, "the content of row %d (created %s) was changed after it was written", r.ID, r.Created.Format(time.RFC3339))
		return
	case !w.links(w.prev, r):
		hold(false)
		return
	case w.cp != nil && r.Seq == w.cp.Seq && !bytes.Equal(r.Hash, w.cp.Hash):
		w.fail(BreakRewritten, r.Seq, r.ID, "the chain up to seq %d differs from signed checkpoint %d: it was recomputed", r.Seq, w.cpID)
		return
	}
	w.prev = append(w.prev[:0], r.Hash...)
	w.last, w.lastID = r.Seq, r.ID
	w.records++
}

// end checks the chain's end against its stored head and the checkpoint.
func (w *walker) end(head store.ChainHead, haveHead bool) {
	if w.brk != nil {
		return
	}
	if w.pending != nil {
		w.resolve(nil)
		return
	}
	if w.cp != nil && w.last < w.cp.Seq {
		w.fail(BreakDeleted, w.last+1, 0, "rows at seq %d to %d, covered by signed checkpoint %d, are missing", w.last+1, w.cp.Seq, w.cpID)
		return
	}
	switch {
	case !haveHead:
		w.fail(BreakDeleted, w.last, 0, "the chain head is missing")
	case head.Seq > w.last:
		w.fail(BreakDeleted, w.last+1, 0, "rows at seq %d to %d are missing at the end of the chain", w.last+1, head.Seq)
	case head.Seq < w.last:
		w.fail(BreakInserted, head.Seq+1, w.lastID, "rows beyond the chain head (seq %d) were inserted", head.Seq)
	case !bytes.Equal(head.Hash, w.prev):
		w.fail(BreakChanged, w.last, w.lastID, "the chain head does not match the last row")
	}
}

// Viewer runs reads on one consistent snapshot (store.Store.View).
type Viewer interface {
	View(ctx context.Context, fn func(r store.Reader) error) error
}

// Verify walks every audit chain of st on one snapshot (so that concurrent
// writers cannot make the rows and the heads disagree), streaming, and
// returns the first break of each broken chain. See VerifyReader.
func Verify(ctx context.Context, st Viewer, pub *ecdsa.PublicKey, now time.Time) (Report, error) {
	var rep Report
	err := st.View(ctx, func(r store.Reader) error {
		var err error
		rep, err = VerifyReader(ctx, r, pub, now)
		return err
	})
	return rep, err
}

// VerifyReader walks every audit chain of st, streaming, and returns the
// first break of each broken chain. The latest checkpoint is checked with pub
// (nil: the stored audit key it names — pass a key kept outside the
// database to detect a replaced key) and the chains must reach and match
// it. An error is a failure to read, not a broken chain.
func VerifyReader(ctx context.Context, st store.AuditChainReader, pub *ecdsa.PublicKey, now time.Time) (Report, error) {
	rep := Report{Breaks: []Break{}}
	var cp *Checkpoint
	stored, err := st.LatestAuditCheckpoint(ctx)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return rep, fmt.Errorf("verify audit: %w", err)
	default:
		c, err := openStored(ctx, st, stored, pub)
		if err != nil {
			rep.Breaks = append(rep.Breaks, Break{Kind: BreakCheckpoint, Detail: err.Error()})
		} else {
			cp = &c
			rep.CheckpointID, rep.CheckpointCreated = c.ID, c.Created
		}
	}
	heads, err := st.ListAuditChainHeads(ctx)
	if err != nil {
		return rep, fmt.Errorf("verify audit: %w", err)
	}
	headOf := func(chain string, shard int) (store.ChainHead, bool) {
		for _, h := range heads {
			if h.Chain == chain && h.Shard == shard {
				return h, true
			}
		}
		return store.ChainHead{}, false
	}
	for _, chain := range store.AuditChains {
		walkers := make([]*walker, store.AuditChainShards)
		for shard := range walkers {
			w := &walker{chain: chain, shard: shard, prev: bytes.Clone(store.ChainGenesis)}
			if cp != nil {
				if h, ok := cp.head(chain, shard); ok {
					w.cp, w.cpID = &h, cp.ID
				}
			}
			walkers[shard] = w
		}
		err := st.WalkAuditChain(ctx, chain, func(r store.ChainRecord) error {
			walkers[r.Shard].row(r)
			return nil
		})
		if err != nil {
			return rep, fmt.Errorf("verify audit: %w", err)
		}
		for _, w := range walkers {
			h, ok := headOf(w.chain, w.shard)
			w.end(h, ok)
			rep.Records += w.records
			rep.Chains++
			if w.brk != nil {
				rep.Breaks = append(rep.Breaks, *w.brk)
			}
		}
		if b, err := verifyLegacy(ctx, st, chain, cp); err != nil {
			return rep, err
		} else if b != nil {
			rep.Breaks = append(rep.Breaks, *b)
		}
	}
	rep.Verified = now
	return rep, nil
}

// verifyLegacy compares a table's unchained rows with the count recorded
// when the chains started (and signed in the checkpoint).
func verifyLegacy(ctx context.Context, st store.AuditChainReader, chain string, cp *Checkpoint) (*Break, error) {
	now, err := st.CountUnchainedAudit(ctx, chain)
	if err != nil {
		return nil, fmt.Errorf("verify audit: %w", err)
	}
	all, err := st.ListAuditChainLegacy(ctx)
	if err != nil {
		return nil, fmt.Errorf("verify audit: %w", err)
	}
	var want store.ChainLegacy
	found := false
	if cp != nil {
		for _, l := range cp.Legacy {
			if l.Chain == chain {
				want, found = l, true
			}
		}
	}
	if !found {
		for _, l := range all {
			if l.Chain == chain {
				want, found = l, true
			}
		}
	}
	brk := func(kind BreakKind, row int64, format string, args ...any) *Break {
		return &Break{Kind: kind, Chain: chain, Shard: -1, RowID: row, Detail: fmt.Sprintf(format, args...)}
	}
	switch {
	case !found:
		return brk(BreakDeleted, 0, "the record of unchained rows is missing"), nil
	case now.MaxID > want.MaxID:
		return brk(BreakInserted, now.MaxID, "row %d carries no chain link (rows before the chains started end at id %d)", now.MaxID, want.MaxID), nil
	case now.Count > want.Count:
		return brk(BreakInserted, 0, "%d rows without a chain link were inserted among the %d written before the chains started", now.Count-want.Count, want.Count), nil
	case now.Count < want.Count:
		return brk(BreakDeleted, 0, "%d of the %d rows written before the chains started are missing", want.Count-now.Count, want.Count), nil
	}
	return nil, nil
}

// openStored verifies a stored checkpoint with pub, or with the stored key
// it names.
func openStored(ctx context.Context, st store.AuditChainReader, cp store.AuditCheckpoint, pub *ecdsa.PublicKey) (Checkpoint, error) {
	if pub == nil {
		k, err := st.GetAuditKey(ctx, cp.KeyID)
		if err != nil {
			return Checkpoint{}, fmt.Errorf("audit checkpoint %d: key %s: %w", cp.ID, cp.KeyID, err)
		}
		if pub, err = ParsePublicKey(k.PublicKey); err != nil {
			return Checkpoint{}, err
		}
	}
	return OpenCheckpoint(cp, pub)
}

// Monitor remembers the last verification, for the metrics and the
// console.
type Monitor struct {
	mu   sync.Mutex
	last Report
	runs int
}

// Record stores a verification's report.
func (m *Monitor) Record(r Report) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.last, m.runs = r, m.runs+1
}

// Status returns the last report and whether there was one.
func (m *Monitor) Status() (Report, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.last, m.runs > 0
}
