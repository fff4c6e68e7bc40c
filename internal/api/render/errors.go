package render

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
)

// CodedError is an error with an answer for the client: ErrorCode is the
// stable code (responseObject.code) and SafeMessage the text
// (responseObject.message), a fixed text that never carries the cause.
type CodedError interface {
	error
	ErrorCode() string
	SafeMessage() string
}

// StatusCodedError is a CodedError with its own HTTP status; a CodedError
// without one is answered 400.
type StatusCodedError interface {
	error
	StatusCode() int
}

// RecoveryPukError is a CodedError of a recovery that names the PUK to
// ask for next (responseObject.currentRecoveryPukIndex; nil: none).
type RecoveryPukError interface {
	error
	RecoveryPukIndex() *int
}

// APIError is an error answer a surface builds: the HTTP status, the
// stable code and the fixed message the client gets, with the cause for
// the log. A value serves as the template of one kind of answer; With
// and Withf make an error of it.
type APIError struct {
	Status  int
	Code    string
	Message string
	// PukIndex is the recovery PUK to ask for next (ERR_RECOVERY answers).
	PukIndex *int
	// Cause is logged, never sent.
	Cause error
}

func (e *APIError) Error() string {
	if e.Cause != nil {
		return e.Code + ": " + e.Message + ": " + e.Cause.Error()
	}
	return e.Code + ": " + e.Message
}

// Unwrap returns the cause.
func (e *APIError) Unwrap() error { return e.Cause }

// ErrorCode implements CodedError.
func (e *APIError) ErrorCode() string { return e.Code }

// SafeMessage implements CodedError.
func (e *APIError) SafeMessage() string { return e.Message }

// StatusCode implements StatusCodedError.
func (e *APIError) StatusCode() int { return e.Status }

// RecoveryPukIndex implements RecoveryPukError.
func (e *APIError) RecoveryPukIndex() *int { return e.PukIndex }

// With returns the answer e caused by cause (which may be nil).
func (e APIError) With(cause error) *APIError {
	e.Cause = cause
	return &e
}

// Withf returns the answer e with a formatted cause.
func (e APIError) Withf(format string, args ...any) *APIError {
	return e.With(fmt.Errorf(format, args...))
}

// InternalError is the answer to an error that is no CodedError: 500
// ERR0000 without detail.
var InternalError = APIError{Status: http.StatusInternalServerError, Code: CodeUnknown, Message: "Unknown error occurred."}

// Error answers err: a CodedError with its code, message and status,
// anything else with InternalError (see ErrorWith).
func Error(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	ErrorWith(w, r, log, err, InternalError)
}

// ErrorWith answers err: a CodedError with its code, message and status
// (400 unless it is a StatusCodedError) and the PUK index of a
// RecoveryPukError; anything else with internal. Only the first CodedError
// of err's chain counts: a surface that wraps an error of the core it
// must not show makes it internal with internal.With(err).
//
// A rejected request (4xx) is logged at info level with the cause of the
// error, an internal failure (5xx) at error level with err; error texts
// carry no secrets (the core and the protocol package keep them out).
func ErrorWith(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error, internal APIError) {
	status, obj := internal.Status, ErrorObject{Code: internal.Code, Message: internal.Message}
	var ce CodedError
	if errors.As(err, &ce) {
		status = http.StatusBadRequest
		if sc, ok := ce.(StatusCodedError); ok {
			status = sc.StatusCode()
		}
		obj = ErrorObject{Code: ce.ErrorCode(), Message: ce.SafeMessage()}
		if pe, ok := ce.(RecoveryPukError); ok {
			obj.CurrentRecoveryPukIndex = pe.RecoveryPukIndex()
		}
	}
	if log != nil {
		if ce == nil || status >= http.StatusInternalServerError {
			log.ErrorContext(r.Context(), "request failed", "path", r.URL.Path, "error", err)
		} else {
			reason := ""
			if cause := errors.Unwrap(ce); cause != nil {
				reason = cause.Error()
			}
			log.InfoContext(r.Context(), "request rejected", "path", r.URL.Path, "code", obj.Code, "status", status, "reason", reason)
		}
	}
	ErrorResponse(w, status, obj)
}

// AllowMethods answers requests with another method than methods with 405
// ERROR_HTTP_REQUEST and an Allow header; the others go to h.
func AllowMethods(h http.Handler, methods ...string) http.Handler {
	allow := strings.Join(methods, ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !slices.Contains(methods, r.Method) {
			w.Header().Set("Allow", allow)
			ErrorResponse(w, http.StatusMethodNotAllowed, ErrorObject{Code: CodeHTTPRequest, Message: "Method " + r.Method + " is not allowed."})
			return
		}
		h.ServeHTTP(w, r)
	})
}
