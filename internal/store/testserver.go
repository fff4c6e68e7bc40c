package store

import (
	"context"

	"github.com/mauth/mauth/internal/domain"
)

// TestServerReader holds the lookups of the test server's simulated
// applications and devices.
type TestServerReader interface {
	// GetTestApplication returns the configuration of an application id.
	GetTestApplication(ctx context.Context, applicationID string) (domain.TestApplication, error)
	// GetTestDevice returns the simulated device holding the activation.
	GetTestDevice(ctx context.Context, activationID string) (domain.TestDevice, error)
}

// TestServerWriter holds the writes of the test server.
type TestServerWriter interface {
	// PutTestApplication creates or replaces the configuration of
	// a.ApplicationID, keeping Created of an existing one (a.Created is
	// set to the stored value).
	PutTestApplication(ctx context.Context, a *domain.TestApplication) error
	// CreateTestDevice stores a new device with revision 1 (d.Revision is
	// set). ErrAlreadyExists when the activation id is taken, ErrConflict
	// when the application is not configured.
	CreateTestDevice(ctx context.Context, d *domain.TestDevice) error
	// SwapTestDevice replaces SealedState and Updated of the device when
	// its stored revision is still d.Revision, and increments the revision
	// (d.Revision is set to the new one). ErrConflict when the device
	// changed in between, ErrNotFound when it is gone.
	SwapTestDevice(ctx context.Context, d *domain.TestDevice) error
}
