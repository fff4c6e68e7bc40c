package mobileutil

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/store/postgres/postgrestest"
	"github.com/mauth/mauth/internal/store/sqlite/sqlitetest"
	"github.com/mauth/mauth/internal/testutil/testclock"
)

// backends runs fn on a fresh SQLite and a fresh PostgreSQL store.
func backends(t *testing.T, fn func(t *testing.T, st store.Store)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, sqlitetest.New(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, postgrestest.New(t)) })
}

func newBox(t *testing.T) *secretbox.Box {
	t.Helper()
	b, err := newBoxErr()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newBoxErr() (*secretbox.Box, error) { return secretbox.New(secretbox.GenerateKey()) }

// certPEM returns a self-signed certificate for hosts valid until notAfter,
// as PEM.
func certPEM(t testing.TB, notAfter time.Time, hosts ...string) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: hosts[0]}, DNSNames: hosts,
		NotBefore: notAfter.Add(-72 * time.Hour), NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func TestSigningKeys(t *testing.T) {
	backends(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		box := newBox(t)
		s := New(st, box, Options{})
		app, err := s.CreateApp(ctx, "bank-app", "Bank")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateApp(ctx, "bank-app", "again"); !errors.Is(err, ErrAlreadyExists) {
			t.Fatalf("duplicate: %v", err)
		}
		for _, bad := range []string{"", "a", "-app", "app name", strings.Repeat("a", 256)} {
			if _, err := s.CreateApp(ctx, bad, ""); !errors.Is(err, ErrInvalid) {
				t.Errorf("name %q: %v", bad, err)
			}
		}
		body := []byte(`{"timestamp":1,"fingerprints":[]}`)
		sig, err := s.Sign(ctx, "bank-app", "Y2hhbGxlbmdlY2hhbGxlbmdl", body)
		if err != nil {
			t.Fatal(err)
		}
		if !Verify(app.PublicKey, "Y2hhbGxlbmdlY2hhbGxlbmdl", body, sig) {
			t.Fatal("signature does not verify")
		}
		if Verify(app.PublicKey, "Y2hhbGxlbmdlY2hhbGxlbmdm", body, sig) || Verify(app.PublicKey, "Y2hhbGxlbmdlY2hhbGxlbmdl", append(body, ' '), sig) {
			t.Fatal("signature verifies over other bytes")
		}
		if _, err := s.Sign(ctx, "nope", "c", body); !errors.Is(err, ErrAppNotFound) {
			t.Fatalf("sign for an unknown app: %v", err)
		}
		// The private key is sealed with the server key: another key cannot use it.
		stored, err := st.GetMobileApp(ctx, "bank-app")
		if err != nil {
			t.Fatal(err)
		}
		if len(stored.SignPrivateKeyEncrypted) <= 32 {
			t.Fatalf("stored private key has %d bytes: not sealed", len(stored.SignPrivateKeyEncrypted))
		}
		if _, err := New(st, newBox(t), Options{}).Sign(ctx, "bank-app", "c", body); err == nil {
			t.Fatal("another server key opened the signing key")
		}
		// A sealed key is bound to its application's row: under another
		// application's name it does not open.
		if _, err := box.Open(stored.SignPrivateKeyEncrypted, secretContext("other-app")); err == nil {
			t.Fatal("the signing key opens as another application's")
		}
		if _, err := box.Open(stored.SignPrivateKeyEncrypted, secretContext("bank-app")); err != nil {
			t.Fatal(err)
		}
		// Each application has its own key.
		other, err := s.CreateApp(ctx, "other-app", "")
		if err != nil {
			t.Fatal(err)
		}
		if Verify(other.PublicKey, "Y2hhbGxlbmdlY2hhbGxlbmdl", body, sig) {
			t.Fatal("another application's key verifies the signature")
		}
		entries, err := st.ListAuditEntries(ctx, store.AuditFilter{Type: domain.AuditAdminChange})
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 2 || entries[0].Details["action"] != "MOBILE_APP_CREATED" {
			t.Fatalf("audit entries %+v", entries)
		}
	})
}

