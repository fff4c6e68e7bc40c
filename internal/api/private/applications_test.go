package private

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/mauth/mauth/protocol"
)

// appStrings converts a JSON array of strings from a decoded response.
func appStrings(t *testing.T, v any) []string {
	t.Helper()
	arr, ok := v.([]any)
	if !ok {
		t.Fatalf("not an array: %#v", v)
	}
	out := make([]string, len(arr))
	for i, x := range arr {
		s, ok := x.(string)
		if !ok {
			t.Fatalf("not a string: %#v", x)
		}
		out[i] = s
	}
	return out
}

// appFindVersion returns the version named name from an application/detail response.
func appFindVersion(t *testing.T, detail map[string]any, name string) map[string]any {
	t.Helper()
	for _, v := range detail["versions"].([]any) {
		m := v.(map[string]any)
		if m["applicationVersionId"] == name {
			return m
		}
	}
	t.Fatalf("version %q not in %v", name, detail["versions"])
	return nil
}

func TestApplicationMethods(t *testing.T) {
	ts := newTestServer(t)
	created := ts.ok(t, "application/create", map[string]any{"applicationId": "mobile-banking"})
	if created["applicationId"] != "mobile-banking" || len(appStrings(t, created["applicationRoles"])) != 0 {
		t.Fatalf("create: %v", created)
	}
	ts.ok(t, "application/create", map[string]any{"applicationId": "another"})
	list := ts.ok(t, "application/list", nil)["applications"].([]any)
	if len(list) != 2 || list[0].(map[string]any)["applicationId"] != "mobile-banking" || list[1].(map[string]any)["applicationId"] != "another" {
		t.Fatalf("list: %v", list)
	}
	// List methods ignore the request body, whatever it is.
	for _, body := range []any{rawBody("{not json"), rawBody(""), map[string]any{"x": 1}} {
		if got := ts.ok(t, "application/list", body)["applications"].([]any); len(got) != 2 {
			t.Fatalf("list with body %v: %v", body, got)
		}
	}
	if roles, ok := list[0].(map[string]any)["applicationRoles"].([]any); !ok || len(roles) != 0 {
		t.Fatalf("list roles: %v", list[0])
	}

	detail := ts.ok(t, "application/detail", map[string]any{"applicationId": "mobile-banking"})
	master, err := base64.StdEncoding.DecodeString(detail["masterPublicKey"].(string))
	if err != nil || len(master) != 65 || master[0] != 0x04 {
		t.Fatalf("masterPublicKey %v (%v)", detail["masterPublicKey"], err)
	}
	if _, err := protocol.ParsePublicKey(master); err != nil {
		t.Fatal(err)
	}
	if detail["applicationId"] != "mobile-banking" || len(detail["versions"].([]any)) != 1 {
		t.Fatalf("detail: %v", detail)
	}
	def := appFindVersion(t, detail, "default")
	key, _ := base64.StdEncoding.DecodeString(def["applicationKey"].(string))
	secret, _ := base64.StdEncoding.DecodeString(def["applicationSecret"].(string))
	if len(key) != 16 || len(secret) != 16 || def["supported"] != true {
		t.Fatalf("default version: %v", def)
	}
	cfg, err := protocol.ParseSDKConfig(def["mobileSdkConfig"].(string))
	if err != nil || !bytes.Equal(cfg.ApplicationKey, key) || !bytes.Equal(cfg.ApplicationSecret, secret) || !bytes.Equal(cfg.MasterPublicKey, master) {
		t.Fatalf("mobileSdkConfig %+v %v", cfg, err)
	}

	lookup := ts.ok(t, "application/detail/version", map[string]any{"applicationKey": def["applicationKey"]})
	if lookup["applicationId"] != "mobile-banking" {
		t.Fatalf("lookup: %v", lookup)
	}

	v2 := ts.ok(t, "application/version/create", map[string]any{"applicationId": "mobile-banking", "applicationVersionId": "2.0"})
	if v2["applicationVersionId"] != "2.0" || v2["supported"] != true || v2["applicationKey"] == def["applicationKey"] || v2["applicationSecret"] == "" {
		t.Fatalf("version/create: %v", v2)
	}
	detail = ts.ok(t, "application/detail", map[string]any{"applicationId": "mobile-banking"})
	if got := appFindVersion(t, detail, "2.0"); got["applicationKey"] != v2["applicationKey"] || got["applicationSecret"] != v2["applicationSecret"] {
		t.Fatalf("new version in detail: %v", got)
	}
	if lookup := ts.ok(t, "application/detail/version", map[string]any{"applicationKey": v2["applicationKey"]}); lookup["applicationId"] != "mobile-banking" {
		t.Fatalf("lookup v2: %v", lookup)
	}

	un := ts.ok(t, "application/version/unsupport", map[string]any{"applicationId": "mobile-banking", "applicationVersionId": "2.0"})
	if un["applicationVersionId"] != "2.0" || un["supported"] != false {
		t.Fatalf("unsupport: %v", un)
	}
	detail = ts.ok(t, "application/detail", map[string]any{"applicationId": "mobile-banking"})
	if appFindVersion(t, detail, "2.0")["supported"] != false || appFindVersion(t, detail, "default")["supported"] != true {
		t.Fatalf("after unsupport: %v", detail)
	}
	_, ver, err := ts.svc.LookupApplicationByKey(context.Background(), v2["applicationKey"].(string))
	if err != nil || ver.Supported {
		t.Fatalf("stored version: %+v %v", ver, err)
	}
	sup := ts.ok(t, "application/version/support", map[string]any{"applicationId": "mobile-banking", "applicationVersionId": "2.0"})
	if sup["applicationVersionId"] != "2.0" || sup["supported"] != true {
		t.Fatalf("support: %v", sup)
	}
	if appFindVersion(t, ts.ok(t, "application/detail", map[string]any{"applicationId": "mobile-banking"}), "2.0")["supported"] != true {
		t.Fatal("support not stored")
	}
}

