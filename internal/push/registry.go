package push

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// Registration is what a device registers.
type Registration struct {
	// ActivationID is the authenticated activation of the device.
	ActivationID string
	// Platform is the push service.
	Platform Platform
	// Token is the push token (1–4096 characters).
	Token string
	// Environment is the APNs environment (empty for the default).
	Environment string
}

// MaxTokenLength bounds push tokens.
const MaxTokenLength = 4096

// ErrInvalidActivation is returned for a registration of an activation
// that does not exist or is not ACTIVE.
var ErrInvalidActivation = errors.New("push: activation is missing or not active")

// Registrar stores device registrations. The Registry implements it on
// the core database; a remote implementation can serve the enrollment
// role later.
type Registrar interface {
	// Register creates or refreshes the registration of an activation.
	Register(ctx context.Context, r Registration) error
}

// Registry keeps push registrations in the mauth database.
type Registry struct {
	st  store.Store
	now func() time.Time
}

// NewRegistry returns a registry on st; now defaults to time.Now.
func NewRegistry(st store.Store, now func() time.Time) *Registry {
	if now == nil {
		now = time.Now
	}
	return &Registry{st: st, now: now}
}

// Register implements Registrar: it binds the token to the activation
// (which must exist and be ACTIVE), replacing an earlier registration of
// the activation and taking the token away from other activations of the
// same application.
func (g *Registry) Register(ctx context.Context, r Registration) error {
	if r.Platform != PlatformAPNs && r.Platform != PlatformFCM && r.Platform != PlatformHMS {
		return fmt.Errorf("push: unknown platform %q", r.Platform)
	}
	if strings.TrimSpace(r.Token) == "" || len(r.Token) > MaxTokenLength || strings.ContainsRune(r.Token, 0) {
		return errors.New("push: token must have 1 to 4096 characters")
	}
	now := g.now().UTC().Truncate(time.Millisecond)
	err := g.st.InTx(ctx, func(tx store.Tx) error {
		a, err := tx.GetActivation(ctx, r.ActivationID)
		if errors.Is(err, store.ErrNotFound) {
			return ErrInvalidActivation
		}
		if err != nil {
			return err
		}
		if a.Status != domain.ActivationActive {
			return ErrInvalidActivation
		}
		d := domain.PushDevice{
			ActivationID:   a.ActivationID,
			ApplicationID:  a.ApplicationID,
			UserID:         a.UserID,
			Platform:       string(r.Platform),
			Token:          r.Token,
			Environment:    r.Environment,
			Created:        now,
			LastRegistered: now,
		}
		return tx.PutPushDevice(ctx, &d)
	})
	if err != nil && !errors.Is(err, ErrInvalidActivation) {
		return fmt.Errorf("push: register device: %w", err)
	}
	return err
}

// Device returns the registration of an activation (store.ErrNotFound when none).
func (g *Registry) Device(ctx context.Context, activationID string) (Device, error) {
	d, err := g.st.GetPushDevice(ctx, activationID)
	if err != nil {
		return Device{}, err
	}
	app, err := g.st.GetApplication(ctx, d.ApplicationID)
	if err != nil {
		return Device{}, fmt.Errorf("push: application of device: %w", err)
	}
	return toDevice(d, app.Name), nil
}

// Devices returns the registrations of a user's ACTIVE activations in an
// application (by name); an unknown application has none.
func (g *Registry) Devices(ctx context.Context, applicationName, userID string) ([]Device, error) {
	var out []Device
	err := g.st.View(ctx, func(r store.Reader) error {
		out = nil
		app, err := r.GetApplicationByName(ctx, applicationName)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		ds, err := r.ListPushDevices(ctx, app.ID, userID)
		if err != nil {
			return err
		}
		for _, d := range ds {
			a, err := r.GetActivation(ctx, d.ActivationID)
			if err != nil {
				if errors.Is(err, store.ErrNotFound) {
					continue
				}
				return err
			}
			if a.Status == domain.ActivationActive {
				out = append(out, toDevice(d, app.Name))
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("push: list devices: %w", err)
	}
	return out, nil
}

func toDevice(d domain.PushDevice, appName string) Device {
	return Device{
		ActivationID:  d.ActivationID,
		UserID:        d.UserID,
		ApplicationID: appName,
		Platform:      Platform(d.Platform),
		Token:         d.Token,
		Environment:   d.Environment,
	}
}
