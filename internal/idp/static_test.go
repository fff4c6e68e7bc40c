package idp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func sha(s string) string {
	d := sha256.Sum256([]byte(s))
	return hex.EncodeToString(d[:])
}

func TestStaticResolve(t *testing.T) {
	yamlFile := `
users:
  alice:
    userId: "1001"
    passwordSha256: "` + sha("wonderland") + `"
  bob:
    password: demo
`
	p, err := ParseStatic([]byte(yamlFile), "yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		attrs   map[string]any
		want    string
		wantErr bool
	}{
		{"hashed password", map[string]any{"username": "alice", "password": "wonderland"}, "1001", false},
		{"plain password, user id defaults to the name", map[string]any{"username": "bob", "password": "demo"}, "bob", false},
		{"wrong password", map[string]any{"username": "alice", "password": "Wonderland"}, "", true},
		{"empty password", map[string]any{"username": "alice", "password": ""}, "", true},
		{"missing password", map[string]any{"username": "bob"}, "", true},
		{"unknown user", map[string]any{"username": "carol", "password": "demo"}, "", true},
		{"password not a string", map[string]any{"username": "bob", "password": 1234}, "", true},
		{"username not a string", map[string]any{"username": []any{"bob"}, "password": "demo"}, "", true},
		{"no attributes", nil, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := p.Resolve(context.Background(), tc.attrs)
			if tc.wantErr {
				if !errors.Is(err, ErrInvalidCredentials) || got != "" {
					t.Fatalf("got %q, %v; want invalid credentials", got, err)
				}
				if strings.Contains(err.Error(), "wonderland") || strings.Contains(err.Error(), "demo") {
					t.Fatalf("error leaks the password: %v", err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestStaticJSONAndCustomAttributes(t *testing.T) {
	p, err := ParseStatic([]byte(`{"usernameAttribute":"login","passwordAttribute":"secret","users":{"u1":{"userId":"X-1","password":"pw"}}}`), "json")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := p.Resolve(context.Background(), map[string]any{"login": "u1", "secret": "pw"}); err != nil || got != "X-1" {
		t.Fatalf("got %q, %v", got, err)
	}
	if _, err := p.Resolve(context.Background(), map[string]any{"username": "u1", "password": "pw"}); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("default attribute names accepted: %v", err)
	}
}

func TestParseStaticErrors(t *testing.T) {
	tests := map[string]struct{ data, format string }{
		"unknown format":       {`users: {}`, "toml"},
		"yaml syntax":          {"users: [", "yaml"},
		"yaml unknown field":   {"users:\n  a: {pasword: x}\n", "yaml"},
		"json syntax":          {`{"users":`, "json"},
		"json unknown field":   {`{"user":{}}`, "json"},
		"json trailing data":   {`{"users":{}} {}`, "json"},
		"no password":          {"users:\n  a: {userId: x}\n", "yaml"},
		"both passwords":       {"users:\n  a: {password: x, passwordSha256: " + sha("x") + "}\n", "yaml"},
		"bad digest":           {"users:\n  a: {passwordSha256: abc}\n", "yaml"},
		"empty username":       {"users:\n  '': {password: x}\n", "yaml"},
		"user id too long":     {"users:\n  a: {password: x, userId: " + strings.Repeat("y", 256) + "}\n", "yaml"},
		"same attribute names": {"usernameAttribute: p\npasswordAttribute: p\nusers: {}\n", "yaml"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseStatic([]byte(tc.data), tc.format); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestLoadStatic(t *testing.T) {
	dir := t.TempDir()
	jsonPath := filepath.Join(dir, "users.json")
	yamlPath := filepath.Join(dir, "users.yaml")
	if err := os.WriteFile(jsonPath, []byte(`{"users":{"a":{"password":"x"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(yamlPath, []byte("users:\n  b:\n    password: y\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for path, attrs := range map[string]map[string]any{
		jsonPath: {"username": "a", "password": "x"},
		yamlPath: {"username": "b", "password": "y"},
	} {
		p, err := LoadStatic(path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if _, err := p.Resolve(context.Background(), attrs); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	if _, err := LoadStatic(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Fatal("missing file accepted")
	}
}
