package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// DefaultActivationPageSize is the page length of activation/list when the
// request sets none (the reference's default).
const DefaultActivationPageSize = 500

// ActivationListQuery is the request of activation/list.
type ActivationListQuery struct {
	// UserID is required.
	UserID string
	// ApplicationID restricts to one application by name; empty means any.
	ApplicationID string
	// Statuses restricts to these states; empty means any.
	Statuses []domain.ActivationStatus
	// Protocols restricts to these protocols; empty means any.
	Protocols []domain.ActivationProtocol
	// PageNumber is the 0-based page.
	PageNumber int
	// PageSize is the page length; 0 means DefaultActivationPageSize.
	PageSize int
	// Device restricts by platform and OS version (a mauth extension).
	Device store.DeviceFilter
}

// ActivationLookupQuery is the request of activation/lookup.
type ActivationLookupQuery struct {
	// UserIDs are the users to search (at least one).
	UserIDs []string
	// ApplicationIDs restricts to these applications by name; empty means any.
	ApplicationIDs []string
	// LastUsedBefore keeps activations last used strictly before it (zero: unbounded).
	LastUsedBefore time.Time
	// LastUsedAfter keeps activations last used at or after it (zero: unbounded).
	LastUsedAfter time.Time
	// Status restricts to one state; nil means any.
	Status *domain.ActivationStatus
	// Flags keeps activations carrying all of these flags.
	Flags []string
	// Device restricts by platform and OS version (a mauth extension).
	Device store.DeviceFilter
}

// ListActivations returns a user's activations, newest first, paged
// (activation/list). Pending activations past their expiry are moved to
// REMOVED on the way.
func (s *Service) ListActivations(ctx context.Context, q ActivationListQuery) ([]ActivationDetail, error) {
	if err := validUserID(q.UserID); err != nil {
		return nil, err
	}
	if q.PageNumber < 0 {
		return nil, Errorf(CodeInvalidRequest, "pageNumber - must be zero or positive")
	}
	if q.PageSize < 0 {
		return nil, Errorf(CodeInvalidRequest, "pageSize - must be positive")
	}
	if q.PageSize == 0 {
		q.PageSize = DefaultActivationPageSize
	}
	if q.PageNumber > 0 && q.PageNumber > (1<<31)/q.PageSize {
		return nil, nil // far beyond any data, and beyond int arithmetic
	}
	device, err := deviceFilter(q.Device)
	if err != nil {
		return nil, err
	}
	f := store.ActivationListFilter{
		Device:    device,
		UserID:    q.UserID,
		Statuses:  q.Statuses,
		Protocols: q.Protocols,
		Offset:    q.PageNumber * q.PageSize,
		Limit:     q.PageSize,
	}
	names := map[int64]string{}
	if q.ApplicationID != "" {
		app, err := s.store.GetApplicationByName(ctx, q.ApplicationID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("load application: %w", err)
		}
		f.ApplicationID = app.ID
		names[app.ID] = app.Name
	}
	found, err := s.store.ListActivations(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("list activations: %w", err)
	}
	return s.activationDetails(ctx, found, names)
}

// activationDetails applies lazy expiry and attaches application names.
func (s *Service) activationDetails(ctx context.Context, found []domain.Activation, names map[int64]string) ([]ActivationDetail, error) {
	out := make([]ActivationDetail, 0, len(found))
	for _, a := range found {
		a, err := s.expireOnRead(ctx, a)
		if err != nil {
			return nil, err
		}
		name, err := activationApplicationName(ctx, s.store, names, a.ApplicationID)
		if err != nil {
			return nil, err
		}
		out = append(out, ActivationDetail{Activation: a, ApplicationName: name})
	}
	return out, nil
}

