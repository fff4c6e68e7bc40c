package store

import (
	"context"
	"time"

	"github.com/mauth/mauth/internal/domain"
)

// ConsoleReader holds the lookups of the admin console: its users and
// sessions, and the keyset-paged, counted views of the core's data its
// pages show.
type ConsoleReader interface {
	// GetConsoleUser returns the console user with the id.
	GetConsoleUser(ctx context.Context, id int64) (domain.ConsoleUser, error)
	// GetConsoleUserByName returns the console user with the username.
	GetConsoleUserByName(ctx context.Context, username string) (domain.ConsoleUser, error)
	// ListConsoleUsers returns all console users ordered by username.
	ListConsoleUsers(ctx context.Context) ([]domain.ConsoleUser, error)
	// GetConsoleSession returns the session with the id hash.
	GetConsoleSession(ctx context.Context, idHash string) (domain.ConsoleSession, error)

	// PageActivations returns activations matching f, newest first
	// (timestamp_created, then activation id, descending), starting after
	// the keyset cursor f.After.
	PageActivations(ctx context.Context, f ActivationPage) ([]domain.Activation, error)
	// CountActivationsByStatus counts activations per status.
	CountActivationsByStatus(ctx context.Context) (map[domain.ActivationStatus]int64, error)
	// CountOperationsByStatus counts operations created at or after since,
	// per status.
	CountOperationsByStatus(ctx context.Context, since time.Time) (map[domain.OperationStatus]int64, error)
	// PageOperations returns operations matching f, newest first
	// (timestamp_created, then id, descending), starting after the keyset
	// cursor f.After.
	PageOperations(ctx context.Context, f OperationPage) ([]domain.Operation, error)
	// PageAuditEntries returns audit entries matching f, newest id first,
	// with ids below f.BeforeID when it is not zero.
	PageAuditEntries(ctx context.Context, f AuditPage) ([]domain.AuditEntry, error)
}

// ConsoleWriter holds the writes of console users and sessions.
type ConsoleWriter interface {
	// CreateConsoleUser stores a new console user and sets u.ID;
	// ErrAlreadyExists when the username is taken.
	CreateConsoleUser(ctx context.Context, u *domain.ConsoleUser) error
	// UpdateConsoleUser replaces the password hash, role, failed
	// attempts, lock-out and last sign-in of user u.ID.
	UpdateConsoleUser(ctx context.Context, u *domain.ConsoleUser) error
	// DeleteConsoleUser deletes a console user with its sessions.
	DeleteConsoleUser(ctx context.Context, id int64) error
	// CreateConsoleSession stores a new session; ErrConflict when the user
	// does not exist.
	CreateConsoleSession(ctx context.Context, s *domain.ConsoleSession) error
	// TouchConsoleSession sets the last-seen time of a session.
	TouchConsoleSession(ctx context.Context, idHash string, lastSeen time.Time) error
	// DeleteConsoleSession deletes a session (sign-out).
	DeleteConsoleSession(ctx context.Context, idHash string) error
	// DeleteConsoleSessionsBefore deletes sessions created before created
	// or last seen before lastSeen, and returns how many.
	DeleteConsoleSessionsBefore(ctx context.Context, created, lastSeen time.Time) (int64, error)
}

// ActivationPage selects a page of activations; zero fields match all.
type ActivationPage struct {
	// UserID restricts to one user.
	UserID string
	// ActivationID restricts to one activation.
	ActivationID string
	// Statuses restricts to these states.
	Statuses []domain.ActivationStatus
	// After is the keyset cursor: the last activation of the previous
	// page (zero: the first page).
	After ActivationCursor
	// Limit caps the number of rows (0: no limit).
	Limit int
}

// ActivationCursor is a position in the newest-first order of activations.
type ActivationCursor struct {
	// Created is the creation time of the last activation seen.
	Created time.Time
	// ActivationID is its id.
	ActivationID string
}

// OperationPage selects a page of operations; zero fields match all.
type OperationPage struct {
	// UserID restricts to one user.
	UserID string
	// TemplateName restricts to one template.
	TemplateName string
	// Statuses restricts to these states.
	Statuses []domain.OperationStatus
	// From and To bound the creation time (inclusive; zero is open).
	From, To time.Time
	// After is the keyset cursor: the last operation of the previous page
	// (its creation time and id; zero: the first page).
	After PageCursor
	// Limit caps the number of rows (0: no limit).
	Limit int
}

// PageCursor is a position in a newest-first list ordered by creation
// time, then id.
type PageCursor struct {
	// Created is the creation time of the last row seen.
	Created time.Time
	// ID is its id.
	ID string
}

// AuditPage selects a page of audit entries; zero fields match all.
type AuditPage struct {
	// Actor restricts to one actor.
	Actor string
	// ActivationID restricts to one activation.
	ActivationID string
	// OperationID restricts to entries whose details name the operation.
	OperationID string
	// From and To bound the timestamp (inclusive; zero is open).
	From, To time.Time
	// BeforeID is the keyset cursor: entries with a smaller id (0: the
	// first page).
	BeforeID int64
	// Limit caps the number of rows (0: no limit).
	Limit int
}
