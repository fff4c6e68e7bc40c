package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// Operation templates.

const templateColumns = `id, template_name, operation_type, data_template, signature_type, max_failure_count,
	expiration, risk_flags, proximity_check_enabled, number_matching_enabled`

func scanOperationTemplate(s scanner) (domain.OperationTemplate, error) {
	var (
		t          domain.OperationTemplate
		sigTypes   string
		expiration int64
		risk       sql.NullString
	)
	err := s.Scan(&t.ID, &t.Name, &t.OperationType, &t.DataTemplate, &sigTypes, &t.MaxFailureCount,
		&expiration, &risk, &t.ProximityCheckEnabled, &t.NumberMatchingEnabled)
	if err != nil {
		return t, err
	}
	t.SignatureTypes = splitList(sigTypes)
	t.Expiration = time.Duration(expiration) * time.Second
	t.RiskFlags = risk.String
	return t, nil
}

// splitList decodes a comma-joined list column; empty is nil.
func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// GetOperationTemplate implements store.Reader.
func (c *conn) GetOperationTemplate(ctx context.Context, id int64) (domain.OperationTemplate, error) {
	return getOne(ctx, c, "get operation template",
		`SELECT `+templateColumns+` FROM pa_operation_template WHERE id = $1`, scanOperationTemplate, id)
}

// GetOperationTemplateByName implements store.Reader.
func (c *conn) GetOperationTemplateByName(ctx context.Context, name string) (domain.OperationTemplate, error) {
	return getOne(ctx, c, "get operation template by name",
		`SELECT `+templateColumns+` FROM pa_operation_template WHERE template_name = $1`, scanOperationTemplate, name)
}

// ListOperationTemplates implements store.Reader.
func (c *conn) ListOperationTemplates(ctx context.Context) ([]domain.OperationTemplate, error) {
	return list(ctx, c, "list operation templates",
		`SELECT `+templateColumns+` FROM pa_operation_template ORDER BY id`, scanOperationTemplate)
}

func templateArgs(t *domain.OperationTemplate) []any {
	return []any{t.Name, t.OperationType, t.DataTemplate, strings.Join(t.SignatureTypes, ","), t.MaxFailureCount,
		int64(t.Expiration / time.Second), nullString(t.RiskFlags), t.ProximityCheckEnabled, t.NumberMatchingEnabled}
}

// CreateOperationTemplate implements store.Tx.
func (c *conn) CreateOperationTemplate(ctx context.Context, t *domain.OperationTemplate) error {
	id, err := c.insertID(ctx, "create operation template",
		`INSERT INTO pa_operation_template (template_name, operation_type, data_template, signature_type,
		 max_failure_count, expiration, risk_flags, proximity_check_enabled, number_matching_enabled)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING RETURNING id`, templateArgs(t)...)
	if err != nil {
		return err
	}
	t.ID = id
	return nil
}

// UpdateOperationTemplate implements store.Tx.
func (c *conn) UpdateOperationTemplate(ctx context.Context, t *domain.OperationTemplate) error {
	return c.execOne(ctx, "update operation template",
		`UPDATE pa_operation_template SET template_name = $2, operation_type = $3, data_template = $4,
		 signature_type = $5, max_failure_count = $6, expiration = $7, risk_flags = $8,
		 proximity_check_enabled = $9, number_matching_enabled = $10 WHERE id = $1`,
		append([]any{t.ID}, templateArgs(t)...)...)
}

// DeleteOperationTemplate implements store.Tx.
func (c *conn) DeleteOperationTemplate(ctx context.Context, id int64) error {
	return c.execOne(ctx, "delete operation template", `DELETE FROM pa_operation_template WHERE id = $1`, id)
}

// Operations.

// operationDataColumns are the pa_operation columns in the order of
// operationArgs; id comes first.
var operationDataColumns = []string{
	"id", "user_id", "external_id", "activation_flag", "activation_id", "operation_type", "template_name",
	"data", "parameters", "additional_data", "status", "status_reason", "signature_type", "failure_count",
	"max_failure_count", "timestamp_created", "timestamp_expires", "timestamp_finalized", "risk_flags",
	"totp_seed", "number_matching",
}

