// Package inbox is the HTTP surface of the push server's inbox
// (internal/push/inbox), in two parts:
//
//   - Private: the push server's /inbox/messages… API on the private
//     listener for the bank's backend, with the push server's envelope,
//     field names and error codes, behind the integration authentication
//     of /rest/v3 (an APPLICATION integration acts on the applications it
//     is granted);
//   - Public: the phone's /api/inbox/… API on the public listener, with a
//     MAC token of the device, scoped to the device's user and
//     application, with the enrollment server's error codes.
package inbox

import (
	"context"
	"time"

	pushinbox "github.com/mauth/mauth/internal/push/inbox"
)

// Inbox is what the surface needs of the inbox (*pushinbox.Service).
type Inbox interface {
	Create(ctx context.Context, scope pushinbox.Scope, in pushinbox.NewMessage) (pushinbox.Message, error)
	List(ctx context.Context, scope pushinbox.Scope, q pushinbox.ListQuery) ([]pushinbox.Message, error)
	CountUnread(ctx context.Context, scope pushinbox.Scope, userID, application string) (int64, error)
	Detail(ctx context.Context, scope pushinbox.Scope, id string) (pushinbox.Message, error)
	Read(ctx context.Context, scope pushinbox.Scope, id string) (pushinbox.Message, error)
	ReadAll(ctx context.Context, scope pushinbox.Scope, userID, application string) (int64, error)
	DeviceScope(ctx context.Context, application, userID string) (pushinbox.Scope, error)
}

var _ Inbox = (*pushinbox.Service)(nil)

// timestamp renders a time for the JSON answers (nil for the zero time).
func timestamp(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}
