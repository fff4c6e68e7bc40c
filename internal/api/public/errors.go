package public

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/mauth/mauth/internal/api/render"
	"github.com/mauth/mauth/internal/service"
)

// Error codes of the Standard RESTful API (responseObject.code), as the
// mobile SDKs know them.
const (
	CodeActivation     = "ERR_ACTIVATION"
	CodeAuthentication = "ERR_AUTHENTICATION"
	CodeEncryption     = "ERR_ENCRYPTION"
	CodeSecureVault    = "ERR_SECURE_VAULT"
	CodeUpgrade        = "ERR_UPGRADE"
	CodeRecovery       = "ERR_RECOVERY"
	CodeTemporaryKey   = "ERR_TEMPORARY_KEY"
	CodeUserInfo       = "ERR_USER_INFO"
	// CodeAuthFail is the 401 code of /pa/v3/signature/validate.
	CodeAuthFail = "POWERAUTH_AUTH_FAIL"
	// CodeHTTPRequest is a request that is not HTTP/JSON the endpoint
	// understands (unreadable or oversized body, wrong method).
	CodeHTTPRequest = render.CodeHTTPRequest
)

// failure is a class of error answers: the HTTP status, code and the fixed
// message devices get. Messages never carry details of the cause; those
// go to the log.
type failure struct {
	status  int
	code    string
	message string
}

// The error answers of the API.
var (
	failActivation   = failure{http.StatusBadRequest, CodeActivation, "POWER_AUTH_ACTIVATION_INVALID"}
	failSignature    = failure{http.StatusUnauthorized, CodeAuthentication, "POWER_AUTH_SIGNATURE_INVALID"}
	failSignatureTyp = failure{http.StatusUnauthorized, CodeAuthentication, "POWER_AUTH_SIGNATURE_TYPE_INVALID"}
	failToken        = failure{http.StatusUnauthorized, CodeAuthentication, "POWER_AUTH_TOKEN_INVALID"}
	failValidate     = failure{http.StatusUnauthorized, CodeAuthFail, "Signature validation failed"}
	failEncryption   = failure{http.StatusBadRequest, CodeEncryption, "POWER_AUTH_ENCRYPTION_FAILED"}
	failSecureVault  = failure{http.StatusBadRequest, CodeSecureVault, "POWER_AUTH_SECURE_VAULT_INVALID"}
	failUpgrade      = failure{http.StatusBadRequest, CodeUpgrade, "POWER_AUTH_UPGRADE_FAILED"}
	failRecovery     = failure{http.StatusBadRequest, CodeRecovery, "POWER_AUTH_RECOVERY_INVALID"}
	failTemporaryKey = failure{http.StatusBadRequest, CodeTemporaryKey, "POWER_AUTH_TEMPORARY_KEY_FAILURE"}
	failUserInfo     = failure{http.StatusBadRequest, CodeUserInfo, "POWER_AUTH_USER_INFO_FAILED"}
	failUnreadable   = failure{http.StatusBadRequest, CodeHTTPRequest, "Cannot read request body."}
)

// apiError is an error answer for the device, with its cause for the log.
type apiError struct {
	failure
	pukIndex *int
	cause    error
}

func (e *apiError) Error() string {
	if e.cause != nil {
		return e.code + ": " + e.message + ": " + e.cause.Error()
	}
	return e.code + ": " + e.message
}

func (e *apiError) Unwrap() error { return e.cause }

// with builds the error answer of f caused by cause (which may be nil).
func (f failure) with(cause error) *apiError { return &apiError{failure: f, cause: cause} }

// withf builds the error answer of f with a formatted cause.
func (f failure) withf(format string, args ...any) *apiError {
	return &apiError{failure: f, cause: fmt.Errorf(format, args...)}
}

// errBodyTooLarge answers a request body over the limit.
func errBodyTooLarge(limit int64) *apiError {
	return &apiError{failure: failure{http.StatusRequestEntityTooLarge, CodeHTTPRequest, fmt.Sprintf("Request body exceeds %d bytes.", limit)}}
}

// coreError maps an error of the core to an answer of class f. Business
// errors of the core (*service.Error) become f, except a missing 3.3
// temporary key (ERR_TEMPORARY_KEY) and a wrong recovery PUK (ERR_RECOVERY
// with the index of the PUK to ask next), which have their own answers.
// Anything else — including a core that refuses the enrollment server's own
// credentials — is an internal failure (500 without detail).
func coreError(err error, f failure) error {
	if err == nil {
		return nil
	}
	var se *service.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code {
	case service.CodeAuthentication:
		return fmt.Errorf("core rejected the enrollment server's credentials: %w", err)
	case service.CodeMissingTemporaryKey:
		return failTemporaryKey.with(err)
	case service.CodeRecovery:
		e := failRecovery.with(err)
		if se.CurrentRecoveryPukIndex != nil {
			idx := *se.CurrentRecoveryPukIndex
			e.pukIndex = &idx
		}
		return e
	}
	return f.with(err)
}

// eciesCoreError is coreError for core calls that decrypt an ECIES request
// themselves: a request the core cannot decrypt (bad MAC, stale or future
// timestamp, replay) is ERR_ENCRYPTION.
func eciesCoreError(err error, f failure) error {
	var se *service.Error
	if errors.As(err, &se) && (se.Code == service.CodeDecryptionFailed || se.Code == service.CodeEncryptionFailed) {
		return failEncryption.with(err)
	}
	return coreError(err, f)
}

// writeError answers err: an *apiError with its status and code, anything
// else as 500 without detail. Causes are logged without secrets (the core
// and the protocol package never put secrets into error texts).
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var ae *apiError
	if errors.As(err, &ae) {
		if log != nil {
			log.InfoContext(r.Context(), "request rejected", "path", r.URL.Path, "code", ae.code, "status", ae.status, "reason", errorText(ae.cause))
		}
		render.ErrorResponse(w, ae.status, render.ErrorObject{Code: ae.code, Message: ae.message, CurrentRecoveryPukIndex: ae.pukIndex})
		return
	}
	if log != nil {
		log.ErrorContext(r.Context(), "request failed", "path", r.URL.Path, "error", err)
	}
	render.ErrorResponse(w, http.StatusInternalServerError, render.ErrorObject{Code: service.CodeUnknown, Message: service.CodeMessages[service.CodeUnknown]})
}

func errorText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
