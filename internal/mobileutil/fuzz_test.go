package mobileutil

import (
	"strings"
	"testing"
)

// FuzzParseAcceptLanguage feeds arbitrary Accept-Language headers: only
// two-letter lower-case codes come out, never more than the header has
// parts.
func FuzzParseAcceptLanguage(f *testing.F) {
	f.Add("cs-CZ,cs;q=0.9,en;q=0.8")
	f.Add("*")
	f.Fuzz(func(t *testing.T, h string) {
		langs := ParseAcceptLanguage(h)
		if len(langs) > strings.Count(h, ",")+1 {
			t.Fatalf("%d languages from %q", len(langs), h)
		}
		for _, l := range langs {
			if len(l) != 2 || l[0] < 'a' || l[0] > 'z' || l[1] < 'a' || l[1] > 'z' {
				t.Fatalf("language %q from %q", l, h)
			}
		}
	})
}

// FuzzVersions feeds arbitrary versions to the validators and the
// comparison: no panic, and the comparison is antisymmetric.
func FuzzVersions(f *testing.F) {
	f.Add("1.2.3", "1.2.3-beta")
	f.Add("31", "14.5.1")
	f.Fuzz(func(t *testing.T, a, b string) {
		_, _ = ValidAppVersion(a), ValidOSVersion(b)
		_ = majorVersion(a)
		if x, y := compareVersions(a, b), compareVersions(b, a); x != -y {
			t.Fatalf("compareVersions(%q, %q) = %d but reversed %d", a, b, x, y)
		}
	})
}

// FuzzParseCertificatePEM feeds arbitrary PEM texts: an accepted one
// yields a fingerprint of a SHA-256 digest.
func FuzzParseCertificatePEM(f *testing.F) {
	f.Add("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
	f.Add("hello")
	f.Fuzz(func(t *testing.T, text string) {
		_, c, err := ParseCertificatePEM(text)
		if err == nil && len(c.Fingerprint) != 44 {
			t.Fatalf("fingerprint %q", c.Fingerprint)
		}
	})
}
