package domain

import "time"

// ConsoleRole is what a console user may do in the admin console.
type ConsoleRole string

const (
	// ConsoleRoleAdmin may do everything, including managing console users.
	ConsoleRoleAdmin ConsoleRole = "admin"
	// ConsoleRoleOperator may read and change applications, activations,
	// operations, templates, callbacks and integrations.
	ConsoleRoleOperator ConsoleRole = "operator"
	// ConsoleRoleReadOnly may only read.
	ConsoleRoleReadOnly ConsoleRole = "read-only"
)

// Valid reports whether r is one of the known roles.
func (r ConsoleRole) Valid() bool {
	switch r {
	case ConsoleRoleAdmin, ConsoleRoleOperator, ConsoleRoleReadOnly:
		return true
	}
	return false
}

// ConsoleUser is a person who signs in to the admin console.
type ConsoleUser struct {
	// ID is assigned by the store.
	ID int64
	// Username is unique.
	Username string
	// PasswordHash is the encoded Argon2id hash of the password.
	PasswordHash string
	// Role is what the user may do.
	Role ConsoleRole
	// FailedAttempts counts wrong passwords since the last good sign-in.
	FailedAttempts int64
	// LockedUntil is when sign-in opens again after too many wrong
	// passwords (zero: not locked).
	LockedUntil time.Time
	// Created is when the user was created.
	Created time.Time
	// LastSignIn is the time of the last successful sign-in (zero: never).
	LastSignIn time.Time
}

// ConsoleSession is a signed-in browser session of a console user. The
// session id itself lives only in the browser's cookie; the store keeps
// its SHA-256 hash.
type ConsoleSession struct {
	// IDHash is the hex SHA-256 of the session id.
	IDHash string
	// UserID is the console user.
	UserID int64
	// Created is the sign-in time (the absolute timeout counts from it).
	Created time.Time
	// LastSeen is the last request's time (the idle timeout counts from it).
	LastSeen time.Time
}
