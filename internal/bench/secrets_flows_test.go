package bench

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/mauth/mauth/client"
	"github.com/mauth/mauth/internal/callbacks"
	"github.com/mauth/mauth/internal/coreclient"
	"github.com/mauth/mauth/protocol"
)

// randomSecret returns a fresh random text secret (hex, 2n characters).
func randomSecret(n int) string { return hex.EncodeToString(protocol.RandomBytes(n)) }

// callbackReceiver is the bank's callback endpoint: HTTP Basic protected,
// every request signed with the callback's signing secret.
type callbackReceiver struct {
	user, password string
	mu             sync.Mutex
	secrets        []string
	ok             int
	bad            []string
}

// newCallbackReceiver starts the bank's endpoint and registers operation
// and activation callbacks to it; their signing secrets and the Basic
// password are secrets.
func newCallbackReceiver(t *testing.T, tg *target, sec *secretSet) *callbackReceiver {
	t.Helper()
	r := &callbackReceiver{user: "bank", password: "cb-" + randomSecret(12)}
	sec.addString("callback HTTP Basic password", r.password)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	for _, cb := range []struct {
		typ, path  string
		attributes []string
	}{
		{"OPERATION_STATUS_CHANGE", "/operations", []string{"userId", "status", "data"}},
		{"ACTIVATION_STATUS_CHANGE", "/activations", []string{"userId", "activationStatus"}},
	} {
		var created struct {
			SigningSecret string `json:"signingSecret"`
		}
		err := tg.privateCall(context.Background(), "application/callback/create", map[string]any{
			"applicationId": tg.appName, "name": "log-" + cb.path[1:], "type": cb.typ, "callbackUrl": srv.URL + cb.path,
			"attributes":     cb.attributes,
			"authentication": map[string]any{"httpBasic": map[string]any{"enabled": true, "username": r.user, "password": r.password}},
		}, &created)
		if err != nil {
			t.Fatal(err)
		}
		if created.SigningSecret == "" {
			t.Fatal("callback/create answered no signing secret")
		}
		sec.addString("callback signing secret", created.SigningSecret)
		r.mu.Lock()
		r.secrets = append(r.secrets, created.SigningSecret)
		r.mu.Unlock()
	}
	return r
}

func (r *callbackReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	verified := false
	for _, s := range r.secrets {
		if callbacks.VerifySignature(s, req.Header.Get(callbacks.SignatureHeader), body, 5*time.Minute) == nil {
			verified = true
		}
	}
	u, p, _ := req.BasicAuth()
	if err != nil || !verified || u != r.user || p != r.password {
		r.bad = append(r.bad, req.URL.Path+" "+string(body))
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	r.ok++
	w.WriteHeader(http.StatusOK)
}

// count returns the number of accepted deliveries.
func (r *callbackReceiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ok
}

// rejected returns the deliveries refused for a bad signature or password.
func (r *callbackReceiver) rejected() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.bad...)
}

// postcardPrinter is the bank's recovery postcard printing center: it
// derives a postcard's recovery code and PUKs from recovery/create.
type postcardPrinter struct {
	key       *protocol.PrivateKey
	serverPub *protocol.PublicKey
}

// enableRecovery turns on activation recovery and recovery postcards
// (several codes per user) for the bench application.
func enableRecovery(t *testing.T, tg *target) *postcardPrinter {
	t.Helper()
	ctx := context.Background()
	key, err := protocol.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	if err := tg.privateCall(ctx, "recovery/config/update", map[string]any{
		"applicationId": tg.appName, "activationRecoveryEnabled": true, "recoveryPostcardEnabled": true,
		"allowMultipleRecoveryCodes": true, "remotePostcardPublicKey": base64.StdEncoding.EncodeToString(key.Public().Compressed()),
	}, nil); err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		PostcardPublicKey string `json:"postcardPublicKey"`
	}
	if err := tg.privateCall(ctx, "recovery/config/detail", map[string]any{"applicationId": tg.appName}, &cfg); err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(cfg.PostcardPublicKey)
	if err != nil {
		t.Fatalf("postcard public key %q: %v", cfg.PostcardPublicKey, err)
	}
	pub, err := protocol.ParsePublicKey(raw)
	if err != nil {
		t.Fatalf("postcard public key: %v", err)
	}
	return &postcardPrinter{key: key, serverPub: pub}
}

// postcard orders a postcard for user and derives its code and PUKs.
func (p *postcardPrinter) postcard(t *testing.T, tg *target, user string, puks int) (string, []string) {
	t.Helper()
	var created struct {
		Nonce string `json:"nonce"`
		Puks  []struct {
			PukDerivationIndex uint64 `json:"pukDerivationIndex"`
		} `json:"puks"`
	}
	if err := tg.privateCall(context.Background(), "recovery/create", map[string]any{"applicationId": tg.appName, "userId": user, "pukCount": puks}, &created); err != nil {
		t.Fatal(err)
	}
	nonce, err := base64.StdEncoding.DecodeString(created.Nonce)
	if err != nil {
		t.Fatal(err)
	}
	shared, err := p.key.SharedSecret(p.serverPub)
	if err != nil {
		t.Fatal(err)
	}
	seed, err := protocol.DeriveRecoverySeed(shared, nonce)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, item := range created.Puks {
		puk, err := protocol.DerivePUK(seed.PUKBaseKey, item.PukDerivationIndex)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, puk)
	}
	if len(out) != puks {
		t.Fatalf("postcard with %d PUKs, want %d", len(out), puks)
	}
	return seed.Code, out
}

