package private

import (
	"context"

	"github.com/mauth/mauth/internal/api/render"
	"github.com/mauth/mauth/internal/restv3"
	"github.com/mauth/mauth/internal/service"
)

type integrationCreateRequest struct {
	Name string `json:"name"`
}

type integrationItem = restv3.Integration

type integrationListResponse struct {
	Items            []integrationItem `json:"items"`
	RestrictedAccess bool              `json:"restrictedAccess"`
}

type integrationRemoveRequest struct {
	ID string `json:"id"`
}

type integrationRemoveResponse struct {
	ID      string `json:"id"`
	Removed bool   `json:"removed"`
}

func integrationItemOf(i service.Integration) integrationItem {
	return integrationItem{ID: i.ID, Name: i.Name, ClientToken: i.ClientToken, ClientSecret: i.ClientSecret}
}

// registerIntegrationRoutes registers integration/create, list and remove.
func (s *Server) registerIntegrationRoutes() {
	method(s, "integration/create", func(ctx context.Context, req *integrationCreateRequest) (any, error) {
		var v render.Validator
		appNotBlank(&v, "name", req.Name)
		if err := v.Err(); err != nil {
			return nil, err
		}
		i, err := s.svc.CreateIntegration(ctx, req.Name)
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
		out := integrationListResponse{Items: make([]integrationItem, 0, len(list)), RestrictedAccess: s.opts.RestrictAccess}
		for _, i := range list {
			out.Items = append(out.Items, integrationItemOf(i))
		}
		return out, nil
	})
	method(s, "integration/remove", func(ctx context.Context, req *integrationRemoveRequest) (any, error) {
		var v render.Validator
		appNotBlank(&v, "id", req.ID)
		if err := v.Err(); err != nil {
			return nil, err
		}
		removed, err := s.svc.RemoveIntegration(ctx, req.ID)
		if err != nil {
			return nil, err
		}
		return integrationRemoveResponse{ID: req.ID, Removed: removed}, nil
	})
}
