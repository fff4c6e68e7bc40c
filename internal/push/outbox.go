package push

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/push/apns"
	"github.com/mauth/mauth/internal/push/provider"
	"github.com/mauth/mauth/internal/store"
)

// Body is a push message body (the reference's PushMessageBody).
type Body struct {
	Title        string         `json:"title,omitempty"`
	TitleLocKey  string         `json:"titleLocKey,omitempty"`
	TitleLocArgs []string       `json:"titleLocArgs,omitempty"`
	Body         string         `json:"body,omitempty"`
	BodyLocKey   string         `json:"bodyLocKey,omitempty"`
	BodyLocArgs  []string       `json:"bodyLocArgs,omitempty"`
	Badge        *int           `json:"badge,omitempty"`
	Sound        string         `json:"sound,omitempty"`
	Icon         string         `json:"icon,omitempty"`
	Category     string         `json:"category,omitempty"`
	CollapseKey  string         `json:"collapseKey,omitempty"`
	ValidUntil   *time.Time     `json:"validUntil,omitempty"`
	Extras       map[string]any `json:"extras,omitempty"`
}

// stored is the outbox row's message body: the body plus the message
// attributes the provider needs.
type stored struct {
	Body
	Silent   bool     `json:"silent,omitempty"`
	Priority Priority `json:"priority,omitempty"`
}

func (m stored) providerMessage() provider.Message {
	pm := provider.Message{
		Title: m.Title, Body: m.Body.Body, TitleLocKey: m.TitleLocKey, TitleLocArgs: m.TitleLocArgs,
		BodyLocKey: m.BodyLocKey, BodyLocArgs: m.BodyLocArgs, Badge: m.Badge, Sound: m.Sound, Icon: m.Icon,
		Category: m.Category, CollapseKey: m.CollapseKey, CollapseID: m.CollapseKey,
		Priority: provider.Priority(m.Priority), Silent: m.Silent, Extras: m.Extras,
	}
	if m.ValidUntil != nil {
		pm.ValidUntil = *m.ValidUntil
	}
	return pm
}

// MaxCollapseKey bounds a collapse key: it is also the apns-collapse-id.
const MaxCollapseKey = apns.MaxCollapseID

// validate checks a message body before anything is stored: the APNs
// payload limit (the smallest of the providers) and the collapse id.
func (m stored) validate() error {
	if m.Priority != "" && m.Priority != PriorityHigh && m.Priority != PriorityNormal {
		return invalid("priority must be HIGH or NORMAL")
	}
	if len(m.CollapseKey) > MaxCollapseKey {
		return invalid("collapseKey has %d bytes, at most %d", len(m.CollapseKey), MaxCollapseKey)
	}
	if _, err := apns.Payload(m.providerMessage()); err != nil {
		if errors.Is(err, provider.ErrPayloadTooLarge) {
			return invalid("message too large: %v", err)
		}
		return invalid("message cannot be sent: %v", err)
	}
	return nil
}

// SendMessage is one message of the push server API.
type SendMessage struct {
	// UserID is the user whose devices get it (required).
	UserID string
	// ActivationID restricts it to one activation; empty for all the
	// user's devices in the application.
	ActivationID string
	// Priority is HIGH unless NORMAL.
	Priority Priority
	// Silent messages only wake the app.
	Silent bool
	// Personal messages skip devices whose activation is not ACTIVE.
	Personal bool
	// Body is the content.
	Body Body
}

// Counts are the outcome of a send for one platform.
type Counts struct {
	Sent, Pending, Failed, Total int
}

// SendResult is the outcome of a synchronous send per platform.
type SendResult struct {
	APNs, FCM, HMS Counts
}

func (r *SendResult) counts(p Platform) *Counts {
	switch p {
	case PlatformFCM:
		return &r.FCM
	case PlatformHMS:
		return &r.HMS
	}
	return &r.APNs
}

// MaxBatch bounds the messages of one batch send (as the reference).
const MaxBatch = 20

