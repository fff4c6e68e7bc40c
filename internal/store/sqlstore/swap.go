package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// swapCounterSQL writes what a verification changes in an activation,
// when its revision is still $8.
const swapCounterSQL = `UPDATE pa_activation SET counter = $2, ctr_data = $3, failed_attempts = $4,
	timestamp_last_used = $5, max_protocol_version = $6, signature_digests = $7, row_revision = row_revision + 1
	WHERE activation_id = $1 AND row_revision = $8 RETURNING row_revision`

// swapCounterArgs are the parameters of swapCounterSQL.
func swapCounterArgs(a *domain.Activation) []any {
	return []any{a.ActivationID, a.Counter, blob(a.CtrData), a.FailedAttempts, nullMillis(a.LastUsed),
		nullString(a.MaxProtocolVersion), blob(a.SignatureDigests), a.Revision}
}

// swapWithAuditSQL is SwapActivationWithSignatureAudit as one statement
// (writable CTEs): the compare-and-swap UPDATE, the advance of the two
// audit chain heads and the two audit INSERTs as their new links, which
// run only when the UPDATE matched (they select from its result). A
// statement is atomic, so in autocommit it needs no BEGIN or COMMIT.
// Parameters: swapCounterSQL's 8, 16 record values, 9 entry values, then
// the record's shard and content hash and the entry's.
var swapWithAuditSQL = `WITH u AS (` + swapCounterSQL + `),
	h AS (` + pairHeadUpdate(34, 36, " AND EXISTS (SELECT 1 FROM u)") + `),
	` + pairedAuditInserts(9, 25, 34) + `
	SELECT (SELECT row_revision FROM u), (SELECT id FROM s), (SELECT id FROM l)`

// unchainedSwapWithAuditSQL is swapWithAuditSQL without the chains
// (UnchainedForBenchmark).
var unchainedSwapWithAuditSQL = `WITH u AS (` + swapCounterSQL + `),
	s AS (INSERT INTO pa_signature_audit (` + signatureAuditInsertColumns + `) SELECT ` + placeholders(9, 16) + ` FROM u RETURNING id),
	l AS (INSERT INTO audit_log (` + auditEntryInsertColumns + `) SELECT ` + placeholders(25, 9) + ` FROM u RETURNING id)
	SELECT (SELECT row_revision FROM u), (SELECT id FROM s), (SELECT id FROM l)`

// SwapActivationWithSignatureAudit implements store.Store.
func (s *Store) SwapActivationWithSignatureAudit(ctx context.Context, a *domain.Activation, r *domain.SignatureAudit, e *domain.AuditEntry) (bool, error) {
	if s.d.WritableCTE && (s.d.SQLSHA256 || s.d.unchained) {
		return s.swapWithAuditStatement(ctx, a, r, e)
	}
	var rev, sid, eid int64
	swapped := false
	err := s.InTx(ctx, func(tx store.Tx) error {
		swapped = false // fn may be retried
		c, ok := tx.(*conn)
		if !ok {
			return fmt.Errorf("swap activation: unexpected transaction type %T", tx)
		}
		var newRev int64
		err := c.queryRow(ctx, swapCounterSQL, swapCounterArgs(a)...).Scan(&newRev)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // changed or gone
		}
		if err != nil {
			return c.d.wrap("swap activation", err)
		}
		rr, ee := *r, *e
		if err := tx.CreateSignatureAuditWithEntry(ctx, &rr, &ee); err != nil {
			return err
		}
		rev, sid, eid, swapped = newRev, rr.ID, ee.ID, true
		return nil
	})
	if err != nil || !swapped {
		return false, err
	}
	a.Revision, r.ID, e.ID = rev, sid, eid
	return true, nil
}

// swapWithAuditStatement runs swapWithAuditSQL in autocommit, retried like
// a transaction on transient errors.
func (s *Store) swapWithAuditStatement(ctx context.Context, a *domain.Activation, r *domain.SignatureAudit, e *domain.AuditEntry) (bool, error) {
	sigArgs, err := signatureAuditArgs(r)
	if err != nil {
		return false, err
	}
	entryArgs, err := auditEntryArgs(e)
	if err != nil {
		return false, err
	}
	args, q := append(append(append(swapCounterArgs(a), sigArgs...), entryArgs...), chainPairArgs(r, e)...), swapWithAuditSQL
	if s.d.unchained {
		args, q = args[:8+16+9], unchainedSwapWithAuditSQL
	}
	c := &conn{q: s.write, cache: s.writeCache, d: s.d}
	var rev, sid, eid sql.NullInt64
	err = s.retry(ctx, func() error {
		err := c.queryRow(ctx, q, args...).Scan(&rev, &sid, &eid)
		if err != nil {
			return s.d.wrap("swap activation with signature audit", err)
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	if !rev.Valid {
		return false, nil
	}
	if !sid.Valid || !eid.Valid {
		// Cannot happen: the INSERTs run for every row the UPDATE matched.
		return false, errors.New("swap activation with signature audit: audit rows missing")
	}
	a.Revision, r.ID, e.ID = rev.Int64, sid.Int64, eid.Int64
	return true, nil
}
