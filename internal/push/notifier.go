package push

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
)

// Message types the apps recognise in Extras["messageType"].
const (
	// MessageTypeOperationCreated announces a new operation to approve.
	MessageTypeOperationCreated = "mtoken.operationInit"
	// MessageTypeOperationFinished tells the app an operation left PENDING.
	MessageTypeOperationFinished = "mtoken.operationFinished"
)

// Operation is what the Notifier needs to know about an operation.
type Operation struct {
	// ID is the operation id.
	ID string
	// UserID is the user who must approve it; empty for a claimable
	// operation, which is announced to nobody.
	UserID string
	// Applications are the names of the applications it is bound to.
	Applications []string
	// OperationType is the template's operation type (e.g. "payment").
	OperationType string
	// ActivationID restricts the operation to one activation; empty for any.
	ActivationID string
	// Title and Body are the texts of the notification (optional).
	Title, Body string
}

// DeviceLister finds the registered devices of a user in an application.
type DeviceLister interface {
	Devices(ctx context.Context, applicationName, userID string) ([]Device, error)
}

// Notifier sends the push messages of operation events to the user's
// registered devices.
type Notifier struct {
	devices DeviceLister
	sender  Sender
	log     *slog.Logger
}

// NewNotifier returns a notifier over the registered devices and a sender.
func NewNotifier(devices DeviceLister, sender Sender, log *slog.Logger) *Notifier {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Notifier{devices: devices, sender: sender, log: log}
}

// OperationCreated notifies every registered device of the operation's
// user in its applications (only the bound activation when the operation
// has one). A failing device does not stop the others; the failures are
// logged and returned joined. Call it after the operation is committed.
func (n *Notifier) OperationCreated(ctx context.Context, op Operation) error {
	if op.UserID == "" {
		return nil
	}
	title := op.Title
	if title == "" {
		title = "New operation"
	}
	body := op.Body
	if body == "" {
		body = "An operation is waiting for your approval."
	}
	msg := Message{
		Title:    title,
		Body:     body,
		Category: "mtoken",
		Sound:    "default",
		Priority: PriorityHigh,
		Extras: map[string]string{
			"messageType":   MessageTypeOperationCreated,
			"operationId":   op.ID,
			"operationName": op.OperationType,
		},
	}
	var errs []error
	for _, app := range op.Applications {
		ds, err := n.devices.Devices(ctx, app, op.UserID)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, d := range ds {
			if op.ActivationID != "" && d.ActivationID != op.ActivationID {
				continue
			}
			if err := n.sender.Send(ctx, d, msg); err != nil {
				n.log.WarnContext(ctx, "push message not sent", "activationId", d.ActivationID, "platform", string(d.Platform), "error", err)
				errs = append(errs, fmt.Errorf("push to activation %s: %w", d.ActivationID, err))
			}
		}
	}
	return errors.Join(errs...)
}
