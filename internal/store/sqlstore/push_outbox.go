package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

const pushCredentialsColumns = `application_id, apns_private_key, apns_key_id, apns_team_id, apns_bundle,
	apns_environment, fcm_private_key, fcm_project_id, hms_client_id, hms_client_secret, hms_project_id,
	timestamp_created, timestamp_updated`

func scanPushCredentials(s scanner) (domain.PushCredentials, error) {
	var (
		p                                   domain.PushCredentials
		apnsKey, fcmKey, hmsSecret          []byte
		keyID, teamID, bundle, env, fcmProj sql.NullString
		hmsClient, hmsProj                  sql.NullString
		created, updated                    int64
	)
	if err := s.Scan(&p.ApplicationID, &apnsKey, &keyID, &teamID, &bundle, &env, &fcmKey, &fcmProj,
		&hmsClient, &hmsSecret, &hmsProj, &created, &updated); err != nil {
		return p, err
	}
	p.APNsKey, p.FCMKey, p.HMSClientSecret = fromBlob(apnsKey), fromBlob(fcmKey), fromBlob(hmsSecret)
	p.APNsKeyID, p.APNsTeamID, p.APNsBundle, p.APNsEnvironment = keyID.String, teamID.String, bundle.String, env.String
	p.FCMProjectID, p.HMSClientID, p.HMSProjectID = fcmProj.String, hmsClient.String, hmsProj.String
	p.Created, p.Updated = fromMillis(created), fromMillis(updated)
	return p, nil
}

// GetPushCredentials implements store.Reader.
func (c *conn) GetPushCredentials(ctx context.Context, applicationID int64) (domain.PushCredentials, error) {
	return getOne(ctx, c, "get push credentials",
		`SELECT `+pushCredentialsColumns+` FROM pa_push_credentials WHERE application_id = $1`, scanPushCredentials, applicationID)
}

// ListPushCredentials implements store.Reader.
func (c *conn) ListPushCredentials(ctx context.Context) ([]domain.PushCredentials, error) {
	return list(ctx, c, "list push credentials",
		`SELECT `+pushCredentialsColumns+` FROM pa_push_credentials ORDER BY application_id`, scanPushCredentials)
}

// PutPushCredentials implements store.Tx.
func (c *conn) PutPushCredentials(ctx context.Context, p *domain.PushCredentials) error {
	_, err := c.execN(ctx, "put push credentials",
		`INSERT INTO pa_push_credentials (`+pushCredentialsColumns+`) VALUES (`+placeholders(1, 13)+`)
		 ON CONFLICT (application_id) DO UPDATE SET apns_private_key = excluded.apns_private_key,
		 apns_key_id = excluded.apns_key_id, apns_team_id = excluded.apns_team_id, apns_bundle = excluded.apns_bundle,
		 apns_environment = excluded.apns_environment, fcm_private_key = excluded.fcm_private_key,
		 fcm_project_id = excluded.fcm_project_id, hms_client_id = excluded.hms_client_id,
		 hms_client_secret = excluded.hms_client_secret, hms_project_id = excluded.hms_project_id,
		 timestamp_updated = excluded.timestamp_updated`,
		p.ApplicationID, blob(p.APNsKey), nullString(p.APNsKeyID), nullString(p.APNsTeamID), nullString(p.APNsBundle),
		nullString(p.APNsEnvironment), blob(p.FCMKey), nullString(p.FCMProjectID), nullString(p.HMSClientID),
		blob(p.HMSClientSecret), nullString(p.HMSProjectID), millis(p.Created), millis(p.Updated))
	return err
}

const pushMessageColumns = `id, application_id, activation_id, user_id, platform, push_token, environment,
	message_body, is_personal, status, attempts, lease, reason, timestamp_created, timestamp_next, timestamp_finished, campaign_id`

func scanPushMessage(s scanner) (domain.PushMessage, error) {
	var (
		m                  domain.PushMessage
		env, lease, reason sql.NullString
		body, status       string
		personal           int64
		created, next      int64
		finished, campaign sql.NullInt64
	)
	if err := s.Scan(&m.ID, &m.ApplicationID, &m.ActivationID, &m.UserID, &m.Platform, &m.Token, &env,
		&body, &personal, &status, &m.Attempts, &lease, &reason, &created, &next, &finished, &campaign); err != nil {
		return m, err
	}
	m.Environment, m.Lease, m.Reason = env.String, lease.String, reason.String
	m.Body, m.Personal, m.Status = []byte(body), personal != 0, domain.PushMessageStatus(status)
	m.Created, m.Next, m.Finished = fromMillis(created), fromMillis(next), fromNullMillis(finished)
	m.CampaignID = campaign.Int64
	return m, nil
}

// GetPushMessage implements store.Reader.
func (c *conn) GetPushMessage(ctx context.Context, id int64) (domain.PushMessage, error) {
	return getOne(ctx, c, "get push message",
		`SELECT `+pushMessageColumns+` FROM pa_push_message WHERE id = $1`, scanPushMessage, id)
}

// ListPushMessages implements store.Reader.
func (c *conn) ListPushMessages(ctx context.Context, activationID string, limit int) ([]domain.PushMessage, error) {
	var a args
	q := `SELECT ` + pushMessageColumns + ` FROM pa_push_message`
	if activationID != "" {
		q += ` WHERE activation_id = ` + a.add(activationID)
	}
	q += ` ORDER BY id` + limitOffset(&a, limit, 0)
	return listDynamic(ctx, c, "list push messages", q, scanPushMessage, a...)
}

