package private

import (
	"context"

	"github.com/mauth/mauth/internal/api/render"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/restv3"
	"github.com/mauth/mauth/internal/service"
)

// integrationCreateRequest is the reference's request (name) with two
// optional mauth extensions: role and applicationIds.
type integrationCreateRequest struct {
	Name           string   `json:"name"`
	Role           *string  `json:"role"`
	ApplicationIDs []string `json:"applicationIds"`
}

type integrationItem = restv3.Integration

type integrationListResponse struct {
	Items            []restv3.IntegrationListItem `json:"items"`
	RestrictedAccess bool                         `json:"restrictedAccess"`
}

type integrationRemoveRequest struct {
	ID string `json:"id"`
}

type integrationRemoveResponse struct {
	ID      string `json:"id"`
	Removed bool   `json:"removed"`
}

// integrationApplicationsRequest grants or revokes applications (mauth
// extension).
type integrationApplicationsRequest struct {
	ID             string   `json:"id"`
	ApplicationIDs []string `json:"applicationIds"`
}

func integrationItemOf(i service.Integration) integrationItem {
	return integrationItem{ID: i.ID, Name: i.Name, ClientToken: i.ClientToken, ClientSecret: i.ClientSecret,
		Role: string(i.Role), ApplicationIDs: appRolesOrEmpty(i.Applications)}
}

// integrationListItemOf describes an integration without its secret.
func integrationListItemOf(i service.Integration) restv3.IntegrationListItem {
	return restv3.IntegrationListItem{ID: i.ID, Name: i.Name, ClientToken: i.ClientToken,
		Role: string(i.Role), ApplicationIDs: appRolesOrEmpty(i.Applications)}
}

// registerIntegrationRoutes registers integration/create, list and remove,
// and the grants integration/applications/create and remove.
func (s *Server) registerIntegrationRoutes() {
	method(s, "integration/create", func(ctx context.Context, req *integrationCreateRequest) (any, error) {
		var v render.Validator
		v.NotBlank("name", req.Name)
		var role domain.IntegrationRole
		if req.Role != nil {
			r, err := domain.ParseIntegrationRole(*req.Role)
			v.Check(err == nil, "role", "must be one of ADMIN, APPLICATION")
			role = r
		}
		if err := v.Err(); err != nil {
			return nil, err
		}
		i, err := s.svc.CreateIntegrationWith(ctx, service.IntegrationInput{Name: req.Name, Role: role, Applications: req.ApplicationIDs})
		if err != nil {
			return nil, err
		}
		return integrationItemOf(i), nil
	})
	appBodylessMethod(s, "integration/list", func(ctx context.Context) (any, error) {
		list, err := s.svc.ListIntegrations(ctx)
		if err != nil {
			return nil, err
		}
		out := integrationListResponse{Items: make([]restv3.IntegrationListItem, 0, len(list)), RestrictedAccess: s.opts.RestrictAccess}
		for _, i := range list {
			out.Items = append(out.Items, integrationListItemOf(i))
		}
		return out, nil
	})
	method(s, "integration/remove", func(ctx context.Context, req *integrationRemoveRequest) (any, error) {
		var v render.Validator
		v.NotBlank("id", req.ID)
		if err := v.Err(); err != nil {
			return nil, err
		}
		removed, err := s.svc.RemoveIntegration(ctx, req.ID)
		if err != nil {
			return nil, err
		}
		return integrationRemoveResponse{ID: req.ID, Removed: removed}, nil
	})
	changes := map[string]func(context.Context, string, []string) (service.Integration, error){
		"integration/applications/create": s.svc.GrantIntegrationApplications,
		"integration/applications/remove": s.svc.RevokeIntegrationApplications,
	}
	for name, change := range changes {
		method(s, name, func(ctx context.Context, req *integrationApplicationsRequest) (any, error) {
			var v render.Validator
			v.NotBlank("id", req.ID)
			v.Check(len(req.ApplicationIDs) > 0, "applicationIds", "must not be empty")
			if err := v.Err(); err != nil {
				return nil, err
			}
			i, err := change(ctx, req.ID, req.ApplicationIDs)
			if err != nil {
				return nil, err
			}
			return integrationListItemOf(i), nil
		})
	}
}