var (
	operationColumns   = strings.Join(operationDataColumns, ", ")
	insertOperationSQL = `INSERT INTO pa_operation (` + operationColumns + `) VALUES (` +
		placeholders(1, len(operationDataColumns)) + `) ON CONFLICT DO NOTHING`
	// updateOperationSQL leaves id, timestamp_created alone.
	updateOperationSQL = `UPDATE pa_operation SET ` +
		assignments(operationDataColumns[1:15], 2) + `, ` + assignments(operationDataColumns[16:], 16) +
		` WHERE id = $1`
)

func operationArgs(op *domain.Operation) ([]any, error) {
	params, err := json.Marshal(orEmptyMap(op.Parameters))
	if err != nil {
		return nil, fmt.Errorf("encode parameters: %w", err)
	}
	extra, err := json.Marshal(orEmptyMap(op.AdditionalData))
	if err != nil {
		return nil, fmt.Errorf("encode additional data: %w", err)
	}
	return []any{
		op.ID, nullString(op.UserID), nullString(op.ExternalID), nullString(op.ActivationFlag), nullString(op.ActivationID),
		op.OperationType, nullString(op.TemplateName), op.Data, string(params), string(extra), int64(op.Status),
		nullString(op.StatusReason), strings.Join(op.SignatureTypes, ","), op.FailureCount, op.MaxFailureCount,
		millis(op.Created), millis(op.Expires), nullMillis(op.Finalized), nullString(op.RiskFlags),
		blob(op.TotpSeedEncrypted), nullString(op.NumberMatching),
	}, nil
}

func orEmptyMap[V any](m map[string]V) map[string]V {
	if m == nil {
		return map[string]V{}
	}
	return m
}

func scanOperation(s scanner) (domain.Operation, error) {
	var (
		op                                                 domain.Operation
		user, ext, flag, act, tmpl, reason, risk, numMatch sql.NullString
		params, extra, sigTypes                            string
		status, created, expires                           int64
		finalized                                          sql.NullInt64
		seed                                               []byte
	)
	err := s.Scan(&op.ID, &user, &ext, &flag, &act, &op.OperationType, &tmpl,
		&op.Data, &params, &extra, &status, &reason, &sigTypes, &op.FailureCount,
		&op.MaxFailureCount, &created, &expires, &finalized, &risk,
		&seed, &numMatch)
	if err != nil {
		return op, err
	}
	op.UserID, op.ExternalID, op.ActivationFlag, op.ActivationID = user.String, ext.String, flag.String, act.String
	op.TemplateName, op.StatusReason, op.RiskFlags, op.NumberMatching = tmpl.String, reason.String, risk.String, numMatch.String
	op.Status, op.SignatureTypes = domain.OperationStatus(status), splitList(sigTypes)
	op.Created, op.Expires, op.Finalized = fromMillis(created), fromMillis(expires), fromNullMillis(finalized)
	op.TotpSeedEncrypted = fromBlob(seed)
	if err := json.Unmarshal([]byte(params), &op.Parameters); err != nil {
		return op, fmt.Errorf("decode parameters: %w", err)
	}
	if err := json.Unmarshal([]byte(extra), &op.AdditionalData); err != nil {
		return op, fmt.Errorf("decode additional data: %w", err)
	}
	if len(op.Parameters) == 0 {
		op.Parameters = nil
	}
	if len(op.AdditionalData) == 0 {
		op.AdditionalData = nil
	}
	return op, nil
}

// withApplications loads the application ids of the operations.
func (c *conn) withApplications(ctx context.Context, ops []domain.Operation) ([]domain.Operation, error) {
	if len(ops) == 0 {
		return ops, nil
	}
	var a args
	idx := make(map[string]int, len(ops))
	ids := make([]string, len(ops))
	for i, op := range ops {
		idx[op.ID], ids[i] = i, op.ID
	}
	type link struct {
		op  string
		app int64
	}
	links, err := listDynamic(ctx, c, "list operation applications",
		`SELECT operation_id, application_id FROM pa_operation_application WHERE operation_id IN `+
			in(&a, ids, func(s string) any { return s })+` ORDER BY application_id`,
		func(s scanner) (link, error) {
			var l link
			err := s.Scan(&l.op, &l.app)
			return l, err
		}, a...)
	if err != nil {
		return nil, err
	}
	for _, l := range links {
		i := idx[l.op]
		ops[i].ApplicationIDs = append(ops[i].ApplicationIDs, l.app)
	}
	return ops, nil
}

