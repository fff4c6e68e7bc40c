package private

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/teststore"
	"github.com/mauth/mauth/protocol"
)

// TestEveryMethodHasAnAccessRule fails when a registered method has no
// entry in accessRules (it would deny every call) or the table names a
// method nobody registers.
func TestEveryMethodHasAnAccessRule(t *testing.T) {
	s := New(newTestServer(t).svc, Options{})
	for _, m := range s.Methods() {
		if _, ok := s.rules[m]; !ok {
			t.Errorf("%s has no access rule: add it to accessRules in access.go", m)
		}
	}
	for m := range accessRules {
		if !slices.Contains(s.Methods(), m) {
			t.Errorf("accessRules names %s, which is not a method", m)
		}
	}
	// Scoped rules name at least one field, the others none.
	for m, a := range accessRules {
		if (a.kind == accessScoped) != (len(a.refs) > 0) {
			t.Errorf("%s: kind %d with %d fields", m, a.kind, len(a.refs))
		}
	}
}

// TestMethodWithoutAccessRuleIsDenied shows that forgetting the rule of a
// new method closes it rather than opening it, even to an administrator.
func TestMethodWithoutAccessRuleIsDenied(t *testing.T) {
	ts := newTestServerWith(t, service.Config{}, Options{RestrictAccess: true})
	admin, err := ts.svc.CreateIntegration(t.Context(), "admin")
	if err != nil {
		t.Fatal(err)
	}
	called := false
	method(ts.api, "test/no-rule", func(context.Context, *struct{}) (any, error) { called = true; return nil, nil })
	ts.Auth = &[2]string{admin.ClientToken, admin.ClientSecret}
	// The method is not in the OpenAPI document: call it around the checker.
	rec := httptest.NewRecorder()
	req, _ := http.NewRequest(http.MethodPost, Prefix+"test/no-rule", strings.NewReader(`{}`))
	req.SetBasicAuth(admin.ClientToken, admin.ClientSecret)
	ts.api.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "ERR_ACCESS_DENIED") || called {
		t.Fatalf("HTTP %d %s (handler called: %v)", rec.Code, rec.Body, called)
	}
}

// scopedFixture is a server with two applications, A and B, each with an
// active device, a MAC token, a pending operation, a temporary key and a
// recovery code, an ADMIN integration and an integration with role
// APPLICATION granted A.
type scopedFixture struct {
	ts                   *testServer
	admin, scoped        *[2]string
	scopedID             string
	a, b                 testApp
	devA, devB           *encDevice
	tokA, tokB           string
	secA, secB           []byte
	opA, opB             string
	tempKeyB, recoveryB  string
	jwtB                 string
	otherUserActivationB string
}