func TestApplicationMethodErrors(t *testing.T) {
	ts := newTestServer(t)
	app := ts.createApp(t)
	for _, c := range []struct {
		name   string
		method string
		req    any
		code   string
	}{
		{"create duplicate", "application/create", map[string]any{"applicationId": app.Name}, "ERR0043"},
		{"create missing id", "application/create", map[string]any{}, "ERR0024"},
		{"create blank id", "application/create", map[string]any{"applicationId": "  "}, "ERR0024"},
		{"create id not a string", "application/create", map[string]any{"applicationId": 7}, "ERR0024"},
		{"detail unknown", "application/detail", map[string]any{"applicationId": "nope"}, "ERR0015"},
		{"detail missing id", "application/detail", nil, "ERR0024"},
		{"lookup unknown key", "application/detail/version", map[string]any{"applicationKey": "AAAAAAAAAAAAAAAAAAAAAA=="}, "ERR0015"},
		{"lookup missing key", "application/detail/version", map[string]any{}, "ERR0024"},
		{"version unknown app", "application/version/create", map[string]any{"applicationId": "nope", "applicationVersionId": "1"}, "ERR0015"},
		{"version duplicate", "application/version/create", map[string]any{"applicationId": app.Name, "applicationVersionId": "default"}, "ERR0043"},
		{"version missing name", "application/version/create", map[string]any{"applicationId": app.Name}, "ERR0024"},
		{"version missing app", "application/version/create", map[string]any{"applicationVersionId": "1"}, "ERR0024"},
		{"unsupport unknown version", "application/version/unsupport", map[string]any{"applicationId": app.Name, "applicationVersionId": "9"}, "ERR0015"},
		{"unsupport unknown app", "application/version/unsupport", map[string]any{"applicationId": "nope", "applicationVersionId": "default"}, "ERR0015"},
		{"unsupport missing version", "application/version/unsupport", map[string]any{"applicationId": app.Name}, "ERR0024"},
		{"support unknown version", "application/version/support", map[string]any{"applicationId": app.Name, "applicationVersionId": "9"}, "ERR0015"},
		{"support missing app", "application/version/support", map[string]any{"applicationVersionId": "default"}, "ERR0024"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ts.fail(t, c.method, c.req, http.StatusBadRequest, c.code)
		})
	}
	// Failed calls changed nothing.
	list := ts.ok(t, "application/list", nil)["applications"].([]any)
	if len(list) != 1 {
		t.Fatalf("list: %v", list)
	}
	d := ts.ok(t, "application/detail", map[string]any{"applicationId": app.Name})
	if len(d["versions"].([]any)) != 1 || appFindVersion(t, d, "default")["supported"] != true {
		t.Fatalf("detail: %v", d)
	}
}

