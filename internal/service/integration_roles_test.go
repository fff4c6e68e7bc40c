package service

import (
	"context"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/teststore"
)

// TestIntegrationRolesAndGrants creates integrations of both roles and
// changes the grants of a scoped one, on both backends.
func TestIntegrationRolesAndGrants(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		svc, _ := newTestService(t, st, Config{})
		ctx := context.Background()
		a, b, c := createTestApp(t, svc), createTestApp(t, svc), createTestApp(t, svc)

		scoped, err := svc.CreateIntegrationWith(ctx, IntegrationInput{Name: "bank-a", Applications: []string{b.App.Name, a.App.Name, a.App.Name}})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{a.App.Name, b.App.Name}
		slices.Sort(want)
		if scoped.Role != domain.IntegrationApplication || !slices.Equal(scoped.Applications, want) || scoped.ClientSecret == "" {
			t.Fatalf("applications without a role make an APPLICATION integration: %+v", scoped)
		}
		p, ok := svc.Authenticate(ctx, scoped.ClientToken, scoped.ClientSecret)
		if !ok || p.Admin() || p.IntegrationID != scoped.ID || !p.MayActOn([]int64{a.App.ID}) || !p.MayActOn([]int64{c.App.ID, b.App.ID}) ||
			p.MayActOn([]int64{c.App.ID}) || p.MayActOn(nil) {
			t.Fatalf("principal %+v", p)
		}
		admin, err := svc.CreateIntegrationWith(ctx, IntegrationInput{Name: "ops"})
		if err != nil || admin.Role != domain.IntegrationAdmin {
			t.Fatalf("no role and no applications make an ADMIN: %+v %v", admin, err)
		}
		if p, ok := svc.Authenticate(ctx, admin.ClientToken, admin.ClientSecret); !ok || !p.Admin() || !p.MayActOn(nil) || !p.MayActOn([]int64{c.App.ID}) {
			t.Fatalf("admin principal %+v", p)
		}
		empty, err := svc.CreateIntegrationWith(ctx, IntegrationInput{Name: "later", Role: domain.IntegrationApplication})
		if err != nil || empty.Role != domain.IntegrationApplication || len(empty.Applications) != 0 {
			t.Fatalf("an APPLICATION integration may start without grants: %+v %v", empty, err)
		}

		for _, bad := range []struct {
			name string
			in   IntegrationInput
			code string
		}{
			{"admin with applications", IntegrationInput{Name: "x", Role: domain.IntegrationAdmin, Applications: []string{a.App.Name}}, CodeInvalidRequest},
			{"unknown role", IntegrationInput{Name: "x", Role: "ROOT"}, CodeInvalidRequest},
			{"unknown application", IntegrationInput{Name: "x", Applications: []string{"no-such-app"}}, CodeInvalidApplication},
			{"blank application", IntegrationInput{Name: "x", Applications: []string{" "}}, CodeInvalidRequest},
			{"blank name", IntegrationInput{Name: "", Applications: []string{a.App.Name}}, CodeInvalidRequest},
		} {
			if _, err := svc.CreateIntegrationWith(ctx, bad.in); CodeOf(err) != bad.code {
				t.Errorf("%s: %v, want %s", bad.name, err, bad.code)
			}
		}

		got, err := svc.GrantIntegrationApplications(ctx, scoped.ID, []string{c.App.Name, a.App.Name})
		if err != nil || len(got.Applications) != 3 || got.ClientSecret != "" {
			t.Fatalf("grant: %+v %v", got, err)
		}
		if p, _ := svc.Authenticate(ctx, scoped.ClientToken, scoped.ClientSecret); !p.MayActOn([]int64{c.App.ID}) {
			t.Fatal("a grant takes effect at the next call")
		}
		got, err = svc.RevokeIntegrationApplications(ctx, scoped.ID, []string{a.App.Name, b.App.Name, b.App.Name})
		if err != nil || !slices.Equal(got.Applications, []string{c.App.Name}) {
			t.Fatalf("revoke: %+v %v", got, err)
		}
		if p, _ := svc.Authenticate(ctx, scoped.ClientToken, scoped.ClientSecret); p.MayActOn([]int64{a.App.ID}) || p.MayActOn([]int64{b.App.ID}) {
			t.Fatal("a revocation takes effect at the next call")
		}
		if _, err := svc.RevokeIntegrationApplications(ctx, scoped.ID, []string{a.App.Name}); err != nil {
			t.Fatalf("revoking what is not granted: %v", err)
		}
		for name, err := range map[string]error{
			"grant to an admin":       second(svc.GrantIntegrationApplications(ctx, admin.ID, []string{a.App.Name})),
			"unknown integration":     second(svc.GrantIntegrationApplications(ctx, uuid.NewString(), []string{a.App.Name})),
			"no applications":         second(svc.GrantIntegrationApplications(ctx, scoped.ID, nil)),
			"unknown application":     second(svc.RevokeIntegrationApplications(ctx, scoped.ID, []string{"no-such-app"})),
			"blank integration":       second(svc.RevokeIntegrationApplications(ctx, " ", []string{a.App.Name})),
			"revoke from an admin":    second(svc.RevokeIntegrationApplications(ctx, admin.ID, []string{a.App.Name})),
			"grant blank application": second(svc.GrantIntegrationApplications(ctx, scoped.ID, []string{""})),
		} {
			if code := CodeOf(err); code != CodeInvalidRequest && code != CodeInvalidApplication {
				t.Errorf("%s: %v", name, err)
			}
		}

		list, err := svc.ListIntegrations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string]Integration{}
		for _, i := range list {
			if i.ClientSecret != "" {
				t.Fatalf("listed secret: %+v", i)
			}
			byName[i.Name] = i
		}
		if i := byName["bank-a"]; i.Role != domain.IntegrationApplication || !slices.Equal(i.Applications, []string{c.App.Name}) {
			t.Fatalf("listed scoped integration %+v", i)
		}
		if i := byName["ops"]; i.Role != domain.IntegrationAdmin || i.Applications == nil || len(i.Applications) != 0 {
			t.Fatalf("listed admin %+v", i)
		}
		// Removing the integration removes its grants with it.
		if removed, err := svc.RemoveIntegration(ctx, scoped.ID); err != nil || !removed {
			t.Fatal(removed, err)
		}
		if ids, err := st.ListIntegrationApplications(ctx, scoped.ID); err != nil || len(ids) != 0 {
			t.Fatalf("grants left: %v %v", ids, err)
		}
	})
}

