package app

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	apimobileutil "github.com/mauth/mauth/internal/api/mobileutil"
	"github.com/mauth/mauth/internal/mobileutil"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/testutil/apicontract"
	"github.com/mauth/mauth/internal/testutil/pgtest"
	"github.com/mauth/mauth/internal/testutil/testclock"
	"github.com/mauth/mauth/openapi"
)

// TestMobileUtility drives the mobile utility services through both
// listeners of a running server on both backends: the administration on
// the private listener (integration authentication), certificates from
// PEM and from a live TLS server, version rules and texts, and GET
// /app/init whose every answer the test verifies with the published key
// the way the mobile SDK does; then the expiry purge on a moved clock.
func TestMobileUtility(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testMobileUtility(t, testConfig(t, RoleAll)) })
	t.Run("postgres", func(t *testing.T) {
		c := testConfig(t, RoleAll)
		c.DatabaseURL = pgtest.NewDatabase(t)
		c.ServerKey = base64.StdEncoding.EncodeToString(secretbox.GenerateKey())
		testMobileUtility(t, c)
	})
}

// muClient calls a running server's mobile utility surfaces.
type muClient struct {
	t             *testing.T
	pub, priv     string
	token, secret string
}

func (c *muClient) do(method, url string, body any, header map[string]string, auth bool) (int, []byte, http.Header) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	if auth {
		req.SetBasicAuth(c.token, c.secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, b, resp.Header
}

// admin calls the administration and decodes a 200 answer into out.
func (c *muClient) admin(method, path string, body, out any) {
	c.t.Helper()
	code, b, _ := c.do(method, c.priv+path, body, nil, true)
	if code != http.StatusOK {
		c.t.Fatalf("%s %s: HTTP %d %s", method, path, code, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

// adminCode calls the administration and returns the status and error code.
func (c *muClient) adminCode(method, path string, body any) (int, string) {
	c.t.Helper()
	code, b, _ := c.do(method, c.priv+path, body, nil, true)
	return code, errorCode(b)
}

func errorCode(b []byte) string {
	var e struct {
		ResponseObject struct {
			Code string `json:"code"`
		} `json:"responseObject"`
	}
	_ = json.Unmarshal(b, &e)
	return e.ResponseObject.Code
}

// challenge returns the Base64 of n random bytes.
func challenge(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// selfSigned returns the PEM of a certificate for host valid until notAfter.
func selfSigned(t *testing.T, host string, notAfter time.Time) (string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
		NotBefore: notAfter.Add(-48 * time.Hour), NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(der)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), base64.StdEncoding.EncodeToString(sum[:])
}

type initAnswer struct {
	Timestamp    int64 `json:"timestamp"`
	Fingerprints []struct {
		Name        string `json:"name"`
		Fingerprint string `json:"fingerprint"`
		Expires     int64  `json:"expires"`
	} `json:"fingerprints"`
	VerifyVersionResult *struct {
		Update  string `json:"update"`
		Message string `json:"message"`
	} `json:"verifyVersionResult"`
}

func testMobileUtility(t *testing.T, c Config) {
	clock := &testclock.Clock{}
	clock.Stop()
	c.mobileUtilityNow = clock.Now
	c.RestrictAccess = true

	// Every exchange is checked against the OpenAPI documents.
	pubDoc := apicontract.New(t, "openapi/public.yaml", openapi.Public)
	adminDoc := apicontract.New(t, "openapi/mobileutil-admin.yaml", openapi.MobileUtilAdmin)
	out := &syncBuffer{}
	c.Out = out
	a, err := New(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	a.Public = pubDoc.Wrap(a.Public)
	priv, admin := a.Private, adminDoc.Wrap(a.Private)
	a.Private = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if apimobileutil.OwnsAdmin(r.URL.Path) {
			admin.ServeHTTP(w, r)
			return
		}
		priv.ServeHTTP(w, r)
	})
	if err := a.Listen(context.Background()); err != nil {
		a.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx) }()
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { cancel(); <-done; a.Close() }) })
	r := &running{App: a, out: out}
	token, secret := r.credentials(t)
	mc := &muClient{t: t, pub: "http://" + a.PublicAddr().String(), priv: "http://" + a.PrivateAddr().String(), token: token, secret: secret}

	// Authentication: the administration needs an integration.
	for _, auth := range []struct {
		name string
		set  func(*http.Request)
	}{{"none", func(*http.Request) {}}, {"wrong secret", func(r *http.Request) { r.SetBasicAuth(token, "wrong") }}} {
		req, _ := http.NewRequest(http.MethodGet, mc.priv+"/admin/apps", nil)
		auth.set(req)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("%s: HTTP %d, want 401", auth.name, resp.StatusCode)
		}
	}

	// An APPLICATION integration may not: the administration is global.
	core := r.admin(t)
	if _, err := core.CreateApplication(context.Background(), "core-app"); err != nil {
		t.Fatal(err)
	}
	scoped, err := core.CreateIntegrationWith(context.Background(), "scoped", "APPLICATION", []string{"core-app"})
	if err != nil {
		t.Fatal(err)
	}
	scopedClient := &muClient{t: t, pub: mc.pub, priv: mc.priv, token: scoped.ClientToken, secret: scoped.ClientSecret}
	if code, ec := scopedClient.adminCode(http.MethodPost, "/admin/apps", map[string]string{"name": "scoped-app"}); code != http.StatusForbidden || ec != "ERR_ACCESS_DENIED" {
		t.Fatalf("APPLICATION integration: HTTP %d %s", code, ec)
	}

	var app struct {
		Name      string `json:"name"`
		PublicKey []byte `json:"publicKey"`
		Domains   []struct {
			Name         string `json:"name"`
			Certificates []struct {
				Fingerprint string `json:"fingerprint"`
			} `json:"certificates"`
		} `json:"domains"`
	}
	mc.admin(http.MethodPost, "/admin/apps", map[string]string{"name": "bank-app", "displayName": "Bank"}, &app)
	if len(app.PublicKey) != 65 || app.PublicKey[0] != 4 {
		t.Fatalf("public key %x is not an uncompressed P-256 point", app.PublicKey)
	}
	if code, ec := mc.adminCode(http.MethodPost, "/admin/apps", map[string]string{"name": "bank-app"}); code != http.StatusBadRequest || ec != apimobileutil.CodeAppException {
		t.Fatalf("duplicate app: HTTP %d %s", code, ec)
	}
	if code, ec := mc.adminCode(http.MethodPost, "/admin/apps", map[string]string{"name": "-bad name"}); code != http.StatusBadRequest || ec != apimobileutil.CodeRequest {
		t.Fatalf("bad app name: HTTP %d %s", code, ec)
	}

	// The published key, itself signed.
	ch := challenge(16)
	code, body, h := mc.do(http.MethodGet, mc.pub+"/app/init/public-key?appName=bank-app", nil, map[string]string{apimobileutil.HeaderChallenge: ch}, false)
	if code != http.StatusOK {
		t.Fatalf("public key: HTTP %d %s", code, body)
	}
	var pk struct {
		PublicKey []byte `json:"publicKey"`
	}
	if err := json.Unmarshal(body, &pk); err != nil || !bytes.Equal(pk.PublicKey, app.PublicKey) {
		t.Fatalf("public key answer %s", body)
	}
	verify := func(name, challenge string, body []byte, h http.Header) bool {
		t.Helper()
		sig, err := base64.StdEncoding.DecodeString(h.Get(apimobileutil.HeaderSignature))
		if err != nil || len(sig) == 0 {
			t.Fatalf("%s: no signature header (%q)", name, h.Get(apimobileutil.HeaderSignature))
		}
		return mobileutil.Verify(pk.PublicKey, challenge, body, sig)
	}
	if !verify("public key", ch, body, h) {
		t.Fatal("the public key answer's signature does not verify")
	}
	if code, body, h := mc.do(http.MethodGet, mc.pub+"/app/init/public-key?appName=nope", nil, map[string]string{apimobileutil.HeaderChallenge: ch}, false); code != http.StatusNotFound || errorCode(body) != apimobileutil.CodePublicKeyNotFound || h.Get(apimobileutil.HeaderSignature) != "" {
		t.Fatalf("unknown app's key: HTTP %d %s, signature %q", code, body, h.Get(apimobileutil.HeaderSignature))
	}

	// A certificate fetched from a live TLS server, one from PEM.
	tlsSrv := httptest.NewTLSServer(http.NotFoundHandler())
	defer tlsSrv.Close()
	sum := sha256.Sum256(tlsSrv.Certificate().Raw)
	liveFP := base64.StdEncoding.EncodeToString(sum[:])
	var cert struct {
		Fingerprint string `json:"fingerprint"`
		Expires     int64  `json:"expires"`
	}
	mc.admin(http.MethodPost, "/admin/apps/bank-app/certificates/auto", map[string]string{"domain": tlsSrv.Listener.Addr().String()}, &cert)
	if cert.Fingerprint != liveFP || cert.Expires != tlsSrv.Certificate().NotAfter.Unix() {
		t.Fatalf("fetched certificate %+v, want %s", cert, liveFP)
	}
	if code, ec := mc.adminCode(http.MethodPost, "/admin/apps/bank-app/certificates/auto", map[string]string{"domain": tlsSrv.Listener.Addr().String()}); code != http.StatusBadRequest || ec != apimobileutil.CodeAppException {
		t.Fatalf("fetching it again: HTTP %d %s", code, ec)
	}
	soon := clock.Now().Add(time.Hour).Truncate(time.Second)
	pemText, pemFP := selfSigned(t, "api.example.com", soon)
	mc.admin(http.MethodPost, "/admin/apps/bank-app/certificates/pem", map[string]string{"domain": "api.example.com", "pem": pemText}, &cert)
	if cert.Fingerprint != pemFP || cert.Expires != soon.Unix() {
		t.Fatalf("PEM certificate %+v, want %s", cert, pemFP)
	}
	if code, ec := mc.adminCode(http.MethodPost, "/admin/apps/bank-app/certificates/pem", map[string]string{"domain": "other.example.com", "pem": pemText}); code != http.StatusBadRequest || ec != apimobileutil.CodeRequest {
		t.Fatalf("certificate of another host: HTTP %d %s", code, ec)
	}
	if code, ec := mc.adminCode(http.MethodPost, "/admin/apps/nope/certificates/pem", map[string]string{"domain": "api.example.com", "pem": pemText}); code != http.StatusNotFound || ec != apimobileutil.CodeAppNotFound {
		t.Fatalf("unknown app: HTTP %d %s", code, ec)
	}

	// Version rules and texts.
	fourteen := 14
	for _, rule := range []map[string]any{
		{"platform": "IOS", "suggestedVersion": "2.0.0", "requiredVersion": "1.5.0", "messageKey": "update"},
		{"platform": "IOS", "majorOsVersion": fourteen, "requiredVersion": "3.0.0", "messageKey": "old-ios"},
	} {
		mc.admin(http.MethodPost, "/admin/apps/bank-app/versions", rule, nil)
	}
	if code, ec := mc.adminCode(http.MethodPost, "/admin/apps/bank-app/versions", map[string]any{"platform": "IOS", "requiredVersion": "1.0.0"}); code != http.StatusBadRequest || ec != apimobileutil.CodeAppException {
		t.Fatalf("a second generic iOS rule: HTTP %d %s", code, ec)
	}
	for _, text := range []map[string]string{
		{"messageKey": "update", "language": "en", "text": "Please update"},
		{"messageKey": "update", "language": "cs", "text": "Aktualizujte prosím"},
		{"messageKey": "old-ios", "language": "en", "text": "This version no longer works on iOS 14"},
	} {
		mc.admin(http.MethodPost, "/admin/texts", text, nil)
	}

	// GET /app/init: every answer verified with the published key.
	appInit := func(query string, header map[string]string) (int, []byte, http.Header) {
		t.Helper()
		return mc.do(http.MethodGet, mc.pub+"/app/init?"+query, nil, header, false)
	}
	for _, n := range []int{16, 24, 32} {
		ch := challenge(n)
		code, body, h := appInit("appName=bank-app", map[string]string{apimobileutil.HeaderChallenge: ch})
		if code != http.StatusOK {
			t.Fatalf("init (%d-byte challenge): HTTP %d %s", n, code, body)
		}
		if !verify("init", ch, body, h) {
			t.Fatalf("the init answer's signature does not verify (%d-byte challenge)", n)
		}
		tampered := bytes.Replace(body, []byte(`"timestamp":`), []byte(`"timestamp": `), 1)
		if verify("init", ch, tampered, h) {
			t.Fatal("a signature verifies over altered response bytes")
		}
		if verify("init", challenge(n), body, h) {
			t.Fatal("a signature verifies with another challenge")
		}
		var ans initAnswer
		if err := json.Unmarshal(body, &ans); err != nil {
			t.Fatal(err)
		}
		if ans.Timestamp != clock.Now().Unix() || ans.VerifyVersionResult != nil || len(ans.Fingerprints) != 2 {
			t.Fatalf("init answer %s", body)
		}
	}
	for _, tc := range []struct {
		name, challenge string
	}{{"missing", ""}, {"too short", challenge(15)}, {"too long", challenge(33)}, {"not Base64", "not base64 at all!!!!!!"}} {
		code, body, h := appInit("appName=bank-app", map[string]string{apimobileutil.HeaderChallenge: tc.challenge})
		if code != http.StatusForbidden || errorCode(body) != apimobileutil.CodeInvalidChallenge {
			t.Fatalf("%s challenge: HTTP %d %s", tc.name, code, body)
		}
		if h.Get(apimobileutil.HeaderSignature) != "" {
			t.Fatalf("%s challenge: the answer is signed", tc.name)
		}
	}
	ch = challenge(20)
	code, body, h = appInit("appName=unknown-app", map[string]string{apimobileutil.HeaderChallenge: ch})
	if code != http.StatusNotFound || errorCode(body) != apimobileutil.CodeAppNotFound {
		t.Fatalf("unknown app: HTTP %d %s", code, body)
	}
	for _, q := range []string{"", "appName=bank-app&appVersion=1.x", "appName=bank-app&osVersion=abc", "appName=bank-app&platform=WINDOWS"} {
		if code, body, _ := appInit(q, map[string]string{apimobileutil.HeaderChallenge: ch}); code != http.StatusBadRequest || errorCode(body) != apimobileutil.CodeRequest {
			t.Fatalf("query %q: HTTP %d %s", q, code, body)
		}
	}
	// An error answer with a valid challenge for a known app is signed too.
	code, body, h = appInit("appName=bank-app&appVersion=bad", map[string]string{apimobileutil.HeaderChallenge: ch})
	if code != http.StatusBadRequest || !verify("error", ch, body, h) {
		t.Fatalf("signed error answer: HTTP %d %s", code, body)
	}

	// The version policy through HTTP (the full precedence table is in
	// internal/mobileutil's tests).
	for _, tc := range []struct {
		query, lang, update, message string
	}{
		{"appVersion=1.0.0&osVersion=15.1.0&platform=IOS", "cs-CZ,cs;q=0.9,en;q=0.5", "FORCED", "Aktualizujte prosím"},
		{"appVersion=1.6.0&osVersion=15&platform=IOS", "de", "SUGGESTED", "Please update"},
		{"appVersion=2.0.0&osVersion=16.0.1&platform=IOS", "", "NOT_REQUIRED", ""},
		{"appVersion=2.5.0&osVersion=14.8.1&platform=IOS", "cs", "FORCED", "This version no longer works on iOS 14"},
		{"appVersion=1.0.0&osVersion=34&platform=ANDROID", "", "NOT_REQUIRED", ""},
	} {
		ch := challenge(16)
		hdr := map[string]string{apimobileutil.HeaderChallenge: ch}
		if tc.lang != "" {
			hdr["Accept-Language"] = tc.lang
		}
		code, body, h := appInit("appName=bank-app&"+tc.query, hdr)
		if code != http.StatusOK || !verify("version", ch, body, h) {
			t.Fatalf("%s: HTTP %d %s", tc.query, code, body)
		}
		var ans initAnswer
		if err := json.Unmarshal(body, &ans); err != nil || ans.VerifyVersionResult == nil {
			t.Fatalf("%s: %s", tc.query, body)
		}
		if ans.VerifyVersionResult.Update != tc.update || ans.VerifyVersionResult.Message != tc.message {
			t.Errorf("%s (%s): %+v, want %s %q", tc.query, tc.lang, *ans.VerifyVersionResult, tc.update, tc.message)
		}
	}

	// Expiry: once the PEM certificate expires it leaves the answers, and
	// the purge removes it.
	clock.Advance(2 * time.Hour)
	ch = challenge(16)
	code, body, h = appInit("appName=bank-app", map[string]string{apimobileutil.HeaderChallenge: ch})
	var ans initAnswer
	if code != http.StatusOK || !verify("init", ch, body, h) || json.Unmarshal(body, &ans) != nil {
		t.Fatalf("init after expiry: HTTP %d %s", code, body)
	}
	if len(ans.Fingerprints) != 1 || ans.Fingerprints[0].Fingerprint != liveFP {
		t.Fatalf("init after expiry lists %s", body)
	}
	var purged struct {
		Removed int64 `json:"removed"`
	}
	mc.admin(http.MethodDelete, "/admin/certificates/expired", nil, &purged)
	if purged.Removed != 1 {
		t.Fatalf("purged %d certificates, want 1", purged.Removed)
	}
	mc.admin(http.MethodGet, "/admin/apps/bank-app", nil, &app)
	if len(app.Domains) != 2 || len(app.Domains[0].Certificates)+len(app.Domains[1].Certificates) != 1 {
		t.Fatalf("after the purge: %+v", app.Domains)
	}

	// Removal.
	host := strings.Split(tlsSrv.Listener.Addr().String(), ":")[0]
	mc.admin(http.MethodDelete, "/admin/apps/bank-app/certificates?domain="+host+"&fingerprint="+strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D").Replace(liveFP), nil, nil)
	if code, ec := mc.adminCode(http.MethodDelete, "/admin/apps/bank-app/domains?domain=none.example.com", nil); code != http.StatusNotFound || ec != apimobileutil.CodeNotFound {
		t.Fatalf("removing an unknown domain: HTTP %d %s", code, ec)
	}
	mc.admin(http.MethodDelete, "/admin/apps/bank-app/domains?domain=api.example.com", nil, nil)
	var versions struct {
		ApplicationVersions []struct {
			ID int64 `json:"id"`
		} `json:"applicationVersions"`
	}
	mc.admin(http.MethodGet, "/admin/apps/bank-app/versions", nil, &versions)
	if len(versions.ApplicationVersions) != 2 {
		t.Fatalf("versions %+v", versions)
	}
	id := versions.ApplicationVersions[1].ID
	mc.admin(http.MethodGet, "/admin/apps/bank-app/versions/"+itoa(id), nil, nil)
	mc.admin(http.MethodDelete, "/admin/apps/bank-app/versions/"+itoa(id), nil, nil)
	if code, ec := mc.adminCode(http.MethodGet, "/admin/apps/bank-app/versions/"+itoa(id), nil); code != http.StatusNotFound || ec != apimobileutil.CodeNotFound {
		t.Fatalf("deleted version: HTTP %d %s", code, ec)
	}
	mc.admin(http.MethodGet, "/admin/texts", nil, nil)
	mc.admin(http.MethodGet, "/admin/texts/update/cs", nil, nil)
	mc.admin(http.MethodDelete, "/admin/texts/update/cs", nil, nil)
	if code, ec := mc.adminCode(http.MethodGet, "/admin/texts/update/cs", nil); code != http.StatusNotFound || ec != apimobileutil.CodeNotFound {
		t.Fatalf("deleted text: HTTP %d %s", code, ec)
	}
	mc.admin(http.MethodGet, "/admin/apps", nil, nil)
	code, body, _ = mc.do(http.MethodGet, mc.pub+"/app/init?appName=bank-app", nil, map[string]string{apimobileutil.HeaderChallenge: challenge(16)}, false)
	if code != http.StatusOK || strings.Contains(string(body), `"name"`) {
		t.Fatalf("init after removing every certificate: HTTP %d %s", code, body)
	}
}