func TestApplicationRoleMethods(t *testing.T) {
	ts := newTestServer(t)
	app := ts.createApp(t)
	steps := []struct {
		method string
		roles  []string
		want   []string
	}{
		{"application/roles/create", []string{"ROLE_B", "ROLE_A"}, []string{"ROLE_A", "ROLE_B"}},
		{"application/roles/create", []string{"ROLE_A", "ROLE_C"}, []string{"ROLE_A", "ROLE_B", "ROLE_C"}},
		{"application/roles/remove", []string{"ROLE_B", "ROLE_X"}, []string{"ROLE_A", "ROLE_C"}},
		{"application/roles/update", []string{"ROLE_Z", "ROLE_Y"}, []string{"ROLE_Y", "ROLE_Z"}},
		{"application/roles/update", []string{}, []string{}},
	}
	for _, s := range steps {
		got := ts.ok(t, s.method, map[string]any{"applicationId": app.Name, "applicationRoles": s.roles})
		if got["applicationId"] != app.Name || !slices.Equal(appStrings(t, got["applicationRoles"]), s.want) {
			t.Fatalf("%s %v: %v", s.method, s.roles, got)
		}
		listed := ts.ok(t, "application/roles/list", map[string]any{"applicationId": app.Name})
		if listed["applicationId"] != app.Name || !slices.Equal(appStrings(t, listed["applicationRoles"]), s.want) {
			t.Fatalf("list after %s: %v", s.method, listed)
		}
	}
	ts.ok(t, "application/roles/create", map[string]any{"applicationId": app.Name, "applicationRoles": []string{"ROLE_ADMIN"}})
	for _, via := range []map[string]any{
		ts.ok(t, "application/detail", map[string]any{"applicationId": app.Name}),
		ts.ok(t, "application/list", nil)["applications"].([]any)[0].(map[string]any),
	} {
		if !slices.Equal(appStrings(t, via["applicationRoles"]), []string{"ROLE_ADMIN"}) {
			t.Fatalf("roles not shown: %v", via)
		}
	}
	for _, m := range []string{"application/roles/create", "application/roles/update", "application/roles/remove"} {
		ts.fail(t, m, map[string]any{"applicationId": "nope", "applicationRoles": []string{"A"}}, http.StatusBadRequest, "ERR0015")
		ts.fail(t, m, map[string]any{"applicationRoles": []string{"A"}}, http.StatusBadRequest, "ERR0024")
		ts.fail(t, m, map[string]any{"applicationId": app.Name}, http.StatusBadRequest, "ERR0024")
		ts.fail(t, m, map[string]any{"applicationId": app.Name, "applicationRoles": []string{""}}, http.StatusBadRequest, "ERR0024")
		ts.fail(t, m, map[string]any{"applicationId": app.Name, "applicationRoles": "ROLE_A"}, http.StatusBadRequest, "ERR0024")
	}
	ts.fail(t, "application/roles/list", map[string]any{"applicationId": "nope"}, http.StatusBadRequest, "ERR0015")
	ts.fail(t, "application/roles/list", map[string]any{}, http.StatusBadRequest, "ERR0024")
	if got := appStrings(t, ts.ok(t, "application/roles/list", map[string]any{"applicationId": app.Name})["applicationRoles"]); !slices.Equal(got, []string{"ROLE_ADMIN"}) {
		t.Fatalf("roles changed by failed calls: %v", got)
	}
}

const appOIDCSecret = "http-oidc-secret-4c9d"

func appProvider(id string) map[string]any {
	return map[string]any{
		"providerId": id, "clientId": "client-" + id, "clientSecret": appOIDCSecret,
		"issuerUri": "https://issuer.example.com/", "redirectUri": "mtoken://oidc", "scopes": "openid", "pkceEnabled": true,
	}
}