// LookupActivations searches activations of several users
// (activation/lookup), newest first.
func (s *Service) LookupActivations(ctx context.Context, q ActivationLookupQuery) ([]ActivationDetail, error) {
	if len(q.UserIDs) == 0 {
		return nil, Errorf(CodeInvalidRequest, "userIds - must not be empty")
	}
	for _, u := range q.UserIDs {
		if err := validUserID(u); err != nil {
			return nil, err
		}
	}
	if q.Status != nil && !q.Status.Valid() {
		return nil, Errorf(CodeInvalidRequest, "activationStatus - must be a valid activation status")
	}
	device, err := deviceFilter(q.Device)
	if err != nil {
		return nil, err
	}
	f := store.ActivationLookup{
		Device:         device,
		UserIDs:        q.UserIDs,
		LastUsedAfter:  q.LastUsedAfter,
		LastUsedBefore: q.LastUsedBefore,
		Flags:          q.Flags,
	}
	if q.Status != nil {
		f.Statuses = []domain.ActivationStatus{*q.Status}
	}
	names := map[int64]string{}
	if len(q.ApplicationIDs) > 0 {
		for _, n := range q.ApplicationIDs {
			app, err := s.store.GetApplicationByName(ctx, n)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("load application: %w", err)
			}
			f.ApplicationIDs = append(f.ApplicationIDs, app.ID)
			names[app.ID] = app.Name
		}
		if len(f.ApplicationIDs) == 0 {
			return nil, nil // none of the named applications exists
		}
	}
	found, err := s.store.LookupActivations(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("lookup activations: %w", err)
	}
	// The store keeps activations with any of the flags; the API wants all.
	if len(q.Flags) > 0 {
		found = slices.DeleteFunc(found, func(a domain.Activation) bool {
			for _, fl := range q.Flags {
				if !slices.Contains(a.Flags, fl) {
					return true
				}
			}
			return false
		})
	}
	out := make([]ActivationDetail, 0, len(found))
	for _, a := range found {
		name, err := activationApplicationName(ctx, s.store, names, a.ApplicationID)
		if err != nil {
			return nil, err
		}
		out = append(out, ActivationDetail{Activation: a, ApplicationName: name})
	}
	return out, nil
}

// ActivationHistory returns the history entries of an activation created
// within [from, to] (a zero bound is open) in the order they were written
// (activation/history). An unknown activation has no history.
func (s *Service) ActivationHistory(ctx context.Context, activationID string, from, to time.Time) ([]domain.ActivationHistory, error) {
	if err := requireActivationID(activationID); err != nil {
		return nil, err
	}
	items, err := s.store.ListActivationHistory(ctx, activationID, from, to)
	if err != nil {
		return nil, fmt.Errorf("list activation history: %w", err)
	}
	return items, nil
}

// ListActivationFlags returns an activation's flags (activation/flags/list).
func (s *Service) ListActivationFlags(ctx context.Context, activationID string) ([]string, error) {
	if err := requireActivationID(activationID); err != nil {
		return nil, err
	}
	a, err := activationByID(ctx, s.store, activationID)
	if err != nil {
		return nil, err
	}
	return activationFlagsOrEmpty(a.Flags), nil
}

// AddActivationFlags adds flags (duplicates ignored) and returns the
// resulting sorted set (activation/flags/create).
func (s *Service) AddActivationFlags(ctx context.Context, activationID string, flags []string) ([]string, error) {
	return s.changeActivationFlags(ctx, activationID, flags, func(cur, in []string) []string {
		for _, f := range in {
			if !slices.Contains(cur, f) {
				cur = append(cur, f)
			}
		}
		slices.Sort(cur)
		return cur
	})
}

// UpdateActivationFlags replaces the flags and returns the resulting sorted
// set (activation/flags/update).
func (s *Service) UpdateActivationFlags(ctx context.Context, activationID string, flags []string) ([]string, error) {
	return s.changeActivationFlags(ctx, activationID, flags, func(_, in []string) []string {
		out := slices.Clone(in)
		slices.Sort(out)
		return out
	})
}

// RemoveActivationFlags removes flags and returns the remaining ones
// (activation/flags/remove).
func (s *Service) RemoveActivationFlags(ctx context.Context, activationID string, flags []string) ([]string, error) {
	return s.changeActivationFlags(ctx, activationID, flags, func(cur, in []string) []string {
		return slices.DeleteFunc(cur, func(f string) bool { return slices.Contains(in, f) })
	})
}

// changeActivationFlags validates flags and applies change to the locked
// activation's flags.
func (s *Service) changeActivationFlags(ctx context.Context, activationID string, flags []string, change func(cur, in []string) []string) ([]string, error) {
	if err := requireActivationID(activationID); err != nil {
		return nil, err
	}
	in, err := normalizeActivationFlags(flags)
	if err != nil {
		return nil, err
	}
	var out []string
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		a, err := activationForUpdate(ctx, tx, activationID)
		if err != nil {
			return err
		}
		before := slices.Clone(a.Flags)
		a.Flags = change(slices.Clone(a.Flags), in)
		if !slices.Equal(before, a.Flags) {
			if err := tx.UpdateActivation(ctx, &a); err != nil {
				return fmt.Errorf("update activation: %w", err)
			}
		}
		out = activationFlagsOrEmpty(a.Flags)
		return nil
	})
	return out, err
}

// activationFlagsOrEmpty returns flags, or an empty (non-nil) slice.
func activationFlagsOrEmpty(flags []string) []string {
	if flags == nil {
		return []string{}
	}
	return flags
}
