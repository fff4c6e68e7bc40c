package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

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
// (writable CTEs): the compare-and-swap UPDATE, and the two audit INSERTs
// that run only when the UPDATE matched (they select from its result). A
// statement is atomic, so in autocommit it needs no BEGIN or COMMIT.
var swapWithAuditSQL = func() string {
	sig := 9          // first signature audit parameter (after swapCounterSQL's 8)
	entry := sig + 16 // first audit entry parameter
	params := func(from, count int) string {
		p := make([]string, count)
		for i := range p {
			p[i] = fmt.Sprintf("$%d", from+i)
		}
		return strings.Join(p, ", ")
	}
	return `WITH u AS (` + swapCounterSQL + `),
	s AS (INSERT INTO pa_signature_audit (activation_id, user_id, application_id, activation_counter, activation_ctr_data,
	 activation_status, additional_info, data, signature_type, signature, signature_version, signature_metadata,
	 note, valid, version, timestamp_created) SELECT ` + params(sig, 16) + ` FROM u RETURNING id),
	l AS (INSERT INTO audit_log (timestamp_created, type, actor, activation_id, user_id, application, ip_address,
	 user_agent, details) SELECT ` + params(entry, 9) + ` FROM u RETURNING id)
	SELECT (SELECT row_revision FROM u), (SELECT id FROM s), (SELECT id FROM l)`
}()

// SwapActivationWithSignatureAudit implements store.Store.
func (s *Store) SwapActivationWithSignatureAudit(ctx context.Context, a *domain.Activation, r *domain.SignatureAudit, e *domain.AuditEntry) (bool, error) {
	if s.d.WritableCTE {
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
	args := append(append(swapCounterArgs(a), sigArgs...), entryArgs...)
	c := &conn{q: s.write, cache: s.writeCache, d: s.d}
	var rev, sid, eid sql.NullInt64
	err = s.retry(ctx, func() error {
		err := c.queryRow(ctx, swapWithAuditSQL, args...).Scan(&rev, &sid, &eid)
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
