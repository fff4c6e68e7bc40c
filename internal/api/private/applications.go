package private

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/mauth/mauth/internal/api/render"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/restv3"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/protocol"
)

// appBodylessMethod registers a list method that ignores its request body
// entirely, as the reference server does for its list methods.
func appBodylessMethod(s *Server, name string, fn func(ctx context.Context) (any, error)) {
	s.register(name, nil)
	s.mux.HandleFunc("POST "+Prefix+name, func(w http.ResponseWriter, r *http.Request) {
		if err := s.authorize(r.Context(), name, nil); err != nil {
			render.Error(w, r, s.log, err)
			return
		}
		resp, err := fn(r.Context())
		if err != nil {
			render.Error(w, r, s.log, err)
			return
		}
		render.OK(w, resp)
	})
}

// appNotBlank records a "must not be blank" failure for an empty field.
func appNotBlank(v *render.Validator, field, value string) {
	v.Check(strings.TrimSpace(value) != "", field, "must not be blank")
}

// appRolesOrEmpty returns roles, or an empty list (JSON [] rather than null).
func appRolesOrEmpty(roles []string) []string {
	if roles == nil {
		return []string{}
	}
	return roles
}

type appIDRequest struct {
	ApplicationID string `json:"applicationId"`
}

func (r *appIDRequest) validate() error {
	var v render.Validator
	appNotBlank(&v, "applicationId", r.ApplicationID)
	return v.Err()
}

type appItem = restv3.Application

type appListResponse = restv3.ApplicationList

type appVersionItem = restv3.ApplicationVersion

type appDetailResponse = restv3.ApplicationDetail

type appLookupRequest struct {
	ApplicationKey string `json:"applicationKey"`
}

type appLookupResponse struct {
	ApplicationID string `json:"applicationId"`
}

type appVersionRequest struct {
	restv3.ApplicationVersionRequest
}

func (r *appVersionRequest) validate() error {
	var v render.Validator
	appNotBlank(&v, "applicationId", r.ApplicationID)
	appNotBlank(&v, "applicationVersionId", r.ApplicationVersionID)
	return v.Err()
}

type appVersionCreateResponse = restv3.ApplicationVersionCreated

type appVersionSupportResponse struct {
	ApplicationVersionID string `json:"applicationVersionId"`
	Supported            bool   `json:"supported"`
}

type appRolesRequest struct {
	ApplicationID    string   `json:"applicationId"`
	ApplicationRoles []string `json:"applicationRoles"`
}

func (r *appRolesRequest) validate() error {
	var v render.Validator
	appNotBlank(&v, "applicationId", r.ApplicationID)
	v.Check(r.ApplicationRoles != nil, "applicationRoles", "must not be null")
	return v.Err()
}

type appConfigRequest struct {
	ApplicationID string            `json:"applicationId"`
	Key           string            `json:"key"`
	Values        []json.RawMessage `json:"values"`
}

func (r *appConfigRequest) validate() error {
	var v render.Validator
	appNotBlank(&v, "applicationId", r.ApplicationID)
	appNotBlank(&v, "key", r.Key)
	return v.Err()
}

type appConfigItem struct {
	Key    string            `json:"key"`
	Values []json.RawMessage `json:"values"`
}

type appConfigDetailResponse struct {
	ApplicationID      string          `json:"applicationId"`
	ApplicationConfigs []appConfigItem `json:"applicationConfigs"`
}

type appConfigCreateResponse struct {
	ApplicationID string            `json:"applicationId"`
	Key           string            `json:"key"`
	Values        []json.RawMessage `json:"values"`
}

func appItemOf(a domain.Application) appItem {
	return appItem{ApplicationID: a.Name, ApplicationRoles: appRolesOrEmpty(a.Roles)}
}

