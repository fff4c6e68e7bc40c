package domain

import "time"

// Inbox message types.
const (
	// InboxTypeText is a plain-text message.
	InboxTypeText = "text"
	// InboxTypeHTML is a message whose body is HTML (the app renders it).
	InboxTypeHTML = "html"
)

// InboxMessage is a message in a user's inbox: a one-way note from the
// bank to the user, shown by the mobile apps of its applications.
type InboxMessage struct {
	// ID is the message id (a UUID).
	ID string
	// UserID is the user the message is for.
	UserID string
	// Type is InboxTypeText or InboxTypeHTML.
	Type string
	// Subject, Summary and Body are the texts of the message.
	Subject, Summary, Body string
	// ApplicationIDs are the internal ids of the applications whose apps
	// show the message (sorted ascending, at least one).
	ApplicationIDs []int64
	// Created is when the message was posted.
	Created time.Time
	// ReadAt is when the user read it; the zero time while unread.
	ReadAt time.Time
}

// Read reports whether the user has read the message.
func (m InboxMessage) Read() bool { return !m.ReadAt.IsZero() }
