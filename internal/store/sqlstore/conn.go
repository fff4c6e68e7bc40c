package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mauth/mauth/internal/store"
)

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// conn runs the repository statements on a pool (autocommit reads) or in a
// transaction. It implements store.Tx; the Store exposes only its Reader
// methods.
type conn struct {
	q     querier
	tx    *sql.Tx    // the transaction q is, if any
	cache *stmtCache // prepared statements of q's pool; nil for none
	d     *Dialect
	// fixed, when set, replaces the callers' contexts for every statement:
	// a group-commit transaction is shared by several callers, and one
	// caller's cancellation must not interrupt (and so roll back) the
	// others' work. See groupCommit.
	fixed context.Context
}

// use returns the context a statement runs with.
func (c *conn) use(ctx context.Context) context.Context {
	if c.fixed != nil {
		return c.fixed
	}
	return ctx
}

// fixedQuerier runs every statement with one context, whatever the caller
// passes.
type fixedQuerier struct {
	ctx context.Context
	q   querier
}

func (f fixedQuerier) ExecContext(_ context.Context, query string, args ...any) (sql.Result, error) {
	return f.q.ExecContext(f.ctx, query, args...)
}

func (f fixedQuerier) QueryContext(_ context.Context, query string, args ...any) (*sql.Rows, error) {
	return f.q.QueryContext(f.ctx, query, args...)
}

func (f fixedQuerier) QueryRowContext(_ context.Context, query string, args ...any) *sql.Row {
	return f.q.QueryRowContext(f.ctx, query, args...)
}

// prepared returns the cached prepared statement for a static query (bound
// to the transaction, if any), or nil to run the query text directly.
func (c *conn) prepared(ctx context.Context, query string) *sql.Stmt {
	ctx = c.use(ctx)
	if c.cache == nil {
		return nil
	}
	s := c.cache.lookup(query)
	if s == nil || c.tx == nil {
		return s
	}
	return c.tx.StmtContext(ctx, s)
}

// queryRow runs a static single-row query.
func (c *conn) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if s := c.prepared(ctx, query); s != nil {
		return s.QueryRowContext(c.use(ctx), args...)
	}
	return c.q.QueryRowContext(ctx, query, args...)
}

// query runs a static query.
func (c *conn) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := c.prepared(ctx, query); s != nil {
		return s.QueryContext(c.use(ctx), args...)
	}
	return c.q.QueryContext(ctx, query, args...)
}

// exec runs a static statement.
func (c *conn) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := c.prepared(ctx, query); s != nil {
		return s.ExecContext(c.use(ctx), args...)
	}
	return c.q.ExecContext(ctx, query, args...)
}

var _ store.Tx = (*conn)(nil)

// scanner is what *sql.Row and *sql.Rows have in common.
type scanner interface {
	Scan(dest ...any) error
}

