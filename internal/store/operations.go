package store

import (
	"context"
	"time"

	"github.com/mauth/mauth/internal/domain"
)

// OperationListFilter selects operations for ListOperations. Empty fields
// do not filter.
type OperationListFilter struct {
	// UserID matches the operation's user.
	UserID string
	// ExternalID matches the operation's external id.
	ExternalID string
	// ApplicationIDs keeps operations bound to at least one of these
	// applications.
	ApplicationIDs []int64
	// Statuses keeps operations in one of these states.
	Statuses []domain.OperationStatus
	// Limit and Offset page the result (0 = no limit / from the start).
	Limit, Offset int
}

// OperationReader holds the lookups of approval operations and their
// templates.
type OperationReader interface {
	// GetOperationTemplate returns the template with the internal id.
	GetOperationTemplate(ctx context.Context, id int64) (domain.OperationTemplate, error)
	// GetOperationTemplateByName returns the template by its unique name.
	GetOperationTemplateByName(ctx context.Context, name string) (domain.OperationTemplate, error)
	// ListOperationTemplates returns every template ordered by id.
	ListOperationTemplates(ctx context.Context) ([]domain.OperationTemplate, error)
	// GetOperation returns the operation with its application ids.
	GetOperation(ctx context.Context, id string) (domain.Operation, error)
	// ListOperations returns the matching operations, newest first (ties
	// by id).
	ListOperations(ctx context.Context, f OperationListFilter) ([]domain.Operation, error)
}

// OperationWriter holds the writes of approval operations and their templates.
type OperationWriter interface {
	// CreateOperationTemplate stores a new template and sets t.ID; a taken
	// name is ErrAlreadyExists.
	CreateOperationTemplate(ctx context.Context, t *domain.OperationTemplate) error
	// UpdateOperationTemplate overwrites every field of the template with
	// t.ID (the name included).
	UpdateOperationTemplate(ctx context.Context, t *domain.OperationTemplate) error
	// DeleteOperationTemplate removes the template.
	DeleteOperationTemplate(ctx context.Context, id int64) error
	// CreateOperation stores a new operation with its application
	// bindings; a taken id is ErrAlreadyExists, an unknown application
	// ErrConflict.
	CreateOperation(ctx context.Context, op *domain.Operation) error
	// UpdateOperation overwrites the mutable fields of the operation (all
	// but ID, ApplicationIDs and Created).
	UpdateOperation(ctx context.Context, op *domain.Operation) error
	// GetOperationForUpdate returns the operation and locks it until the
	// transaction ends (SELECT … FOR UPDATE).
	GetOperationForUpdate(ctx context.Context, id string) (domain.Operation, error)
	// ListExpiredOperationsForUpdate returns up to limit PENDING operations
	// whose expiry is before now, oldest expiry first, locked; rows
	// another transaction holds locked are skipped (FOR UPDATE SKIP
	// LOCKED), so concurrent workers process disjoint sets.
	ListExpiredOperationsForUpdate(ctx context.Context, now time.Time, limit int) ([]domain.Operation, error)
}
