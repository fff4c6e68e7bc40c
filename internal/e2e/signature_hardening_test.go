package e2e

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/mauth/mauth/client"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/teststore"
	"github.com/mauth/mauth/protocol"
)

// TestSignatureHardening attacks signatures through the real APIs, on both
// databases and both deployments, with the clock frozen (only the test
// moves it): exact replays of an accepted signature are refused without
// counting (issue 11 A4), possession-only guessing runs into a back-off
// and a per-application minimum version (A2), and an activation cannot be
// taken below the protocol version it has spoken (A5).
func TestSignatureHardening(t *testing.T) {
	for name, dep := range map[string]Deployment{"in-process": InProcess, "split": splitDeployment} {
		t.Run(name, func(t *testing.T) {
			teststore.Each(t, func(t *testing.T, st store.Store) {
				e := newEnv(t, st, dep)
				e.clock.Stop()
				t.Run("replay-is-not-a-failure", func(t *testing.T) { hardeningReplay(t, e, e.newApp(t, "hard-replay")) })
				t.Run("possession-backoff", func(t *testing.T) { hardeningPossession(t, e, e.newApp(t, "hard-possession")) })
				t.Run("minimum-version", func(t *testing.T) { hardeningMinimum(t, e, e.newApp(t, "hard-minimum")) })
				t.Run("downgrade", func(t *testing.T) { hardeningDowngrade(t, e, e.newApp(t, "hard-downgrade")) })
			})
		})
	}
}

const validateURI = "/pa/signature/validate"

// validate sends a signed /pa/v3/signature/validate request.
func (e *env) validate(t *testing.T, header string, body []byte) rawResponse {
	t.Helper()
	return e.publicRaw(t, http.MethodPost, "/pa/v3/signature/validate", map[string]string{protocol.HeaderAuthorization: header}, body)
}

// signV30 makes a 3.0 (8-digit DECIMAL) possession signature header of
// the device, as an old SDK would; the client package speaks 3.1 and up.
func signV30(t *testing.T, app *testApp, d *client.Device, body []byte) string {
	t.Helper()
	nonce := protocol.RandomBytes(16)
	data := protocol.SignatureData(protocol.RequestData(http.MethodPost, validateURI, nonce, body), app.secret)
	sig, err := protocol.ComputeSignature(&protocol.ActivationKeys{Possession: d.PossessionKey}, protocol.SignaturePossession,
		d.CtrData, data, protocol.FormatDecimal, protocol.OnlineDecimalLength)
	if err != nil {
		t.Fatal(err)
	}
	d.CtrData, d.Counter = protocol.NextCtrData(d.CtrData), d.Counter+1
	return protocol.AuthorizationHeader{
		Version: protocol.Version30, ActivationID: d.ActivationID, ApplicationKey: app.key,
		Nonce: b64(nonce), SignatureType: protocol.SignaturePossession, Signature: sig,
	}.String()
}

// privateVerify sends a signature header's content to /rest/v3/signature/verify.
func (e *env) privateVerify(t *testing.T, header string, body []byte) map[string]any {
	t.Helper()
	h, err := protocol.ParseAuthorizationHeader(header)
	if err != nil {
		t.Fatal(err)
	}
	nonce, err := h.NonceBytes()
	if err != nil {
		t.Fatal(err)
	}
	return e.private(t, "signature/verify", map[string]any{
		"activationId": h.ActivationID, "applicationKey": h.ApplicationKey,
		"data":      protocol.RequestData(http.MethodPost, validateURI, nonce, body),
		"signature": h.Signature, "signatureType": service.SignatureTypeName(h.SignatureType), "signatureVersion": h.Version,
	})
}

// wantRefused checks a signature/verify answer that refused a signature
// of an ACTIVE activation without counting a failure.
func wantRefused(t *testing.T, ro map[string]any, remaining int) {
	t.Helper()
	if ro["signatureValid"] != false || ro["activationStatus"] != "ACTIVE" || ro["remainingAttempts"] != float64(remaining) {
		t.Fatalf("got %v, want invalid, ACTIVE, %d attempts left", ro, remaining)
	}
}

// setProtocol changes an application's protocol settings over the private API.
func (e *env) setProtocol(t *testing.T, app *testApp, settings map[string]any) {
	t.Helper()
	req := map[string]any{"applicationId": app.name}
	for k, v := range settings {
		req[k] = v
	}
	e.private(t, "application/protocol/update", req)
}

