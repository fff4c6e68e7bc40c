package service

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/teststore"
)

// testCertPEM returns a freshly made self-signed certificate in PEM.
func cfgTestCertPEM(t testing.TB) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test root"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func cfgRawValues(t testing.TB, vs ...any) []json.RawMessage {
	t.Helper()
	out := make([]json.RawMessage, len(vs))
	for i, v := range vs {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = b
	}
	return out
}

const cfgOIDCSecret = "oidc-client-secret-7f3a"

func cfgTestProvider(id string) map[string]any {
	return map[string]any{
		"providerId": id, "clientId": "client", "clientSecret": cfgOIDCSecret,
		"issuerUri": "https://issuer.example.com/", "redirectUri": "mtoken://oidc", "scopes": "openid", "pkceEnabled": true,
	}
}

func TestValidateApplicationConfig(t *testing.T) {
	cert := cfgTestCertPEM(t)
	with := func(k string, v any) map[string]any {
		p := cfgTestProvider("p")
		if v == nil {
			delete(p, k)
		} else {
			p[k] = v
		}
		return p
	}
	cases := []struct {
		name   string
		key    string
		values []any
		ok     bool
	}{
		{"formats", ConfigKeyFido2AttestationFormats, []any{"packed", "none"}, true},
		{"no values", ConfigKeyFido2AttestationFormats, nil, true},
		{"format not a string", ConfigKeyFido2AttestationFormats, []any{1}, false},
		{"blank format", ConfigKeyFido2AttestationFormats, []any{" "}, false},
		{"aaguids", ConfigKeyFido2AAGUIDs, []any{"ee882879-721c-4913-9775-3dfcce97072a"}, true},
		{"bad aaguid", ConfigKeyFido2AAGUIDs, []any{"yubikey"}, false},
		{"root certs", ConfigKeyFido2RootCACerts, []any{cert, cert + cert}, true},
		{"not PEM", ConfigKeyFido2RootCACerts, []any{"hello"}, false},
		{"PEM with trailing junk", ConfigKeyFido2RootCACerts, []any{cert + "junk"}, false},
		{"PEM key, not cert", ConfigKeyFido2RootCACerts, []any{"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}, false},
		{"PEM garbage cert", ConfigKeyFido2RootCACerts, []any{"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}, false},
		{"providers", ConfigKeyOAuth2Providers, []any{cfgTestProvider("a"), cfgTestProvider("b")}, true},
		{"duplicate provider", ConfigKeyOAuth2Providers, []any{cfgTestProvider("a"), cfgTestProvider("a")}, false},
		{"provider not object", ConfigKeyOAuth2Providers, []any{"a"}, false},
		{"provider null", ConfigKeyOAuth2Providers, []any{nil}, false},
		{"missing clientSecret", ConfigKeyOAuth2Providers, []any{with("clientSecret", nil)}, false},
		{"blank clientId", ConfigKeyOAuth2Providers, []any{with("clientId", "")}, false},
		{"missing providerId", ConfigKeyOAuth2Providers, []any{with("providerId", nil)}, false},
		{"missing issuerUri", ConfigKeyOAuth2Providers, []any{with("issuerUri", nil)}, false},
		{"missing redirectUri", ConfigKeyOAuth2Providers, []any{with("redirectUri", nil)}, false},
		{"issuer not http", ConfigKeyOAuth2Providers, []any{with("issuerUri", "ftp://x")}, false},
		{"redirect relative", ConfigKeyOAuth2Providers, []any{with("redirectUri", "/cb")}, false},
		{"tokenUri ok", ConfigKeyOAuth2Providers, []any{with("tokenUri", "https://issuer.example.com/token")}, true},
		{"tokenUri relative", ConfigKeyOAuth2Providers, []any{with("tokenUri", "token")}, false},
		{"pkce not bool", ConfigKeyOAuth2Providers, []any{with("pkceEnabled", "yes")}, false},
		{"scopes not string", ConfigKeyOAuth2Providers, []any{with("scopes", []string{"openid"})}, false},
		{"client auth method", ConfigKeyOAuth2Providers, []any{with("clientAuthenticationMethod", "client_secret_post")}, true},
		{"bad client auth method", ConfigKeyOAuth2Providers, []any{with("clientAuthenticationMethod", "magic")}, false},
		{"unknown key", "unknown_key", []any{"x"}, false},
		{"empty key", "", nil, false},
	}
	for _, c := range cases {
		err := ValidateApplicationConfig(c.key, cfgRawValues(t, c.values...))
		if (err == nil) != c.ok || (err != nil && CodeOf(err) != CodeInvalidRequest) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	if err := ValidateApplicationConfig(ConfigKeyFido2AttestationFormats, []json.RawMessage{json.RawMessage(`{`)}); CodeOf(err) != CodeInvalidRequest {
		t.Errorf("invalid JSON: %v", err)
	}
}

func TestApplicationConfigLifecycle(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		svc, _ := newTestService(t, st, Config{})
		ctx := context.Background()
		app := createTestApp(t, svc).App
		items, err := svc.GetApplicationConfig(ctx, app.Name)
		if err != nil || items == nil || len(items) != 0 {
			t.Fatalf("empty config: %v %v", items, err)
		}
		providers := cfgRawValues(t, cfgTestProvider("a"))
		if _, err := svc.CreateApplicationConfig(ctx, app.Name, ConfigKeyOAuth2Providers, providers); err != nil {
			t.Fatal(err)
		}
		formats := cfgRawValues(t, "packed")
		got, err := svc.CreateApplicationConfig(ctx, app.Name, ConfigKeyFido2AttestationFormats, formats)
		if err != nil || got.Key != ConfigKeyFido2AttestationFormats || string(got.Values[0]) != `"packed"` {
			t.Fatalf("create: %+v %v", got, err)
		}
		// Setting a key again replaces its values.
		formats = cfgRawValues(t, "none", "apple")
		if _, err := svc.CreateApplicationConfig(ctx, app.Name, ConfigKeyFido2AttestationFormats, formats); err != nil {
			t.Fatal(err)
		}
		items, err = svc.GetApplicationConfig(ctx, app.Name)
		if err != nil || len(items) != 2 || items[0].Key != ConfigKeyFido2AttestationFormats || items[1].Key != ConfigKeyOAuth2Providers {
			t.Fatalf("detail: %+v %v", items, err)
		}
		if len(items[0].Values) != 2 || string(items[0].Values[1]) != `"apple"` {
			t.Fatalf("replaced values %s", items[0].Values)
		}
		var p map[string]any
		if err := json.Unmarshal(items[1].Values[0], &p); err != nil || p["clientSecret"] != cfgOIDCSecret || p["pkceEnabled"] != true {
			t.Fatalf("provider round trip %v %v", p, err)
		}
		values, found, err := svc.ApplicationConfigValues(ctx, app.Name, ConfigKeyOAuth2Providers)
		if err != nil || !found || len(values) != 1 {
			t.Fatalf("values: %v %v %v", values, found, err)
		}
		if _, found, err := svc.ApplicationConfigValues(ctx, app.Name, ConfigKeyFido2AAGUIDs); err != nil || found {
			t.Fatalf("unset key: %v %v", found, err)
		}
		// At rest the values are sealed: no plaintext secret in the row.
		rows, err := st.ListApplicationConfigs(ctx, app.ID)
		if err != nil || len(rows) != 2 {
			t.Fatal(rows, err)
		}
		for _, r := range rows {
			if bytes.Contains(r.Values, []byte(cfgOIDCSecret)) || bytes.Contains(r.Values, []byte("packed")) || bytes.Contains(r.Values, []byte("apple")) {
				t.Fatalf("plaintext in row %s", r.Key)
			}
		}
		if err := svc.RemoveApplicationConfig(ctx, app.Name, ConfigKeyOAuth2Providers); err != nil {
			t.Fatal(err)
		}
		if err := svc.RemoveApplicationConfig(ctx, app.Name, ConfigKeyOAuth2Providers); err != nil {
			t.Fatalf("removing an unset key: %v", err)
		}
		items, _ = svc.GetApplicationConfig(ctx, app.Name)
		if len(items) != 1 || items[0].Key != ConfigKeyFido2AttestationFormats {
			t.Fatalf("after remove: %+v", items)
		}
		for _, c := range []struct {
			name string
			err  error
			code string
		}{
			{"detail unknown app", appErrOf(svc.GetApplicationConfig(ctx, "nope")), CodeInvalidApplication},
			{"create unknown app", appErrOf(svc.CreateApplicationConfig(ctx, "nope", ConfigKeyFido2AAGUIDs, nil)), CodeInvalidApplication},
			{"create unknown key", appErrOf(svc.CreateApplicationConfig(ctx, app.Name, "nope", nil)), CodeInvalidRequest},
			{"create unknown key, unknown app", appErrOf(svc.CreateApplicationConfig(ctx, "nope", "nope", nil)), CodeInvalidRequest},
			{"create invalid values", appErrOf(svc.CreateApplicationConfig(ctx, app.Name, ConfigKeyFido2AAGUIDs, cfgRawValues(t, 5))), CodeInvalidRequest},
			{"remove unknown app", svc.RemoveApplicationConfig(ctx, "nope", ConfigKeyFido2AAGUIDs), CodeInvalidApplication},
			{"remove unknown key", svc.RemoveApplicationConfig(ctx, app.Name, "nope"), CodeInvalidRequest},
		} {
			if CodeOf(c.err) != c.code {
				t.Errorf("%s: %v, want %s", c.name, c.err, c.code)
			}
		}
	})
}

func TestApplicationConfigSealedPerRow(t *testing.T) {
	svc, _ := newSQLiteService(t)
	ctx := context.Background()
	a, b := createTestApp(t, svc).App, createTestApp(t, svc).App
	if _, err := svc.CreateApplicationConfig(ctx, a.Name, ConfigKeyOAuth2Providers, cfgRawValues(t, cfgTestProvider("x"))); err != nil {
		t.Fatal(err)
	}
	row, err := svc.store.GetApplicationConfig(ctx, a.ID, ConfigKeyOAuth2Providers)
	if err != nil {
		t.Fatal(err)
	}
	// The ciphertext copied to another application (or key) does not open.
	for _, moved := range []struct {
		app int64
		key string
	}{{b.ID, ConfigKeyOAuth2Providers}, {a.ID, ConfigKeyFido2AttestationFormats}} {
		row.ID, row.ApplicationID, row.Key = 0, moved.app, moved.key
		if err := svc.store.InTx(ctx, func(tx store.Tx) error { return tx.PutApplicationConfig(ctx, &row) }); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.GetApplicationConfig(ctx, b.Name); err == nil {
		t.Fatal("moved ciphertext opened for another application")
	}
	if _, err := svc.GetApplicationConfig(ctx, a.Name); err == nil {
		t.Fatal("moved ciphertext opened for another key")
	}
}

func appErrOf[T any](_ T, err error) error { return err }

func FuzzValidateApplicationConfig(f *testing.F) {
	f.Add(ConfigKeyOAuth2Providers, `{"providerId":"a","clientId":"c","clientSecret":"s","issuerUri":"https://i/","redirectUri":"m://x"}`)
	f.Add(ConfigKeyFido2AAGUIDs, `"ee882879-721c-4913-9775-3dfcce97072a"`)
	f.Add(ConfigKeyFido2RootCACerts, `"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"`)
	f.Add(ConfigKeyFido2AttestationFormats, `"packed"`)
	f.Add("other", `null`)
	f.Fuzz(func(t *testing.T, key, value string) {
		err := ValidateApplicationConfig(key, []json.RawMessage{json.RawMessage(value)})
		if err != nil && CodeOf(err) != CodeInvalidRequest {
			t.Fatalf("unexpected error kind: %v", err)
		}
		if err == nil && !json.Valid([]byte(value)) {
			t.Fatalf("invalid JSON accepted: %q", value)
		}
		if err == nil && !strings.Contains(key, "_") {
			t.Fatalf("key %q accepted", key)
		}
	})
}
