package oidc_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/mauth/mauth/client"
	apioidc "github.com/mauth/mauth/internal/api/oidc"
	"github.com/mauth/mauth/internal/api/public"
	"github.com/mauth/mauth/internal/app"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/oidc"
	"github.com/mauth/mauth/internal/oidc/oidctest"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/internal/service/servicetest"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/apicontract"
	"github.com/mauth/mauth/internal/testutil/teststore"
	"github.com/mauth/mauth/openapi"
	"github.com/mauth/mauth/protocol"
)

// testTimeout bounds every call (a safety net against a hang; no test
// asserts how fast anything happens).
const testTimeout = 5 * time.Minute

const (
	pin         = "1234"
	providerID  = "bank-idp"
	redirectURI = "https://bank.example/oidc/callback"
)

// env is mauth (the core on a real database, the public API with the OIDC
// activation and /api/config/oidc) next to a real OpenID Provider.
type env struct {
	svc       *service.Service
	op        *oidctest.OP
	publicURL string
	httpc     *http.Client
	appName   string
	sdkConfig string
	clientID  string
	secret    string
	log       *logBuffer
}

// logBuffer collects the public API's log: the reason of each refusal.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// take returns the log so far and empties it.
func (l *logBuffer) take() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.buf.String()
	l.buf.Reset()
	return s
}

func newEnv(t testing.TB, st store.Store, provider map[string]any) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{op: oidctest.New(t), httpc: &http.Client{Timeout: testTimeout}, log: &logBuffer{}}
	e.svc = servicetest.New(t, servicetest.Options{Store: st}).Service
	e.appName = "oidc-app"
	if _, err := e.svc.CreateApplication(ctx, e.appName, nil); err != nil {
		t.Fatalf("create application: %v", err)
	}
	d, err := e.svc.GetApplicationDetail(ctx, e.appName)
	if err != nil || len(d.Versions) == 0 {
		t.Fatalf("application detail: %v", err)
	}
	e.sdkConfig = d.SDKConfig(d.Versions[0])

	e.clientID, e.secret = "mauth-"+strings.ReplaceAll(t.Name(), "/", "-"), "client-secret-1"
	e.op.RegisterClient(e.clientID, e.secret, redirectURI)
	cfg := map[string]any{
		"providerId": providerID, "clientId": e.clientID, "clientSecret": e.secret,
		"issuerUri": e.op.Issuer, "redirectUri": redirectURI, "scopes": "openid profile", "pkceEnabled": true,
	}
	for k, v := range provider {
		cfg[k] = v
	}
	raw, _ := json.Marshal(cfg)
	if _, err := e.svc.CreateApplicationConfig(ctx, e.appName, oidc.ConfigKey, []json.RawMessage{raw}); err != nil {
		t.Fatalf("oauth2_providers: %v", err)
	}

	activator := app.NewOIDCActivator(e.svc, oidc.Options{HTTPClient: &http.Client{Timeout: testTimeout}})
	pub := public.New(e.svc, public.Options{OIDC: activator, Logger: slog.New(slog.NewTextHandler(e.log, nil))})
	mux := http.NewServeMux()
	mux.Handle("/", pub.Handler())
	app.MountOIDCConfig(mux, activator, apioidc.Options{Middleware: pub.Middleware()})
	contract := apicontract.New(t, "openapi/public.yaml", openapi.Public)
	srv := httptest.NewServer(contract.Wrap(mux))
	t.Cleanup(srv.Close)
	e.publicURL = srv.URL
	return e
}

// device is the Go client of the application.
func (e *env) device(t testing.TB, version string) *client.Client {
	t.Helper()
	cfg := client.Config{BaseURL: e.publicURL, Version: version, HTTPClient: e.httpc}
	if err := cfg.FromSDKConfig(e.sdkConfig); err != nil {
		t.Fatalf("sdk config: %v", err)
	}
	c, err := client.New(cfg)
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	return c
}

// activations counts the user's activations in the core.
func (e *env) activations(t *testing.T, userID string) int {
	t.Helper()
	list, err := e.svc.ListActivations(context.Background(), service.ActivationListQuery{UserID: userID, PageSize: 100})
	if err != nil {
		t.Fatalf("list activations: %v", err)
	}
	return len(list)
}

