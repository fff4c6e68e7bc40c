package push

import (
	"context"
	"errors"
	"strings"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// DeviceRequest is a device registration of the push server API.
type DeviceRequest struct {
	// AppID is the application name.
	AppID string
	// ActivationIDs are the activations the device holds (one, or several
	// for /push/device/create/multi).
	ActivationIDs []string
	// Platform is apns|fcm|hms (or the legacy ios|android|huawei).
	Platform string
	// Token is the push token.
	Token string
	// Environment is the APNs environment (development|production).
	Environment string
}

// ErrActivationRemoved is returned for a registration of an activation
// that does not exist or is REMOVED.
var ErrActivationRemoved = errors.New("push: activation does not exist or is removed")

// CreateDevice stores the registration of the push server API for each
// activation (which must belong to the application and not be REMOVED;
// CREATED, PENDING_COMMIT and BLOCKED are accepted like the reference, and
// only ACTIVE ones get personal messages). All or nothing.
func (s *Service) CreateDevice(ctx context.Context, r DeviceRequest) error {
	p, ok := ParsePlatform(r.Platform)
	if !ok {
		return invalid("unknown platform %q (apns, fcm or hms)", r.Platform)
	}
	if strings.TrimSpace(r.Token) == "" || len(r.Token) > MaxTokenLength || strings.ContainsAny(r.Token, "\x00 \t\r\n") {
		return invalid("token must have 1 to %d characters without spaces", MaxTokenLength)
	}
	env, ok := ParseEnvironment(r.Environment)
	if !ok {
		return invalid("unknown environment %q (development or production)", r.Environment)
	}
	if env != "" && p != PlatformAPNs && len(r.ActivationIDs) > 1 {
		return invalid("environment is only for the apns platform")
	}
	if p != PlatformAPNs {
		env = ""
	}
	if len(r.ActivationIDs) == 0 {
		return invalid("activationId is required")
	}
	for _, id := range r.ActivationIDs {
		if strings.TrimSpace(id) == "" {
			return invalid("activationId is required")
		}
	}
	return s.st.InTx(ctx, func(tx store.Tx) error {
		app, err := appByName(ctx, tx, r.AppID)
		if err != nil {
			return err
		}
		now := s.now()
		for _, id := range r.ActivationIDs {
			a, err := tx.GetActivation(ctx, id)
			if errors.Is(err, store.ErrNotFound) || (err == nil && (a.Status == domain.ActivationRemoved || a.ApplicationID != app.ID)) {
				return ErrActivationRemoved
			}
			if err != nil {
				return err
			}
			d := domain.PushDevice{ActivationID: a.ActivationID, ApplicationID: app.ID, UserID: a.UserID, Platform: string(p),
				Token: r.Token, Environment: env, Created: now, LastRegistered: now}
			if len(r.ActivationIDs) > 1 {
				// create/multi: the activations share the token.
				if err := tx.AddPushDevice(ctx, &d); err != nil {
					return err
				}
				continue
			}
			if err := tx.PutPushDevice(ctx, &d); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeleteDevice deletes every registration of the application holding the
// token and returns how many.
func (s *Service) DeleteDevice(ctx context.Context, appName, token string) (int64, error) {
	if strings.TrimSpace(token) == "" {
		return 0, invalid("token is required")
	}
	var n int64
	err := s.st.InTx(ctx, func(tx store.Tx) error {
		app, err := appByName(ctx, tx, appName)
		if err != nil {
			return err
		}
		n, err = tx.DeletePushDevicesByToken(ctx, app.ID, token)
		return err
	})
	return n, err
}

// DeviceStatus answers /push/device/status/update: registrations follow
// their activation inside mauth (the status is read at every send, a
// removed activation's registration is deleted with it), so there is
// nothing to store and nothing to look up.
func (s *Service) DeviceStatus(_ context.Context, activationID string) error {
	if strings.TrimSpace(activationID) == "" {
		return invalid("activationId is required")
	}
	return nil
}

// RemoveActivation deletes an activation's registration inside the
// transaction that removes the activation.
func RemoveActivation(ctx context.Context, tx store.Tx, activationID string) error {
	if err := tx.DeletePushDevice(ctx, activationID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}