// registerApplicationRoutes registers the application, version, role and
// configuration methods.
func (s *Server) registerApplicationRoutes() {
	appBodylessMethod(s, "application/list", func(ctx context.Context) (any, error) {
		apps, err := s.svc.ListApplications(ctx)
		if err != nil {
			return nil, err
		}
		out := appListResponse{Applications: make([]appItem, 0, len(apps))}
		for _, a := range apps {
			if visibleTo(ctx, a.ID) { // an APPLICATION integration sees its own
				out.Applications = append(out.Applications, appItemOf(a))
			}
		}
		return out, nil
	})
	method(s, "application/detail", func(ctx context.Context, req *appIDRequest) (any, error) {
		if err := req.validate(); err != nil {
			return nil, err
		}
		d, err := s.svc.GetApplicationDetail(ctx, req.ApplicationID)
		if err != nil {
			return nil, err
		}
		out := appDetailResponse{
			ApplicationID:    d.Application.Name,
			ApplicationRoles: appRolesOrEmpty(d.Application.Roles),
			MasterPublicKey:  base64.StdEncoding.EncodeToString(d.MasterPublicKey),
			Versions:         make([]appVersionItem, 0, len(d.Versions)),
		}
		for _, v := range d.Versions {
			out.Versions = append(out.Versions, appVersionItem{
				ApplicationVersionID: v.Name,
				ApplicationKey:       v.ApplicationKey,
				ApplicationSecret:    v.ApplicationSecret,
				MobileSdkConfig:      d.SDKConfig(v),
				Supported:            v.Supported,
			})
		}
		return out, nil
	})
	method(s, "application/detail/version", func(ctx context.Context, req *appLookupRequest) (any, error) {
		var v render.Validator
		appNotBlank(&v, "applicationKey", req.ApplicationKey)
		if err := v.Err(); err != nil {
			return nil, err
		}
		app, _, err := s.svc.LookupApplicationByKey(ctx, req.ApplicationKey)
		if err != nil {
			return nil, err
		}
		return appLookupResponse{ApplicationID: app.Name}, nil
	})
	method(s, "application/create", func(ctx context.Context, req *appIDRequest) (any, error) {
		if err := req.validate(); err != nil {
			return nil, err
		}
		app, err := s.svc.CreateApplication(ctx, req.ApplicationID, nil)
		if err != nil {
			return nil, err
		}
		return appItemOf(app), nil
	})
	method(s, "application/version/create", func(ctx context.Context, req *appVersionRequest) (any, error) {
		if err := req.validate(); err != nil {
			return nil, err
		}
		v, err := s.svc.CreateApplicationVersion(ctx, req.ApplicationID, req.ApplicationVersionID)
		if err != nil {
			return nil, err
		}
		return appVersionCreateResponse{
			ApplicationVersionID:   v.Name,
			ApplicationVersionName: v.Name,
			ApplicationKey:         v.ApplicationKey,
			ApplicationSecret:      v.ApplicationSecret,
			Supported:              v.Supported,
		}, nil
	})
	for name, supported := range map[string]bool{"application/version/support": true, "application/version/unsupport": false} {
		method(s, name, func(ctx context.Context, req *appVersionRequest) (any, error) {
			if err := req.validate(); err != nil {
				return nil, err
			}
			v, err := s.svc.SetApplicationVersionSupported(ctx, req.ApplicationID, req.ApplicationVersionID, supported)
			if err != nil {
				return nil, err
			}
			return appVersionSupportResponse{ApplicationVersionID: v.Name, Supported: v.Supported}, nil
		})
	}
	s.registerApplicationRoleRoutes()
	s.registerApplicationConfigRoutes()
	s.registerApplicationProtocolRoutes()
}

// appProtocolRequest is application/protocol/update (and, with only the
// application, application/protocol/detail); absent settings are kept.
type appProtocolRequest struct {
	ApplicationID          string  `json:"applicationId"`
	MinimumProtocolVersion *string `json:"minimumProtocolVersion"`
	AllowVersionDowngrade  *bool   `json:"allowVersionDowngrade"`
}

// appProtocolResponse shows the protocol settings of an application.
type appProtocolResponse struct {
	ApplicationID          string `json:"applicationId"`
	MinimumProtocolVersion string `json:"minimumProtocolVersion"`
	AllowVersionDowngrade  bool   `json:"allowVersionDowngrade"`
}

func appProtocolOf(a domain.Application) appProtocolResponse {
	return appProtocolResponse{
		ApplicationID:          a.Name,
		MinimumProtocolVersion: service.EffectiveMinProtocolVersion(a),
		AllowVersionDowngrade:  a.AllowVersionDowngrade,
	}
}

