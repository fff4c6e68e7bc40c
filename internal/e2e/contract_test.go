package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/mauth/mauth/client"
	"github.com/mauth/mauth/internal/testutil/teststore"
	"github.com/mauth/mauth/protocol"
)

// TestPublicAPIContract holds openapi/public.yaml to the code from both
// sides on one environment (SQLite is enough: the suites above validate
// every exchange on each backend):
//
//   - the end-to-end scenarios of the Standard RESTful API, then of the
//     Mobile Token API, activation spawn, push registration, the user's
//     own devices and the OIDC activation, run
//     through the same contract checker, and afterwards every operation
//     of the document must have been exercised by a validated exchange;
//   - the plaintexts of the encrypted endpoints, which the checker cannot
//     see, are decrypted here and validated against the schemas the
//     document names in the operation's x-encryption.
func TestPublicAPIContract(t *testing.T) {
	st := teststore.SQLite(t)
	e := newEnv(t, st, InProcess)
	v := protocol.Version33
	t.Run("standard-api", func(t *testing.T) {
		t.Run("lifecycle", func(t *testing.T) { scenarioLifecycle(t, e, e.newApp(t, "contract-lifecycle"), v) })
		t.Run("recovery", func(t *testing.T) { scenarioRecovery(t, e, e.newApp(t, "contract-recovery"), v) })
		t.Run("custom-credentials", func(t *testing.T) { scenarioCustom(t, e, e.newApp(t, "contract-custom"), v) })
		t.Run("bad-input", func(t *testing.T) { scenarioBadInput(t, e, e.newApp(t, "contract-bad"), v) })
		t.Run("server-status", func(t *testing.T) { serverStatusContract(t, e) })
		for _, version := range versions {
			t.Run("plaintexts-v"+version, func(t *testing.T) { encryptedPlaintexts(t, e, version) })
		}
	})
	t.Run("mobile-api", func(t *testing.T) {
		mountMobile(t, e, st)
		o := operationsFixture(t, e, "contract-ops")
		t.Run("approve", o.approve)
		t.Run("reject", o.reject)
		t.Run("wrong-pin-until-failed", o.wrongPIN)
		t.Run("claim", o.claim)
		t.Run("push-registration", func(t *testing.T) { o.push(t, st) })
		t.Run("inbox", func(t *testing.T) { o.inbox(t, st) })
		t.Run("spawn", o.spawn)
		t.Run("bad-input", o.badInput)
		t.Run("spawn-plaintexts", func(t *testing.T) { spawnPlaintexts(t, o) })
		t.Run("mobile-utility", func(t *testing.T) { mobileUtilityContract(t, e) })
		t.Run("my-devices", o.myDevices)
		t.Run("oidc-activation", o.oidcActivation)
	})
	if t.Failed() {
		return
	}
	if missing := e.publicAPI.Unexercised(); len(missing) > 0 {
		t.Errorf("operations of openapi/public.yaml no test exercises (add a test that calls them): %s", strings.Join(missing, ", "))
	}
}

// operationsFixture creates the operation templates of the Mobile Token
// scenarios for a new application.
func operationsFixture(t *testing.T, e *env, appName string) *opsFixture {
	t.Helper()
	e.private(t, "operation/template/create", map[string]any{
		"templateName": "payment-2fa", "operationType": "payment", "dataTemplate": "A1*A${amount}${currency}*I${iban}",
		"signatureType": []string{"POSSESSION_KNOWLEDGE", "POSSESSION_BIOMETRY"}, "maxFailureCount": 3, "expiration": 300,
	})
	e.private(t, "operation/template/create", map[string]any{
		"templateName": "login-1fa", "operationType": "login", "dataTemplate": "A2*T${channel}",
		"signatureType": []string{"POSSESSION"}, "maxFailureCount": 5, "expiration": 300, "riskFlags": "XF",
	})
	return &opsFixture{e: e, app: e.newApp(t, appName)}
}

