package mtoken

import (
	"errors"
	"net/http"

	"github.com/mauth/mauth/internal/api/render"
	"github.com/mauth/mauth/internal/deviceauth"
	"github.com/mauth/mauth/internal/service"
)

// Error codes of the Mobile Token API (responseObject.code).
const (
	CodeInvalidRequest           = deviceauth.CodeInvalidRequest
	CodeInvalidActivation        = "INVALID_ACTIVATION"
	CodeInvalidApplication       = "INVALID_APPLICATION"
	CodeInvalidOperation         = "INVALID_OPERATION"
	CodeAuthFail                 = deviceauth.CodeAuthFail
	CodeOperationAlreadyFinished = "OPERATION_ALREADY_FINISHED"
	CodeOperationAlreadyFailed   = "OPERATION_ALREADY_FAILED"
	CodeOperationAlreadyCanceled = "OPERATION_ALREADY_CANCELED"
	CodeOperationExpired         = "OPERATION_EXPIRED"
	CodeOperationFailed          = "OPERATION_FAILED"
	CodeRequiresActivationFlag   = "OPERATION_REQUIRES_ACTIVATION_FLAG"
	CodeActivationCodeFailed     = "ACTIVATION_CODE_FAILED"
	CodeGeneric                  = "ERROR_GENERIC"
)

// internalError is the answer to an internal failure (500 ERROR_GENERIC
// without detail).
var internalError = render.APIError{Status: http.StatusInternalServerError, Code: CodeGeneric, Message: "Unknown error occurred."}

// Errf builds an answer with a formatted cause. Messages are fixed texts;
// causes never reach the device.
func Errf(status int, code, message, format string, args ...any) *render.APIError {
	return render.APIError{Status: status, Code: code, Message: message}.Withf(format, args...)
}

func errInvalidRequest(format string, args ...any) *render.APIError {
	return deviceauth.FailInvalidRequest.Withf(format, args...)
}

func errInvalidActivation(format string, args ...any) *render.APIError {
	return Errf(http.StatusBadRequest, CodeInvalidActivation, "Activation is not valid.", format, args...)
}

func errInvalidOperation(format string, args ...any) *render.APIError {
	return Errf(http.StatusBadRequest, CodeInvalidOperation, "Operation is not valid.", format, args...)
}

func errAuthFail(format string, args ...any) *render.APIError {
	return deviceauth.FailAuth.Withf(format, args...)
}

func errOperationFailed(format string, args ...any) *render.APIError {
	return Errf(http.StatusUnauthorized, CodeOperationFailed, "Operation approval failed.", format, args...)
}

// statusError is the answer for an operation that is no longer PENDING
// (nil for a PENDING one).
func statusError(op Operation) *render.APIError {
	switch op.Status {
	case StatusPending:
		return nil
	case StatusApproved, StatusRejected:
		return Errf(http.StatusBadRequest, CodeOperationAlreadyFinished, "Operation is already finished.", "operation %s is %s", op.ID, op.Status)
	case StatusCanceled:
		return Errf(http.StatusBadRequest, CodeOperationAlreadyCanceled, "Operation is already canceled.", "operation %s is canceled", op.ID)
	case StatusExpired:
		return Errf(http.StatusBadRequest, CodeOperationExpired, "Operation is expired.", "operation %s is expired", op.ID)
	case StatusFailed:
		return Errf(http.StatusBadRequest, CodeOperationAlreadyFailed, "Operation is already failed.", "operation %s is failed", op.ID)
	}
	return errInvalidOperation("operation %s has an unknown status %q", op.ID, op.Status)
}

// coreError maps an error of the core: an unknown operation is
// INVALID_OPERATION, an invalid request INVALID_REQUEST, other business
// errors ERROR_GENERIC (400); anything else is an internal failure.
func coreError(err error) error {
	var se *service.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code {
	case service.CodeOperationNotFound:
		return &render.APIError{Status: http.StatusBadRequest, Code: CodeInvalidOperation, Message: "Operation is not valid.", Cause: err}
	case service.CodeInvalidRequest:
		return deviceauth.FailInvalidRequest.With(err)
	case service.CodeActivationNotFound, service.CodeActivationIncorrectState:
		return &render.APIError{Status: http.StatusBadRequest, Code: CodeInvalidActivation, Message: "Activation is not valid.", Cause: err}
	case service.CodeAuthentication:
		return internalError.Withf("core rejected the enrollment server's credentials: %w", err)
	}
	return &render.APIError{Status: http.StatusBadRequest, Code: CodeGeneric, Message: "Request failed.", Cause: err}
}
