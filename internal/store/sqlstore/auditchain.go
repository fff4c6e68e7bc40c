package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// chainColumns are the chain columns of every audit table (00017_audit_chain).
const chainColumns = `chain_shard, chain_seq, chain_content, chain_hash`

// chainedInsert holds the forms of an audit INSERT that appends a chain
// link: inSQL computes the link in the statement (advancing the chain head
// in a writable CTE; parameters: the n values, the shard, the content
// hash); inGo takes it as parameters (the n values, shard, seq, content
// hash, hash), computed by nextChainLink in the same transaction.
type chainedInsert struct {
	chain       string
	inSQL, inGo string
	plain       string // without chain columns (UnchainedForBenchmark)
}

// newChainedInsert builds the INSERT of n values into cols of chain.
func newChainedInsert(chain, cols string, n int) chainedInsert {
	return chainedInsert{
		chain: chain,
		inSQL: `WITH h AS (` + chainHeadUpdate(fmt.Sprintf(`chain = '%s' AND shard = $%d`, chain, n+1), fmt.Sprintf(`$%d::bytea`, n+2)) + `)
		 INSERT INTO ` + chain + ` (` + cols + `, ` + chainColumns + `) SELECT ` + placeholders(1, n) + fmt.Sprintf(`, h.shard, h.seq, $%d::bytea, h.hash FROM h`, n+2) + `
		 ON CONFLICT DO NOTHING RETURNING id`,
		inGo: `INSERT INTO ` + chain + ` (` + cols + `, ` + chainColumns + `) VALUES (` + placeholders(1, n+4) + `)
		 ON CONFLICT DO NOTHING RETURNING id`,
		plain: `INSERT INTO ` + chain + ` (` + cols + `) VALUES (` + placeholders(1, n) + `) ON CONFLICT DO NOTHING RETURNING id`,
	}
}

// chainHeadUpdate is the UPDATE (for a writable CTE) that advances the
// chain heads matching where by one link with content hash content (an SQL
// expression), returning chain, shard, seq and hash of the new links.
func chainHeadUpdate(where, content string) string {
	return `UPDATE audit_chain_head SET seq = seq + 1, hash = sha256(hash || ` + content + `) WHERE ` + where +
		` RETURNING chain, shard, seq, hash`
}

// pairHeadUpdate advances the heads of a signature audit row (shard and
// content hash parameters sig, sig+1) and of an audit-log entry (log,
// log+1) in one UPDATE. cond restricts it further (e.g. to a matched
// swap). Two such statements may lock two common head rows in opposite
// orders; PostgreSQL then aborts one with a deadlock, which the store
// retries like any transient conflict.
func pairHeadUpdate(sig, log int, cond string) string {
	return chainHeadUpdate(
		fmt.Sprintf(`((chain = '%s' AND shard = $%d) OR (chain = '%s' AND shard = $%d))%s`,
			store.ChainSignatureAudit, sig, store.ChainAuditLog, log, cond),
		fmt.Sprintf(`CASE WHEN chain = '%s' THEN $%d::bytea ELSE $%d::bytea END`, store.ChainSignatureAudit, sig+1, log+1))
}

// nextChainLink advances a chain head by one link for databases without
// writable CTEs: in one UPDATE with the dialect's ChainLinkFunc, else it
// reads the head (locked on databases with row locks; SQLite's immediate
// transactions serialise writers), computes the link and writes it back. It returns the new link's seq and hash.
func (c *conn) nextChainLink(ctx context.Context, chain string, shard int, content [store.ChainHashSize]byte) (int64, []byte, error) {
	if f := c.d.ChainLinkFunc; f != "" {
		var (
			seq  int64
			link []byte
		)
		err := c.queryRow(ctx, `UPDATE audit_chain_head SET seq = seq + 1, hash = `+f+`(hash, $3)
			WHERE chain = $1 AND shard = $2 RETURNING seq, hash`, chain, shard, content[:]).Scan(&seq, &link)
		if err != nil {
			return 0, nil, c.d.wrap("advance audit chain head", err)
		}
		return seq, link, nil
	}
	var (
		seq  int64
		prev []byte
	)
	err := c.queryRow(ctx, `SELECT seq, hash FROM audit_chain_head WHERE chain = $1 AND shard = $2`+c.d.ForUpdate, chain, shard).Scan(&seq, &prev)
	if err != nil {
		return 0, nil, c.d.wrap("read audit chain head", err)
	}
	seq++
	link := store.ChainLink(prev, content)
	if err := c.execOne(ctx, "advance audit chain head",
		`UPDATE audit_chain_head SET seq = $3, hash = $4 WHERE chain = $1 AND shard = $2`, chain, shard, seq, link); err != nil {
		return 0, nil, err
	}
	return seq, link, nil
}

