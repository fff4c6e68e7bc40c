package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

const activationHistoryColumns = `id, activation_id, activation_status, event_reason, external_user_id,
	activation_name, activation_version, timestamp_created`

func scanActivationHistory(s scanner) (domain.ActivationHistory, error) {
	var (
		h                      domain.ActivationHistory
		status, version        int64
		reason, extUser, aname sql.NullString
		created                int64
	)
	if err := s.Scan(&h.ID, &h.ActivationID, &status, &reason, &extUser, &aname, &version, &created); err != nil {
		return h, err
	}
	h.Status, h.ActivationVersion, h.Created = domain.ActivationStatus(status), int(version), fromMillis(created)
	h.EventReason, h.ExternalUserID, h.ActivationName = reason.String, extUser.String, aname.String
	return h, nil
}

// ListActivationHistory implements store.Reader.
func (c *conn) ListActivationHistory(ctx context.Context, activationID string, from, to time.Time) ([]domain.ActivationHistory, error) {
	var a args
	q := `SELECT ` + activationHistoryColumns + ` FROM pa_activation_history WHERE activation_id = ` + a.add(activationID)
	q += timeRange(&a, "timestamp_created", from, to) + ` ORDER BY id`
	return listDynamic(ctx, c, "list activation history", q, scanActivationHistory, a...)
}

// createActivationHistorySQL appends a history entry as a chain link.
var createActivationHistorySQL = newChainedInsert(store.ChainActivationHistory,
	`activation_id, activation_status, event_reason, external_user_id, activation_name, activation_version, timestamp_created`, 7)

// CreateActivationHistory implements store.Tx: the entry is the next link
// of a chain of the activation history.
func (c *conn) CreateActivationHistory(ctx context.Context, h *domain.ActivationHistory) error {
	id, err := c.insertChained(ctx, "create activation history", createActivationHistorySQL,
		func(shard int) [store.ChainHashSize]byte { return store.ActivationHistoryContent(h, shard) },
		[]any{h.ActivationID, int64(h.Status), nullString(h.EventReason), nullString(h.ExternalUserID),
			nullString(h.ActivationName), int64(h.ActivationVersion), millis(h.Created)})
	if err != nil {
		return err
	}
	h.ID = id
	return nil
}

const signatureAuditColumns = `id, activation_id, user_id, application_id, activation_counter, activation_ctr_data,
	activation_status, additional_info, data, signature_type, signature, signature_version, signature_metadata,
	note, valid, version, timestamp_created`

func scanSignatureAudit(s scanner) (domain.SignatureAudit, error) {
	var (
		r                      domain.SignatureAudit
		ctr, data, meta        []byte
		status, version        int64
		info, sigVersion, note sql.NullString
		created                int64
	)
	err := s.Scan(&r.ID, &r.ActivationID, &r.UserID, &r.ApplicationID, &r.ActivationCounter, &ctr,
		&status, &info, &data, &r.SignatureType, &r.Signature, &sigVersion, &meta,
		&note, &r.Valid, &version, &created)
	if err != nil {
		return r, err
	}
	r.ActivationCtrData, r.Data, r.SignatureMetadata = fromBlob(ctr), fromBlob(data), fromBlob(meta)
	r.ActivationStatus, r.Version, r.Created = domain.ActivationStatus(status), int(version), fromMillis(created)
	r.SignatureVersion, r.Note = sigVersion.String, note.String
	if info.Valid && info.String != "" {
		if err := json.Unmarshal([]byte(info.String), &r.AdditionalInfo); err != nil {
			return r, fmt.Errorf("decode additional info: %w", err)
		}
		if len(r.AdditionalInfo) == 0 {
			r.AdditionalInfo = nil
		}
	}
	return r, nil
}

// ListSignatureAudits implements store.Reader.
func (c *conn) ListSignatureAudits(ctx context.Context, f store.SignatureAuditFilter) ([]domain.SignatureAudit, error) {
	var a args
	var where []string
	if f.UserID != "" {
		where = append(where, `user_id = `+a.add(f.UserID))
	}
	if f.ApplicationID != 0 {
		where = append(where, `application_id = `+a.add(f.ApplicationID))
	}
	if f.ActivationID != "" {
		where = append(where, `activation_id = `+a.add(f.ActivationID))
	}
	q := `SELECT ` + signatureAuditColumns + ` FROM pa_signature_audit WHERE 1 = 1`
	if len(where) > 0 {
		q += ` AND ` + strings.Join(where, ` AND `)
	}
	q += timeRange(&a, "timestamp_created", f.From, f.To)
	q += ` ORDER BY timestamp_created DESC, id DESC` + limitOffset(&a, f.Limit, 0)
	return listDynamic(ctx, c, "list signature audits", q, scanSignatureAudit, a...)
}

