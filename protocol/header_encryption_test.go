package protocol

import (
	"bytes"
	"strings"
	"testing"
)

func TestParseEncryptionHeaderValid(t *testing.T) {
	upper := strings.ToUpper(hdrTActivationID)
	tests := []struct {
		name  string
		value string
		want  EncryptionHeader
	}{
		{"activation scope", `PowerAuth application_key="` + hdrTAppKey + `", activation_id="` + hdrTActivationID + `", version="3.3"`,
			EncryptionHeader{ApplicationKey: hdrTAppKey, ActivationID: hdrTActivationID, Version: "3.3"}},
		{"application scope", `PowerAuth application_key="` + hdrTAppKey + `", version="3.2"`,
			EncryptionHeader{ApplicationKey: hdrTAppKey, Version: "3.2"}},
		{"version first", `PowerAuth version="3.0", activation_id="` + upper + `", application_key="` + hdrTAppKey + `"`,
			EncryptionHeader{ApplicationKey: hdrTAppKey, ActivationID: upper, Version: "3.0"}},
		{"missing comma and extra spaces", `  PowerAuth   application_key="` + hdrTAppKey + `"   version="3.1" ,`,
			EncryptionHeader{ApplicationKey: hdrTAppKey, Version: "3.1"}},
		{"unknown key", `PowerAuth application_key="` + hdrTAppKey + `", version="3.3", pa_signature="x"`,
			EncryptionHeader{ApplicationKey: hdrTAppKey, Version: "3.3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseEncryptionHeader(tt.value)
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if *got != tt.want {
				t.Fatalf("got %+v\nwant %+v", *got, tt.want)
			}
			if got.HasActivationID() != (tt.want.ActivationID != "") {
				t.Fatalf("HasActivationID = %v", got.HasActivationID())
			}
		})
	}
}

func TestParseEncryptionHeaderInvalid(t *testing.T) {
	valid := `PowerAuth application_key="` + hdrTAppKey + `", activation_id="` + hdrTActivationID + `", version="3.3"`
	tests := []struct {
		name  string
		value string
		err   error
		field string
	}{
		{"empty", "", ErrHeaderEmpty, ""},
		{"huge", strings.Repeat(valid, 1000), ErrHeaderTooLong, ""},
		{"no prefix", "Bearer x", ErrHeaderMissingPrefix, ""},
		{"trailing garbage", valid + ` version`, ErrHeaderMalformed, ""},
		{"unquoted", `PowerAuth application_key=` + hdrTAppKey + `, version="3.3"`, ErrHeaderMalformed, ""},
		{"duplicate version", valid + `, version="3.3"`, ErrHeaderDuplicateField, "version"},
		{"duplicate activation id", valid + `, activation_id="` + hdrTActivationID + `"`, ErrHeaderDuplicateField, "activation_id"},
		{"missing application key", `PowerAuth activation_id="` + hdrTActivationID + `", version="3.3"`, ErrHeaderMissingField, "application_key"},
		{"missing version", `PowerAuth application_key="` + hdrTAppKey + `", activation_id="` + hdrTActivationID + `"`, ErrHeaderMissingField, "version"},
		{"version 3.4", strings.Replace(valid, `"3.3"`, `"3.4"`, 1), ErrHeaderInvalidField, "version"},
		{"application key 15 bytes", strings.Replace(valid, hdrTAppKey, hdrTB64(15, 1), 1), ErrHeaderInvalidField, "application_key"},
		{"application key non-canonical", strings.Replace(valid, hdrTAppKey, "AAAAAAAAAAAAAAAAAAAAAB==", 1), ErrHeaderInvalidField, "application_key"},
		{"activation id empty", strings.Replace(valid, hdrTActivationID, "", 1), ErrHeaderInvalidField, "activation_id"},
		{"activation id not uuid", strings.Replace(valid, hdrTActivationID, "abc", 1), ErrHeaderInvalidField, "activation_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := ParseEncryptionHeader(tt.value)
			if h != nil {
				t.Fatalf("expected nil header, got %+v", *h)
			}
			hdrTCheckErr(t, err, HeaderEncryption, tt.err, tt.field)
		})
	}
}

func TestEncryptionHeaderStringRoundTrip(t *testing.T) {
	tests := []struct {
		h    EncryptionHeader
		want string
	}{
		{EncryptionHeader{ApplicationKey: hdrTAppKey, ActivationID: hdrTActivationID, Version: "3.3"},
			`PowerAuth application_key="` + hdrTAppKey + `", activation_id="` + hdrTActivationID + `", version="3.3"`},
		{EncryptionHeader{ApplicationKey: hdrTAppKey, Version: "3.0"},
			`PowerAuth application_key="` + hdrTAppKey + `", version="3.0"`},
	}
	for _, tt := range tests {
		if got := tt.h.String(); got != tt.want {
			t.Fatalf("String() =\n%s\nwant\n%s", got, tt.want)
		}
		got, err := ParseEncryptionHeader(tt.h.String())
		if err != nil {
			t.Fatalf("Parse(String()): %v", err)
		}
		if *got != tt.h {
			t.Fatalf("round trip: got %+v want %+v", *got, tt.h)
		}
	}
}

func TestEncryptionHeaderApplicationKeyBytes(t *testing.T) {
	h := EncryptionHeader{ApplicationKey: hdrTAppKey, Version: "3.3"}
	k, err := h.ApplicationKeyBytes()
	if err != nil || !bytes.Equal(k, bytes.Repeat([]byte{0xa1}, 16)) {
		t.Fatalf("ApplicationKeyBytes = %x, %v", k, err)
	}
	h.ApplicationKey = hdrTB64(17, 0)
	if _, err := h.ApplicationKeyBytes(); err == nil {
		t.Fatal("ApplicationKeyBytes accepted 17 bytes")
	}
}