// wrongDigits returns s with its first digit changed.
func wrongDigits(s string) string {
	b := []byte(s)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

// activationOTPOnKeyExchange activates with an OTP the device sends in
// the key exchange: a wrong one first, then the right one (which
// activates without a commit).
func activationOTPOnKeyExchange(t *testing.T, tg *target, sec *secretSet) {
	t.Helper()
	ctx := context.Background()
	otp, wrong := "kx-"+randomSecret(8), "kx-"+randomSecret(8)
	sec.addString("activation OTP (key exchange)", otp)
	sec.addString("wrong activation OTP (key exchange)", wrong)
	init, err := tg.core.InitActivation(ctx, coreclient.InitActivationRequest{UserID: "log-otp-kx", ApplicationID: tg.appName, ActivationOtp: otp, ActivationOtpValidation: "ON_KEY_EXCHANGE"})
	if err != nil {
		t.Fatal(err)
	}
	sec.addString("activation code", init.ActivationCode)
	if _, err := tg.device.ActivateWithCode(ctx, init.ActivationCode, benchPIN, client.ActivationOptions{Name: "log", OTP: wrong}); err == nil {
		t.Fatal("key exchange with a wrong activation OTP succeeded")
	}
	res, err := tg.device.ActivateWithCode(ctx, init.ActivationCode, benchPIN, client.ActivationOptions{Name: "log", OTP: otp})
	if err != nil {
		t.Fatalf("key exchange with the activation OTP: %v", err)
	}
	addDeviceSecrets(sec, res.Device)
	// The right OTP on key exchange activates without a commit.
	if err := tg.device.ValidateSignature(ctx, res.Device, client.PossessionKnowledge(benchPIN), []byte(`{}`)); err != nil {
		t.Fatalf("signature after the key exchange with the OTP: %v", err)
	}
}

// activationOTPOnCommit activates with an OTP the bank checks on commit;
// the OTP is replaced (activation/otp/update) and a wrong one is tried
// before the right one.
func activationOTPOnCommit(t *testing.T, tg *target, sec *secretSet) {
	t.Helper()
	ctx := context.Background()
	first, otp, wrong := "cm-"+randomSecret(8), "cm-"+randomSecret(8), "cm-"+randomSecret(8)
	sec.addString("first activation OTP (commit)", first)
	sec.addString("activation OTP (commit)", otp)
	sec.addString("wrong activation OTP (commit)", wrong)
	init, err := tg.core.InitActivation(ctx, coreclient.InitActivationRequest{UserID: "log-otp-commit", ApplicationID: tg.appName, ActivationOtp: first, ActivationOtpValidation: "ON_COMMIT"})
	if err != nil {
		t.Fatal(err)
	}
	sec.addString("activation code", init.ActivationCode)
	res, err := tg.device.ActivateWithCode(ctx, init.ActivationCode, benchPIN, client.ActivationOptions{Name: "log"})
	if err != nil {
		t.Fatalf("key exchange: %v", err)
	}
	addDeviceSecrets(sec, res.Device)
	if err := tg.privateCall(ctx, "activation/otp/update", map[string]any{"activationId": init.ActivationID, "activationOtp": otp}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := tg.core.CommitActivation(ctx, init.ActivationID, "", wrong); err == nil {
		t.Fatal("commit with a wrong activation OTP succeeded")
	}
	if _, err := tg.core.CommitActivation(ctx, init.ActivationID, "", first); err == nil {
		t.Fatal("commit with the replaced activation OTP succeeded")
	}
	if _, err := tg.core.CommitActivation(ctx, init.ActivationID, "", otp); err != nil {
		t.Fatalf("commit with the activation OTP: %v", err)
	}
}

// operationSecrets approves operations of user from d: a payment with
// wrong data first, then the right data, and a payment with a proximity
// check, with a wrong proximity OTP first, then the right one. The
// operation data (a payee account) are checked like secrets: personal data
// stay out of the logs too.
func operationSecrets(t *testing.T, tg *target, sec *secretSet, d *client.Device, user string) {
	t.Helper()
	ctx := context.Background()
	op, err := tg.createPayment(ctx, user, 42)
	if err != nil {
		t.Fatal(err)
	}
	sec.addString("operation data", op.Data)
	if err := tg.device.AuthorizeOperation(ctx, d, client.PossessionKnowledge(benchPIN), client.Approval{ID: op.ID, Data: op.Data + "0"}); err == nil {
		t.Fatal("approval of other data succeeded")
	}
	if err := tg.device.AuthorizeOperation(ctx, d, client.PossessionKnowledge(benchPIN), client.Approval{ID: op.ID, Data: op.Data}); err != nil {
		t.Fatalf("approval: %v", err)
	}

	tmpl := operationTemplate(tg.opTemplate + "-proximity")
	tmpl["proximityCheckEnabled"] = true
	tmpl["maxFailureCount"] = 50 // room for the retries below
	if err := tg.privateCall(ctx, "operation/template/create", tmpl, nil); err != nil {
		t.Fatal(err)
	}
	var created createdOperation
	if err := tg.privateCall(ctx, "operation/create", map[string]any{
		"userId": user, "applications": []string{tg.appName}, "templateName": tmpl["templateName"],
		"parameters": map[string]string{"amount": "77.70", "currency": "EUR", "iban": benchIBAN},
	}, &created); err != nil {
		t.Fatal(err)
	}
	sec.addString("operation data", created.Data)
	// The bank reads the proximity OTP (a TOTP of the server's clock).
	readOTP := func() string {
		t.Helper()
		var detail struct {
			ProximityOtp string `json:"proximityOtp"`
		}
		if err := tg.privateCall(ctx, "operation/detail", map[string]any{"operationId": created.ID}, &detail); err != nil {
			t.Fatal(err)
		}
		if len(detail.ProximityOtp) < 6 || !digitsOnly.MatchString(detail.ProximityOtp) {
			t.Fatalf("proximity OTP %q", detail.ProximityOtp)
		}
		sec.addString("proximity OTP", detail.ProximityOtp)
		return detail.ProximityOtp
	}
	otp := readOTP()
	wrong := wrongDigits(otp)
	sec.addString("wrong proximity OTP", wrong)
	if err := tg.device.AuthorizeOperation(ctx, d, client.PossessionKnowledge(benchPIN), client.Approval{ID: created.ID, Data: created.Data, ProximityOTP: wrong}); err == nil {
		t.Fatal("approval with a wrong proximity OTP succeeded")
	}
	// The in-process server runs on the real clock: when the TOTP step
	// moved on past the accepted window between the bank's read and the
	// approval (a slow machine), the approval is refused and the bank
	// reads the new OTP. Only a refusal of the OTP the bank still reads
	// is an error.
	for {
		err := tg.device.AuthorizeOperation(ctx, d, client.PossessionKnowledge(benchPIN), client.Approval{ID: created.ID, Data: created.Data, ProximityOTP: otp})
		if err == nil {
			break
		}
		current := readOTP()
		if current == otp {
			t.Fatalf("approval with the proximity OTP: %v", err)
		}
		t.Logf("the proximity OTP changed before the approval (%v); again with the new one", err)
		otp = current
	}
	var final struct {
		Status string `json:"status"`
	}
	if err := tg.privateCall(ctx, "operation/detail", map[string]any{"operationId": created.ID}, &final); err != nil || final.Status != "APPROVED" {
		t.Fatalf("proximity operation: %+v %v", final, err)
	}
}

// recoverySecrets recovers lost with the recovery code and PUK its
// activation carried (a wrong PUK first), and activates another device
// with a postcard's code (confirmed by keep) and first PUK (a wrong PUK
// first).
func recoverySecrets(t *testing.T, tg *target, sec *secretSet, printer *postcardPrinter, keep, lost *client.Device, user string) {
	t.Helper()
	ctx := context.Background()
	if lost.RecoveryCode == "" || len(lost.RecoveryPUK) != 10 {
		t.Fatalf("the activation carried no recovery code and PUK (code %q)", lost.RecoveryCode)
	}
	if _, err := tg.device.ActivateWithRecoveryCode(ctx, lost.RecoveryCode, wrongDigits(lost.RecoveryPUK), benchPIN, client.ActivationOptions{Name: "log"}); err == nil {
		t.Fatal("recovery with a wrong PUK succeeded")
	}
	sec.addString("wrong PUK", wrongDigits(lost.RecoveryPUK))
	res, err := tg.device.ActivateWithRecoveryCode(ctx, lost.RecoveryCode, lost.RecoveryPUK, benchPIN, client.ActivationOptions{Name: "log"})
	if err != nil {
		t.Fatalf("recovery with the activation's code and PUK: %v", err)
	}
	addDeviceSecrets(sec, res.Device)

	code, puks := printer.postcard(t, tg, user, 3)
	sec.addString("postcard recovery code", code)
	for _, p := range puks {
		sec.addString("postcard PUK", p)
	}
	if _, err := tg.device.ConfirmRecoveryCode(ctx, keep, client.PossessionKnowledge(benchPIN), code); err != nil {
		t.Fatalf("confirm the postcard code: %v", err)
	}
	if _, err := tg.device.ActivateWithRecoveryCode(ctx, code, puks[1], benchPIN, client.ActivationOptions{Name: "log"}); err == nil {
		t.Fatal("recovery with the postcard's second PUK first succeeded")
	}
	res, err = tg.device.ActivateWithRecoveryCode(ctx, code, puks[0], benchPIN, client.ActivationOptions{Name: "log"})
	if err != nil {
		t.Fatalf("recovery with the postcard: %v", err)
	}
	addDeviceSecrets(sec, res.Device)
}
