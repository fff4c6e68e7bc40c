package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// SignatureAuditQuery selects signature audit records.
type SignatureAuditQuery struct {
	// UserID is required.
	UserID string
	// ApplicationID is an application name; empty means all applications.
	ApplicationID string
	// From and To bound the creation time, inclusive; zero means open.
	From, To time.Time
}

// SignatureAuditItem is one audit record with its application's name.
type SignatureAuditItem struct {
	domain.SignatureAudit
	// ApplicationName is the API's applicationId of the record.
	ApplicationName string
}

// ListSignatureAudits returns a user's signature audit records, newest
// first. An unknown application gives an empty list, as in the reference
// server.
func (s *Service) ListSignatureAudits(ctx context.Context, q SignatureAuditQuery) ([]SignatureAuditItem, error) {
	if q.UserID == "" {
		return nil, Errorf(CodeInvalidRequest, "userId - must not be blank")
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) {
		return nil, Errorf(CodeInvalidRequest, "timestampTo - must not be before timestampFrom")
	}
	var out []SignatureAuditItem
	err := s.store.View(ctx, func(r store.Reader) error {
		out = nil
		f := store.SignatureAuditFilter{UserID: q.UserID, From: q.From, To: q.To}
		names := map[int64]string{}
		if q.ApplicationID != "" {
			app, err := r.GetApplicationByName(ctx, q.ApplicationID)
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("load application: %w", err)
			}
			f.ApplicationID = app.ID
			names[app.ID] = app.Name
		}
		recs, err := r.ListSignatureAudits(ctx, f)
		if err != nil {
			return fmt.Errorf("list signature audits: %w", err)
		}
		out = make([]SignatureAuditItem, 0, len(recs))
		for _, rec := range recs {
			name, ok := names[rec.ApplicationID]
			if !ok {
				app, err := r.GetApplication(ctx, rec.ApplicationID)
				if err != nil && !errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("load application: %w", err)
				}
				name = app.Name
				names[rec.ApplicationID] = name
			}
			out = append(out, SignatureAuditItem{SignatureAudit: rec, ApplicationName: name})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
