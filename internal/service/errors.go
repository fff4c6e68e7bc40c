package service

import (
	"errors"
	"fmt"
)

// Error codes of the private API (responseObject.code), as the PowerAuth
// Server uses them. They are part of the wire contract: never renumber.
const (
	CodeUnknown                   = "ERR0000"
	CodeNoUserID                  = "ERR0001"
	CodeNoApplicationID           = "ERR0002"
	CodeNoMasterKeyPair           = "ERR0003"
	CodeInvalidMasterPrivateKey   = "ERR0004"
	CodeActivationIDGeneration    = "ERR0005"
	CodeActivationCodeGeneration  = "ERR0006"
	CodeActivationExpired         = "ERR0007"
	CodeActivationIncorrectState  = "ERR0008"
	CodeActivationNotFound        = "ERR0009"
	CodeInvalidKeyFormat          = "ERR0010"
	CodeInvalidInputFormat        = "ERR0011"
	CodeInvalidSignature          = "ERR0012"
	CodeUnableToComputeSignature  = "ERR0013"
	CodeInvalidURLFormat          = "ERR0014"
	CodeInvalidApplication        = "ERR0015"
	CodeInvalidToken              = "ERR0016"
	CodeEncryptionFailed          = "ERR0017"
	CodeDecryptionFailed          = "ERR0018"
	CodeUnableToGenerateToken     = "ERR0019"
	CodeMissingMasterDBKey        = "ERR0020"
	CodeUnsupportedEncryptionMode = "ERR0021"
	CodeGenericCryptography       = "ERR0022"
	CodeCryptographyProvider      = "ERR0023"
	CodeInvalidRequest            = "ERR0024"
	CodeRecoveryCodeAlreadyExists = "ERR0025"
	CodeRecoveryCodeGeneration    = "ERR0026"
	CodeRecoveryCodeNotFound      = "ERR0027"
	CodeInvalidRecoveryCode       = "ERR0028"
	CodeInvalidRecoveryConfig     = "ERR0029"
	CodeTokenTimestampTooOld      = "ERR0030"
	CodeInvalidActivationOTP      = "ERR0031"
	CodeActivationOTPWrongMode    = "ERR0032"
	CodeTemplateNotFound          = "ERR0033"
	CodeOperationNotFound         = "ERR0034"
	CodeOperationIDGeneration     = "ERR0035"
	CodeOperationInvalidState     = "ERR0036"
	CodeOperationApproveFailure   = "ERR0037"
	CodeOperationRejectFailure    = "ERR0038"
	CodeTemplateAlreadyExists     = "ERR0039"
	CodeActivationCreateFailed    = "ERR0040"
	CodeOperationError            = "ERR0041"
	CodeTemplateError             = "ERR0042"
	CodeDuplicateApplication      = "ERR0043"
	CodeTokenTimestampTooInFuture = "ERR0044"
	CodeMissingTemporaryKey       = "ERR0045"

	CodeRecovery       = "ERR_RECOVERY"
	CodeAuthentication = "ERR_AUTHENTICATION"
	// CodeAccessDenied (HTTP 403) answers an authenticated integration
	// whose role does not allow the call (a mauth extension: every
	// integration of the reference server may call everything; the name
	// follows ERR_AUTHENTICATION and the status Spring Security's 403).
	CodeAccessDenied = "ERR_ACCESS_DENIED"

	// CodeForbiddenCallbackURL refuses a callback (or OAuth 2.0 token) URL
	// whose host is a loopback, link-local, private or other internal
	// address (mauth only; the reference server accepts any URL).
	CodeForbiddenCallbackURL = "ERR_CALLBACK_URL_FORBIDDEN"
)