func newScopedFixture(t *testing.T, st store.Store) *scopedFixture {
	t.Helper()
	ts := newTestServerOn(t, st, service.Config{RecoveryPUKHashMemoryKiB: 64}, Options{RestrictAccess: true})
	f := &scopedFixture{ts: ts}
	admin, err := ts.svc.CreateIntegration(t.Context(), "admin")
	if err != nil {
		t.Fatal(err)
	}
	f.admin = &[2]string{admin.ClientToken, admin.ClientSecret}
	ts.Auth = f.admin
	f.a, f.b = ts.createApp(t), ts.createApp(t)
	for _, app := range []testApp{f.a, f.b} {
		ts.ok(t, "recovery/config/update", map[string]any{"applicationId": app.Name, "activationRecoveryEnabled": true})
	}
	f.devA, f.devB = activateEncDevice(t, ts, f.a), activateEncDevice(t, ts, f.b)
	f.tokA, f.secA = f.devA.createToken(t, ts, protocol.Version32, "POSSESSION", nil, "")
	f.tokB, f.secB = f.devB.createToken(t, ts, protocol.Version32, "POSSESSION", nil, "")
	createTemplate(t, ts, "login", map[string]any{"dataTemplate": "A2"})
	f.opA = ts.ok(t, "operation/create", map[string]any{"userId": f.devA.UserID, "applications": []string{f.a.Name}, "templateName": "login"})["id"].(string)
	f.opB = ts.ok(t, "operation/create", map[string]any{"userId": f.devB.UserID, "applications": []string{f.b.Name}, "templateName": "login"})["id"].(string)
	f.jwtB, _, err = protocol.BuildTemporaryKeyRequest(f.b.ApplicationKey, f.b.ApplicationSecret, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	claims, err := protocol.ParseTemporaryKeyResponse(ts.ok(t, "keystore/create", map[string]any{"jwt": f.jwtB})["jwt"].(string), f.b.Master)
	if err != nil {
		t.Fatal(err)
	}
	f.tempKeyB = claims.TemporaryKeyID
	codes := ts.ok(t, "recovery/lookup", map[string]any{"applicationId": f.b.Name, "userId": f.devB.UserID})["recoveryCodes"].([]any)
	if len(codes) != 1 {
		t.Fatalf("recovery codes of B: %v", codes)
	}
	f.recoveryB = strconv.Itoa(int(codes[0].(map[string]any)["recoveryCodeId"].(float64)))
	f.otherUserActivationB = ts.ok(t, "activation/init", map[string]any{"applicationId": f.b.Name, "userId": "someone"})["activationId"].(string)

	created := ts.ok(t, "integration/create", map[string]any{"name": "bank-a", "applicationIds": []string{f.a.Name}})
	if created["role"] != "APPLICATION" || !slices.Equal(toStrings(created["applicationIds"]), []string{f.a.Name}) || created["clientSecret"] == "" {
		t.Fatalf("created %v", created)
	}
	f.scoped = &[2]string{created["clientToken"].(string), created["clientSecret"].(string)}
	f.scopedID = created["id"].(string)
	return f
}

// refValue is a value of B for a request field of an access rule, in the
// field's JSON shape.
func (f *scopedFixture) refValue(t *testing.T, ref accessRef) any {
	t.Helper()
	var v string
	switch {
	case ref.jwt:
		v = f.jwtB
	case ref.kind == service.ObjectApplication:
		v = f.b.Name
	case ref.kind == service.ObjectApplicationKey:
		v = f.b.ApplicationKey
	case ref.kind == service.ObjectActivation:
		v = f.devB.ActivationID
	case ref.kind == service.ObjectOperation:
		v = f.opB
	case ref.kind == service.ObjectToken:
		v = f.tokB
	case ref.kind == service.ObjectTemporaryKey:
		v = f.tempKeyB
	case ref.kind == service.ObjectRecoveryCode:
		n, _ := strconv.Atoi(f.recoveryB)
		return []int{n}
	default:
		t.Fatalf("no value for %+v", ref)
	}
	switch ref.field {
	case "applicationIds", "activationIds", "applications":
		return []string{v}
	}
	return v
}

// TestApplicationScopedIntegration drives an integration with role
// APPLICATION granted application A through the real private API, on
// both backends: it acts on A, is denied everything of B (the reference's
// ERR_AUTHENTICATION envelope with ERR_ACCESS_DENIED and HTTP 403),
// administration included, and an ADMIN may do all of it.
func TestApplicationScopedIntegration(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		f := newScopedFixture(t, st)
		ts := f.ts
		denied := func(method string, body any) {
			t.Helper()
			ro := ts.fail(t, method, body, http.StatusForbidden, "ERR_ACCESS_DENIED")
			if msg, _ := ro["message"].(string); !strings.HasPrefix(msg, "Access denied") {
				t.Fatalf("%s: message %q", method, msg)
			}
		}
		ts.Auth = f.scoped

		// Every method that acts on an application refuses B's objects,
		// and every administrative method refuses the scoped integration,
		// whatever the body; none of them needs more than the table.
		for _, m := range ts.api.Methods() {
			rule := accessRules[m]
			switch rule.kind {
			case accessAdmin:
				denied(m, map[string]any{})
			case accessScoped:
				denied(m, map[string]any{}) // names no application
				for _, ref := range rule.refs {
					denied(m, map[string]any{ref.field: f.refValue(t, ref)})
				}
			}
		}
		// Representative calls, one of A (allowed) next to one of B (denied).
		for _, c := range []struct {
			method string
			a, b   map[string]any
		}{
			{"application/detail", map[string]any{"applicationId": f.a.Name}, map[string]any{"applicationId": f.b.Name}},
			{"application/detail/version", map[string]any{"applicationKey": f.a.ApplicationKey}, map[string]any{"applicationKey": f.b.ApplicationKey}},
			{"activation/init", map[string]any{"applicationId": f.a.Name, "userId": "u1"}, map[string]any{"applicationId": f.b.Name, "userId": "u1"}},
			{"activation/status", map[string]any{"activationId": f.devA.ActivationID}, map[string]any{"activationId": f.devB.ActivationID}},
			{"activation/list", map[string]any{"userId": f.devA.UserID, "applicationId": f.a.Name}, map[string]any{"userId": f.devB.UserID, "applicationId": f.b.Name}},
			{"signature/verify",
				map[string]any{"activationId": f.devA.ActivationID, "applicationKey": f.a.ApplicationKey, "data": "ZGF0YQ==", "signature": "12345678", "signatureType": "POSSESSION", "signatureVersion": "3.1"},
				map[string]any{"activationId": f.devB.ActivationID, "applicationKey": f.b.ApplicationKey, "data": "ZGF0YQ==", "signature": "12345678", "signatureType": "POSSESSION", "signatureVersion": "3.1"}},
			{"operation/create",
				map[string]any{"userId": f.devA.UserID, "applications": []string{f.a.Name}, "templateName": "login"},
				map[string]any{"userId": f.devB.UserID, "applications": []string{f.b.Name}, "templateName": "login"}},
			{"operation/detail", map[string]any{"operationId": f.opA}, map[string]any{"operationId": f.opB}},
			{"operation/list", map[string]any{"userId": f.devA.UserID, "applications": []string{f.a.Name}}, map[string]any{"userId": f.devB.UserID, "applications": []string{f.b.Name}}},
			{"token/validate", tokenHeaderBody(f.tokA, f.secA, protocol.Version33, ts.svc.Now()), tokenHeaderBody(f.tokB, f.secB, protocol.Version33, ts.svc.Now())},
			{"application/callback/list", map[string]any{"applicationId": f.a.Name}, map[string]any{"applicationId": f.b.Name}},
			{"recovery/lookup", map[string]any{"applicationId": f.a.Name, "userId": f.devA.UserID}, map[string]any{"applicationId": f.b.Name, "userId": f.devB.UserID}},
		} {
			ts.ok(t, c.method, c.a)
			denied(c.method, c.b)
		}
		if ro := ts.ok(t, "token/validate", tokenHeaderBody(f.tokA, f.secA, protocol.Version33, ts.svc.Now())); ro["tokenValid"] != true {
			t.Fatalf("own token: %v", ro)
		}
		// Mixing A and B is denied: every object named must be of A.
		denied("signature/verify", map[string]any{"activationId": f.devA.ActivationID, "applicationKey": f.b.ApplicationKey,
			"data": "ZGF0YQ==", "signature": "12345678", "signatureType": "POSSESSION", "signatureVersion": "3.1"})
		denied("operation/create", map[string]any{"userId": f.devA.UserID, "applications": []string{f.a.Name, f.b.Name}, "templateName": "login"})
		denied("token/remove", map[string]any{"tokenId": f.tokB, "activationId": f.devA.ActivationID})
		denied("activation/status/update", map[string]any{"activationIds": []string{f.devA.ActivationID, f.devB.ActivationID}, "activationStatus": "BLOCKED"})
		// Unknown ids are denied like foreign ones: nothing tells them apart.
		unknownActivation := ts.fail(t, "activation/status", map[string]any{"activationId": uuid.NewString()}, http.StatusForbidden, "ERR_ACCESS_DENIED")
		foreignActivation := ts.fail(t, "activation/status", map[string]any{"activationId": f.otherUserActivationB}, http.StatusForbidden, "ERR_ACCESS_DENIED")
		if unknownActivation["message"] != foreignActivation["message"] {
			t.Fatalf("unknown %v, foreign %v", unknownActivation, foreignActivation)
		}
		denied("operation/detail", map[string]any{"operationId": uuid.NewString()})
		denied("application/detail", map[string]any{"applicationId": "no-such-app"})
		// Administration: integrations, application creation, callbacks.
		denied("integration/list", nil)
		denied("integration/create", map[string]any{"name": "escalate"})
		denied("integration/applications/create", map[string]any{"id": f.scopedID, "applicationIds": []string{f.b.Name}})
		denied("application/create", map[string]any{"applicationId": "new-app"})
		denied("application/callback/create", map[string]any{"applicationId": f.a.Name, "name": "hook", "type": "ACTIVATION_STATUS_CHANGE", "callbackUrl": "https://hooks.example.com/"})
		denied("audit/list", map[string]any{})
		// What names no application is open; the application list shows A only.
		ts.ok(t, "status", nil)
		ts.ok(t, "error/list", nil)
		ts.ok(t, "operation/template/list", nil)
		apps := ts.ok(t, "application/list", nil)["applications"].([]any)
		if len(apps) != 1 || apps[0].(map[string]any)["applicationId"] != f.a.Name {
			t.Fatalf("application/list: %v", apps)
		}
		// The denied calls changed nothing of B.
		ts.Auth = f.admin
		if ro := ts.ok(t, "activation/status", map[string]any{"activationId": f.devB.ActivationID}); ro["activationStatus"] != "ACTIVE" {
			t.Fatalf("B's device after the denied calls: %v", ro)
		}
		if ro := ts.ok(t, "operation/detail", map[string]any{"operationId": f.opB}); ro["status"] != "PENDING" || ro["failureCount"] != 0.0 {
			t.Fatalf("B's operation after the denied calls: %v", ro)
		}
		if ro := ts.ok(t, "token/validate", tokenHeaderBody(f.tokB, f.secB, protocol.Version33, ts.svc.Now())); ro["tokenValid"] != true {
			t.Fatalf("B's token after the denied calls: %v", ro)
		}
		// The refusals are in the audit log, with the integration and method.
		entries := ts.ok(t, "audit/list", map[string]any{"type": "INTEGRATION_AUTH", "limit": 1000})["items"].([]any)
		deniedEntries := 0
		for _, e := range entries {
			d := e.(map[string]any)["details"].(map[string]any)
			if d["result"] == "DENIED" && d["integrationId"] == f.scopedID && d["method"] != "" {
				deniedEntries++
			}
		}
		if deniedEntries < 20 {
			t.Fatalf("%d denied calls audited", deniedEntries)
		}

		// An ADMIN acts on B.
		ts.ok(t, "application/detail", map[string]any{"applicationId": f.b.Name})
		ts.ok(t, "activation/status", map[string]any{"activationId": f.devB.ActivationID})
		ts.ok(t, "operation/detail", map[string]any{"operationId": f.opB})
		ts.ok(t, "application/callback/list", map[string]any{"applicationId": f.b.Name})
		// ... and changes the grants: B granted, A revoked.
		granted := ts.ok(t, "integration/applications/create", map[string]any{"id": f.scopedID, "applicationIds": []string{f.b.Name}})
		if granted["clientSecret"] != nil || granted["role"] != "APPLICATION" || len(toStrings(granted["applicationIds"])) != 2 {
			t.Fatalf("grant: %v", granted)
		}
		revoked := ts.ok(t, "integration/applications/remove", map[string]any{"id": f.scopedID, "applicationIds": []string{f.a.Name}})
		if !slices.Equal(toStrings(revoked["applicationIds"]), []string{f.b.Name}) {
			t.Fatalf("revoke: %v", revoked)
		}
		ts.fail(t, "integration/applications/create", map[string]any{"id": f.scopedID, "applicationIds": []string{"no-such-app"}}, http.StatusBadRequest, "ERR0015")
		ts.fail(t, "integration/applications/create", map[string]any{"id": f.scopedID}, http.StatusBadRequest, "ERR0024")
		ts.Auth = f.scoped
		ts.ok(t, "activation/status", map[string]any{"activationId": f.devB.ActivationID})
		denied("activation/status", map[string]any{"activationId": f.devA.ActivationID})
	})
}

