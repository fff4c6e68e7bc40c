// Package provider holds what the push providers (APNs, FCM, HMS) share:
// the platform-independent message of api.md §4.2, the outcome of one
// delivery attempt (delivered, invalid token, transient, failed), the
// Retry-After parser, an OAuth2 access-token cache on an injectable clock
// and the small JWT signer the token grants need.
//
// It is a leaf package: the provider clients (internal/push/apns, fcm,
// hms) and later the dispatcher in internal/push import it, never the
// other way round, so there are no import cycles.
package provider
