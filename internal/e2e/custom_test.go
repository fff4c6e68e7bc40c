package e2e

import (
	"context"
	"net/http"
	"testing"

	"github.com/mauth/mauth/client"
)

// userActivations lists the activations of a user through the private API.
func (e *env) userActivations(t *testing.T, userID string) []any {
	t.Helper()
	res := e.private(t, "activation/list", map[string]any{"userId": userID})
	list, _ := res["activations"].([]any)
	return list
}

// scenarioCustom activates with custom credentials that the bank's backend
// (a test HTTP identity provider) maps to a user.
func scenarioCustom(t *testing.T, e *env, app *testApp, version string) {
	ctx := context.Background()
	c := e.device(t, app, version)
	before := len(e.userActivations(t, idpUserID))
	calls := e.identityProviderCalls()

	_, err := c.ActivateWithCredentials(ctx, map[string]string{"username": idpUsername, "password": "wrong"}, pin, client.ActivationOptions{Name: "legacy"})
	wantAPIError(t, err, http.StatusBadRequest, "ERR_ACTIVATION")
	if got := e.identityProviderCalls(); got != calls+1 {
		t.Fatalf("identity provider called %d times, want 1", got-calls)
	}
	if n := len(e.userActivations(t, idpUserID)); n != before {
		t.Fatalf("wrong credentials created an activation (%d → %d)", before, n)
	}

	res, err := c.ActivateWithCredentials(ctx, map[string]string{"username": idpUsername, "password": idpPassword}, pin,
		client.ActivationOptions{Name: "legacy", CustomAttributes: map[string]any{"channel": "migration"}})
	if err != nil {
		t.Fatalf("custom activation: %v", err)
	}
	if res.CustomAttributes["channel"] != "migration" {
		t.Fatalf("custom attributes echoed as %v", res.CustomAttributes)
	}
	d := res.Device
	core := e.coreStatus(t, d.ActivationID)
	if core["userId"] != idpUserID || core["activationStatus"] != "ACTIVE" {
		t.Fatalf("custom activation in the core: %v", core)
	}
	if n := len(e.userActivations(t, idpUserID)); n != before+1 {
		t.Fatalf("user has %d activations, want %d", n, before+1)
	}
	wantSynced(t, c, d)
	if err := c.ValidateSignature(ctx, d, client.PossessionKnowledge(pin), []byte(`{"login":true}`)); err != nil {
		t.Fatalf("signature of the custom activation: %v", err)
	}
	claims, err := c.UserInfo(ctx, d)
	if err != nil || claims["sub"] != idpUserID {
		t.Fatalf("user info %v, %v", claims, err)
	}
	wantSynced(t, c, d)
}

// scenarioOTPKeyExchange: the activation OTP is checked on the key
// exchange (sent by the device inside layer 2); a correct OTP activates
// without a commit.
func scenarioOTPKeyExchange(t *testing.T, e *env, app *testApp, version string) {
	ctx := context.Background()
	c := e.device(t, app, version)
	qr, id := e.initActivation(t, app, "user-otp-kx-"+version, map[string]any{"activationOtp": "24680", "activationOtpValidation": "ON_KEY_EXCHANGE"})

	_, err := c.ActivateWithCode(ctx, qr, pin, client.ActivationOptions{OTP: "13579"})
	wantAPIError(t, err, http.StatusBadRequest, "ERR_ACTIVATION")
	e.wantCoreState(t, id, "CREATED", 1)

	res, err := c.ActivateWithCode(ctx, qr, pin, client.ActivationOptions{OTP: "24680"})
	if err != nil {
		t.Fatalf("activate with OTP: %v", err)
	}
	e.wantCoreState(t, id, "ACTIVE", 0)
	wantSynced(t, c, res.Device)
	if err := c.ValidateSignature(ctx, res.Device, client.PossessionKnowledge(pin), []byte("{}")); err != nil {
		t.Fatalf("signature: %v", err)
	}
}

// scenarioOTPCommit: the activation OTP is checked when the bank's backend
// commits the activation.
func scenarioOTPCommit(t *testing.T, e *env, app *testApp, version string) {
	ctx := context.Background()
	c := e.device(t, app, version)
	qr, id := e.initActivation(t, app, "user-otp-commit-"+version, map[string]any{"activationOtp": "11223", "activationOtpValidation": "ON_COMMIT"})

	res, err := c.ActivateWithCode(ctx, qr, pin, client.ActivationOptions{})
	if err != nil {
		t.Fatalf("activate: %v", err)
	}
	d := res.Device
	wantStatus(t, c, d, client.StatePendingCommit, 0)

	e.privateFail(t, "activation/commit", map[string]any{"activationId": id, "activationOtp": "99999"}, http.StatusBadRequest, "ERR0031")
	e.wantCoreState(t, id, "PENDING_COMMIT", 1)
	e.privateFail(t, "activation/commit", map[string]any{"activationId": id}, http.StatusBadRequest, "ERR0031")

	commit := e.private(t, "activation/commit", map[string]any{"activationId": id, "activationOtp": "11223"})
	if commit["activated"] != true {
		t.Fatalf("commit with OTP: %v", commit)
	}
	wantSynced(t, c, d)
	if err := c.ValidateSignature(ctx, d, client.PossessionKnowledge(pin), []byte("{}")); err != nil {
		t.Fatalf("signature: %v", err)
	}
}
