package push

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// MessageTypeDeviceAdded tells the user's other devices that a new device
// of theirs became ACTIVE in the application.
const MessageTypeDeviceAdded = "mauth.device.added"

// maxNoticeName bounds the device name quoted in a new-device notice, so
// the message always fits the providers' payload limits.
const maxNoticeName = 100

// DeviceAdded is a device (activation) that just became ACTIVE.
type DeviceAdded struct {
	// Activation is the new activation.
	Activation domain.Activation
	// At is when it became ACTIVE.
	At time.Time
}

// printable returns s as valid UTF-8 without control characters, cut to
// at most max runes (an ellipsis marks a cut); def when nothing is left.
func printable(s string, max int, def string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
	s = strings.TrimSpace(s)
	if s == "" {
		return def
	}
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max]) + "…"
	}
	return s
}

func (d DeviceAdded) name() string {
	return printable(d.Activation.Name, maxNoticeName, "unnamed device")
}

func (d DeviceAdded) platform() string { return printable(d.Activation.Platform, 20, "unknown") }

func (d DeviceAdded) at() string { return d.At.UTC().Format(time.RFC3339) }

// The texts of a new-device notice.
const (
	deviceAddedTitle = "New device added"
)

func (d DeviceAdded) text() string {
	return fmt.Sprintf("A new device \u201c%s\u201d (%s) was activated for your account at %s.", d.name(), d.platform(), d.at())
}

// Extras are the push message's extras: messageType, the new device's
// activation id, name and platform, and the time it became ACTIVE.
func (d DeviceAdded) Extras() map[string]string {
	return map[string]string{
		"messageType":    MessageTypeDeviceAdded,
		"activationId":   d.Activation.ActivationID,
		"deviceName":     d.name(),
		"devicePlatform": d.platform(),
		"activatedAt":    d.at(),
	}
}

// Body is the push message body of the notice.
func (d DeviceAdded) Body() Body {
	extras := map[string]any{}
	for k, v := range d.Extras() {
		extras[k] = v
	}
	return Body{Title: deviceAddedTitle, Body: d.text(), Sound: "default", Category: "mauth.device", Extras: extras}
}

// Message is the logging sender's view of the notice.
func (d DeviceAdded) Message() Message {
	return Message{Title: deviceAddedTitle, Body: d.text(), Sound: "default", Category: "mauth.device", Priority: PriorityHigh, Extras: d.Extras()}
}

// InboxMessage is the text inbox message of the notice for the user in
// the new device's application.
func (d DeviceAdded) InboxMessage(now time.Time) domain.InboxMessage {
	return domain.InboxMessage{
		ID: uuid.NewString(), UserID: d.Activation.UserID, Type: domain.InboxTypeText,
		Subject: deviceAddedTitle, Summary: d.text(),
		Body:           d.text() + "\nIf it was not you, block or remove the device in the list of your devices and contact your bank.",
		ApplicationIDs: []int64{d.Activation.ApplicationID}, Created: now,
	}
}

// EnqueueDeviceAdded announces, inside the caller's transaction, that a
// device became ACTIVE to the user's OTHER ACTIVE devices in the same
// application: one inbox message for the user in the application, and a
// personal push message in the outbox for every other registered device.
// Devices whose application has no credentials for their platform are
// returned for the fallback sender (the logging sender), which the caller
// runs after commit. When the user has no other ACTIVE device, nothing is
// written. queued reports whether an outbox row was written.
func (s *Service) EnqueueDeviceAdded(ctx context.Context, tx store.Tx, d DeviceAdded) (fallback []Device, queued bool, err error) {
	a := d.Activation
	others, err := tx.ListActivations(ctx, store.ActivationListFilter{
		UserID: a.UserID, ApplicationID: a.ApplicationID, Statuses: []domain.ActivationStatus{domain.ActivationActive}, Limit: 2,
	})
	if err != nil {
		return nil, false, fmt.Errorf("push: other devices: %w", err)
	}
	other := false
	for _, o := range others {
		if o.ActivationID != a.ActivationID {
			other = true
		}
	}
	if !other {
		return nil, false, nil
	}
	now := s.now()
	m := d.InboxMessage(now)
	if err := tx.CreateInboxMessage(ctx, &m); err != nil {
		return nil, false, fmt.Errorf("push: new-device inbox message: %w", err)
	}
	app, err := tx.GetApplication(ctx, a.ApplicationID)
	if err != nil {
		return nil, false, fmt.Errorf("push: application of activation: %w", err)
	}
	creds, err := tx.GetPushCredentials(ctx, a.ApplicationID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, false, fmt.Errorf("push: credentials: %w", err)
	}
	devices, err := tx.ListPushDevices(ctx, a.ApplicationID, a.UserID)
	if err != nil {
		return nil, false, fmt.Errorf("push: devices: %w", err)
	}
	raw, err := json.Marshal(stored{Body: d.Body(), Priority: PriorityHigh})
	if err != nil {
		return nil, false, fmt.Errorf("push: new-device message: %w", err)
	}
	for _, pd := range devices {
		if pd.ActivationID == a.ActivationID {
			continue
		}
		ok, err := deliverable(ctx, tx, pd.ActivationID, true)
		if err != nil {
			return nil, false, fmt.Errorf("push: activation of device: %w", err)
		}
		if !ok {
			continue
		}
		if !configured(creds, Platform(pd.Platform)) {
			fallback = append(fallback, toDevice(pd, app.Name))
			continue
		}
		row := newRow(a.ApplicationID, pd, raw, true, now)
		if err := tx.CreatePushMessage(ctx, &row); err != nil {
			return nil, false, fmt.Errorf("push: queue message: %w", err)
		}
		queued = true
	}
	return fallback, queued, nil
}
