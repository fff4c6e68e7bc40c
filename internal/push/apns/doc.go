// Package apns is a client of Apple's HTTP/2 provider API with token
// authentication: an ES256 JWT signed with the team's .p8 key, reused
// across requests and refreshed within Apple's rules (not more often than
// every 20 minutes, before it is 60 minutes old). It maps the message of
// api.md §4.2 to the APNs payload and headers and classifies Apple's
// answers into the outcome classes of internal/push/provider.
//
// It uses only the standard library: net/http speaks HTTP/2 over TLS
// (ForceAttemptHTTP2), and the JWT is one ECDSA signature.
package apns
