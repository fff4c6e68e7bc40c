package protocol

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// hdrTAuth builds an authorization header from ordered key/value pairs joined by sep.
func hdrTAuth(sep string, kv ...string) string {
	parts := make([]string, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		parts = append(parts, kv[i]+`="`+kv[i+1]+`"`)
	}
	return "PowerAuth " + strings.Join(parts, sep)
}

// hdrTAuthFields returns the six fields of a valid 3.3 possession_knowledge header
// in SDK order, with overrides applied (an override value of "\x00" drops the key).
func hdrTAuthFields(over map[string]string) []string {
	kv := []string{
		"pa_version", "3.3",
		"pa_activation_id", hdrTActivationID,
		"pa_application_key", hdrTAppKey,
		"pa_nonce", hdrTNonce,
		"pa_signature_type", "possession_knowledge",
		"pa_signature", hdrTSig32,
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

func hdrTWantAuth() AuthorizationHeader {
	return AuthorizationHeader{
		Version:        "3.3",
		ActivationID:   hdrTActivationID,
		ApplicationKey: hdrTAppKey,
		Nonce:          hdrTNonce,
		SignatureType:  SignaturePossessionKnowledge,
		Signature:      hdrTSig32,
	}
}

func TestParseAuthorizationHeaderValid(t *testing.T) {
	base := hdrTWantAuth()
	with := func(f func(h *AuthorizationHeader)) AuthorizationHeader {
		h := base
		f(&h)
		return h
	}
	upper := strings.ToUpper(hdrTActivationID)
	javaOrder := fmt.Sprintf(`PowerAuth pa_activation_id="%s", pa_application_key="%s", pa_nonce="%s", pa_signature_type="possession_knowledge", pa_signature="%s", pa_version="3.3"`,
		hdrTActivationID, hdrTAppKey, hdrTNonce, hdrTSig32)
	// The documentation example lacks the comma after pa_activation_id.
	docsMissingComma := fmt.Sprintf(`PowerAuth pa_activation_id="%s" pa_application_key="%s", pa_nonce="%s", pa_signature_type="possession_knowledge", pa_signature="%s", pa_version="3.3"`,
		hdrTActivationID, hdrTAppKey, hdrTNonce, hdrTSig32)
	exact4096 := hdrTAuth(", ", hdrTAuthFields(nil)...) + `, x="`
	exact4096 += strings.Repeat("a", MaxHeaderLength-len(exact4096)-1) + `"`

	tests := []struct {
		name  string
		value string
		want  AuthorizationHeader
	}{
		{"sdk order", hdrTAuth(", ", hdrTAuthFields(nil)...), base},
		{"java order", javaOrder, base},
		{"docs missing comma", docsMissingComma, base},
		{"spaces only", hdrTAuth(" ", hdrTAuthFields(nil)...), base},
		{"commas only", hdrTAuth(",", hdrTAuthFields(nil)...), base},
		{"extra whitespace and tabs", "  PowerAuth  \t" + hdrTAuth(" ,\t ,, ", hdrTAuthFields(nil)...)[len("PowerAuth "):] + " ,  ", base},
		{"trailing comma", hdrTAuth(", ", hdrTAuthFields(nil)...) + ",", base},
		{"unknown keys ignored", hdrTAuth(", ", append([]string{"pa_extra", "x", "foo", ""}, hdrTAuthFields(nil)...)...), base},
		{"uppercase uuid kept", hdrTAuth(", ", hdrTAuthFields(map[string]string{"pa_activation_id": upper})...),
			with(func(h *AuthorizationHeader) { h.ActivationID = upper })},
		{"3.0 decimal 1 component", hdrTAuth(", ", hdrTAuthFields(map[string]string{"pa_version": "3.0", "pa_signature_type": "possession", "pa_signature": "01234567"})...),
			with(func(h *AuthorizationHeader) {
				h.Version, h.SignatureType, h.Signature = "3.0", SignaturePossession, "01234567"
			})},
		{"3.0 decimal 2 components", hdrTAuth(", ", hdrTAuthFields(map[string]string{"pa_version": "3.0", "pa_signature": "01234567-89012345"})...),
			with(func(h *AuthorizationHeader) { h.Version, h.Signature = "3.0", "01234567-89012345" })},
		{"3.0 decimal 3 components", hdrTAuth(", ", hdrTAuthFields(map[string]string{"pa_version": "3.0", "pa_signature_type": "possession_knowledge_biometry", "pa_signature": "00000000-99999999-12345678"})...),
			with(func(h *AuthorizationHeader) {
				h.Version, h.SignatureType, h.Signature = "3.0", SignaturePossessionKnowledgeBiometry, "00000000-99999999-12345678"
			})},
		{"3.1 base64 16 bytes", hdrTAuth(", ", hdrTAuthFields(map[string]string{"pa_version": "3.1", "pa_signature_type": "knowledge", "pa_signature": hdrTSig16})...),
			with(func(h *AuthorizationHeader) {
				h.Version, h.SignatureType, h.Signature = "3.1", SignatureKnowledge, hdrTSig16
			})},
		{"3.2 base64 32 bytes", hdrTAuth(", ", hdrTAuthFields(map[string]string{"pa_version": "3.2", "pa_signature_type": "possession_biometry"})...),
			with(func(h *AuthorizationHeader) { h.Version, h.SignatureType = "3.2", SignaturePossessionBiometry })},
		{"3.3 base64 48 bytes", hdrTAuth(", ", hdrTAuthFields(map[string]string{"pa_signature_type": "possession_knowledge_biometry", "pa_signature": hdrTSig48})...),
			with(func(h *AuthorizationHeader) {
				h.SignatureType, h.Signature = SignaturePossessionKnowledgeBiometry, hdrTSig48
			})},
		{"biometry alone", hdrTAuth(", ", hdrTAuthFields(map[string]string{"pa_signature_type": "biometry", "pa_signature": hdrTSig16})...),
			with(func(h *AuthorizationHeader) { h.SignatureType, h.Signature = SignatureBiometry, hdrTSig16 })},
		{"exactly max length", exact4096, base},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAuthorizationHeader(tt.value)
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if *got != tt.want {
				t.Fatalf("got %+v\nwant %+v", *got, tt.want)
			}
		})
	}
	if len(exact4096) != MaxHeaderLength {
		t.Fatalf("fixture length %d", len(exact4096))
	}
}

