package private

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// cbFull returns a create request with every field set.
func cbFull(app string) map[string]any {
	return map[string]any{
		"applicationId": app,
		"name":          "activation hook",
		"type":          "ACTIVATION_STATUS_CHANGE",
		"callbackUrl":   "https://hooks.example.com/activation",
		"attributes":    []string{"userId", "activationStatus"},
		"authentication": map[string]any{
			"certificate": map[string]any{
				"enabled": true, "useCustomKeyStore": true, "keyStoreLocation": "file:/ks.p12", "keyStorePassword": "ks-pass",
				"keyAlias": "client", "keyPassword": "key-pass", "useCustomTrustStore": true, "trustStoreLocation": "file:/ts.p12",
				"trustStorePassword": "ts-pass",
			},
			"httpBasic": map[string]any{"enabled": true, "username": "hook-user", "password": "basic-pass"},
			"oauth2":    map[string]any{"enabled": true, "clientId": "hook-client", "clientSecret": "oauth-secret", "tokenUri": "https://auth.example.com/token", "scope": "hooks"},
		},
		"retentionPeriod": "P2D",
		"initialBackoff":  "PT2.5S",
		"maxAttempts":     3,
	}
}

// cbList returns the callbacks of an application from application/callback/list.
func cbList(t *testing.T, ts *testServer, app string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, c := range ts.ok(t, "application/callback/list", map[string]any{"applicationId": app})["callbackUrlList"].([]any) {
		out = append(out, c.(map[string]any))
	}
	return out
}

// cbAuth returns authentication.<section> of a callback response.
func cbAuth(t *testing.T, cb map[string]any, section string) map[string]any {
	t.Helper()
	m, ok := cb["authentication"].(map[string]any)[section].(map[string]any)
	if !ok {
		t.Fatalf("no authentication.%s in %v", section, cb)
	}
	return m
}

// cbNoSecrets fails when a response carries a secret value or field.
func cbNoSecrets(t *testing.T, v any) {
	t.Helper()
	b, _ := json.Marshal(v)
	for _, s := range []string{"ks-pass", "key-pass", "ts-pass", "basic-pass", "oauth-secret", `"password"`, `"clientSecret"`, `"keyPassword"`, `"keyStorePassword"`, `"trustStorePassword"`} {
		if strings.Contains(string(b), s) {
			t.Fatalf("response leaks %s: %s", s, b)
		}
	}
}

