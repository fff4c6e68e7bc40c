package private

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/internal/service"
)

func TestAuditList(t *testing.T) {
	ts := newTestServerWith(t, service.Config{}, Options{RestrictAccess: true})
	// A refused integration login is audited, with its client token only.
	ts.Auth = &[2]string{"nobody", "wrong-secret"}
	ts.fail(t, "status", nil, http.StatusUnauthorized, "ERR_AUTHENTICATION")
	integ, err := ts.svc.CreateIntegration(t.Context(), "bank")
	require.NoError(t, err)
	ts.Auth = &[2]string{integ.ClientToken, integ.ClientSecret}

	ts.ok(t, "application/create", map[string]any{"applicationId": "audited-app"})
	out := ts.ok(t, "audit/list", map[string]any{"type": "ADMIN_CHANGE", "limit": 1})
	items := out["items"].([]any)
	require.Len(t, items, 1)
	item := items[0].(map[string]any)
	require.Equal(t, "ADMIN_CHANGE", item["type"])
	require.Equal(t, "audited-app", item["applicationId"])
	require.Equal(t, "127.0.0.1", item["ipAddress"])
	require.Equal(t, "Go-http-client/1.1", item["userAgent"])
	require.Equal(t, "private-api:"+integ.ClientToken, item["actor"])
	require.Equal(t, map[string]any{"action": "APPLICATION_CREATED", "applicationId": "audited-app"}, item["details"])
	require.NotEmpty(t, item["timestamp"])
	require.Nil(t, item["activationId"])

	refused := ts.ok(t, "audit/list", map[string]any{"type": "INTEGRATION_AUTH"})["items"].([]any)
	require.Len(t, refused, 1)
	d := refused[0].(map[string]any)["details"].(map[string]any)
	require.Equal(t, "nobody", d["clientToken"])
	require.NotContains(t, d, "clientSecret")

	all := ts.ok(t, "audit/list", map[string]any{})["items"].([]any)
	require.Len(t, all, 3, "integration auth, integration created (by the service directly), application created")
	require.Empty(t, ts.ok(t, "audit/list", map[string]any{"userId": "nobody"})["items"])
	require.Empty(t, ts.ok(t, "audit/list", map[string]any{"timestampTo": "2000-01-01T00:00:00Z"})["items"])

	for _, tc := range []struct {
		name string
		req  map[string]any
	}{
		{"unknown type", map[string]any{"type": "NOPE"}},
		{"bad time", map[string]any{"timestampFrom": "yesterday"}},
		{"negative limit", map[string]any{"limit": -1}},
		{"huge limit", map[string]any{"limit": 100000}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts.fail(t, "audit/list", tc.req, http.StatusBadRequest, "ERR0024")
		})
	}
	ts.fail(t, "audit/list", map[string]any{"timestampFrom": "2030-01-01T00:00:00Z", "timestampTo": "2020-01-01T00:00:00Z"},
		http.StatusBadRequest, "ERR0024")
}

func TestCallbackCreateReturnsSigningSecret(t *testing.T) {
	ts := newTestServer(t)
	app := ts.createApp(t)
	out := ts.ok(t, "application/callback/create", map[string]any{"applicationId": app.Name, "name": "cb",
		"type": "ACTIVATION_STATUS_CHANGE", "callbackUrl": "https://bank.test/cb"})
	secret, _ := out["signingSecret"].(string)
	require.Len(t, secret, 43)
	want, err := ts.svc.CallbackSigningSecret(t.Context(), out["id"].(string))
	require.NoError(t, err)
	require.Equal(t, want, secret)
	list := ts.ok(t, "application/callback/list", map[string]any{"applicationId": app.Name})["callbackUrlList"].([]any)
	require.Len(t, list, 1)
	require.NotContains(t, list[0], "signingSecret", "only the create answer carries the secret")
}