// serverStatusContract calls /pa/v3/status with both methods it takes.
func serverStatusContract(t *testing.T, e *env) {
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		var body []byte
		if m == http.MethodPost {
			body = []byte(`{"requestObject":{}}`)
		}
		r := e.publicRaw(t, m, "/pa/v3/status", nil, body)
		if r.status != http.StatusOK || r.body["status"] != "OK" {
			t.Fatalf("%s status: HTTP %d %s", m, r.status, r.raw)
		}
		obj, _ := r.body["responseObject"].(map[string]any)
		ms, _ := obj["serverTime"].(float64)
		if d := time.Duration(int64(ms)-e.clock.Now().UnixMilli()) * time.Millisecond; d < -time.Minute || d > time.Minute {
			t.Fatalf("%s status: serverTime %v is %v off the clock", m, obj["serverTime"], d)
		}
		if app, _ := obj["application"].(map[string]any); app["name"] != "mauth" || app["version"] == "" {
			t.Fatalf("%s status: application %v", m, obj["application"])
		}
	}
}

// plaintexts checks decrypted payloads against the schemas the document
// names for an operation.
type plaintexts struct {
	doc *openapi3.T
}

// schemaNames returns the plaintext schemas the operation's x-encryption
// names: requestPlaintext and responsePlaintext, or with prefix "inner"
// innerRequestPlaintext and innerResponsePlaintext.
func (p plaintexts) schemaNames(t *testing.T, operationID, prefix string) (req, resp string) {
	t.Helper()
	key := func(s string) string {
		if prefix == "" {
			return s
		}
		return prefix + strings.ToUpper(s[:1]) + s[1:]
	}
	for _, item := range p.doc.Paths.Map() {
		for _, op := range item.Operations() {
			if op.OperationID != operationID {
				continue
			}
			x, _ := op.Extensions["x-encryption"].(map[string]any)
			req, _ = x[key("requestPlaintext")].(string)
			resp, _ = x[key("responsePlaintext")].(string)
			if req == "" || resp == "" {
				t.Fatalf("operation %s has no x-encryption %s plaintext schemas", operationID, key("requestPlaintext"))
			}
			return req, resp
		}
	}
	t.Fatalf("operation %s is not in the document", operationID)
	return "", ""
}

// check validates one JSON payload against a component schema.
func (p plaintexts) check(t *testing.T, schema string, payload []byte) map[string]any {
	t.Helper()
	ref := p.doc.Components.Schemas[schema]
	if ref == nil || ref.Value == nil {
		t.Fatalf("schema %s is not in the document", schema)
	}
	var v any
	if err := json.Unmarshal(payload, &v); err != nil {
		t.Fatalf("%s: not JSON: %v: %s", schema, err, payload)
	}
	if err := ref.Value.VisitJSON(v, openapi3.MultiErrors()); err != nil {
		t.Fatalf("plaintext breaks schema %s: %v\nplaintext: %s", schema, err, payload)
	}
	m, _ := v.(map[string]any)
	return m
}

// exchange checks the request plaintext against the operation's request
// schema, sends it and returns the decrypted answer, checked against the
// response schema.
func (p plaintexts) exchange(t *testing.T, operationID string, plaintext []byte, send func([]byte) ([]byte, error)) map[string]any {
	t.Helper()
	reqSchema, respSchema := p.schemaNames(t, operationID, "")
	p.check(t, reqSchema, plaintext)
	pt, err := send(plaintext)
	if err != nil {
		t.Fatalf("%s: %v", operationID, err)
	}
	return p.check(t, respSchema, pt)
}