func TestParseAuthorizationHeaderInvalid(t *testing.T) {
	f := func(over map[string]string) string { return hdrTAuth(", ", hdrTAuthFields(over)...) }
	valid := f(nil)
	tooLong := valid + `, x="` + strings.Repeat("a", MaxHeaderLength-len(valid)-5) + `"`
	if len(tooLong) != MaxHeaderLength+1 {
		t.Fatalf("fixture length %d", len(tooLong))
	}
	tests := []struct {
		name  string
		value string
		err   error
		field string
	}{
		// whole value
		{"empty", "", ErrHeaderEmpty, ""},
		{"blank", " \t ", ErrHeaderEmpty, ""},
		{"too long by one", tooLong, ErrHeaderTooLong, ""},
		{"one megabyte", "PowerAuth " + strings.Repeat(`a="`, 1<<20/3), ErrHeaderTooLong, ""},
		{"other scheme", "Basic dXNlcjpwYXNz", ErrHeaderMissingPrefix, ""},
		{"lowercase scheme", "powerauth" + valid[len("PowerAuth"):], ErrHeaderMissingPrefix, ""},
		{"no space after scheme", "PowerAuthpa_version=\"3.3\"", ErrHeaderMissingPrefix, ""},
		{"prefix only", "PowerAuth", ErrHeaderMissingField, "pa_version"},
		{"prefix and blanks", "PowerAuth  , ", ErrHeaderMissingField, "pa_version"},
		// syntax
		{"trailing garbage word", valid + " garbage", ErrHeaderMalformed, ""},
		{"trailing garbage quote", valid + `"`, ErrHeaderMalformed, ""},
		{"trailing equals", valid + ` =`, ErrHeaderMalformed, ""},
		{"unquoted value", strings.Replace(valid, `pa_version="3.3"`, `pa_version=3.3`, 1), ErrHeaderMalformed, ""},
		{"single quotes", strings.Replace(valid, `pa_version="3.3"`, `pa_version='3.3'`, 1), ErrHeaderMalformed, ""},
		{"space before equals", strings.Replace(valid, `pa_version="3.3"`, `pa_version ="3.3"`, 1), ErrHeaderMalformed, ""},
		{"space after equals", strings.Replace(valid, `pa_version="3.3"`, `pa_version= "3.3"`, 1), ErrHeaderMalformed, ""},
		{"unterminated value", valid + `, x="abc`, ErrHeaderMalformed, ""},
		{"no separator", strings.Replace(valid, `", pa_nonce`, `"pa_nonce`, 1), ErrHeaderMalformed, ""},
		{"newline", strings.Replace(valid, ", ", ",\n ", 1), ErrHeaderMalformed, ""},
		{"nul byte", valid + "\x00", ErrHeaderMalformed, ""},
		{"del byte", strings.Replace(valid, "3.3", "3.3\x7f", 1), ErrHeaderMalformed, ""},
		{"key with dash", valid + `, pa-x="1"`, ErrHeaderMalformed, ""},
		// duplicates
		{"duplicate same value", valid + `, pa_nonce="` + hdrTNonce + `"`, ErrHeaderDuplicateField, "pa_nonce"},
		{"duplicate version", `PowerAuth pa_version="3.0", ` + valid[len("PowerAuth "):], ErrHeaderDuplicateField, "pa_version"},
		{"duplicate unknown key", valid + `, x="1", x="2"`, ErrHeaderDuplicateField, "x"},
		// missing fields
		{"missing version", f(map[string]string{"pa_version": "\x00"}), ErrHeaderMissingField, "pa_version"},
		{"missing activation id", f(map[string]string{"pa_activation_id": "\x00"}), ErrHeaderMissingField, "pa_activation_id"},
		{"missing application key", f(map[string]string{"pa_application_key": "\x00"}), ErrHeaderMissingField, "pa_application_key"},
		{"missing nonce", f(map[string]string{"pa_nonce": "\x00"}), ErrHeaderMissingField, "pa_nonce"},
		{"missing signature type", f(map[string]string{"pa_signature_type": "\x00"}), ErrHeaderMissingField, "pa_signature_type"},
		{"missing signature", f(map[string]string{"pa_signature": "\x00"}), ErrHeaderMissingField, "pa_signature"},
		{"uppercase key is unknown", strings.Replace(valid, "pa_nonce", "PA_NONCE", 1), ErrHeaderMissingField, "pa_nonce"},
		// version
		{"version 3.4", f(map[string]string{"pa_version": "3.4"}), ErrHeaderInvalidField, "pa_version"},
		{"version 2.1", f(map[string]string{"pa_version": "2.1"}), ErrHeaderInvalidField, "pa_version"},
		{"version 4.0", f(map[string]string{"pa_version": "4.0"}), ErrHeaderInvalidField, "pa_version"},
		{"version empty", f(map[string]string{"pa_version": ""}), ErrHeaderInvalidField, "pa_version"},
		{"version padded", f(map[string]string{"pa_version": " 3.3"}), ErrHeaderInvalidField, "pa_version"},
		// activation id
		{"activation id empty", f(map[string]string{"pa_activation_id": ""}), ErrHeaderInvalidField, "pa_activation_id"},
		{"activation id not uuid", f(map[string]string{"pa_activation_id": "not-a-uuid"}), ErrHeaderInvalidField, "pa_activation_id"},
		{"activation id bad version nibble", f(map[string]string{"pa_activation_id": "0b4f3e6a-9c2d-7e1f-8a7b-6c5d4e3f2a1b"}), ErrHeaderInvalidField, "pa_activation_id"},
		{"activation id bad variant", f(map[string]string{"pa_activation_id": "0b4f3e6a-9c2d-4e1f-0a7b-6c5d4e3f2a1b"}), ErrHeaderInvalidField, "pa_activation_id"},
		{"activation id no dashes", f(map[string]string{"pa_activation_id": "0b4f3e6a9c2d4e1f8a7b6c5d4e3f2a1b"}), ErrHeaderInvalidField, "pa_activation_id"},
		// application key
		{"application key 15 bytes", f(map[string]string{"pa_application_key": hdrTB64(15, 1)}), ErrHeaderInvalidField, "pa_application_key"},
		{"application key 17 bytes", f(map[string]string{"pa_application_key": hdrTB64(17, 1)}), ErrHeaderInvalidField, "pa_application_key"},
		{"application key 32 bytes", f(map[string]string{"pa_application_key": hdrTB64(32, 1)}), ErrHeaderInvalidField, "pa_application_key"},
		{"application key unpadded", f(map[string]string{"pa_application_key": strings.TrimRight(hdrTAppKey, "=")}), ErrHeaderInvalidField, "pa_application_key"},
		{"application key url alphabet", f(map[string]string{"pa_application_key": "-_-_-_-_-_-_-_-_-_-_-w=="}), ErrHeaderInvalidField, "pa_application_key"},
		{"application key not base64", f(map[string]string{"pa_application_key": "!!!!!!!!!!!!!!!!!!!!!!=="}), ErrHeaderInvalidField, "pa_application_key"},
		// nonce
		{"nonce empty", f(map[string]string{"pa_nonce": ""}), ErrHeaderInvalidField, "pa_nonce"},
		{"nonce 12 bytes", f(map[string]string{"pa_nonce": hdrTB64(12, 9)}), ErrHeaderInvalidField, "pa_nonce"},
		{"nonce non-canonical", f(map[string]string{"pa_nonce": "AAAAAAAAAAAAAAAAAAAAAB=="}), ErrHeaderInvalidField, "pa_nonce"},
		// signature type
		{"type uppercase", f(map[string]string{"pa_signature_type": "POSSESSION_KNOWLEDGE"}), ErrHeaderInvalidField, "pa_signature_type"},
		{"type unknown order", f(map[string]string{"pa_signature_type": "knowledge_possession"}), ErrHeaderInvalidField, "pa_signature_type"},
		{"type empty", f(map[string]string{"pa_signature_type": ""}), ErrHeaderInvalidField, "pa_signature_type"},
		// signature format by version
		{"3.0 with base64 signature", f(map[string]string{"pa_version": "3.0"}), ErrHeaderInvalidField, "pa_signature"},
		{"3.3 with decimal signature", f(map[string]string{"pa_signature": "01234567-89012345"}), ErrHeaderInvalidField, "pa_signature"},
		{"3.1 with decimal signature", f(map[string]string{"pa_version": "3.1", "pa_signature": "01234567-89012345"}), ErrHeaderInvalidField, "pa_signature"},
		{"3.0 seven digits", f(map[string]string{"pa_version": "3.0", "pa_signature": "0123456-89012345"}), ErrHeaderInvalidField, "pa_signature"},
		{"3.0 nine digits", f(map[string]string{"pa_version": "3.0", "pa_signature": "012345678-89012345"}), ErrHeaderInvalidField, "pa_signature"},
		{"3.0 four components", f(map[string]string{"pa_version": "3.0", "pa_signature": "01234567-01234567-01234567-01234567"}), ErrHeaderInvalidField, "pa_signature"},
		{"3.0 trailing dash", f(map[string]string{"pa_version": "3.0", "pa_signature": "01234567-89012345-"}), ErrHeaderInvalidField, "pa_signature"},
		{"3.0 letters", f(map[string]string{"pa_version": "3.0", "pa_signature": "0123456a-89012345"}), ErrHeaderInvalidField, "pa_signature"},
		{"3.0 too few components", f(map[string]string{"pa_version": "3.0", "pa_signature": "01234567"}), ErrHeaderInvalidField, "pa_signature"},
		{"3.0 too many components", f(map[string]string{"pa_version": "3.0", "pa_signature": "01234567-01234567-01234567"}), ErrHeaderInvalidField, "pa_signature"},
		{"3.3 16 bytes for two factors", f(map[string]string{"pa_signature": hdrTSig16}), ErrHeaderInvalidField, "pa_signature"},
		{"3.3 48 bytes for two factors", f(map[string]string{"pa_signature": hdrTSig48}), ErrHeaderInvalidField, "pa_signature"},
		{"3.3 20 bytes", f(map[string]string{"pa_signature": hdrTB64(20, 1)}), ErrHeaderInvalidField, "pa_signature"},
		{"3.3 64 bytes", f(map[string]string{"pa_signature": hdrTB64(64, 1)}), ErrHeaderInvalidField, "pa_signature"},
		{"3.3 empty signature", f(map[string]string{"pa_signature": ""}), ErrHeaderInvalidField, "pa_signature"},
		{"3.3 unpadded signature", f(map[string]string{"pa_signature_type": "possession", "pa_signature": strings.TrimRight(hdrTSig16, "=")}), ErrHeaderInvalidField, "pa_signature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := ParseAuthorizationHeader(tt.value)
			if h != nil {
				t.Fatalf("expected nil header, got %+v", *h)
			}
			hdrTCheckErr(t, err, HeaderAuthorization, tt.err, tt.field)
		})
	}
}

