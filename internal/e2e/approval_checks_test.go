package e2e

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/mauth/mauth/client"
	"github.com/mauth/mauth/internal/api/mtoken"
)

// template creates an operation template once per environment.
func (o *opsFixture) template(t *testing.T, req map[string]any) {
	t.Helper()
	o.e.private(t, "operation/template/create", req)
}

// proximity: the bank reads the proximity TOTP from operation/detail and
// shows it on another channel; the device sends it with the approval. A
// wrong OTP counts a failure, the right one approves. The shared clock is
// stopped meanwhile: the TOTP step cannot move on between the bank's read
// and the approval, however slow the machine is.
func (o *opsFixture) proximity(t *testing.T) {
	ctx := context.Background()
	o.e.clock.Stop()
	defer o.e.clock.Start()
	o.template(t, map[string]any{
		"templateName": "payment-proximity", "operationType": "payment", "dataTemplate": "A1*A${amount}${currency}*I${iban}",
		"signatureType": []string{"POSSESSION_KNOWLEDGE"}, "maxFailureCount": 3, "expiration": 300, "proximityCheckEnabled": true,
	})
	user := o.user("proximity")
	c, d, tok := o.device(t, user)
	created := o.e.private(t, "operation/create", map[string]any{
		"userId": user, "applications": []string{o.app.name}, "templateName": "payment-proximity",
		"parameters": map[string]string{"amount": "99", "currency": "EUR", "iban": "CZ6508000000192000145399"},
	})
	id := created["id"].(string)
	otp, _ := o.bank(t, id)["proximityOtp"].(string)
	if len(otp) != 8 || strings.Trim(otp, "0123456789") != "" {
		t.Fatalf("bank's proximity OTP %q", otp)
	}
	op, err := c.OperationDetail(ctx, tok, id, "en")
	if err != nil {
		t.Fatalf("detail: %v", err)
	}
	if !op.ProximityCheckRequired || op.NumberMatchingRequired || len(op.NumberMatchingOptions) != 0 {
		t.Fatalf("device sees %+v", op)
	}
	wrong := []byte(otp)
	wrong[0] = '0' + (wrong[0]-'0'+1)%10
	err = c.AuthorizeOperation(ctx, d, client.PossessionKnowledge(pin), client.Approval{ID: id, Data: op.Data, ProximityOTP: string(wrong)})
	wantAPIError(t, err, http.StatusUnauthorized, mtoken.CodeOperationFailed)
	o.wantBank(t, id, "PENDING", 1)
	err = c.AuthorizeOperation(ctx, d, client.PossessionKnowledge(pin), client.Approval{ID: id, Data: op.Data})
	wantAPIError(t, err, http.StatusUnauthorized, mtoken.CodeOperationFailed)
	o.wantBank(t, id, "PENDING", 2)
	if err := c.AuthorizeOperation(ctx, d, client.PossessionKnowledge(pin), client.Approval{ID: id, Data: op.Data, ProximityOTP: otp, ProximityType: "DEEPLINK"}); err != nil {
		t.Fatalf("authorize with the right OTP: %v", err)
	}
	bank := o.wantBank(t, id, "APPROVED", 2)
	if extra, _ := bank["additionalData"].(map[string]any); extra["proximity_check_type"] != "DEEPLINK" {
		t.Fatalf("additional data: %v", extra)
	}
	if bank["proximityOtp"] != nil {
		t.Fatalf("a final operation still shows a proximity OTP: %v", bank["proximityOtp"])
	}
}

// numberMatching: the web shows the operation's number (private
// operation/detail), the app offers three distinct numbers that include
// it; a wrong pick counts a failure, the right one approves.
func (o *opsFixture) numberMatching(t *testing.T) {
	ctx := context.Background()
	o.template(t, map[string]any{
		"templateName": "login-number", "operationType": "login", "dataTemplate": "A2*T${channel}",
		"signatureType": []string{"POSSESSION"}, "maxFailureCount": 3, "expiration": 300, "numberMatchingEnabled": true,
	})
	user := o.user("number")
	c, d, tok := o.device(t, user)
	created := o.e.private(t, "operation/create", map[string]any{
		"userId": user, "applications": []string{o.app.name}, "templateName": "login-number",
		"parameters": map[string]string{"channel": "web"},
	})
	id := created["id"].(string)
	right, _ := o.bank(t, id)["numberMatching"].(string)
	if len(right) != 2 || right[0] < '1' || right[0] > '9' || right[1] < '0' || right[1] > '9' {
		t.Fatalf("bank's number %q", right)
	}
	op, err := c.OperationDetail(ctx, tok, id, "en")
	if err != nil {
		t.Fatalf("detail: %v", err)
	}
	opts := op.NumberMatchingOptions
	if !op.NumberMatchingRequired || op.ProximityCheckRequired || len(opts) != 3 || !slices.Contains(opts, right) {
		t.Fatalf("device sees required=%v options %v, the web shows %s", op.NumberMatchingRequired, opts, right)
	}
	seen := map[string]bool{}
	for _, n := range opts {
		if len(n) != 2 || n[0] < '1' || n[0] > '9' || n[1] < '0' || n[1] > '9' || seen[n] {
			t.Fatalf("options %v are not 3 distinct 2-digit numbers", opts)
		}
		seen[n] = true
	}
	ops, err := c.ListOperations(ctx, tok, "")
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	if l := findOp(ops, id); l == nil || !slices.Equal(l.NumberMatchingOptions, opts) {
		t.Fatalf("list shows other options than detail: %+v vs %v", l, opts)
	}
	wrong := opts[slices.IndexFunc(opts, func(n string) bool { return n != right })]
	err = c.AuthorizeOperation(ctx, d, client.Possession, client.Approval{ID: id, Data: op.Data, NumberMatching: wrong})
	wantAPIError(t, err, http.StatusUnauthorized, mtoken.CodeOperationFailed)
	o.wantBank(t, id, "PENDING", 1)
	err = c.AuthorizeOperation(ctx, d, client.Possession, client.Approval{ID: id, Data: op.Data})
	wantAPIError(t, err, http.StatusUnauthorized, mtoken.CodeOperationFailed)
	o.wantBank(t, id, "PENDING", 2)
	if err := c.AuthorizeOperation(ctx, d, client.Possession, client.Approval{ID: id, Data: op.Data, NumberMatching: right}); err != nil {
		t.Fatalf("authorize with the right number: %v", err)
	}
	o.wantBank(t, id, "APPROVED", 2)
	if after, err := c.OperationHistory(ctx, d, client.PossessionKnowledge(pin), ""); err != nil {
		t.Fatalf("history: %v", err)
	} else if h := findOp(after, id); h == nil || h.Status != "APPROVED" || len(h.NumberMatchingOptions) != 0 {
		t.Fatalf("history: %+v", h)
	}
}

