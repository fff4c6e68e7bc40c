package app

import (
	"context"
	"log/slog"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/push"
	"github.com/mauth/mauth/internal/store"
)

// pushNotifier tells the user's registered devices about new operations
// through the push sender (a logging sender until a real provider is
// configured).
type pushNotifier struct {
	st  store.Store
	n   *push.Notifier
	log *slog.Logger
}

func newPushNotifier(st store.Store, log *slog.Logger) *pushNotifier {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &pushNotifier{st: st, n: push.NewNotifier(push.NewRegistry(st, nil), push.LogSender{Logger: log}, log), log: log}
}

// OperationCreated implements service.OperationNotifier.
func (p *pushNotifier) OperationCreated(ctx context.Context, op domain.Operation) {
	apps := make([]string, 0, len(op.ApplicationIDs))
	for _, id := range op.ApplicationIDs {
		if a, err := p.st.GetApplication(ctx, id); err == nil {
			apps = append(apps, a.Name)
		}
	}
	err := p.n.OperationCreated(ctx, push.Operation{ID: op.ID, UserID: op.UserID, Applications: apps, OperationType: op.OperationType, ActivationID: op.ActivationID})
	if err != nil {
		p.log.WarnContext(ctx, "push notification failed", "operationId", op.ID, "error", err)
	}
}
