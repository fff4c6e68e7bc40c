package service

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/callbacks"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/teststore"
)

func cbPtr[T any](v T) *T { return &v }

const (
	cbBasicPassword = "basic-pass-91c2"
	cbOAuthSecret   = "oauth-secret-5d1e"
	cbKeyStorePass  = "keystore-pass-0b7a"
)

func cbTestAuth() *CallbackAuthentication {
	return &CallbackAuthentication{
		Certificate: &CallbackCertificate{Enabled: true, UseCustomKeyStore: true, KeyStoreLocation: "file:/ks.p12", KeyStorePassword: cbPtr(cbKeyStorePass), KeyAlias: "client"},
		HTTPBasic:   &CallbackHTTPBasic{Enabled: true, Username: "user", Password: cbPtr(cbBasicPassword)},
		OAuth2:      &CallbackOAuth2{Enabled: true, ClientID: "cid", ClientSecret: cbPtr(cbOAuthSecret), TokenURI: "https://auth.example.com/token", Scope: "callbacks"},
	}
}

func TestCallbackLifecycle(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		svc, _ := newTestService(t, st, Config{})
		ctx := context.Background()
		app := createTestApp(t, svc).App
		created, err := svc.CreateCallback(ctx, CallbackInput{
			ApplicationName: app.Name, Name: "status", Type: domain.CallbackActivationStatusChange,
			URL: "https://hooks.example.com/activation", Attributes: []string{"userId", "activationStatus", "userId"},
			Authentication: cbTestAuth(), RetentionPeriod: cbPtr(48 * time.Hour), InitialBackoff: cbPtr(2500 * time.Millisecond), MaxAttempts: cbPtr(int64(3)),
		})
		if err != nil {
			t.Fatal(err)
		}
		if created.ID == "" || created.ApplicationName != app.Name || created.Name != "status" || created.URL != "https://hooks.example.com/activation" ||
			!slices.Equal(created.Attributes, []string{"userId", "activationStatus"}) || created.RetentionPeriod != 48*time.Hour ||
			created.InitialBackoff != 2500*time.Millisecond || created.MaxAttempts != 3 {
			t.Fatalf("created %+v", created)
		}
		pub := created.Authentication
		if !pub.Certificate.Enabled || !pub.Certificate.KeyStorePasswordSet || pub.Certificate.KeyPasswordSet || *pub.Certificate.KeyAlias != "client" ||
			!pub.HTTPBasic.PasswordSet || *pub.HTTPBasic.Username != "user" || !pub.OAuth2.ClientSecretSet || *pub.OAuth2.ClientID != "cid" {
			t.Fatalf("public auth %+v", pub)
		}
		// Defaults fill in what is not set.
		other, err := svc.CreateCallback(ctx, CallbackInput{ApplicationName: app.Name, Name: "alpha ops", Type: domain.CallbackOperationStatusChange, URL: "http://hooks.example.com:8080/op"})
		if err != nil || other.MaxAttempts != DefaultCallbackMaxAttempts || other.InitialBackoff != DefaultCallbackInitialBackoff ||
			other.RetentionPeriod != DefaultCallbackRetentionPeriod || other.Attributes == nil || other.Authentication != (CallbackAuthenticationPublic{}) {
			t.Fatalf("defaults %+v %v", other, err)
		}
		list, err := svc.ListCallbacks(ctx, app.Name)
		if err != nil || len(list) != 2 || list[0].ID != other.ID || list[1].ID != created.ID {
			t.Fatalf("list (by name) %+v %v", list, err)
		}
		// Secrets are sealed at rest and open for delivery.
		row, err := st.GetCallbackURL(ctx, created.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{cbBasicPassword, cbOAuthSecret, cbKeyStorePass, "user"} {
			if bytes.Contains(row.Authentication, []byte(secret)) {
				t.Fatalf("plaintext %q in the stored row", secret)
			}
		}
		auth, err := svc.OpenCallbackAuthentication(row)
		if err != nil || *auth.HTTPBasic.Password != cbBasicPassword || *auth.OAuth2.ClientSecret != cbOAuthSecret {
			t.Fatalf("open %+v %v", auth, err)
		}
		// An update that does not resend secrets keeps them; "" clears one.
		upd := cbTestAuth()
		upd.HTTPBasic.Password, upd.OAuth2.ClientSecret, upd.Certificate.KeyStorePassword = nil, nil, cbPtr("")
		upd.HTTPBasic.Username = "user2"
		updated, err := svc.UpdateCallback(ctx, created.ID, CallbackInput{
			ApplicationName: app.Name, Name: "status v2", Type: domain.CallbackActivationStatusChange,
			URL: "https://hooks.example.com/v2", Authentication: upd,
		})
		if err != nil || updated.Name != "status v2" || updated.URL != "https://hooks.example.com/v2" || len(updated.Attributes) != 0 ||
			updated.MaxAttempts != DefaultCallbackMaxAttempts || !updated.Authentication.HTTPBasic.PasswordSet ||
			!updated.Authentication.OAuth2.ClientSecretSet || updated.Authentication.Certificate.KeyStorePasswordSet {
			t.Fatalf("updated %+v %v", updated, err)
		}
		row, _ = st.GetCallbackURL(ctx, created.ID)
		auth, err = svc.OpenCallbackAuthentication(row)
		if err != nil || *auth.HTTPBasic.Password != cbBasicPassword || auth.HTTPBasic.Username != "user2" || row.LastUpdated.IsZero() {
			t.Fatalf("after update %+v %v", auth, err)
		}
		// Removing authentication entirely stores nothing.
		updated, err = svc.UpdateCallback(ctx, created.ID, CallbackInput{ApplicationName: app.Name, Name: "n", Type: domain.CallbackOperationStatusChange, URL: "https://x.example/"})
		if err != nil || updated.Type != domain.CallbackOperationStatusChange || updated.Authentication != (CallbackAuthenticationPublic{}) {
			t.Fatalf("no auth %+v %v", updated, err)
		}
		if row, _ = st.GetCallbackURL(ctx, created.ID); row.Authentication != nil {
			t.Fatal("authentication kept")
		}
		removed, err := svc.RemoveCallback(ctx, created.ID)
		if err != nil || !removed {
			t.Fatalf("remove %v %v", removed, err)
		}
		if removed, err := svc.RemoveCallback(ctx, created.ID); err != nil || removed {
			t.Fatalf("second remove %v %v", removed, err)
		}
		if removed, err := svc.RemoveCallback(ctx, "nope"); err != nil || removed {
			t.Fatalf("unknown remove %v %v", removed, err)
		}
		list, _ = svc.ListCallbacks(ctx, app.Name)
		if len(list) != 1 || list[0].ID != other.ID {
			t.Fatalf("list after remove %+v", list)
		}
		if _, err := svc.UpdateCallback(ctx, created.ID, CallbackInput{ApplicationName: app.Name, Name: "n", Type: domain.CallbackActivationStatusChange, URL: "https://x.example/"}); CodeOf(err) != CodeInvalidRequest {
			t.Fatalf("update removed: %v", err)
		}
	})
}

