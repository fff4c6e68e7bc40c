package app

import (
	"context"
	"log/slog"
	"net/http"

	apiinbox "github.com/mauth/mauth/internal/api/inbox"
	"github.com/mauth/mauth/internal/push"
	pushinbox "github.com/mauth/mauth/internal/push/inbox"
	"github.com/mauth/mauth/internal/store"
)

// inbox returns the push server's inbox over the store (built once).
func (a *App) inbox() *pushinbox.Service {
	if a.inboxSvc == nil {
		a.inboxSvc = pushinbox.New(pushinbox.Options{Store: a.Store, Notifier: newInboxNotifier(a.Store, a.Push, a.log), Logger: a.log})
	}
	return a.inboxSvc
}

// withInbox routes the private listener's /inbox/… to the push server's
// inbox API, behind the integration authentication of /rest/v3 when
// access is restricted; everything else goes to next.
func (a *App) withInbox(next http.Handler) http.Handler {
	opts := apiinbox.PrivateOptions{Inbox: a.inbox(), Logger: a.log}
	if a.cfg.RestrictAccess {
		svc := a.Service
		opts.Authenticate = func(ctx context.Context, token, secret string) (pushinbox.Scope, bool) {
			p, ok := svc.Authenticate(ctx, token, secret)
			if !ok {
				return pushinbox.Scope{}, false
			}
			return pushinbox.Scope{All: p.Admin(), ApplicationIDs: p.Applications}, true
		}
	}
	inbox := apiinbox.NewPrivate(opts).Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if apiinbox.Owns(r.URL.Path) {
			inbox.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// inboxNotifier announces new inbox messages to the user's registered
// devices, with the payload the Mobile Token SDKs recognise: through the
// push outbox (delivered by APNs, FCM or HMS, retried, kept PENDING across
// restarts) when the application has provider credentials, else through
// the logging sender.
type inboxNotifier struct {
	push    *push.Service // nil outside the core roles
	devices push.DeviceLister
	sender  push.Sender
}

func newInboxNotifier(st store.Store, ps *push.Service, log *slog.Logger) *inboxNotifier {
	return &inboxNotifier{push: ps, devices: push.NewRegistry(st, nil), sender: push.LogSender{Logger: log}}
}

// messageTypeInboxNew is the messageType of a new inbox message.
const messageTypeInboxNew = "mtoken.inboxMessage.new"

// The text of the notification of a new inbox message.
const (
	inboxPushTitle = "New message"
	inboxPushBody  = "You have a new message in your inbox."
)

// InboxMessageArrived implements pushinbox.Notifier.
func (n *inboxNotifier) InboxMessageArrived(ctx context.Context, application, userID, messageID string) error {
	if n.push != nil {
		if info, err := n.push.App(ctx, application); err == nil && (info.APNs || info.FCM || info.HMS) {
			_, err := n.push.Send(ctx, application, []push.SendMessage{{
				UserID: userID, Personal: true, Priority: push.PriorityNormal,
				Body: push.Body{
					Title: inboxPushTitle, Body: inboxPushBody, Category: "inbox", Sound: "default",
					Extras: map[string]any{"messageType": messageTypeInboxNew, "inboxId": messageID},
				},
			}}, false)
			return err
		}
	}
	ds, err := n.devices.Devices(ctx, application, userID)
	if err != nil {
		return err
	}
	msg := push.Message{
		Title: inboxPushTitle, Body: inboxPushBody, Category: "inbox", Sound: "default",
		Priority: push.PriorityNormal, Extras: map[string]string{"messageType": messageTypeInboxNew, "inboxId": messageID},
	}
	for _, d := range ds {
		if err := n.sender.Send(ctx, d, msg); err != nil {
			return err
		}
	}
	return nil
}