// getOne runs a static single-row query and scans it with scan; no row is
// ErrNotFound.
func getOne[T any](ctx context.Context, c *conn, op, query string, scan func(scanner) (T, error), args ...any) (T, error) {
	v, err := scan(c.queryRow(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		var zero T
		return zero, fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	if err != nil {
		var zero T
		return zero, c.d.wrap(op, err)
	}
	return v, nil
}

// list runs a static query and scans every row with scan.
func list[T any](ctx context.Context, c *conn, op, query string, scan func(scanner) (T, error), args ...any) ([]T, error) {
	rows, err := c.query(ctx, query, args...)
	return scanAll(c, op, rows, err, scan)
}

// listDynamic is list for query texts built per call (filters, IN lists),
// which are not worth caching as prepared statements.
func listDynamic[T any](ctx context.Context, c *conn, op, query string, scan func(scanner) (T, error), args ...any) ([]T, error) {
	rows, err := c.q.QueryContext(ctx, query, args...)
	return scanAll(c, op, rows, err, scan)
}

// scanAll scans and closes rows.
func scanAll[T any](c *conn, op string, rows *sql.Rows, err error, scan func(scanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, c.d.wrap(op, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, c.d.wrap(op, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, c.d.wrap(op, err)
	}
	return out, nil
}

// execOne runs a statement that must affect exactly one row; none is
// ErrNotFound.
func (c *conn) execOne(ctx context.Context, op, query string, args ...any) error {
	n, err := c.execN(ctx, op, query, args...)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	return nil
}

// insertOne runs an INSERT … ON CONFLICT DO NOTHING; no row inserted is
// ErrAlreadyExists (and, unlike a raised unique violation, leaves a
// PostgreSQL transaction usable).
func (c *conn) insertOne(ctx context.Context, op, query string, args ...any) error {
	n, err := c.execN(ctx, op, query, args...)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", op, store.ErrAlreadyExists)
	}
	return nil
}

// insertID runs an INSERT … ON CONFLICT DO NOTHING RETURNING id; no row
// returned is ErrAlreadyExists.
func (c *conn) insertID(ctx context.Context, op, query string, args ...any) (int64, error) {
	var id int64
	err := c.queryRow(ctx, query, args...).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("%s: %w", op, store.ErrAlreadyExists)
	}
	if err != nil {
		return 0, c.d.wrap(op, err)
	}
	return id, nil
}

// execN runs a statement and returns the number of affected rows.
func (c *conn) execN(ctx context.Context, op, query string, args ...any) (int64, error) {
	res, err := c.exec(ctx, query, args...)
	if err != nil {
		return 0, c.d.wrap(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, c.d.wrap(op, err)
	}
	return n, nil
}

// args collects positional arguments and hands out their $N placeholders.
type args []any

// add appends v and returns its placeholder.
func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// in appends every element of vs and returns "($i, $j, …)".
func in[T any](a *args, vs []T, conv func(T) any) string {
	ph := make([]string, len(vs))
	for i, v := range vs {
		ph[i] = a.add(conv(v))
	}
	return "(" + strings.Join(ph, ", ") + ")"
}

// placeholders returns "$from, $from+1, …" for n arguments.
func placeholders(from, n int) string {
	ph := make([]string, n)
	for i := range ph {
		ph[i] = "$" + strconv.Itoa(from+i)
	}
	return strings.Join(ph, ", ")
}

// assignments returns "col1 = $from, col2 = $from+1, …".
func assignments(cols []string, from int) string {
	as := make([]string, len(cols))
	for i, c := range cols {
		as[i] = c + " = $" + strconv.Itoa(from+i)
	}
	return strings.Join(as, ", ")
}

// limitOffset renders LIMIT/OFFSET clauses (both dialects accept
// "LIMIT n OFFSET m"; an offset needs a limit in SQLite, so -1 stands for
// none there and a very large limit in general).
func limitOffset(a *args, limit, offset int) string {
	if limit <= 0 && offset <= 0 {
		return ""
	}
	if limit <= 0 {
		limit = 1 << 62
	}
	s := " LIMIT " + a.add(int64(limit))
	if offset > 0 {
		s += " OFFSET " + a.add(int64(offset))
	}
	return s
}

// Conversions between domain values and column values.

// millis is a NOT NULL timestamp column value.
func millis(t time.Time) int64 { return t.UnixMilli() }

// nullMillis is a nullable timestamp column value: the zero time is NULL.
func nullMillis(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

// fromMillis converts a NOT NULL timestamp column to UTC time.
func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// fromNullMillis converts a nullable timestamp column; NULL is the zero time.
func fromNullMillis(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMillis(v.Int64)
}

// nullString is a nullable text column value: "" is NULL.
func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// nullInt is a nullable integer column value: 0 is NULL.
func nullInt(v int64) sql.NullInt64 { return sql.NullInt64{Int64: v, Valid: v != 0} }

// blob is a nullable binary column value: empty is NULL.
func blob(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// fromBlob normalises a scanned binary column: empty is nil, and the bytes
// are copied so they never alias driver memory.
func fromBlob(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}

// jsonStrings encodes a string list column; nil is "[]".
func jsonStrings(v []string) string {
	if len(v) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(v) // []string always marshals
	return string(b)
}

// fromJSONStrings decodes a string list column; an empty list is nil.
func fromJSONStrings(s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	var v []string
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, fmt.Errorf("decode string list: %w", err)
	}
	if len(v) == 0 {
		return nil, nil
	}
	return v, nil
}