// signatureAuditInsertColumns are the columns a signature audit INSERT
// sets (with the chain columns).
const signatureAuditInsertColumns = `activation_id, user_id, application_id, activation_counter, activation_ctr_data,
	 activation_status, additional_info, data, signature_type, signature, signature_version, signature_metadata,
	 note, valid, version, timestamp_created`

// createSignatureAuditSQL is built once: the statement cache is keyed by
// the query text, and this runs on every signature verification.
var createSignatureAuditSQL = newChainedInsert(store.ChainSignatureAudit, signatureAuditInsertColumns, 16)

// signatureAuditArgs are the 16 parameters of createSignatureAuditSQL.
func signatureAuditArgs(r *domain.SignatureAudit) ([]any, error) {
	var info sql.NullString
	if len(r.AdditionalInfo) > 0 {
		b, err := json.Marshal(r.AdditionalInfo)
		if err != nil {
			return nil, fmt.Errorf("create signature audit: encode additional info: %w", err)
		}
		info = sql.NullString{String: string(b), Valid: true}
	}
	return []any{r.ActivationID, r.UserID, r.ApplicationID, r.ActivationCounter, blob(r.ActivationCtrData),
		int64(r.ActivationStatus), info, blob(r.Data), r.SignatureType, r.Signature, nullString(r.SignatureVersion),
		blob(r.SignatureMetadata), nullString(r.Note), r.Valid, int64(r.Version), millis(r.Created)}, nil
}

// CreateSignatureAudit implements store.Tx: the record is the next link of
// a chain of the signature audit.
func (c *conn) CreateSignatureAudit(ctx context.Context, r *domain.SignatureAudit) error {
	a, err := signatureAuditArgs(r)
	if err != nil {
		return err
	}
	id, err := c.insertChained(ctx, "create signature audit", createSignatureAuditSQL, signatureAuditContent(r), a)
	if err != nil {
		return err
	}
	r.ID = id
	return nil
}

// signatureAuditContent is the content hash of r per shard.
func signatureAuditContent(r *domain.SignatureAudit) func(int) [store.ChainHashSize]byte {
	return func(shard int) [store.ChainHashSize]byte { return store.SignatureAuditContent(r, shard) }
}

// pairedAuditInserts are the writable CTEs s and l that insert a signature
// audit record (parameters from sig, 16) and an audit-log entry (from log,
// 9) as the links that the CTE h (pairHeadUpdate) returned; chain is the
// first of the chainPairArgs parameters.
func pairedAuditInserts(sig, log, chain int) string {
	return `s AS (INSERT INTO pa_signature_audit (` + signatureAuditInsertColumns + `, ` + chainColumns + `)
	 SELECT ` + placeholders(sig, 16) + fmt.Sprintf(`, h.shard, h.seq, $%d::bytea, h.hash`, chain+1) + ` FROM h
	 WHERE h.chain = '` + store.ChainSignatureAudit + `' RETURNING id),
	l AS (INSERT INTO audit_log (` + auditEntryInsertColumns + `, ` + chainColumns + `)
	 SELECT ` + placeholders(log, 9) + fmt.Sprintf(`, h.shard, h.seq, $%d::bytea, h.hash`, chain+3) + ` FROM h
	 WHERE h.chain = '` + store.ChainAuditLog + `' RETURNING id)`
}

// createSignatureAuditWithEntrySQL inserts a signature audit record and an
// audit-log entry in one statement (writable CTEs), each as the next link
// of its chain, and returns both ids. Parameters: 16 record values, 9
// entry values, then the record's shard and content hash and the entry's.
var createSignatureAuditWithEntrySQL = `WITH h AS (` + pairHeadUpdate(26, 28, "") + `),
	` + pairedAuditInserts(1, 17, 26) + `
	SELECT (SELECT id FROM s), (SELECT id FROM l)`

// unchainedSignatureAuditWithEntrySQL is createSignatureAuditWithEntrySQL
// without the chains (UnchainedForBenchmark).
var unchainedSignatureAuditWithEntrySQL = `WITH s AS (INSERT INTO pa_signature_audit (` + signatureAuditInsertColumns + `)
	 VALUES (` + placeholders(1, 16) + `) RETURNING id),
	l AS (INSERT INTO audit_log (` + auditEntryInsertColumns + `) VALUES (` + placeholders(17, 9) + `) RETURNING id)
	SELECT (SELECT id FROM s), (SELECT id FROM l)`

