package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"

	"github.com/mauth/mauth/internal/store"
)

// bulkTable is the rows of one table of a seed.
type bulkTable struct {
	name    string
	columns []string
	rows    [][]any
}

// maxBulkParams bounds the parameters of one multi-row INSERT (SQLite
// allows 32766 by default).
const maxBulkParams = 32000

var (
	_ store.BulkLoader    = (*Store)(nil)
	_ store.PlanExplainer = (*Store)(nil)
)

// seedTables converts a seed to rows of column values, in insertion order
// (activations before the rows that refer to them).
func seedTables(s store.Seed) ([]bulkTable, error) {
	acts := bulkTable{name: "pa_activation", columns: append(append([]string(nil), activationDataColumns...), "row_revision")}
	for i := range s.Activations {
		acts.rows = append(acts.rows, append(activationArgs(&s.Activations[i]), int64(0)))
	}
	hist := bulkTable{name: "pa_activation_history", columns: []string{"activation_id", "activation_status", "event_reason",
		"external_user_id", "activation_name", "activation_version", "timestamp_created"}}
	for _, h := range s.History {
		hist.rows = append(hist.rows, []any{h.ActivationID, int64(h.Status), nullString(h.EventReason), nullString(h.ExternalUserID),
			nullString(h.ActivationName), int64(h.ActivationVersion), millis(h.Created)})
	}
	sigs := bulkTable{name: "pa_signature_audit", columns: []string{"activation_id", "user_id", "application_id", "activation_counter",
		"activation_ctr_data", "activation_status", "additional_info", "data", "signature_type", "signature", "signature_version",
		"signature_metadata", "note", "valid", "version", "timestamp_created"}}
	for i := range s.Signatures {
		a, err := signatureAuditArgs(&s.Signatures[i])
		if err != nil {
			return nil, err
		}
		sigs.rows = append(sigs.rows, a)
	}
	audit := bulkTable{name: "audit_log", columns: []string{"timestamp_created", "type", "actor", "activation_id", "user_id",
		"application", "ip_address", "user_agent", "details"}}
	for i := range s.Audit {
		a, err := auditEntryArgs(&s.Audit[i])
		if err != nil {
			return nil, err
		}
		audit.rows = append(audit.rows, a)
	}
	return []bulkTable{acts, hist, sigs, audit}, nil
}

// BulkLoad implements store.BulkLoader: the dialect's CopyFrom per table
// when it has one (PostgreSQL COPY), otherwise multi-row INSERTs with
// anonymous "?" parameters (SQLite) in one write transaction.
func (s *Store) BulkLoad(ctx context.Context, seed store.Seed) error {
	tables, err := seedTables(seed)
	if err != nil {
		return fmt.Errorf("bulk load: %w", err)
	}
	if s.d.CopyFrom != nil {
		for _, t := range tables {
			if len(t.rows) == 0 {
				continue
			}
			rows := make([][]any, len(t.rows))
			for i, r := range t.rows {
				if rows[i], err = driverValues(r); err != nil {
					return fmt.Errorf("bulk load %s: %w", t.name, err)
				}
			}
			if err := s.d.CopyFrom(ctx, s.write, t.name, t.columns, rows); err != nil {
				return s.d.wrap("bulk load "+t.name, err)
			}
		}
		return s.analyze(ctx, seed, tables)
	}
	tx, err := s.write.BeginTx(ctx, s.d.WriteTxOptions)
	if err != nil {
		return s.d.wrap("bulk load", err)
	}
	defer func() { _ = tx.Rollback() }()
	for _, t := range tables {
		per := max(1, maxBulkParams/len(t.columns))
		// Anonymous parameters: SQLite looks numbered ones ($1) up by
		// name, which grows with the square of a statement's parameters.
		row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(t.columns)), ", ") + ")"
		for start := 0; start < len(t.rows); start += per {
			chunk := t.rows[start:min(start+per, len(t.rows))]
			var q strings.Builder
			q.WriteString("INSERT INTO " + t.name + " (" + strings.Join(t.columns, ", ") + ") VALUES ")
			args := make([]any, 0, len(chunk)*len(t.columns))
			for i, r := range chunk {
				if i > 0 {
					q.WriteString(", ")
				}
				q.WriteString(row)
				args = append(args, r...)
			}
			if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
				return s.d.wrap("bulk load "+t.name, err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return s.d.wrap("bulk load: commit", err)
	}
	return s.analyze(ctx, seed, tables)
}

// analyze refreshes the planner statistics of the loaded tables when the
// seed asks for it (see store.Seed.Analyze).
func (s *Store) analyze(ctx context.Context, seed store.Seed, tables []bulkTable) error {
	if !seed.Analyze {
		return nil
	}
	for _, t := range tables {
		if len(t.rows) == 0 {
			continue
		}
		if _, err := s.write.ExecContext(ctx, "ANALYZE "+t.name); err != nil {
			return s.d.wrap("bulk load: analyze "+t.name, err)
		}
	}
	return nil
}

// driverValues resolves driver.Valuer column values (sql.NullString and
// the like) to plain values, as COPY encoders expect.
func driverValues(r []any) ([]any, error) {
	out := make([]any, len(r))
	for i, v := range r {
		if dv, ok := v.(driver.Valuer); ok {
			x, err := dv.Value()
			if err != nil {
				return nil, err
			}
			v = x
		}
		out[i] = v
	}
	return out, nil
}

// errExplained ends a list call whose query was explained instead of run.
var errExplained = errors.New("sqlstore: query explained, not run")

// explainQuerier answers the list query of a Reader call with the
// database's plan of it.
type explainQuerier struct {
	db     *sql.DB
	prefix string
	plan   []string
	query  string
}

func (e *explainQuerier) ExecContext(context.Context, string, ...any) (sql.Result, error) {
	return nil, errors.New("sqlstore: explain: only list queries can be explained")
}

func (e *explainQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	// A single-row lookup: its scan fails on the plan's columns.
	return e.db.QueryRowContext(ctx, "SELECT 'explain: not a list query'")
}

func (e *explainQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if e.query != "" {
		return nil, errors.New("sqlstore: explain: the call ran more than one query")
	}
	e.query = query
	rows, err := e.db.QueryContext(ctx, e.prefix+query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		// The plan text is the last column (PostgreSQL has only that one;
		// SQLite's EXPLAIN QUERY PLAN has id, parent, notused, detail).
		switch v := vals[len(vals)-1].(type) {
		case string:
			e.plan = append(e.plan, v)
		case []byte:
			e.plan = append(e.plan, string(v))
		default:
			e.plan = append(e.plan, fmt.Sprint(v))
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return nil, errExplained
}

// ExplainList implements store.PlanExplainer.
func (s *Store) ExplainList(ctx context.Context, list func(r store.Reader) error) ([]string, error) {
	if s.d.Explain == "" {
		return nil, fmt.Errorf("sqlstore: %s: no EXPLAIN statement", s.d.Name)
	}
	e := &explainQuerier{db: s.read, prefix: s.d.Explain}
	err := list(&conn{q: e, d: s.d})
	if e.query == "" {
		if err == nil {
			err = errors.New("no query")
		}
		return nil, fmt.Errorf("sqlstore: explain: %w", err)
	}
	if err != nil && !errors.Is(err, errExplained) {
		return nil, fmt.Errorf("sqlstore: explain: %w", err)
	}
	return e.plan, nil
}
