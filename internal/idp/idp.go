// Package idp holds the identity providers of custom-credential
// activations: the enrollment server hands the identity attributes a
// device sent (for example a legacy login and password) to a Provider,
// which maps them to the user the new activation belongs to. Two real
// implementations exist: an HTTP call-out to the bank's backend (HTTP) and
// a static user table from a file for demos (Static).
package idp

import (
	"context"
	"errors"
)

// Errors of Resolve. Implementations wrap them with context; callers test
// with errors.Is.
var (
	// ErrInvalidCredentials means the attributes do not identify a user.
	ErrInvalidCredentials = errors.New("idp: invalid credentials")
	// ErrUnavailable means the provider could not decide (backend down,
	// timeout, unexpected answer).
	ErrUnavailable = errors.New("idp: identity provider unavailable")
)

// MaxUserIDLength is the longest user id a provider may return (the core's limit).
const MaxUserIDLength = 255

// Provider maps the identity attributes of a custom-credential activation
// to a user id. Attributes are untrusted device input; implementations must
// never log credential values.
type Provider interface {
	// Resolve returns the user the attributes identify, or an error
	// wrapping ErrInvalidCredentials or ErrUnavailable.
	Resolve(ctx context.Context, attributes map[string]any) (userID string, err error)
}

// ProviderFunc adapts a function to Provider.
type ProviderFunc func(ctx context.Context, attributes map[string]any) (string, error)

// Resolve calls f.
func (f ProviderFunc) Resolve(ctx context.Context, attributes map[string]any) (string, error) {
	return f(ctx, attributes)
}