// CountPushMessages implements store.Reader. The due index
// (pa_push_message_due_idx) keeps it cheap.
func (c *conn) CountPushMessages(ctx context.Context, status domain.PushMessageStatus) (int64, error) {
	var n int64
	if err := c.queryRow(ctx, `SELECT COUNT(*) FROM pa_push_message WHERE status = $1`, string(status)).Scan(&n); err != nil {
		return 0, c.d.wrap("count push messages", err)
	}
	return n, nil
}

// CreatePushMessage implements store.Tx.
func (c *conn) CreatePushMessage(ctx context.Context, m *domain.PushMessage) error {
	id, err := c.insertID(ctx, "create push message",
		`INSERT INTO pa_push_message (application_id, activation_id, user_id, platform, push_token, environment,
		 message_body, is_personal, status, attempts, lease, reason, timestamp_created, timestamp_next, timestamp_finished,
		 campaign_id) VALUES (`+placeholders(1, 16)+`) RETURNING id`,
		m.ApplicationID, m.ActivationID, m.UserID, m.Platform, m.Token, nullString(m.Environment), string(m.Body),
		boolInt(m.Personal), string(m.Status), m.Attempts, nullString(m.Lease), nullString(m.Reason),
		millis(m.Created), millis(m.Next), nullMillis(m.Finished), nullInt(m.CampaignID))
	if err != nil {
		return err
	}
	m.ID = id
	return nil
}

// DeliverablePushMessages implements store.Reader.
func (c *conn) DeliverablePushMessages(ctx context.Context, ids []int64) ([]int64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var a args
	removed, active := a.add(int64(domain.ActivationRemoved)), a.add(int64(domain.ActivationActive))
	q := `SELECT m.id FROM pa_push_message m
		 JOIN pa_push_device d ON d.activation_id = m.activation_id AND d.application_id = m.application_id AND d.push_token = m.push_token
		 JOIN pa_activation x ON x.activation_id = m.activation_id
		 WHERE x.activation_status <> ` + removed + ` AND (m.is_personal = 0 OR x.activation_status = ` + active + `)
		 AND m.id IN ` + in(&a, ids, func(id int64) any { return id }) + ` ORDER BY m.id`
	return listDynamic(ctx, c, "deliverable push messages", q, func(r scanner) (int64, error) {
		var id int64
		err := r.Scan(&id)
		return id, err
	}, a...)
}

// ClaimPushMessages implements store.Tx.
func (c *conn) ClaimPushMessages(ctx context.Context, now, leaseUntil time.Time, lease string, limit int) ([]domain.PushMessage, error) {
	if limit <= 0 {
		return nil, nil
	}
	due, err := list(ctx, c, "claim push messages",
		`SELECT `+pushMessageColumns+` FROM pa_push_message
		 WHERE status = 'PENDING' AND timestamp_next <= $1
		 ORDER BY timestamp_next, id LIMIT $2`+c.d.ForUpdateSkipLocked, scanPushMessage, millis(now), int64(limit))
	if err != nil || len(due) == 0 {
		return nil, err
	}
	var a args
	q := `UPDATE pa_push_message SET lease = ` + a.add(lease) + `, timestamp_next = ` + a.add(millis(leaseUntil)) +
		`, attempts = attempts + 1 WHERE id IN ` + in(&a, due, func(m domain.PushMessage) any { return m.ID })
	if _, err := c.q.ExecContext(ctx, q, a...); err != nil {
		return nil, c.d.wrap("claim push messages", err)
	}
	for i := range due {
		due[i].Lease, due[i].Next, due[i].Attempts = lease, leaseUntil.Truncate(time.Millisecond), due[i].Attempts+1
	}
	return due, nil
}

// FinishPushMessagesSent implements store.Tx.
func (c *conn) FinishPushMessagesSent(ctx context.Context, ids []int64, lease string, at time.Time) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	var a args
	q := `UPDATE pa_push_message SET status = 'SENT', reason = NULL, timestamp_next = ` + a.add(millis(at)) +
		`, timestamp_finished = ` + a.add(millis(at)) + `, lease = NULL WHERE lease = ` + a.add(lease) +
		` AND status = 'PENDING' AND id IN ` + in(&a, ids, func(id int64) any { return id })
	res, err := c.q.ExecContext(ctx, q, a...)
	if err != nil {
		return 0, c.d.wrap("finish push messages", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, c.d.wrap("finish push messages", err)
	}
	return n, nil
}

// FinishPushMessage implements store.Tx.
func (c *conn) FinishPushMessage(ctx context.Context, m *domain.PushMessage, lease string) error {
	n, err := c.execN(ctx, "finish push message",
		`UPDATE pa_push_message SET status = $3, reason = $4, timestamp_next = $5, timestamp_finished = $6, attempts = $7,
		 lease = NULL WHERE id = $1 AND lease = $2 AND status = 'PENDING'`,
		m.ID, lease, string(m.Status), nullString(m.Reason), millis(m.Next), nullMillis(m.Finished), m.Attempts)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("finish push message %d: lease lost: %w", m.ID, store.ErrConflict)
	}
	m.Lease = ""
	return nil
}

// DeletePushDevicesByToken implements store.Tx.
func (c *conn) DeletePushDevicesByToken(ctx context.Context, applicationID int64, token string) (int64, error) {
	return c.execN(ctx, "delete push devices by token",
		`DELETE FROM pa_push_device WHERE application_id = $1 AND push_token = $2`, applicationID, token)
}
