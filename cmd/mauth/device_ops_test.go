package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/protocol"
)

// TestCLIDeviceOperationCommands runs `mauth device operations list |
// approve | reject`, `mauth device offline-approve` and `mauth device
// push-register` against a real server: the bank's operations are created
// through the core, the device decides them through the Mobile Token API,
// and the core sees the outcome.
func TestCLIDeviceOperationCommands(t *testing.T) {
	a := testServer(t)
	ctx := context.Background()
	state := filepath.Join(t.TempDir(), "phone.json")
	sdk := run(t, "app", "create", "bank")["mobile SDK config"]
	act := run(t, "activation", "init", "--app", "bank", "--user", "dave")
	run(t, "device", "activate", "--state", state, "--sdk-config", sdk, "--code", act["QR code string"], "--pin", "1234")
	run(t, "activation", "commit", act["activation id"])
	run(t, "device", "token", "create", "--state", state, "--pin", "1234", "--factors", "possession")

	if _, err := a.Service.CreateOperationTemplate(ctx, service.OperationTemplateInput{
		Name: "pay", OperationType: "payment", DataTemplate: "A1*A${amount}CZK", SignatureTypes: []protocol.SignatureType{protocol.SignaturePossessionKnowledge},
		MaxFailureCount: 3, Expiration: 5 * time.Minute,
	}); err != nil {
		t.Fatal(err)
	}
	create := func(amount string) service.OperationDetail {
		t.Helper()
		op, err := a.Service.CreateOperation(ctx, service.CreateOperationInput{UserID: "dave", Applications: []string{"bank"}, TemplateName: "pay", Parameters: map[string]string{"amount": amount}})
		if err != nil {
			t.Fatal(err)
		}
		return op
	}
	wantStatus := func(id string, want domain.OperationStatus) {
		t.Helper()
		op, err := a.Service.GetOperation(ctx, id, "")
		if err != nil || op.Status != want {
			t.Fatalf("operation %s: %v %v, want %v", id, op.Status, err, want)
		}
	}

	pay, other := create("100"), create("200")
	out, err := execute(t, "device", "operations", "list", "--state", state, "--lang", "en")
	if err != nil || !strings.Contains(out, pay.ID) || !strings.Contains(out, other.ID) || !strings.Contains(out, "A1*A100CZK") || !strings.Contains(out, "PENDING") {
		t.Fatalf("operations list: %v\n%s", err, out)
	}

	// Approve fetches the data with the token; a wrong PIN is refused and counted.
	fail(t, "POWERAUTH_AUTH_FAIL", "device", "operations", "approve", pay.ID, "--state", state, "--pin", "9999")
	wantStatus(pay.ID, domain.OperationPending)
	if res := run(t, "device", "operations", "approve", pay.ID, "--state", state, "--pin", "1234"); res["status"] != "APPROVED" {
		t.Fatalf("approve: %v", res)
	}
	wantStatus(pay.ID, domain.OperationApproved)
	// With explicit data that differs from the operation's, the signature does not match.
	third := create("300")
	fail(t, "operation not approved", "device", "operations", "approve", third.ID, "--state", state, "--pin", "1234", "--data", "A1*A999CZK")
	wantStatus(third.ID, domain.OperationPending)
	run(t, "device", "operations", "approve", third.ID, "--state", state, "--pin", "1234", "--data", third.Data)
	wantStatus(third.ID, domain.OperationApproved)

	if res := run(t, "device", "operations", "reject", other.ID, "--state", state, "--reason", "INCORRECT_DATA"); res["status"] != "REJECTED" {
		t.Fatalf("reject: %v", res)
	}
	wantStatus(other.ID, domain.OperationRejected)
	if out, err := execute(t, "device", "operations", "list", "--state", state); err != nil || strings.Contains(out, pay.ID) || strings.Contains(out, other.ID) {
		t.Fatalf("decided operations still listed: %v\n%s", err, out)
	}

	// Offline approval: the bank's QR code, the signature the user would type.
	offline := create("400")
	qr, err := a.Service.CreateOperationOfflineQR(ctx, service.OperationOfflineQRInput{OperationID: offline.ID, ActivationID: act["activation id"], Title: "Payment", Message: "Pay 400 CZK"})
	if err != nil {
		t.Fatal(err)
	}
	cmd := newRootCommand()
	var buf bytes.Buffer
	cmd.SetOut(&buf)
	cmd.SetErr(&buf)
	cmd.SetIn(strings.NewReader(qr.OfflineData + "\n"))
	cmd.SetArgs([]string{"device", "offline-approve", "--state", state, "--pin", "1234", "--qr", "-"})
	if err := cmd.ExecuteContext(ctx); err != nil {
		t.Fatalf("offline-approve: %v\n%s", err, buf.String())
	}
	res := parseFields(buf.String())
	if res["operation id"] != offline.ID || res["title"] != "Payment" || len(res["signature"]) != 17 {
		t.Fatalf("offline-approve: %v", res)
	}
	approved, err := a.Service.ApproveOperationOffline(ctx, service.ApproveOperationOfflineInput{OperationID: offline.ID, ActivationID: act["activation id"], Nonce: qr.Nonce, Signature: res["signature"]})
	if err != nil || approved.Result != service.ResultApproved {
		t.Fatalf("offline approval: %v %v", approved.Result, err)
	}
	fail(t, "invalid offline QR payload", "device", "offline-approve", "--state", state, "--pin", "1234", "--qr", strings.Replace(qr.OfflineData, "Payment", "Paymenx", 1))
	fail(t, "--qr is required", "device", "offline-approve", "--state", state, "--pin", "1234")

	// Push registration through /api/push/device/register (signed).
	if res := run(t, "device", "push-register", "--state", state, "--platform", "fcm", "--push-token", "fcm-token-1"); res["push token"] != "registered" {
		t.Fatalf("push-register: %v", res)
	}
	dev, err := a.Store.GetPushDevice(ctx, act["activation id"])
	if err != nil || dev.Platform != "fcm" || dev.Token != "fcm-token-1" || dev.UserID != "dave" {
		t.Fatalf("push device: %+v %v", dev, err)
	}
	run(t, "device", "push-register", "--state", state, "--platform", "APNS", "--push-token", "apns-token", "--environment", "development", "--factors", "possession_knowledge", "--pin", "1234")
	if dev, err := a.Store.GetPushDevice(ctx, act["activation id"]); err != nil || dev.Platform != "apns" || dev.Environment != "development" {
		t.Fatalf("push device: %+v %v", dev, err)
	}
	fail(t, "--platform and --push-token are required", "device", "push-register", "--state", state, "--platform", "fcm")
	fail(t, "push token not registered", "device", "push-register", "--state", state, "--platform", "nokia", "--push-token", "x")

	// The device is still in step with the server after all of it.
	run(t, "device", "sign", "--state", state, "--pin", "1234")
}
