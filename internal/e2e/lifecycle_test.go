package e2e

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/mauth/mauth/client"
	"github.com/mauth/mauth/protocol"
)

// TestEndToEndInProcess runs every scenario on the all-in-one deployment.
func TestEndToEndInProcess(t *testing.T) { runSuite(t, InProcess) }

const (
	pin      = "1234"
	wrongPIN = "9999"
)

// activateWithCode inits an activation for userID, activates a new device
// with the scanned code and commits it.
func activateWithCode(t *testing.T, e *env, c *client.Client, app *testApp, userID string) *client.Device {
	t.Helper()
	qr, id := e.initActivation(t, app, userID, nil)
	res, err := c.ActivateWithCode(context.Background(), qr, pin, client.ActivationOptions{Name: "phone of " + userID, Platform: "android", DeviceInfo: "e2e"})
	if err != nil {
		t.Fatalf("activate: %v", err)
	}
	if res.Device.ActivationID != id {
		t.Fatalf("activated %s, want %s", res.Device.ActivationID, id)
	}
	e.commit(t, id)
	return res.Device
}

// wantStatus fetches the device's status and checks state and failures.
func wantStatus(t *testing.T, c *client.Client, d *client.Device, state client.ActivationState, failed int) *client.Status {
	t.Helper()
	st, err := c.Status(context.Background(), d)
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	if st.State != state || st.FailedAttempts != failed {
		t.Fatalf("status: %s with %d failed attempts, want %s with %d", st.State, st.FailedAttempts, state, failed)
	}
	return st
}

// wantSynced fetches the status and requires ACTIVE with the device's
// counter in sync with the server's.
func wantSynced(t *testing.T, c *client.Client, d *client.Device) {
	t.Helper()
	st := wantStatus(t, c, d, client.StateActive, 0)
	if !st.CounterSynced || st.CounterAhead != 0 {
		t.Fatalf("counter not in sync: synced %v, ahead %d", st.CounterSynced, st.CounterAhead)
	}
}

