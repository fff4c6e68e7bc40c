package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/app"
)

// TestServeBusyPortCreatesNothing: `mauth serve` on a busy port fails
// with a message naming the listener, and leaves no data folder, server
// key, database or printed credentials behind.
func TestServeBusyPortCreatesNothing(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, which := range []string{"public", "private"} {
		t.Run(which, func(t *testing.T) {
			dataDir := filepath.Join(t.TempDir(), "data")
			pub, priv := "127.0.0.1:0", "127.0.0.1:0"
			if which == "public" {
				pub = busy.Addr().String()
			} else {
				priv = busy.Addr().String()
			}
			var out bytes.Buffer
			cmd := newRootCommand()
			cmd.SetOut(&out)
			cmd.SetErr(io.Discard)
			cmd.SetArgs([]string{"serve", "--data-dir", dataDir, "--public-addr", pub, "--private-addr", priv})
			err := cmd.ExecuteContext(context.Background())
			if err == nil || !strings.Contains(err.Error(), which+" listener") || !strings.Contains(err.Error(), "address already in use") {
				t.Fatalf("serve: %v; want the %s listener's bind error", err, which)
			}
			if _, err := os.Stat(dataDir); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("the failed start created %s (%v)", dataDir, err)
			}
			if strings.Contains(out.String(), "client secret") || strings.Contains(out.String(), "server key") {
				t.Fatalf("the failed start printed credentials or a key path:\n%s", out.String())
			}
		})
	}
}

// TestNoPrivateAuthNeedsLoopback: --insecure-no-private-auth (or
// private.restrict_access false) with a non-loopback private address is
// refused by `mauth config check` and `mauth serve`.
func TestNoPrivateAuthNeedsLoopback(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	path := writeConfig(t, "private:\n  addr: 0.0.0.0:8081\n  restrict_access: false\n")
	fail(t, "private.restrict_access", "config", "check", "--config", path)
	fail(t, "loopback", "serve", "--data-dir", dataDir, "--public-addr", "127.0.0.1:0", "--private-addr", "0.0.0.0:0", "--insecure-no-private-auth")
	ok := writeConfig(t, "private:\n  addr: 127.0.0.1:8081\n  restrict_access: false\n")
	if out, err := execute(t, "config", "check", "--config", ok); err != nil {
		t.Fatalf("no auth on loopback: %v\n%s", err, out)
	}
	t.Setenv("MAUTH_PRIVATE_ADDR", ":0")
	fail(t, "loopback", "serve", "--data-dir", dataDir, "--public-addr", "127.0.0.1:0", "--insecure-no-private-auth")
	if _, err := os.Stat(dataDir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a refused start created %s", dataDir)
	}
}

// pemCA is a throwaway CA for the CLI TLS test.
type pemCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newPEMCA(t *testing.T, dir, name string) (*pemCA, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &pemCA{cert: cert, key: key}, writePEM(t, dir, name+".pem", "CERTIFICATE", der)
}

// leaf issues a certificate for 127.0.0.1 usable by servers and clients.
func (ca *pemCA) leaf(t *testing.T, dir, name string) (string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: name}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kd, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return writePEM(t, dir, name+".crt", "CERTIFICATE", der), writePEM(t, dir, name+".key", "EC PRIVATE KEY", kd)
}

func writePEM(t *testing.T, dir, name, typ string, der []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCLIOverMutualTLS: the administration commands reach an https
// private API that requires a client certificate, with the CA and the
// client certificate from flags or from the environment; without the
// client certificate the call fails.
func TestCLIOverMutualTLS(t *testing.T) {
	dir := t.TempDir()
	serverCA, serverCAFile := newPEMCA(t, dir, "server-ca")
	clientCA, clientCAFile := newPEMCA(t, dir, "client-ca")
	srvCert, srvKey := serverCA.leaf(t, dir, "server")
	cliCert, cliKey := clientCA.leaf(t, dir, "backend")

	cfg := app.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.PublicAddr, cfg.PrivateAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.PrivateTLS = app.TLSConfig{CertFile: srvCert, KeyFile: srvKey, ClientCAFile: clientCAFile}
	var out strings.Builder
	cfg.Out = &out
	a, err := app.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Listen(context.Background()); err != nil {
		a.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		a.Close()
	})
	fields := parseFields(out.String())
	t.Setenv(envClientToken, fields["client token"])
	t.Setenv(envClientSecret, fields["client secret"])
	url := "https://" + a.PrivateAddr().String()

	if out, err := execute(t, "app", "create", "tls-app", "--url", url, "--tls-ca-file", serverCAFile, "--tls-cert-file", cliCert, "--tls-key-file", cliKey); err != nil {
		t.Fatalf("app create over mutual TLS (flags): %v\n%s", err, out)
	}
	// Without a client certificate the server refuses the handshake. Under
	// TLS 1.3 the client learns it only after its own side of the
	// handshake, so depending on timing the transport reports the alert
	// ("certificate required"), a lost HTTP/2 connection or a broken pipe:
	// any of them is a connection the server refused, never an answer.
	if out, err := execute(t, "app", "list", "--url", url, "--tls-ca-file", serverCAFile); err == nil ||
		!(strings.Contains(err.Error(), "certificate") || strings.Contains(err.Error(), "unreachable")) {
		t.Fatalf("app list without a client certificate: err %v, output %q; want a refused connection", err, out)
	}
	fail(t, "certificate", "app", "list", "--url", url) // the system roots do not know the test CA
	t.Setenv(envPrivateURL, url)
	t.Setenv(envTLSCAFile, serverCAFile)
	t.Setenv(envTLSCertFile, cliCert)
	t.Setenv(envTLSKeyFile, cliKey)
	out2, err := execute(t, "app", "list")
	if err != nil || !strings.Contains(out2, "tls-app") {
		t.Fatalf("app list over mutual TLS (environment): %v\n%s", err, out2)
	}
	fail(t, "both", "app", "list", "--tls-key-file", "")
}
