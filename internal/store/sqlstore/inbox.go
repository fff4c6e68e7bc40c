package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

const inboxColumns = `id, user_id, message_type, subject, summary, body, timestamp_created, timestamp_read`

func scanInboxMessage(s scanner) (domain.InboxMessage, error) {
	var (
		m       domain.InboxMessage
		created int64
		read    sql.NullInt64
	)
	if err := s.Scan(&m.ID, &m.UserID, &m.Type, &m.Subject, &m.Summary, &m.Body, &created, &read); err != nil {
		return m, err
	}
	m.Created, m.ReadAt = fromMillis(created), fromNullMillis(read)
	return m, nil
}

// inboxWhere renders the conditions of f (not its paging).
func inboxWhere(a *args, f store.InboxFilter, unread bool) string {
	where := []string{`user_id = ` + a.add(f.UserID)}
	if unread {
		where = append(where, `timestamp_read IS NULL`)
	}
	if len(f.ApplicationIDs) > 0 {
		where = append(where, `EXISTS (SELECT 1 FROM pa_inbox_message_application ma WHERE ma.message_id = pa_inbox_message.id
			AND ma.application_id IN `+in(a, f.ApplicationIDs, func(id int64) any { return id })+`)`)
	}
	return ` WHERE ` + strings.Join(where, " AND ")
}

// withInboxApplications loads the application ids of the messages.
func (c *conn) withInboxApplications(ctx context.Context, ms []domain.InboxMessage) ([]domain.InboxMessage, error) {
	if len(ms) == 0 {
		return ms, nil
	}
	var a args
	idx := make(map[string]int, len(ms))
	ids := make([]string, len(ms))
	for i, m := range ms {
		idx[m.ID], ids[i] = i, m.ID
	}
	type link struct {
		msg string
		app int64
	}
	links, err := listDynamic(ctx, c, "list inbox message applications",
		`SELECT message_id, application_id FROM pa_inbox_message_application WHERE message_id IN `+
			in(&a, ids, func(s string) any { return s })+` ORDER BY application_id`,
		func(s scanner) (link, error) {
			var l link
			err := s.Scan(&l.msg, &l.app)
			return l, err
		}, a...)
	if err != nil {
		return nil, err
	}
	for _, l := range links {
		i := idx[l.msg]
		ms[i].ApplicationIDs = append(ms[i].ApplicationIDs, l.app)
	}
	return ms, nil
}

// GetInboxMessage implements store.Reader.
func (c *conn) GetInboxMessage(ctx context.Context, id string) (domain.InboxMessage, error) {
	m, err := getOne(ctx, c, "get inbox message", `SELECT `+inboxColumns+` FROM pa_inbox_message WHERE id = $1`, scanInboxMessage, id)
	if err != nil {
		return m, err
	}
	out, err := c.withInboxApplications(ctx, []domain.InboxMessage{m})
	if err != nil {
		return m, err
	}
	return out[0], nil
}

// ListInboxMessages implements store.Reader.
func (c *conn) ListInboxMessages(ctx context.Context, f store.InboxFilter) ([]domain.InboxMessage, error) {
	var a args
	q := `SELECT ` + inboxColumns + ` FROM pa_inbox_message` + inboxWhere(&a, f, f.OnlyUnread) +
		` ORDER BY timestamp_created DESC, id DESC` + limitOffset(&a, f.Limit, f.Offset)
	ms, err := listDynamic(ctx, c, "list inbox messages", q, scanInboxMessage, a...)
	if err != nil {
		return nil, err
	}
	return c.withInboxApplications(ctx, ms)
}

// CountInboxMessages implements store.Reader.
func (c *conn) CountInboxMessages(ctx context.Context, f store.InboxFilter) (int64, error) {
	var a args
	var n int64
	if err := c.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM pa_inbox_message`+inboxWhere(&a, f, f.OnlyUnread), a...).Scan(&n); err != nil {
		return 0, c.d.wrap("count inbox messages", err)
	}
	return n, nil
}

// CreateInboxMessage implements store.Tx.
func (c *conn) CreateInboxMessage(ctx context.Context, m *domain.InboxMessage) error {
	if err := c.insertOne(ctx, "create inbox message",
		`INSERT INTO pa_inbox_message (`+inboxColumns+`) VALUES (`+placeholders(1, 8)+`) ON CONFLICT DO NOTHING`,
		m.ID, m.UserID, m.Type, m.Subject, m.Summary, m.Body, millis(m.Created), nullMillis(m.ReadAt)); err != nil {
		return err
	}
	for _, app := range m.ApplicationIDs {
		if _, err := c.exec(ctx, `INSERT INTO pa_inbox_message_application (message_id, application_id) VALUES ($1, $2)
			ON CONFLICT DO NOTHING`, m.ID, app); err != nil {
			return c.d.wrap("create inbox message application", err)
		}
	}
	return nil
}

// MarkInboxMessageRead implements store.Tx.
func (c *conn) MarkInboxMessageRead(ctx context.Context, id string, at time.Time) (bool, error) {
	n, err := c.execN(ctx, "mark inbox message read",
		`UPDATE pa_inbox_message SET timestamp_read = $1 WHERE id = $2 AND timestamp_read IS NULL`, millis(at), id)
	if err != nil || n > 0 {
		return n > 0, err
	}
	if _, err := c.GetInboxMessage(ctx, id); err != nil {
		return false, err
	}
	return false, nil
}

// MarkInboxMessagesRead implements store.Tx.
func (c *conn) MarkInboxMessagesRead(ctx context.Context, f store.InboxFilter, at time.Time) (int64, error) {
	a := args{millis(at)}
	q := `UPDATE pa_inbox_message SET timestamp_read = $1` + inboxWhere(&a, f, true)
	res, err := c.q.ExecContext(ctx, q, a...)
	if err != nil {
		return 0, c.d.wrap("mark inbox messages read", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, c.d.wrap("mark inbox messages read", err)
	}
	return n, nil
}
