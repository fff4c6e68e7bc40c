// Package fcm is a client of the Firebase Cloud Messaging HTTP v1 API:
// an OAuth2 access token from a service-account key (the JWT bearer grant
// of RFC 7523, cached until shortly before it expires) and
// POST /v1/projects/{project}/messages:send with the Android mapping of
// api.md §4.2. Answers are classified into the outcome classes of
// internal/push/provider.
//
// It uses only the standard library: the grant is one RS256 signature
// and one form POST, and the cache must run on an injectable clock.
package fcm