// TestIntegrationListHidesSecrets checks the list over HTTP on both
// backends: role and grants are shown, a secret never, and the secret
// shown at creation authenticates at once.
func TestIntegrationListHidesSecrets(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		ts := newTestServerOn(t, st, service.Config{}, Options{RestrictAccess: true})
		admin, err := ts.svc.CreateIntegration(t.Context(), "admin")
		if err != nil {
			t.Fatal(err)
		}
		ts.Auth = &[2]string{admin.ClientToken, admin.ClientSecret}
		app := ts.createApp(t)
		created := ts.ok(t, "integration/create", map[string]any{"name": "scoped", "role": "APPLICATION", "applicationIds": []string{app.Name}})
		plainAdmin := ts.ok(t, "integration/create", map[string]any{"name": "second-admin"})
		if plainAdmin["role"] != "ADMIN" || len(toStrings(plainAdmin["applicationIds"])) != 0 {
			t.Fatalf("no role: %v", plainAdmin)
		}
		ts.fail(t, "integration/create", map[string]any{"name": "x", "role": "ROOT"}, http.StatusBadRequest, "ERR0024")
		ts.fail(t, "integration/create", map[string]any{"name": "x", "role": "ADMIN", "applicationIds": []string{app.Name}}, http.StatusBadRequest, "ERR0024")
		ts.fail(t, "integration/create", map[string]any{"name": "x", "applicationIds": []string{"no-such-app"}}, http.StatusBadRequest, "ERR0015")
		list := ts.ok(t, "integration/list", nil)["items"].([]any)
		if len(list) != 3 {
			t.Fatalf("list: %v", list)
		}
		for _, it := range list {
			item := it.(map[string]any)
			if secret, present := item["clientSecret"]; !present || secret != nil {
				t.Fatalf("listed secret: %v", item)
			}
			for _, s := range []string{admin.ClientSecret, created["clientSecret"].(string), plainAdmin["clientSecret"].(string)} {
				for _, v := range item {
					if str, ok := v.(string); ok && str == s {
						t.Fatalf("secret in %v", item)
					}
				}
			}
			if item["id"] == created["id"] && (item["role"] != "APPLICATION" || !slices.Equal(toStrings(item["applicationIds"]), []string{app.Name})) {
				t.Fatalf("scoped item %v", item)
			}
		}
		ts.Auth = &[2]string{created["clientToken"].(string), created["clientSecret"].(string)}
		ts.ok(t, "application/detail", map[string]any{"applicationId": app.Name})
		ts.Auth = &[2]string{plainAdmin["clientToken"].(string), plainAdmin["clientSecret"].(string)}
		ts.ok(t, "integration/list", nil)
	})
}

