package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/protocol"
)

// PageSize is the number of rows of a list page.
const PageSize = 50

// ActivationStatuses lists the activation states in lifecycle order.
var ActivationStatuses = []domain.ActivationStatus{domain.ActivationCreated, domain.ActivationPendingCommit,
	domain.ActivationActive, domain.ActivationBlocked, domain.ActivationRemoved}

// OperationStatuses lists the operation states.
var OperationStatuses = []domain.OperationStatus{domain.OperationPending, domain.OperationApproved,
	domain.OperationRejected, domain.OperationFailed, domain.OperationCanceled, domain.OperationExpired}

// Count is a labelled number.
type Count struct {
	Label string
	N     int64
}

// Dashboard is what the dashboard shows.
type Dashboard struct {
	Activations      []Count
	OperationsToday  []Count
	FailedSignatures []domain.AuditEntry
	Blocked          []domain.Activation
	OutboxDepth      int64
}

// NotFound is a missing object.
var NotFound = &Error{"CONSOLE_NOT_FOUND", "Not found.", http.StatusNotFound}

// countsTTL is how long the dashboard reuses its counts: counting every
// activation of a large database on each page view would cost more than
// the page's latency budget, and figures a few seconds old serve an
// operator as well.
const countsTTL = 5 * time.Second

// counts are the dashboard's counted figures, computed at most once per
// countsTTL.
type counts struct {
	at          time.Time
	activations map[domain.ActivationStatus]int64
	operations  map[domain.OperationStatus]int64
	outbox      int64
}

// dashboardCounts returns the counts, recounting when they are older than
// countsTTL (or from another day, for the operations of today).
func (s *Service) dashboardCounts(ctx context.Context, now, midnight time.Time) (counts, error) {
	s.countsMu.Lock()
	defer s.countsMu.Unlock()
	if c := s.counts; c.activations != nil && now.Sub(c.at) < countsTTL && !c.at.Before(midnight) && !now.Before(c.at) {
		return c, nil
	}
	var c counts
	var err error
	if c.activations, err = s.st.CountActivationsByStatus(ctx); err != nil {
		return c, err
	}
	if c.operations, err = s.st.CountOperationsByStatus(ctx, midnight); err != nil {
		return c, err
	}
	if c.outbox, err = s.st.CountQueuedCallbackEvents(ctx); err != nil {
		return c, err
	}
	c.at = now
	s.counts = c
	return c, nil
}

// Dashboard collects the dashboard's figures. The counts may be up to
// countsTTL old; the lists are read on each call.
func (s *Service) Dashboard(ctx context.Context) (Dashboard, error) {
	var d Dashboard
	now := s.now().UTC()
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	c, err := s.dashboardCounts(ctx, now, midnight)
	if err != nil {
		return d, err
	}
	byStatus, ops := c.activations, c.operations
	d.OutboxDepth = c.outbox
	for _, st := range ActivationStatuses {
		d.Activations = append(d.Activations, Count{st.String(), byStatus[st]})
	}
	for _, st := range OperationStatuses {
		d.OperationsToday = append(d.OperationsToday, Count{st.String(), ops[st]})
	}
	if d.FailedSignatures, err = s.st.ListAuditEntries(ctx, store.AuditFilter{Type: domain.AuditSignatureFailed, Limit: 10}); err != nil {
		return d, err
	}
	if d.Blocked, err = s.st.PageActivations(ctx, store.ActivationPage{Statuses: []domain.ActivationStatus{domain.ActivationBlocked}, Limit: 10}); err != nil {
		return d, err
	}
	return d, nil
}

// ActivationQuery selects activations on the activations page.
type ActivationQuery struct {
	UserID, ActivationID, Status string
	// After is the cursor of the page (from ActivationList.Next).
	After string
}

// ActivationList is a page of activations.
type ActivationList struct {
	Activations []domain.Activation
	// AppNames maps application ids to names.
	AppNames map[int64]string
	// Next is the cursor of the next page ("" on the last).
	Next string
}

// encodeCursor writes a keyset position as "<unix ms>.<activation id>".
func encodeCursor(c store.ActivationCursor) string {
	return strconv.FormatInt(c.Created.UnixMilli(), 10) + "." + c.ActivationID
}

