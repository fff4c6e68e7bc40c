package domain

import "time"

// Application is a mobile application registered on the server
// (pa_application). It owns one or more master key pairs (the newest is
// used) and any number of versions.
type Application struct {
	// ID is the internal id assigned by the store.
	ID int64
	// Name is the unique name, exposed as applicationId in the REST API.
	Name string
	// Roles are free-form role strings (e.g. ROLE_ADMIN).
	Roles []string
	// MinProtocolVersion is the lowest protocol version ("3.0" … "3.3")
	// the application accepts from devices: signatures, encrypted
	// requests and tokens of lower versions are refused. Empty: every
	// version mauth speaks.
	MinProtocolVersion string
	// AllowVersionDowngrade turns the per-activation version ratchet off:
	// when false (the default), an activation that has spoken protocol
	// version X is refused requests of versions below X.
	AllowVersionDowngrade bool
	// Revision is maintained by the store: it is incremented in the
	// transaction of every change of the application (name, roles,
	// protocol settings), of its versions and of its configuration, so a
	// copy of these rows is current exactly while its Revision matches the
	// stored one.
	Revision int64
}

// ApplicationVersion is one version of an application with its own
// application key and secret (pa_application_version).
type ApplicationVersion struct {
	// ID is the internal id assigned by the store.
	ID int64
	// ApplicationID is the owning Application.
	ApplicationID int64
	// Name is the version name (applicationVersionId), unique per application.
	Name string
	// ApplicationKey is the Base64 application key as on the wire; unique.
	ApplicationKey string
	// ApplicationSecret is the Base64 application secret as on the wire.
	ApplicationSecret string
	// Supported is false when signatures with this version must fail.
	Supported bool
}

// MasterKeyPair is an application's master EC key pair (pa_master_keypair).
type MasterKeyPair struct {
	// ID is the internal id assigned by the store.
	ID int64
	// ApplicationID is the owning Application.
	ApplicationID int64
	// Name is a human-readable label.
	Name string
	// PrivateKeyEncrypted is the private key in the server's at-rest
	// encryption format; opaque to the store.
	PrivateKeyEncrypted []byte
	// PublicKey is the encoded public key.
	PublicKey []byte
	// Created orders key pairs: the newest one is in use.
	Created time.Time
}

// ApplicationConfig is one configuration key of an application
// (pa_application_config), unique per application and key.
type ApplicationConfig struct {
	// ID is the internal id assigned by the store.
	ID int64
	// ApplicationID is the owning Application.
	ApplicationID int64
	// Key is the configuration key, e.g. oauth2_providers.
	Key string
	// Values is the JSON array of values, or its at-rest ciphertext as
	// produced by the service; opaque to the store.
	Values []byte
}
