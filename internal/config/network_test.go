package config

import (
	"errors"
	"net/netip"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/mauth/mauth/internal/app"
	"github.com/mauth/mauth/internal/coreclient"
)

// TestNetworkKeys: trusted proxies, the client address header, TLS files
// and the no-authentication rule, each validated naming its key and
// carried into the app's settings.
func TestNetworkKeys(t *testing.T) {
	cert := writeFile(t, "srv.crt", "PEM")
	key := writeFile(t, "srv.key", "PEM")
	missing := filepath.Join(t.TempDir(), "missing.pem")
	tests := []struct {
		name    string
		env     map[string]string
		wantKey string // a validation error naming this key (the missing one of a pair)
		check   func(t *testing.T, ac app.Config)
	}{
		{name: "defaults", check: func(t *testing.T, ac app.Config) {
			if len(ac.Proxies.Trusted) != 0 || ac.Proxies.Header != app.HeaderXForwardedFor {
				t.Fatalf("proxies %+v", ac.Proxies)
			}
			if ac.PublicTLS != (app.TLSConfig{}) || ac.PrivateTLS != (app.TLSConfig{}) {
				t.Fatal("TLS on by default")
			}
		}},
		{name: "trusted proxies", env: map[string]string{"MAUTH_PUBLIC_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8", "MAUTH_PUBLIC_CLIENT_IP_HEADER": "Forwarded"},
			check: func(t *testing.T, ac app.Config) {
				want := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8")}
				if !reflect.DeepEqual(ac.Proxies.Trusted, want) || ac.Proxies.Header != "Forwarded" {
					t.Fatalf("proxies %+v", ac.Proxies)
				}
			}},
		{name: "bad proxy", env: map[string]string{"MAUTH_PUBLIC_TRUSTED_PROXIES": "proxy.local"}, wantKey: "public.trusted_proxies"},
		{name: "bad header", env: map[string]string{"MAUTH_PUBLIC_CLIENT_IP_HEADER": "X-Real-IP"}, wantKey: "public.client_ip_header"},
		{name: "TLS files", env: map[string]string{"MAUTH_PUBLIC_TLS_CERT_FILE": cert, "MAUTH_PUBLIC_TLS_KEY_FILE": key,
			"MAUTH_PRIVATE_TLS_CERT_FILE": cert, "MAUTH_PRIVATE_TLS_KEY_FILE": key, "MAUTH_PRIVATE_TLS_CLIENT_CA_FILE": cert},
			check: func(t *testing.T, ac app.Config) {
				if ac.PublicTLS != (app.TLSConfig{CertFile: cert, KeyFile: key}) || ac.PrivateTLS != (app.TLSConfig{CertFile: cert, KeyFile: key, ClientCAFile: cert}) {
					t.Fatalf("TLS %+v %+v", ac.PublicTLS, ac.PrivateTLS)
				}
			}},
		{name: "certificate without key", env: map[string]string{"MAUTH_PUBLIC_TLS_CERT_FILE": cert}, wantKey: "public.tls_key_file"},
		{name: "key without certificate", env: map[string]string{"MAUTH_PRIVATE_TLS_KEY_FILE": key}, wantKey: "private.tls_cert_file"},
		{name: "unreadable certificate", env: map[string]string{"MAUTH_PRIVATE_TLS_CERT_FILE": missing, "MAUTH_PRIVATE_TLS_KEY_FILE": key}, wantKey: "private.tls_cert_file"},
		{name: "unreadable key", env: map[string]string{"MAUTH_PUBLIC_TLS_CERT_FILE": cert, "MAUTH_PUBLIC_TLS_KEY_FILE": missing}, wantKey: "public.tls_key_file"},
		{name: "client CA without TLS", env: map[string]string{"MAUTH_PRIVATE_TLS_CLIENT_CA_FILE": cert}, wantKey: "private.tls_client_ca_file"},
		{name: "unreadable client CA", env: map[string]string{"MAUTH_PRIVATE_TLS_CERT_FILE": cert, "MAUTH_PRIVATE_TLS_KEY_FILE": key, "MAUTH_PRIVATE_TLS_CLIENT_CA_FILE": missing}, wantKey: "private.tls_client_ca_file"},
		{name: "core TLS", env: map[string]string{"MAUTH_SERVER_ROLE": "enrollment", "MAUTH_CORE_URL": "https://core:8081", "MAUTH_CORE_TLS_CA_FILE": cert, "MAUTH_CORE_TLS_CERT_FILE": cert, "MAUTH_CORE_TLS_KEY_FILE": key},
			check: func(t *testing.T, ac app.Config) {
				if ac.CoreTLS != (coreclient.TLSFiles{CAFile: cert, CertFile: cert, KeyFile: key}) {
					t.Fatalf("core TLS %+v", ac.CoreTLS)
				}
			}},
		{name: "core TLS outside enrollment", env: map[string]string{"MAUTH_CORE_TLS_CA_FILE": cert}, wantKey: "core.tls_ca_file"},
		{name: "core client certificate without key", env: map[string]string{"MAUTH_SERVER_ROLE": "enrollment", "MAUTH_CORE_URL": "https://core:8081", "MAUTH_CORE_TLS_CERT_FILE": cert}, wantKey: "core.tls_key_file"},
		{name: "no authentication on a wildcard address", env: map[string]string{"MAUTH_PRIVATE_RESTRICT_ACCESS": "false", "MAUTH_PRIVATE_ADDR": ":8081"}, wantKey: "private.restrict_access"},
		{name: "no authentication on a private network address", env: map[string]string{"MAUTH_PRIVATE_RESTRICT_ACCESS": "false", "MAUTH_PRIVATE_ADDR": "10.0.0.5:8081"}, wantKey: "private.restrict_access"},
		{name: "no authentication on loopback", env: map[string]string{"MAUTH_PRIVATE_RESTRICT_ACCESS": "false", "MAUTH_PRIVATE_ADDR": "[::1]:8081"},
			check: func(t *testing.T, ac app.Config) {
				if ac.RestrictAccess {
					t.Fatal("restrict_access false not applied")
				}
			}},
		{name: "no private listener in the enrollment role", env: map[string]string{"MAUTH_SERVER_ROLE": "enrollment", "MAUTH_CORE_URL": "http://core:8081", "MAUTH_PRIVATE_RESTRICT_ACCESS": "false", "MAUTH_PRIVATE_ADDR": ":8081"},
			check: func(t *testing.T, ac app.Config) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load("", env(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			err = c.Validate()
			if tt.wantKey != "" {
				var ke *KeyError
				if !errors.As(err, &ke) || ke.Key != tt.wantKey {
					t.Fatalf("Validate: %v, want an error naming %s", err, tt.wantKey)
				}
				return
			}
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			ac, err := c.App()
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, ac)
		})
	}
}
