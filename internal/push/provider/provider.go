package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Priority of a push message.
type Priority string

// Message priorities (api.md §4.1). Empty means PriorityHigh.
const (
	PriorityHigh   Priority = "HIGH"
	PriorityNormal Priority = "NORMAL"
)

// Message is a push message body (the reference's PushMessageBody plus the
// message attributes), independent of the provider.
type Message struct {
	// Title and Body are the visible texts.
	Title string
	Body  string
	// TitleLocKey / BodyLocKey name localised strings in the app; the
	// LocArgs fill their placeholders.
	TitleLocKey  string
	TitleLocArgs []string
	BodyLocKey   string
	BodyLocArgs  []string
	// Badge sets the app icon's badge; nil leaves it unchanged.
	Badge *int
	// Sound names the sound to play; empty for none.
	Sound string
	// Icon names the notification icon (Android).
	Icon string
	// Category is the notification category (APNs category, FCM/HMS tag).
	Category string
	// CollapseKey groups notifications: APNs thread-id, FCM collapse_key,
	// HMS collapse_key (an integer -1..100 there, else left out).
	CollapseKey string
	// CollapseID makes repeats of one logical notification replace each
	// other on an Apple device (apns-collapse-id, at most 64 bytes).
	CollapseID string
	// ValidUntil is when the message stops being worth delivering (APNs
	// apns-expiration, FCM/HMS ttl); zero for the provider's default.
	ValidUntil time.Time
	// Priority is HIGH unless NORMAL is asked for.
	Priority Priority
	// Silent messages wake the app without showing anything.
	Silent bool
	// Extras are custom data for the app (APNs top-level keys, FCM data,
	// HMS data).
	Extras map[string]any
}

// Target is the device a message goes to.
type Target struct {
	// Token is the push token (not logged).
	Token string
	// Environment is the APNs environment of the device ("development" or
	// "production"); empty for the client's default. Ignored by FCM/HMS.
	Environment string
}

// Outcome classifies one delivery attempt (api.md §4.2).
type Outcome int

// The outcome classes.
const (
	// Delivered: the provider accepted the message.
	Delivered Outcome = iota + 1
	// InvalidToken: the token is invalid or unregistered; the registration
	// must be removed.
	InvalidToken
	// Transient: try again later (after Result.RetryAfter when set).
	Transient
	// Failed: the provider refused the message for another reason
	// (Result.Reason); retrying the same message will not help.
	Failed
)

// String names the outcome.
func (o Outcome) String() string {
	switch o {
	case Delivered:
		return "delivered"
	case InvalidToken:
		return "invalid_token"
	case Transient:
		return "transient"
	case Failed:
		return "failed"
	}
	return "unknown"
}

// Result is the outcome of sending one message to one device.
type Result struct {
	// Outcome is the class of the result.
	Outcome Outcome
	// StatusCode is the provider's HTTP status; 0 when no answer came.
	StatusCode int
	// Reason is the provider's reason (APNs reason, FCM error code or
	// status, HMS code and message), or a local reason; empty on delivery.
	Reason string
	// RetryAfter is how long the provider asked to wait (Transient only;
	// 0 when it did not say).
	RetryAfter time.Duration
	// ID is the provider's id of a delivered message (apns-id, FCM message
	// name, HMS request id).
	ID string
}

// Sender sends one message to one device through one provider. The error
// is not nil only when the message was refused locally before anything
// was sent (an oversize payload, an unusable message); the Result's
// Outcome is then Failed. Network failures and provider answers are
// Results with a nil error. Implementations are safe for concurrent use.
type Sender interface {
	Send(ctx context.Context, t Target, m Message) (Result, error)
}

// ErrPayloadTooLarge is returned when a message's provider payload exceeds
// the provider's limit; nothing was sent.
var ErrPayloadTooLarge = errors.New("push payload too large")

// ErrInvalidMessage is returned for a message the provider cannot carry
// (e.g. an oversize collapse id); nothing was sent.
var ErrInvalidMessage = errors.New("invalid push message")

// CredentialError reports provider credentials that cannot be used. Its
// message names the provider and the problem, never the secret itself.
type CredentialError struct {
	// Provider is "apns", "fcm" or "hms".
	Provider string
	// Problem says what is wrong.
	Problem string
}

// Error implements error.
func (e *CredentialError) Error() string {
	return fmt.Sprintf("%s credentials: %s", e.Provider, e.Problem)
}

// TransportFailure is the Result of a request that got no usable answer
// (connection refused, reset, timeout): transient.
func TransportFailure(ctx context.Context, err error) Result {
	reason := "transport error"
	if ctx.Err() != nil {
		reason = "cancelled: " + ctx.Err().Error()
	} else {
		var ue interface{ Timeout() bool }
		if errors.As(err, &ue) && ue.Timeout() {
			reason = "timeout"
		}
	}
	return Result{Outcome: Transient, Reason: reason}
}

// IsTransientStatus tells whether an HTTP status means "try again later":
// 429 and every 5xx.
func IsTransientStatus(code int) bool {
	return code == http.StatusTooManyRequests || code >= 500
}

// ParseRetryAfter reads a Retry-After header value: delay seconds or an
// HTTP-date (relative to now). It returns 0 for an empty, malformed or
// past value; negative values are 0.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		const maxSeconds = int64(365 * 24 * 3600)
		if n > maxSeconds {
			n = maxSeconds
		}
		return time.Duration(n) * time.Second
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	if d := t.Sub(now); d > 0 {
		return d
	}
	return 0
}

// TTL renders the time left until validUntil as a protobuf Duration
// ("123s", whole seconds), "0s" when it has passed (FCM and HMS ttl).
func TTL(validUntil, now time.Time) string {
	s := int64(validUntil.Sub(now) / time.Second)
	if s < 0 {
		s = 0
	}
	return strconv.FormatInt(s, 10) + "s"
}

// RequestTimeout bounds one call to a provider (token or send).
const RequestTimeout = 30 * time.Second

// HTTPClient returns hc, or a client bounded by RequestTimeout when hc is
// nil.
func HTTPClient(hc *http.Client) *http.Client {
	if hc != nil {
		return hc
	}
	return &http.Client{Timeout: RequestTimeout}
}

// Clock returns now, or time.Now when now is nil.
func Clock(now func() time.Time) func() time.Time {
	if now != nil {
		return now
	}
	return time.Now
}

// FirstNonEmpty returns the first value that is not empty: a configured
// setting before the defaults.
func FirstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
