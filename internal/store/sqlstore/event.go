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

const callbackEventColumns = `id, application_callback_id, ordering_key, callback_data, status, attempts,
	idempotency_key, lease, timestamp_created, timestamp_last_call, timestamp_next_call, timestamp_rerun_after,
	timestamp_delete_after`

func scanCallbackEvent(s scanner) (domain.CallbackEvent, error) {
	var (
		e                         domain.CallbackEvent
		payload, status           string
		lease                     sql.NullString
		created, next             int64
		lastCall, rerun, deleteAt sql.NullInt64
	)
	err := s.Scan(&e.ID, &e.CallbackID, &e.OrderingKey, &payload, &status, &e.Attempts, &e.IdempotencyKey, &lease,
		&created, &lastCall, &next, &rerun, &deleteAt)
	if err != nil {
		return e, err
	}
	e.Payload, e.Status, e.Lease = []byte(payload), domain.CallbackEventStatus(status), lease.String
	e.Created, e.NextCall = fromMillis(created), fromMillis(next)
	e.LastCall, e.RerunAfter, e.DeleteAfter = fromNullMillis(lastCall), fromNullMillis(rerun), fromNullMillis(deleteAt)
	return e, nil
}

// GetCallbackEvent implements store.Reader.
func (c *conn) GetCallbackEvent(ctx context.Context, id int64) (domain.CallbackEvent, error) {
	return getOne(ctx, c, "get callback event",
		`SELECT `+callbackEventColumns+` FROM pa_application_callback_event WHERE id = $1`, scanCallbackEvent, id)
}

// ListCallbackEvents implements store.Reader.
func (c *conn) ListCallbackEvents(ctx context.Context, f store.CallbackEventFilter) ([]domain.CallbackEvent, error) {
	var a args
	var where []string
	if f.CallbackID != "" {
		where = append(where, `application_callback_id = `+a.add(f.CallbackID))
	}
	if f.OrderingKey != "" {
		where = append(where, `ordering_key = `+a.add(f.OrderingKey))
	}
	if f.Status != "" {
		where = append(where, `status = `+a.add(string(f.Status)))
	}
	q := `SELECT ` + callbackEventColumns + ` FROM pa_application_callback_event`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	q += ` ORDER BY id` + limitOffset(&a, f.Limit, 0)
	return listDynamic(ctx, c, "list callback events", q, scanCallbackEvent, a...)
}

// CountQueuedCallbackEvents implements store.Reader. The status index
// (pa_app_callback_event_status_idx) keeps it cheap.
func (c *conn) CountQueuedCallbackEvents(ctx context.Context) (int64, error) {
	var n int64
	err := c.queryRow(ctx, `SELECT COUNT(*) FROM pa_application_callback_event WHERE status IN ('PENDING', 'PROCESSING')`).Scan(&n)
	if err != nil {
		return 0, c.d.wrap("count queued callback events", err)
	}
	return n, nil
}

// CreateCallbackEvent implements store.Tx.
func (c *conn) CreateCallbackEvent(ctx context.Context, e *domain.CallbackEvent) error {
	id, err := c.insertID(ctx, "create callback event",
		`INSERT INTO pa_application_callback_event (application_callback_id, ordering_key, callback_data, status,
		 attempts, idempotency_key, lease, timestamp_created, timestamp_last_call, timestamp_next_call,
		 timestamp_rerun_after, timestamp_delete_after)
		 VALUES (`+placeholders(1, 12)+`) ON CONFLICT DO NOTHING RETURNING id`,
		e.CallbackID, e.OrderingKey, string(e.Payload), string(e.Status), e.Attempts, e.IdempotencyKey,
		nullString(e.Lease), millis(e.Created), nullMillis(e.LastCall), millis(e.NextCall),
		nullMillis(e.RerunAfter), nullMillis(e.DeleteAfter))
	if err != nil {
		return err
	}
	e.ID = id
	return nil
}

