package private

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/mauth/mauth/internal/service"
)

// integItems returns the items of an integration/list response by id.
func integItems(t *testing.T, ts *testServer) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, it := range ts.ok(t, "integration/list", nil)["items"].([]any) {
		m := it.(map[string]any)
		out[m["id"].(string)] = m
	}
	return out
}

func TestIntegrationMethods(t *testing.T) {
	ts := newTestServer(t)
	created := ts.ok(t, "integration/create", map[string]any{"name": "core-banking"})
	for _, f := range []string{"id", "clientToken", "clientSecret"} {
		s, _ := created[f].(string)
		if _, err := uuid.Parse(s); err != nil {
			t.Fatalf("%s is not a UUID: %v", f, created)
		}
	}
	if created["name"] != "core-banking" || created["clientToken"] == created["clientSecret"] {
		t.Fatalf("create: %v", created)
	}
	second := ts.ok(t, "integration/create", map[string]any{"name": "admin-ui"})
	list := ts.ok(t, "integration/list", rawBody("[garbage"))
	if list["restrictedAccess"] != false {
		t.Fatalf("restrictedAccess: %v", list)
	}
	items := list["items"].([]any)
	if len(items) != 2 || items[0].(map[string]any)["name"] != "admin-ui" {
		t.Fatalf("list order: %v", items)
	}
	got := integItems(t, ts)[created["id"].(string)]
	for _, f := range []string{"id", "name", "clientToken", "role"} {
		if got[f] != created[f] {
			t.Fatalf("list item %v, created %v", got, created)
		}
	}
	// The secret is shown at creation only: the list has the field, null.
	if secret, present := got["clientSecret"]; !present || secret != nil || created["role"] != "ADMIN" {
		t.Fatalf("list item %v, created %v", got, created)
	}
	// The credentials are the service's.
	if !ts.svc.AuthenticateIntegration(context.Background(), created["clientToken"].(string), created["clientSecret"].(string)) {
		t.Fatal("created credentials do not authenticate")
	}
	removed := ts.ok(t, "integration/remove", map[string]any{"id": created["id"]})
	if removed["id"] != created["id"] || removed["removed"] != true {
		t.Fatalf("remove: %v", removed)
	}
	left := integItems(t, ts)
	if len(left) != 1 || left[second["id"].(string)] == nil {
		t.Fatalf("after remove: %v", left)
	}
	again := ts.ok(t, "integration/remove", map[string]any{"id": created["id"]})
	if again["removed"] != false || again["id"] != created["id"] {
		t.Fatalf("second remove: %v", again)
	}
	if ts.svc.AuthenticateIntegration(context.Background(), created["clientToken"].(string), created["clientSecret"].(string)) {
		t.Fatal("removed credentials authenticate")
	}
	ts.fail(t, "integration/create", map[string]any{}, http.StatusBadRequest, "ERR0024")
	ts.fail(t, "integration/create", map[string]any{"name": " "}, http.StatusBadRequest, "ERR0024")
	ts.fail(t, "integration/create", map[string]any{"name": strings.Repeat("n", 256)}, http.StatusBadRequest, "ERR0024")
	ts.fail(t, "integration/create", map[string]any{"name": []string{"x"}}, http.StatusBadRequest, "ERR0024")
	ts.fail(t, "integration/remove", map[string]any{}, http.StatusBadRequest, "ERR0024")
	if n := len(integItems(t, ts)); n != 1 {
		t.Fatalf("failed calls changed integrations: %d", n)
	}
}

