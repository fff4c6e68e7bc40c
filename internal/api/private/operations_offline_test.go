package private

import (
	"net/http"
	"testing"
)

func TestNormalizeOfflineSignature(t *testing.T) {
	tests := []struct{ in, want string }{
		{"12345678-87654321", "12345678-87654321"},
		{"1234 5678 8765 4321", "12345678-87654321"},
		{"1234567887654321", "12345678-87654321"},
		{"12345678", "12345678"},
		{"123456788765432112345678", "12345678-87654321-12345678"},
		{"1234", "1234"},
		{"", ""},
		{"1234567887654321123456781", "1234567887654321123456781"},
	}
	for _, tt := range tests {
		got := normalizeOfflineSignature(tt.in)
		if got != tt.want {
			t.Errorf("normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if ok := offlineSignaturePattern.MatchString(got); ok != (len(tt.in) >= 8 && tt.in != "1234567887654321123456781") {
			t.Errorf("pattern on %q: %v", got, ok)
		}
	}
}

func TestOperationOfflineBadInput(t *testing.T) {
	ts := newTestServer(t)
	const id = "00000000-0000-4000-8000-000000000000"
	for _, req := range []map[string]any{
		{"activationId": id},
		{"operationId": id},
		{"operationId": id, "activationId": id, "title": "two\nlines"},
	} {
		ts.fail(t, "operation/offline/qr", req, http.StatusBadRequest, "ERR0024")
	}
	for _, req := range []map[string]any{
		{"activationId": id, "nonce": "n", "signature": "12345678"},
		{"operationId": id, "activationId": id, "signature": "12345678"},
		{"operationId": id, "activationId": id, "nonce": "n", "signature": "1234"},
		{"operationId": id, "activationId": id, "nonce": "n", "signature": "abcdefgh"},
	} {
		ts.fail(t, "operation/offline/approve", req, http.StatusBadRequest, "ERR0024")
	}
	// Unknown operations are the reference's operation errors, not a 500.
	ts.fail(t, "operation/offline/approve", map[string]any{
		"operationId": id, "activationId": id, "nonce": "AAAAAAAAAAAAAAAAAAAAAA==", "signature": "12345678-12345678",
	}, http.StatusBadRequest, "ERR0037")
	ts.fail(t, "operation/offline/qr", map[string]any{"operationId": id, "activationId": id}, http.StatusBadRequest, "ERR0034")
}
