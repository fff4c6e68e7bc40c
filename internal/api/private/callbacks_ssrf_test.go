package private

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/mauth/mauth/internal/netguard"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/internal/service/servicetest"
)

// newTestServerPolicy is newTestServer with a callback network policy.
func newTestServerPolicy(t *testing.T, policy *netguard.Policy) *testServer {
	t.Helper()
	h := servicetest.New(t, servicetest.Options{Options: []service.Option{service.WithCallbackPolicy(policy)}})
	st, svc, clock := h.Store, h.Service, h.Clock
	api := New(svc, Options{})
	hs := httptest.NewServer(recordOK(contract.Wrap(api.Handler())))
	t.Cleanup(hs.Close)
	seen := len(contract.Violations())
	t.Cleanup(func() {
		if v := contract.Violations(); len(v) > seen {
			t.Errorf("%d exchange(s) break openapi/private.yaml:\n%s", len(v)-seen, strings.Join(v[seen:], "\n"))
		}
	})
	return &testServer{URL: hs.URL, api: api, svc: svc, store: st, clock: clock}
}

// staticResolver answers from a fixed table (no real DNS in tests).
type staticResolver map[string]string

func (r staticResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := r[host]; ok {
		return []netip.Addr{netip.MustParseAddr(a)}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// TestCallbackDestinationsRefused: callback/create and callback/update
// refuse a callback URL or OAuth 2.0 token URL on loopback, link-local
// (cloud metadata), private or unspecified addresses, also behind a host
// name, with 400 ERR_CALLBACK_URL_FORBIDDEN; the allow-list permits them.
func TestCallbackDestinationsRefused(t *testing.T) {
	dns := staticResolver{"internal.bank.example": "10.20.30.40", "public.bank.example": "198.51.100.20", "loop.bank.example": "127.0.0.2"}
	ts := newTestServerPolicy(t, netguard.MustNew().WithResolver(dns))
	app := ts.createApp(t)
	create := func(url string) map[string]any {
		return map[string]any{"applicationId": app.Name, "name": "hook", "type": "ACTIVATION_STATUS_CHANGE", "callbackUrl": url}
	}
	forbidden := []string{
		"http://127.0.0.1:8080/cb",
		"http://169.254.169.254/latest/meta-data/iam/security-credentials/",
		"http://10.1.2.3/cb",
		"http://172.16.0.1/cb",
		"http://192.168.0.10/cb",
		"http://100.64.1.1/cb",
		"http://[::1]:8080/cb",
		"http://[fd00:ec2::254]/",
		"http://[fe80::1]/cb",
		"http://0.0.0.0:8081/rest/v3/integration/list",
		"http://localhost:8081/rest/v3/integration/list",
		"https://internal.bank.example/cb",
		"https://loop.bank.example/cb",
	}
	for _, u := range forbidden {
		ro := ts.fail(t, "application/callback/create", create(u), http.StatusBadRequest, service.CodeForbiddenCallbackURL)
		if msg, _ := ro["message"].(string); !strings.Contains(msg, "callbackUrl") || !strings.Contains(msg, "allowed_destinations") {
			t.Fatalf("%s: message %q", u, msg)
		}
	}
	// The OAuth 2.0 token URL is checked too.
	withToken := create("https://public.bank.example/cb")
	withToken["authentication"] = map[string]any{"oauth2": map[string]any{"enabled": true, "clientId": "c", "clientSecret": "s", "tokenUri": "http://169.254.169.254/token"}}
	ts.fail(t, "application/callback/create", withToken, http.StatusBadRequest, service.CodeForbiddenCallbackURL)
	if list := cbList(t, ts, app.Name); len(list) != 0 {
		t.Fatalf("refused callbacks were stored: %v", list)
	}

	// A public destination is accepted; an update cannot move it inside.
	created := ts.ok(t, "application/callback/create", create("https://public.bank.example/cb"))
	upd := create("http://169.254.169.254/")
	upd["id"] = created["id"]
	ts.fail(t, "application/callback/update", upd, http.StatusBadRequest, service.CodeForbiddenCallbackURL)
	upd["callbackUrl"] = "https://public.bank.example/v2"
	upd["authentication"] = map[string]any{"oauth2": map[string]any{"enabled": true, "clientId": "c", "tokenUri": "http://localhost/token"}}
	ts.fail(t, "application/callback/update", upd, http.StatusBadRequest, service.CodeForbiddenCallbackURL)
	if list := cbList(t, ts, app.Name); len(list) != 1 || list[0]["callbackUrl"] != "https://public.bank.example/cb" {
		t.Fatalf("a refused update changed the callback: %v", list)
	}

	// The allow-list permits internal receivers, by prefix or by name.
	allowed := newTestServerPolicy(t, netguard.MustNew("127.0.0.0/8", "::1", "10.0.0.0/8", "localhost").WithResolver(dns))
	app2 := allowed.createApp(t)
	for _, u := range []string{"http://127.0.0.1:8080/cb", "http://[::1]:8080/cb", "https://internal.bank.example/cb", "http://localhost:9000/cb"} {
		allowed.ok(t, "application/callback/create", map[string]any{"applicationId": app2.Name, "name": "hook", "type": "ACTIVATION_STATUS_CHANGE", "callbackUrl": u})
	}
	// What the allow-list does not name stays refused.
	allowed.fail(t, "application/callback/create", map[string]any{"applicationId": app2.Name, "name": "hook", "type": "ACTIVATION_STATUS_CHANGE",
		"callbackUrl": "http://169.254.169.254/"}, http.StatusBadRequest, service.CodeForbiddenCallbackURL)
}
