package protocol

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

func BenchmarkParseAuthorizationHeader(b *testing.B) {
	v := hdrTWantAuth().String()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseAuthorizationHeader(v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseAuthorizationHeaderMaxLengthPairs parses a value of maximum
// length made of many tiny unknown pairs, the worst case for the scanner.
func BenchmarkParseAuthorizationHeaderMaxLengthPairs(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("PowerAuth ")
	for i := 0; sb.Len() < MaxHeaderLength-16; i++ {
		sb.WriteString("k")
		sb.WriteString(strconv.Itoa(i))
		sb.WriteString(`="",`)
	}
	v := sb.String()
	b.ReportAllocs()
	if _, err := ParseAuthorizationHeader(v); !errors.Is(err, ErrHeaderMissingField) {
		b.Fatalf("want a missing field after scanning every pair, got %v", err)
	}
	for b.Loop() {
		_, _ = ParseAuthorizationHeader(v)
	}
}

// BenchmarkParseAuthorizationHeader1MB shows that an over-long value is
// rejected without scanning it.
func BenchmarkParseAuthorizationHeader1MB(b *testing.B) {
	v := "PowerAuth " + strings.Repeat(`pa_nonce="`, 1<<20/10)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseAuthorizationHeader(v); err == nil {
			b.Fatal("accepted")
		}
	}
}

func BenchmarkParseTokenHeader(b *testing.B) {
	v := hdrTWantToken().String()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseTokenHeader(v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTokenHeaderVerifyDigest(b *testing.B) {
	secret := NewTokenSecret()
	h := NewTokenHeader(hdrTTokenID, secret, Version33, 1691762307382)
	b.ReportAllocs()
	for b.Loop() {
		if !h.VerifyDigest(secret) {
			b.Fatal("rejected")
		}
	}
}
