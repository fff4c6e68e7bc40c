package domain

import "time"

// PushDevice is the push registration of one activation: where to deliver
// push messages for the device holding it.
type PushDevice struct {
	// ActivationID is the activation the registration belongs to (one
	// registration per activation).
	ActivationID string
	// ApplicationID is the internal id of the activation's application.
	ApplicationID int64
	// UserID is the user of the activation.
	UserID string
	// Platform is the push service: "apns", "fcm" or "hms".
	Platform string
	// Token is the push token the platform issued to the device.
	Token string
	// Environment is the APNs environment ("development" or "production");
	// empty for the other platforms.
	Environment string
	// Created is when the activation first registered.
	Created time.Time
	// LastRegistered is when the registration was last refreshed.
	LastRegistered time.Time
}

// PushCredentials are an application's push provider credentials. The
// secret parts (the APNs .p8 key, the FCM service-account JSON, the HMS
// client secret) are sealed with the server key; empty when the provider
// is not configured.
type PushCredentials struct {
	// ApplicationID is the internal id of the application.
	ApplicationID int64
	// APNsKey is the sealed .p8 key; APNsKeyID, APNsTeamID, APNsBundle and
	// APNsEnvironment ("development", "production" or empty) go with it.
	APNsKey                                            []byte
	APNsKeyID, APNsTeamID, APNsBundle, APNsEnvironment string
	// FCMKey is the sealed service-account JSON; FCMProjectID its project.
	FCMKey       []byte
	FCMProjectID string
	// HMSClientID and the sealed HMSClientSecret are the Push Kit OAuth
	// client; HMSProjectID its project (optional).
	HMSClientID     string
	HMSClientSecret []byte
	HMSProjectID    string
	// Created and Updated are when the row was created and last changed.
	Created, Updated time.Time
}

// PushMessageStatus is the delivery state of an outbox message.
type PushMessageStatus string

// The delivery states.
const (
	// PushMessagePending waits for (another) delivery attempt.
	PushMessagePending PushMessageStatus = "PENDING"
	// PushMessageSent was accepted by the provider.
	PushMessageSent PushMessageStatus = "SENT"
	// PushMessageFailed was refused for good (Reason says why).
	PushMessageFailed PushMessageStatus = "FAILED"
)

// PushMessage is one message to one device in the push outbox.
type PushMessage struct {
	// ID is assigned by the store.
	ID int64
	// ApplicationID is the internal id of the application.
	ApplicationID int64
	// ActivationID and UserID identify the device's activation.
	ActivationID, UserID string
	// Platform, Token and Environment are the device's registration when
	// the message was queued.
	Platform, Token, Environment string
	// Body is the message as JSON (the push vertical's format).
	Body []byte
	// Personal messages go only to ACTIVE activations (checked again at
	// each attempt).
	Personal bool
	// Status is the delivery state.
	Status PushMessageStatus
	// Attempts counts the delivery attempts so far.
	Attempts int
	// Lease is the claim of the dispatcher now sending it; empty when free.
	Lease string
	// Reason is why the last attempt did not deliver.
	Reason string
	// CampaignID is the campaign that queued it (0: none).
	CampaignID int64
	// Created is when it was queued; Next when the next attempt is due (a
	// claimed message: when its claim expires); Finished when it became
	// SENT or FAILED.
	Created, Next, Finished time.Time
}

// PushCampaignStatus is the state of a push campaign.
type PushCampaignStatus string

// The campaign states.
const (
	// PushCampaignCreated collects users; nothing is sent yet.
	PushCampaignCreated PushCampaignStatus = "CREATED"
	// PushCampaignSending queues its messages in batches.
	PushCampaignSending PushCampaignStatus = "SENDING"
	// PushCampaignSent has queued a message for every device.
	PushCampaignSent PushCampaignStatus = "SENT"
	// PushCampaignCanceled was stopped; its unsent messages failed.
	PushCampaignCanceled PushCampaignStatus = "CANCELED"
)

// PushCampaign is a message to many users of an application.
type PushCampaign struct {
	// ID is assigned by the store.
	ID int64
	// ApplicationID is the internal id of the application.
	ApplicationID int64
	// Message is the message body as JSON (the push vertical's format).
	Message []byte
	// Status is the campaign's state.
	Status PushCampaignStatus
	// Cursor is the last user (in user id order) whose devices were queued.
	Cursor string
	// Created, Sent (live send started) and Completed (every message
	// queued) times; zero when not yet.
	Created, Sent, Completed time.Time
}

// PushCampaignProgress counts a campaign's outbox messages by state.
type PushCampaignProgress struct {
	Sent, Failed, Pending, Total int64
}
