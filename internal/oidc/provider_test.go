package oidc

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestFindProvider(t *testing.T) {
	full := `{"providerId":"p","clientId":"c","clientSecret":"s","issuerUri":"https://idp.example","redirectUri":"app://cb"}`
	values := []json.RawMessage{json.RawMessage(`{"providerId":"other","clientId":"c","clientSecret":"s","issuerUri":"https://x","redirectUri":"app://cb"}`), json.RawMessage(full)}
	tests := []struct {
		name     string
		values   []json.RawMessage
		provider string
		ok       bool
	}{
		{"found", values, "p", true},
		{"unknown", values, "nope", false},
		{"blank id", values, " ", false},
		{"no values", nil, "p", false},
		{"not an object", []json.RawMessage{json.RawMessage(`"p"`)}, "p", false},
		{"incomplete", []json.RawMessage{json.RawMessage(`{"providerId":"p","clientId":"c"}`)}, "p", false},
		{"wrong types", []json.RawMessage{json.RawMessage(`{"providerId":"p","pkceEnabled":"yes"}`)}, "p", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := FindProvider(tc.values, tc.provider)
			if tc.ok != (err == nil) {
				t.Fatalf("FindProvider = %+v, %v; want ok=%v", p, err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrNotConfigured) {
				t.Fatalf("error %v does not wrap ErrNotConfigured", err)
			}
			if tc.ok && (p.ProviderID != "p" || p.ClientSecret != "s") {
				t.Fatalf("wrong entry %+v", p)
			}
		})
	}
}

func TestProviderAlgorithmPinned(t *testing.T) {
	tests := []struct {
		alg  string
		want string
		ok   bool
	}{
		{"", "RS256", true},
		{"RS256", "RS256", true},
		{"ES256", "ES256", true},
		{"PS512", "PS512", true},
		{"none", "", false},
		{"HS256", "", false},
		{"rs256", "", false},
	}
	for _, tc := range tests {
		got, err := Provider{ProviderID: "p", SignatureAlgorithm: tc.alg}.algorithm()
		if tc.ok != (err == nil) || got != tc.want {
			t.Errorf("algorithm(%q) = %q, %v; want %q ok=%v", tc.alg, got, err, tc.want, tc.ok)
		}
	}
}

func TestProviderAuthMethod(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"", AuthClientSecretBasic, true},
		{AuthClientSecretBasic, AuthClientSecretBasic, true},
		{AuthClientSecretPost, AuthClientSecretPost, true},
		{"private_key_jwt", "", false},
	}
	for _, tc := range tests {
		got, err := Provider{ClientAuthenticationMethod: tc.in}.authMethod()
		if tc.ok != (err == nil) || got != tc.want {
			t.Errorf("authMethod(%q) = %q, %v", tc.in, got, err)
		}
	}
}

func TestParseIdentity(t *testing.T) {
	long := make([]byte, maxAttribute+1)
	for i := range long {
		long[i] = 'a'
	}
	ok := func() map[string]any {
		return map[string]any{"method": "oidc", "providerId": "p", "code": "c", "nonce": "n", "codeVerifier": "v"}
	}
	with := func(k string, v any) map[string]any {
		m := ok()
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name  string
		attrs map[string]any
		want  *Identity
	}{
		{"complete", ok(), &Identity{ProviderID: "p", Code: "c", Nonce: "n", CodeVerifier: "v"}},
		{"no verifier", with("codeVerifier", nil), &Identity{ProviderID: "p", Code: "c", Nonce: "n"}},
		{"other method", with("method", "password"), nil},
		{"no method", with("method", nil), nil},
		{"no provider", with("providerId", nil), nil},
		{"blank code", with("code", " "), nil},
		{"no nonce", with("nonce", nil), nil},
		{"code not a string", with("code", 12.0), nil},
		{"verifier not a string", with("codeVerifier", true), nil},
		{"code too long", with("code", string(long)), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseIdentity(tc.attrs)
			if tc.want == nil {
				if err == nil || !errors.Is(err, ErrInvalidRequest) {
					t.Fatalf("ParseIdentity = %+v, %v; want ErrInvalidRequest", got, err)
				}
				return
			}
			if err != nil || got != *tc.want {
				t.Fatalf("ParseIdentity = %+v, %v; want %+v", got, err, *tc.want)
			}
		})
	}
}

// FuzzParseIdentity feeds decoded JSON objects (device input) to
// ParseIdentity: it never panics, and what it accepts is complete.
func FuzzParseIdentity(f *testing.F) {
	f.Add([]byte(`{"method":"oidc","providerId":"p","code":"c","nonce":"n","codeVerifier":"v"}`))
	f.Add([]byte(`{"method":"oidc","providerId":"p","code":"c","nonce":"n"}`))
	f.Add([]byte(`{"method":"oidc","providerId":null,"code":1,"nonce":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var attrs map[string]any
		if json.Unmarshal(data, &attrs) != nil {
			return
		}
		id, err := ParseIdentity(attrs)
		if err != nil {
			return
		}
		if id.ProviderID == "" || id.Code == "" || id.Nonce == "" || len(id.Code) > maxAttribute {
			t.Fatalf("accepted incomplete identity %+v", id)
		}
	})
}
