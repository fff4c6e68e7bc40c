package testserver

import (
	"errors"
	"net/http"

	"github.com/mauth/mauth/client"
)

// Error codes of the Test Server API (the reference test server's).
const (
	CodeAppConfigNotFound      = "APP_CONFIG_NOT_FOUND"
	CodeAppConfigInvalid       = "APP_CONFIG_INVALID"
	CodeCryptography           = "GENERIC_CRYPTOGRAPHY_ERROR"
	CodeRemoteExecution        = "REMOTE_EXECUTION_ERROR"
	CodeActivationFailed       = "ACTIVATION_FAILED"
	CodeSignatureVerification  = "SIGNATURE_VERIFICATION_EXCEPTION"
	CodeGeneric                = "ERROR_GENERIC"
	messageAppConfigNotFound   = "Application configuration was not found."
	messageAppConfigInvalid    = "Application configuration is invalid."
	messageCryptography        = "Generic cryptography error occurred."
	messageRemoteExecution     = "Remote execution error occurred."
	messageActivationFailed    = "Activation failed."
	messageSignatureValidation = "Signature verification failed."
)

// Error is an answer of the test server: a stable code, a fixed message,
// an HTTP status and the cause (logged, never sent). It implements the
// error interfaces of the HTTP renderer (ErrorCode, SafeMessage, StatusCode).
type Error struct {
	Code    string
	Message string
	Status  int
	Cause   error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return e.Code + ": " + e.Message + ": " + e.Cause.Error()
	}
	return e.Code + ": " + e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Cause }

// ErrorCode is the stable code.
func (e *Error) ErrorCode() string { return e.Code }

// SafeMessage is the fixed text sent to the caller.
func (e *Error) SafeMessage() string { return e.Message }

// StatusCode is the HTTP status.
func (e *Error) StatusCode() int { return e.Status }

func errAppConfigNotFound(cause error) error {
	return &Error{Code: CodeAppConfigNotFound, Message: messageAppConfigNotFound, Status: http.StatusBadRequest, Cause: cause}
}

func errAppConfigInvalid(cause error) error {
	return &Error{Code: CodeAppConfigInvalid, Message: messageAppConfigInvalid, Status: http.StatusBadRequest, Cause: cause}
}

func errCryptography(cause error) error {
	return &Error{Code: CodeCryptography, Message: messageCryptography, Status: http.StatusBadRequest, Cause: cause}
}

func errActivationFailed(cause error) error {
	return &Error{Code: CodeActivationFailed, Message: messageActivationFailed, Status: http.StatusBadRequest, Cause: cause}
}

// errRemote classifies a failure of a call to the public API: a refused
// signature or token (401) is SIGNATURE_VERIFICATION_EXCEPTION, any other
// answer or a transport failure REMOTE_EXECUTION_ERROR.
func errRemote(err error) error {
	var apiErr *client.APIError
	if errors.As(err, &apiErr) && apiErr.HTTPStatus == http.StatusUnauthorized {
		return &Error{Code: CodeSignatureVerification, Message: messageSignatureValidation, Status: http.StatusUnauthorized, Cause: err}
	}
	return &Error{Code: CodeRemoteExecution, Message: messageRemoteExecution, Status: http.StatusBadRequest, Cause: err}
}
