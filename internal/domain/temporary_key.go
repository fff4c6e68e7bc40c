package domain

import "time"

// TemporaryKey is a short-lived server encryption key pair of protocol 3.3
// (pa_temporary_key).
type TemporaryKey struct {
	// ID is the key id handed to the client.
	ID string
	// ApplicationKey is the application key the key was created for.
	ApplicationKey string
	// ActivationID is the activation the key is bound to; empty for an
	// application-scoped key.
	ActivationID string
	// PrivateKeyEncrypted is the private key in the server's at-rest
	// encryption format; opaque to the store.
	PrivateKeyEncrypted []byte
	// PublicKey is the encoded public key.
	PublicKey []byte
	// Expires is when the key stops being usable and may be purged.
	Expires time.Time
}
