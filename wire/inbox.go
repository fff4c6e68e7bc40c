package wire

import "time"

// Paths of the phone's inbox API (MAC-token authentication).
const (
	// InboxCountPath answers the number of unread messages.
	InboxCountPath = "/api/inbox/count"
	// InboxListPath answers a page of messages.
	InboxListPath = "/api/inbox/message/list"
	// InboxDetailPath answers one message with its body.
	InboxDetailPath = "/api/inbox/message/detail"
	// InboxReadPath marks one message read.
	InboxReadPath = "/api/inbox/message/read"
	// InboxReadAllPath marks every message read.
	InboxReadAllPath = "/api/inbox/message/read-all"
)

// InboxCount is the answer of InboxCountPath.
type InboxCount struct {
	// CountUnread is the number of unread messages.
	CountUnread int64 `json:"countUnread"`
}

// InboxListRequest is the request object of InboxListPath.
type InboxListRequest struct {
	// Page is the 0-based page number.
	Page int `json:"page"`
	// Size is the page size (default 20).
	Size int `json:"size"`
	// OnlyUnread keeps the unread messages.
	OnlyUnread bool `json:"onlyUnread"`
}

// InboxMessageRequest is the request object of InboxDetailPath and
// InboxReadPath.
type InboxMessageRequest struct {
	// ID is the message id.
	ID string `json:"id"`
}

// InboxMessage is a message in a list (without its body).
type InboxMessage struct {
	ID               string    `json:"id"`
	Type             string    `json:"type"`
	Subject          string    `json:"subject"`
	Summary          string    `json:"summary"`
	Read             bool      `json:"read"`
	TimestampCreated time.Time `json:"timestampCreated"`
}

// InboxMessageDetail is a message with its body (InboxDetailPath).
type InboxMessageDetail struct {
	ID               string    `json:"id"`
	Type             string    `json:"type"`
	Subject          string    `json:"subject"`
	Summary          string    `json:"summary"`
	Body             string    `json:"body"`
	Read             bool      `json:"read"`
	TimestampCreated time.Time `json:"timestampCreated"`
}

// InboxPage is the paged answer of InboxListPath: the envelope with the
// page number and size next to the messages.
type InboxPage struct {
	Status         string         `json:"status"`
	ResponseObject []InboxMessage `json:"responseObject"`
	Page           int            `json:"page"`
	Size           int            `json:"size"`
}
