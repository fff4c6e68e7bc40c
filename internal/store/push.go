package store

import (
	"context"

	"github.com/mauth/mauth/internal/domain"
)

// PushReader holds the lookups of push registrations.
type PushReader interface {
	// GetPushDevice returns the registration of an activation.
	GetPushDevice(ctx context.Context, activationID string) (domain.PushDevice, error)
	// ListPushDevices returns the registrations of a user's activations of
	// an application, ordered by activation id.
	ListPushDevices(ctx context.Context, applicationID int64, userID string) ([]domain.PushDevice, error)
}

// PushWriter holds the writes of push registrations.
type PushWriter interface {
	// PutPushDevice creates or replaces the registration of d.ActivationID
	// (keeping Created of an existing one) and removes registrations of
	// other activations of the same application holding the same push
	// token, so that a token reaches only its newest activation.
	// ErrConflict when the activation does not exist.
	PutPushDevice(ctx context.Context, d *domain.PushDevice) error
	// DeletePushDevice deletes the registration of an activation.
	DeletePushDevice(ctx context.Context, activationID string) error
}
