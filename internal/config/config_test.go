package config

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite docs/configuration.md")

const docsPath = "../../docs/configuration.md"

func TestReferenceDocs(t *testing.T) {
	want := Reference()
	if *updateDocs {
		if err := os.WriteFile(docsPath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatalf("%v (run go generate ./internal/config)", err)
	}
	if string(got) != want {
		t.Fatal("docs/configuration.md is stale: run go generate ./internal/config")
	}
}

// env is a fake environment.
func env(m map[string]string) LookupEnv {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadLayers(t *testing.T) {
	pw := writeFile(t, "pw", "s3cret-pw\n")
	file := writeFile(t, "mauth.yaml", `
server:
  role: core
  data_dir: /var/lib/mauth
public:
  addr: 127.0.0.1:9000
private:
  addr: 127.0.0.1:9001
database:
  url: postgres://mauth@db:5432/mauth
  password_file: `+pw+`
log:
  level: debug
service:
  activation_validity: 10m
  signature_look_ahead: 30
`)
	c, err := Load(file, env(map[string]string{
		"MAUTH_PRIVATE_ADDR":                        "127.0.0.1:9100",
		"MAUTH_SERVICE_VAULT_UNLOCK_ALLOW_BIOMETRY": "true",
		"MAUTH_DATABASE":                            "sqlite:ignored.db", // the canonical name is not set, but the file's url is overridden by it
	}))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "database.password") {
		t.Fatalf("a password with a SQLite URL: %v", err)
	}
	c, err = Load(file, env(map[string]string{
		"MAUTH_PRIVATE_ADDR":                        "127.0.0.1:9100",
		"MAUTH_SERVICE_VAULT_UNLOCK_ALLOW_BIOMETRY": "true",
		"MAUTH_PRIVATE_CONSOLE_IDLE_TIMEOUT":        "15m",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	checks := []struct{ got, want any }{
		{c.Server.Role, "core"},
		{c.Server.DataDir, "/var/lib/mauth"},
		{c.Public.Addr, "127.0.0.1:9000"},
		{c.Private.Addr, "127.0.0.1:9100"}, // env over file
		{c.Private.RestrictAccess, true},   // default
		{c.Database.Password, "s3cret-pw"}, // from the file, newline trimmed
		{c.Log.Level, "debug"},
		{c.Service.ActivationValidity, 10 * time.Minute},
		{c.Service.SignatureLookAhead, 30},
		{c.Service.VaultUnlockAllowBiometry, true},
		{c.Service.SignatureMaxFailedAttempts, int64(5)},
	}
	for i, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("check %d: got %v, want %v", i, ch.got, ch.want)
		}
	}
	eff := c.Effective()
	if strings.Contains(eff, "s3cret-pw") || !strings.Contains(eff, "password: '"+Masked+"'") {
		t.Fatalf("effective configuration shows the secret:\n%s", eff)
	}
	ac, err := c.App()
	if err != nil {
		t.Fatal(err)
	}
	if ac.DatabaseURL != "postgres://mauth:s3cret-pw@db:5432/mauth" || ac.PrivateAddr != "127.0.0.1:9100" || ac.Service.SignatureLookAhead != 30 ||
		ac.Console.IdleTimeout != 15*time.Minute || ac.Console.AbsoluteTimeout != 0 {
		t.Fatalf("app config %+v", ac)
	}
}

func TestEveryKeyHasAnEnvOverride(t *testing.T) {
	for _, f := range Fields() {
		if f.Doc == "" {
			t.Errorf("%s has no doc", f.Key)
		}
		var val string
		switch f.Type {
		case "bool":
			val = "true"
		case "integer":
			val = "7"
		case "duration":
			val = "7s"
		default:
			val = "x"
		}
		if f.FileFor != "" {
			val = writeFile(t, "secret", "x")
		}
		c, err := Load("", env(map[string]string{f.Env: val}))
		if err != nil {
			t.Errorf("%s=%s: %v", f.Env, val, err)
			continue
		}
		for _, g := range fields(&c) {
			if g.Key == f.Key && g.String() != val && !(f.Type == "bool" && g.String() == "true") {
				t.Errorf("%s=%s left %s = %q", f.Env, val, f.Key, g.String())
			}
		}
	}
	if c, err := Load("", env(map[string]string{"MAUTH_DATABASE": "sqlite:/tmp/x.db"})); err != nil || c.Database.URL != "sqlite:/tmp/x.db" {
		t.Fatalf("legacy MAUTH_DATABASE: %q %v", c.Database.URL, err)
	}
}

func TestBadConfigurationNamesTheKey(t *testing.T) {
	secret := writeFile(t, "secret", "x")
	tests := []struct {
		name, yaml string
		env        map[string]string
		key        string
	}{
		{"unknown section", "servr:\n  role: all\n", nil, "servr"},
		{"unknown key", "server:\n  rol: all\n", nil, "server.rol"},
		{"bad integer", "service:\n  signature_look_ahead: many\n", nil, "service.signature_look_ahead"},
		{"bad duration", "core:\n  timeout: soon\n", nil, "core.timeout"},
		{"bad bool", "private:\n  restrict_access: maybe\n", nil, "private.restrict_access"},
		{"nested value", "public:\n  addr: [a, b]\n", nil, "public.addr"},
		{"bad role", "server:\n  role: both\n", nil, "server.role"},
		{"bad address", "public:\n  addr: localhost\n", nil, "public.addr"},
		{"bad database", "database:\n  url: mysql://x\n", nil, "database.url"},
		{"bad sqlite durability", "database:\n  sqlite_synchronous: OFF\n", nil, "database.sqlite_synchronous"},
		{"range", "service:\n  offline_signature_component_length: 9\n", nil, "service.offline_signature_component_length"},
		{"log level", "log:\n  level: loud\n", nil, "log.level"},
		{"core outside enrollment", "core:\n  url: http://core\n", nil, "core.url"},
		{"enrollment without core", "server:\n  role: enrollment\n", nil, "core.url"},
		{"missing secret file", "database:\n  url: postgres://x/y\n  password_file: /nonexistent/pw\n", nil, "database.password_file"},
		{"secret twice", "database:\n  url: postgres://x/y\n  password: a\n  password_file: " + secret + "\n", nil, "database.password_file"},
		{"bad env", "", map[string]string{"MAUTH_SERVICE_SIGNATURE_LOOK_AHEAD": "x"}, "MAUTH_SERVICE_SIGNATURE_LOOK_AHEAD"},
		{"not YAML", "server: [", nil, "not valid YAML"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(writeFile(t, "c.yaml", tt.yaml), env(tt.env))
			if err == nil {
				err = c.Validate()
			}
			if err == nil || !strings.Contains(err.Error(), tt.key) {
				t.Fatalf("error %v does not name %q", err, tt.key)
			}
			var ke *KeyError
			if tt.name != "not YAML" && !errors.As(err, &ke) {
				t.Fatalf("error %T is not a *KeyError", err)
			}
		})
	}
}

func TestSecretNeverInErrors(t *testing.T) {
	_, err := Load(writeFile(t, "c.yaml", ""), env(map[string]string{"MAUTH_SERVER_KEY": "topsecret", "MAUTH_CORE_TIMEOUT": "x"}))
	if err == nil || strings.Contains(err.Error(), "topsecret") {
		t.Fatalf("err %v", err)
	}
	c := Default()
	c.Server.Key, c.Core.ClientSecret, c.IdP.Auth = "k1", "k2", "bearer:k3"
	eff := c.Effective()
	for _, s := range []string{"k1", "k2", "k3"} {
		if strings.Contains(eff, s) {
			t.Fatalf("effective shows %s:\n%s", s, eff)
		}
	}
	if !strings.Contains(Default().Effective(), `key: ""`) {
		t.Fatal("an unset secret should stay empty")
	}
}
