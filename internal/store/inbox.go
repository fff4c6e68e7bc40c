package store

import (
	"context"
	"time"

	"github.com/mauth/mauth/internal/domain"
)

// InboxFilter selects a user's inbox messages.
type InboxFilter struct {
	// UserID is the user (required).
	UserID string
	// ApplicationIDs keeps the messages of at least one of these
	// applications; empty keeps every message of the user.
	ApplicationIDs []int64
	// OnlyUnread keeps the messages not read yet.
	OnlyUnread bool
	// Limit and Offset page the result (0 = no limit / from the start).
	Limit, Offset int
}

// InboxReader holds the lookups of inbox messages.
type InboxReader interface {
	// GetInboxMessage returns the message with its application ids.
	GetInboxMessage(ctx context.Context, id string) (domain.InboxMessage, error)
	// ListInboxMessages returns the matching messages with their
	// application ids, newest first (ties by id).
	ListInboxMessages(ctx context.Context, f InboxFilter) ([]domain.InboxMessage, error)
	// CountInboxMessages counts the matching messages (Limit and Offset
	// are ignored).
	CountInboxMessages(ctx context.Context, f InboxFilter) (int64, error)
}

// InboxWriter holds the writes of inbox messages.
type InboxWriter interface {
	// CreateInboxMessage stores a new message with its applications; a
	// taken id is ErrAlreadyExists, an unknown application ErrConflict.
	CreateInboxMessage(ctx context.Context, m *domain.InboxMessage) error
	// MarkInboxMessageRead sets the read time of an unread message and
	// reports whether it was unread; an unknown id is ErrNotFound.
	MarkInboxMessageRead(ctx context.Context, id string, at time.Time) (bool, error)
	// MarkInboxMessagesRead sets the read time of every unread message
	// matching f (OnlyUnread, Limit and Offset are ignored) and returns
	// how many it marked.
	MarkInboxMessagesRead(ctx context.Context, f InboxFilter, at time.Time) (int64, error)
}
