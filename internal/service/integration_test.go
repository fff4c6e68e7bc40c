package service

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/teststore"
)

func TestIntegrationLifecycle(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		svc, _ := newTestService(t, st, Config{})
		ctx := context.Background()
		a, err := svc.CreateIntegration(ctx, "backend-b")
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{a.ID, a.ClientToken, a.ClientSecret} {
			if _, err := uuid.Parse(v); err != nil {
				t.Fatalf("not a UUID: %q", v)
			}
		}
		if a.Name != "backend-b" || a.ClientToken == a.ClientSecret {
			t.Fatalf("integration %+v", a)
		}
		b, err := svc.CreateIntegration(ctx, "backend-a")
		if err != nil {
			t.Fatal(err)
		}
		list, err := svc.ListIntegrations(ctx)
		// The list never holds a secret: the server has none to give.
		listed := func(i Integration) Integration { i.ClientSecret = ""; return i }
		if err != nil || len(list) != 2 || !reflect.DeepEqual(list[0], listed(b)) || !reflect.DeepEqual(list[1], listed(a)) {
			t.Fatalf("list %+v %v", list, err)
		}
		if a.Role != domain.IntegrationAdmin || len(a.Applications) != 0 {
			t.Fatalf("CreateIntegration makes an ADMIN: %+v", a)
		}
		// The secret is stored as a keyed hash, bound to its row.
		row, err := st.GetIntegration(ctx, a.ID)
		if err != nil || strings.Contains(row.ClientSecret, a.ClientSecret) || row.ClientToken != a.ClientToken ||
			!strings.HasPrefix(row.ClientSecret, "mac1:") || row.Role != domain.IntegrationAdmin {
			t.Fatalf("stored row %+v %v", row, err)
		}
		for _, c := range []struct {
			name          string
			token, secret string
			want          bool
		}{
			{"valid", a.ClientToken, a.ClientSecret, true},
			{"other valid", b.ClientToken, b.ClientSecret, true},
			{"wrong secret", a.ClientToken, b.ClientSecret, false},
			{"secret prefix", a.ClientToken, a.ClientSecret[:10], false},
			{"empty secret", a.ClientToken, "", false},
			{"unknown token", uuid.NewString(), a.ClientSecret, false},
			{"secret as token", a.ClientSecret, a.ClientSecret, false},
			{"empty token", "", a.ClientSecret, false},
		} {
			if got := svc.AuthenticateIntegration(ctx, c.token, c.secret); got != c.want {
				t.Errorf("%s: got %v", c.name, got)
			}
		}
		removed, err := svc.RemoveIntegration(ctx, a.ID)
		if err != nil || !removed {
			t.Fatalf("remove %v %v", removed, err)
		}
		if svc.AuthenticateIntegration(ctx, a.ClientToken, a.ClientSecret) {
			t.Fatal("removed integration still authenticates")
		}
		if removed, err := svc.RemoveIntegration(ctx, a.ID); err != nil || removed {
			t.Fatalf("second remove %v %v", removed, err)
		}
		if _, err := svc.CreateIntegration(ctx, "  "); CodeOf(err) != CodeInvalidRequest {
			t.Fatalf("blank name: %v", err)
		}
	})
}

func TestIntegrationSecretBoundToRow(t *testing.T) {
	svc, _ := newSQLiteService(t)
	ctx := context.Background()
	a, _ := svc.CreateIntegration(ctx, "a")
	b, _ := svc.CreateIntegration(ctx, "b")
	// Copying b's stored secret into a's row must not make it usable for a.
	rowA, _ := svc.store.GetIntegration(ctx, a.ID)
	rowB, _ := svc.store.GetIntegration(ctx, b.ID)
	rowA.ClientSecret = rowB.ClientSecret
	if err := svc.store.InTx(ctx, func(tx store.Tx) error { return tx.UpdateIntegration(ctx, &rowA) }); err != nil {
		t.Fatal(err)
	}
	if svc.AuthenticateIntegration(ctx, a.ClientToken, b.ClientSecret) || svc.AuthenticateIntegration(ctx, a.ClientToken, a.ClientSecret) {
		t.Fatal("swapped secret hash accepted")
	}
}

func TestEnsureBootstrapIntegration(t *testing.T) {
	svc, _ := newSQLiteService(t)
	ctx := context.Background()
	created, first, err := svc.EnsureBootstrapIntegration(ctx, "bootstrap")
	if err != nil || !created || first.Name != "bootstrap" || first.ClientSecret == "" {
		t.Fatalf("first: %v %+v %v", created, first, err)
	}
	if p, ok := svc.Authenticate(ctx, first.ClientToken, first.ClientSecret); !ok || !p.Admin() || first.Role != domain.IntegrationAdmin {
		t.Fatal("bootstrap credentials rejected or not an ADMIN")
	}
	created, again, err := svc.EnsureBootstrapIntegration(ctx, "bootstrap")
	if err != nil || created || !reflect.DeepEqual(again, Integration{}) {
		t.Fatalf("second: %v %+v %v", created, again, err)
	}
	list, _ := svc.ListIntegrations(ctx)
	if len(list) != 1 {
		t.Fatalf("%d integrations", len(list))
	}
	if _, _, err := svc.EnsureBootstrapIntegration(ctx, ""); CodeOf(err) != CodeInvalidRequest {
		t.Fatalf("blank name: %v", err)
	}
}