// insertChained runs ins with values args as a new link of a random shard
// of its chain; content returns the row's content hash in a shard.
func (c *conn) insertChained(ctx context.Context, op string, ins chainedInsert, content func(shard int) [store.ChainHashSize]byte, args []any) (int64, error) {
	if c.d.unchained {
		return c.insertID(ctx, op, ins.plain, args...)
	}
	shard := store.PickAuditShard()
	h := content(shard)
	if c.d.SQLSHA256 {
		return c.insertID(ctx, op, ins.inSQL, append(args, shard, h[:])...)
	}
	seq, link, err := c.nextChainLink(ctx, ins.chain, shard, h)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	return c.insertID(ctx, op, ins.inGo, append(args, shard, seq, h[:], link)...)
}

// ListAuditChainHeads implements store.Reader.
func (c *conn) ListAuditChainHeads(ctx context.Context) ([]store.ChainHead, error) {
	return listDynamic(ctx, c, "list audit chain heads",
		`SELECT chain, shard, seq, hash FROM audit_chain_head ORDER BY chain, shard`,
		func(s scanner) (store.ChainHead, error) {
			var h store.ChainHead
			err := s.Scan(&h.Chain, &h.Shard, &h.Seq, &h.Hash)
			return h, err
		})
}

// chainScanner scans a row's content columns followed by its chain columns.
type chainScanner struct {
	s     scanner
	extra []any
}

func (c chainScanner) Scan(dest ...any) error { return c.s.Scan(append(dest, c.extra...)...) }

// chainWalks maps a chain to its walk query (content columns, then id,
// seq, hash) and to the content hash of a scanned row.
var chainWalks = map[string]struct {
	columns string
	content func(s scanner, shard *int) ([store.ChainHashSize]byte, int64, error)
}{
	store.ChainAuditLog: {auditEntryColumns, func(s scanner, shard *int) ([store.ChainHashSize]byte, int64, error) {
		e, err := scanAuditEntry(s)
		return store.AuditEntryContent(&e, *shard), e.Created.UnixMilli(), err
	}},
	store.ChainActivationHistory: {activationHistoryColumns, func(s scanner, shard *int) ([store.ChainHashSize]byte, int64, error) {
		h, err := scanActivationHistory(s)
		return store.ActivationHistoryContent(&h, *shard), h.Created.UnixMilli(), err
	}},
	store.ChainSignatureAudit: {signatureAuditColumns, func(s scanner, shard *int) ([store.ChainHashSize]byte, int64, error) {
		r, err := scanSignatureAudit(s)
		return store.SignatureAuditContent(&r, *shard), r.Created.UnixMilli(), err
	}},
}

// WalkAuditChain implements store.Reader.
func (c *conn) WalkAuditChain(ctx context.Context, chain string, fn func(store.ChainRecord) error) error {
	w, ok := chainWalks[chain]
	if !ok {
		return fmt.Errorf("walk audit chain: unknown chain %q", chain)
	}
	op := "walk audit chain " + chain
	rows, err := c.q.QueryContext(ctx, `SELECT `+w.columns+`, chain_shard, chain_seq, chain_content, chain_hash FROM `+chain+
		` WHERE chain_shard >= 0 AND chain_shard < $1 AND chain_seq IS NOT NULL ORDER BY id`, store.AuditChainShards)
	if err != nil {
		return c.d.wrap(op, err)
	}
	defer rows.Close()
	var r store.ChainRecord
	cs := chainScanner{s: rows, extra: []any{&r.Shard, &r.Seq, &r.StoredContent, &r.Hash}}
	idScan := idScanner{chainScanner: cs, id: &r.ID}
	for rows.Next() {
		r.Hash, r.StoredContent = nil, nil
		h, created, err := w.content(idScan, &r.Shard)
		if err != nil {
			return c.d.wrap(op, err)
		}
		r.ContentHash, r.Created = h, fromMillis(created)
		if err := fn(r); err != nil {
			return err
		}
	}
	return c.d.wrap(op, rows.Err())
}

// idScanner also copies the first scanned column (every audit table's id)
// to id.
type idScanner struct {
	chainScanner
	id *int64
}

func (s idScanner) Scan(dest ...any) error {
	if err := s.chainScanner.Scan(dest...); err != nil {
		return err
	}
	if len(dest) > 0 {
		if p, ok := dest[0].(*int64); ok {
			*s.id = *p
		}
	}
	return nil
}