// scenarioLifecycle is the full life of a code-activated device: key
// exchange, commit, status, signatures of every factor combination,
// blocking by wrong PINs and unblocking, tokens, vault, rename, user info
// and removal.
func scenarioLifecycle(t *testing.T, e *env, app *testApp, version string) {
	ctx := context.Background()
	c := e.device(t, app, version)
	user := "user-lifecycle-" + version
	qr, id := e.initActivation(t, app, user, nil)

	res, err := c.ActivateWithCode(ctx, qr, pin, client.ActivationOptions{Name: "phone", Platform: "ios", DeviceInfo: "iPhone15,2"})
	if err != nil {
		t.Fatalf("activate: %v", err)
	}
	d := res.Device
	if d.ActivationID != id {
		t.Fatalf("activated %s, want %s", d.ActivationID, id)
	}
	if len(res.CustomAttributes) != 0 || res.UserInfo != nil {
		t.Fatalf("layer 1 extras: custom %v, user info %v", res.CustomAttributes, res.UserInfo)
	}
	core := e.coreStatus(t, id)
	if core["activationStatus"] != "PENDING_COMMIT" || core["devicePublicKeyFingerprint"] != d.Fingerprint || core["activationName"] != "phone" || core["platform"] != "ios" {
		t.Fatalf("core view after key exchange: %v (device fingerprint %s)", core, d.Fingerprint)
	}
	wantStatus(t, c, d, client.StatePendingCommit, 0)

	e.commit(t, id)
	wantSynced(t, c, d)

	t.Run("signatures", func(t *testing.T) {
		for _, f := range []client.Factors{
			client.Possession,
			client.PossessionKnowledge(pin),
			client.PossessionBiometry,
			{Type: protocol.SignaturePossessionKnowledgeBiometry, PIN: pin},
		} {
			if err := c.ValidateSignature(ctx, d, f, []byte(`{"operation":"pay","amount":"100.00"}`)); err != nil {
				t.Fatalf("%s signature: %v", f.Type, err)
			}
		}
		q := url.Values{"b": {"2", "1"}, "a": {"x y"}}
		for _, m := range []string{http.MethodGet, http.MethodDelete} {
			if _, err := c.SignedRequest(ctx, d, client.PossessionKnowledge(pin), m, "/pa/v3/signature/validate", "/pa/signature/validate", q, nil); err != nil {
				t.Fatalf("%s signature: %v", m, err)
			}
		}
		if _, err := c.SignedRequest(ctx, d, client.PossessionKnowledge(pin), http.MethodPut, "/pa/v3/signature/validate", "/pa/signature/validate", nil, []byte(`{"put":true}`)); err != nil {
			t.Fatalf("PUT signature: %v", err)
		}
		// knowledge alone is not accepted by signature/validate.
		err := c.ValidateSignature(ctx, d, client.Factors{Type: protocol.SignatureKnowledge, PIN: pin}, []byte("{}"))
		wantAPIError(t, err, http.StatusUnauthorized, codeValidateFail)
		// A device that signed a request the server never verified is ahead.
		st := wantStatus(t, c, d, client.StateActive, 0)
		if st.CounterAhead != 1 {
			t.Fatalf("counter ahead %d, want 1", st.CounterAhead)
		}
		if err := c.ValidateSignature(ctx, d, client.Possession, []byte("{}")); err != nil {
			t.Fatalf("signature after a skipped counter: %v", err)
		}
		wantSynced(t, c, d)
	})

	t.Run("wrong-pin-blocks", func(t *testing.T) {
		for i := 1; i <= 5; i++ {
			err := c.ValidateSignature(ctx, d, client.PossessionKnowledge(wrongPIN), []byte("{}"))
			wantAPIError(t, err, http.StatusUnauthorized, codeValidateFail)
			state := client.StateActive
			if i == 5 {
				state = client.StateBlocked
			}
			st := wantStatus(t, c, d, state, i)
			if st.RemainingAttempts != 5-i {
				t.Fatalf("remaining attempts %d after %d wrong PINs", st.RemainingAttempts, i)
			}
		}
		e.wantCoreState(t, id, "BLOCKED", 5)
		// The right PIN does not help a blocked activation.
		err := c.ValidateSignature(ctx, d, client.PossessionKnowledge(pin), []byte("{}"))
		wantAPIError(t, err, http.StatusUnauthorized, codeValidateFail)
		wantStatus(t, c, d, client.StateBlocked, 5)

		res := e.private(t, "activation/unblock", map[string]any{"activationId": id})
		if res["activationStatus"] != "ACTIVE" {
			t.Fatalf("unblock: %v", res)
		}
		st := wantStatus(t, c, d, client.StateActive, 0)
		if st.CounterAhead != 6 {
			t.Fatalf("counter ahead %d after 6 rejected signatures, want 6", st.CounterAhead)
		}
		if err := c.ValidateSignature(ctx, d, client.PossessionKnowledge(pin), []byte("{}")); err != nil {
			t.Fatalf("signature after unblock: %v", err)
		}
		wantSynced(t, c, d)
	})

	t.Run("tokens", func(t *testing.T) {
		tok, err := c.CreateToken(ctx, d, client.PossessionKnowledge(pin))
		if err != nil {
			t.Fatalf("create token: %v", err)
		}
		detail, err := c.Detail(ctx, d, tok)
		if err != nil {
			t.Fatalf("detail with token: %v", err)
		}
		if detail.ActivationID != id || detail.ActivationName != "phone" {
			t.Fatalf("detail: %+v", detail)
		}
		// A possession-only token is not enough for the activation detail.
		weak, err := c.CreateToken(ctx, d, client.Possession)
		if err != nil {
			t.Fatalf("create possession token: %v", err)
		}
		_, err = c.Detail(ctx, d, weak)
		wantAPIError(t, err, http.StatusUnauthorized, "ERR_AUTHENTICATION")
		for _, tk := range []*client.Token{tok, weak} {
			if err := c.RemoveToken(ctx, d, client.Possession, tk.ID); err != nil {
				t.Fatalf("remove token: %v", err)
			}
		}
		_, err = c.Detail(ctx, d, tok)
		wantAPIError(t, err, http.StatusUnauthorized, "ERR_AUTHENTICATION")
		wantSynced(t, c, d)
	})

	t.Run("vault", func(t *testing.T) {
		priv, err := c.UnlockVault(ctx, d, client.PossessionKnowledge(pin), "FETCH_ENCRYPTION_KEY")
		if err != nil {
			t.Fatalf("unlock vault: %v", err)
		}
		dp, err := protocol.ParsePublicKey(d.DevicePublicKey)
		if err != nil || !priv.Public().Equal(dp) {
			t.Fatalf("vault released a private key that does not match the device key")
		}
		data := []byte("transfer 100 to Bob")
		sig, err := c.SignWithDeviceKey(ctx, d, client.PossessionKnowledge(pin), data)
		if err != nil {
			t.Fatalf("sign with device key: %v", err)
		}
		res := e.private(t, "signature/ecdsa/verify", map[string]any{"activationId": id, "data": b64(data), "signature": b64(sig), "signatureFormat": "DER"})
		if res["signatureValid"] != true {
			t.Fatalf("device signature does not verify: %v", res)
		}
		res = e.private(t, "signature/ecdsa/verify", map[string]any{"activationId": id, "data": b64([]byte("other data")), "signature": b64(sig), "signatureFormat": "DER"})
		if res["signatureValid"] != false {
			t.Fatalf("device signature verifies over other data: %v", res)
		}
		// Possession alone does not open the vault.
		_, err = c.UnlockVault(ctx, d, client.Possession, "FETCH_ENCRYPTION_KEY")
		wantAPIError(t, err, http.StatusUnauthorized, "ERR_AUTHENTICATION")
		if err := c.ValidateSignature(ctx, d, client.Possession, []byte("{}")); err != nil {
			t.Fatalf("signature after vault unlock: %v", err)
		}
		wantSynced(t, c, d)
	})

	t.Run("rename-and-user-info", func(t *testing.T) {
		detail, err := c.Rename(ctx, d, client.PossessionKnowledge(pin), "work phone")
		if err != nil {
			t.Fatalf("rename: %v", err)
		}
		if detail.ActivationID != id || detail.ActivationName != "work phone" {
			t.Fatalf("rename answered %+v", detail)
		}
		if got := e.coreStatus(t, id)["activationName"]; got != "work phone" {
			t.Fatalf("core name %v after rename", got)
		}
		claims, err := c.UserInfo(ctx, d)
		if err != nil {
			t.Fatalf("user info: %v", err)
		}
		if claims["sub"] != user {
			t.Fatalf("user info claims %v, want sub %s", claims, user)
		}
		wantSynced(t, c, d)
	})

	t.Run("remove", func(t *testing.T) {
		// Removal needs two factors.
		err := c.Remove(ctx, d, client.Possession)
		wantAPIError(t, err, http.StatusUnauthorized, "ERR_AUTHENTICATION")
		e.wantCoreState(t, id, "ACTIVE", 0)
		if err := c.Remove(ctx, d, client.PossessionKnowledge(pin)); err != nil {
			t.Fatalf("remove: %v", err)
		}
		wantStatus(t, c, d, client.StateRemoved, 0)
		e.wantCoreState(t, id, "REMOVED", 0)
		err = c.ValidateSignature(ctx, d, client.PossessionKnowledge(pin), []byte("{}"))
		wantAPIError(t, err, http.StatusUnauthorized, codeValidateFail)
	})
}