// Send queues messages of an application (by name) to their users'
// devices in one transaction: every device gets an outbox row, nothing is
// stored when a message is refused. Synchronous sends deliver the rows
// before returning and report the outcome per platform (a message still
// PENDING, e.g. waiting for a retry, is counted pending and delivered
// later by the dispatcher); asynchronous ones return at once and the
// dispatcher delivers them. Devices of a platform the application has no
// credentials for are skipped, as in the reference.
func (s *Service) Send(ctx context.Context, appName string, msgs []SendMessage, sync bool) (SendResult, error) {
	if len(msgs) == 0 {
		return SendResult{}, invalid("no message")
	}
	bodies := make([][]byte, len(msgs))
	for i, m := range msgs {
		if strings.TrimSpace(m.UserID) == "" {
			return SendResult{}, invalid("userId is required")
		}
		st := stored{Body: m.Body, Silent: m.Silent, Priority: m.Priority}
		if err := st.validate(); err != nil {
			return SendResult{}, err
		}
		b, err := json.Marshal(st)
		if err != nil {
			return SendResult{}, invalid("message body is not JSON: %v", err)
		}
		bodies[i] = b
	}
	lease := ""
	if sync {
		lease = "sync-" + uuid.NewString()
	}
	var rows []domain.PushMessage
	err := s.st.InTx(ctx, func(tx store.Tx) error {
		rows = nil
		app, err := appByName(ctx, tx, appName)
		if err != nil {
			return err
		}
		creds, err := tx.GetPushCredentials(ctx, app.ID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && !configured(creds, PlatformAPNs) && !configured(creds, PlatformFCM) && !configured(creds, PlatformHMS)) {
			return ErrNotConfigured
		}
		if err != nil {
			return err
		}
		now := s.now()
		for i, m := range msgs {
			devices, err := tx.ListPushDevices(ctx, app.ID, m.UserID)
			if err != nil {
				return err
			}
			for _, d := range devices {
				if m.ActivationID != "" && d.ActivationID != m.ActivationID {
					continue
				}
				if !configured(creds, Platform(d.Platform)) {
					continue
				}
				ok, err := deliverable(ctx, tx, d.ActivationID, m.Personal)
				if err != nil {
					return err
				}
				if !ok {
					continue
				}
				row := newRow(app.ID, d, bodies[i], m.Personal, now)
				if sync {
					row.Lease, row.Next, row.Attempts = lease, now.Add(s.cfg.Lease), 1
				}
				if err := tx.CreatePushMessage(ctx, &row); err != nil {
					return err
				}
				rows = append(rows, row)
			}
		}
		return nil
	})
	if err != nil {
		return SendResult{}, err
	}
	var res SendResult
	if !sync {
		s.Wake()
		return res, nil
	}
	done := make([]domain.PushMessage, len(rows))
	s.deliverAll(ctx, rows, lease, done)
	for _, m := range done {
		c := res.counts(Platform(m.Platform))
		c.Total++
		switch m.Status {
		case domain.PushMessageSent:
			c.Sent++
		case domain.PushMessageFailed:
			c.Failed++
		default:
			c.Pending++
		}
	}
	return res, nil
}

