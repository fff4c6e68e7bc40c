package mtoken

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/mauth/mauth/internal/api/render"
	"github.com/mauth/mauth/internal/service"
)

// Error codes of the Mobile Token API (responseObject.code).
const (
	CodeInvalidRequest           = "INVALID_REQUEST"
	CodeInvalidActivation        = "INVALID_ACTIVATION"
	CodeInvalidApplication       = "INVALID_APPLICATION"
	CodeInvalidOperation         = "INVALID_OPERATION"
	CodeAuthFail                 = "POWERAUTH_AUTH_FAIL"
	CodeOperationAlreadyFinished = "OPERATION_ALREADY_FINISHED"
	CodeOperationAlreadyFailed   = "OPERATION_ALREADY_FAILED"
	CodeOperationAlreadyCanceled = "OPERATION_ALREADY_CANCELED"
	CodeOperationExpired         = "OPERATION_EXPIRED"
	CodeOperationFailed          = "OPERATION_FAILED"
	CodeRequiresActivationFlag   = "OPERATION_REQUIRES_ACTIVATION_FLAG"
	CodePushRegistrationFailed   = "PUSH_REGISTRATION_FAILED"
	CodeActivationCodeFailed     = "ACTIVATION_CODE_FAILED"
	CodeGeneric                  = "ERROR_GENERIC"
)

// Error is an error answer of the mobile API with its cause for the log.
// Messages are fixed texts; causes never reach the device.
type Error struct {
	Status  int
	Code    string
	Message string
	Cause   error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return e.Code + ": " + e.Message + ": " + e.Cause.Error()
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Cause }

// Errf builds an answer with a formatted cause.
func Errf(status int, code, message, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: message, Cause: fmt.Errorf(format, args...)}
}

func errInvalidRequest(format string, args ...any) *Error {
	return Errf(http.StatusBadRequest, CodeInvalidRequest, "Invalid request.", format, args...)
}

func errInvalidActivation(format string, args ...any) *Error {
	return Errf(http.StatusBadRequest, CodeInvalidActivation, "Activation is not valid.", format, args...)
}

func errInvalidOperation(format string, args ...any) *Error {
	return Errf(http.StatusBadRequest, CodeInvalidOperation, "Operation is not valid.", format, args...)
}

func errAuthFail(format string, args ...any) *Error {
	return Errf(http.StatusUnauthorized, CodeAuthFail, "PowerAuth authentication failed.", format, args...)
}

func errOperationFailed(format string, args ...any) *Error {
	return Errf(http.StatusUnauthorized, CodeOperationFailed, "Operation approval failed.", format, args...)
}

// statusError is the answer for an operation that is no longer PENDING
// (nil for a PENDING one).
func statusError(op Operation) *Error {
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
		return &Error{Status: http.StatusBadRequest, Code: CodeInvalidOperation, Message: "Operation is not valid.", Cause: err}
	case service.CodeInvalidRequest:
		return &Error{Status: http.StatusBadRequest, Code: CodeInvalidRequest, Message: "Invalid request.", Cause: err}
	case service.CodeActivationNotFound, service.CodeActivationIncorrectState:
		return &Error{Status: http.StatusBadRequest, Code: CodeInvalidActivation, Message: "Activation is not valid.", Cause: err}
	case service.CodeAuthentication:
		return fmt.Errorf("core rejected the enrollment server's credentials: %w", err)
	}
	return &Error{Status: http.StatusBadRequest, Code: CodeGeneric, Message: "Request failed.", Cause: err}
}

// WriteError answers err: an *Error with its status and code, anything
// else as 500 ERROR_GENERIC without detail. The cause goes to log.
func WriteError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var me *Error
	if errors.As(err, &me) {
		if log != nil {
			reason := ""
			if me.Cause != nil {
				reason = me.Cause.Error()
			}
			log.InfoContext(r.Context(), "request rejected", "path", r.URL.Path, "code", me.Code, "status", me.Status, "reason", reason)
		}
		render.ErrorResponse(w, me.Status, render.ErrorObject{Code: me.Code, Message: me.Message})
		return
	}
	if log != nil {
		log.ErrorContext(r.Context(), "request failed", "path", r.URL.Path, "error", err)
	}
	render.ErrorResponse(w, http.StatusInternalServerError, render.ErrorObject{Code: CodeGeneric, Message: "Unknown error occurred."})
}