func TestApplicationConfigMethods(t *testing.T) {
	ts := newTestServer(t)
	app := ts.createApp(t)
	empty := ts.ok(t, "application/config/detail", map[string]any{"applicationId": app.Name})
	if empty["applicationId"] != app.Name || len(empty["applicationConfigs"].([]any)) != 0 {
		t.Fatalf("empty: %v", empty)
	}
	created := ts.ok(t, "application/config/create", map[string]any{
		"applicationId": app.Name, "key": "oauth2_providers", "values": []any{appProvider("google")},
	})
	if created["applicationId"] != app.Name || created["key"] != "oauth2_providers" {
		t.Fatalf("create: %v", created)
	}
	if p := created["values"].([]any)[0].(map[string]any); p["providerId"] != "google" || p["clientSecret"] != appOIDCSecret || p["pkceEnabled"] != true {
		t.Fatalf("create echo: %v", created)
	}
	ts.ok(t, "application/config/create", map[string]any{"applicationId": app.Name, "key": "fido2_attestation_fmt_allowed", "values": []string{"packed"}})
	ts.ok(t, "application/config/create", map[string]any{"applicationId": app.Name, "key": "fido2_attestation_fmt_allowed", "values": []string{"packed", "none"}})
	ts.ok(t, "application/config/create", map[string]any{"applicationId": app.Name, "key": "fido2_aaguids_allowed", "values": []string{"ee882879-721c-4913-9775-3dfcce97072a"}})

	detail := ts.ok(t, "application/config/detail", map[string]any{"applicationId": app.Name})
	configs := map[string][]any{}
	for _, c := range detail["applicationConfigs"].([]any) {
		m := c.(map[string]any)
		configs[m["key"].(string)] = m["values"].([]any)
	}
	if len(configs) != 3 || len(configs["fido2_attestation_fmt_allowed"]) != 2 || configs["fido2_attestation_fmt_allowed"][1] != "none" ||
		configs["fido2_aaguids_allowed"][0] != "ee882879-721c-4913-9775-3dfcce97072a" ||
		configs["oauth2_providers"][0].(map[string]any)["clientSecret"] != appOIDCSecret {
		t.Fatalf("detail: %v", detail)
	}

	status, body := ts.post(t, "application/config/remove", map[string]any{"applicationId": app.Name, "key": "oauth2_providers"})
	if status != http.StatusOK || body["status"] != "OK" || body["responseObject"] != nil {
		t.Fatalf("remove: %d %v", status, body)
	}
	ts.ok(t, "application/config/remove", map[string]any{"applicationId": app.Name, "key": "oauth2_providers"})
	detail = ts.ok(t, "application/config/detail", map[string]any{"applicationId": app.Name})
	if n := len(detail["applicationConfigs"].([]any)); n != 2 {
		t.Fatalf("after remove: %v", detail)
	}
	values, found, err := ts.svc.ApplicationConfigValues(context.Background(), app.Name, "oauth2_providers")
	if err != nil || found || values != nil {
		t.Fatalf("removed key still stored: %v %v", found, err)
	}

	noSecret := appProvider("x")
	delete(noSecret, "clientSecret")
	for _, c := range []struct {
		name   string
		method string
		req    map[string]any
		code   string
	}{
		{"detail unknown app", "application/config/detail", map[string]any{"applicationId": "nope"}, "ERR0015"},
		{"detail missing app", "application/config/detail", map[string]any{}, "ERR0024"},
		{"create unknown app", "application/config/create", map[string]any{"applicationId": "nope", "key": "fido2_aaguids_allowed", "values": []string{}}, "ERR0015"},
		{"create unknown key", "application/config/create", map[string]any{"applicationId": app.Name, "key": "colour", "values": []string{"red"}}, "ERR0024"},
		{"create missing key", "application/config/create", map[string]any{"applicationId": app.Name, "values": []string{"red"}}, "ERR0024"},
		{"create missing app", "application/config/create", map[string]any{"key": "fido2_aaguids_allowed"}, "ERR0024"},
		{"create bad aaguid", "application/config/create", map[string]any{"applicationId": app.Name, "key": "fido2_aaguids_allowed", "values": []string{"nope"}}, "ERR0024"},
		{"create bad cert", "application/config/create", map[string]any{"applicationId": app.Name, "key": "fido2_root_ca_certs", "values": []string{"not pem"}}, "ERR0024"},
		{"create provider without secret", "application/config/create", map[string]any{"applicationId": app.Name, "key": "oauth2_providers", "values": []any{noSecret}}, "ERR0024"},
		{"create values not an array", "application/config/create", map[string]any{"applicationId": app.Name, "key": "oauth2_providers", "values": "x"}, "ERR0024"},
		{"remove unknown key", "application/config/remove", map[string]any{"applicationId": app.Name, "key": "colour"}, "ERR0024"},
		{"remove unknown app", "application/config/remove", map[string]any{"applicationId": "nope", "key": "oauth2_providers"}, "ERR0015"},
		{"remove missing key", "application/config/remove", map[string]any{"applicationId": app.Name}, "ERR0024"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ts.fail(t, c.method, c.req, http.StatusBadRequest, c.code)
		})
	}
	if n := len(ts.ok(t, "application/config/detail", map[string]any{"applicationId": app.Name})["applicationConfigs"].([]any)); n != 2 {
		t.Fatalf("failed calls changed the config: %d keys", n)
	}
	// Values are echoed as given, including nested structure.
	raw := ts.ok(t, "application/config/create", map[string]any{"applicationId": app.Name, "key": "oauth2_providers", "values": []any{appProvider("a"), appProvider("b")}})
	b, _ := json.Marshal(raw["values"])
	if !bytes.Contains(b, []byte(`"providerId":"b"`)) {
		t.Fatalf("values: %s", b)
	}
}

