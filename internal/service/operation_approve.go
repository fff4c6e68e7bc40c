package service

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/protocol"
)

// UserActionResult is the outcome of a user's action on an operation.
type UserActionResult string

// User action results.
const (
	ResultApproved        UserActionResult = "APPROVED"
	ResultApprovalFailed  UserActionResult = "APPROVAL_FAILED"
	ResultRejected        UserActionResult = "REJECTED"
	ResultRejectFailed    UserActionResult = "REJECT_FAILED"
	ResultOperationFailed UserActionResult = "OPERATION_FAILED"
)

// Keys of additionalData the approval checks read.
const (
	// AdditionalDataProximityOTP carries the proximity-check TOTP.
	AdditionalDataProximityOTP = "proximity_otp"
	// AdditionalDataNumberMatching carries the number the user picked.
	AdditionalDataNumberMatching = "numberMatching"
	// AdditionalDataActivationID carries the approving activation.
	AdditionalDataActivationID = "activationId"
)

// OperationActionResult is the result of approve, approve/fail and reject.
type OperationActionResult struct {
	// Result is what happened.
	Result UserActionResult
	// Operation is the operation after the action.
	Operation OperationDetail
}

// ApproveOperationInput is a user's approval (the caller already verified
// the PowerAuth signature of the device).
type ApproveOperationInput struct {
	// OperationID is the operation.
	OperationID string
	// UserID is the approving user.
	UserID string
	// ApplicationName is the approving application (the API's applicationId).
	ApplicationName string
	// Data is the data the user signed; it must equal the operation data.
	Data string
	// SignatureType is the factor combination used.
	SignatureType protocol.SignatureType
	// AdditionalData is merged into the operation; it carries the
	// proximity TOTP, the number-matching answer and the activation id.
	AdditionalData map[string]any
}

// approveChecks disables checks already done by the caller (offline
// approval verified the proximity TOTP inside the signature).
type approveChecks struct {
	skipProximity      bool
	skipNumberMatching bool
}

// ApproveOperation approves a PENDING operation when every condition
// holds: the application is one of the operation's, the user matches (or
// the operation has none), the data is byte-equal, the signature type is
// allowed, attempts are left, the proximity TOTP (when the operation has a
// seed) and the number-matching answer (when it has a number) are right,
// and the operation's activation (when bound) is the approving one.
// Otherwise the failed attempt is counted (APPROVAL_FAILED, or
// OPERATION_FAILED at the limit). An unknown operation or one that is no
// longer PENDING is CodeOperationApproveFailure.
func (s *Service) ApproveOperation(ctx context.Context, in ApproveOperationInput) (OperationActionResult, error) {
	return s.approveOperation(ctx, in, approveChecks{})
}

func (s *Service) approveOperation(ctx context.Context, in ApproveOperationInput, checks approveChecks) (OperationActionResult, error) {
	if in.OperationID == "" || in.UserID == "" || in.ApplicationName == "" || in.Data == "" || in.SignatureType == "" {
		return OperationActionResult{}, Errorf(CodeInvalidRequest, "operationId, userId, applicationId, data, signatureType - must not be blank")
	}
	if _, err := protocol.ParseSignatureType(string(in.SignatureType)); err != nil {
		return OperationActionResult{}, Errorf(CodeInvalidRequest, "signatureType - unknown value")
	}
	approveFailure := func() error {
		return Errorf(CodeOperationApproveFailure, "Operation approval failed.")
	}
	var res OperationActionResult
	err := s.inTxOutcome(ctx, func(tx store.Tx) (error, error) {
		op, app, now, outcome, err := s.lockForDecision(ctx, tx, in.OperationID, in.ApplicationName, approveFailure)
		if outcome != nil || err != nil {
			return outcome, err // an outcome keeps a lazy expiry
		}
		ok, err := s.approvalAllowed(op, app, in, checks, now)
		if err != nil {
			return nil, err
		}
		op.AdditionalData = mergeData(op.AdditionalData, in.AdditionalData)
		if ok {
			op.UserID, op.Status, op.Finalized = in.UserID, domain.OperationApproved, now
			res.Result = ResultApproved
		} else {
			res.Result = countFailure(&op, now)
		}
		if err := s.saveOperation(ctx, tx, &op, "update operation"); err != nil {
			return nil, err
		}
		res.Operation, err = s.detailOf(ctx, tx, op)
		return nil, err
	})
	if err != nil {
		return OperationActionResult{}, wrapStoreErr("approve operation", err)
	}
	return res, nil
}

