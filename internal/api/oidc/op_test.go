package oidc_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"golang.org/x/oauth2"
)

// testOP is the real example OpenID Provider of zitadel/oidc (an
// OpenID-certified implementation) running in the test process, behind a
// front that can substitute the ID token of a token response (forged
// tokens) and publish extra keys in the JWKS (key rotation).
type testOP struct {
	srv    *httptest.Server
	issuer string
	op     http.Handler
	http   *http.Client // never follows redirects

	mu          sync.Mutex
	forge       func(t *testing.T, claims map[string]any) string
	keys        []jose.JSONWebKey
	noDiscovery bool // the metadata document answers 404
	discoveries int  // metadata documents served
	t           *testing.T
}

// discoveryPath is the OP's metadata document.
const discoveryPath = "/.well-known/openid-configuration"

// discoveryCount returns how many metadata documents the OP served.
func (o *testOP) discoveryCount() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.discoveries
}

// setDiscovery switches the metadata document on or off.
func (o *testOP) setDiscovery(on bool) {
	o.mu.Lock()
	o.noDiscovery = !on
	o.mu.Unlock()
}

// The example OP's test user (its user store names it after the issuer host).
const (
	opUserID   = "id1"
	opPassword = "verysecure"
)

func newTestOP(t *testing.T) *testOP {
	t.Helper()
	o := &testOP{t: t, http: &http.Client{Timeout: testTimeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	o.srv = httptest.NewServer(o)
	t.Cleanup(o.srv.Close)
	o.issuer = o.srv.URL
	o.op = exampleop.SetupServer(o.issuer, storage.NewStorage(storage.NewUserStore(o.issuer)), slog.New(slog.DiscardHandler), false)
	return o
}

// registerClient registers a confidential web client at the OP.
func (o *testOP) registerClient(id, secret, redirect string) {
	storage.RegisterClients(storage.WebClient(id, secret, redirect))
}

// setForge makes the token endpoint answer the ID token f builds from the
// real token's claims (nil: the real token).
func (o *testOP) setForge(f func(t *testing.T, claims map[string]any) string) {
	o.mu.Lock()
	o.forge = f
	o.mu.Unlock()
}

// addKey publishes k (its public part) in the OP's JWKS.
func (o *testOP) addKey(k jose.JSONWebKey) {
	o.mu.Lock()
	o.keys = append(o.keys, k.Public())
	o.mu.Unlock()
}

func (o *testOP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	forge, keys, noDiscovery := o.forge, append([]jose.JSONWebKey(nil), o.keys...), o.noDiscovery
	if r.URL.Path == discoveryPath && !noDiscovery {
		o.discoveries++
	}
	o.mu.Unlock()
	switch {
	case r.URL.Path == discoveryPath && noDiscovery:
		http.NotFound(w, r)
	case r.URL.Path == "/oauth/token" && forge != nil:
		rec := httptest.NewRecorder()
		o.op.ServeHTTP(rec, r)
		var body map[string]any
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &body) != nil {
			copyResponse(w, rec)
			return
		}
		raw, _ := body["id_token"].(string)
		body["id_token"] = forge(o.t, unverifiedClaims(o.t, raw))
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(body)
	case r.URL.Path == "/keys" && len(keys) > 0:
		rec := httptest.NewRecorder()
		o.op.ServeHTTP(rec, r)
		var set jose.JSONWebKeySet
		if err := json.Unmarshal(rec.Body.Bytes(), &set); err != nil {
			o.t.Errorf("OP keys: %v", err)
		}
		set.Keys = append(set.Keys, keys...)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(set)
	default:
		o.op.ServeHTTP(w, r)
	}
}

func copyResponse(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// unverifiedClaims decodes the payload of a compact JWS.
func unverifiedClaims(t *testing.T, raw string) map[string]any {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("ID token is not a compact JWS: %q", raw)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("ID token payload: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatalf("ID token claims: %v", err)
	}
	return claims
}

// signedToken signs claims with key (RS256 unless alg is given).
func signedToken(t *testing.T, key jose.JSONWebKey, alg jose.SignatureAlgorithm, claims map[string]any) string {
	t.Helper()
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	opts := (&jose.SignerOptions{}).WithType("JWT")
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatalf("signer: %v", err)
	}
	jws, err := sig.Sign(payload)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatalf("serialize: %v", err)
	}
	return out
}