// signIn runs the app's side of the sign-in at the provider with the
// configuration from /api/config/oidc and returns the identity attributes.
func (e *env) signIn(t testing.TB, cfg *client.OIDCConfig, clientID string) client.OIDCIdentity {
	t.Helper()
	ar := oidctest.AuthRequest{Nonce: "n-" + base64.RawURLEncoding.EncodeToString(protocol.RandomBytes(12))}
	if cfg.PKCEEnabled {
		ar.Verifier = oauth2.GenerateVerifier()
	}
	conf := oauth2.Config{ClientID: clientID, RedirectURL: cfg.RedirectURI, Scopes: strings.Fields(cfg.Scopes), Endpoint: oauth2.Endpoint{AuthURL: cfg.AuthorizeURI}}
	code := e.op.Login(t, oidctest.AuthCodeURL(conf, ar))
	return client.OIDCIdentity{ProviderID: cfg.ProviderID, Code: code, Nonce: ar.Nonce, CodeVerifier: ar.Verifier}
}

// wantAPIError requires err to be the error answer status/code.
func wantAPIError(t *testing.T, err error, status int, code string) {
	t.Helper()
	var ae *client.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got error %v, want HTTP %d %s", err, status, code)
	}
	if ae.HTTPStatus != status || ae.Code != code {
		t.Fatalf("got HTTP %d %s (%s), want %d %s", ae.HTTPStatus, ae.Code, ae.Message, status, code)
	}
}

// TestOIDCActivation activates through the real example OP on both
// backends: /api/config/oidc, a browser-less sign-in of the test user, the
// DIRECT activation with method oidc, then every refused case, each
// without creating an activation.
func TestOIDCActivation(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		e := newEnv(t, st, nil)
		ctx := context.Background()
		c := e.device(t, protocol.Version32)

		cfg, err := c.OIDCConfig(ctx, providerID)
		if err != nil {
			t.Fatalf("oidc config: %v", err)
		}
		want := client.OIDCConfig{ProviderID: providerID, ClientID: e.clientID, Scopes: "openid profile",
			AuthorizeURI: e.op.Issuer + "/auth", RedirectURI: redirectURI, PKCEEnabled: true}
		if *cfg != want {
			t.Fatalf("oidc config %+v, want %+v (authorizeUri discovered from the issuer)", *cfg, want)
		}

		// The happy path: code → ID token → user id1 → ACTIVE activation.
		id := e.signIn(t, cfg, e.clientID)
		res, err := c.ActivateWithOIDC(ctx, id, pin, client.ActivationOptions{Name: "oidc phone"})
		if err != nil {
			t.Fatalf("oidc activation: %v", err)
		}
		as, err := e.svc.GetActivationStatus(ctx, res.Device.ActivationID, nil)
		if err != nil || as.Activation.UserID != oidctest.UserID || as.Activation.Status != domain.ActivationActive {
			t.Fatalf("activation in the core: %+v, %v", as.Activation, err)
		}
		if err := c.ValidateSignature(ctx, res.Device, client.PossessionKnowledge(pin), []byte(`{"hello":"oidc"}`)); err != nil {
			t.Fatalf("signature of the OIDC activation: %v", err)
		}
		used := id

		// Key rotation: the provider starts signing with a new key that
		// only its refreshed JWKS has (mauth cached the old set).
		rotated := oidctest.NewRSAKey(t, "rotated-2")
		e.op.AddKey(rotated)
		e.op.SetForge(func(t testing.TB, claims map[string]any) string {
			return oidctest.SignedToken(t, rotated, jose.RS256, claims)
		})
		if _, err := c.ActivateWithOIDC(ctx, e.signIn(t, cfg, e.clientID), pin, client.ActivationOptions{}); err != nil {
			t.Fatalf("activation with a rotated provider key: %v", err)
		}
		e.op.SetForge(nil)
		before := e.activations(t, oidctest.UserID)
		if before != 2 {
			t.Fatalf("user has %d activations, want 2", before)
		}

		opKey := e.op.ProviderKey(t)
		ghost := oidctest.NewRSAKey(t, "ghost")
		now := time.Now()
		other := "other-client-" + strings.ReplaceAll(t.Name(), "/", "-")
		e.op.RegisterClient(other, "other-secret", redirectURI)
		// Each case is refused for its own reason (the cause in the log).
		refused := []struct {
			name   string
			forge  func(t testing.TB, claims map[string]any) string
			modify func(id *client.OIDCIdentity)
			reason string
		}{
			{"wrong nonce", nil, func(id *client.OIDCIdentity) { id.Nonce = "another-nonce" }, "nonce does not match"},
			{"expired token", func(t testing.TB, c map[string]any) string {
				c["exp"], c["iat"] = now.Add(-10*time.Minute).Unix(), now.Add(-70*time.Minute).Unix()
				return oidctest.SignedToken(t, rotated, jose.RS256, c)
			}, nil, "token is expired"},
			{"issued in the future", func(t testing.TB, c map[string]any) string {
				c["iat"], c["exp"] = now.Add(30*time.Minute).Unix(), now.Add(90*time.Minute).Unix()
				return oidctest.SignedToken(t, rotated, jose.RS256, c)
			}, nil, "iat is missing or in the future"},
			{"wrong audience", func(t testing.TB, c map[string]any) string {
				c["aud"] = []string{"someone-else"}
				return oidctest.SignedToken(t, rotated, jose.RS256, c)
			}, nil, "expected audience"},
			{"wrong issuer", func(t testing.TB, c map[string]any) string {
				c["iss"] = "https://evil.example"
				return oidctest.SignedToken(t, rotated, jose.RS256, c)
			}, nil, "issued by a different provider"},
			{"unknown kid", func(t testing.TB, c map[string]any) string { return oidctest.SignedToken(t, ghost, jose.RS256, c) }, nil, "failed to verify signature"},
			{"alg none", func(t testing.TB, c map[string]any) string { return oidctest.UnsignedToken(t, opKey.KeyID, c) }, nil, "unexpected signature algorithm"},
			{"HS256 with the provider's public key as secret", func(t testing.TB, c map[string]any) string {
				return oidctest.HMACWithPublicKey(t, opKey, c)
			}, nil, "unexpected signature algorithm"},
			{"not pinned algorithm (RS384 by the provider's key set)", func(t testing.TB, c map[string]any) string {
				k := rotated
				k.Algorithm = string(jose.RS384)
				return oidctest.SignedToken(t, k, jose.RS384, c)
			}, nil, "unexpected signature algorithm"},
			{"subject missing", func(t testing.TB, c map[string]any) string {
				delete(c, "sub")
				return oidctest.SignedToken(t, rotated, jose.RS256, c)
			}, nil, `claim \"sub\" is missing`},
			{"replayed code", nil, func(id *client.OIDCIdentity) { *id = used }, "invalid_grant"},
			{"code for another client", nil, func(id *client.OIDCIdentity) { *id = e.signIn(t, cfg, other) }, "invalid_grant"},
			{"missing PKCE verifier", nil, func(id *client.OIDCIdentity) { id.CodeVerifier = "" }, "codeVerifier is missing"},
			{"wrong PKCE verifier", nil, func(id *client.OIDCIdentity) { id.CodeVerifier = oauth2.GenerateVerifier() }, "invalid_grant"},
			{"unknown provider", nil, func(id *client.OIDCIdentity) { id.ProviderID = "nope" }, "no provider"},
			{"unknown code", nil, func(id *client.OIDCIdentity) { id.Code = "not-a-code" }, "invalid_grant"},
		}
		for _, tc := range refused {
			t.Run(tc.name, func(t *testing.T) {
				id := e.signIn(t, cfg, e.clientID)
				if tc.modify != nil {
					tc.modify(&id)
				}
				e.op.SetForge(tc.forge)
				defer e.op.SetForge(nil)
				e.log.take()
				_, err := c.ActivateWithOIDC(ctx, id, pin, client.ActivationOptions{})
				wantAPIError(t, err, http.StatusBadRequest, "ERR_ACTIVATION")
				if log := e.log.take(); !strings.Contains(log, tc.reason) {
					t.Fatalf("refused, but not because of %q: %s", tc.reason, log)
				}
				if n := e.activations(t, oidctest.UserID); n != before {
					t.Fatalf("a refused activation was created (%d → %d)", before, n)
				}
				if n := e.activations(t, "id2"); n != 0 {
					t.Fatalf("another user got %d activations", n)
				}
			})
		}

		// The configuration of an unknown provider.
		_, err = c.OIDCConfig(ctx, "nope")
		wantAPIError(t, err, http.StatusBadRequest, apioidc.CodeConfiguration)
	})
}

