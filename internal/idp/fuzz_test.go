package idp

import (
	"context"
	"errors"
	"testing"
)

// FuzzParseHTTPAnswer feeds arbitrary backend answers to the parser: it
// returns a valid user id or ErrUnavailable, and never panics.
func FuzzParseHTTPAnswer(f *testing.F) {
	for _, s := range []string{`{"userId":"u-1"}`, `{"userId":""}`, `{"userId":null}`, `{"userId":7}`, `[]`, ``, `{"userId":"a\u0000b"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		id, err := parseHTTPAnswer(raw)
		if err != nil {
			if !errors.Is(err, ErrUnavailable) || id != "" {
				t.Fatalf("got %q, %v", id, err)
			}
			return
		}
		if checkUserID(id) != nil {
			t.Fatalf("accepted invalid user id %q", id)
		}
	})
}

// FuzzParseStatic feeds arbitrary static user files to both parsers; a
// parsed provider must answer any attributes without panicking.
func FuzzParseStatic(f *testing.F) {
	f.Add([]byte("users:\n  a: {password: x}\n"), "yaml")
	f.Add([]byte(`{"users":{"a":{"userId":"1","password":"x"}}}`), "json")
	f.Add([]byte("usernameAttribute: l\nusers: {b: {passwordSha256: 00}}\n"), "yaml")
	f.Fuzz(func(t *testing.T, data []byte, format string) {
		p, err := ParseStatic(data, format)
		if err != nil {
			return
		}
		for name := range p.users {
			if _, err := p.Resolve(context.Background(), map[string]any{p.userAttr: name, p.passAttr: "guess"}); err != nil && !errors.Is(err, ErrInvalidCredentials) {
				t.Fatalf("unexpected error %v", err)
			}
		}
	})
}
