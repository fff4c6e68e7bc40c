package e2e

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/mauth/mauth/client"
)

// scenarioRecovery: with activation recovery enabled, a device gets a
// recovery code and PUK with its activation; after losing the device the
// user activates a new one with them, and the old activation is REMOVED.
func scenarioRecovery(t *testing.T, e *env, app *testApp, version string) {
	ctx := context.Background()
	e.private(t, "recovery/config/update", map[string]any{"applicationId": app.name, "activationRecoveryEnabled": true})
	user := "user-recovery-" + version

	lost := e.device(t, app, version)
	old := activateWithCode(t, e, lost, app, user)
	if old.RecoveryCode == "" || len(old.RecoveryPUK) != 10 {
		t.Fatalf("activation carried no recovery code and PUK (code %q, PUK length %d)", old.RecoveryCode, len(old.RecoveryPUK))
	}
	wantSynced(t, lost, old)
	if err := lost.ValidateSignature(ctx, old, client.PossessionKnowledge(pin), []byte("{}")); err != nil {
		t.Fatalf("signature of the first device: %v", err)
	}
	// The code issued with the activation is ACTIVE already.
	confirmed, err := lost.ConfirmRecoveryCode(ctx, old, client.PossessionKnowledge(pin), old.RecoveryCode)
	if err != nil || !confirmed {
		t.Fatalf("confirm recovery code: already confirmed %v, %v", confirmed, err)
	}
	_, err = lost.ConfirmRecoveryCode(ctx, old, client.Possession, old.RecoveryCode)
	wantAPIError(t, err, http.StatusUnauthorized, "ERR_AUTHENTICATION")
	if err := lost.ValidateSignature(ctx, old, client.Possession, []byte("{}")); err != nil {
		t.Fatalf("signature after the confirmation: %v", err)
	}
	wantSynced(t, lost, old)

	// The device is lost; a new one is activated with the code and PUK.
	fresh := e.device(t, app, version)
	wrongPUK := fmt.Sprintf("%010d", (atoi(t, old.RecoveryPUK)+1)%10000000000)
	_, err = fresh.ActivateWithRecoveryCode(ctx, old.RecoveryCode, wrongPUK, pin, client.ActivationOptions{Name: "new phone"})
	ae := wantAPIError(t, err, http.StatusBadRequest, "ERR_RECOVERY")
	if ae.CurrentRecoveryPukIndex == nil || *ae.CurrentRecoveryPukIndex != 1 {
		t.Fatalf("wrong PUK answer carries PUK index %v, want 1", ae.CurrentRecoveryPukIndex)
	}
	e.wantCoreState(t, old.ActivationID, "ACTIVE", 0)

	res, err := fresh.ActivateWithRecoveryCode(ctx, "R:"+old.RecoveryCode, old.RecoveryPUK[:5]+"-"+old.RecoveryPUK[5:], pin, client.ActivationOptions{Name: "new phone"})
	if err != nil {
		t.Fatalf("recovery activation: %v", err)
	}
	d := res.Device
	if d.ActivationID == old.ActivationID {
		t.Fatal("recovery reused the old activation")
	}
	// Committed by the enrollment server: ACTIVE right away.
	wantSynced(t, fresh, d)
	core := e.coreStatus(t, d.ActivationID)
	if core["userId"] != user || core["activationName"] != "new phone" {
		t.Fatalf("recovered activation: %v", core)
	}
	e.wantCoreState(t, old.ActivationID, "REMOVED", 0)
	wantStatus(t, lost, old, client.StateRemoved, 0)
	err = lost.ValidateSignature(ctx, old, client.PossessionKnowledge(pin), []byte("{}"))
	wantAPIError(t, err, http.StatusUnauthorized, codeValidateFail)

	if err := fresh.ValidateSignature(ctx, d, client.PossessionKnowledge(pin), []byte("{}")); err != nil {
		t.Fatalf("signature of the recovered device: %v", err)
	}
	if d.RecoveryCode == "" || d.RecoveryCode == old.RecoveryCode {
		t.Fatalf("recovered device has recovery code %q (old %q), want a new one", d.RecoveryCode, old.RecoveryCode)
	}
	// The used recovery code cannot activate another device.
	other := e.device(t, app, version)
	_, err = other.ActivateWithRecoveryCode(ctx, old.RecoveryCode, old.RecoveryPUK, pin, client.ActivationOptions{})
	if ae := apiError(t, err); ae.HTTPStatus != http.StatusBadRequest || (ae.Code != "ERR_RECOVERY" && ae.Code != "ERR_ACTIVATION") {
		t.Fatalf("a revoked recovery code: HTTP %d %s, want 400 ERR_RECOVERY or ERR_ACTIVATION", ae.HTTPStatus, ae.Code)
	}
	wantSynced(t, fresh, d)
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			t.Fatalf("not a number: %q", s)
		}
		n = n*10 + int(c-'0')
	}
	return n
}