// TestOIDCActivationConfiguredEndpoints: when the issuer publishes no
// metadata, the configured authorizeUri, tokenUri and jwkSetUri are used
// (the reference's fallback), and a configured userIdClaim names the user.
func TestOIDCActivationConfiguredEndpoints(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		e := newEnv(t, st, nil)
		ctx := context.Background()
		e.op.SetDiscovery(false)
		raw, _ := json.Marshal(map[string]any{
			"providerId": providerID, "clientId": e.clientID, "clientSecret": e.secret,
			"issuerUri": e.op.Issuer, "redirectUri": redirectURI, "pkceEnabled": false,
			"authorizeUri": e.op.Issuer + "/auth", "tokenUri": e.op.Issuer + "/oauth/token", "jwkSetUri": e.op.Issuer + "/keys",
			"clientAuthenticationMethod": oidc.AuthClientSecretBasic, "signatureAlgorithm": "RS256", "userIdClaim": "customer_no",
		})
		if _, err := e.svc.CreateApplicationConfig(ctx, e.appName, oidc.ConfigKey, []json.RawMessage{raw}); err != nil {
			t.Fatalf("oauth2_providers: %v", err)
		}
		c := e.device(t, protocol.Version33)
		cfg, err := c.OIDCConfig(ctx, providerID)
		if err != nil {
			t.Fatalf("oidc config: %v", err)
		}
		if cfg.AuthorizeURI != e.op.Issuer+"/auth" || cfg.Scopes != "openid" || cfg.PKCEEnabled {
			t.Fatalf("oidc config %+v", *cfg)
		}
		// The provider puts the bank's customer number into its ID token.
		e.op.SetForge(func(t testing.TB, claims map[string]any) string {
			claims["customer_no"] = "C-1001"
			key := oidctest.NewRSAKey(t, "customer-key")
			e.op.AddKey(key)
			return oidctest.SignedToken(t, key, jose.RS256, claims)
		})
		id := e.signIn(t, cfg, e.clientID) // no PKCE for this provider
		res, err := c.ActivateWithOIDC(ctx, id, pin, client.ActivationOptions{})
		if err != nil {
			t.Fatalf("activation: %v\n%s", err, e.log.take())
		}
		as, err := e.svc.GetActivationStatus(ctx, res.Device.ActivationID, nil)
		if err != nil || as.Activation.UserID != "C-1001" {
			t.Fatalf("activation user %q, %v; want the customer_no claim", as.Activation.UserID, err)
		}
		if n := e.op.DiscoveryCount(); n != 0 {
			t.Fatalf("metadata served %d times while switched off", n)
		}
	})
}