func (c *conn) getOperation(ctx context.Context, op, query, id string) (domain.Operation, error) {
	o, err := getOne(ctx, c, op, query, scanOperation, id)
	if err != nil {
		return o, err
	}
	out, err := c.withApplications(ctx, []domain.Operation{o})
	if err != nil {
		return o, err
	}
	return out[0], nil
}

// GetOperation implements store.Reader.
func (c *conn) GetOperation(ctx context.Context, id string) (domain.Operation, error) {
	return c.getOperation(ctx, "get operation", `SELECT `+operationColumns+` FROM pa_operation WHERE id = $1`, id)
}

// GetOperationForUpdate implements store.Tx.
func (c *conn) GetOperationForUpdate(ctx context.Context, id string) (domain.Operation, error) {
	return c.getOperation(ctx, "get operation for update",
		`SELECT `+operationColumns+` FROM pa_operation WHERE id = $1`+c.d.ForUpdate, id)
}

func operationStatusArg(s domain.OperationStatus) any { return int64(s) }

// ListOperations implements store.Reader.
func (c *conn) ListOperations(ctx context.Context, f store.OperationListFilter) ([]domain.Operation, error) {
	var a args
	var where []string
	if f.UserID != "" {
		where = append(where, `user_id = `+a.add(f.UserID))
	}
	if f.ExternalID != "" {
		where = append(where, `external_id = `+a.add(f.ExternalID))
	}
	if len(f.Statuses) > 0 {
		where = append(where, `status IN `+in(&a, f.Statuses, operationStatusArg))
	}
	if len(f.ApplicationIDs) > 0 {
		where = append(where, `EXISTS (SELECT 1 FROM pa_operation_application oa WHERE oa.operation_id = pa_operation.id
			AND oa.application_id IN `+in(&a, f.ApplicationIDs, func(id int64) any { return id })+`)`)
	}
	q := `SELECT ` + operationColumns + ` FROM pa_operation`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY timestamp_created DESC, id DESC` + limitOffset(&a, f.Limit, f.Offset)
	ops, err := listDynamic(ctx, c, "list operations", q, scanOperation, a...)
	if err != nil {
		return nil, err
	}
	return c.withApplications(ctx, ops)
}

// ListExpiredOperationsForUpdate implements store.Tx.
func (c *conn) ListExpiredOperationsForUpdate(ctx context.Context, now time.Time, limit int) ([]domain.Operation, error) {
	var a args
	q := `SELECT ` + operationColumns + ` FROM pa_operation
	      WHERE status = ` + a.add(int64(domain.OperationPending)) + ` AND timestamp_expires < ` + a.add(millis(now)) + `
	      ORDER BY timestamp_expires, id` + limitOffset(&a, limit, 0) + c.d.ForUpdateSkipLocked
	ops, err := listDynamic(ctx, c, "list expired operations", q, scanOperation, a...)
	if err != nil {
		return nil, err
	}
	return c.withApplications(ctx, ops)
}

// CreateOperation implements store.Tx.
func (c *conn) CreateOperation(ctx context.Context, op *domain.Operation) error {
	vals, err := operationArgs(op)
	if err != nil {
		return fmt.Errorf("create operation: %w", err)
	}
	if err := c.insertOne(ctx, "create operation", insertOperationSQL, vals...); err != nil {
		return err
	}
	for _, app := range op.ApplicationIDs {
		if _, err := c.exec(ctx, `INSERT INTO pa_operation_application (application_id, operation_id) VALUES ($1, $2)
			ON CONFLICT DO NOTHING`, app, op.ID); err != nil {
			return c.d.wrap("create operation application", err)
		}
	}
	return nil
}

// UpdateOperation implements store.Tx.
func (c *conn) UpdateOperation(ctx context.Context, op *domain.Operation) error {
	vals, err := operationArgs(op)
	if err != nil {
		return fmt.Errorf("update operation: %w", err)
	}
	vals = append(vals[:15], vals[16:]...) // without timestamp_created
	return c.execOne(ctx, "update operation", updateOperationSQL, vals...)
}
