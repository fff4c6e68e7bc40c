package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

const pushCampaignColumns = `id, application_id, message, status, cursor_user, timestamp_created, timestamp_sent, timestamp_completed`

func scanPushCampaign(s scanner) (domain.PushCampaign, error) {
	var (
		c               domain.PushCampaign
		msg, status     string
		cursor          sql.NullString
		created         int64
		sent, completed sql.NullInt64
	)
	if err := s.Scan(&c.ID, &c.ApplicationID, &msg, &status, &cursor, &created, &sent, &completed); err != nil {
		return c, err
	}
	c.Message, c.Status, c.Cursor = []byte(msg), domain.PushCampaignStatus(status), cursor.String
	c.Created, c.Sent, c.Completed = fromMillis(created), fromNullMillis(sent), fromNullMillis(completed)
	return c, nil
}

// GetPushCampaign implements store.Reader.
func (c *conn) GetPushCampaign(ctx context.Context, id int64) (domain.PushCampaign, error) {
	return getOne(ctx, c, "get push campaign", `SELECT `+pushCampaignColumns+` FROM pa_push_campaign WHERE id = $1`, scanPushCampaign, id)
}

// ListPushCampaigns implements store.Reader.
func (c *conn) ListPushCampaigns(ctx context.Context, all bool) ([]domain.PushCampaign, error) {
	if all {
		return list(ctx, c, "list push campaigns", `SELECT `+pushCampaignColumns+` FROM pa_push_campaign ORDER BY id`, scanPushCampaign)
	}
	return list(ctx, c, "list push campaigns", `SELECT `+pushCampaignColumns+` FROM pa_push_campaign WHERE status = 'CREATED' ORDER BY id`, scanPushCampaign)
}

// ListPushCampaignUsers implements store.Reader.
func (c *conn) ListPushCampaignUsers(ctx context.Context, id int64, offset, limit int) ([]string, error) {
	var a args
	q := `SELECT user_id FROM pa_push_campaign_user WHERE campaign_id = ` + a.add(id) + ` ORDER BY user_id` + limitOffset(&a, limit, offset)
	return listDynamic(ctx, c, "list push campaign users", q, func(s scanner) (string, error) {
		var u string
		err := s.Scan(&u)
		return u, err
	}, a...)
}

// PushCampaignProgress implements store.Reader.
func (c *conn) PushCampaignProgress(ctx context.Context, id int64) (domain.PushCampaignProgress, error) {
	var p domain.PushCampaignProgress
	err := c.queryRow(ctx, `SELECT
		COALESCE(SUM(CASE WHEN status = 'SENT' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN status = 'FAILED' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN status = 'PENDING' THEN 1 ELSE 0 END), 0),
		COUNT(*) FROM pa_push_message WHERE campaign_id = $1`, id).Scan(&p.Sent, &p.Failed, &p.Pending, &p.Total)
	if err != nil {
		return p, c.d.wrap("push campaign progress", err)
	}
	return p, nil
}

