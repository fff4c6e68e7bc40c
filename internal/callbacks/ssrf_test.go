package callbacks_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/internal/callbacks"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/netguard"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/testclock"
	"github.com/mauth/mauth/internal/testutil/teststore"
)

// switchResolver is a DNS whose answers the test changes between the
// registration of a callback and its delivery.
type switchResolver struct {
	mu    sync.Mutex
	names map[string]netip.Addr
}

func (r *switchResolver) set(name, addr string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.names == nil {
		r.names = map[string]netip.Addr{}
	}
	r.names[name] = netip.MustParseAddr(addr)
}

func (r *switchResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if a, ok := r.names[host]; ok {
		return []netip.Addr{a}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// policyEnv is one database seen by two core services with different
// callback policies, as after an operator changed the allow-list and
// restarted: created registers callbacks, the dispatchers deliver.
type policyEnv struct {
	st    store.Store
	box   *secretbox.Box
	clock *testclock.Clock
	app   string
}

func newPolicyEnv(t *testing.T, st store.Store) *policyEnv {
	t.Helper()
	box, err := secretbox.New(secretbox.GenerateKey())
	require.NoError(t, err)
	return &policyEnv{st: st, box: box, clock: &testclock.Clock{}}
}

// service returns a core service over the shared database with policy.
func (p *policyEnv) service(t *testing.T, policy *netguard.Policy) *service.Service {
	t.Helper()
	svc, err := service.New(p.st, p.box, service.Config{RecoveryPUKHashMemoryKiB: 64}, service.WithClock(p.clock.Now), service.WithCallbackPolicy(policy))
	require.NoError(t, err)
	if p.app == "" {
		var b [6]byte
		_, _ = rand.Read(b[:])
		app, err := svc.CreateApplication(context.Background(), "app-"+hex.EncodeToString(b[:]), nil)
		require.NoError(t, err)
		p.app = app.Name
	}
	return svc
}

func (p *policyEnv) callback(t *testing.T, svc *service.Service, rawURL string, maxAttempts int64, auth *service.CallbackAuthentication) service.Callback {
	t.Helper()
	cb, err := svc.CreateCallback(context.Background(), service.CallbackInput{
		ApplicationName: p.app, Name: "cb", Type: domain.CallbackActivationStatusChange, URL: rawURL,
		Attributes: []string{"activationStatus"}, MaxAttempts: &maxAttempts, Authentication: auth,
	})
	require.NoError(t, err)
	return cb
}

func (p *policyEnv) activation(t *testing.T, svc *service.Service) {
	t.Helper()
	_, err := svc.InitActivation(context.Background(), service.InitActivationInput{UserID: "user", ApplicationID: p.app})
	require.NoError(t, err)
}

func (p *policyEnv) event(t *testing.T, callbackID string) domain.CallbackEvent {
	t.Helper()
	evs, err := p.st.ListCallbackEvents(context.Background(), store.CallbackEventFilter{CallbackID: callbackID})
	require.NoError(t, err)
	require.Len(t, evs, 1)
	return evs[0]
}

// TestDeliveryRefusedAtConnectTime: the address check runs again on every
// connection of the dispatcher. A callback registered while its receiver
// was allowed is not reached once the allow-list no longer holds it, nor
// when its name resolves to a forbidden address after registration (DNS
// rebinding), nor through an OAuth 2.0 token URL that now resolves to one;
// the allow-list lets the same deliveries through.
func TestDeliveryRefusedAtConnectTime(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		rec := &recorder{}
		srv := httptest.NewServer(rec)
		defer srv.Close()
		port := mustURL(t, srv.URL).Port()
		dns := &switchResolver{}
		strict := netguard.MustNew().WithResolver(dns)
		loopback := netguard.MustNew("127.0.0.0/8").WithResolver(dns)

		t.Run("allow-list changed", func(t *testing.T) {
			p := newPolicyEnv(t, st)
			before := p.service(t, loopback)
			cb := p.callback(t, before, srv.URL+"/hook", 2, nil)
			p.activation(t, before)

			// Restarted without the allow-list: refused when connecting.
			after := p.service(t, strict)
			n, err := callbacks.New(after, callbacks.Config{Now: p.clock.Now}).RunOnce(ctx)
			require.NoError(t, err)
			require.Equal(t, 1, n)
			require.Empty(t, rec.requests(), "the receiver on loopback was reached")
			ev := p.event(t, cb.ID)
			require.Equal(t, domain.CallbackEventPending, ev.Status)
			require.EqualValues(t, 1, ev.Attempts, "the refused connection is a failed attempt")

			// With the allow-list back, the retry is delivered.
			p.clock.Advance(service.DefaultCallbackInitialBackoff)
			_, err = callbacks.New(p.service(t, loopback), callbacks.Config{Now: p.clock.Now}).RunOnce(ctx)
			require.NoError(t, err)
			require.Len(t, rec.requests(), 1)
			require.Equal(t, domain.CallbackEventCompleted, p.event(t, cb.ID).Status)
		})
		rec.reset()

		t.Run("DNS changed after registration", func(t *testing.T) {
			p := newPolicyEnv(t, st)
			dns.set("receiver.example", "198.51.100.7") // public when registered
			svc := p.service(t, strict)
			cb := p.callback(t, svc, "http://receiver.example:"+port+"/hook", 2, nil)
			p.activation(t, svc)
			dns.set("receiver.example", "127.0.0.1") // rebound to the server itself

			_, err := callbacks.New(svc, callbacks.Config{Now: p.clock.Now}).RunOnce(ctx)
			require.NoError(t, err)
			require.Empty(t, rec.requests(), "a rebound name reached loopback")
			require.EqualValues(t, 1, p.event(t, cb.ID).Attempts)

			// An operator who allows loopback gets the delivery.
			p.clock.Advance(service.DefaultCallbackInitialBackoff)
			_, err = callbacks.New(p.service(t, loopback), callbacks.Config{Now: p.clock.Now}).RunOnce(ctx)
			require.NoError(t, err)
			require.Len(t, rec.requests(), 1)
			require.Equal(t, domain.CallbackEventCompleted, p.event(t, cb.ID).Status)
		})
		rec.reset()

		t.Run("OAuth 2.0 token URL", func(t *testing.T) {
			var tokenCalls atomic.Int64
			tokenSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				tokenCalls.Add(1)
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(`{"access_token":"tok","token_type":"Bearer","expires_in":60}`))
			}))
			defer tokenSrv.Close()
			p := newPolicyEnv(t, st)
			dns.set("receiver.example", "127.0.0.1")
			dns.set("token.example", "198.51.100.8")
			// The receiver is allowed by name; the token endpoint is not.
			byName := netguard.MustNew("receiver.example").WithResolver(dns)
			svc := p.service(t, byName)
			cb := p.callback(t, svc, "http://receiver.example:"+port+"/hook", 2, &service.CallbackAuthentication{
				OAuth2: &service.CallbackOAuth2{Enabled: true, ClientID: "c", ClientSecret: ptr("s"),
					TokenURI: "http://token.example:" + mustURL(t, tokenSrv.URL).Port() + "/token"},
			})
			p.activation(t, svc)
			dns.set("token.example", "127.0.0.1")

			_, err := callbacks.New(svc, callbacks.Config{Now: p.clock.Now}).RunOnce(ctx)
			require.NoError(t, err)
			require.Zero(t, tokenCalls.Load(), "the token endpoint on loopback was reached")
			require.Empty(t, rec.requests())
			require.EqualValues(t, 1, p.event(t, cb.ID).Attempts)

			p.clock.Advance(service.DefaultCallbackInitialBackoff)
			both := netguard.MustNew("receiver.example", "token.example").WithResolver(dns)
			_, err = callbacks.New(p.service(t, both), callbacks.Config{Now: p.clock.Now}).RunOnce(ctx)
			require.NoError(t, err)
			require.EqualValues(t, 1, tokenCalls.Load())
			got := rec.requests()
			require.Len(t, got, 1)
			require.Equal(t, "Bearer tok", got[0].header.Get("Authorization"))
		})
		rec.reset()

		t.Run("redirects are not followed", func(t *testing.T) {
			var inner atomic.Int64
			target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { inner.Add(1) }))
			defer target.Close()
			redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, target.URL+"/latest/meta-data/", http.StatusTemporaryRedirect)
			}))
			defer redirect.Close()
			p := newPolicyEnv(t, st)
			svc := p.service(t, loopback)
			cb := p.callback(t, svc, redirect.URL, 1, nil)
			p.activation(t, svc)
			_, err := callbacks.New(svc, callbacks.Config{Now: p.clock.Now}).RunOnce(ctx)
			require.NoError(t, err)
			require.Zero(t, inner.Load(), "the redirect was followed")
			require.Equal(t, domain.CallbackEventFailed, p.event(t, cb.ID).Status, "a 3xx answer is a failed attempt")
		})
	})
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u
}
