package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

const auditEntryColumns = `id, timestamp_created, type, actor, activation_id, user_id, application, ip_address,
	user_agent, details`

func scanAuditEntry(s scanner) (domain.AuditEntry, error) {
	var (
		e                                             domain.AuditEntry
		created                                       int64
		typ                                           string
		actor, activation, user, app, ip, ua, details sql.NullString
	)
	if err := s.Scan(&e.ID, &created, &typ, &actor, &activation, &user, &app, &ip, &ua, &details); err != nil {
		return e, err
	}
	e.Created, e.Type = fromMillis(created), domain.AuditType(typ)
	e.Actor, e.ActivationID, e.UserID, e.Application = actor.String, activation.String, user.String, app.String
	e.IP, e.UserAgent = ip.String, ua.String
	if details.String != "" {
		if err := json.Unmarshal([]byte(details.String), &e.Details); err != nil {
			return e, fmt.Errorf("decode audit details: %w", err)
		}
		if len(e.Details) == 0 {
			e.Details = nil
		}
	}
	return e, nil
}

// ListAuditEntries implements store.Reader.
func (c *conn) ListAuditEntries(ctx context.Context, f store.AuditFilter) ([]domain.AuditEntry, error) {
	var a args
	var where []string
	if f.UserID != "" {
		where = append(where, `user_id = `+a.add(f.UserID))
	}
	if f.ActivationID != "" {
		where = append(where, `activation_id = `+a.add(f.ActivationID))
	}
	if f.Type != "" {
		where = append(where, `type = `+a.add(string(f.Type)))
	}
	q := `SELECT ` + auditEntryColumns + ` FROM audit_log WHERE 1 = 1`
	if len(where) > 0 {
		q += ` AND ` + strings.Join(where, ` AND `)
	}
	q += timeRange(&a, "timestamp_created", f.From, f.To)
	q += ` ORDER BY timestamp_created DESC, id DESC` + limitOffset(&a, f.Limit, 0)
	return listDynamic(ctx, c, "list audit entries", q, scanAuditEntry, a...)
}

// auditEntryInsertColumns are the columns an audit-log INSERT sets (with
// the chain columns).
const auditEntryInsertColumns = `timestamp_created, type, actor, activation_id, user_id, application, ip_address,
	 user_agent, details`

// createAuditEntrySQL is built once (the statement cache is keyed by text).
var createAuditEntrySQL = newChainedInsert(store.ChainAuditLog, auditEntryInsertColumns, 9)

// auditEntryArgs are the 9 values of an audit-log INSERT.
func auditEntryArgs(e *domain.AuditEntry) ([]any, error) {
	var details sql.NullString
	if len(e.Details) > 0 {
		b, err := json.Marshal(e.Details)
		if err != nil {
			return nil, fmt.Errorf("create audit entry: encode details: %w", err)
		}
		details = sql.NullString{String: string(b), Valid: true}
	}
	return []any{millis(e.Created), string(e.Type), nullString(e.Actor), nullString(e.ActivationID), nullString(e.UserID),
		nullString(e.Application), nullString(e.IP), nullString(e.UserAgent), details}, nil
}

// CreateAuditEntry implements store.Tx: the entry is the next link of a
// chain of the audit log.
func (c *conn) CreateAuditEntry(ctx context.Context, e *domain.AuditEntry) error {
	a, err := auditEntryArgs(e)
	if err != nil {
		return err
	}
	id, err := c.insertChained(ctx, "create audit entry", createAuditEntrySQL, auditEntryContent(e), a)
	if err != nil {
		return err
	}
	e.ID = id
	return nil
}
