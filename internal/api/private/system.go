package private

import (
	"context"
	"sort"

	"github.com/mauth/mauth/internal/buildinfo"
	"github.com/mauth/mauth/internal/restv3"
	"github.com/mauth/mauth/internal/service"
)

type statusResponse = restv3.SystemStatus

type errorItem struct {
	Code  string `json:"code"`
	Value string `json:"value"`
}

type errorListResponse struct {
	Errors []errorItem `json:"errors"`
}

func (s *Server) registerSystemRoutes() {
	method(s, "status", func(ctx context.Context, _ *struct{}) (any, error) {
		v := s.opts.ServerVersion
		if v == "" {
			v = buildinfo.Version
		}
		return statusResponse{
			Status:                 "OK",
			ApplicationName:        "mauth",
			ApplicationDisplayName: "mauth core server",
			ApplicationEnvironment: "",
			Version:                buildinfo.ServerAPILevel,
			MauthVersion:           v,
			Timestamp:              s.svc.Now(),
		}, nil
	})
	// The request's language is ignored (messages are English), and so is
	// the whole body, as for the list methods.
	appBodylessMethod(s, "error/list", func(ctx context.Context) (any, error) {
		out := errorListResponse{Errors: make([]errorItem, 0, len(service.CodeMessages))}
		for code, msg := range service.CodeMessages {
			out.Errors = append(out.Errors, errorItem{Code: code, Value: msg})
		}
		sort.Slice(out.Errors, func(i, j int) bool { return out.Errors[i].Code < out.Errors[j].Code })
		return out, nil
	})
}
