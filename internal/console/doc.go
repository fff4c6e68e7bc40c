// Package console is the admin console's vertical: its users (Argon2id
// password hashes, roles admin / operator / read-only), their server-side
// sessions (random ids kept only as SHA-256 hashes, idle and absolute
// timeouts, revoked at sign-out), a per-session CSRF token, lock-out after
// repeated wrong passwords, and the views of the core's data its pages
// show.
//
// It reads the core's data through the store and changes it through the
// Core port, which internal/app implements over the core service. Every
// change runs with the console user as the actor (domain.RequestInfo), so
// the core's audit entries and activation history name them, and the
// console writes an audit entry of its own for each action.
package console
