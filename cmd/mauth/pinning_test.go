package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCLIPinningCommands drives `mauth pinning` against a running server:
// an application, a certificate from a PEM file and one fetched from a TLS
// server the test starts, version rules, texts, removal and the purge.
func TestCLIPinningCommands(t *testing.T) {
	testServer(t)
	out := run(t, "pinning", "app", "create", "bank-app", "--display-name", "Bank")
	if key, err := base64.StdEncoding.DecodeString(out["public key"]); err != nil || len(key) != 65 {
		t.Fatalf("app create printed %v", out)
	}
	fail(t, "APP_EXCEPTION", "pinning", "app", "create", "bank-app")

	// From a PEM file.
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "api.example.com"}, DNSNames: []string{"api.example.com"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(90 * 24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pemFile := filepath.Join(t.TempDir(), "api.pem")
	if err := os.WriteFile(pemFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(der)
	fp := base64.StdEncoding.EncodeToString(sum[:])
	if out := run(t, "pinning", "cert", "add", "bank-app", "--domain", "api.example.com", "--pem", pemFile); out["fingerprint"] != fp {
		t.Fatalf("cert add --pem printed %v, want fingerprint %s", out, fp)
	}
	fail(t, "ERROR_REQUEST", "pinning", "cert", "add", "bank-app", "--domain", "www.example.com", "--pem", pemFile)
	fail(t, "either --pem", "pinning", "cert", "add", "bank-app")

	// From a live TLS endpoint.
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	live := sha256.Sum256(srv.Certificate().Raw)
	if out := run(t, "pinning", "cert", "add", "bank-app", "--fetch", srv.Listener.Addr().String()); out["fingerprint"] != base64.StdEncoding.EncodeToString(live[:]) {
		t.Fatalf("cert add --fetch printed %v", out)
	}
	shown, err := execute(t, "pinning", "app", "show", "bank-app")
	if err != nil || !strings.Contains(shown, fp) || !strings.Contains(shown, "127.0.0.1") {
		t.Fatalf("app show: %v\n%s", err, shown)
	}
	if list, err := execute(t, "pinning", "app", "list"); err != nil || !strings.Contains(list, "bank-app") {
		t.Fatalf("app list: %v\n%s", err, list)
	}

	// Version rules and texts.
	if v, err := execute(t, "pinning", "version", "add", "bank-app", "--platform", "ios", "--major-os", "15", "--required", "2.0.0", "--message-key", "update"); err != nil || !strings.Contains(v, "IOS") {
		t.Fatalf("version add: %v\n%s", err, v)
	}
	fail(t, "ERROR_REQUEST", "pinning", "version", "add", "bank-app", "--platform", "IOS")
	run(t, "pinning", "text", "set", "update", "en", "Please update the app")
	if l, err := execute(t, "pinning", "text", "list"); err != nil || !strings.Contains(l, "Please update the app") {
		t.Fatalf("text list: %v\n%s", err, l)
	}
	vl, err := execute(t, "pinning", "version", "list", "bank-app")
	if err != nil || !strings.Contains(vl, "15") {
		t.Fatalf("version list: %v\n%s", err, vl)
	}
	id := strings.Fields(strings.Split(strings.TrimSpace(vl), "\n")[1])[0]
	run(t, "pinning", "version", "remove", "bank-app", id)
	fail(t, "ERROR_NOT_FOUND", "pinning", "version", "remove", "bank-app", id)
	run(t, "pinning", "text", "remove", "update", "en")

	// Removal and the purge.
	run(t, "pinning", "cert", "remove", "bank-app", "--domain", "api.example.com", "--fingerprint", fp)
	fail(t, "ERROR_NOT_FOUND", "pinning", "cert", "remove", "bank-app", "--domain", "api.example.com", "--fingerprint", fp)
	run(t, "pinning", "domain", "remove", "bank-app", "--domain", "127.0.0.1")
	if out := run(t, "pinning", "cert", "purge-expired"); out["removed"] != "0" {
		t.Fatalf("purge-expired printed %v", out)
	}
	fail(t, "APP_NOT_FOUND", "pinning", "app", "show", "nope")
}
