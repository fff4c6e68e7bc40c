package public

import (
	"context"

	"github.com/mauth/mauth/protocol"
)

// AuthMethod says how a request was authenticated.
type AuthMethod string

// The authentication methods of the middleware.
const (
	// AuthSignature is a verified X-PowerAuth-Authorization signature.
	AuthSignature AuthMethod = "signature"
	// AuthToken is a verified X-PowerAuth-Token MAC token.
	AuthToken AuthMethod = "token"
)

// Auth describes the authenticated device of a request. RequireSignature
// and RequireToken put it into the request context; read it with
// AuthFromContext.
type Auth struct {
	// Method is how the request was authenticated.
	Method AuthMethod
	// ActivationID is the activation that signed the request (or owns the token).
	ActivationID string
	// UserID is the user of the activation.
	UserID string
	// ApplicationID is the name of the activation's application.
	ApplicationID string
	// ApplicationKey is pa_application_key of a signature (empty for tokens).
	ApplicationKey string
	// Version is the protocol version of the header ("3.0" … "3.3").
	Version string
	// SignatureType is the factor combination of the signature, or for a
	// token the combination the token was created with.
	SignatureType protocol.SignatureType
	// TokenID is the token of a token-authenticated request.
	TokenID string
	// Roles are the roles of the activation's application.
	Roles []string
	// Flags are the activation's flags.
	Flags []string
}

type authKey struct{}

// WithAuth returns a context carrying a.
func WithAuth(ctx context.Context, a *Auth) context.Context {
	return context.WithValue(ctx, authKey{}, a)
}

// AuthFromContext returns the authenticated device of a request that
// passed RequireSignature or RequireToken.
func AuthFromContext(ctx context.Context) (*Auth, bool) {
	a, ok := ctx.Value(authKey{}).(*Auth)
	return a, ok && a != nil
}

// typeAllowed reports whether t is one of allowed (an empty list allows every type).
func typeAllowed(t protocol.SignatureType, allowed []protocol.SignatureType) bool {
	if len(allowed) == 0 {
		return true
	}
	for _, a := range allowed {
		if a == t {
			return true
		}
	}
	return false
}
