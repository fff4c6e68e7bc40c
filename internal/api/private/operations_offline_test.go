package private

import (
	"net/http"
	"strings"
	"testing"

	"github.com/mauth/mauth/protocol"
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

// TestOperationOfflineApproval walks the offline approval: the bank gets
// the QR code of a payment for one activation, a wrong retyped code counts
// a failed attempt, the code the device computes approves the operation.
func TestOperationOfflineApproval(t *testing.T) {
	ts := newTestServer(t)
	app := ts.createApp(t)
	d := activateEncDevice(t, ts, app)
	createTemplate(t, ts, "offline-payment", nil)
	op := ts.ok(t, "operation/create", map[string]any{
		"userId": d.UserID, "applications": []string{app.Name}, "templateName": "offline-payment",
		"parameters": map[string]string{"amount": "100"},
	})
	id, data := op["id"].(string), op["data"].(string)

	qr := ts.ok(t, "operation/offline/qr", map[string]any{
		"operationId": id, "activationId": d.ActivationID, "title": "Payment", "message": "Pay 100 EUR",
	})
	if qr["operationId"] != id || qr["activationId"] != d.ActivationID {
		t.Fatalf("qr: %v", qr)
	}
	// {ID}\n{TITLE}\n{MESSAGE}\n{DATA}\n{FLAGS}\n{NONCE}\n1{SIGNATURE}, signed
	// with the activation's server key; flags: the template's risk flag X
	// and B as biometry may approve.
	lines := sigCheckPayload(t, qr, d.ServerPub, "1")
	if want := []string{id, "Payment", "Pay 100 EUR", data, "BX"}; strings.Join(lines[:5], "\n") != strings.Join(want, "\n") {
		t.Fatalf("QR lines %q, want %q", lines[:5], want)
	}
	nonce := qr["nonce"].(string)
	if len(mustDecodeB64(t, nonce)) != 16 {
		t.Fatalf("nonce %q", nonce)
	}

	approve := func(sig string) map[string]any {
		t.Helper()
		return ts.ok(t, "operation/offline/approve", map[string]any{
			"operationId": id, "activationId": d.ActivationID, "nonce": nonce, "signature": sig,
			"additionalData": map[string]any{"channel": "branch"},
		})
	}
	res := approve("11111111-11111111")
	if got := res["operation"].(map[string]any); res["result"] != "APPROVAL_FAILED" || got["status"] != "PENDING" || got["failureCount"] != 1.0 {
		t.Fatalf("wrong code: %v", res)
	}

	signed := protocol.RequestData("POST", "/operation/authorize/offline", mustDecodeB64(t, nonce), []byte(id+"&"+data))
	sig := sigSignOffline(t, d, protocol.SignaturePossessionKnowledge, signed, 8)
	res = approve(strings.ReplaceAll(sig, "-", " ")) // as typed, with spaces
	got := res["operation"].(map[string]any)
	extra, _ := got["additionalData"].(map[string]any)
	if res["result"] != "APPROVED" || got["status"] != "APPROVED" || got["timestampFinalized"] == nil ||
		extra["channel"] != "branch" || extra["activationId"] != d.ActivationID {
		t.Fatalf("right code: %v", res)
	}
	// A finished operation has no QR code any more.
	ts.fail(t, "operation/offline/qr", map[string]any{"operationId": id, "activationId": d.ActivationID}, http.StatusBadRequest, "ERR0036")
}