// sealed sends plaintext encrypted for the device in activation scope
// under sh1: signed over the encrypted body with f under uriID, or, when
// uriID is empty, with X-PowerAuth-Encryption. It returns the decrypted
// answer of a 200.
func sealed(t *testing.T, e *env, c *client.Client, app *testApp, version string, d *client.Device, path, uriID, sh1 string, f client.Factors, extra map[string]string) func([]byte) ([]byte, error) {
	return func(plaintext []byte) ([]byte, error) {
		req, env := e.cryptogram(t, app, version, d, sh1, plaintext, e.clock.Now())
		body := mustMarshal(t, req)
		headers := map[string]string{}
		if uriID == "" {
			headers[protocol.HeaderEncryption] = encryptionHeader(app, version, d.ActivationID)
		} else {
			hdr, err := c.SignatureHeader(d, f, http.MethodPost, uriID, body)
			if err != nil {
				return nil, err
			}
			headers[protocol.HeaderAuthorization] = hdr
		}
		for k, v := range extra {
			headers[k] = v
		}
		return openAnswer(t, e.publicRaw(t, http.MethodPost, path, headers, body), version, env)
	}
}

// openAnswer decrypts the encrypted answer of a 200.
func openAnswer(t *testing.T, r rawResponse, version string, env *protocol.EciesEnvelope) ([]byte, error) {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("HTTP %d %s", r.status, r.raw)
	}
	resp, err := protocol.ParseEncryptedResponse(r.raw, version)
	if err != nil {
		return nil, err
	}
	return env.DecryptResponse(resp)
}

