package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/protocol"
)

// ApplicationProtocolUpdate changes the protocol settings of an
// application; nil fields keep their value.
type ApplicationProtocolUpdate struct {
	// MinProtocolVersion is the lowest version ("3.0" … "3.3") the
	// application accepts.
	MinProtocolVersion *string
	// AllowVersionDowngrade turns the per-activation ratchet off (true) or
	// on (false).
	AllowVersionDowngrade *bool
}

// GetApplicationProtocolSettings returns the application with its
// protocol settings (domain.Application.MinProtocolVersion and
// AllowVersionDowngrade).
func (s *Service) GetApplicationProtocolSettings(ctx context.Context, applicationName string) (domain.Application, error) {
	return s.applicationByName(ctx, s.store, applicationName)
}

// UpdateApplicationProtocolSettings changes the protocol settings of an
// application and returns it as stored. They apply to requests that start
// afterwards on every node (the change increments the application's
// revision, against which every node checks its cached rows).
func (s *Service) UpdateApplicationProtocolSettings(ctx context.Context, applicationName string, in ApplicationProtocolUpdate) (domain.Application, error) {
	if in.MinProtocolVersion != nil && !protocol.ValidVersion(*in.MinProtocolVersion) {
		return domain.Application{}, Errorf(CodeInvalidRequest, "minimumProtocolVersion - must be one of 3.0, 3.1, 3.2, 3.3")
	}
	var out domain.Application
	defer s.applicationsChanged()
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		found, err := s.applicationByName(ctx, tx, applicationName)
		if err != nil {
			return err
		}
		app, err := tx.GetApplicationForUpdate(ctx, found.ID)
		if errors.Is(err, store.ErrNotFound) {
			return Errorf(CodeInvalidApplication, "Application does not exist.")
		}
		if err != nil {
			return fmt.Errorf("lock application: %w", err)
		}
		if in.MinProtocolVersion != nil {
			app.MinProtocolVersion = *in.MinProtocolVersion
			if app.MinProtocolVersion == protocol.Version30 {
				app.MinProtocolVersion = "" // the lowest version: no minimum
			}
		}
		if in.AllowVersionDowngrade != nil {
			app.AllowVersionDowngrade = *in.AllowVersionDowngrade
		}
		if err := tx.UpdateApplication(ctx, &app); err != nil {
			return fmt.Errorf("update application protocol settings: %w", err)
		}
		out = app
		return s.writeAdminAudit(ctx, tx, "APPLICATION_PROTOCOL_UPDATED", app.Name, map[string]string{
			"applicationId":          app.Name,
			"minimumProtocolVersion": EffectiveMinProtocolVersion(app),
			"allowVersionDowngrade":  fmt.Sprint(app.AllowVersionDowngrade),
		})
	})
	if err != nil {
		return domain.Application{}, err
	}
	return out, nil
}
