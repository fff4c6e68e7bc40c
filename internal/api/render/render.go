// Package render writes the PowerAuth JSON envelope shared by every HTTP
// surface of mauth and renders errors in one place:
//
//	{"status":"OK","responseObject":{…}}
//	{"status":"ERROR","responseObject":{"code":"ERR0009","message":"…"}}
//
// Errors are rendered through small interfaces (CodedError, StatusCodedError,
// RecoveryPukError), the way smallstep's api/render does, so this package
// knows no error type of the core or of a surface: each surface's errors
// implement the interfaces (the core's *service.Error does, and APIError is
// the error answer a surface builds itself).
package render

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"sort"
	"strings"
)

// Codes used by the HTTP layer itself.
const (
	CodeHTTPRequest = "ERROR_HTTP_REQUEST" // unparseable JSON, wrong content
	CodeNotFound    = "ERROR_NOT_FOUND"    // unknown path
	// CodeUnknown is the answer to an internal failure (the core's
	// service.CodeUnknown; a test of the private API keeps them equal).
	CodeUnknown = "ERR0000"
	// CodeInvalidRequest is the answer to a ValidationError (the core's
	// service.CodeInvalidRequest; a test of the private API keeps them equal).
	CodeInvalidRequest = "ERR0024"
)

// MaxRequestBody is the default limit for request bodies (1 MiB).
const MaxRequestBody = 1 << 20

// Envelope is the response wrapper.
type Envelope struct {
	Status         string `json:"status"`
	ResponseObject any    `json:"responseObject,omitempty"`
}

// ErrorObject is the responseObject of an error response.
type ErrorObject struct {
	Code                    string `json:"code"`
	Message                 string `json:"message"`
	LocalizedMessage        string `json:"localizedMessage,omitempty"`
	CurrentRecoveryPukIndex *int   `json:"currentRecoveryPukIndex,omitempty"`
}

// OK writes {"status":"OK","responseObject":obj}; a nil obj writes {"status":"OK"}.
func OK(w http.ResponseWriter, obj any) {
	JSON(w, http.StatusOK, Envelope{Status: "OK", ResponseObject: obj})
}

// JSON writes v with the given status.
func JSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"status":"ERROR","responseObject":{"code":"ERR0000","message":"Unknown error occurred."}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// ErrorResponse writes an error envelope.
func ErrorResponse(w http.ResponseWriter, status int, obj ErrorObject) {
	if obj.LocalizedMessage == "" {
		obj.LocalizedMessage = obj.Message
	}
	JSON(w, status, Envelope{Status: "ERROR", ResponseObject: obj})
}

// RequestError is a malformed HTTP request (body is not the expected JSON).
type RequestError struct{ Message string }

func (e *RequestError) Error() string { return e.Message }

// ErrorCode implements CodedError: ERROR_HTTP_REQUEST.
func (e *RequestError) ErrorCode() string { return CodeHTTPRequest }

// SafeMessage implements CodedError.
func (e *RequestError) SafeMessage() string { return e.Message }

// ValidationError lists invalid request fields; it renders as ERR0024 with
// the message "field - reason, field - reason" sorted by field.
type ValidationError struct{ Fields map[string]string }

func (e *ValidationError) Error() string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + " - " + e.Fields[k]
	}
	return strings.Join(parts, ", ")
}

// ErrorCode implements CodedError: ERR0024.
func (e *ValidationError) ErrorCode() string { return CodeInvalidRequest }

// SafeMessage implements CodedError: the invalid fields and why.
func (e *ValidationError) SafeMessage() string { return e.Error() }

// Validator collects field errors.
type Validator struct{ fields map[string]string }

// Check records reason for field when ok is false.
func (v *Validator) Check(ok bool, field, reason string) {
	if ok {
		return
	}
	if v.fields == nil {
		v.fields = map[string]string{}
	}
	if _, dup := v.fields[field]; !dup {
		v.fields[field] = reason
	}
}

// NotBlank records "must not be blank" for field when value is empty or
// white space only.
func (v *Validator) NotBlank(field, value string) {
	v.Check(strings.TrimSpace(value) != "", field, "must not be blank")
}

// NoBlanks records "must not contain blank values" for field when one of
// values is empty or white space only.
func (v *Validator) NoBlanks(field string, values []string) {
	for _, s := range values {
		v.Check(strings.TrimSpace(s) != "", field, "must not contain blank values")
	}
}

// Err returns a *ValidationError when any check failed, else nil.
func (v *Validator) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	return &ValidationError{Fields: v.fields}
}

// DecodeRequest reads a {"requestObject": {…}} body into dst. An empty
// body, "{}" and a missing requestObject leave dst at its zero value.
// Unknown fields are ignored, as the reference server does.
func DecodeRequest(r *http.Request, dst any) error {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, MaxRequestBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &RequestError{Message: fmt.Sprintf("Request body exceeds %d bytes.", mbe.Limit)}
		}
		return &RequestError{Message: "Cannot read request body."}
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil
	}
	var env struct {
		RequestObject json.RawMessage `json:"requestObject"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return &RequestError{Message: "Request body is not valid JSON."}
	}
	if len(env.RequestObject) == 0 || string(env.RequestObject) == "null" {
		return nil
	}
	if err := json.Unmarshal(env.RequestObject, dst); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			typ := te.Type
			for typ.Kind() == reflect.Pointer {
				typ = typ.Elem()
			}
			return &ValidationError{Fields: map[string]string{te.Field: "must be " + jsonKind(typ.Kind().String())}}
		}
		return &RequestError{Message: "Request object does not match the expected structure."}
	}
	return nil
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice", "array":
		return "an array"
	case "map", "struct", "ptr":
		return "an object"
	}
	return "a number"
}

// NotFound answers 404 ERROR_NOT_FOUND.
func NotFound(w http.ResponseWriter, _ *http.Request) {
	ErrorResponse(w, http.StatusNotFound, ErrorObject{Code: CodeNotFound, Message: "Resource not found."})
}
