package service

import "testing"

// FuzzDecodeTokenInput feeds arbitrary header fields to the token input
// decoder: it must never panic and only accept 16-byte nonces and known
// versions.
func FuzzDecodeTokenInput(f *testing.F) {
	f.Add("AAAAAAAAAAAAAAAAAAAAAA==", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "3.3")
	f.Add("", "", "")
	f.Add("AAAA", "!!", "3.0")
	f.Fuzz(func(t *testing.T, nonce, digest, version string) {
		n, _, err := ValidateTokenInput{Nonce: nonce, TokenDigest: digest, ProtocolVersion: version}.decode()
		if err != nil {
			if c := CodeOf(err); c != CodeInvalidRequest && c != CodeInvalidInputFormat {
				t.Fatalf("code %s", c)
			}
			return
		}
		if len(n) != 16 {
			t.Fatalf("nonce of %d bytes accepted", len(n))
		}
	})
}