func TestCertificates(t *testing.T) {
	backends(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		clock := &testclock.Clock{}
		clock.Stop()
		s := New(st, newBox(t), Options{Now: clock.Now})
		if _, err := s.CreateApp(ctx, "bank-app", ""); err != nil {
			t.Fatal(err)
		}
		now := clock.Now()
		good := certPEM(t, now.Add(time.Hour), "api.example.com")
		// A PEM bundle: the key before the certificate is skipped.
		bundle := "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n" + good
		c, err := s.AddCertificatePEM(ctx, "bank-app", "API.Example.com", bundle)
		if err != nil {
			t.Fatal(err)
		}
		if c.PEM != good || !c.Expires.Equal(now.Add(time.Hour).Truncate(time.Second)) {
			t.Fatalf("pinned %+v", c)
		}
		tests := []struct {
			name, domain, pem string
			want              error
		}{
			{"again", "api.example.com", good, ErrAlreadyExists},
			{"another host", "www.example.com", good, ErrInvalid},
			{"expired", "old.example.com", certPEM(t, now.Add(-time.Second), "old.example.com"), ErrInvalid},
			{"no certificate", "api.example.com", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", ErrInvalid},
			{"garbage", "api.example.com", "hello", ErrInvalid},
			{"bad DER", "api.example.com", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", ErrInvalid},
			{"bad domain", "api example com", good, ErrInvalid},
		}
		for _, tt := range tests {
			if _, err := s.AddCertificatePEM(ctx, "bank-app", tt.domain, tt.pem); !errors.Is(err, tt.want) {
				t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
			}
		}
		if _, err := s.AddCertificatePEM(ctx, "nope", "api.example.com", good); !errors.Is(err, ErrAppNotFound) {
			t.Errorf("unknown app: %v", err)
		}
		long := certPEM(t, now.Add(48*time.Hour), "api.example.com")
		if _, err := s.AddCertificatePEM(ctx, "bank-app", "api.example.com", long); err != nil {
			t.Fatal(err)
		}

		// Both are in the answer until the first expires; then only the second.
		res, err := s.Init(ctx, InitRequest{AppName: "bank-app"})
		if err != nil || len(res.Fingerprints) != 2 || res.Version != nil {
			t.Fatalf("init: %+v %v", res, err)
		}
		clock.Advance(2 * time.Hour)
		res, err = s.Init(ctx, InitRequest{AppName: "bank-app"})
		if err != nil || len(res.Fingerprints) != 1 || res.Timestamp != clock.Now().Unix() {
			t.Fatalf("init after expiry: %+v %v", res, err)
		}
		n, err := s.PurgeExpired(ctx)
		if err != nil || n != 1 {
			t.Fatalf("purge: %d %v", n, err)
		}
		if n, err := s.PurgeExpired(ctx); err != nil || n != 0 {
			t.Fatalf("second purge: %d %v", n, err)
		}
		app, err := s.App(ctx, "bank-app")
		if err != nil || len(app.Domains) != 1 || len(app.Domains[0].Certificates) != 1 {
			t.Fatalf("after purge: %+v %v", app, err)
		}
		if err := s.RemoveCertificate(ctx, "bank-app", "api.example.com", "nope"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("remove unknown fingerprint: %v", err)
		}
		if err := s.RemoveDomain(ctx, "bank-app", "api.example.com"); err != nil {
			t.Fatal(err)
		}
		if err := s.RemoveDomain(ctx, "bank-app", "api.example.com"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("remove twice: %v", err)
		}
	})
}

// TestFetchCertificate pins the certificate of a TLS server the test
// starts, and refuses one that is not valid for the host asked for.
func TestFetchCertificate(t *testing.T) {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	backends(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		s := New(st, newBox(t), Options{})
		if _, err := s.CreateApp(ctx, "bank-app", ""); err != nil {
			t.Fatal(err)
		}
		c, err := s.FetchCertificate(ctx, "bank-app", "127.0.0.1:"+port)
		if err != nil {
			t.Fatal(err)
		}
		if want := certificateOf(srv.Certificate()); c != want {
			t.Fatalf("fetched %+v, want %+v", c, want)
		}
		// httptest's certificate names 127.0.0.1 and example.com, not localhost.
		if _, err := s.FetchCertificate(ctx, "bank-app", "localhost:"+port); !errors.Is(err, ErrInvalid) {
			t.Fatalf("certificate of another host: %v", err)
		}
		if _, err := s.FetchCertificate(ctx, "nope", "127.0.0.1:"+port); !errors.Is(err, ErrAppNotFound) {
			t.Fatalf("unknown app: %v", err)
		}
		for _, bad := range []string{"127.0.0.1:0", "127.0.0.1:99999", "a b:443", ""} {
			if _, err := s.FetchCertificate(ctx, "bank-app", bad); !errors.Is(err, ErrInvalid) {
				t.Errorf("endpoint %q: %v", bad, err)
			}
		}
		// A closed port is a fetch failure.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		closed := ln.Addr().String()
		ln.Close()
		if _, err := s.FetchCertificate(ctx, "bank-app", closed); !errors.Is(err, ErrFetch) {
			t.Fatalf("closed port: %v", err)
		}
		app, err := s.App(ctx, "bank-app")
		if err != nil || len(app.Domains) != 1 || app.Domains[0].Name != "127.0.0.1" {
			t.Fatalf("app %+v %v", app, err)
		}
	})
}

