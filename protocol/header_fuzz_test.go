package protocol

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

// hdrTFuzzCheckErr asserts the error contract shared by the three parsers:
// a failure is a *HeaderError wrapping one of the sentinels.
func hdrTFuzzCheckErr(t *testing.T, value string, err error) {
	t.Helper()
	var he *HeaderError
	if !errors.As(err, &he) {
		t.Fatalf("error is not a *HeaderError: %T %v", err, err)
	}
	switch he.Err {
	case ErrHeaderEmpty, ErrHeaderTooLong, ErrHeaderMissingPrefix, ErrHeaderMalformed,
		ErrHeaderDuplicateField, ErrHeaderMissingField, ErrHeaderInvalidField:
	default:
		t.Fatalf("unexpected sentinel %v", he.Err)
	}
	if len(value) > MaxHeaderLength && he.Err != ErrHeaderTooLong {
		t.Fatalf("over-long value gave %v", err)
	}
}

func FuzzParseAuthorizationHeader(f *testing.F) {
	f.Add(hdrTWantAuth().String())
	f.Add(hdrTAuth(" ", hdrTAuthFields(map[string]string{"pa_version": "3.0", "pa_signature": "01234567-89012345"})...))
	f.Add(`PowerAuth pa_activation_id="` + hdrTActivationID + `" pa_application_key="` + hdrTAppKey + `", pa_nonce="` + hdrTNonce +
		`", pa_signature_type="possession", pa_signature="` + hdrTSig16 + `", pa_version="3.1"`)
	f.Add(`PowerAuth pa_version="3.3", pa_version="3.3"`)
	f.Add(`PowerAuth x="`)
	f.Add("")
	f.Fuzz(func(t *testing.T, value string) {
		h, err := ParseAuthorizationHeader(value)
		if err != nil {
			if h != nil {
				t.Fatal("non-nil header with an error")
			}
			hdrTFuzzCheckErr(t, value, err)
			return
		}
		if err := h.Validate(); err != nil {
			t.Fatalf("parsed header does not validate: %v", err)
		}
		again, err := ParseAuthorizationHeader(h.String())
		if err != nil {
			t.Fatalf("Parse(String()) failed: %v", err)
		}
		if *again != *h {
			t.Fatalf("round trip: %+v != %+v", *again, *h)
		}
		if _, err := h.NonceBytes(); err != nil {
			t.Fatalf("NonceBytes: %v", err)
		}
		if _, err := h.ApplicationKeyBytes(); err != nil {
			t.Fatalf("ApplicationKeyBytes: %v", err)
		}
	})
}

func FuzzParseTokenHeader(f *testing.F) {
	f.Add(hdrTWantToken().String())
	f.Add(`PowerAuth token_id="` + hdrTTokenID + `" token_digest="` + hdrTDigest + `" nonce="` + hdrTNonce +
		`" timestamp="123456789" version="3.0"`)
	f.Add(`PowerAuth version="3.3", version="3.2"`)
	f.Add(`PowerAuth ,,,`)
	f.Fuzz(func(t *testing.T, value string) {
		h, err := ParseTokenHeader(value)
		if err != nil {
			if h != nil {
				t.Fatal("non-nil header with an error")
			}
			hdrTFuzzCheckErr(t, value, err)
			return
		}
		if err := h.Validate(); err != nil {
			t.Fatalf("parsed header does not validate: %v", err)
		}
		again, err := ParseTokenHeader(h.String())
		if err != nil {
			t.Fatalf("Parse(String()) failed: %v", err)
		}
		if *again != *h {
			t.Fatalf("round trip: %+v != %+v", *again, *h)
		}
		ms, digits := h.TimestampMillis(), strings.TrimLeft(h.Timestamp, "0")
		if ms < 0 || (ms == 0 && digits != "") || (ms != 0 && strconv.FormatInt(ms, 10) != digits) {
			t.Fatalf("TimestampMillis(%q) = %d", h.Timestamp, ms)
		}
		_ = h.VerifyDigest([]byte("0123456789abcdef"))
	})
}

func FuzzParseEncryptionHeader(f *testing.F) {
	f.Add(EncryptionHeader{ApplicationKey: hdrTAppKey, ActivationID: hdrTActivationID, Version: "3.3"}.String())
	f.Add(EncryptionHeader{ApplicationKey: hdrTAppKey, Version: "3.0"}.String())
	f.Add(`PowerAuth application_key="` + hdrTAppKey + `", activation_id="", version="3.3"`)
	f.Add(`PowerAuth	version="3.1"	application_key="` + hdrTAppKey + `"`)
	f.Fuzz(func(t *testing.T, value string) {
		h, err := ParseEncryptionHeader(value)
		if err != nil {
			if h != nil {
				t.Fatal("non-nil header with an error")
			}
			hdrTFuzzCheckErr(t, value, err)
			return
		}
		if err := h.Validate(); err != nil {
			t.Fatalf("parsed header does not validate: %v", err)
		}
		again, err := ParseEncryptionHeader(h.String())
		if err != nil {
			t.Fatalf("Parse(String()) failed: %v", err)
		}
		if *again != *h {
			t.Fatalf("round trip: %+v != %+v", *again, *h)
		}
	})
}