func TestCallbackMethods(t *testing.T) {
	ts := newTestServer(t)
	app := ts.createApp(t)
	created := ts.ok(t, "application/callback/create", cbFull(app.Name))
	if _, err := uuid.Parse(created["id"].(string)); err != nil {
		t.Fatalf("id: %v", created)
	}
	want := map[string]any{
		"applicationId": app.Name, "name": "activation hook", "type": "ACTIVATION_STATUS_CHANGE",
		"callbackUrl": "https://hooks.example.com/activation", "retentionPeriod": "PT48H", "initialBackoff": "PT2.5S", "maxAttempts": float64(3),
	}
	for k, v := range want {
		if created[k] != v {
			t.Fatalf("%s = %v, want %v (%v)", k, created[k], v, created)
		}
	}
	if !slices.Equal(appStrings(t, created["attributes"]), []string{"userId", "activationStatus"}) {
		t.Fatalf("attributes %v", created["attributes"])
	}
	cbNoSecrets(t, created)
	cert, basic, oauth := cbAuth(t, created, "certificate"), cbAuth(t, created, "httpBasic"), cbAuth(t, created, "oauth2")
	if cert["enabled"] != true || cert["keyStorePasswordSet"] != true || cert["keyPasswordSet"] != true || cert["trustStorePasswordSet"] != true ||
		cert["keyAlias"] != "client" || cert["keyStoreLocation"] != "file:/ks.p12" || cert["useCustomTrustStore"] != true {
		t.Fatalf("certificate %v", cert)
	}
	if basic["enabled"] != true || basic["username"] != "hook-user" || basic["passwordSet"] != true {
		t.Fatalf("httpBasic %v", basic)
	}
	if oauth["enabled"] != true || oauth["clientId"] != "hook-client" || oauth["clientSecretSet"] != true || oauth["tokenUri"] != "https://auth.example.com/token" || oauth["scope"] != "hooks" {
		t.Fatalf("oauth2 %v", oauth)
	}

	// Defaults and an operation callback.
	minimal := ts.ok(t, "application/callback/create", map[string]any{
		"applicationId": app.Name, "name": "a operations", "type": "OPERATION_STATUS_CHANGE", "callbackUrl": "http://hooks.example.com:9000/op",
		"attributes": []string{"operationType", "status"},
	})
	if minimal["retentionPeriod"] != "PT720H" || minimal["initialBackoff"] != "PT2S" || minimal["maxAttempts"] != float64(1) {
		t.Fatalf("defaults: %v", minimal)
	}
	if b := cbAuth(t, minimal, "httpBasic"); b["enabled"] != false || b["passwordSet"] != false || b["username"] != nil {
		t.Fatalf("default auth: %v", minimal["authentication"])
	}

	list := cbList(t, ts, app.Name)
	if len(list) != 2 || list[0]["id"] != minimal["id"] || list[1]["id"] != created["id"] {
		t.Fatalf("list (ordered by name): %v", list)
	}
	for k := range created {
		if k != "authentication" && k != "attributes" && k != "signingSecret" && list[1][k] != created[k] {
			t.Fatalf("list item %s = %v, created %v", k, list[1][k], created[k])
		}
	}
	cbNoSecrets(t, list)

	// Update without resending secrets keeps them; an empty password clears it.
	upd := cbFull(app.Name)
	upd["id"] = created["id"]
	upd["name"] = "activation hook v2"
	upd["callbackUrl"] = "https://hooks.example.com/v2"
	upd["attributes"] = []string{"platform"}
	upd["maxAttempts"] = 5
	delete(upd, "retentionPeriod")
	auth := upd["authentication"].(map[string]any)
	delete(auth["httpBasic"].(map[string]any), "password")
	delete(auth["oauth2"].(map[string]any), "clientSecret")
	auth["certificate"].(map[string]any)["keyPassword"] = ""
	updated := ts.ok(t, "application/callback/update", upd)
	if updated["id"] != created["id"] || updated["name"] != "activation hook v2" || updated["callbackUrl"] != "https://hooks.example.com/v2" ||
		updated["maxAttempts"] != float64(5) || updated["retentionPeriod"] != "PT720H" || !slices.Equal(appStrings(t, updated["attributes"]), []string{"platform"}) {
		t.Fatalf("update: %v", updated)
	}
	if cbAuth(t, updated, "httpBasic")["passwordSet"] != true || cbAuth(t, updated, "oauth2")["clientSecretSet"] != true ||
		cbAuth(t, updated, "certificate")["keyPasswordSet"] != false || cbAuth(t, updated, "certificate")["keyStorePasswordSet"] != true {
		t.Fatalf("update kept/cleared secrets wrongly: %v", updated["authentication"])
	}
	cbNoSecrets(t, updated)
	row, err := ts.store.GetCallbackURL(t.Context(), created["id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := ts.svc.OpenCallbackAuthentication(row)
	if err != nil || *sealed.HTTPBasic.Password != "basic-pass" || *sealed.OAuth2.ClientSecret != "oauth-secret" || sealed.Certificate.KeyPassword != nil {
		t.Fatalf("stored authentication %+v %v", sealed, err)
	}
	if list := cbList(t, ts, app.Name); list[1]["name"] != "activation hook v2" || list[1]["callbackUrl"] != "https://hooks.example.com/v2" {
		t.Fatalf("list after update: %v", list)
	}

	removed := ts.ok(t, "application/callback/remove", map[string]any{"id": created["id"]})
	if removed["id"] != created["id"] || removed["removed"] != true {
		t.Fatalf("remove: %v", removed)
	}
	if list := cbList(t, ts, app.Name); len(list) != 1 || list[0]["id"] != minimal["id"] {
		t.Fatalf("list after remove: %v", list)
	}
	if again := ts.ok(t, "application/callback/remove", map[string]any{"id": created["id"]}); again["removed"] != false {
		t.Fatalf("second remove: %v", again)
	}
	ts.fail(t, "application/callback/update", upd, http.StatusBadRequest, "ERR0024")
}

func TestCallbackMethodErrors(t *testing.T) {
	ts := newTestServer(t)
	app := ts.createApp(t)
	other := ts.createApp(t)
	existing := ts.ok(t, "application/callback/create", cbFull(app.Name))
	with := func(base map[string]any, key string, value any) map[string]any {
		out := map[string]any{}
		for k, v := range base {
			out[k] = v
		}
		if value == nil {
			delete(out, key)
		} else {
			out[key] = value
		}
		return out
	}
	create := cbFull(app.Name)
	update := with(cbFull(app.Name), "id", existing["id"])
	cases := []struct {
		name string
		req  map[string]any
		code string
	}{
		{"missing applicationId", with(create, "applicationId", nil), "ERR0024"},
		{"blank name", with(create, "name", " "), "ERR0024"},
		{"missing name", with(create, "name", nil), "ERR0024"},
		{"missing type", with(create, "type", nil), "ERR0024"},
		{"invalid type", with(create, "type", "SIGNATURE"), "ERR0024"},
		{"lower-case type", with(create, "type", "activation_status_change"), "ERR0024"},
		{"missing callbackUrl", with(create, "callbackUrl", nil), "ERR0024"},
		{"relative callbackUrl", with(create, "callbackUrl", "/hook"), "ERR0014"},
		{"callbackUrl without scheme", with(create, "callbackUrl", "hooks.example.com/x"), "ERR0014"},
		{"ftp callbackUrl", with(create, "callbackUrl", "ftp://hooks.example.com/x"), "ERR0014"},
		{"callbackUrl with spaces", with(create, "callbackUrl", "https://hooks example.com/"), "ERR0014"},
		{"attribute of another type", with(create, "attributes", []string{"operationType"}), "ERR0024"},
		{"attributes not an array", with(create, "attributes", "userId"), "ERR0024"},
		{"bad retentionPeriod", with(create, "retentionPeriod", "30 days"), "ERR0024"},
		{"negative retentionPeriod", with(create, "retentionPeriod", "-PT1S"), "ERR0024"},
		{"numeric initialBackoff", with(create, "initialBackoff", 5), "ERR0024"},
		{"zero maxAttempts", with(create, "maxAttempts", 0), "ERR0024"},
		{"huge maxAttempts", with(create, "maxAttempts", int64(1)<<40), "ERR0024"},
		{"keystore location and content", with(create, "authentication", map[string]any{"certificate": map[string]any{"useCustomKeyStore": true, "keyStoreLocation": "a", "keyStoreContent": "b"}}), "ERR0024"},
		{"bad oauth2 tokenUri", with(create, "authentication", map[string]any{"oauth2": map[string]any{"enabled": true, "tokenUri": "token"}}), "ERR0014"},
		{"authentication not an object", with(create, "authentication", "basic"), "ERR0024"},
		{"unknown application", with(create, "applicationId", "nope"), "ERR0015"},
	}
	for _, c := range cases {
		t.Run("create "+c.name, func(t *testing.T) {
			ts.fail(t, "application/callback/create", c.req, http.StatusBadRequest, c.code)
		})
		t.Run("update "+c.name, func(t *testing.T) {
			req := with(c.req, "id", existing["id"])
			code := c.code
			if c.name == "unknown application" {
				code = "ERR0024" // the callback is not found in that application
			}
			ts.fail(t, "application/callback/update", req, http.StatusBadRequest, code)
		})
	}
	ts.fail(t, "application/callback/update", with(update, "id", nil), http.StatusBadRequest, "ERR0024")
	ts.fail(t, "application/callback/update", with(update, "id", uuid.NewString()), http.StatusBadRequest, "ERR0024")
	ts.fail(t, "application/callback/update", with(update, "applicationId", other.Name), http.StatusBadRequest, "ERR0024")
	ts.fail(t, "application/callback/list", map[string]any{"applicationId": "nope"}, http.StatusBadRequest, "ERR0015")
	ts.fail(t, "application/callback/list", map[string]any{}, http.StatusBadRequest, "ERR0024")
	ts.fail(t, "application/callback/remove", map[string]any{}, http.StatusBadRequest, "ERR0024")
	if r := ts.ok(t, "application/callback/remove", map[string]any{"id": uuid.NewString()}); r["removed"] != false {
		t.Fatalf("remove unknown: %v", r)
	}
	// None of the failed calls changed anything.
	list := cbList(t, ts, app.Name)
	if len(list) != 1 || list[0]["name"] != existing["name"] || list[0]["callbackUrl"] != existing["callbackUrl"] || list[0]["maxAttempts"] != existing["maxAttempts"] {
		t.Fatalf("list: %v", list)
	}
	if len(cbList(t, ts, other.Name)) != 0 {
		t.Fatal("callback appeared in another application")
	}
}

func TestISODuration(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration
		out  string
	}{
		{"PT0S", 0, "PT0S"},
		{"P0D", 0, "PT0S"},
		{"PT2S", 2 * time.Second, "PT2S"},
		{"PT2.5S", 2500 * time.Millisecond, "PT2.5S"},
		{"PT2,5S", 2500 * time.Millisecond, "PT2.5S"},
		{"pt1m", time.Minute, "PT1M"},
		{"P30D", 720 * time.Hour, "PT720H"},
		{"P1DT1H1M1.000000001S", 25*time.Hour + time.Minute + time.Second + 1, "PT25H1M1.000000001S"},
		{"PT1H30M", 90 * time.Minute, "PT1H30M"},
		{"PT90M", 90 * time.Minute, "PT1H30M"},
		{"+PT1S", time.Second, "PT1S"},
		{"-PT1S", -time.Second, "-PT1S"},
		{"PT-1S", -time.Second, "-PT1S"},
		{"-PT-1S", time.Second, "PT1S"},
		{"PT-0.5S", -500 * time.Millisecond, "-PT0.5S"},
		{"PT1H-30M", 30 * time.Minute, "PT30M"},
		{"PT1.S", time.Second, "PT1S"},
		{"PT0.001S", time.Millisecond, "PT0.001S"},
	} {
		got, err := parseISODuration(c.in)
		if err != nil || got != c.want {
			t.Errorf("parse %q = %v, %v; want %v", c.in, got, err, c.want)
			continue
		}
		if f := formatISODuration(got); f != c.out {
			t.Errorf("format %v = %q, want %q", got, f, c.out)
		}
	}
	for _, bad := range []string{
		"", "P", "PT", "T1S", "1S", "P1", "PT1", "P1H", "PT1D", "PT1S1M", "PT1M1H", "PT1H1H", "P1W", "P1Y", "P1M",
		"PT.5S", "PT1.1234567891S", "PT1.5M", "PT1-S", "PT--1S", "PT+-1S", "P1DT", "PTS", "PT1 S", " PT1S", "PT1S ",
		"P106752D", "PT9223372036854775807S", "PT9223372036854775807H", "-P106752D", "PT1.-5S", "PT1e3S", "PT0x10S",
		"PT１S",
	} {
		if d, err := parseISODuration(bad); err == nil {
			t.Errorf("parse %q = %v, want an error", bad, d)
		}
	}
	if got := formatISODuration(time.Duration(1<<63 - 1)); got == "" {
		t.Fatal("format max")
	}
	if got := formatISODuration(time.Duration(-1 << 63)); got != "-PT2562047H47M16.854775808S" {
		t.Fatalf("format min %q", got)
	}
}

func FuzzParseISODuration(f *testing.F) {
	for _, s := range []string{"PT2S", "P30D", "PT2.5S", "-PT1H-30M", "P1DT1H1M1.000000001S", "PT", "pt1m", "PT1,5S"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseISODuration(s)
		if err != nil {
			return
		}
		back, err := parseISODuration(formatISODuration(d))
		if err != nil || back != d {
			t.Fatalf("%q → %v → %q → %v, %v", s, d, formatISODuration(d), back, err)
		}
	})
}
