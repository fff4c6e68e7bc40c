package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mauth/mauth/internal/store"
)

// maxRoles bounds the number of roles of one application.
const maxRoles = 1000

// checkRoles rejects blank or over-long role names.
func checkRoles(roles []string) error {
	if len(roles) > maxRoles {
		return Errorf(CodeInvalidRequest, "applicationRoles - at most %d roles are allowed", maxRoles)
	}
	for _, r := range roles {
		if strings.TrimSpace(r) == "" {
			return Errorf(CodeInvalidRequest, "applicationRoles - must not contain blank values")
		}
		if len(r) > maxNameLength {
			return Errorf(CodeInvalidRequest, "applicationRoles - values must be at most %d characters", maxNameLength)
		}
	}
	return nil
}

// ListApplicationRoles returns the roles of an application.
func (s *Service) ListApplicationRoles(ctx context.Context, applicationName string) ([]string, error) {
	app, err := s.applicationByName(ctx, s.store, applicationName)
	if err != nil {
		return nil, err
	}
	return nonNil(app.Roles), nil
}

// AddApplicationRoles adds roles to an application (roles it already has
// are ignored) and returns all its roles, sorted.
func (s *Service) AddApplicationRoles(ctx context.Context, applicationName string, roles []string) ([]string, error) {
	if err := checkRoles(roles); err != nil {
		return nil, err
	}
	return s.changeRoles(ctx, applicationName, func(current []string) []string {
		all := dedupe(append(slices.Clone(current), roles...))
		slices.Sort(all)
		return all
	})
}

// UpdateApplicationRoles replaces the roles of an application and returns
// them, sorted.
func (s *Service) UpdateApplicationRoles(ctx context.Context, applicationName string, roles []string) ([]string, error) {
	if err := checkRoles(roles); err != nil {
		return nil, err
	}
	return s.changeRoles(ctx, applicationName, func([]string) []string {
		all := dedupe(roles)
		slices.Sort(all)
		return all
	})
}

// RemoveApplicationRoles removes roles from an application and returns the
// roles it keeps.
func (s *Service) RemoveApplicationRoles(ctx context.Context, applicationName string, roles []string) ([]string, error) {
	if err := checkRoles(roles); err != nil {
		return nil, err
	}
	return s.changeRoles(ctx, applicationName, func(current []string) []string {
		return slices.DeleteFunc(slices.Clone(current), func(r string) bool { return slices.Contains(roles, r) })
	})
}

// changeRoles locks the application, replaces its roles by change(current)
// and returns the stored roles.
func (s *Service) changeRoles(ctx context.Context, applicationName string, change func(current []string) []string) ([]string, error) {
	var out []string
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
		updated := app // keeps the protocol settings
		updated.Roles = nonNil(change(app.Roles))
		if err := tx.UpdateApplication(ctx, &updated); err != nil {
			return fmt.Errorf("update application roles: %w", err)
		}
		out = updated.Roles
		return nil
	})
	return out, err
}

// nonNil returns s, or an empty slice for nil (a JSON [] rather than null).
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