// CreatePushCampaign implements store.Tx.
func (c *conn) CreatePushCampaign(ctx context.Context, p *domain.PushCampaign) error {
	id, err := c.insertID(ctx, "create push campaign",
		`INSERT INTO pa_push_campaign (application_id, message, status, cursor_user, timestamp_created, timestamp_sent, timestamp_completed)
		 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		p.ApplicationID, string(p.Message), string(p.Status), nullString(p.Cursor), millis(p.Created), nullMillis(p.Sent), nullMillis(p.Completed))
	if err != nil {
		return err
	}
	p.ID = id
	return nil
}

// UpdatePushCampaign implements store.Tx.
func (c *conn) UpdatePushCampaign(ctx context.Context, p *domain.PushCampaign, from domain.PushCampaign) error {
	n, err := c.execN(ctx, "update push campaign",
		`UPDATE pa_push_campaign SET status = $2, cursor_user = $3, timestamp_sent = $4, timestamp_completed = $5
		 WHERE id = $1 AND status = $6 AND COALESCE(cursor_user, '') = $7`,
		p.ID, string(p.Status), nullString(p.Cursor), nullMillis(p.Sent), nullMillis(p.Completed), string(from.Status), from.Cursor)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("update push campaign %d: %w", p.ID, store.ErrConflict)
	}
	return nil
}

// DeletePushCampaign implements store.Tx.
func (c *conn) DeletePushCampaign(ctx context.Context, id int64) error {
	if _, err := c.execN(ctx, "delete push campaign", `DELETE FROM pa_push_campaign_user WHERE campaign_id = $1`, id); err != nil {
		return err
	}
	return c.execOne(ctx, "delete push campaign", `DELETE FROM pa_push_campaign WHERE id = $1`, id)
}

// campaignUserChunk bounds the users of one statement (SQLite allows
// 32,766 parameters, PostgreSQL 65,535).
const campaignUserChunk = 1000

// AddPushCampaignUsers implements store.Tx.
func (c *conn) AddPushCampaignUsers(ctx context.Context, id int64, users []string, now time.Time) (int64, error) {
	var total int64
	for len(users) > 0 {
		chunk := users[:min(len(users), campaignUserChunk)]
		users = users[len(chunk):]
		var a args
		rows := make([]string, len(chunk))
		ts := millis(now)
		for i, u := range chunk {
			rows[i] = "(" + a.add(id) + ", " + a.add(u) + ", " + a.add(ts) + ")"
		}
		res, err := c.q.ExecContext(ctx, `INSERT INTO pa_push_campaign_user (campaign_id, user_id, timestamp_created) VALUES `+
			strings.Join(rows, ", ")+` ON CONFLICT DO NOTHING`, a...)
		if err != nil {
			return total, c.d.wrap("add push campaign users", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, c.d.wrap("add push campaign users", err)
		}
		total += n
	}
	return total, nil
}

// DeletePushCampaignUsers implements store.Tx.
func (c *conn) DeletePushCampaignUsers(ctx context.Context, id int64, users []string) (int64, error) {
	var total int64
	for len(users) > 0 {
		chunk := users[:min(len(users), campaignUserChunk)]
		users = users[len(chunk):]
		var a args
		q := `DELETE FROM pa_push_campaign_user WHERE campaign_id = ` + a.add(id) + ` AND user_id IN ` + in(&a, chunk, func(u string) any { return u })
		res, err := c.q.ExecContext(ctx, q, a...)
		if err != nil {
			return total, c.d.wrap("delete push campaign users", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, c.d.wrap("delete push campaign users", err)
		}
		total += n
	}
	return total, nil
}

// QueuePushCampaignBatch implements store.Tx.
func (c *conn) QueuePushCampaignBatch(ctx context.Context, p domain.PushCampaign, body []byte, limit int, now time.Time) (string, int64, error) {
	var last sql.NullString
	err := c.queryRow(ctx, `SELECT MAX(user_id) FROM (SELECT user_id FROM pa_push_campaign_user
		WHERE campaign_id = $1 AND user_id > $2 ORDER BY user_id LIMIT $3) batch`, p.ID, p.Cursor, int64(limit)).Scan(&last)
	if err != nil {
		return "", 0, c.d.wrap("queue push campaign batch", err)
	}
	if !last.Valid {
		return "", 0, nil
	}
	ts := millis(now)
	n, err := c.execN(ctx, "queue push campaign batch",
		`INSERT INTO pa_push_message (application_id, activation_id, user_id, platform, push_token, environment,
		 message_body, is_personal, status, attempts, timestamp_created, timestamp_next, campaign_id)
		 SELECT d.application_id, d.activation_id, d.user_id, d.platform, d.push_token, d.environment,
		        CAST($1 AS TEXT), 0, 'PENDING', 0, CAST($2 AS BIGINT), CAST($2 AS BIGINT), CAST($3 AS BIGINT)
		 FROM pa_push_campaign_user u
		 JOIN pa_push_device d ON d.application_id = $4 AND d.user_id = u.user_id
		 JOIN pa_activation a ON a.activation_id = d.activation_id AND a.activation_status <> $5
		 WHERE u.campaign_id = $3 AND u.user_id > $6 AND u.user_id <= $7
		 ORDER BY u.user_id, d.activation_id
		 ON CONFLICT DO NOTHING`,
		string(body), ts, p.ID, p.ApplicationID, int64(domain.ActivationRemoved), p.Cursor, last.String)
	if err != nil {
		return "", 0, err
	}
	return last.String, n, nil
}

// FailPushCampaignMessages implements store.Tx.
func (c *conn) FailPushCampaignMessages(ctx context.Context, id int64, reason string, now time.Time) (int64, error) {
	return c.execN(ctx, "fail push campaign messages",
		`UPDATE pa_push_message SET status = 'FAILED', reason = $2, timestamp_finished = $3
		 WHERE campaign_id = $1 AND status = 'PENDING' AND lease IS NULL`, id, reason, millis(now))
}