// CountUnchainedAudit implements store.Reader.
func (c *conn) CountUnchainedAudit(ctx context.Context, chain string) (store.ChainLegacy, error) {
	if _, ok := chainWalks[chain]; !ok {
		return store.ChainLegacy{}, fmt.Errorf("count unchained audit: unknown chain %q", chain)
	}
	l := store.ChainLegacy{Chain: chain}
	err := c.queryRow(ctx, fmt.Sprintf(`SELECT COUNT(*), COALESCE(MAX(id), 0) FROM %s
		WHERE chain_shard IS NULL OR chain_seq IS NULL OR chain_shard < 0 OR chain_shard >= %d`, chain, store.AuditChainShards)).
		Scan(&l.Count, &l.MaxID)
	if err != nil {
		return l, c.d.wrap("count unchained audit", err)
	}
	return l, nil
}

// ListAuditChainLegacy implements store.Reader.
func (c *conn) ListAuditChainLegacy(ctx context.Context) ([]store.ChainLegacy, error) {
	return listDynamic(ctx, c, "list audit chain legacy",
		`SELECT chain, max_id, row_count FROM audit_chain_legacy ORDER BY chain`,
		func(s scanner) (store.ChainLegacy, error) {
			var l store.ChainLegacy
			err := s.Scan(&l.Chain, &l.MaxID, &l.Count)
			return l, err
		})
}

// GetAuditKey implements store.Reader.
func (c *conn) GetAuditKey(ctx context.Context, id string) (store.AuditKey, error) {
	var (
		k       store.AuditKey
		created int64
	)
	err := c.queryRow(ctx, `SELECT id, public_key, private_key, timestamp_created FROM audit_key
		WHERE $1 = '' OR id = $1 ORDER BY timestamp_created DESC, id LIMIT 1`, id).Scan(&k.ID, &k.PublicKey, &k.PrivateKey, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return k, fmt.Errorf("get audit key: %w", store.ErrNotFound)
	}
	if err != nil {
		return k, c.d.wrap("get audit key", err)
	}
	k.Created = fromMillis(created)
	return k, nil
}

// CreateAuditKey implements store.Tx.
func (c *conn) CreateAuditKey(ctx context.Context, k *store.AuditKey) error {
	_, err := c.execN(ctx, "create audit key",
		`INSERT INTO audit_key (id, public_key, private_key, timestamp_created) VALUES ($1, $2, $3, $4)`,
		k.ID, k.PublicKey, k.PrivateKey, millis(k.Created))
	return err
}

// LatestAuditCheckpoint implements store.Reader.
func (c *conn) LatestAuditCheckpoint(ctx context.Context) (store.AuditCheckpoint, error) {
	var (
		cp      store.AuditCheckpoint
		created int64
	)
	err := c.queryRow(ctx, `SELECT id, timestamp_created, key_id, payload, signature FROM audit_checkpoint
		ORDER BY id DESC LIMIT 1`).Scan(&cp.ID, &created, &cp.KeyID, &cp.Payload, &cp.Signature)
	if errors.Is(err, sql.ErrNoRows) {
		return cp, fmt.Errorf("latest audit checkpoint: %w", store.ErrNotFound)
	}
	if err != nil {
		return cp, c.d.wrap("latest audit checkpoint", err)
	}
	cp.Created = fromMillis(created)
	return cp, nil
}

// CreateAuditCheckpoint implements store.Tx.
func (c *conn) CreateAuditCheckpoint(ctx context.Context, cp *store.AuditCheckpoint) error {
	id, err := c.insertID(ctx, "create audit checkpoint",
		`INSERT INTO audit_checkpoint (timestamp_created, key_id, payload, signature) VALUES ($1, $2, $3, $4)
		 ON CONFLICT DO NOTHING RETURNING id`, millis(cp.Created), cp.KeyID, cp.Payload, cp.Signature)
	if err != nil {
		return err
	}
	cp.ID = id
	return nil
}

// content hashes of the rows written by the audit inserts, per shard.
func auditEntryContent(e *domain.AuditEntry) func(int) [store.ChainHashSize]byte {
	return func(shard int) [store.ChainHashSize]byte { return store.AuditEntryContent(e, shard) }
}

// UnchainedForBenchmark returns a store on the same database that writes
// audit rows without chain links, as before the chains existed: only for
// the benchmark that compares the cost of the chains in one run. Its rows
// break verification (they are unchained rows written after the chains
// started).
func (s *Store) UnchainedForBenchmark() *Store {
	d := *s.d
	d.unchained = true
	u := *s
	u.d = &d
	u.Reader = &conn{q: s.read, cache: s.readCache, d: &d}
	if s.group != nil {
		u.group = newGroupCommit(&u, d.WriteTxOptions, s.group.maxBatch)
	}
	return &u
}
