package service

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/teststore"
)

func TestApplicationRoles(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		svc, _ := newTestService(t, st, Config{})
		ctx := context.Background()
		app := createTestApp(t, svc).App.Name
		steps := []struct {
			name  string
			op    func(context.Context, string, []string) ([]string, error)
			roles []string
			want  []string
		}{
			{"add", svc.AddApplicationRoles, []string{"ROLE_B", "ROLE_A", "ROLE_B"}, []string{"ROLE_A", "ROLE_B"}},
			{"add existing and new", svc.AddApplicationRoles, []string{"ROLE_A", "ROLE_0"}, []string{"ROLE_0", "ROLE_A", "ROLE_B"}},
			{"remove", svc.RemoveApplicationRoles, []string{"ROLE_A", "ROLE_MISSING"}, []string{"ROLE_0", "ROLE_B"}},
			{"update", svc.UpdateApplicationRoles, []string{"Z", "X", "Z"}, []string{"X", "Z"}},
			{"add nothing", svc.AddApplicationRoles, []string{}, []string{"X", "Z"}},
			{"update to empty", svc.UpdateApplicationRoles, nil, []string{}},
		}
		for _, s := range steps {
			got, err := s.op(ctx, app, s.roles)
			if err != nil || !slices.Equal(got, s.want) || got == nil {
				t.Fatalf("%s: %q %v", s.name, got, err)
			}
			listed, err := svc.ListApplicationRoles(ctx, app)
			if err != nil || !slices.Equal(listed, s.want) {
				t.Fatalf("%s: list %q %v", s.name, listed, err)
			}
		}
		for _, c := range []struct {
			name  string
			app   string
			roles []string
			code  string
		}{
			{"unknown app", "nope", []string{"A"}, CodeInvalidApplication},
			{"no app", "", []string{"A"}, CodeNoApplicationID},
			{"blank role", app, []string{"A", " "}, CodeInvalidRequest},
			{"long role", app, []string{strings.Repeat("r", maxNameLength+1)}, CodeInvalidRequest},
		} {
			for _, op := range []func(context.Context, string, []string) ([]string, error){svc.AddApplicationRoles, svc.UpdateApplicationRoles, svc.RemoveApplicationRoles} {
				if _, err := op(ctx, c.app, c.roles); CodeOf(err) != c.code {
					t.Errorf("%s: %v, want %s", c.name, err, c.code)
				}
			}
		}
		if _, err := svc.ListApplicationRoles(ctx, "nope"); CodeOf(err) != CodeInvalidApplication {
			t.Fatalf("list unknown: %v", err)
		}
	})
}
