package protocol

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

func hdrTWantToken() TokenHeader {
	return TokenHeader{
		TokenID:   hdrTTokenID,
		Digest:    hdrTDigest,
		Nonce:     hdrTNonce,
		Timestamp: "1691762307382",
		Version:   "3.3",
	}
}

// hdrTTokenFields returns the fields of a valid token header in SDK order, with
// overrides applied (an override value of "\x00" drops the key).
func hdrTTokenFields(over map[string]string) []string {
	kv := []string{
		"version", "3.3",
		"token_id", hdrTTokenID,
		"token_digest", hdrTDigest,
		"nonce", hdrTNonce,
		"timestamp", "1691762307382",
	}
	out := kv[:0:0]
	for i := 0; i < len(kv); i += 2 {
		v, ok := over[kv[i]]
		if !ok {
			v = kv[i+1]
		}
		if v == "\x00" {
			continue
		}
		out = append(out, kv[i], v)
	}
	return out
}

func TestParseTokenHeaderValid(t *testing.T) {
	base := hdrTWantToken()
	upper := strings.ToUpper(hdrTTokenID)
	tests := []struct {
		name  string
		value string
		want  TokenHeader
	}{
		{"sdk order", hdrTAuth(", ", hdrTTokenFields(nil)...), base},
		{"version last", `PowerAuth token_id="` + hdrTTokenID + `", token_digest="` + hdrTDigest + `", nonce="` + hdrTNonce +
			`", timestamp="1691762307382", version="3.3"`, base},
		{"missing comma", `PowerAuth token_id="` + hdrTTokenID + `" token_digest="` + hdrTDigest + `", nonce="` + hdrTNonce +
			`",timestamp="1691762307382"  version="3.3"`, base},
		{"unknown key", hdrTAuth(", ", append(hdrTTokenFields(nil), "extra", "1")...), base},
		{"uppercase token id", hdrTAuth(", ", hdrTTokenFields(map[string]string{"token_id": upper})...),
			TokenHeader{TokenID: upper, Digest: hdrTDigest, Nonce: hdrTNonce, Timestamp: "1691762307382", Version: "3.3"}},
		{"9 digit timestamp", hdrTAuth(", ", hdrTTokenFields(map[string]string{"timestamp": "123456789", "version": "3.0"})...),
			TokenHeader{TokenID: hdrTTokenID, Digest: hdrTDigest, Nonce: hdrTNonce, Timestamp: "123456789", Version: "3.0"}},
		{"15 digit timestamp", hdrTAuth(", ", hdrTTokenFields(map[string]string{"timestamp": "999999999999999", "version": "3.1"})...),
			TokenHeader{TokenID: hdrTTokenID, Digest: hdrTDigest, Nonce: hdrTNonce, Timestamp: "999999999999999", Version: "3.1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTokenHeader(tt.value)
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if *got != tt.want {
				t.Fatalf("got %+v\nwant %+v", *got, tt.want)
			}
		})
	}
}

func TestParseTokenHeaderInvalid(t *testing.T) {
	f := func(over map[string]string) string { return hdrTAuth(", ", hdrTTokenFields(over)...) }
	valid := f(nil)
	tests := []struct {
		name  string
		value string
		err   error
		field string
	}{
		{"empty", "", ErrHeaderEmpty, ""},
		{"huge", "PowerAuth " + strings.Repeat("x", 1<<20), ErrHeaderTooLong, ""},
		{"no prefix", valid[len("PowerAuth "):], ErrHeaderMissingPrefix, ""},
		{"trailing garbage", valid + " !", ErrHeaderMalformed, ""},
		{"duplicate", valid + `, token_id="` + hdrTTokenID + `"`, ErrHeaderDuplicateField, "token_id"},
		{"missing version", f(map[string]string{"version": "\x00"}), ErrHeaderMissingField, "version"},
		{"missing token id", f(map[string]string{"token_id": "\x00"}), ErrHeaderMissingField, "token_id"},
		{"missing digest", f(map[string]string{"token_digest": "\x00"}), ErrHeaderMissingField, "token_digest"},
		{"missing nonce", f(map[string]string{"nonce": "\x00"}), ErrHeaderMissingField, "nonce"},
		{"missing timestamp", f(map[string]string{"timestamp": "\x00"}), ErrHeaderMissingField, "timestamp"},
		{"pa_ prefixed keys are unknown", strings.ReplaceAll(valid, "nonce=", "pa_nonce="), ErrHeaderMissingField, "nonce"},
		{"version 3.4", f(map[string]string{"version": "3.4"}), ErrHeaderInvalidField, "version"},
		{"version empty", f(map[string]string{"version": ""}), ErrHeaderInvalidField, "version"},
		{"token id not uuid", f(map[string]string{"token_id": "token"}), ErrHeaderInvalidField, "token_id"},
		{"token id bad variant", f(map[string]string{"token_id": "d2c1b0a9-8f7e-4d6c-cb5a-493827160504"}), ErrHeaderInvalidField, "token_id"},
		{"digest 16 bytes", f(map[string]string{"token_digest": hdrTB64(16, 1)}), ErrHeaderInvalidField, "token_digest"},
		{"digest 33 bytes", f(map[string]string{"token_digest": hdrTB64(33, 1)}), ErrHeaderInvalidField, "token_digest"},
		{"digest unpadded", f(map[string]string{"token_digest": strings.TrimRight(hdrTDigest, "=")}), ErrHeaderInvalidField, "token_digest"},
		{"nonce 32 bytes", f(map[string]string{"nonce": hdrTB64(32, 1)}), ErrHeaderInvalidField, "nonce"},
		{"nonce empty", f(map[string]string{"nonce": ""}), ErrHeaderInvalidField, "nonce"},
		{"timestamp 8 digits", f(map[string]string{"timestamp": "12345678"}), ErrHeaderInvalidField, "timestamp"},
		{"timestamp 16 digits", f(map[string]string{"timestamp": "1234567890123456"}), ErrHeaderInvalidField, "timestamp"},
		{"timestamp negative", f(map[string]string{"timestamp": "-1691762307382"}), ErrHeaderInvalidField, "timestamp"},
		{"timestamp plus", f(map[string]string{"timestamp": "+1691762307382"}), ErrHeaderInvalidField, "timestamp"},
		{"timestamp decimal point", f(map[string]string{"timestamp": "1691762307.382"}), ErrHeaderInvalidField, "timestamp"},
		{"timestamp empty", f(map[string]string{"timestamp": ""}), ErrHeaderInvalidField, "timestamp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := ParseTokenHeader(tt.value)
			if h != nil {
				t.Fatalf("expected nil header, got %+v", *h)
			}
			hdrTCheckErr(t, err, HeaderToken, tt.err, tt.field)
		})
	}
}

