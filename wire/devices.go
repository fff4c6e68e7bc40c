package wire

// Paths and resource ids of the self-service device API: a user's own
// devices in the application, seen and managed from one of them.
const (
	// DeviceListPath lists the caller's devices (MAC token).
	DeviceListPath = "/api/device/list"
	// DeviceBlockPath blocks another device of the caller (2FA signature).
	DeviceBlockPath = "/api/device/block"
	// DeviceRemovePath removes another device of the caller (2FA signature).
	DeviceRemovePath = "/api/device/remove"
	// DeviceBlockResource and DeviceRemoveResource are the signatures' resource ids.
	DeviceBlockResource  = "/api/device/block"
	DeviceRemoveResource = "/api/device/remove"
)

// Device is one of the user's devices (an activation) in the application.
type Device struct {
	ActivationID string `json:"activationId"`
	// Name is the activation name the device chose.
	Name string `json:"name"`
	// Platform is the device platform (ios, android, …).
	Platform string `json:"platform"`
	// DeviceInfo is what the device said about itself at activation.
	DeviceInfo string `json:"deviceInfo"`
	// Status is CREATED, PENDING_COMMIT, ACTIVE or BLOCKED.
	Status string `json:"status"`
	// Created and LastUsed are RFC 3339 timestamps (LastUsed empty when never used).
	Created  string `json:"created"`
	LastUsed string `json:"lastUsed,omitempty"`
	// Current marks the device that asked.
	Current bool `json:"current"`
}

// DeviceList is the response object of DeviceListPath.
type DeviceList struct {
	Devices []Device `json:"devices"`
}

// DeviceAction is the request object of DeviceBlockPath and DeviceRemovePath.
type DeviceAction struct {
	// ActivationID is another device of the same user and application.
	ActivationID string `json:"activationId"`
}

// DeviceActivityPath lists the user's recent activity (MAC token).
const DeviceActivityPath = "/api/device/activity"

// ActivityRequest is the request object of DeviceActivityPath.
type ActivityRequest struct {
	// Size is the page length (1–100, default 50).
	Size int `json:"size,omitempty"`
	// Before continues a listing: the NextBefore of the previous page (an
	// opaque cursor).
	Before string `json:"before,omitempty"`
}

// Activity is one event of the user in the application.
type Activity struct {
	// Timestamp is when it happened (RFC 3339, UTC, with fractions).
	Timestamp string `json:"timestamp"`
	// Kind is SIGNATURE (a sign-in or approval signature), OPERATION (an
	// operation changed state) or DEVICE (a device changed state).
	Kind string `json:"kind"`
	// Result is OK or FAILED for a signature, the new state otherwise.
	Result string `json:"result"`
	// OperationType is the operation's type (OPERATION only).
	OperationType string `json:"operationType,omitempty"`
	// ActivationID and DeviceName name the device involved.
	ActivationID string `json:"activationId,omitempty"`
	DeviceName   string `json:"deviceName,omitempty"`
	// IP and UserAgent are the request's, when it came through an API.
	IP        string `json:"ip,omitempty"`
	UserAgent string `json:"userAgent,omitempty"`
}

// ActivityPage is the response object of DeviceActivityPath.
type ActivityPage struct {
	Activities []Activity `json:"activities"`
	// NextBefore continues the listing (empty on the last page).
	NextBefore string `json:"nextBefore,omitempty"`
}
