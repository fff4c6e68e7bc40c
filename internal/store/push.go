package store

import (
	"context"
	"time"
)

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

// PushReader holds the lookups of push registrations.
type PushReader interface {
	// GetPushDevice returns the registration of an activation.
	GetPushDevice(ctx context.Context, activationID string) (PushDevice, error)
	// ListPushDevices returns the registrations of a user's activations of
	// an application, ordered by activation id.
	ListPushDevices(ctx context.Context, applicationID int64, userID string) ([]PushDevice, error)
}

// PushWriter holds the writes of push registrations.
type PushWriter interface {
	// PutPushDevice creates or replaces the registration of d.ActivationID
	// (keeping Created of an existing one) and removes registrations of
	// other activations of the same application holding the same push
	// token, so that a token reaches only its newest activation.
	// ErrConflict when the activation does not exist.
	PutPushDevice(ctx context.Context, d *PushDevice) error
	// DeletePushDevice deletes the registration of an activation.
	DeletePushDevice(ctx context.Context, activationID string) error
}