func TestTokenHeaderStringRoundTrip(t *testing.T) {
	h := hdrTWantToken()
	want := `PowerAuth version="3.3", token_id="` + hdrTTokenID + `", token_digest="` + hdrTDigest +
		`", nonce="` + hdrTNonce + `", timestamp="1691762307382"`
	if got := h.String(); got != want {
		t.Fatalf("String() =\n%s\nwant\n%s", got, want)
	}
	for _, v := range Versions {
		h.Version = v
		got, err := ParseTokenHeader(h.String())
		if err != nil {
			t.Fatalf("%s: Parse(String()): %v", v, err)
		}
		if *got != h {
			t.Fatalf("%s: round trip: got %+v want %+v", v, *got, h)
		}
	}
}

func TestTokenHeaderTimestampMillis(t *testing.T) {
	tests := []struct {
		ts   string
		want int64
	}{
		{"1691762307382", 1691762307382},
		{"000000001", 1},
		{"999999999999999", 999999999999999},
		{"12345678", 0},
		{"1234567890123456", 0},
		{"-123456789", 0},
		{"", 0},
	}
	for _, tt := range tests {
		h := TokenHeader{Timestamp: tt.ts}
		if got := h.TimestampMillis(); got != tt.want {
			t.Errorf("TimestampMillis(%q) = %d, want %d", tt.ts, got, tt.want)
		}
	}
}

func TestTokenHeaderBytes(t *testing.T) {
	h := hdrTWantToken()
	n, err := h.NonceBytes()
	if err != nil || !bytes.Equal(n, bytes.Repeat([]byte{0x5c}, 16)) {
		t.Fatalf("NonceBytes = %x, %v", n, err)
	}
	d, err := h.DigestBytes()
	if err != nil || !bytes.Equal(d, bytes.Repeat([]byte{0x7e}, 32)) {
		t.Fatalf("DigestBytes = %x, %v", d, err)
	}
	h.Nonce, h.Digest = hdrTB64(15, 0), hdrTB64(31, 0)
	if _, err := h.NonceBytes(); err == nil {
		t.Fatal("NonceBytes accepted 15 bytes")
	}
	if _, err := h.DigestBytes(); err == nil {
		t.Fatal("DigestBytes accepted 31 bytes")
	}
}

// TestNewTokenHeaderVerify is the client-to-server path: build, format,
// parse, verify.
func TestNewTokenHeaderVerify(t *testing.T) {
	secret := NewTokenSecret()
	for _, v := range Versions {
		t.Run(v, func(t *testing.T) {
			h := NewTokenHeader(hdrTTokenID, secret, v, 1691762307382)
			parsed, err := ParseTokenHeader(h.String())
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if *parsed != h {
				t.Fatalf("round trip: got %+v want %+v", *parsed, h)
			}
			if parsed.TimestampMillis() != 1691762307382 {
				t.Fatalf("TimestampMillis = %d", parsed.TimestampMillis())
			}
			if !parsed.VerifyDigest(secret) {
				t.Fatal("VerifyDigest rejected a fresh header")
			}
			other := append([]byte(nil), secret...)
			other[0] ^= 1
			if parsed.VerifyDigest(other) {
				t.Fatal("VerifyDigest accepted another secret")
			}
			// A different timestamp in the header invalidates the digest.
			tampered := *parsed
			tampered.Timestamp = "1691762307383"
			if tampered.VerifyDigest(secret) {
				t.Fatal("VerifyDigest accepted a changed timestamp")
			}
			// Undecodable fields are rejected, not panicked on.
			tampered = *parsed
			tampered.Nonce = "x"
			if tampered.VerifyDigest(secret) {
				t.Fatal("VerifyDigest accepted a bad nonce")
			}
			tampered = *parsed
			tampered.Digest = "x"
			if tampered.VerifyDigest(secret) {
				t.Fatal("VerifyDigest accepted a bad digest")
			}
		})
	}
	a := NewTokenHeader(hdrTTokenID, secret, Version33, 1)
	b := NewTokenHeader(hdrTTokenID, secret, Version33, 1)
	if a.Nonce == b.Nonce {
		t.Fatal("two headers share a nonce")
	}
	if _, err := base64.StdEncoding.DecodeString(a.Digest); err != nil {
		t.Fatalf("digest is not Base64: %v", err)
	}
}