// TestOIDCMetadataCached: the issuer's metadata is fetched once and
// reused by the configuration and by every activation.
func TestOIDCMetadataCached(t *testing.T) {
	e := newEnv(t, teststore.SQLite(t), nil)
	ctx := context.Background()
	c := e.device(t, protocol.Version32)
	for i := range 3 {
		cfg, err := c.OIDCConfig(ctx, providerID)
		if err != nil {
			t.Fatalf("oidc config %d: %v", i, err)
		}
		if _, err := c.ActivateWithOIDC(ctx, e.signIn(t, cfg, e.clientID), pin, client.ActivationOptions{}); err != nil {
			t.Fatalf("activation %d: %v", i, err)
		}
	}
	if n := e.op.DiscoveryCount(); n != 1 {
		t.Fatalf("metadata fetched %d times, want 1 (cached)", n)
	}
	if n := e.activations(t, oidctest.UserID); n != 3 {
		t.Fatalf("%d activations, want 3", n)
	}
}

// TestOIDCConfigErrors: an application without oauth2_providers and an
// unknown provider answer APPLICATION_CONFIGURATION_ERROR; the client
// secret never appears in an answer.
func TestOIDCConfigErrors(t *testing.T) {
	e := newEnv(t, teststore.SQLite(t), nil)
	ctx := context.Background()
	c := e.device(t, protocol.Version31)
	for _, p := range []string{"nope", "", strings.Repeat("x", 300)} {
		_, err := c.OIDCConfig(ctx, p)
		wantAPIError(t, err, http.StatusBadRequest, apioidc.CodeConfiguration)
	}
	if err := e.svc.RemoveApplicationConfig(ctx, e.appName, oidc.ConfigKey); err != nil {
		t.Fatalf("remove config: %v", err)
	}
	_, err := c.OIDCConfig(ctx, providerID)
	wantAPIError(t, err, http.StatusBadRequest, apioidc.CodeConfiguration)
	// Without the configuration the activation is refused too.
	e.log.take()
	_, err = c.ActivateWithOIDC(ctx, client.OIDCIdentity{ProviderID: providerID, Code: "c", Nonce: "n"}, pin, client.ActivationOptions{})
	wantAPIError(t, err, http.StatusBadRequest, "ERR_ACTIVATION")
	if log := e.log.take(); strings.Contains(log, e.secret) {
		t.Fatalf("the client secret is in the log: %s", log)
	}
}

// BenchmarkOIDCActivation measures an OIDC activation as the device sees
// it: /pa/v3/activation/create with a fresh code, including mauth's code
// exchange at the in-process OP, the ID token verification, the key
// exchange and the commit (SQLite). The sign-in at the OP is not timed.
func BenchmarkOIDCActivation(b *testing.B) {
	e := newEnv(b, teststore.SQLite(b), nil)
	ctx := context.Background()
	c := e.device(b, protocol.Version33)
	cfg, err := c.OIDCConfig(ctx, providerID)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		id := e.signIn(b, cfg, e.clientID)
		b.StartTimer()
		if _, err := c.ActivateWithOIDC(ctx, id, pin, client.ActivationOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
