package private

import (
	"context"
	"encoding/json"
	"time"

	"github.com/mauth/mauth/internal/api/render"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/service"
)

// auditListRequest is the request of audit/list (a mauth extension).
type auditListRequest struct {
	UserID        string          `json:"userId"`
	ActivationID  string          `json:"activationId"`
	Type          string          `json:"type"`
	TimestampFrom json.RawMessage `json:"timestampFrom"`
	TimestampTo   json.RawMessage `json:"timestampTo"`
	Limit         int             `json:"limit"`
}

type auditItem struct {
	ID            int64             `json:"id"`
	Timestamp     time.Time         `json:"timestamp"`
	Type          string            `json:"type"`
	Actor         *string           `json:"actor"`
	ActivationID  *string           `json:"activationId"`
	UserID        *string           `json:"userId"`
	ApplicationID *string           `json:"applicationId"`
	IPAddress     *string           `json:"ipAddress"`
	UserAgent     *string           `json:"userAgent"`
	Details       map[string]string `json:"details"`
}

type auditListResponse struct {
	Items []auditItem `json:"items"`
}

func optStr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// registerAuditRoutes registers audit/list.
func (s *Server) registerAuditRoutes() {
	method(s, "audit/list", func(ctx context.Context, r *auditListRequest) (any, error) {
		var v render.Validator
		from := activationTimeField(&v, "timestampFrom", r.TimestampFrom)
		to := activationTimeField(&v, "timestampTo", r.TimestampTo)
		if r.Type != "" {
			_, err := domain.ParseAuditType(r.Type)
			v.Check(err == nil, "type", "must be one of the audit types")
		}
		v.Check(r.Limit >= 0 && r.Limit <= service.MaxAuditListLimit, "limit", "must be between 0 and 1000")
		if err := v.Err(); err != nil {
			return nil, err
		}
		entries, err := s.svc.ListAuditLog(ctx, service.AuditQuery{
			UserID: r.UserID, ActivationID: r.ActivationID, Type: domain.AuditType(r.Type), From: from, To: to, Limit: r.Limit,
		})
		if err != nil {
			return nil, err
		}
		out := auditListResponse{Items: make([]auditItem, 0, len(entries))}
		for _, e := range entries {
			details := e.Details
			if details == nil {
				details = map[string]string{}
			}
			out.Items = append(out.Items, auditItem{
				ID: e.ID, Timestamp: e.Created, Type: string(e.Type), Actor: optStr(e.Actor),
				ActivationID: optStr(e.ActivationID), UserID: optStr(e.UserID), ApplicationID: optStr(e.Application),
				IPAddress: optStr(e.IP), UserAgent: optStr(e.UserAgent), Details: details,
			})
		}
		return out, nil
	})
}
