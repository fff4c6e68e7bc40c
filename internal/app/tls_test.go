package app

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/coreclient"
)

// testCA is a throwaway certificate authority.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue returns PEM certificate and key of a leaf named cn, valid for
// 127.0.0.1 (server) and as a client.
func (ca *testCA) issue(t *testing.T, cn string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kd, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd})
}

// writeFile writes b to dir/name (0600) and returns the path.
func writeFile(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// replaceFile replaces path atomically (write a new file, rename it over),
// as certificate tools do.
func replaceFile(t *testing.T, path string, b []byte) {
	t.Helper()
	tmp := path + ".new"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// tlsFiles issues a leaf and writes it; it returns the cert and key paths.
func tlsFiles(t *testing.T, ca *testCA, dir, cn string) (string, string) {
	t.Helper()
	c, k := ca.issue(t, cn)
	return writeFile(t, dir, cn+".crt", c), writeFile(t, dir, cn+".key", k)
}

// TestTLSListeners serves both listeners over TLS with mutual TLS on the
// private one: HTTP/2 is negotiated, a client without a certificate (or
// with one from another CA) is refused, and the admin client (coreclient,
// as the CLI and the enrollment role use it) works with the CA and a
// client certificate.
func TestTLSListeners(t *testing.T) {
	dir := t.TempDir()
	serverCA, clientCA, otherCA := newTestCA(t, "server CA"), newTestCA(t, "client CA"), newTestCA(t, "other CA")
	pubCert, pubKey := tlsFiles(t, serverCA, dir, "public")
	privCert, privKey := tlsFiles(t, serverCA, dir, "private")
	cliCert, cliKey := tlsFiles(t, clientCA, dir, "backend")
	c := testConfig(t, RoleAll)
	c.PublicTLS = TLSConfig{CertFile: pubCert, KeyFile: pubKey}
	c.PrivateTLS = TLSConfig{CertFile: privCert, KeyFile: privKey, ClientCAFile: writeFile(t, dir, "client-ca.pem", clientCA.pem)}
	r := start(t, c)
	if out := r.out.String(); !strings.Contains(out, "https://"+r.PublicAddr().String()) || !strings.Contains(out, "client certificate required") {
		t.Fatalf("the start message does not show the https listeners:\n%s", out)
	}

	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(serverCA.pem)
	client := func(certs ...tls.Certificate) *http.Client {
		return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: certs}, ForceAttemptHTTP2: true}}
	}
	get := func(cl *http.Client, url string) (*http.Response, error) {
		resp, err := cl.Get(url)
		if err != nil {
			return nil, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp, nil
	}

	resp, err := get(client(), "https://"+r.PublicAddr().String()+LivePath)
	if err != nil {
		t.Fatalf("public listener over TLS: %v", err)
	}
	if resp.StatusCode != http.StatusOK || resp.ProtoMajor != 2 {
		t.Fatalf("public listener: HTTP %d over %s, want 200 over HTTP/2", resp.StatusCode, resp.Proto)
	}
	if resp.TLS == nil || resp.TLS.NegotiatedProtocol != "h2" {
		t.Fatalf("ALPN did not negotiate h2: %+v", resp.TLS)
	}
	// Plain HTTP on a TLS listener gets no API answer.
	if resp, err := http.Get("http://" + r.PublicAddr().String() + LivePath); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Fatal("the TLS listener answered plain HTTP")
		}
	}

	privURL := "https://" + r.PrivateAddr().String()
	if _, err := get(client(), privURL+LivePath); err == nil {
		t.Fatal("the private listener accepted a client without a certificate")
	}
	otherCert, otherKey := otherCA.issue(t, "intruder")
	other, err := tls.X509KeyPair(otherCert, otherKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := get(client(other), privURL+LivePath); err == nil {
		t.Fatal("the private listener accepted a certificate of another CA")
	}
	good, err := tls.LoadX509KeyPair(cliCert, cliKey)
	if err != nil {
		t.Fatal(err)
	}
	resp, err = get(client(good), privURL+LivePath)
	if err != nil || resp.StatusCode != http.StatusOK || resp.ProtoMajor != 2 {
		t.Fatalf("private listener with a client certificate: %v %+v", err, resp)
	}

	// The admin client with the CA and the client certificate files.
	token, secret := r.credentials(t)
	tc, err := coreclient.TLSFiles{CAFile: writeFile(t, dir, "server-ca.pem", serverCA.pem), CertFile: cliCert, KeyFile: cliKey}.Config()
	if err != nil {
		t.Fatal(err)
	}
	admin, err := coreclient.New(coreclient.Options{BaseURL: privURL, ClientToken: token, ClientSecret: secret, TLS: tc})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.SystemStatus(t.Context()); err != nil {
		t.Fatalf("admin client over mutual TLS: %v", err)
	}
	noCert, err := coreclient.TLSFiles{CAFile: filepath.Join(dir, "server-ca.pem")}.Config()
	if err != nil {
		t.Fatal(err)
	}
	anon, _ := coreclient.New(coreclient.Options{BaseURL: privURL, ClientToken: token, ClientSecret: secret, TLS: noCert})
	if _, err := anon.SystemStatus(t.Context()); err == nil {
		t.Fatal("the admin client without a client certificate was served")
	}
}

