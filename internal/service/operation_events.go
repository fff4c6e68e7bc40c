package service

import (
	"context"
	"strconv"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// onOperationChanged is called inside the transaction after every
// operation status change: creation, approval, each failed approval
// attempt, rejection, cancellation and expiry. op is the operation as
// stored. An error rolls the transaction back (and with it the change).
//
// The callbacks engineer fills this in (OPERATION_STATUS_CHANGE outbox
// rows, audit log) and owns this file afterwards. It must have no side
// effects outside tx, as InTx may run the transaction more than once.
func (s *Service) onOperationChanged(ctx context.Context, tx store.Tx, op domain.Operation) error {
	if err := s.enqueueOperationEvents(ctx, tx, op); err != nil {
		return err
	}
	app := ""
	if len(op.ApplicationIDs) > 0 {
		if a, err := tx.GetApplication(ctx, op.ApplicationIDs[0]); err == nil {
			app = a.Name
		}
	}
	return s.writeAudit(ctx, tx, domain.AuditEntry{
		Type: domain.AuditOperationTransition, ActivationID: op.ActivationID, UserID: op.UserID, Application: app,
		Details: map[string]string{
			"operationId": op.ID, "status": op.Status.String(), "statusReason": op.StatusReason,
			"operationType": op.OperationType, "failureCount": strconv.FormatInt(op.FailureCount, 10),
			"externalId": op.ExternalID,
		},
	})
}

// notifyOperationCreated is called after the transaction that created op
// committed, exactly once per created operation: it tells the configured
// OperationNotifier (push notifications). It cannot fail the request.
func (s *Service) notifyOperationCreated(ctx context.Context, op domain.Operation) {
	if s.notifier != nil {
		s.notifier.OperationCreated(ctx, op)
	}
}