// ClaimCallbackEvents implements store.Tx.
func (c *conn) ClaimCallbackEvents(ctx context.Context, now, rerunAfter time.Time, lease string, limit int) ([]domain.CallbackEvent, error) {
	if limit <= 0 {
		return nil, nil
	}
	due, err := list(ctx, c, "claim callback events",
		`SELECT `+callbackEventColumns+` FROM pa_application_callback_event e
		 WHERE ((e.status = 'PENDING' AND e.timestamp_next_call <= $1)
		        OR (e.status = 'PROCESSING' AND e.timestamp_rerun_after <= $1))
		   AND NOT EXISTS (SELECT 1 FROM pa_application_callback_event p
		                   WHERE p.application_callback_id = e.application_callback_id
		                     AND p.ordering_key = e.ordering_key AND p.id < e.id
		                     AND p.status IN ('PENDING', 'PROCESSING'))
		 ORDER BY e.id LIMIT $2`+c.d.ForUpdateSkipLocked, scanCallbackEvent, millis(now), int64(limit))
	if err != nil || len(due) == 0 {
		return nil, err
	}
	var a args
	q := `UPDATE pa_application_callback_event SET status = ` + a.add(string(domain.CallbackEventProcessing)) +
		`, lease = ` + a.add(lease) + `, timestamp_rerun_after = ` + a.add(millis(rerunAfter)) +
		` WHERE id IN ` + in(&a, due, func(e domain.CallbackEvent) any { return e.ID })
	if _, err := c.q.ExecContext(ctx, q, a...); err != nil {
		return nil, c.d.wrap("claim callback events", err)
	}
	for i := range due {
		due[i].Status, due[i].Lease, due[i].RerunAfter = domain.CallbackEventProcessing, lease, rerunAfter.Truncate(time.Millisecond)
	}
	return due, nil
}

// FinishCallbackEvent implements store.Tx.
func (c *conn) FinishCallbackEvent(ctx context.Context, e *domain.CallbackEvent, lease string) error {
	n, err := c.execN(ctx, "finish callback event",
		`UPDATE pa_application_callback_event SET status = $3, attempts = $4, timestamp_last_call = $5,
		 timestamp_next_call = $6, timestamp_delete_after = $7, lease = NULL, timestamp_rerun_after = NULL
		 WHERE id = $1 AND lease = $2 AND status = 'PROCESSING'`,
		e.ID, lease, string(e.Status), e.Attempts, nullMillis(e.LastCall), millis(e.NextCall), nullMillis(e.DeleteAfter))
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("finish callback event %d: lease lost: %w", e.ID, store.ErrConflict)
	}
	e.Lease, e.RerunAfter = "", time.Time{}
	return nil
}

// DeleteExpiredCallbackEvents implements store.Tx.
func (c *conn) DeleteExpiredCallbackEvents(ctx context.Context, now time.Time, limit int) (int64, error) {
	if limit <= 0 {
		return 0, nil
	}
	return c.execN(ctx, "delete expired callback events",
		`DELETE FROM pa_application_callback_event WHERE id IN (
		   SELECT id FROM pa_application_callback_event
		   WHERE timestamp_delete_after <= $1 AND status IN ('COMPLETED', 'FAILED')
		   ORDER BY timestamp_delete_after LIMIT $2)`, millis(now), int64(limit))
}

// GetCallbackSecret implements store.Reader.
func (c *conn) GetCallbackSecret(ctx context.Context, callbackID string) ([]byte, error) {
	return getOne(ctx, c, "get callback secret",
		`SELECT secret FROM pa_application_callback_secret WHERE application_callback_id = $1`,
		func(s scanner) ([]byte, error) {
			var b []byte
			err := s.Scan(&b)
			return fromBlob(b), err
		}, callbackID)
}

// CreateCallbackSecret implements store.Tx.
func (c *conn) CreateCallbackSecret(ctx context.Context, callbackID string, sealed []byte, created time.Time) error {
	return c.insertOne(ctx, "create callback secret",
		`INSERT INTO pa_application_callback_secret (application_callback_id, secret, timestamp_created)
		 VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, callbackID, sealed, millis(created))
}