func TestCallbackValidation(t *testing.T) {
	svc, _ := newSQLiteService(t)
	ctx := context.Background()
	app := createTestApp(t, svc).App
	otherApp := createTestApp(t, svc).App
	valid := func() CallbackInput {
		return CallbackInput{ApplicationName: app.Name, Name: "cb", Type: domain.CallbackActivationStatusChange, URL: "https://example.com/cb"}
	}
	existing, err := svc.CreateCallback(ctx, valid())
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		change func(*CallbackInput)
		code   string
	}{
		{"blank name", func(in *CallbackInput) { in.Name = " " }, CodeInvalidRequest},
		{"bad type", func(in *CallbackInput) { in.Type = "SOMETHING" }, CodeInvalidRequest},
		{"no type", func(in *CallbackInput) { in.Type = "" }, CodeInvalidRequest},
		{"operation attribute on activation callback", func(in *CallbackInput) { in.Attributes = []string{"operationType"} }, CodeInvalidRequest},
		{"unknown attribute", func(in *CallbackInput) { in.Attributes = []string{"password"} }, CodeInvalidRequest},
		{"blank attribute", func(in *CallbackInput) { in.Attributes = []string{""} }, CodeInvalidRequest},
		{"negative retention", func(in *CallbackInput) { in.RetentionPeriod = cbPtr(-time.Second) }, CodeInvalidRequest},
		{"negative backoff", func(in *CallbackInput) { in.InitialBackoff = cbPtr(-time.Second) }, CodeInvalidRequest},
		{"zero attempts", func(in *CallbackInput) { in.MaxAttempts = cbPtr(int64(0)) }, CodeInvalidRequest},
		{"relative URL", func(in *CallbackInput) { in.URL = "/hook" }, CodeInvalidURLFormat},
		{"ftp URL", func(in *CallbackInput) { in.URL = "ftp://example.com/x" }, CodeInvalidURLFormat},
		{"no host", func(in *CallbackInput) { in.URL = "https:///x" }, CodeInvalidURLFormat},
		{"not a URL", func(in *CallbackInput) { in.URL = "hello world" }, CodeInvalidURLFormat},
		{"spaces around", func(in *CallbackInput) { in.URL = " https://example.com/" }, CodeInvalidURLFormat},
		{"too long URL", func(in *CallbackInput) { in.URL = "https://example.com/" + strings.Repeat("a", MaxCallbackURLLength) }, CodeInvalidRequest},
		{"keystore location and content", func(in *CallbackInput) {
			in.Authentication = &CallbackAuthentication{Certificate: &CallbackCertificate{UseCustomKeyStore: true, KeyStoreLocation: "a", KeyStoreContent: cbPtr("b")}}
		}, CodeInvalidRequest},
		{"truststore location and content", func(in *CallbackInput) {
			in.Authentication = &CallbackAuthentication{Certificate: &CallbackCertificate{UseCustomTrustStore: true, TrustStoreLocation: "a", TrustStoreContent: cbPtr("b")}}
		}, CodeInvalidRequest},
		{"bad oauth2 token URI", func(in *CallbackInput) {
			in.Authentication = &CallbackAuthentication{OAuth2: &CallbackOAuth2{Enabled: true, TokenURI: "token"}}
		}, CodeInvalidURLFormat},
		{"unknown application", func(in *CallbackInput) { in.ApplicationName = "nope" }, CodeInvalidApplication},
	}
	for _, c := range cases {
		in := valid()
		c.change(&in)
		if _, err := svc.CreateCallback(ctx, in); CodeOf(err) != c.code {
			t.Errorf("create, %s: %v, want %s", c.name, err, c.code)
		}
		updCode := c.code
		if c.name == "unknown application" {
			updCode = CodeInvalidRequest // the callback is not found for that application
		}
		if _, err := svc.UpdateCallback(ctx, existing.ID, in); CodeOf(err) != updCode {
			t.Errorf("update, %s: %v, want %s", c.name, err, updCode)
		}
	}
	// Operation attributes on operation callbacks are fine.
	in := valid()
	in.Type, in.Attributes = domain.CallbackOperationStatusChange, CallbackAttributes(domain.CallbackOperationStatusChange)
	if _, err := svc.CreateCallback(ctx, in); err != nil {
		t.Fatal(err)
	}
	// A callback is only found through its own application.
	in = valid()
	in.ApplicationName = otherApp.Name
	if _, err := svc.UpdateCallback(ctx, existing.ID, in); CodeOf(err) != CodeInvalidRequest {
		t.Fatalf("update through another application: %v", err)
	}
	if _, err := svc.UpdateCallback(ctx, "nope", valid()); CodeOf(err) != CodeInvalidRequest {
		t.Fatalf("update unknown: %v", err)
	}
	if _, err := svc.ListCallbacks(ctx, "nope"); CodeOf(err) != CodeInvalidApplication {
		t.Fatalf("list unknown app: %v", err)
	}
	// Durations are kept to the millisecond, like the database.
	in = valid()
	in.InitialBackoff = cbPtr(1500*time.Millisecond + 7*time.Microsecond)
	cb, err := svc.CreateCallback(ctx, in)
	if err != nil || cb.InitialBackoff != 1500*time.Millisecond {
		t.Fatalf("truncation %v %v", cb.InitialBackoff, err)
	}
}