func TestInitVersionCheck(t *testing.T) {
	backends(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		s := New(st, newBox(t), Options{})
		if _, err := s.CreateApp(ctx, "bank-app", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateVersionRule(ctx, "bank-app", VersionRule{Platform: "ANDROID", RequiredVersion: "2.0.0", MessageKey: "upd"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateVersionRule(ctx, "bank-app", VersionRule{Platform: "ANDROID", RequiredVersion: "3.0.0"}); !errors.Is(err, ErrAlreadyExists) {
			t.Fatalf("second generic rule: %v", err)
		}
		for _, txt := range []domain.LocalizedText{{Key: "upd", Language: "en", Text: "Update"}, {Key: "upd", Language: "de", Text: "Aktualisieren"}} {
			if err := s.PutText(ctx, txt); err != nil {
				t.Fatal(err)
			}
		}
		for _, tt := range []struct {
			langs []string
			want  string
		}{{nil, "Update"}, {[]string{"de"}, "Aktualisieren"}, {[]string{"fr", "de"}, "Aktualisieren"}, {[]string{"fr"}, "Update"}} {
			res, err := s.Init(ctx, InitRequest{AppName: "bank-app", AppVersion: "1.0.0", OSVersion: "33", Platform: "ANDROID", Languages: tt.langs})
			if err != nil || res.Version == nil || res.Version.Update != UpdateForced || res.Version.Message != tt.want {
				t.Fatalf("languages %v: %+v %v", tt.langs, res.Version, err)
			}
		}
		// Without the app version, OS version or platform the check does not run.
		for _, r := range []InitRequest{{AppName: "bank-app", OSVersion: "33", Platform: "ANDROID"}, {AppName: "bank-app", AppVersion: "1.0.0", Platform: "ANDROID"}, {AppName: "bank-app", AppVersion: "1.0.0", OSVersion: "33"}} {
			if res, err := s.Init(ctx, r); err != nil || res.Version != nil {
				t.Fatalf("%+v: %+v %v", r, res.Version, err)
			}
		}
		// Nor when it is disabled.
		off := New(st, newBox(t), Options{DisableVersionCheck: true})
		if res, err := off.Init(ctx, InitRequest{AppName: "bank-app", AppVersion: "1.0.0", OSVersion: "33", Platform: "ANDROID"}); err != nil || res.Version != nil {
			t.Fatalf("disabled: %+v %v", res.Version, err)
		}
		if _, err := s.Init(ctx, InitRequest{AppName: "nope"}); !errors.Is(err, ErrAppNotFound) {
			t.Fatalf("unknown app: %v", err)
		}
		if _, err := s.Init(ctx, InitRequest{AppName: "bank-app", Platform: "BLACKBERRY"}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("bad platform: %v", err)
		}
		if err := s.PutText(ctx, domain.LocalizedText{Key: "upd", Language: "EN", Text: "x"}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("upper-case language: %v", err)
		}
		if err := s.DeleteText(ctx, "upd", "fr"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("delete unknown text: %v", err)
		}
	})
}