// encryptedPlaintexts drives every encrypted endpoint of the Standard
// RESTful API to a successful answer and checks both plaintexts.
func encryptedPlaintexts(t *testing.T, e *env, version string) {
	ctx := context.Background()
	p := plaintexts{doc: e.publicAPI.Doc()}
	app := e.newApp(t, "contract-plain-"+strings.ReplaceAll(version, ".", ""))
	e.private(t, "recovery/config/update", map[string]any{"applicationId": app.name, "activationRecoveryEnabled": true})

	t.Run("activation-create", func(t *testing.T) {
		qr, id := e.initActivation(t, app, "user-plain-create-"+version, nil)
		dev, err := protocol.GenerateKeyPair()
		if err != nil {
			t.Fatal(err)
		}
		l2 := []byte(`{"devicePublicKey":"` + b64(dev.Public().Compressed()) + `","activationName":"contract","platform":"android","deviceInfo":"e2e"}`)
		innerReq, innerResp := p.schemaNames(t, "paActivationCreate", "inner")
		p.check(t, innerReq, l2)
		l2req, l2env := e.cryptogram(t, app, version, nil, protocol.SharedInfo1ActivationLayer2, l2, e.clock.Now())
		l1, err := json.Marshal(map[string]any{
			"type": "CODE", "identityAttributes": map[string]string{"code": strings.SplitN(qr, "#", 2)[0]},
			"customAttributes": map[string]any{"channel": "contract"}, "activationData": l2req,
		})
		if err != nil {
			t.Fatal(err)
		}
		out := p.exchange(t, "paActivationCreate", l1, func(pt []byte) ([]byte, error) {
			req, env := e.cryptogram(t, app, version, nil, protocol.SharedInfo1GenericApplication, pt, e.clock.Now())
			hdr := map[string]string{protocol.HeaderEncryption: encryptionHeader(app, version, "")}
			return openAnswer(t, e.publicRaw(t, http.MethodPost, "/pa/v3/activation/create", hdr, mustMarshal(t, req)), version, env)
		})
		if custom, _ := out["customAttributes"].(map[string]any); custom["channel"] != "contract" {
			t.Fatalf("customAttributes %v", out["customAttributes"])
		}
		inner, err := json.Marshal(out["activationData"])
		if err != nil {
			t.Fatal(err)
		}
		l2pt, err := openAnswer(t, rawResponse{status: http.StatusOK, raw: inner}, version, l2env)
		if err != nil {
			t.Fatalf("layer 2 answer: %v", err)
		}
		l2out := p.check(t, innerResp, l2pt)
		if l2out["activationId"] != id || l2out["activationRecovery"] == nil {
			t.Fatalf("layer 2 answer %s, want activation %s with a recovery code", l2pt, id)
		}
	})

	c := e.device(t, app, version)
	d := activateWithCode(t, e, c, app, "user-plain-"+version)
	pk := client.PossessionKnowledge(pin)
	t.Run("activation-detail", func(t *testing.T) {
		tok, err := c.CreateToken(ctx, d, pk)
		if err != nil {
			t.Fatalf("create token: %v", err)
		}
		out := p.exchange(t, "paActivationDetail", []byte(`{}`), sealed(t, e, c, app, version, d, "/pa/v3/activation/detail", "", protocol.SharedInfo1GenericActivation, pk,
			map[string]string{protocol.HeaderToken: c.TokenHeader(tok)}))
		if obj, _ := out["responseObject"].(map[string]any); obj["activationId"] != d.ActivationID {
			t.Fatalf("detail %v", out)
		}
	})
	t.Run("activation-rename", func(t *testing.T) {
		out := p.exchange(t, "paActivationRename", []byte(`{"activationName":"contract phone"}`),
			sealed(t, e, c, app, version, d, "/pa/v3/activation/rename", "/pa/activation/rename", protocol.SharedInfo1GenericActivation, pk, nil))
		if obj, _ := out["responseObject"].(map[string]any); obj["activationName"] != "contract phone" {
			t.Fatalf("rename %v", out)
		}
	})
	t.Run("token-create", func(t *testing.T) {
		out := p.exchange(t, "paTokenCreate", []byte(`{}`),
			sealed(t, e, c, app, version, d, "/pa/v3/token/create", "/pa/token/create", protocol.SharedInfo1TokenCreate, client.Possession, nil))
		if out["tokenId"] == "" {
			t.Fatalf("token %v", out)
		}
	})
	t.Run("vault-unlock", func(t *testing.T) {
		p.exchange(t, "paVaultUnlock", []byte(`{"reason":"CONTRACT_CHECK"}`),
			sealed(t, e, c, app, version, d, "/pa/v3/vault/unlock", "/pa/vault/unlock", protocol.SharedInfo1VaultUnlock, pk, nil))
	})
	t.Run("recovery-confirm", func(t *testing.T) {
		out := p.exchange(t, "paRecoveryConfirm", []byte(`{"recoveryCode":"`+d.RecoveryCode+`"}`),
			sealed(t, e, c, app, version, d, "/pa/v3/recovery/confirm", "/pa/recovery/confirm", protocol.SharedInfo1RecoveryConfirm, pk, nil))
		if out["alreadyConfirmed"] != true {
			t.Fatalf("recovery confirm %v (the code issued with the activation is confirmed already)", out)
		}
	})
	t.Run("user-info", func(t *testing.T) {
		out := p.exchange(t, "paUserInfo", []byte(`{}`),
			sealed(t, e, c, app, version, d, "/pa/v3/user/info", "", protocol.SharedInfo1GenericActivation, pk, nil))
		if out["sub"] != "user-plain-"+version {
			t.Fatalf("claims %v", out)
		}
	})
	wantSynced(t, c, d)
}

// spawnPlaintexts checks the plaintexts of activation spawn.
func spawnPlaintexts(t *testing.T, o *opsFixture) {
	p := plaintexts{doc: o.e.publicAPI.Doc()}
	c, d, _ := o.device(t, o.user("spawn-plain"))
	target := o.e.newApp(t, "contract-spawn-target")
	out := p.exchange(t, "spawnActivationCode", []byte(`{"requestObject":{"applicationId":"`+target.name+`","otp":"contract-otp"}}`),
		sealed(t, o.e, c, o.app, protocol.Version33, d, "/api/activation/code", "/api/activation/code", protocol.SharedInfo1GenericActivation, client.PossessionKnowledge(pin), nil))
	if st := o.e.coreStatus(t, out["activationId"].(string)); st["applicationId"] != target.name {
		t.Fatalf("spawned activation %v", st)
	}
}