// unsignedToken is a JWS with "alg": "none".
func unsignedToken(t *testing.T, kid string, claims map[string]any) string {
	t.Helper()
	h, _ := json.Marshal(map[string]any{"alg": "none", "typ": "JWT", "kid": kid})
	p, _ := json.Marshal(claims)
	return base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(p) + "."
}

// hmacWithPublicKey is the key-confusion attack: an HS256 token whose
// secret is the provider's RSA public key (PEM), with the provider's kid.
func hmacWithPublicKey(t *testing.T, pub jose.JSONWebKey, claims map[string]any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub.Key)
	if err != nil {
		t.Fatalf("public key: %v", err)
	}
	secret := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	return signedToken(t, jose.JSONWebKey{Key: secret, KeyID: pub.KeyID, Algorithm: string(jose.HS256)}, jose.HS256, claims)
}

// newRSAKey is a fresh RS256 signing key with kid.
func newRSAKey(t *testing.T, kid string) jose.JSONWebKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return jose.JSONWebKey{Key: k, KeyID: kid, Algorithm: string(jose.RS256), Use: "sig"}
}

// providerKey returns the OP's own (first) signing key from its JWKS.
func (o *testOP) providerKey(t *testing.T) jose.JSONWebKey {
	t.Helper()
	resp, err := o.http.Get(o.issuer + "/keys")
	if err != nil {
		t.Fatalf("OP keys: %v", err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil || len(set.Keys) == 0 {
		t.Fatalf("OP keys: %v (%d keys)", err, len(set.Keys))
	}
	return set.Keys[0]
}

// login signs the test user in at the OP without a browser, the way its
// login form posts, and returns the authorization code of the redirect.
// authURL is the authorization request (from oauth2.Config.AuthCodeURL).
func (o *testOP) login(t *testing.T, authURL string) string {
	t.Helper()
	ctx := context.Background()
	loc := o.follow(t, ctx, http.MethodGet, authURL, nil)
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatalf("login redirect %q: %v", loc, err)
	}
	id := u.Query().Get("authRequestID")
	if id == "" {
		t.Fatalf("the OP did not redirect to its login page: %q", loc)
	}
	host := strings.TrimPrefix(o.issuer, "http://")
	host = host[:strings.LastIndex(host, ":")]
	form := url.Values{"id": {id}, "username": {"test-user@" + host}, "password": {opPassword}}
	callback := o.follow(t, ctx, http.MethodPost, o.issuer+"/login/username", form)
	final := o.follow(t, ctx, http.MethodGet, o.resolve(callback), nil)
	fu, err := url.Parse(final)
	if err != nil {
		t.Fatalf("final redirect %q: %v", final, err)
	}
	code := fu.Query().Get("code")
	if code == "" {
		t.Fatalf("no code in the redirect %q", final)
	}
	return code
}

// resolve makes a redirect location absolute against the issuer.
func (o *testOP) resolve(loc string) string {
	base, _ := url.Parse(o.issuer + "/")
	ref, err := url.Parse(loc)
	if err != nil {
		return loc
	}
	return base.ResolveReference(ref).String()
}

// follow makes one request and returns the redirect location it answers.
func (o *testOP) follow(t *testing.T, ctx context.Context, method, target string, form url.Values) string {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = bytes.NewBufferString(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, o.resolve(target), body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := o.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	loc := resp.Header.Get("Location")
	if resp.StatusCode/100 != 3 || loc == "" {
		t.Fatalf("%s %s: HTTP %d without redirect: %s", method, target, resp.StatusCode, raw)
	}
	return loc
}

// authRequest is one sign-in at the OP as the app starts it.
type authRequest struct {
	nonce, verifier string
}

// authCodeURL builds the authorization request of an app.
func authCodeURL(conf oauth2.Config, ar authRequest) string {
	opts := []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("nonce", ar.nonce)}
	if ar.verifier != "" {
		opts = append(opts, oauth2.S256ChallengeOption(ar.verifier))
	}
	return conf.AuthCodeURL("state-1", opts...)
}