func TestApplicationProtocolMethods(t *testing.T) {
	ts := newTestServer(t)
	app, err := ts.svc.CreateApplication(context.Background(), "app-protocol", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := func(t *testing.T, ro map[string]any, minVersion string, allow bool) {
		t.Helper()
		if ro["applicationId"] != app.Name || ro["minimumProtocolVersion"] != minVersion || ro["allowVersionDowngrade"] != allow || len(ro) != 3 {
			t.Fatalf("got %v, want minimum %s, downgrade %v", ro, minVersion, allow)
		}
	}
	detail := func() map[string]any {
		return ts.ok(t, "application/protocol/detail", map[string]any{"applicationId": app.Name})
	}
	// Defaults: every version, ratchet on.
	want(t, detail(), "3.0", false)

	want(t, ts.ok(t, "application/protocol/update", map[string]any{"applicationId": app.Name, "minimumProtocolVersion": "3.2"}), "3.2", false)
	want(t, detail(), "3.2", false)
	// An absent field keeps its value.
	want(t, ts.ok(t, "application/protocol/update", map[string]any{"applicationId": app.Name, "allowVersionDowngrade": true}), "3.2", true)
	want(t, ts.ok(t, "application/protocol/update", map[string]any{"applicationId": app.Name}), "3.2", true)
	// Other changes of the application keep the settings.
	ts.ok(t, "application/roles/update", map[string]any{"applicationId": app.Name, "applicationRoles": []string{"ROLE_A"}})
	want(t, detail(), "3.2", true)
	want(t, ts.ok(t, "application/protocol/update", map[string]any{"applicationId": app.Name, "minimumProtocolVersion": "3.0", "allowVersionDowngrade": false}), "3.0", false)

	for name, tc := range map[string]struct {
		method string
		body   map[string]any
		code   string
	}{
		"unknown application (detail)": {"application/protocol/detail", map[string]any{"applicationId": "nope"}, "ERR0015"},
		"unknown application (update)": {"application/protocol/update", map[string]any{"applicationId": "nope", "allowVersionDowngrade": true}, "ERR0015"},
		"no application (detail)":      {"application/protocol/detail", map[string]any{}, "ERR0024"},
		"no application (update)":      {"application/protocol/update", map[string]any{"minimumProtocolVersion": "3.1"}, "ERR0024"},
		"unknown version":              {"application/protocol/update", map[string]any{"applicationId": app.Name, "minimumProtocolVersion": "3.4"}, "ERR0024"},
		"empty version":                {"application/protocol/update", map[string]any{"applicationId": app.Name, "minimumProtocolVersion": ""}, "ERR0024"},
		"version as a number":          {"application/protocol/update", map[string]any{"applicationId": app.Name, "minimumProtocolVersion": 3.1}, "ERR0024"},
		"flag as a string":             {"application/protocol/update", map[string]any{"applicationId": app.Name, "allowVersionDowngrade": "yes"}, "ERR0024"},
	} {
		t.Run(name, func(t *testing.T) { ts.fail(t, tc.method, tc.body, http.StatusBadRequest, tc.code) })
	}
	want(t, detail(), "3.0", false)
}