// TestTLSCertificateReload replaces the certificate files of a running
// listener and sees the new certificate on the next handshake; files that
// do not load keep the previous certificate in service.
func TestTLSCertificateReload(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, "CA")
	certPath, keyPath := tlsFiles(t, ca, dir, "one")
	c := testConfig(t, RoleAll)
	c.PublicTLS = TLSConfig{CertFile: certPath, KeyFile: keyPath}
	r := start(t, c)
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca.pem)
	served := func() string {
		t.Helper()
		conn, err := tls.Dial("tcp", r.PublicAddr().String(), &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"})
		if err != nil {
			t.Fatalf("handshake: %v", err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].Subject.CommonName
	}
	if cn := served(); cn != "one" {
		t.Fatalf("served %q, want one", cn)
	}
	cert2, key2 := ca.issue(t, "two")
	replaceFile(t, keyPath, key2)
	replaceFile(t, certPath, cert2)
	if cn := served(); cn != "two" {
		t.Fatalf("after replacing the files: served %q, want two", cn)
	}
	// A half-finished renewal (a new certificate with the old key) does
	// not load: the last good certificate stays in service.
	cert3, _ := ca.issue(t, "three")
	replaceFile(t, certPath, cert3)
	if cn := served(); cn != "two" {
		t.Fatalf("with mismatched files: served %q, want two", cn)
	}
	cert4, key4 := ca.issue(t, "four")
	replaceFile(t, keyPath, key4)
	replaceFile(t, certPath, cert4)
	if cn := served(); cn != "four" {
		t.Fatalf("after the renewal completed: served %q, want four", cn)
	}
}

// TestTLSConfigValidation: certificate and key both or neither, files
// that load, mutual TLS on the private listener only.
func TestTLSConfigValidation(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, "CA")
	cert, key := tlsFiles(t, ca, dir, "srv")
	caFile := writeFile(t, dir, "ca.pem", ca.pem)
	garbage := writeFile(t, dir, "garbage.pem", []byte("not PEM"))
	missing := filepath.Join(dir, "missing.pem")
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"certificate without key", func(c *Config) { c.PublicTLS = TLSConfig{CertFile: cert} }, "both"},
		{"key without certificate", func(c *Config) { c.PrivateTLS = TLSConfig{KeyFile: key} }, "both"},
		{"missing file", func(c *Config) { c.PublicTLS = TLSConfig{CertFile: missing, KeyFile: key} }, "missing.pem"},
		{"not a certificate", func(c *Config) { c.PrivateTLS = TLSConfig{CertFile: garbage, KeyFile: key} }, "garbage.pem"},
		{"client CA on the public listener", func(c *Config) { c.PublicTLS = TLSConfig{CertFile: cert, KeyFile: key, ClientCAFile: caFile} }, "private listener only"},
		{"client CA without TLS", func(c *Config) { c.PrivateTLS = TLSConfig{ClientCAFile: caFile} }, "needs the certificate"},
		{"client CA not PEM", func(c *Config) { c.PrivateTLS = TLSConfig{CertFile: cert, KeyFile: key, ClientCAFile: garbage} }, "no PEM certificate"},
		{"core TLS in the all role", func(c *Config) { c.CoreTLS = coreclient.TLSFiles{CAFile: caFile} }, "enrollment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testConfig(t, RoleAll)
			tt.edit(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate: %v, want an error containing %q", err, tt.want)
			}
			if _, err := New(t.Context(), c); err == nil {
				t.Fatal("New accepted it")
			}
			if _, err := os.Stat(filepath.Join(c.DataDir, "server.key")); err == nil {
				t.Fatal("a refused configuration created the server key")
			}
		})
	}
	ok := testConfig(t, RoleAll)
	ok.PublicTLS = TLSConfig{CertFile: cert, KeyFile: key}
	ok.PrivateTLS = TLSConfig{CertFile: cert, KeyFile: key, ClientCAFile: caFile}
	if err := ok.Validate(); err != nil {
		t.Fatalf("a valid TLS configuration: %v", err)
	}
}

// TestEnrollmentToCoreOverMutualTLS: an enrollment node reaches a core
// whose private listener requires mutual TLS with core.tls_* files; its
// readiness check (a call to the core) is UP, and without the client
// certificate it is DOWN.
func TestEnrollmentToCoreOverMutualTLS(t *testing.T) {
	dir := t.TempDir()
	serverCA, clientCA := newTestCA(t, "server CA"), newTestCA(t, "client CA")
	privCert, privKey := tlsFiles(t, serverCA, dir, "core")
	cliCert, cliKey := tlsFiles(t, clientCA, dir, "enrollment")
	caFile := writeFile(t, dir, "server-ca.pem", serverCA.pem)
	cc := testConfig(t, RoleCore)
	cc.RestrictAccess = false
	cc.PrivateTLS = TLSConfig{CertFile: privCert, KeyFile: privKey, ClientCAFile: writeFile(t, dir, "client-ca.pem", clientCA.pem)}
	core := start(t, cc)
	for _, tt := range []struct {
		name  string
		files coreclient.TLSFiles
		ready int
	}{
		{"with a client certificate", coreclient.TLSFiles{CAFile: caFile, CertFile: cliCert, KeyFile: cliKey}, http.StatusOK},
		{"without a client certificate", coreclient.TLSFiles{CAFile: caFile}, http.StatusServiceUnavailable},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ec := testConfig(t, RoleEnrollment)
			ec.CoreURL = "https://" + core.PrivateAddr().String()
			ec.CoreTLS = tt.files
			e := start(t, ec)
			if code, _, _ := get(t, "http://"+e.PublicAddr().String()+ReadyPath, nil); code != tt.ready {
				t.Fatalf("enrollment readiness: HTTP %d, want %d", code, tt.ready)
			}
		})
	}
}
