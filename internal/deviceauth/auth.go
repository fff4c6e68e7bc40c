// Package deviceauth is what the device-facing HTTP surfaces share about
// authenticating a device: the authenticated device of a request (Auth,
// carried in the request context), the PowerAuth request guards a surface
// asks for (Guards: the public API's middleware implements them and
// internal/app hands them over) and Guard, which runs a handler behind
// them in the Mobile Token API's error dialect. With it api/mtoken,
// api/push and the surfaces to come authenticate devices without
// importing api/public or each other.
package deviceauth

import (
	"context"
	"net/http"

	"github.com/mauth/mauth/protocol"
)

// Guards are the PowerAuth request guards of the public API
// (*public.Middleware implements them). Each returns a middleware that
// answers a request it rejects itself and otherwise calls the handler.
type Guards interface {
	// RequireSignature needs an X-PowerAuth-Authorization signature of the
	// body under the resource id uriID with one of the allowed factor
	// types; the handler finds the device with AuthFromContext.
	RequireSignature(uriID string, allowed ...protocol.SignatureType) func(http.Handler) http.Handler
	// RequireToken needs an X-PowerAuth-Token MAC token created with one of
	// the allowed factor types; the handler finds the device with AuthFromContext.
	RequireToken(allowed ...protocol.SignatureType) func(http.Handler) http.Handler
	// Encrypted decrypts the ECIES request of scope and encrypts the answer.
	Encrypted(scope protocol.EciesScope, sh1 string) func(http.Handler) http.Handler
}

// PossessionTypes are the factor combinations that include possession:
// every combination a device signs with on its own.
var PossessionTypes = []protocol.SignatureType{
	protocol.SignaturePossession,
	protocol.SignaturePossessionBiometry,
	protocol.SignaturePossessionKnowledge,
	protocol.SignaturePossessionKnowledgeBiometry,
}

// AuthMethod says how a request was authenticated.
type AuthMethod string

// The authentication methods of the guards.
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

// Envelope describes the ECIES envelope of a request that the Encrypted
// guard decrypted; read it with EnvelopeFromContext.
type Envelope struct {
	// Scope is application or activation scope.
	Scope protocol.EciesScope
	// Version is the protocol version of the envelope ("3.0" … "3.3").
	Version string
	// ApplicationKey is the application key the device used.
	ApplicationKey string
	// ActivationID is the activation of an activation-scope envelope.
	ActivationID string
	// TemporaryKeyID is the 3.3 temporary key the request was encrypted to.
	TemporaryKeyID string
}

type envelopeKey struct{}

// WithEnvelope returns a context carrying e.
func WithEnvelope(ctx context.Context, e *Envelope) context.Context {
	return context.WithValue(ctx, envelopeKey{}, e)
}

// EnvelopeFromContext returns the envelope of a request that passed the
// Encrypted guard.
func EnvelopeFromContext(ctx context.Context) (*Envelope, bool) {
	e, ok := ctx.Value(envelopeKey{}).(*Envelope)
	return e, ok && e != nil
}
