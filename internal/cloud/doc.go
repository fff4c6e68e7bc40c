// Package cloud is the PowerAuth Cloud API's logic: a simple private API
// for a bank's backend over the core (applications, registrations =
// activations, operations from templates, callbacks). It keeps its own
// users (Argon2id password hashes, roles ROLE_ADMIN and ROLE_USER,
// application grants, an enabled flag), issues OAuth 2.0
// client-credentials bearer tokens (ES256 JWTs signed with a key sealed at
// rest), rate-limits wrong passwords per user and per client IP, and keeps
// the localised titles and summaries of operation templates.
//
// It reaches the core only through the Core port it declares here;
// internal/app adapts the core service to it, so every PowerAuth rule has
// one implementation. The HTTP surface is internal/api/cloud.
package cloud
