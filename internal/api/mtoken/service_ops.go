package mtoken

import (
	"context"
	"fmt"

	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/protocol"
)

// ServiceOperations implements Operations in-process over the core service.
type ServiceOperations struct {
	Service *service.Service
}

var _ Operations = ServiceOperations{}

// toOperation converts the core's view (never exposing the proximity
// seed, the current proximity OTP or the number to match).
func toOperation(d service.OperationDetail) Operation {
	return Operation{
		ID:              d.ID,
		UserID:          d.UserID,
		Applications:    d.Applications,
		ExternalID:      d.ExternalID,
		ActivationFlag:  d.ActivationFlag,
		ActivationID:    d.Operation.ActivationID,
		OperationType:   d.OperationType,
		TemplateName:    d.TemplateName,
		Data:            d.Data,
		Parameters:      d.Parameters,
		Status:          d.Status.String(),
		StatusReason:    d.StatusReason,
		SignatureTypes:  d.SignatureTypes,
		FailureCount:    d.FailureCount,
		MaxFailureCount: d.MaxFailureCount,
		Created:         d.Created,
		Expires:         d.Expires,
		RiskFlags:       d.RiskFlags,
		ProximityCheck:  len(d.TotpSeedEncrypted) > 0,
		NumberMatching:  d.Operation.NumberMatching != "",
	}
}

func toOperations(ds []service.OperationDetail) []Operation {
	out := make([]Operation, len(ds))
	for i, d := range ds {
		out[i] = toOperation(d)
	}
	return out
}

// withOptions is toOperation plus the numbers the user picks from when a
// PENDING operation uses number matching.
func (o ServiceOperations) withOptions(ctx context.Context, d service.OperationDetail) (Operation, error) {
	op := toOperation(d)
	if d.Operation.NumberMatching == "" || op.Status != StatusPending {
		return op, nil
	}
	opts, err := o.Service.NumberMatchingOptions(ctx, d.Operation)
	if err != nil {
		return op, fmt.Errorf("number matching options: %w", err)
	}
	op.NumberMatchingOptions = opts
	return op, nil
}

// listWithOptions is withOptions over a list.
func (o ServiceOperations) listWithOptions(ctx context.Context, ds []service.OperationDetail, err error) ([]Operation, error) {
	if err != nil {
		return toOperations(ds), err
	}
	out := make([]Operation, len(ds))
	for i, d := range ds {
		if out[i], err = o.withOptions(ctx, d); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// oneWithOptions is withOptions after a core call.
func (o ServiceOperations) oneWithOptions(ctx context.Context, d service.OperationDetail, err error) (Operation, error) {
	if err != nil {
		return toOperation(d), err
	}
	return o.withOptions(ctx, d)
}

func toResult(r service.OperationActionResult) ActionResult {
	return ActionResult{Result: string(r.Result), Operation: toOperation(r.Operation)}
}

// PendingOperations implements Operations.
func (o ServiceOperations) PendingOperations(ctx context.Context, q ListQuery) ([]Operation, error) {
	ds, err := o.Service.ListOperations(ctx, service.OperationListInput{
		UserID: q.UserID, Applications: []string{q.ApplicationID}, ActivationID: q.ActivationID, PendingOnly: true, PageSize: q.Limit,
	})
	return o.listWithOptions(ctx, ds, err)
}

// OperationHistory implements Operations.
func (o ServiceOperations) OperationHistory(ctx context.Context, q ListQuery) ([]Operation, error) {
	ds, err := o.Service.ListOperations(ctx, service.OperationListInput{
		UserID: q.UserID, Applications: []string{q.ApplicationID}, ActivationID: q.ActivationID, PageSize: q.Limit,
	})
	return o.listWithOptions(ctx, ds, err)
}

// OperationDetail implements Operations.
func (o ServiceOperations) OperationDetail(ctx context.Context, operationID string) (Operation, error) {
	d, err := o.Service.GetOperation(ctx, operationID, "")
	return o.oneWithOptions(ctx, d, err)
}

// ClaimOperation implements Operations.
func (o ServiceOperations) ClaimOperation(ctx context.Context, operationID, userID string) (Operation, error) {
	d, err := o.Service.ClaimOperation(ctx, operationID, userID)
	return o.oneWithOptions(ctx, d, err)
}

// ApproveOperation implements Operations.
func (o ServiceOperations) ApproveOperation(ctx context.Context, in ApproveRequest) (ActionResult, error) {
	r, err := o.Service.ApproveOperation(ctx, service.ApproveOperationInput{
		OperationID:     in.OperationID,
		UserID:          in.UserID,
		ApplicationName: in.ApplicationID,
		Data:            in.Data,
		SignatureType:   protocol.SignatureType(in.SignatureType),
		AdditionalData:  in.AdditionalData,
	})
	return toResult(r), err
}

// FailApproveOperation implements Operations.
func (o ServiceOperations) FailApproveOperation(ctx context.Context, operationID, activationID string) (ActionResult, error) {
	r, err := o.Service.FailOperationApprovalOfDevice(ctx, operationID, activationID)
	return toResult(r), err
}

// RejectOperation implements Operations.
func (o ServiceOperations) RejectOperation(ctx context.Context, in RejectRequest) (ActionResult, error) {
	r, err := o.Service.RejectOperation(ctx, service.RejectOperationInput{
		OperationID:     in.OperationID,
		UserID:          in.UserID,
		ApplicationName: in.ApplicationID,
		AdditionalData:  in.AdditionalData,
	})
	return toResult(r), err
}
