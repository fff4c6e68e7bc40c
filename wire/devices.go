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
