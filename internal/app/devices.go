package app

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/mauth/mauth/internal/api/devices"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/service"
)

// maxUserDevicePages bounds the pages of one user's activations read for
// the self-service device API (500 a page).
const maxUserDevicePages = 20

// devicesCore adapts the core service to the self-service device API.
type devicesCore struct{ *service.Service }

// UserActivations implements devices.Core: every activation of the user in
// the application, newest first.
func (c devicesCore) UserActivations(ctx context.Context, userID, applicationName string) ([]domain.Activation, error) {
	var out []domain.Activation
	for page := range maxUserDevicePages {
		list, err := c.ListActivations(ctx, service.ActivationListQuery{UserID: userID, ApplicationID: applicationName, PageNumber: page, PageSize: service.DefaultActivationPageSize})
		if err != nil {
			return nil, fmt.Errorf("list activations: %w", err)
		}
		for _, a := range list {
			out = append(out, a.Activation)
		}
		if len(list) < service.DefaultActivationPageSize {
			break
		}
	}
	return out, nil
}

// UserAudit implements devices.Core over the audit log.
func (c devicesCore) UserAudit(ctx context.Context, userID string, from, to time.Time, limit int) ([]domain.AuditEntry, error) {
	return c.ListAuditLog(ctx, service.AuditQuery{UserID: userID, From: from, To: to, Limit: limit})
}

// MountDevices mounts the self-service device API over the core on mux
// (o.Core is set here).
func MountDevices(mux *http.ServeMux, svc *service.Service, o devices.Options) {
	o.Core = devicesCore{svc}
	devices.New(o).Register(mux)
}