// TestSealedIntegrationSecretsStillAuthenticate stores integrations the way
// servers before hashing did (the secret sealed with the server key, role
// ADMIN as migration 00006 leaves them) and checks, through the HTTP API on
// both backends, that they keep working: one on first use
// (verify-then-upgrade), the others after the start-up upgrade; afterwards
// no row holds a sealed secret any more.
func TestSealedIntegrationSecretsStillAuthenticate(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		ts := newTestServerOn(t, st, service.Config{}, Options{RestrictAccess: true})
		ctx := context.Background()
		seal := func(name string) [2]string {
			id, token, secret := uuid.NewString(), uuid.NewString(), uuid.NewString()
			row := domain.Integration{ID: id, Name: name, ClientToken: token, Role: domain.IntegrationAdmin,
				ClientSecret: base64.StdEncoding.EncodeToString(ts.box.Seal([]byte(secret), "pa_integration.client_secret:"+id))}
			if err := st.InTx(ctx, func(tx store.Tx) error { return tx.CreateIntegration(ctx, &row) }); err != nil {
				t.Fatal(err)
			}
			return [2]string{token, secret}
		}
		first, second, third := seal("first"), seal("second"), seal("third")
		ts.Auth = &first
		ts.ok(t, "integration/list", nil) // verify-then-upgrade
		if n, err := ts.svc.UpgradeIntegrationSecrets(ctx); n != 2 || err != nil {
			t.Fatalf("start-up upgrade: %d %v", n, err)
		}
		for _, creds := range [][2]string{first, second, third} {
			ts.Auth = &creds
			items := ts.ok(t, "integration/list", nil)["items"].([]any)
			if len(items) != 3 {
				t.Fatalf("items %v", items)
			}
		}
		ts.Auth = &[2]string{first[0], second[1]}
		ts.fail(t, "status", nil, http.StatusUnauthorized, "ERR_AUTHENTICATION")
		rows, err := st.ListIntegrations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if !strings.HasPrefix(r.ClientSecret, "mac1:") {
				t.Fatalf("row %s still holds %q", r.Name, r.ClientSecret)
			}
			for _, creds := range [][2]string{first, second, third} {
				if strings.Contains(r.ClientSecret, creds[1]) {
					t.Fatal("a secret is stored in clear")
				}
			}
		}
	})
}

// TestOpenAPIDocumentsAccessDenied checks that openapi/private.yaml
// documents the 403 answer on exactly the methods that can give it.
func TestOpenAPIDocumentsAccessDenied(t *testing.T) {
	for path, item := range contract.Doc().Paths.Map() {
		name := strings.TrimPrefix(path, Prefix)
		rule, ok := accessRules[name]
		if !ok || item.Post == nil {
			continue // TestEveryMethodHasAnAccessRule and TestOpenAPIDocument report these
		}
		can := rule.kind == accessScoped || rule.kind == accessAdmin
		if documented := item.Post.Responses.Status(http.StatusForbidden) != nil; documented != can {
			t.Errorf("%s: 403 documented %v, but the access rule gives it: %v", name, documented, can)
		}
	}
}
