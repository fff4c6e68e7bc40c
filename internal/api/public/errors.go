package public

import (
	"errors"
	"fmt"
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

// The error answers of the API: the HTTP status, code and the fixed
// message devices get (render.APIError templates; With and Withf add the
// cause). Messages never carry details of the cause; those go to the log.
var (
	failActivation   = render.APIError{Status: http.StatusBadRequest, Code: CodeActivation, Message: "POWER_AUTH_ACTIVATION_INVALID"}
	failSignature    = render.APIError{Status: http.StatusUnauthorized, Code: CodeAuthentication, Message: "POWER_AUTH_SIGNATURE_INVALID"}
	failSignatureTyp = render.APIError{Status: http.StatusUnauthorized, Code: CodeAuthentication, Message: "POWER_AUTH_SIGNATURE_TYPE_INVALID"}
	failToken        = render.APIError{Status: http.StatusUnauthorized, Code: CodeAuthentication, Message: "POWER_AUTH_TOKEN_INVALID"}
	failValidate     = render.APIError{Status: http.StatusUnauthorized, Code: CodeAuthFail, Message: "Signature validation failed"}
	failEncryption   = render.APIError{Status: http.StatusBadRequest, Code: CodeEncryption, Message: "POWER_AUTH_ENCRYPTION_FAILED"}
	failSecureVault  = render.APIError{Status: http.StatusBadRequest, Code: CodeSecureVault, Message: "POWER_AUTH_SECURE_VAULT_INVALID"}
	failUpgrade      = render.APIError{Status: http.StatusBadRequest, Code: CodeUpgrade, Message: "POWER_AUTH_UPGRADE_FAILED"}
	failRecovery     = render.APIError{Status: http.StatusBadRequest, Code: CodeRecovery, Message: "POWER_AUTH_RECOVERY_INVALID"}
	failTemporaryKey = render.APIError{Status: http.StatusBadRequest, Code: CodeTemporaryKey, Message: "POWER_AUTH_TEMPORARY_KEY_FAILURE"}
	failUserInfo     = render.APIError{Status: http.StatusBadRequest, Code: CodeUserInfo, Message: "POWER_AUTH_USER_INFO_FAILED"}
	failUnreadable   = render.APIError{Status: http.StatusBadRequest, Code: CodeHTTPRequest, Message: "Cannot read request body."}
)

// errBodyTooLarge answers a request body over the limit.
func errBodyTooLarge(limit int64) *render.APIError {
	return &render.APIError{Status: http.StatusRequestEntityTooLarge, Code: CodeHTTPRequest, Message: fmt.Sprintf("Request body exceeds %d bytes.", limit)}
}

// coreError maps an error of the core to an answer of class f. Business
// errors of the core (*service.Error) become f, except a missing 3.3
// temporary key (ERR_TEMPORARY_KEY) and a wrong recovery PUK (ERR_RECOVERY
// with the index of the PUK to ask next), which have their own answers.
// Anything else — including a core that refuses the enrollment server's own
// credentials — is an internal failure (500 without detail).
func coreError(err error, f render.APIError) error {
	if err == nil {
		return nil
	}
	var se *service.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code {
	case service.CodeAuthentication:
		return render.InternalError.Withf("core rejected the enrollment server's credentials: %w", err)
	case service.CodeMissingTemporaryKey:
		return failTemporaryKey.With(err)
	case service.CodeRecovery:
		e := failRecovery.With(err)
		if se.CurrentRecoveryPukIndex != nil {
			idx := *se.CurrentRecoveryPukIndex
			e.PukIndex = &idx
		}
		return e
	}
	return f.With(err)
}

// eciesCoreError is coreError for core calls that decrypt an ECIES request
// themselves: a request the core cannot decrypt (bad MAC, stale or future
// timestamp, replay) is ERR_ENCRYPTION.
func eciesCoreError(err error, f render.APIError) error {
	var se *service.Error
	if errors.As(err, &se) && (se.Code == service.CodeDecryptionFailed || se.Code == service.CodeEncryptionFailed) {
		return failEncryption.With(err)
	}
	return coreError(err, f)
}