// decodeCursor parses encodeCursor's form.
func decodeCursor(s string) (store.ActivationCursor, error) {
	ms, id, ok := strings.Cut(s, ".")
	if !ok || id == "" || len(s) > 200 {
		return store.ActivationCursor{}, invalid("after: not a page cursor")
	}
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return store.ActivationCursor{}, invalid("after: not a page cursor")
	}
	return store.ActivationCursor{Created: time.UnixMilli(n).UTC(), ActivationID: id}, nil
}

// Activations returns a page of activations.
func (s *Service) Activations(ctx context.Context, q ActivationQuery) (ActivationList, error) {
	f := store.ActivationPage{UserID: strings.TrimSpace(q.UserID), ActivationID: strings.TrimSpace(q.ActivationID), Limit: PageSize + 1}
	if q.Status != "" {
		st, err := domain.ParseActivationStatus(q.Status)
		if err != nil {
			return ActivationList{}, invalid("status: unknown activation status")
		}
		f.Statuses = []domain.ActivationStatus{st}
	}
	if q.After != "" {
		c, err := decodeCursor(q.After)
		if err != nil {
			return ActivationList{}, err
		}
		f.After = c
	}
	found, err := s.st.PageActivations(ctx, f)
	if err != nil {
		return ActivationList{}, err
	}
	out := ActivationList{Activations: found}
	if len(found) > PageSize {
		out.Activations = found[:PageSize]
		last := out.Activations[PageSize-1]
		out.Next = encodeCursor(store.ActivationCursor{Created: last.Created, ActivationID: last.ActivationID})
	}
	out.AppNames, err = s.appNames(ctx)
	return out, err
}

// appNames maps application ids to names.
func (s *Service) appNames(ctx context.Context) (map[int64]string, error) {
	apps, err := s.st.ListApplications(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[int64]string, len(apps))
	for _, a := range apps {
		m[a.ID] = a.Name
	}
	return m, nil
}

// ActivationDetail is what an activation's page shows.
type ActivationDetail struct {
	Activation  domain.Activation
	Application string
	History     []domain.ActivationHistory
	Signatures  []domain.SignatureAudit
	// QR is the activation QR string while the activation is CREATED.
	QR string
	// RecoveryCodes are the activation's recovery codes (filled by the
	// HTTP surface through Core.RecoveryCodes).
	RecoveryCodes []RecoveryCode
}

// Activation returns an activation with its history and signature audit.
func (s *Service) Activation(ctx context.Context, id string) (ActivationDetail, error) {
	var d ActivationDetail
	a, err := s.st.GetActivation(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return d, NotFound
	}
	if err != nil {
		return d, err
	}
	d.Activation = a
	if a.Status == domain.ActivationCreated && a.ActivationCode != "" {
		d.QR = protocol.ActivationQRString(a.ActivationCode, a.ActivationSignature)
	}
	if app, err := s.st.GetApplication(ctx, a.ApplicationID); err == nil {
		d.Application = app.Name
	}
	if d.History, err = s.st.ListActivationHistory(ctx, id, time.Time{}, time.Time{}); err != nil {
		return d, err
	}
	if d.Signatures, err = s.st.ListSignatureAudits(ctx, store.SignatureAuditFilter{ActivationID: id, Limit: PageSize}); err != nil {
		return d, err
	}
	return d, nil
}

// ActivationStatus returns the status of an activation (for the page
// that waits for the phone).
func (s *Service) ActivationStatus(ctx context.Context, id string) (domain.ActivationStatus, error) {
	a, err := s.st.GetActivation(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return 0, NotFound
	}
	return a.Status, err
}

// Applications lists the applications.
func (s *Service) Applications(ctx context.Context) ([]domain.Application, error) {
	return s.st.ListApplications(ctx)
}

// OperationQuery selects operations.
type OperationQuery struct {
	UserID, Status, Template string
	// From and To are dates or times (RFC 3339, or 2006-01-02); empty is open.
	From, To string
	// After is the cursor of the page (from OperationList.Next).
	After string
}

// OperationList is a page of operations.
type OperationList struct {
	Operations []domain.Operation
	// Next is the cursor of the next page ("" on the last).
	Next string
}

