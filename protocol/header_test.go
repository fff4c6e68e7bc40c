package protocol

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// Test fixtures shared by the header tests.
var (
	hdrTActivationID = "0b4f3e6a-9c2d-4e1f-8a7b-6c5d4e3f2a1b"
	hdrTAppKey       = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xa1}, 16))
	hdrTNonce        = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x5c}, 16))
	hdrTSig16        = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x01}, 16))
	hdrTSig32        = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x02}, 32))
	hdrTSig48        = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x03}, 48))
	hdrTTokenID      = "d2c1b0a9-8f7e-4d6c-9b5a-493827160504"
	hdrTDigest       = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x7e}, 32))
)

// hdrTB64 returns the standard Base64 of n bytes of value v.
func hdrTB64(n int, v byte) string {
	return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{v}, n))
}

// hdrTCheckErr asserts that err wraps want and, when field is not empty,
// that it is a *HeaderError naming field for header.
func hdrTCheckErr(t *testing.T, err error, header string, want error, field string) {
	t.Helper()
	if err == nil {
		t.Fatalf("expected error %v, got nil", want)
	}
	if !errors.Is(err, want) {
		t.Fatalf("expected errors.Is(%v), got %v", want, err)
	}
	var he *HeaderError
	if !errors.As(err, &he) {
		t.Fatalf("expected *HeaderError, got %T", err)
	}
	if he.Header != header {
		t.Fatalf("Header = %q, want %q", he.Header, header)
	}
	if field != "" && he.Field != field {
		t.Fatalf("Field = %q, want %q (err %v)", he.Field, field, err)
	}
	if he.Error() == "" || !strings.HasPrefix(he.Error(), "protocol: "+header+": ") {
		t.Fatalf("unexpected message %q", he.Error())
	}
}

func TestHeaderIsUUID(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"0b4f3e6a-9c2d-4e1f-8a7b-6c5d4e3f2a1b", true},
		{"0B4F3E6A-9C2D-4E1F-8A7B-6C5D4E3F2A1B", true},
		{"0b4f3e6a-9c2d-1e1f-Ba7b-6c5d4e3f2a1b", true},
		{"0b4f3e6a-9c2d-5e1f-9a7b-6c5d4e3f2a1b", true},
		{"0b4f3e6a-9c2d-0e1f-8a7b-6c5d4e3f2a1b", false},  // version nibble 0
		{"0b4f3e6a-9c2d-6e1f-8a7b-6c5d4e3f2a1b", false},  // version nibble 6
		{"0b4f3e6a-9c2d-4e1f-ca7b-6c5d4e3f2a1b", false},  // variant c
		{"0b4f3e6a-9c2d-4e1f-7a7b-6c5d4e3f2a1b", false},  // variant 7
		{"0b4f3e6a-9c2d-4e1f-8a7b-6c5d4e3f2a1g", false},  // non-hex
		{"0b4f3e6a9c2d-4e1f-8a7b-6c5d4e3f2a1b0", false},  // dash misplaced
		{"0b4f3e6a-9c2d-4e1f-8a7b-6c5d4e3f2a1", false},   // short
		{"0b4f3e6a-9c2d-4e1f-8a7b-6c5d4e3f2a1bb", false}, // long
		{"{0b4f3e6a-9c2d-4e1f-8a7b-6c5d4e3f2a1}", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := hdrIsUUID(tt.in); got != tt.want {
			t.Errorf("hdrIsUUID(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestHeaderDecodeB64Len(t *testing.T) {
	tests := []struct {
		name string
		in   string
		n    int
		ok   bool
	}{
		{"16 bytes", "AAAAAAAAAAAAAAAAAAAAAA==", 16, true},
		{"32 bytes", hdrTB64(32, 0xff), 32, true},
		{"wrong length", "AAAAAAAAAAAAAAAAAAAAAA==", 15, false},
		{"15 bytes", hdrTB64(15, 1), 16, false},
		{"17 bytes", hdrTB64(17, 1), 16, false},
		{"unpadded", "AAAAAAAAAAAAAAAAAAAAAA", 16, false},
		{"non-canonical trailing bits", "AAAAAAAAAAAAAAAAAAAAAB==", 16, false},
		{"url alphabet", "_-_-_-_-_-_-_-_-_-_-_-==", 16, false},
		{"padding inside", "AAAAAAAAAA==AAAAAAAAAA==", 16, false},
		{"space", "AAAAAAAAAAA AAAAAAAAAAA=", 16, false},
		{"empty", "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, ok := hdrDecodeB64Len(tt.in, tt.n)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if ok && len(b) != tt.n {
				t.Fatalf("len = %d, want %d", len(b), tt.n)
			}
		})
	}
}

func TestHeaderErrorMessageHasNoValue(t *testing.T) {
	secretish := "c2VjcmV0c2VjcmV0c2VjcmV0"
	_, err := ParseAuthorizationHeader(`PowerAuth pa_version="3.3", pa_activation_id="` + hdrTActivationID +
		`", pa_application_key="` + secretish + `x", pa_nonce="` + hdrTNonce +
		`", pa_signature_type="possession", pa_signature="` + hdrTSig16 + `"`)
	hdrTCheckErr(t, err, HeaderAuthorization, ErrHeaderInvalidField, "pa_application_key")
	if strings.Contains(err.Error(), secretish) {
		t.Fatalf("error message echoes the value: %q", err.Error())
	}
}