// offline: the bank builds the offline QR code of a payment for the
// device's activation, the device verifies it with the activation's
// server key and computes the decimal signature, the bank submits what
// the user typed. A wrong code counts a failure, the right one approves.
func (o *opsFixture) offline(t *testing.T) {
	user := o.user("offline")
	c, d, _ := o.device(t, user)
	created := o.payment(t, user)
	id, data := created["id"].(string), created["data"].(string)
	qr := o.e.private(t, "operation/offline/qr", map[string]any{
		"operationId": id, "activationId": d.ActivationID, "title": "Payment", "message": "Pay 1234.5 CZK",
	})
	payload, _ := qr["offlineData"].(string)
	q, err := client.ParseOfflineQR(payload, d.ServerPublicKey, nil)
	if err != nil {
		t.Fatalf("parse QR %q: %v", payload, err)
	}
	if q.OperationID != id || q.Data != data || q.Title != "Payment" || q.Message != "Pay 1234.5 CZK" ||
		q.Flags != "B" || !q.Personalized || q.Nonce != qr["nonce"] || q.TOTP != "" {
		t.Fatalf("QR: %+v", q)
	}
	// Another activation's key does not verify the code.
	_, other, _ := o.device(t, o.user("offline-other"))
	if _, err := client.ParseOfflineQR(payload, other.ServerPublicKey, o.app.masterPub); err == nil {
		t.Fatalf("a QR code verified with another activation's key")
	}
	// A QR code for an activation of another user is refused.
	o.e.privateFail(t, "operation/offline/qr", map[string]any{"operationId": id, "activationId": other.ActivationID}, http.StatusBadRequest, "ERR0024")

	approve := func(sig string) map[string]any {
		return o.e.private(t, "operation/offline/approve", map[string]any{
			"operationId": id, "activationId": d.ActivationID, "nonce": q.Nonce, "signature": sig,
		})
	}
	wrong, err := c.OfflineSignature(d, client.PossessionKnowledge(wrongPIN), q)
	if err != nil {
		t.Fatalf("offline signature: %v", err)
	}
	if res := approve(wrong); res["result"] != "APPROVAL_FAILED" {
		t.Fatalf("wrong code: %v", res)
	}
	o.wantBank(t, id, "PENDING", 1)
	o.e.wantCoreState(t, d.ActivationID, "ACTIVE", 1)
	o.e.privateFail(t, "operation/offline/approve", map[string]any{
		"operationId": id, "activationId": d.ActivationID, "nonce": q.Nonce, "signature": "1234",
	}, http.StatusBadRequest, "ERR0024")

	sig, err := c.OfflineSignature(d, client.PossessionKnowledge(pin), q)
	if err != nil {
		t.Fatalf("offline signature: %v", err)
	}
	if len(sig) != 17 || sig[8] != '-' {
		t.Fatalf("offline signature %q is not two 8-digit components", sig)
	}
	digits := strings.ReplaceAll(sig, "-", "")
	typed := digits[0:4] + " " + digits[4:8] + " " + digits[8:12] + " " + digits[12:16] // 4×4 digits as the user types them
	res := approve(typed)
	if res["result"] != "APPROVED" {
		t.Fatalf("right code: %v", res)
	}
	bank := o.wantBank(t, id, "APPROVED", 1)
	if extra, _ := bank["additionalData"].(map[string]any); extra["activationId"] != d.ActivationID {
		t.Fatalf("additional data: %v", extra)
	}
	o.e.wantCoreState(t, d.ActivationID, "ACTIVE", 0)
	if _, err := c.OfflineSignature(d, client.Possession, q); err == nil {
		t.Fatalf("an offline signature with possession only was computed")
	}
}
