package callbacks

import "fmt"

// Error codes of the callback configuration: the private API's codes
// (the core's service.CodeInvalidRequest, CodeInvalidURLFormat and
// CodeForbiddenCallbackURL), part of the wire contract.
const (
	CodeInvalidURLFormat = "ERR0014"
	CodeInvalidRequest   = "ERR0024"
	// CodeForbiddenURL refuses a callback (or OAuth 2.0 token) URL whose
	// host is a loopback, link-local, private or other internal address.
	CodeForbiddenURL = "ERR_CALLBACK_URL_FORBIDDEN"
)

// Error is a refused callback setting: a stable code and a message safe to
// show to the caller (it renders through the interfaces of
// internal/api/render as a 400 answer).
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// ErrorCode is the stable code of the answer.
func (e *Error) ErrorCode() string { return e.Code }

// SafeMessage is the message of the answer.
func (e *Error) SafeMessage() string { return e.Message }

func errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}