// lockForDecision locks an operation for a user's decision in the named
// application and expires it when due. failure builds the error for an
// unknown operation (a failure) and for one that is not PENDING (an
// outcome, see inTxOutcome).
func (s *Service) lockForDecision(ctx context.Context, tx store.Tx, id, appName string, failure func() error) (op domain.Operation, app domain.Application, now time.Time, outcome, err error) {
	op, err = lockOperation(ctx, tx, id, failure)
	if err != nil {
		return op, app, now, nil, err
	}
	app, err = s.applicationByName(ctx, tx, appName)
	if err != nil {
		return op, app, now, nil, err
	}
	now, outcome, err = s.expirePending(ctx, tx, &op, failure)
	return op, app, now, outcome, err
}

// countFailure adds a failed attempt and fails the operation at the limit.
func countFailure(op *domain.Operation, now time.Time) UserActionResult {
	op.FailureCount++
	if op.FailureCount < op.MaxFailureCount {
		return ResultApprovalFailed
	}
	op.FailureCount = op.MaxFailureCount
	op.Status, op.Finalized = domain.OperationFailed, now
	return ResultOperationFailed
}

// approvalAllowed evaluates every approval condition (all of them, so the
// time taken does not tell which one failed).
func (s *Service) approvalAllowed(op domain.Operation, app domain.Application, in ApproveOperationInput, checks approveChecks, now time.Time) (bool, error) {
	ok := slices.Contains(op.ApplicationIDs, app.ID)
	ok = (op.UserID == "" || op.UserID == in.UserID) && ok
	ok = subtle.ConstantTimeCompare([]byte(op.Data), []byte(in.Data)) == 1 && ok
	ok = slices.Contains(op.SignatureTypes, string(in.SignatureType)) && ok
	ok = op.FailureCount < op.MaxFailureCount && ok
	if op.ActivationID != "" {
		got, _ := in.AdditionalData[AdditionalDataActivationID].(string)
		ok = got == op.ActivationID && ok
	}
	if op.NumberMatching != "" && !checks.skipNumberMatching {
		ok = subtle.ConstantTimeCompare([]byte(op.NumberMatching), []byte(anyString(in.AdditionalData[AdditionalDataNumberMatching]))) == 1 && ok
	}
	if len(op.TotpSeedEncrypted) > 0 && !checks.skipProximity {
		seed, err := s.openSeed(op)
		if err != nil {
			return false, err
		}
		otp, _ := in.AdditionalData[AdditionalDataProximityOTP].(string)
		valid, err := s.proximityOTPValid(seed, otp, now)
		if err != nil {
			return false, err
		}
		ok = valid && ok
	}
	return ok, nil
}

// anyString renders a JSON scalar (string or number) as a string.
func anyString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		if x == float64(int64(x)) {
			return fmt.Sprintf("%d", int64(x))
		}
	case int:
		return fmt.Sprintf("%d", x)
	case int64:
		return fmt.Sprintf("%d", x)
	}
	return ""
}

// proximityOTPValid checks otp against the current and the configured
// number of past TOTP steps, in constant time per candidate.
func (s *Service) proximityOTPValid(seed []byte, otp string, now time.Time) (bool, error) {
	set := s.operationSettings()
	valid := 0
	for i := 0; i <= set.ProximityWindow; i++ {
		want, err := totpSHA256(seed, now.Add(-time.Duration(i)*set.ProximityStep), set.ProximityStep, ProximityOTPLength)
		if err != nil {
			return false, fmt.Errorf("proximity otp: %w", err)
		}
		valid |= subtle.ConstantTimeCompare([]byte(want), []byte(otp))
	}
	return valid == 1 && otp != "", nil
}

// FailOperationApproval counts a failed approval attempt (e.g. a wrong
// PIN): APPROVAL_FAILED, or OPERATION_FAILED at the limit. Unknown is
// CodeOperationNotFound, not PENDING CodeOperationInvalidState.
func (s *Service) FailOperationApproval(ctx context.Context, id string, additionalData map[string]any) (OperationActionResult, error) {
	if id == "" {
		return OperationActionResult{}, Errorf(CodeInvalidRequest, "operationId - must not be blank")
	}
	var res OperationActionResult
	err := s.inTxOutcome(ctx, func(tx store.Tx) (error, error) {
		op, err := lockOperation(ctx, tx, id, operationNotFound)
		if err != nil {
			return nil, err
		}
		now, outcome, err := s.expirePending(ctx, tx, &op, operationInvalidState)
		if outcome != nil || err != nil {
			return outcome, err
		}
		op.AdditionalData = mergeData(op.AdditionalData, additionalData)
		res.Result = countFailure(&op, now)
		if err := s.saveOperation(ctx, tx, &op, "update operation"); err != nil {
			return nil, err
		}
		res.Operation, err = s.detailOf(ctx, tx, op)
		return nil, err
	})
	if err != nil {
		return OperationActionResult{}, wrapStoreErr("fail operation approval", err)
	}
	return res, nil
}

