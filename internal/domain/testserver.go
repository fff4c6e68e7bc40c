package domain

import "time"

// TestApplication is an application the test server simulates devices
// of: the credentials a mobile app would embed (one row per application
// id, replaced by a new configuration).
type TestApplication struct {
	// ApplicationID is the caller's name of the application (the key).
	ApplicationID string
	// Name is a display name.
	Name string
	// ApplicationKey and ApplicationSecret are the version's Base64 credentials.
	ApplicationKey    string
	ApplicationSecret string
	// MasterPublicKey is the Base64 master server public key.
	MasterPublicKey string
	// Created and Updated are when the configuration was first and last stored.
	Created, Updated time.Time
}

// TestDevice is one device the test server simulates: the state a phone
// keeps in its keychain, sealed with the server key.
type TestDevice struct {
	// ActivationID is the activation the device holds (the key).
	ActivationID string
	// ApplicationID is the TestApplication the device belongs to.
	ApplicationID string
	// SealedState is the device state (keys, counter), encrypted at rest.
	SealedState []byte
	// Revision is incremented by every stored change; a write whose
	// revision is stale fails (compare-and-set).
	Revision int64
	// Created and Updated are when the device was activated and last changed.
	Created, Updated time.Time
}
