package wire

// Paths and resource id of the push registration API.
const (
	// PushRegisterPath registers with a signature (or a MAC token).
	PushRegisterPath = "/api/push/device/register"
	// PushRegisterTokenPath registers with a MAC token.
	PushRegisterTokenPath = "/api/push/device/register/token"
	// PushRegisterResource is the resource id of a signed registration.
	PushRegisterResource = "/push/device/register"
)

// PushRegistration is the request object of both push registration
// endpoints: the device's push token.
type PushRegistration struct {
	// Platform is apns, fcm or hms.
	Platform string `json:"platform"`
	// Token is the push token of the platform.
	Token string `json:"token"`
	// Environment is the APNs environment (development or production).
	Environment string `json:"environment,omitempty"`
}