// hardeningReplay sends 32 copies of one valid two-factor header at once:
// one is accepted, 31 are refused as replays and the activation stays
// ACTIVE with no failed attempt. On signature/verify a replay answers
// signatureValid false with remainingAttempts unchanged.
func hardeningReplay(t *testing.T, e *env, app *testApp) {
	ctx := context.Background()
	c := e.device(t, app, protocol.Version33)
	d := activateWithCode(t, e, c, app, "user-hard-replay")
	body := []byte(`{"pay":"100 EUR"}`)
	hdr, err := c.SignatureHeader(d, client.PossessionKnowledge(pin), http.MethodPost, validateURI, body)
	if err != nil {
		t.Fatal(err)
	}
	const copies = 32
	statuses := make(chan rawResponse, copies)
	var wg sync.WaitGroup
	for range copies {
		wg.Go(func() { statuses <- e.validate(t, hdr, body) })
	}
	wg.Wait()
	close(statuses)
	ok, refused := 0, 0
	for r := range statuses {
		switch {
		case r.status == http.StatusOK:
			ok++
		case r.status == http.StatusUnauthorized && errorCode(r.body) == codeValidateFail:
			refused++
		default:
			t.Fatalf("copy answered HTTP %d %s", r.status, r.raw)
		}
	}
	if ok != 1 || refused != copies-1 {
		t.Fatalf("%d accepted, %d refused; want 1 and %d", ok, refused, copies-1)
	}
	e.wantCoreState(t, d.ActivationID, "ACTIVE", 0)

	// The same through the private API: the first is valid, the replay is
	// invalid with every attempt left.
	hdr, err = c.SignatureHeader(d, client.PossessionKnowledge(pin), http.MethodPost, validateURI, body)
	if err != nil {
		t.Fatal(err)
	}
	if ro := e.privateVerify(t, hdr, body); ro["signatureValid"] != true {
		t.Fatalf("first verify: %v", ro)
	}
	for range 6 { // more than the 5 allowed failures
		wantRefused(t, e.privateVerify(t, hdr, body), 5)
	}
	e.wantCoreState(t, d.ActivationID, "ACTIVE", 0)
	// A wrong PIN still counts, and the device keeps working.
	if err := c.ValidateSignature(ctx, d, client.PossessionKnowledge(wrongPIN), body); err == nil {
		t.Fatal("wrong PIN accepted")
	}
	e.wantCoreState(t, d.ActivationID, "ACTIVE", 1)
	if err := c.ValidateSignature(ctx, d, client.PossessionKnowledge(pin), body); err != nil {
		t.Fatalf("signature after the replays: %v", err)
	}
	wantSynced(t, c, d)
}

