package domain

import "time"

// PushDevice is the push registration of one activation: where to deliver
// push messages for the device holding it.
type PushDevice struct {
	// ActivationID is the activation the registration belongs to (one
	// registration per activation).
	ActivationID string
	// ApplicationID is the internal id of the activation's application.
	ApplicationID int64
	// UserID is the user of the activation.
	UserID string
	// Platform is the push service: "apns", "fcm" or "hms".
	Platform string
	// Token is the push token the platform issued to the device.
	Token string
	// Environment is the APNs environment ("development" or "production");
	// empty for the other platforms.
	Environment string
	// Created is when the activation first registered.
	Created time.Time
	// LastRegistered is when the registration was last refreshed.
	LastRegistered time.Time
}