// deliverable tells whether an activation's device may get a message:
// never when the activation is REMOVED or gone, and only when ACTIVE for a
// personal message.
func deliverable(ctx context.Context, r store.Reader, activationID string, personal bool) (bool, error) {
	a, err := r.GetActivation(ctx, activationID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if a.Status == domain.ActivationRemoved {
		return false, nil
	}
	return !personal || a.Status == domain.ActivationActive, nil
}

func newRow(appID int64, d domain.PushDevice, body []byte, personal bool, now time.Time) domain.PushMessage {
	return domain.PushMessage{
		ApplicationID: appID, ActivationID: d.ActivationID, UserID: d.UserID, Platform: d.Platform, Token: d.Token,
		Environment: d.Environment, Body: body, Personal: personal, Status: domain.PushMessagePending,
		Created: now, Next: now,
	}
}

// Operation results of mtoken.operationFinished (mtokenOperationResult).
const (
	ResultSuccess  = "authentication.success"
	ResultFail     = "authentication.fail"
	ResultTimeout  = "operation.timeout"
	ResultCanceled = "operation.canceled"
)

// OperationResult maps a finished operation's status to the
// mtokenOperationResult value the Mobile Token SDKs parse; empty for a
// PENDING operation.
func OperationResult(s domain.OperationStatus) string {
	switch s {
	case domain.OperationApproved:
		return ResultSuccess
	case domain.OperationRejected, domain.OperationFailed:
		return ResultFail
	case domain.OperationExpired:
		return ResultTimeout
	case domain.OperationCanceled:
		return ResultCanceled
	}
	return ""
}

// OperationMessage builds the Mobile Token push of an operation event:
// mtoken.operationInit (visible, with title and body) for a PENDING
// operation, mtoken.operationFinished (silent) with its result otherwise.
// The keys are the ones Wultra's Mobile Token SDKs parse: messageType,
// operationId, operationName and mtokenOperationResult, all strings.
func OperationMessage(op domain.Operation) (Body, bool) {
	extras := map[string]any{"operationId": op.ID, "operationName": op.OperationType}
	collapse := "mtoken-" + op.ID
	if len(collapse) > MaxCollapseKey {
		collapse = collapse[:MaxCollapseKey]
	}
	if op.Status == domain.OperationPending {
		extras["messageType"] = MessageTypeOperationCreated
		return Body{
			Title: "New operation", Body: "An operation is waiting for your approval.", Sound: "default",
			Category: "mtoken", CollapseKey: collapse, Extras: extras,
		}, false
	}
	extras["messageType"] = MessageTypeOperationFinished
	extras["mtokenOperationResult"] = OperationResult(op.Status)
	return Body{CollapseKey: collapse, Extras: extras}, true
}

// EnqueueOperation queues, inside the caller's transaction, the Mobile
// Token push of an operation event for every registered device of the
// operation's user in its applications (only the bound activation when the
// operation has one; only ACTIVE activations). Devices whose application
// has no credentials for their platform are returned for the fallback
// sender (the logging sender), which the caller runs after commit. A
// claimable operation (no user) is announced to nobody.
func (s *Service) EnqueueOperation(ctx context.Context, tx store.Tx, op domain.Operation) ([]Device, error) {
	if op.UserID == "" {
		return nil, nil
	}
	body, silent := OperationMessage(op)
	raw, err := json.Marshal(stored{Body: body, Silent: silent, Priority: PriorityHigh})
	if err != nil {
		return nil, fmt.Errorf("push: operation message: %w", err)
	}
	now := s.now()
	var fallback []Device
	for _, appID := range op.ApplicationIDs {
		app, err := tx.GetApplication(ctx, appID)
		if err != nil {
			return nil, fmt.Errorf("push: application of operation: %w", err)
		}
		creds, err := tx.GetPushCredentials(ctx, appID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("push: credentials: %w", err)
		}
		devices, err := tx.ListPushDevices(ctx, appID, op.UserID)
		if err != nil {
			return nil, fmt.Errorf("push: devices: %w", err)
		}
		for _, d := range devices {
			if op.ActivationID != "" && d.ActivationID != op.ActivationID {
				continue
			}
			ok, err := deliverable(ctx, tx, d.ActivationID, true)
			if err != nil {
				return nil, fmt.Errorf("push: activation of device: %w", err)
			}
			if !ok {
				continue
			}
			if !configured(creds, Platform(d.Platform)) {
				fallback = append(fallback, toDevice(d, app.Name))
				continue
			}
			row := newRow(appID, d, raw, true, now)
			if err := tx.CreatePushMessage(ctx, &row); err != nil {
				return nil, fmt.Errorf("push: queue message: %w", err)
			}
		}
	}
	return fallback, nil
}

// LegacyMessage is the logging sender's view of an operation push.
func LegacyMessage(op domain.Operation) Message {
	body, silent := OperationMessage(op)
	extras := map[string]string{}
	for k, v := range body.Extras {
		extras[k] = fmt.Sprint(v)
	}
	return Message{Title: body.Title, Body: body.Body, Category: body.Category, Sound: body.Sound, Silent: silent, Priority: PriorityHigh, Extras: extras}
}
