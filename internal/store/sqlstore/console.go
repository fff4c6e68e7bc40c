package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

const consoleUserColumns = `id, username, password_hash, role, failed_attempts, timestamp_locked_until,
	timestamp_created, timestamp_last_sign_in`

func scanConsoleUser(s scanner) (domain.ConsoleUser, error) {
	var (
		u              domain.ConsoleUser
		role           string
		locked, signIn sql.NullInt64
		created        int64
	)
	if err := s.Scan(&u.ID, &u.Username, &u.PasswordHash, &role, &u.FailedAttempts, &locked, &created, &signIn); err != nil {
		return u, err
	}
	u.Role = domain.ConsoleRole(role)
	u.LockedUntil, u.Created, u.LastSignIn = fromNullMillis(locked), fromMillis(created), fromNullMillis(signIn)
	return u, nil
}

func scanConsoleSession(s scanner) (domain.ConsoleSession, error) {
	var (
		cs             domain.ConsoleSession
		created, lastS int64
	)
	if err := s.Scan(&cs.IDHash, &cs.UserID, &created, &lastS); err != nil {
		return cs, err
	}
	cs.Created, cs.LastSeen = fromMillis(created), fromMillis(lastS)
	return cs, nil
}

// GetConsoleUser implements store.Reader.
func (c *conn) GetConsoleUser(ctx context.Context, id int64) (domain.ConsoleUser, error) {
	return getOne(ctx, c, "get console user",
		`SELECT `+consoleUserColumns+` FROM pa_console_user WHERE id = $1`, scanConsoleUser, id)
}

// GetConsoleUserByName implements store.Reader.
func (c *conn) GetConsoleUserByName(ctx context.Context, username string) (domain.ConsoleUser, error) {
	return getOne(ctx, c, "get console user",
		`SELECT `+consoleUserColumns+` FROM pa_console_user WHERE username = $1`, scanConsoleUser, username)
}

// ListConsoleUsers implements store.Reader.
func (c *conn) ListConsoleUsers(ctx context.Context) ([]domain.ConsoleUser, error) {
	return list(ctx, c, "list console users",
		`SELECT `+consoleUserColumns+` FROM pa_console_user ORDER BY username`, scanConsoleUser)
}

// GetConsoleSession implements store.Reader.
func (c *conn) GetConsoleSession(ctx context.Context, idHash string) (domain.ConsoleSession, error) {
	return getOne(ctx, c, "get console session",
		`SELECT id_hash, user_id, timestamp_created, timestamp_last_seen FROM pa_console_session WHERE id_hash = $1`,
		scanConsoleSession, idHash)
}

// PageActivations implements store.Reader.
func (c *conn) PageActivations(ctx context.Context, f store.ActivationPage) ([]domain.Activation, error) {
	var a args
	var where []string
	if f.UserID != "" {
		where = append(where, `user_id = `+a.add(f.UserID))
	}
	if f.ActivationID != "" {
		where = append(where, `activation_id = `+a.add(f.ActivationID))
	}
	if len(f.Statuses) > 0 {
		where = append(where, `activation_status IN `+in(&a, f.Statuses, statusArg))
	}
	if f.After.ActivationID != "" {
		// The first conjunct is the index range bound; the second breaks
		// ties of the timestamp by the id.
		ms := millis(f.After.Created)
		where = append(where, `timestamp_created <= `+a.add(ms), `(timestamp_created < `+a.add(ms)+
			` OR activation_id < `+a.add(f.After.ActivationID)+`)`)
	}
	q := `SELECT ` + activationColumns + ` FROM pa_activation`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY timestamp_created DESC, activation_id DESC` + limitOffset(&a, f.Limit, 0)
	return listDynamic(ctx, c, "page activations", q, scanActivation, a...)
}

// PageOperations implements store.Reader.
func (c *conn) PageOperations(ctx context.Context, f store.OperationPage) ([]domain.Operation, error) {
	var a args
	var where []string
	if f.UserID != "" {
		where = append(where, `user_id = `+a.add(f.UserID))
	}
	if f.TemplateName != "" {
		where = append(where, `template_name = `+a.add(f.TemplateName))
	}
	if len(f.Statuses) > 0 {
		where = append(where, `status IN `+in(&a, f.Statuses, operationStatusArg))
	}
	if f.After.ID != "" {
		ms := millis(f.After.Created)
		where = append(where, `timestamp_created <= `+a.add(ms), `(timestamp_created < `+a.add(ms)+` OR id < `+a.add(f.After.ID)+`)`)
	}
	q := `SELECT ` + operationColumns + ` FROM pa_operation WHERE 1 = 1`
	if len(where) > 0 {
		q += ` AND ` + strings.Join(where, " AND ")
	}
	q += timeRange(&a, "timestamp_created", f.From, f.To)
	q += ` ORDER BY timestamp_created DESC, id DESC` + limitOffset(&a, f.Limit, 0)
	ops, err := listDynamic(ctx, c, "page operations", q, scanOperation, a...)
	if err != nil {
		return nil, err
	}
	return c.withApplications(ctx, ops)
}

// CountActivationsByStatus implements store.Reader.
func (c *conn) CountActivationsByStatus(ctx context.Context) (map[domain.ActivationStatus]int64, error) {
	type row struct {
		status int64
		n      int64
	}
	rows, err := list(ctx, c, "count activations by status",
		`SELECT activation_status, count(*) FROM pa_activation GROUP BY activation_status`,
		func(s scanner) (row, error) {
			var r row
			err := s.Scan(&r.status, &r.n)
			return r, err
		})
	if err != nil {
		return nil, err
	}
	out := map[domain.ActivationStatus]int64{}
	for _, r := range rows {
		out[domain.ActivationStatus(r.status)] = r.n
	}
	return out, nil
}

// CountOperationsByStatus implements store.Reader.
func (c *conn) CountOperationsByStatus(ctx context.Context, since time.Time) (map[domain.OperationStatus]int64, error) {
	type row struct {
		status int64
		n      int64
	}
	rows, err := list(ctx, c, "count operations by status",
		`SELECT status, count(*) FROM pa_operation WHERE timestamp_created >= $1 GROUP BY status`,
		func(s scanner) (row, error) {
			var r row
			err := s.Scan(&r.status, &r.n)
			return r, err
		}, millis(since))
	if err != nil {
		return nil, err
	}
	out := map[domain.OperationStatus]int64{}
	for _, r := range rows {
		out[domain.OperationStatus(r.status)] = r.n
	}
	return out, nil
}

// likeEscaper escapes the wildcards of a LIKE pattern (ESCAPE '\').
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// PageAuditEntries implements store.Reader.
func (c *conn) PageAuditEntries(ctx context.Context, f store.AuditPage) ([]domain.AuditEntry, error) {
	var a args
	q := `SELECT ` + auditEntryColumns + ` FROM audit_log WHERE 1 = 1`
	if f.Actor != "" {
		q += ` AND actor = ` + a.add(f.Actor)
	}
	if f.ActivationID != "" {
		q += ` AND activation_id = ` + a.add(f.ActivationID)
	}
	if f.OperationID != "" {
		q += ` AND details LIKE ` + a.add(`%"operationId":"`+likeEscaper.Replace(f.OperationID)+`"%`) + ` ESCAPE '\'`
	}
	if f.BeforeID > 0 {
		q += ` AND id < ` + a.add(f.BeforeID)
	}
	q += timeRange(&a, "timestamp_created", f.From, f.To)
	q += ` ORDER BY id DESC` + limitOffset(&a, f.Limit, 0)
	return listDynamic(ctx, c, "page audit entries", q, scanAuditEntry, a...)
}

