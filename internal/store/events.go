package store

import (
	"context"
	"time"

	"github.com/mauth/mauth/internal/domain"
)

// EventReader holds the lookups of the callback outbox and the audit log.
type EventReader interface {
	// GetCallbackEvent returns the callback event with the id.
	GetCallbackEvent(ctx context.Context, id int64) (domain.CallbackEvent, error)
	// ListCallbackEvents returns the events matching f ordered by id.
	ListCallbackEvents(ctx context.Context, f CallbackEventFilter) ([]domain.CallbackEvent, error)
	// CountQueuedCallbackEvents counts the events waiting for delivery:
	// PENDING ones (new or waiting for a retry) and PROCESSING ones
	// (claimed by a dispatcher). It is the depth of the outbox.
	CountQueuedCallbackEvents(ctx context.Context) (int64, error)
	// GetCallbackSecret returns the sealed signing secret of a callback.
	GetCallbackSecret(ctx context.Context, callbackID string) ([]byte, error)
	// ListAuditEntries returns the audit entries matching f, newest first.
	ListAuditEntries(ctx context.Context, f AuditFilter) ([]domain.AuditEntry, error)
}

// EventWriter holds the writes of the callback outbox and the audit log.
type EventWriter interface {
	// CreateCallbackEvent appends an event to the outbox and sets e.ID.
	// ErrConflict when the callback does not exist.
	CreateCallbackEvent(ctx context.Context, e *domain.CallbackEvent) error
	// ClaimCallbackEvents marks up to limit due events PROCESSING under
	// lease until rerunAfter and returns them in id order. Due are PENDING
	// events whose NextCall is at or before now and PROCESSING events whose
	// RerunAfter is at or before now (their dispatcher vanished), provided
	// no earlier event of the same callback and ordering key is still
	// PENDING or PROCESSING — so the events of one activation go out one
	// at a time, in order. Rows other transactions hold locked are skipped
	// (FOR UPDATE SKIP LOCKED), so several nodes may claim at once.
	ClaimCallbackEvents(ctx context.Context, now, rerunAfter time.Time, lease string, limit int) ([]domain.CallbackEvent, error)
	// FinishCallbackEvent records the outcome of a claimed event: it writes
	// e's Status, Attempts, LastCall, NextCall and DeleteAfter if the event
	// is still PROCESSING under lease, and returns ErrConflict otherwise
	// (the claim expired and another dispatcher took the event over).
	FinishCallbackEvent(ctx context.Context, e *domain.CallbackEvent, lease string) error
	// DeleteExpiredCallbackEvents deletes up to limit final events whose
	// DeleteAfter is at or before now and returns how many.
	DeleteExpiredCallbackEvents(ctx context.Context, now time.Time, limit int) (int64, error)
	// CreateCallbackSecret stores the sealed signing secret of a callback;
	// ErrAlreadyExists when it has one, ErrConflict when the callback does
	// not exist.
	CreateCallbackSecret(ctx context.Context, callbackID string, sealed []byte, created time.Time) error
	// CreateAuditEntry appends an audit entry and sets e.ID.
	CreateAuditEntry(ctx context.Context, e *domain.AuditEntry) error
}

// CallbackEventFilter selects callback events; zero fields match all.
type CallbackEventFilter struct {
	// CallbackID restricts to one callback.
	CallbackID string
	// OrderingKey restricts to one activation or operation.
	OrderingKey string
	// Status restricts to one delivery state.
	Status domain.CallbackEventStatus
	// Limit caps the number of rows (0: no limit).
	Limit int
}

// AuditFilter selects audit entries; zero fields match all.
type AuditFilter struct {
	// UserID restricts to one user.
	UserID string
	// ActivationID restricts to one activation.
	ActivationID string
	// Type restricts to one event type.
	Type domain.AuditType
	// From and To bound the timestamp (inclusive; zero is open).
	From, To time.Time
	// Limit caps the number of rows (0: no limit).
	Limit int
}