// FailOperationApprovalOfDevice counts a failed approval attempt whose
// device signature was rejected (the Mobile Token API's authorize with a
// wrong PIN). The request that names activationID is not authenticated,
// so the failure counts only when the activation is a real device that
// could have approved the operation: it exists, is ACTIVE or BLOCKED,
// belongs to the operation's user (an operation without a user counts
// nothing), is of one of the operation's applications, and is the
// operation's bound activation when it has one. Otherwise nothing
// changes and the answer is CodeOperationNotFound, as for an unknown
// operation. Nothing of the request is stored in additionalData.
func (s *Service) FailOperationApprovalOfDevice(ctx context.Context, id, activationID string) (OperationActionResult, error) {
	if id == "" || activationID == "" {
		return OperationActionResult{}, Errorf(CodeInvalidRequest, "operationId, activationId - must not be blank")
	}
	var res OperationActionResult
	err := s.inTxOutcome(ctx, func(tx store.Tx) (error, error) {
		op, err := lockOperation(ctx, tx, id, operationNotFound)
		if err != nil {
			return nil, err
		}
		a, err := tx.GetActivation(ctx, activationID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, operationNotFound()
		}
		if err != nil {
			return nil, fmt.Errorf("load activation: %w", err)
		}
		if !deviceMayFail(op, a) {
			return nil, operationNotFound()
		}
		now, outcome, err := s.expirePending(ctx, tx, &op, operationInvalidState)
		if outcome != nil || err != nil {
			return outcome, err
		}
		res.Result = countFailure(&op, now)
		if err := s.saveOperation(ctx, tx, &op, "update operation"); err != nil {
			return nil, err
		}
		res.Operation, err = s.detailOf(ctx, tx, op)
		return nil, err
	})
	if err != nil {
		return OperationActionResult{}, wrapStoreErr("fail operation approval", err)
	}
	return res, nil
}

// deviceMayFail says whether a rejected signature of activation a may
// count against op (see FailOperationApprovalOfDevice).
func deviceMayFail(op domain.Operation, a domain.Activation) bool {
	if a.Status != domain.ActivationActive && a.Status != domain.ActivationBlocked {
		return false
	}
	if op.UserID == "" || a.UserID != op.UserID || !slices.Contains(op.ApplicationIDs, a.ApplicationID) {
		return false
	}
	return op.ActivationID == "" || op.ActivationID == a.ActivationID
}

// RejectOperationInput is a user's rejection.
type RejectOperationInput struct {
	// OperationID is the operation.
	OperationID string
	// UserID is the rejecting user.
	UserID string
	// ApplicationName is the rejecting application.
	ApplicationName string
	// AdditionalData is merged into the operation (e.g. rejectReason).
	AdditionalData map[string]any
}

// RejectOperation rejects a PENDING operation when the user matches (or
// the operation has none) and the application is one of the operation's;
// otherwise REJECT_FAILED leaves it unchanged. Unknown or not PENDING is
// CodeOperationRejectFailure.
func (s *Service) RejectOperation(ctx context.Context, in RejectOperationInput) (OperationActionResult, error) {
	if in.OperationID == "" || in.UserID == "" || in.ApplicationName == "" {
		return OperationActionResult{}, Errorf(CodeInvalidRequest, "operationId, userId, applicationId - must not be blank")
	}
	rejectFailure := func() error {
		return Errorf(CodeOperationRejectFailure, "Operation reject failed.")
	}
	var res OperationActionResult
	err := s.inTxOutcome(ctx, func(tx store.Tx) (error, error) {
		op, app, now, outcome, err := s.lockForDecision(ctx, tx, in.OperationID, in.ApplicationName, rejectFailure)
		if outcome != nil || err != nil {
			return outcome, err
		}
		if (op.UserID != "" && op.UserID != in.UserID) || !slices.Contains(op.ApplicationIDs, app.ID) {
			res.Result = ResultRejectFailed
			res.Operation, err = s.detailOf(ctx, tx, op)
			return nil, err
		}
		op.UserID, op.Status, op.Finalized = in.UserID, domain.OperationRejected, now
		op.AdditionalData = mergeData(op.AdditionalData, in.AdditionalData)
		if err := s.saveOperation(ctx, tx, &op, "update operation"); err != nil {
			return nil, err
		}
		res.Result = ResultRejected
		res.Operation, err = s.detailOf(ctx, tx, op)
		return nil, err
	})
	if err != nil {
		return OperationActionResult{}, wrapStoreErr("reject operation", err)
	}
	return res, nil
}
