package cloud

import (
	"fmt"
	"net/http"
)

// The Cloud API's error codes (the reference's names; HTTP_4xx for the
// answers of its HTTP layer).
const (
	CodeRequest                = "ERROR_REQUEST"
	CodeRegistration           = "ERROR_REGISTRATION"
	CodeRegistrationNotFound   = "ERROR_REGISTRATION_NOT_FOUND"
	CodeRegistrationNotAllowed = "ERROR_REGISTRATION_NOT_ALLOWED"
	CodeRegistrationChange     = "ERROR_REGISTRATION_CHANGE"
	CodeOperationNotFound      = "ERROR_OPERATION_NOT_FOUND"
	CodeOperationStateChange   = "ERROR_OPERATION_STATE_CHANGE"
	CodeOTPInvalid             = "ERROR_OTP_INVALID"
	CodeUnauthorized           = "HTTP_401"
	CodeForbidden              = "HTTP_403"
	CodeTooManyRequests        = "HTTP_429"
	CodeNotFound               = "ERROR_NOT_FOUND"
	CodeGeneric                = "ERROR_GENERIC"
	CodeInternalAPI            = "ERROR_INTERNAL_API"
	CodeNotImplemented         = "ERROR_NOT_IMPLEMENTED"
)

// Error is a Cloud API error answer: an HTTP status, a code and a message
// safe to show. It satisfies the renderer's coded-error interfaces.
type Error struct {
	Status  int
	Code    string
	Message string
	// RetryAfter is set on rate-limited answers.
	RetryAfter int
	cause      error
}

// Error implements error.
func (e *Error) Error() string {
	if e.cause != nil {
		return e.Code + ": " + e.Message + ": " + e.cause.Error()
	}
	return e.Code + ": " + e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.cause }

// ErrorCode is the code of the answer.
func (e *Error) ErrorCode() string { return e.Code }

// SafeMessage is the message of the answer.
func (e *Error) SafeMessage() string { return e.Message }

// StatusCode is the HTTP status of the answer.
func (e *Error) StatusCode() int { return e.Status }

func newError(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// BadRequest is a 400 ERROR_REQUEST answer.
func BadRequest(format string, args ...any) *Error {
	return newError(http.StatusBadRequest, CodeRequest, format, args...)
}

// Unauthorized is the 401 answer to missing or wrong credentials.
func Unauthorized() *Error {
	return newError(http.StatusUnauthorized, CodeUnauthorized, "Unauthorized.")
}

// Forbidden is the 403 answer to a call the user's role or grants do not allow.
func Forbidden(format string, args ...any) *Error {
	return newError(http.StatusForbidden, CodeForbidden, format, args...)
}

func registrationNotFound() *Error {
	return newError(http.StatusBadRequest, CodeRegistrationNotFound, "Registration not found.")
}

func operationNotFound() *Error {
	return newError(http.StatusBadRequest, CodeOperationNotFound, "Operation not found.")
}

// registrationError maps a core failure of a registration call.
func registrationError(err error) error {
	kind, msg := coreKind(err)
	var e *Error
	switch kind {
	case CoreNotFound:
		e = registrationNotFound()
	case CoreState:
		e = newError(http.StatusBadRequest, CodeRegistrationChange, "%s", msg)
	case CoreOTP:
		e = newError(http.StatusBadRequest, CodeOTPInvalid, "%s", msg)
	case CoreInvalid, CoreDuplicate, CoreTemplateNotFound:
		e = BadRequest("%s", msg)
	default:
		return err
	}
	e.cause = err
	return e
}

// operationError maps a core failure of an operation call.
func operationError(err error) error {
	kind, msg := coreKind(err)
	var e *Error
	switch kind {
	case CoreNotFound:
		e = operationNotFound()
	case CoreState:
		e = newError(http.StatusBadRequest, CodeOperationStateChange, "%s", msg)
	case CoreOTP:
		e = newError(http.StatusBadRequest, CodeOTPInvalid, "%s", msg)
	case CoreTemplateNotFound:
		e = BadRequest("Unknown operation template.")
	case CoreInvalid, CoreDuplicate:
		e = BadRequest("%s", msg)
	default:
		return err
	}
	e.cause = err
	return e
}

// requestError maps a core failure of an admin call: every failure the
// caller caused is ERROR_REQUEST.
func requestError(err error) error {
	kind, msg := coreKind(err)
	if kind == 0 {
		return err
	}
	e := BadRequest("%s", msg)
	if kind == CoreNotFound {
		e = newError(http.StatusNotFound, CodeNotFound, "%s", msg)
	}
	e.cause = err
	return e
}