func TestIntegrationRestrictAccess(t *testing.T) {
	ts := newTestServerWith(t, service.Config{}, Options{RestrictAccess: true})
	ctx := context.Background()
	integ, err := ts.svc.CreateIntegration(ctx, "backend")
	if err != nil {
		t.Fatal(err)
	}
	other, err := ts.svc.CreateIntegration(ctx, "other")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		auth *[2]string
	}{
		{"no credentials", nil},
		{"wrong secret", &[2]string{integ.ClientToken, other.ClientSecret}},
		{"unknown token", &[2]string{uuid.NewString(), integ.ClientSecret}},
		{"secret as token", &[2]string{integ.ClientSecret, integ.ClientToken}},
		{"empty", &[2]string{"", ""}},
	} {
		ts.Auth = c.auth
		ro := ts.fail(t, "application/list", nil, http.StatusUnauthorized, "ERR_AUTHENTICATION")
		if ro["message"] != "Authentication failed" {
			t.Fatalf("%s: %v", c.name, ro)
		}
	}
	ts.Auth = &[2]string{integ.ClientToken, integ.ClientSecret}
	ts.ok(t, "application/list", nil)
	list := ts.ok(t, "integration/list", nil)
	if list["restrictedAccess"] != true || len(list["items"].([]any)) != 2 {
		t.Fatalf("list: %v", list)
	}
	// A newly created integration works at once; a removed one at once stops.
	fresh := ts.ok(t, "integration/create", map[string]any{"name": "fresh"})
	ts.Auth = &[2]string{fresh["clientToken"].(string), fresh["clientSecret"].(string)}
	ts.ok(t, "status", nil)
	ts.ok(t, "integration/remove", map[string]any{"id": fresh["id"]})
	ts.fail(t, "status", nil, http.StatusUnauthorized, "ERR_AUTHENTICATION")
	ts.Auth = &[2]string{other.ClientToken, other.ClientSecret}
	ts.ok(t, "status", nil)
}

// TestSecretsNotStoredInPlaintext creates every kind of secret this area
// stores through the API and reads the rows back through the store: none
// of them may hold a secret in plain text.
func TestSecretsNotStoredInPlaintext(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	app := ts.createApp(t)
	integ := ts.ok(t, "integration/create", map[string]any{"name": "dump-test"})
	const (
		basicPassword = "dump-basic-password-81f0"
		oauthSecret   = "dump-oauth-secret-2a77"
		keyPassword   = "dump-key-password-c3d4"
		trustContent  = "ZHVtcC10cnVzdC1zdG9yZS1jb250ZW50"
	)
	ts.ok(t, "application/callback/create", map[string]any{
		"applicationId": app.Name, "name": "hook", "type": "ACTIVATION_STATUS_CHANGE", "callbackUrl": "https://hooks.example.com/",
		"authentication": map[string]any{
			"certificate": map[string]any{"enabled": true, "keyPassword": keyPassword, "useCustomTrustStore": true, "trustStoreContent": trustContent},
			"httpBasic":   map[string]any{"enabled": true, "username": "u", "password": basicPassword},
			"oauth2":      map[string]any{"enabled": true, "clientId": "c", "clientSecret": oauthSecret, "tokenUri": "https://auth.example.com/token"},
		},
	})
	provider := appProvider("dump")
	ts.ok(t, "application/config/create", map[string]any{"applicationId": app.Name, "key": "oauth2_providers", "values": []any{provider}})

	var dump strings.Builder
	integrations, err := ts.store.ListIntegrations(ctx)
	if err != nil || len(integrations) != 1 {
		t.Fatal(integrations, err)
	}
	fmt.Fprintf(&dump, "%+v %q\n", integrations, integrations[0].ClientSecret)
	stored, err := ts.store.GetApplicationByName(ctx, app.Name)
	if err != nil {
		t.Fatal(err)
	}
	callbacks, err := ts.store.ListCallbackURLs(ctx, stored.ID)
	if err != nil || len(callbacks) != 1 {
		t.Fatal(callbacks, err)
	}
	fmt.Fprintf(&dump, "%+v %q\n", callbacks, callbacks[0].Authentication)
	configs, err := ts.store.ListApplicationConfigs(ctx, stored.ID)
	if err != nil || len(configs) != 1 {
		t.Fatal(configs, err)
	}
	fmt.Fprintf(&dump, "%+v %q\n", configs, configs[0].Values)
	for _, secret := range []string{integ["clientSecret"].(string), basicPassword, oauthSecret, keyPassword, trustContent, appOIDCSecret} {
		if strings.Contains(dump.String(), secret) {
			t.Errorf("secret %q found in the stored rows", secret)
		}
	}
	// The client token is the user name and stays searchable.
	if integrations[0].ClientToken != integ["clientToken"] {
		t.Fatalf("client token %q", integrations[0].ClientToken)
	}
}
