package domain

import "time"

// CloudRole is the role of a Cloud API user.
type CloudRole string

// The Cloud API roles.
const (
	// CloudRoleAdmin may call everything, /admin/** included.
	CloudRoleAdmin CloudRole = "ROLE_ADMIN"
	// CloudRoleUser may manage registrations and operations of the
	// applications granted to it.
	CloudRoleUser CloudRole = "ROLE_USER"
)

// CloudUser is a user of the PowerAuth Cloud API (the bank backend's
// credentials).
type CloudUser struct {
	// Username is the unique login name.
	Username string
	// PasswordHash is the Argon2id hash of the password (PHC string).
	PasswordHash string
	// Role is ROLE_ADMIN or ROLE_USER.
	Role CloudRole
	// Enabled is false for a disabled user, who cannot authenticate.
	Enabled bool
	// Created is when the user was created.
	Created time.Time
}

// CloudLocalization is the title and summary of an operation template in
// one language, shown with the Cloud API's operations.
type CloudLocalization struct {
	// TemplateName is the operation template.
	TemplateName string
	// Language is a lower-case ISO 639-1 code.
	Language string
	// Title and Summary may hold ${param} placeholders.
	Title, Summary string
}

// CloudSigningKey is a key the Cloud API signs its bearer tokens with.
type CloudSigningKey struct {
	// ID is the key id (the tokens' kid).
	ID string
	// PrivateKeyEncrypted is the sealed PKCS#8 private key; opaque to the store.
	PrivateKeyEncrypted []byte
	// Created is when the key was generated.
	Created time.Time
}