// TestParseAuthorizationHeaderAdversarial feeds inputs of maximum length that
// stress the scanner (many pairs, many separators, long keys). It checks
// behaviour only; speed is covered by the benchmarks.
func TestParseAuthorizationHeaderAdversarial(t *testing.T) {
	var many strings.Builder
	many.WriteString("PowerAuth ")
	for i := 0; many.Len() < MaxHeaderLength-16; i++ {
		fmt.Fprintf(&many, `k%d="", `, i)
	}
	tests := []struct {
		name  string
		value string
		err   error
	}{
		{"many unknown pairs", many.String(), ErrHeaderMissingField},
		{"only separators", "PowerAuth " + strings.Repeat(", \t", (MaxHeaderLength-10)/3), ErrHeaderMissingField},
		{"one long key", "PowerAuth " + strings.Repeat("k", MaxHeaderLength-10), ErrHeaderMalformed},
		{"many quotes", "PowerAuth " + strings.Repeat(`"`, MaxHeaderLength-10), ErrHeaderMalformed},
		{"many equals", "PowerAuth a" + strings.Repeat(`=`, MaxHeaderLength-11), ErrHeaderMalformed},
		{"repeated prefix", strings.Repeat("PowerAuth ", MaxHeaderLength/10), ErrHeaderMalformed},
		{"huge valid-looking", strings.Repeat(hdrTAuth(", ", hdrTAuthFields(nil)...), 5000), ErrHeaderTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseAuthorizationHeader(tt.value)
			hdrTCheckErr(t, err, HeaderAuthorization, tt.err, "")
		})
	}
}