// hardeningPossession guesses 8-digit DECIMAL possession-only signatures
// (3.0, on an application that allows them) and sends BASE64 garbage
// (3.3): after five DECIMAL failures DECIMAL possession-only signatures,
// even correct ones, are refused until the back-off ends, while the BASE64
// garbage counts nothing and the device's correct BASE64 possession-only
// signatures are accepted throughout; the activation is never blocked and
// two-factor signatures are untouched.
func hardeningPossession(t *testing.T, e *env, app *testApp) {
	ctx := context.Background()
	e.setProtocol(t, app, map[string]any{"allowVersionDowngrade": true}) // 3.0 on a 3.3 activation
	c := e.device(t, app, protocol.Version33)
	d := activateWithCode(t, e, c, app, "user-hard-possession")
	body := []byte(`{"guess":true}`)
	// A guesser has the header layout, not the keys.
	attackerHeader := func(version, sig string) string {
		t.Helper()
		cp := *d
		h, err := protocol.ParseAuthorizationHeader(signV30(t, app, &cp, body))
		if err != nil {
			t.Fatal(err)
		}
		h.Version, h.Signature = version, sig
		return h.String()
	}
	guess := func(i int) rawResponse {
		t.Helper()
		sig := []string{"00000001", "12345678", "55555555", "99999999", "31415926", "27182818"}[i%6]
		return e.validate(t, attackerHeader(protocol.Version30, sig), body)
	}
	garbage := func(n int) {
		t.Helper()
		for range n {
			hdr := attackerHeader(protocol.Version33, b64(protocol.RandomBytes(16)))
			e.validate(t, hdr, body).wantError(t, http.StatusUnauthorized, codeValidateFail)
		}
	}
	possession := func(when string) {
		t.Helper()
		if err := c.ValidateSignature(ctx, d, client.Possession, body); err != nil {
			t.Fatalf("BASE64 possession signature %s: %v", when, err)
		}
	}
	for i := range service.DefaultPossessionFailureBudget {
		guess(i).wantError(t, http.StatusUnauthorized, codeValidateFail)
		garbage(3)
	}
	// Back-off: the device's own correct DECIMAL possession signature is
	// refused too, on both APIs, and nothing is counted.
	e.validate(t, signV30(t, app, d, body), body).wantError(t, http.StatusUnauthorized, codeValidateFail)
	wantRefused(t, e.privateVerify(t, signV30(t, app, d, body), body), 5)
	e.wantCoreState(t, d.ActivationID, "ACTIVE", 0)
	// Its correct BASE64 possession signatures are accepted, on both APIs,
	// however much garbage the attacker keeps sending.
	possession("during the back-off")
	garbage(10)
	possessionHdr, err := c.SignatureHeader(d, client.Possession, http.MethodPost, validateURI, body)
	if err != nil {
		t.Fatal(err)
	}
	if ro := e.privateVerify(t, possessionHdr, body); ro["signatureValid"] != true || ro["remainingAttempts"] != float64(5) {
		t.Fatalf("BASE64 possession signature on signature/verify during the back-off: %v", ro)
	}
	// The PIN is unaffected.
	if err := c.ValidateSignature(ctx, d, client.PossessionKnowledge(pin), body); err != nil {
		t.Fatalf("two-factor signature during the back-off: %v", err)
	}
	// One minute after the fifth DECIMAL failure (the garbage counted
	// nothing) DECIMAL possession works again; the next DECIMAL failure
	// waits two minutes.
	e.clock.Advance(time.Minute - time.Millisecond)
	e.validate(t, signV30(t, app, d, body), body).wantError(t, http.StatusUnauthorized, codeValidateFail)
	e.clock.Advance(time.Millisecond)
	if r := e.validate(t, signV30(t, app, d, body), body); r.status != http.StatusOK {
		t.Fatalf("DECIMAL possession after the back-off: HTTP %d %s", r.status, r.raw)
	}
	guess(7).wantError(t, http.StatusUnauthorized, codeValidateFail)
	garbage(5)
	e.clock.Advance(2*time.Minute - time.Millisecond)
	e.validate(t, signV30(t, app, d, body), body).wantError(t, http.StatusUnauthorized, codeValidateFail)
	possession("during the second back-off")
	e.clock.Advance(time.Millisecond)
	if r := e.validate(t, signV30(t, app, d, body), body); r.status != http.StatusOK {
		t.Fatalf("DECIMAL possession after the second back-off: HTTP %d %s", r.status, r.raw)
	}
	// Many more guesses, each at the end of its wait: never BLOCKED, and
	// the device's BASE64 possession signature works between them.
	for i := range 20 {
		guess(i).wantError(t, http.StatusUnauthorized, codeValidateFail)
		garbage(1)
		if i%5 == 0 {
			possession("between guesses")
		}
		e.clock.Advance(24 * time.Hour)
	}
	e.wantCoreState(t, d.ActivationID, "ACTIVE", 0)
	possession("after the guesses")
	wantSynced(t, c, d)
}

// hardeningMinimum sets the application's minimum version to 3.2: 3.1
// activations, signatures and encrypted requests are refused, 3.2 and 3.3
// ones work.
func hardeningMinimum(t *testing.T, e *env, app *testApp) {
	ctx := context.Background()
	old := e.device(t, app, protocol.Version31)
	oldDevice := activateWithCode(t, e, old, app, "user-hard-min-31")
	e.setProtocol(t, app, map[string]any{"minimumProtocolVersion": "3.2"})
	if ro := e.private(t, "application/protocol/detail", map[string]any{"applicationId": app.name}); ro["minimumProtocolVersion"] != "3.2" || ro["allowVersionDowngrade"] != false {
		t.Fatalf("settings: %v", ro)
	}
	body := []byte(`{"min":true}`)

	// A 3.1 device can no longer sign, nor send encrypted requests.
	hdr, err := old.SignatureHeader(oldDevice, client.PossessionKnowledge(pin), http.MethodPost, validateURI, body)
	if err != nil {
		t.Fatal(err)
	}
	e.validate(t, hdr, body).wantError(t, http.StatusUnauthorized, codeValidateFail)
	_, err = old.UserInfo(ctx, oldDevice)
	wantAPIError(t, err, http.StatusBadRequest, "ERR_ENCRYPTION")
	e.wantCoreState(t, oldDevice.ActivationID, "ACTIVE", 0)
	// Nor activate.
	qr, id := e.initActivation(t, app, "user-hard-min-31b", nil)
	_, err = e.device(t, app, protocol.Version31).ActivateWithCode(ctx, qr, pin, client.ActivationOptions{})
	wantAPIError(t, err, http.StatusBadRequest, "ERR_ENCRYPTION")
	e.wantCoreState(t, id, "CREATED", 0)

	// 3.2 and 3.3 devices work.
	for _, v := range []string{protocol.Version32, protocol.Version33} {
		c := e.device(t, app, v)
		d := activateWithCode(t, e, c, app, "user-hard-min-"+v)
		if err := c.ValidateSignature(ctx, d, client.PossessionKnowledge(pin), body); err != nil {
			t.Fatalf("%s signature: %v", v, err)
		}
		if _, err := c.UserInfo(ctx, d); err != nil {
			t.Fatalf("%s encrypted request: %v", v, err)
		}
	}
	// Back to the default: the 3.1 device works again (its ratchet is 3.1).
	e.setProtocol(t, app, map[string]any{"minimumProtocolVersion": "3.0"})
	if err := old.ValidateSignature(ctx, oldDevice, client.PossessionKnowledge(pin), body); err != nil {
		t.Fatalf("3.1 signature without a minimum: %v", err)
	}
}

