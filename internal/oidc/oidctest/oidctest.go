// Package oidctest runs a real, independent OpenID Provider in the test
// process for the OIDC tests: the example OP of github.com/zitadel/oidc
// (an OpenID-certified implementation), behind a front that can
// substitute the ID token of a token response (forged tokens), publish
// extra keys in its JWKS (key rotation) and switch its metadata document
// off. Login signs the OP's test user in without a browser, as its login
// form posts.
package oidctest

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
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"golang.org/x/oauth2"
)

// OP is the real example OpenID Provider of zitadel/oidc (an
// OpenID-certified implementation) running in the test process, behind a
// front that can substitute the ID token of a token response (forged
// tokens) and publish extra keys in the JWKS (key rotation).
type OP struct {
	srv *httptest.Server
	// Issuer is the OP's issuer URL (its base URL).
	Issuer string
	op     http.Handler
	http   *http.Client // never follows redirects

	mu          sync.Mutex
	forge       func(t testing.TB, claims map[string]any) string
	keys        []jose.JSONWebKey
	noDiscovery bool // the metadata document answers 404
	discoveries int  // metadata documents served
	t           testing.TB
}

// timeout bounds the OP's own calls in Login: a safety net against a
// hang, never an assertion of speed.
const timeout = 5 * time.Minute

// discoveryPath is the OP's metadata document.
const discoveryPath = "/.well-known/openid-configuration"

// DiscoveryCount returns how many metadata documents the OP served.
func (o *OP) DiscoveryCount() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.discoveries
}

// SetDiscovery switches the metadata document on or off.
func (o *OP) SetDiscovery(on bool) {
	o.mu.Lock()
	o.noDiscovery = !on
	o.mu.Unlock()
}

// The example OP's test user (its user store names it after the issuer host).
const (
	UserID     = "id1"
	opPassword = "verysecure"
)

func New(t testing.TB) *OP {
	t.Helper()
	o := &OP{t: t, http: &http.Client{Timeout: timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	o.srv = httptest.NewServer(o)
	t.Cleanup(o.srv.Close)
	o.Issuer = o.srv.URL
	o.op = exampleop.SetupServer(o.Issuer, storage.NewStorage(storage.NewUserStore(o.Issuer)), slog.New(slog.DiscardHandler), false)
	return o
}

// RegisterClient registers a confidential web client at the OP.
func (o *OP) RegisterClient(id, secret, redirect string) {
	storage.RegisterClients(storage.WebClient(id, secret, redirect))
}

// SetForge makes the token endpoint answer the ID token f builds from the
// real token's claims (nil: the real token).
func (o *OP) SetForge(f func(t testing.TB, claims map[string]any) string) {
	o.mu.Lock()
	o.forge = f
	o.mu.Unlock()
}

// AddKey publishes k (its public part) in the OP's JWKS.
func (o *OP) AddKey(k jose.JSONWebKey) {
	o.mu.Lock()
	o.keys = append(o.keys, k.Public())
	o.mu.Unlock()
}

func (o *OP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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
		body["id_token"] = forge(o.t, UnverifiedClaims(o.t, raw))
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

// UnverifiedClaims decodes the payload of a compact JWS.
func UnverifiedClaims(t testing.TB, raw string) map[string]any {
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

// SignedToken signs claims with key (RS256 unless alg is given).
func SignedToken(t testing.TB, key jose.JSONWebKey, alg jose.SignatureAlgorithm, claims map[string]any) string {
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

// UnsignedToken is a JWS with "alg": "none".
func UnsignedToken(t testing.TB, kid string, claims map[string]any) string {
	t.Helper()
	h, _ := json.Marshal(map[string]any{"alg": "none", "typ": "JWT", "kid": kid})
	p, _ := json.Marshal(claims)
	return base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(p) + "."
}

// HMACWithPublicKey is the key-confusion attack: an HS256 token whose
// secret is the provider's RSA public key (PEM), with the provider's kid.
func HMACWithPublicKey(t testing.TB, pub jose.JSONWebKey, claims map[string]any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub.Key)
	if err != nil {
		t.Fatalf("public key: %v", err)
	}
	secret := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	return SignedToken(t, jose.JSONWebKey{Key: secret, KeyID: pub.KeyID, Algorithm: string(jose.HS256)}, jose.HS256, claims)
}

// NewRSAKey is a fresh RS256 signing key with kid.
func NewRSAKey(t testing.TB, kid string) jose.JSONWebKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return jose.JSONWebKey{Key: k, KeyID: kid, Algorithm: string(jose.RS256), Use: "sig"}
}

// ProviderKey returns the OP's own (first) signing key from its JWKS.
func (o *OP) ProviderKey(t testing.TB) jose.JSONWebKey {
	t.Helper()
	resp, err := o.http.Get(o.Issuer + "/keys")
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

// Login signs the test user in at the OP without a browser, the way its
// login form posts, and returns the authorization code of the redirect.
// authURL is the authorization request (from oauth2.Config.AuthCodeURL).
func (o *OP) Login(t testing.TB, authURL string) string {
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
	host := strings.TrimPrefix(o.Issuer, "http://")
	host = host[:strings.LastIndex(host, ":")]
	form := url.Values{"id": {id}, "username": {"test-user@" + host}, "password": {opPassword}}
	callback := o.follow(t, ctx, http.MethodPost, o.Issuer+"/login/username", form)
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
func (o *OP) resolve(loc string) string {
	base, _ := url.Parse(o.Issuer + "/")
	ref, err := url.Parse(loc)
	if err != nil {
		return loc
	}
	return base.ResolveReference(ref).String()
}

// follow makes one request and returns the redirect location it answers.
func (o *OP) follow(t testing.TB, ctx context.Context, method, target string, form url.Values) string {
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

// AuthRequest is one sign-in at the OP as the app starts it.
type AuthRequest struct {
	// Nonce and Verifier (PKCE S256 when not empty) of the request.
	Nonce, Verifier string
}

// AuthCodeURL builds the authorization request of an app.
func AuthCodeURL(conf oauth2.Config, ar AuthRequest) string {
	opts := []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("nonce", ar.Nonce)}
	if ar.Verifier != "" {
		opts = append(opts, oauth2.S256ChallengeOption(ar.Verifier))
	}
	return conf.AuthCodeURL("state-1", opts...)
}