func second[T any](_ T, err error) error { return err }

// sealLegacy stores an integration the way servers before hashing did: the
// secret sealed with the server key, bound to the row, as Base64 text (and,
// after migration 00006, the role ADMIN).
func sealLegacy(t *testing.T, st store.Store, box *secretbox.Box, name string) Integration {
	t.Helper()
	i := Integration{ID: uuid.NewString(), Name: name, ClientToken: uuid.NewString(), ClientSecret: uuid.NewString(), Role: domain.IntegrationAdmin}
	row := domain.Integration{ID: i.ID, Name: name, ClientToken: i.ClientToken, Role: domain.IntegrationAdmin,
		ClientSecret: base64.StdEncoding.EncodeToString(box.Seal([]byte(i.ClientSecret), "pa_integration.client_secret:"+i.ID))}
	if err := st.InTx(context.Background(), func(tx store.Tx) error { return tx.CreateIntegration(context.Background(), &row) }); err != nil {
		t.Fatal(err)
	}
	return i
}

// TestIntegrationSecretUpgrade checks that integrations whose secret an
// older server sealed keep working: the first successful authentication
// replaces the sealed secret by its hash, and so does the start-up upgrade
// for the others, on several nodes at once. Both backends.
func TestIntegrationSecretUpgrade(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		svc, _ := newTestService(t, st, Config{})
		ctx := context.Background()
		used := sealLegacy(t, st, svc.box, "used")
		var idle []Integration
		for i := range 6 {
			idle = append(idle, sealLegacy(t, st, svc.box, "idle-"+string(rune('a'+i))))
		}
		wrongKey, _ := secretbox.New(secretbox.GenerateKey())
		foreign := sealLegacy(t, st, wrongKey, "foreign")
		stored := func(id string) string {
			row, err := st.GetIntegration(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return row.ClientSecret
		}

		// Verify-then-upgrade: a wrong secret changes nothing; the right
		// one authenticates and replaces the sealed secret by the hash.
		before := stored(used.ID)
		if svc.AuthenticateIntegration(ctx, used.ClientToken, idle[0].ClientSecret) || stored(used.ID) != before {
			t.Fatal("a wrong secret authenticated or upgraded the row")
		}
		if p, ok := svc.Authenticate(ctx, used.ClientToken, used.ClientSecret); !ok || !p.Admin() {
			t.Fatal("a sealed secret of an older server does not authenticate")
		}
		if s := stored(used.ID); !strings.HasPrefix(s, "mac1:") || strings.Contains(s, used.ClientSecret) {
			t.Fatalf("after first use the row holds %q", s)
		}
		if !svc.AuthenticateIntegration(ctx, used.ClientToken, used.ClientSecret) {
			t.Fatal("the upgraded row does not authenticate")
		}

		// The start-up upgrade, on three nodes sharing the database at
		// once: each sealed row is replaced exactly once, and the secret
		// the old server cannot open (another key) is reported and kept.
		nodes := make([]*Service, 3)
		for i := range nodes {
			n, err := New(st, svc.box, svc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			nodes[i] = n
		}
		var wg sync.WaitGroup
		counts := make([]int, len(nodes))
		errs := make([]error, len(nodes))
		for i, n := range nodes {
			wg.Go(func() { counts[i], errs[i] = n.UpgradeIntegrationSecrets(ctx) })
		}
		wg.Wait()
		total := 0
		for i := range nodes {
			total += counts[i]
			if errs[i] == nil || !strings.Contains(errs[i].Error(), foreign.ID) || !errors.Is(errs[i], secretbox.ErrDecrypt) {
				t.Errorf("node %d: error %v, want the foreign row reported", i, errs[i])
			}
		}
		if total != len(idle) {
			t.Fatalf("upgraded %d rows in total, want %d", total, len(idle))
		}
		for _, i := range idle {
			if s := stored(i.ID); !strings.HasPrefix(s, "mac1:") {
				t.Fatalf("%s still holds %q", i.Name, s)
			}
			if !svc.AuthenticateIntegration(ctx, i.ClientToken, i.ClientSecret) {
				t.Fatalf("%s does not authenticate after the upgrade", i.Name)
			}
		}
		if n, err := svc.UpgradeIntegrationSecrets(ctx); n != 0 || err == nil {
			t.Fatalf("second upgrade: %d %v", n, err)
		}
		if svc.AuthenticateIntegration(ctx, foreign.ClientToken, foreign.ClientSecret) {
			t.Fatal("a secret sealed with another key authenticated")
		}
	})
}

// TestApplicationsOf resolves each kind of object to its applications.
func TestApplicationsOf(t *testing.T) {
	svc, _ := newSQLiteService(t)
	ctx := context.Background()
	a := createTestApp(t, svc)
	for _, c := range []struct {
		kind ObjectKind
		ref  string
		want []int64
	}{
		{ObjectApplication, a.App.Name, []int64{a.App.ID}},
		{ObjectApplicationKey, a.Version.ApplicationKey, []int64{a.App.ID}},
		{ObjectApplication, "no-such-app", nil},
		{ObjectActivation, uuid.NewString(), nil},
		{ObjectOperation, uuid.NewString(), nil},
		{ObjectToken, uuid.NewString(), nil},
		{ObjectTemporaryKey, uuid.NewString(), nil},
		{ObjectRecoveryCode, "12345", nil},
		{ObjectRecoveryCode, "not-a-number", nil},
	} {
		got, err := svc.ApplicationsOf(ctx, c.kind, c.ref)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%s %q: %v %v", c.kind, c.ref, got, err)
		}
	}
	if _, err := svc.ApplicationsOf(ctx, ObjectKind(99), "x"); err == nil {
		t.Fatal("unknown kind accepted")
	}
}