func TestAuthorizationHeaderString(t *testing.T) {
	h := hdrTWantAuth()
	want := `PowerAuth pa_version="3.3", pa_activation_id="` + hdrTActivationID +
		`", pa_application_key="` + hdrTAppKey + `", pa_nonce="` + hdrTNonce +
		`", pa_signature_type="possession_knowledge", pa_signature="` + hdrTSig32 + `"`
	if got := h.String(); got != want {
		t.Fatalf("String() =\n%s\nwant\n%s", got, want)
	}
}

func TestAuthorizationHeaderRoundTrip(t *testing.T) {
	tests := []AuthorizationHeader{
		hdrTWantAuth(),
		{Version: "3.0", ActivationID: strings.ToUpper(hdrTActivationID), ApplicationKey: hdrTB64(16, 0xff),
			Nonce: hdrTB64(16, 0), SignatureType: SignaturePossessionKnowledgeBiometry, Signature: "00000001-00000002-00000003"},
		{Version: "3.1", ActivationID: hdrTActivationID, ApplicationKey: hdrTAppKey,
			Nonce: hdrTNonce, SignatureType: SignaturePossession, Signature: hdrTSig16},
		{Version: "3.2", ActivationID: hdrTActivationID, ApplicationKey: hdrTAppKey,
			Nonce: hdrTNonce, SignatureType: SignaturePossessionKnowledgeBiometry, Signature: hdrTSig48},
	}
	for _, h := range tests {
		t.Run(h.Version, func(t *testing.T) {
			if err := h.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			got, err := ParseAuthorizationHeader(h.String())
			if err != nil {
				t.Fatalf("Parse(String()): %v", err)
			}
			if *got != h {
				t.Fatalf("round trip: got %+v want %+v", *got, h)
			}
		})
	}
}

func TestAuthorizationHeaderBytes(t *testing.T) {
	h := hdrTWantAuth()
	n, err := h.NonceBytes()
	if err != nil || !bytes.Equal(n, bytes.Repeat([]byte{0x5c}, 16)) {
		t.Fatalf("NonceBytes = %x, %v", n, err)
	}
	k, err := h.ApplicationKeyBytes()
	if err != nil || !bytes.Equal(k, bytes.Repeat([]byte{0xa1}, 16)) {
		t.Fatalf("ApplicationKeyBytes = %x, %v", k, err)
	}
	h.Nonce, h.ApplicationKey = "bad", "bad"
	if _, err := h.NonceBytes(); err == nil {
		t.Fatal("NonceBytes accepted a bad nonce")
	}
	if _, err := h.ApplicationKeyBytes(); err == nil {
		t.Fatal("ApplicationKeyBytes accepted a bad key")
	}
}