// CodeMessages describes every code, for the error/list method.
var CodeMessages = map[string]string{
	CodeUnknown:                   "Unknown error occurred.",
	CodeNoUserID:                  "No user ID was set.",
	CodeNoApplicationID:           "No application ID was set.",
	CodeNoMasterKeyPair:           "No master server key pair configured in database.",
	CodeInvalidMasterPrivateKey:   "Master server key pair contains private key in incorrect format.",
	CodeActivationIDGeneration:    "Too many failed attempts to generate activation ID.",
	CodeActivationCodeGeneration:  "Too many failed attempts to generate activation code.",
	CodeActivationExpired:         "This activation is already expired.",
	CodeActivationIncorrectState:  "Only activations in CREATED state can be committed.",
	CodeActivationNotFound:        "Activation with given activation ID was not found.",
	CodeInvalidKeyFormat:          "Key with invalid format was provided.",
	CodeInvalidInputFormat:        "Invalid input data format.",
	CodeInvalidSignature:          "Invalid signature was provided.",
	CodeUnableToComputeSignature:  "Unable to compute signature.",
	CodeInvalidURLFormat:          "Invalid URL format.",
	CodeInvalidApplication:        "Application does not exist or is not supported.",
	CodeInvalidToken:              "Provided token is invalid.",
	CodeEncryptionFailed:          "Encryption failed.",
	CodeDecryptionFailed:          "Decryption failed.",
	CodeUnableToGenerateToken:     "Unable to generate token.",
	CodeMissingMasterDBKey:        "Master database encryption key is not configured.",
	CodeUnsupportedEncryptionMode: "Unsupported encryption mode.",
	CodeGenericCryptography:       "Generic cryptography error.",
	CodeCryptographyProvider:      "Cryptography provider is initialized incorrectly.",
	CodeInvalidRequest:            "Invalid request.",
	CodeRecoveryCodeAlreadyExists: "Recovery code already exists.",
	CodeRecoveryCodeGeneration:    "Too many failed attempts to generate recovery code.",
	CodeRecoveryCodeNotFound:      "Recovery code was not found.",
	CodeInvalidRecoveryCode:       "Invalid recovery code or PUK.",
	CodeInvalidRecoveryConfig:     "Invalid recovery configuration.",
	CodeTokenTimestampTooOld:      "Token timestamp is too old.",
	CodeInvalidActivationOTP:      "Activation OTP does not match or is used in a wrong step.",
	CodeActivationOTPWrongMode:    "Activation OTP validation mode is wrong.",
	CodeTemplateNotFound:          "Operation template was not found.",
	CodeOperationNotFound:         "Operation was not found.",
	CodeOperationIDGeneration:     "Too many failed attempts to generate operation ID.",
	CodeOperationInvalidState:     "Operation is in an invalid state.",
	CodeOperationApproveFailure:   "Operation approval failed.",
	CodeOperationRejectFailure:    "Operation rejection failed.",
	CodeTemplateAlreadyExists:     "Operation template already exists.",
	CodeActivationCreateFailed:    "Activation creation failed.",
	CodeOperationError:            "Operation error.",
	CodeTemplateError:             "Operation template error.",
	CodeDuplicateApplication:      "Duplicate application or application version.",
	CodeTokenTimestampTooInFuture: "Token timestamp is too far in the future.",
	CodeMissingTemporaryKey:       "Temporary key is missing or expired.",
	CodeRecovery:                  "Activation recovery failed.",
	CodeAuthentication:            "Authentication failed.",
	CodeAccessDenied:              "Access denied.",
	CodeForbiddenCallbackURL:      "Callback URL points to a forbidden network address.",
}

// Error is a business error with a stable code. The HTTP layer renders it
// as {"status":"ERROR","responseObject":{"code":…,"message":…}} through
// the interfaces of internal/api/render (ErrorCode, SafeMessage,
// StatusCode, RecoveryPukIndex), which know no type of this package.
type Error struct {
	Code    string
	Message string
	// CurrentRecoveryPukIndex is set on ERR_RECOVERY errors: the PUK to ask for next.
	CurrentRecoveryPukIndex *int
	cause                   error
}

func (e *Error) Error() string {
	if e.cause != nil {
		return e.Code + ": " + e.Message + ": " + e.cause.Error()
	}
	return e.Code + ": " + e.Message
}

// Unwrap returns the underlying cause, if any.
func (e *Error) Unwrap() error { return e.cause }

// ErrorCode is the stable code of the answer.
func (e *Error) ErrorCode() string { return e.Code }

// SafeMessage is the message of the answer (never the cause).
func (e *Error) SafeMessage() string { return e.Message }

// StatusCode is the HTTP status of the answer: 401 for
// ERR_AUTHENTICATION, 403 for ERR_ACCESS_DENIED, 400 for every other
// business error.
func (e *Error) StatusCode() int {
	switch e.Code {
	case CodeAuthentication:
		return 401
	case CodeAccessDenied:
		return 403
	}
	return 400
}

// RecoveryPukIndex is the PUK to ask for next (ERR_RECOVERY errors).
func (e *Error) RecoveryPukIndex() *int { return e.CurrentRecoveryPukIndex }

// Errorf builds an Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap builds an Error with a message and an underlying cause (kept out of
// the client-facing message).
func Wrap(code, message string, cause error) *Error {
	return &Error{Code: code, Message: message, cause: cause}
}

// CodeOf returns the code of err, or CodeUnknown.
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeUnknown
}
