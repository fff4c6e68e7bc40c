package service

import (
	"testing"
)

// FuzzParseVaultUnlockPayload feeds arbitrary decrypted payloads to the
// vault unlock reason parser: it must never panic, and an accepted reason
// always matches the allowed pattern.
func FuzzParseVaultUnlockPayload(f *testing.F) {
	for _, s := range []string{`{}`, `{"reason":"ADD_BIOMETRY"}`, `{"reason":null}`, `{"reason":"a b"}`, `{"reason":5}`, `[]`, ``, `{"reason":"..."}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		reason, readable, err := parseVaultUnlockPayload(body)
		if err != nil {
			if !readable || CodeOf(err) != CodeInvalidInputFormat {
				t.Fatalf("unexpected error %v (readable %v)", err, readable)
			}
			return
		}
		if readable && reason != VaultUnlockReasonNotSpecified && !vaultReasonPattern.MatchString(reason) {
			t.Fatalf("accepted reason %q", reason)
		}
	})
}