// createPairAdvancingHeadsOnce is CreateSignatureAuditWithEntry for
// databases without writable CTEs but with a ChainLinkFunc: one UPDATE
// advances both chain heads, then the two rows are inserted with their
// links.
func (c *conn) createPairAdvancingHeadsOnce(ctx context.Context, r *domain.SignatureAudit, e *domain.AuditEntry) error {
	a, err := signatureAuditArgs(r)
	if err != nil {
		return err
	}
	b, err := auditEntryArgs(e)
	if err != nil {
		return err
	}
	rs, es := store.PickAuditShard(), store.PickAuditShard()
	rh, eh := store.SignatureAuditContent(r, rs), store.AuditEntryContent(e, es)
	q := `UPDATE audit_chain_head SET seq = seq + 1,
		hash = ` + c.d.ChainLinkFunc + `(hash, CASE WHEN chain = '` + store.ChainSignatureAudit + `' THEN $1 ELSE $2 END)
		WHERE (chain = '` + store.ChainSignatureAudit + `' AND shard = $3) OR (chain = '` + store.ChainAuditLog + `' AND shard = $4)
		RETURNING chain, seq, hash`
	var rows *sql.Rows
	if st := c.prepared(ctx, q); st != nil {
		rows, err = st.QueryContext(c.use(ctx), rh[:], eh[:], rs, es)
	} else {
		rows, err = c.q.QueryContext(ctx, q, rh[:], eh[:], rs, es)
	}
	if err != nil {
		return c.d.wrap("advance audit chain heads", err)
	}
	links := map[string][]any{}
	for rows.Next() {
		var (
			chain string
			seq   int64
			hash  []byte
		)
		if err := rows.Scan(&chain, &seq, &hash); err != nil {
			rows.Close()
			return c.d.wrap("advance audit chain heads", err)
		}
		links[chain] = []any{seq, hash}
	}
	if err := rows.Close(); err != nil {
		return c.d.wrap("advance audit chain heads", err)
	}
	if err := rows.Err(); err != nil {
		return c.d.wrap("advance audit chain heads", err)
	}
	sl, el := links[store.ChainSignatureAudit], links[store.ChainAuditLog]
	if sl == nil || el == nil {
		return errors.New("advance audit chain heads: a chain head is missing")
	}
	if r.ID, err = c.insertID(ctx, "create signature audit", createSignatureAuditSQL.inGo, append(a, rs, sl[0], rh[:], sl[1])...); err != nil {
		return err
	}
	e.ID, err = c.insertID(ctx, "create audit entry", createAuditEntrySQL.inGo, append(b, es, el[0], eh[:], el[1])...)
	return err
}

// chainPairArgs picks the shards of a signature audit record and its
// audit-log entry and returns their shard and content-hash parameters.
func chainPairArgs(r *domain.SignatureAudit, e *domain.AuditEntry) []any {
	rs, es := store.PickAuditShard(), store.PickAuditShard()
	rh, eh := store.SignatureAuditContent(r, rs), store.AuditEntryContent(e, es)
	return []any{rs, rh[:], es, eh[:]}
}

// CreateSignatureAuditWithEntry implements store.Tx: one round trip with
// writable CTEs and SQL SHA-256, else the two inserts in turn.
func (c *conn) CreateSignatureAuditWithEntry(ctx context.Context, r *domain.SignatureAudit, e *domain.AuditEntry) error {
	if !c.d.WritableCTE && c.d.ChainLinkFunc != "" && !c.d.unchained {
		return c.createPairAdvancingHeadsOnce(ctx, r, e)
	}
	if !c.d.WritableCTE || (!c.d.SQLSHA256 && !c.d.unchained) {
		if err := c.CreateSignatureAudit(ctx, r); err != nil {
			return err
		}
		return c.CreateAuditEntry(ctx, e)
	}
	a, err := signatureAuditArgs(r)
	if err != nil {
		return err
	}
	b, err := auditEntryArgs(e)
	if err != nil {
		return err
	}
	args, q := append(append(a, b...), chainPairArgs(r, e)...), createSignatureAuditWithEntrySQL
	if c.d.unchained {
		args, q = append(a, b...), unchainedSignatureAuditWithEntrySQL
	}
	var sid, lid sql.NullInt64
	if err := c.queryRow(ctx, q, args...).Scan(&sid, &lid); err != nil {
		return c.d.wrap("create signature audit with entry", err)
	}
	if !sid.Valid || !lid.Valid {
		return errors.New("create signature audit with entry: audit rows missing")
	}
	r.ID, e.ID = sid.Int64, lid.Int64
	return nil
}

// timeRange renders " AND col >= $i AND col <= $j" for the non-zero bounds.
func timeRange(a *args, col string, from, to time.Time) string {
	s := ""
	if !from.IsZero() {
		s += ` AND ` + col + ` >= ` + a.add(millis(from))
	}
	if !to.IsZero() {
		s += ` AND ` + col + ` <= ` + a.add(millis(to))
	}
	return s
}