// Operations returns a page of operations matching q, newest first (of
// every user when q.UserID is empty).
func (s *Service) Operations(ctx context.Context, q OperationQuery) (OperationList, error) {
	f := store.OperationPage{UserID: strings.TrimSpace(q.UserID), TemplateName: strings.TrimSpace(q.Template), Limit: PageSize + 1}
	if q.Status != "" {
		st, err := domain.ParseOperationStatus(q.Status)
		if err != nil {
			return OperationList{}, invalid("status: unknown operation status")
		}
		f.Statuses = []domain.OperationStatus{st}
	}
	var err error
	if f.From, err = parseTime("from", q.From, false); err != nil {
		return OperationList{}, err
	}
	if f.To, err = parseTime("to", q.To, true); err != nil {
		return OperationList{}, err
	}
	if q.After != "" {
		c, err := decodeCursor(q.After)
		if err != nil {
			return OperationList{}, err
		}
		f.After = store.PageCursor{Created: c.Created, ID: c.ActivationID}
	}
	found, err := s.st.PageOperations(ctx, f)
	if err != nil {
		return OperationList{}, err
	}
	out := OperationList{Operations: found}
	if len(found) > PageSize {
		out.Operations = found[:PageSize]
		last := out.Operations[PageSize-1]
		out.Next = encodeCursor(store.ActivationCursor{Created: last.Created, ActivationID: last.ID})
	}
	return out, nil
}

// Operation returns an operation.
func (s *Service) Operation(ctx context.Context, id string) (domain.Operation, error) {
	op, err := s.st.GetOperation(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return op, NotFound
	}
	return op, err
}

// Templates lists the operation templates.
func (s *Service) Templates(ctx context.Context) ([]domain.OperationTemplate, error) {
	return s.st.ListOperationTemplates(ctx)
}

// Template returns an operation template.
func (s *Service) Template(ctx context.Context, id int64) (domain.OperationTemplate, error) {
	t, err := s.st.GetOperationTemplate(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return t, NotFound
	}
	return t, err
}

// Integrations lists the private API integrations.
func (s *Service) Integrations(ctx context.Context) ([]domain.Integration, error) {
	return s.st.ListIntegrations(ctx)
}

// Users lists the console users.
func (s *Service) Users(ctx context.Context) ([]domain.ConsoleUser, error) {
	return s.st.ListConsoleUsers(ctx)
}

// AuditQuery selects audit entries.
type AuditQuery struct {
	Actor, ActivationID, OperationID string
	// From and To are dates or times (RFC 3339, or 2006-01-02); empty is open.
	From, To string
	// Before is the cursor of the page (from AuditList.Next).
	Before string
	// Limit overrides PageSize (CSV export).
	Limit int
}

// AuditList is a page of audit entries.
type AuditList struct {
	Entries []domain.AuditEntry
	Next    string
}

func parseTime(field, v string, endOfDay bool) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02T15:04", v); err == nil {
		return t, nil
	}
	t, err := time.Parse("2006-01-02", v)
	if err != nil {
		return t, invalid(field + ": a date (2006-01-02) or time (RFC 3339)")
	}
	if endOfDay {
		t = t.Add(24*time.Hour - time.Millisecond)
	}
	return t, nil
}

// Audit returns a page of the audit log, newest first.
func (s *Service) Audit(ctx context.Context, q AuditQuery) (AuditList, error) {
	limit := PageSize
	if q.Limit > 0 {
		limit = q.Limit
	}
	f := store.AuditPage{Actor: strings.TrimSpace(q.Actor), ActivationID: strings.TrimSpace(q.ActivationID),
		OperationID: strings.TrimSpace(q.OperationID), Limit: limit + 1}
	var err error
	if f.From, err = parseTime("from", q.From, false); err != nil {
		return AuditList{}, err
	}
	if f.To, err = parseTime("to", q.To, true); err != nil {
		return AuditList{}, err
	}
	if q.Before != "" {
		if f.BeforeID, err = strconv.ParseInt(q.Before, 10, 64); err != nil || f.BeforeID <= 0 {
			return AuditList{}, invalid("before: not a page cursor")
		}
	}
	found, err := s.st.PageAuditEntries(ctx, f)
	if err != nil {
		return AuditList{}, fmt.Errorf("audit log: %w", err)
	}
	out := AuditList{Entries: found}
	if len(found) > limit {
		out.Entries = found[:limit]
		out.Next = strconv.FormatInt(out.Entries[limit-1].ID, 10)
	}
	return out, nil
}