// CreateConsoleUser implements store.Tx.
func (c *conn) CreateConsoleUser(ctx context.Context, u *domain.ConsoleUser) error {
	id, err := c.insertID(ctx, "create console user",
		`INSERT INTO pa_console_user (username, password_hash, role, failed_attempts, timestamp_locked_until,
		 timestamp_created, timestamp_last_sign_in) VALUES ($1, $2, $3, $4, $5, $6, $7)
		 ON CONFLICT DO NOTHING RETURNING id`,
		u.Username, u.PasswordHash, string(u.Role), u.FailedAttempts, nullMillis(u.LockedUntil),
		millis(u.Created), nullMillis(u.LastSignIn))
	if err != nil {
		return err
	}
	u.ID = id
	return nil
}

// UpdateConsoleUser implements store.Tx.
func (c *conn) UpdateConsoleUser(ctx context.Context, u *domain.ConsoleUser) error {
	return c.execOne(ctx, "update console user",
		`UPDATE pa_console_user SET password_hash = $2, role = $3, failed_attempts = $4,
		 timestamp_locked_until = $5, timestamp_last_sign_in = $6 WHERE id = $1`,
		u.ID, u.PasswordHash, string(u.Role), u.FailedAttempts, nullMillis(u.LockedUntil), nullMillis(u.LastSignIn))
}

// DeleteConsoleUser implements store.Tx.
func (c *conn) DeleteConsoleUser(ctx context.Context, id int64) error {
	if _, err := c.execN(ctx, "delete console user", `DELETE FROM pa_console_session WHERE user_id = $1`, id); err != nil {
		return err
	}
	return c.execOne(ctx, "delete console user", `DELETE FROM pa_console_user WHERE id = $1`, id)
}

// CreateConsoleSession implements store.Tx.
func (c *conn) CreateConsoleSession(ctx context.Context, s *domain.ConsoleSession) error {
	return c.insertOne(ctx, "create console session",
		`INSERT INTO pa_console_session (id_hash, user_id, timestamp_created, timestamp_last_seen)
		 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
		s.IDHash, s.UserID, millis(s.Created), millis(s.LastSeen))
}

// TouchConsoleSession implements store.Tx.
func (c *conn) TouchConsoleSession(ctx context.Context, idHash string, lastSeen time.Time) error {
	return c.execOne(ctx, "touch console session",
		`UPDATE pa_console_session SET timestamp_last_seen = $2 WHERE id_hash = $1`, idHash, millis(lastSeen))
}

// DeleteConsoleSession implements store.Tx.
func (c *conn) DeleteConsoleSession(ctx context.Context, idHash string) error {
	return c.execOne(ctx, "delete console session", `DELETE FROM pa_console_session WHERE id_hash = $1`, idHash)
}

// DeleteConsoleSessionsBefore implements store.Tx.
func (c *conn) DeleteConsoleSessionsBefore(ctx context.Context, created, lastSeen time.Time) (int64, error) {
	return c.execN(ctx, "delete console sessions",
		`DELETE FROM pa_console_session WHERE timestamp_created < $1 OR timestamp_last_seen < $2`,
		millis(created), millis(lastSeen))
}