func TestCallbackAuthenticationBoundToRow(t *testing.T) {
	svc, _ := newSQLiteService(t)
	ctx := context.Background()
	app := createTestApp(t, svc).App
	in := CallbackInput{ApplicationName: app.Name, Name: "a", Type: domain.CallbackActivationStatusChange, URL: "https://example.com/", Authentication: cbTestAuth()}
	a, _ := svc.CreateCallback(ctx, in)
	in.Name, in.Authentication = "b", nil
	b, _ := svc.CreateCallback(ctx, in)
	rowA, _ := svc.store.GetCallbackURL(ctx, a.ID)
	rowB, _ := svc.store.GetCallbackURL(ctx, b.ID)
	rowB.Authentication = rowA.Authentication
	if err := svc.store.InTx(ctx, func(tx store.Tx) error { return tx.UpdateCallbackURL(ctx, &rowB) }); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.OpenCallbackAuthentication(rowB); err == nil {
		t.Fatal("ciphertext moved to another callback opened")
	}
	if _, err := svc.ListCallbacks(ctx, app.Name); err == nil {
		t.Fatal("list hid a corrupt row")
	}
}

// TestCallbackErrorCodesMatchTheCore: the codes internal/callbacks refuses
// settings with are the core's wire codes.
func TestCallbackErrorCodesMatchTheCore(t *testing.T) {
	for got, want := range map[string]string{
		callbacks.CodeInvalidRequest:   CodeInvalidRequest,
		callbacks.CodeInvalidURLFormat: CodeInvalidURLFormat,
		callbacks.CodeForbiddenURL:     CodeForbiddenCallbackURL,
	} {
		if got != want {
			t.Errorf("callbacks code %s, core code %s", got, want)
		}
	}
}
