// Package push is mauth's push server: the registrations devices make
// (platform, push token, environment, bound to their activation), each
// application's provider credentials (sealed at rest), the message
// outbox in the database and its dispatcher (retries with back-off, a
// circuit breaker per provider and application, invalid tokens removed),
// campaigns, and the Mobile Token payloads of operation events. The
// provider clients are the sub-packages apns, fcm and hms. The logging
// Sender (and the Notifier over any Sender) remain for applications
// without provider credentials.
package push

import (
	"context"
	"strings"
)

// Platform is a push service.
type Platform string

// The supported push services.
const (
	// PlatformAPNs is Apple Push Notification service.
	PlatformAPNs Platform = "apns"
	// PlatformFCM is Firebase Cloud Messaging.
	PlatformFCM Platform = "fcm"
	// PlatformHMS is Huawei Mobile Services push.
	PlatformHMS Platform = "hms"
)

// ParsePlatform reads a platform name case-insensitively, accepting the
// legacy names ios (APNs), android (FCM) and huawei (HMS).
func ParsePlatform(s string) (Platform, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "apns", "ios":
		return PlatformAPNs, true
	case "fcm", "android":
		return PlatformFCM, true
	case "hms", "huawei":
		return PlatformHMS, true
	}
	return "", false
}

// APNs environments.
const (
	EnvironmentDevelopment = "development"
	EnvironmentProduction  = "production"
)

// ParseEnvironment reads an APNs environment (case-insensitive); empty is
// allowed and means the sender's default.
func ParseEnvironment(s string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return "", true
	case EnvironmentDevelopment:
		return EnvironmentDevelopment, true
	case EnvironmentProduction:
		return EnvironmentProduction, true
	}
	return "", false
}

// Device is a registered device as a Sender needs it.
type Device struct {
	// ActivationID is the activation holding the registration.
	ActivationID string
	// UserID is the activation's user.
	UserID string
	// ApplicationID is the name of the activation's application.
	ApplicationID string
	// Platform is the push service.
	Platform Platform
	// Token is the push token (not a secret, but not logged either).
	Token string
	// Environment is the APNs environment; empty for the default.
	Environment string
}

// Priority of a push message.
type Priority string

// Message priorities.
const (
	PriorityHigh   Priority = "HIGH"
	PriorityNormal Priority = "NORMAL"
)

// Message is a push message body, independent of the platform.
type Message struct {
	// Title and Body are the visible texts (empty for a silent message).
	Title string
	Body  string
	// Category groups messages on the device.
	Category string
	// Sound names the sound to play; empty for none.
	Sound string
	// Silent messages wake the app without showing anything.
	Silent bool
	// Priority is HIGH unless NORMAL is asked for.
	Priority Priority
	// Extras are custom key-value data for the app.
	Extras map[string]string
}

// Sender delivers a message to one device. Implementations must be safe
// for concurrent use and must not log push tokens or message secrets.
type Sender interface {
	Send(ctx context.Context, d Device, m Message) error
}

// SenderFunc adapts a function to Sender.
type SenderFunc func(ctx context.Context, d Device, m Message) error

// Send implements Sender.
func (f SenderFunc) Send(ctx context.Context, d Device, m Message) error { return f(ctx, d, m) }