// hardeningDowngrade: a 3.0 signature of an activation that spoke 3.3 is
// refused, and an exact replay of a 3.1 encrypted request stops working
// once the device has spoken 3.3.
func hardeningDowngrade(t *testing.T, e *env, app *testApp) {
	ctx := context.Background()
	body := []byte(`{"downgrade":true}`)

	// Activated with 3.3: the ratchet starts at 3.3.
	c33 := e.device(t, app, protocol.Version33)
	d := activateWithCode(t, e, c33, app, "user-hard-down-33")
	e.validate(t, signV30(t, app, d, body), body).wantError(t, http.StatusUnauthorized, codeValidateFail)
	wantRefused(t, e.privateVerify(t, signV30(t, app, d, body), body), 5)
	c31 := e.device(t, app, protocol.Version31)
	if err := c31.ValidateSignature(ctx, d, client.PossessionKnowledge(pin), body); err == nil {
		t.Fatal("3.1 signature of a 3.3 activation accepted")
	}
	e.wantCoreState(t, d.ActivationID, "ACTIVE", 0)
	if err := c33.ValidateSignature(ctx, d, client.PossessionKnowledge(pin), body); err != nil {
		t.Fatalf("3.3 signature: %v", err)
	}

	// Activated with 3.1: its 3.1 encrypted requests repeat (no replay
	// protection in 3.1) until the device speaks 3.3.
	old := e.device(t, app, protocol.Version31)
	od := activateWithCode(t, e, old, app, "user-hard-down-31")
	req, _ := e.cryptogram(t, app, protocol.Version31, od, protocol.SharedInfo1GenericActivation, []byte("{}"), e.clock.Now())
	hdr := map[string]string{protocol.HeaderEncryption: encryptionHeader(app, protocol.Version31, od.ActivationID)}
	userInfo := func() rawResponse {
		return e.publicRaw(t, http.MethodPost, "/pa/v3/user/info", hdr, mustMarshal(t, req))
	}
	for range 2 {
		if r := userInfo(); r.status != http.StatusOK {
			t.Fatalf("3.1 request before the upgrade: HTTP %d %s", r.status, r.raw)
		}
	}
	if err := c33.ValidateSignature(ctx, od, client.Possession, body); err != nil { // the app updated its SDK
		t.Fatalf("first 3.3 signature: %v", err)
	}
	userInfo().wantError(t, http.StatusBadRequest, "ERR_ENCRYPTION")
	for _, v := range []string{protocol.Version31, protocol.Version32} {
		_, err := e.device(t, app, v).UserInfo(ctx, od)
		wantAPIError(t, err, http.StatusBadRequest, "ERR_ENCRYPTION")
	}
	if _, err := c33.UserInfo(ctx, od); err != nil {
		t.Fatalf("3.3 encrypted request: %v", err)
	}

	// With the ratchet off (per application) older versions work again.
	e.setProtocol(t, app, map[string]any{"allowVersionDowngrade": true})
	if r := userInfo(); r.status != http.StatusOK {
		t.Fatalf("3.1 request with the ratchet off: HTTP %d %s", r.status, r.raw)
	}
	if r := e.validate(t, signV30(t, app, d, body), body); r.status != http.StatusOK {
		t.Fatalf("3.0 signature with the ratchet off: HTTP %d %s", r.status, r.raw)
	}
	e.wantCoreState(t, d.ActivationID, "ACTIVE", 0)
	e.wantCoreState(t, od.ActivationID, "ACTIVE", 0)
}