// registerApplicationProtocolRoutes registers application/protocol/*,
// mauth's own methods for the protocol version policy of an application
// (minimum version and the per-activation version ratchet).
func (s *Server) registerApplicationProtocolRoutes() {
	method(s, "application/protocol/detail", func(ctx context.Context, req *appIDRequest) (any, error) {
		if err := req.validate(); err != nil {
			return nil, err
		}
		app, err := s.svc.GetApplicationProtocolSettings(ctx, req.ApplicationID)
		if err != nil {
			return nil, err
		}
		return appProtocolOf(app), nil
	})
	method(s, "application/protocol/update", func(ctx context.Context, req *appProtocolRequest) (any, error) {
		var v render.Validator
		appNotBlank(&v, "applicationId", req.ApplicationID)
		if req.MinimumProtocolVersion != nil {
			v.Check(protocol.ValidVersion(*req.MinimumProtocolVersion), "minimumProtocolVersion", "must be one of 3.0, 3.1, 3.2, 3.3")
		}
		if err := v.Err(); err != nil {
			return nil, err
		}
		app, err := s.svc.UpdateApplicationProtocolSettings(ctx, req.ApplicationID, service.ApplicationProtocolUpdate{
			MinProtocolVersion:    req.MinimumProtocolVersion,
			AllowVersionDowngrade: req.AllowVersionDowngrade,
		})
		if err != nil {
			return nil, err
		}
		return appProtocolOf(app), nil
	})
}

// registerApplicationRoleRoutes registers application/roles/*.
func (s *Server) registerApplicationRoleRoutes() {
	method(s, "application/roles/list", func(ctx context.Context, req *appIDRequest) (any, error) {
		if err := req.validate(); err != nil {
			return nil, err
		}
		roles, err := s.svc.ListApplicationRoles(ctx, req.ApplicationID)
		if err != nil {
			return nil, err
		}
		return appItem{ApplicationID: req.ApplicationID, ApplicationRoles: appRolesOrEmpty(roles)}, nil
	})
	changes := map[string]func(context.Context, string, []string) ([]string, error){
		"application/roles/create": s.svc.AddApplicationRoles,
		"application/roles/update": s.svc.UpdateApplicationRoles,
		"application/roles/remove": s.svc.RemoveApplicationRoles,
	}
	for name, change := range changes {
		method(s, name, func(ctx context.Context, req *appRolesRequest) (any, error) {
			if err := req.validate(); err != nil {
				return nil, err
			}
			roles, err := change(ctx, req.ApplicationID, req.ApplicationRoles)
			if err != nil {
				return nil, err
			}
			return appItem{ApplicationID: req.ApplicationID, ApplicationRoles: appRolesOrEmpty(roles)}, nil
		})
	}
}

// registerApplicationConfigRoutes registers application/config/*.
func (s *Server) registerApplicationConfigRoutes() {
	method(s, "application/config/detail", func(ctx context.Context, req *appIDRequest) (any, error) {
		if err := req.validate(); err != nil {
			return nil, err
		}
		items, err := s.svc.GetApplicationConfig(ctx, req.ApplicationID)
		if err != nil {
			return nil, err
		}
		out := appConfigDetailResponse{ApplicationID: req.ApplicationID, ApplicationConfigs: make([]appConfigItem, 0, len(items))}
		for _, it := range items {
			out.ApplicationConfigs = append(out.ApplicationConfigs, appConfigItem{Key: it.Key, Values: it.Values})
		}
		return out, nil
	})
	method(s, "application/config/create", func(ctx context.Context, req *appConfigRequest) (any, error) {
		if err := req.validate(); err != nil {
			return nil, err
		}
		item, err := s.svc.CreateApplicationConfig(ctx, req.ApplicationID, req.Key, req.Values)
		if err != nil {
			return nil, err
		}
		return appConfigCreateResponse{ApplicationID: req.ApplicationID, Key: item.Key, Values: item.Values}, nil
	})
	method(s, "application/config/remove", func(ctx context.Context, req *appConfigRequest) (any, error) {
		if err := req.validate(); err != nil {
			return nil, err
		}
		if err := s.svc.RemoveApplicationConfig(ctx, req.ApplicationID, req.Key); err != nil {
			return nil, err
		}
		return nil, nil
	})
}
