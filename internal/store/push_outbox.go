package store

import (
	"context"
	"time"

	"github.com/mauth/mauth/internal/domain"
)

// PushOutboxReader holds the lookups of push provider credentials and of
// the push message outbox.
type PushOutboxReader interface {
	// GetPushCredentials returns the push credentials of an application.
	GetPushCredentials(ctx context.Context, applicationID int64) (domain.PushCredentials, error)
	// ListPushCredentials returns the push credentials of every
	// application that has some, ordered by application id.
	ListPushCredentials(ctx context.Context) ([]domain.PushCredentials, error)
	// GetPushMessage returns the outbox message with the id.
	GetPushMessage(ctx context.Context, id int64) (domain.PushMessage, error)
	// ListPushMessages returns the messages of an activation ordered by id
	// (all activations when activationID is empty), at most limit (0: all).
	ListPushMessages(ctx context.Context, activationID string, limit int) ([]domain.PushMessage, error)
	// CountPushMessages counts the outbox messages in a state.
	CountPushMessages(ctx context.Context, status domain.PushMessageStatus) (int64, error)
	// DeliverablePushMessages returns, of the messages with the ids, those
	// whose activation still holds a registration with the message's
	// application and token and may get it: not REMOVED, and ACTIVE for a
	// personal message (one query for a dispatcher round).
	DeliverablePushMessages(ctx context.Context, ids []int64) ([]int64, error)
}

// PushOutboxWriter holds the writes of push provider credentials and of the
// push message outbox.
type PushOutboxWriter interface {
	// PutPushCredentials creates or replaces the push credentials of
	// c.ApplicationID (keeping Created of an existing row). ErrConflict when
	// the application does not exist.
	PutPushCredentials(ctx context.Context, c *domain.PushCredentials) error
	// CreatePushMessage appends a message to the outbox and sets m.ID.
	CreatePushMessage(ctx context.Context, m *domain.PushMessage) error
	// ClaimPushMessages takes up to limit PENDING messages whose Next is at
	// or before now, in id order: it sets their Lease to lease and their
	// Next to leaseUntil (so a vanished dispatcher's claim ends then) and
	// counts the attempt. They stay PENDING. Rows other transactions hold
	// locked are skipped (FOR UPDATE SKIP LOCKED), so several nodes may
	// claim at once.
	ClaimPushMessages(ctx context.Context, now, leaseUntil time.Time, lease string, limit int) ([]domain.PushMessage, error)
	// FinishPushMessage records the outcome of a claimed message (Status,
	// Reason, Attempts, Next, Finished) and frees it, if it is still claimed under
	// lease; ErrConflict otherwise (the claim expired and another
	// dispatcher took it over).
	FinishPushMessage(ctx context.Context, m *domain.PushMessage, lease string) error
	// FinishPushMessagesSent records the messages with the ids as SENT at
	// the time (no reason, attempts as claimed) and frees them, those
	// still claimed under lease, in one statement; it returns how many it
	// changed (fewer than len(ids) when some claim expired).
	FinishPushMessagesSent(ctx context.Context, ids []int64, lease string, at time.Time) (int64, error)
	// AddPushDevice creates or replaces the registration of d.ActivationID
	// like PutPushDevice, but leaves other activations holding the same
	// token alone (one device holding several activations).
	AddPushDevice(ctx context.Context, d *domain.PushDevice) error
	// DeletePushDevicesByToken deletes the registrations of an application
	// holding the push token and returns how many.
	DeletePushDevicesByToken(ctx context.Context, applicationID int64, token string) (int64, error)
}

// PushCampaignReader holds the lookups of push campaigns.
type PushCampaignReader interface {
	// GetPushCampaign returns the campaign with the id.
	GetPushCampaign(ctx context.Context, id int64) (domain.PushCampaign, error)
	// ListPushCampaigns returns the campaigns ordered by id; all false
	// returns only those not sent yet (CREATED).
	ListPushCampaigns(ctx context.Context, all bool) ([]domain.PushCampaign, error)
	// ListPushCampaignUsers returns a page of a campaign's users in user id
	// order.
	ListPushCampaignUsers(ctx context.Context, id int64, offset, limit int) ([]string, error)
	// PushCampaignProgress counts the campaign's outbox messages by state.
	PushCampaignProgress(ctx context.Context, id int64) (domain.PushCampaignProgress, error)
}

// PushCampaignWriter holds the writes of push campaigns.
type PushCampaignWriter interface {
	// CreatePushCampaign stores a campaign and sets c.ID. ErrConflict when
	// the application does not exist.
	CreatePushCampaign(ctx context.Context, c *domain.PushCampaign) error
	// UpdatePushCampaign writes Status, Cursor, Sent and Completed of c.ID
	// if its stored Status and Cursor still equal from's (compare-and-set);
	// ErrConflict otherwise.
	UpdatePushCampaign(ctx context.Context, c *domain.PushCampaign, from domain.PushCampaign) error
	// DeletePushCampaign deletes a campaign and its users (its messages
	// stay in the outbox).
	DeletePushCampaign(ctx context.Context, id int64) error
	// AddPushCampaignUsers adds users (already present ones are skipped)
	// and returns how many were added.
	AddPushCampaignUsers(ctx context.Context, id int64, users []string, now time.Time) (int64, error)
	// DeletePushCampaignUsers removes users and returns how many.
	DeletePushCampaignUsers(ctx context.Context, id int64, users []string) (int64, error)
	// QueuePushCampaignBatch queues the campaign's message (body) for every
	// registered device, of a not REMOVED activation, of the next limit
	// users after the cursor (in user id order), one message per
	// activation (a device already queued is skipped), and returns the
	// last user of the batch ("" when there is none left) and how many
	// messages it queued.
	QueuePushCampaignBatch(ctx context.Context, c domain.PushCampaign, body []byte, limit int, now time.Time) (string, int64, error)
	// FailPushCampaignMessages fails the campaign's unclaimed PENDING
	// messages with the reason and returns how many.
	FailPushCampaignMessages(ctx context.Context, id int64, reason string, now time.Time) (int64, error)
}
