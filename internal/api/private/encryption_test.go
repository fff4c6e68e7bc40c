package private

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/protocol"
)

// vaultUnlockBody encrypts {"reason":…} for vault/unlock and signs the
// encrypted body with keys (a wrong knowledge key simulates a wrong PIN).
func (d *encDevice) vaultUnlockBody(t *testing.T, ts *testServer, keys *protocol.ActivationKeys, typ protocol.SignatureType, version, payload string) (map[string]any, *protocol.EciesEnvelope) {
	t.Helper()
	req, env, err := protocol.EncryptRequest(d.ServerPub, d.eciesContext(version, protocol.SharedInfo1VaultUnlock, ""), []byte(payload), ts.svc.Now())
	if err != nil {
		t.Fatal(err)
	}
	encBody, err := req.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	signed := protocol.RequestData("POST", "/pa/vault/unlock", protocol.RandomBytes(16), encBody)
	sig, err := protocol.ComputeSignature(keys, typ, d.ctr, protocol.SignatureData(signed, d.App.ApplicationSecret),
		protocol.SignatureFormatForVersion(version), protocol.OnlineDecimalLength)
	if err != nil {
		t.Fatal(err)
	}
	d.ctr = protocol.NextCtrData(d.ctr)
	body := eciesWireFields(req, version)
	body["activationId"] = d.ActivationID
	body["applicationKey"] = d.App.ApplicationKey
	body["signedData"] = signed
	body["signature"] = sig
	body["signatureType"] = serviceTypeName(typ)
	body["signatureVersion"] = version
	return body, env
}

// serviceTypeName is the wire (upper-case) name of a signature type.
func serviceTypeName(t protocol.SignatureType) string { return strings.ToUpper(string(t)) }

func TestVaultUnlockMethod(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	app := ts.createApp(t)
	dev := activateEncDevice(t, ts, app)

	// Right PIN.
	body, env := dev.vaultUnlockBody(t, ts, dev.Keys, protocol.SignaturePossessionKnowledge, protocol.Version32, `{"reason":"FETCH_ENCRYPTION_KEY"}`)
	ro := ts.ok(t, "vault/unlock", body)
	if ro["signatureValid"] != true || ro["nonce"] == nil || ro["timestamp"] == nil {
		t.Fatalf("unlock: %v", ro)
	}
	var p struct{ EncryptedVaultEncryptionKey string }
	if err := json.Unmarshal(decryptWireResponse(t, env, ro), &p); err != nil {
		t.Fatal(err)
	}
	vault, err := protocol.UnwrapVaultKey(dev.Keys.Transport, mustDecodeB64(t, p.EncryptedVaultEncryptionKey))
	if err != nil || !bytes.Equal(vault, dev.Keys.Vault) {
		t.Fatalf("vault key: %v", err)
	}
	ts.fail(t, "vault/unlock", body, http.StatusBadRequest, "ERR0018") // replayed request

	// Wrong PIN: no key; the failure is counted.
	wrong := *dev.Keys
	wrong.Knowledge = protocol.RandomBytes(16)
	body, env = dev.vaultUnlockBody(t, ts, &wrong, protocol.SignaturePossessionKnowledge, protocol.Version31, `{"reason":"ADD_BIOMETRY"}`)
	ro = ts.ok(t, "vault/unlock", body)
	if ro["signatureValid"] != false || ro["nonce"] != nil {
		t.Fatalf("wrong PIN: %v", ro)
	}
	if plain := decryptWireResponse(t, env, ro); bytes.Contains(plain, []byte("encryptedVaultEncryptionKey")) {
		t.Fatalf("key released for a wrong PIN: %s", plain)
	}
	a, err := ts.store.GetActivation(ctx, dev.ActivationID)
	if err != nil || a.FailedAttempts != 1 {
		t.Fatalf("failed attempts: %+v %v", a, err)
	}
	audits, err := ts.store.ListSignatureAudits(ctx, store.SignatureAuditFilter{ActivationID: dev.ActivationID})
	if err != nil || len(audits) != 2 {
		t.Fatalf("audits: %d %v", len(audits), err)
	}

	// Bad input.
	with := func(k string, v any) map[string]any {
		b, _ := dev.vaultUnlockBody(t, ts, dev.Keys, protocol.SignaturePossessionKnowledge, protocol.Version32, `{}`)
		if v == nil {
			delete(b, k)
		} else {
			b[k] = v
		}
		return b
	}
	for _, c := range []struct {
		name string
		body any
		code string
	}{
		{"empty", map[string]any{}, "ERR0024"},
		{"no signed data", with("signedData", nil), "ERR0024"},
		{"no signature", with("signature", nil), "ERR0024"},
		{"no signature version", with("signatureVersion", nil), "ERR0024"},
		{"bad signature type", with("signatureType", "PIN"), "ERR0024"},
		{"no ephemeral key", with("ephemeralPublicKey", nil), "ERR0024"},
		{"1FA signature", with("signatureType", "POSSESSION"), "ERR0012"},
		{"biometry not enabled", with("signatureType", "POSSESSION_BIOMETRY"), "ERR0012"},
		{"bad signature version", with("signatureVersion", "2.1"), "ERR0024"},
	} {
		t.Run(c.name, func(t *testing.T) { ts.fail(t, "vault/unlock", c.body, http.StatusBadRequest, c.code) })
	}
	body, _ = dev.vaultUnlockBody(t, ts, dev.Keys, protocol.SignaturePossessionKnowledge, protocol.Version32, `{"reason":"x"}`)
	ts.fail(t, "vault/unlock", body, http.StatusBadRequest, "ERR0011")
	// Unknown activation: invalid, no cryptogram.
	body = with("activationId", "2c9d7a1e-0000-4000-8000-00000000abcd")
	ro = ts.ok(t, "vault/unlock", body)
	if ro["signatureValid"] != false || ro["encryptedData"] != nil || ro["mac"] != nil {
		t.Fatalf("unknown activation: %v", ro)
	}
}

func TestEciesDecryptorMethod(t *testing.T) {
	ts := newTestServer(t)
	app := ts.createApp(t)
	otherApp := ts.createApp(t)
	dev := activateEncDevice(t, ts, app)

	for _, scope := range []string{"application", "activation"} {
		t.Run(scope, func(t *testing.T) {
			ectx := protocol.EciesContext{Version: protocol.Version32, SharedInfo1: protocol.SharedInfo1GenericApplication,
				ApplicationKey: app.ApplicationKey, ApplicationSecret: app.ApplicationSecret}
			key := app.Master
			if scope == "activation" {
				ectx, key = dev.eciesContext(protocol.Version32, protocol.SharedInfo1GenericActivation, ""), dev.ServerPub
			}
			req, clientEnv, err := protocol.EncryptRequest(key, ectx, []byte(`{"q":"?"}`), ts.svc.Now())
			if err != nil {
				t.Fatal(err)
			}
			fields := eciesWireFields(req, protocol.Version32)
			body := map[string]any{"applicationKey": app.ApplicationKey, "ephemeralPublicKey": fields["ephemeralPublicKey"],
				"nonce": fields["nonce"], "timestamp": fields["timestamp"], "protocolVersion": "3.2"}
			if scope == "activation" {
				body["activationId"] = dev.ActivationID
			}
			ro := ts.ok(t, "ecies/decryptor", body)
			secrets := protocol.EciesSecrets{EnvelopeKey: mustDecodeB64(t, ro["secretKey"].(string)), SharedInfo2Base: mustDecodeB64(t, ro["sharedInfo2"].(string))}
			// The edge decrypts the request and answers with the secrets alone.
			edgeCtx := ectx
			edgeCtx.ApplicationSecret, edgeCtx.TransportKey = "", nil
			edge, err := protocol.NewEciesEnvelopeFromSecrets(secrets, edgeCtx, req.EphemeralPublicKey, req.Nonce, req.Timestamp)
			if err != nil {
				t.Fatal(err)
			}
			if plain, err := edge.OpenRequest(req); err != nil || string(plain) != `{"q":"?"}` {
				t.Fatalf("edge decrypt: %q %v", plain, err)
			}
			resp, err := edge.EncryptResponse([]byte(`{"a":"!"}`), ts.svc.Now())
			if err != nil {
				t.Fatal(err)
			}
			if plain, err := clientEnv.DecryptResponse(resp); err != nil || string(plain) != `{"a":"!"}` {
				t.Fatalf("client decrypt: %q %v", plain, err)
			}
			ts.fail(t, "ecies/decryptor", body, http.StatusBadRequest, "ERR0018") // replay
		})
	}

	fresh := func() map[string]any {
		req, _, err := protocol.EncryptRequest(app.Master, protocol.EciesContext{Version: protocol.Version32, SharedInfo1: protocol.SharedInfo1GenericApplication,
			ApplicationKey: app.ApplicationKey, ApplicationSecret: app.ApplicationSecret}, []byte(`{}`), ts.svc.Now())
		if err != nil {
			t.Fatal(err)
		}
		f := eciesWireFields(req, protocol.Version32)
		return map[string]any{"applicationKey": app.ApplicationKey, "ephemeralPublicKey": f["ephemeralPublicKey"], "nonce": f["nonce"], "timestamp": f["timestamp"], "protocolVersion": "3.2"}
	}
	with := func(k string, v any) map[string]any {
		b := fresh()
		if v == nil {
			delete(b, k)
		} else {
			b[k] = v
		}
		return b
	}
	for _, c := range []struct {
		name string
		body any
		code string
	}{
		{"empty", map[string]any{}, "ERR0024"},
		{"no application key", with("applicationKey", nil), "ERR0024"},
		{"no ephemeral key", with("ephemeralPublicKey", nil), "ERR0024"},
		{"no version", with("protocolVersion", nil), "ERR0018"}, // as PowerAuth 1.5+
		{"no timestamp", with("timestamp", nil), "ERR0024"},
		{"bad ephemeral key", with("ephemeralPublicKey", "AAAA"), "ERR0024"},
		{"bad base64", with("nonce", "@@"), "ERR0011"},
		{"stale", with("timestamp", ts.svc.Now().Add(-time.Hour).UnixMilli()), "ERR0018"},
		{"unknown application", with("applicationKey", "AAAAAAAAAAAAAAAAAAAAAA=="), "ERR0015"},
		{"unknown activation", with("activationId", "0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5"), "ERR0009"},
		{"foreign activation", func() map[string]any {
			b := with("applicationKey", otherApp.ApplicationKey)
			b["activationId"] = dev.ActivationID
			return b
		}(), "ERR0015"},
		{"temporary key id on 3.2", with("temporaryKeyId", "0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5"), "ERR0024"},
	} {
		t.Run(c.name, func(t *testing.T) { ts.fail(t, "ecies/decryptor", c.body, http.StatusBadRequest, c.code) })
	}
}

// requestTemporaryKeyHTTP runs keystore/create and verifies the response.
func requestTemporaryKeyHTTP(t *testing.T, ts *testServer, app testApp, dev *encDevice) *protocol.TemporaryKeyResponseClaims {
	t.Helper()
	actID, transport, verifier := "", []byte(nil), app.Master
	if dev != nil {
		actID, transport, verifier = dev.ActivationID, dev.Keys.Transport, dev.ServerPub
	}
	jwt, challenge, err := protocol.BuildTemporaryKeyRequest(app.ApplicationKey, app.ApplicationSecret, actID, transport)
	if err != nil {
		t.Fatal(err)
	}
	ro := ts.ok(t, "keystore/create", map[string]any{"jwt": jwt})
	claims, err := protocol.ParseTemporaryKeyResponse(ro["jwt"].(string), verifier)
	if err != nil {
		t.Fatalf("response JWT: %v", err)
	}
	if err := claims.MatchesRequest(app.ApplicationKey, actID, challenge); err != nil || claims.Expired(ts.svc.Now()) {
		t.Fatalf("claims %+v: %v", claims, err)
	}
	return claims
}

func TestKeystoreMethods(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	app := ts.createApp(t)
	otherApp := ts.createApp(t)
	dev := activateEncDevice(t, ts, app)

	appKey := requestTemporaryKeyHTTP(t, ts, app, nil)
	actKey := requestTemporaryKeyHTTP(t, ts, app, dev)
	if k, err := ts.store.GetTemporaryKey(ctx, actKey.TemporaryKeyID); err != nil || k.ActivationID != dev.ActivationID || k.ApplicationKey != app.ApplicationKey {
		t.Fatalf("stored key %+v: %v", k, err)
	}

	// 3.3 activation scope: token creation encrypted to the temporary key.
	id, secret := dev.createToken(t, ts, protocol.Version33, "POSSESSION", actKey.PublicKey, actKey.TemporaryKeyID)
	if ro := ts.ok(t, "token/validate", tokenHeaderBody(id, secret, protocol.Version33, ts.svc.Now())); ro["tokenValid"] != true {
		t.Fatalf("3.3 token: %v", ro)
	}
	// 3.3 application scope through the decryptor.
	appDecryptor := func(appKeyB64 string, key *protocol.TemporaryKeyResponseClaims) map[string]any {
		req, _, err := protocol.EncryptRequest(key.PublicKey, protocol.EciesContext{Version: protocol.Version33, SharedInfo1: protocol.SharedInfo1GenericApplication,
			ApplicationKey: app.ApplicationKey, ApplicationSecret: app.ApplicationSecret, TemporaryKeyID: key.TemporaryKeyID}, []byte(`{}`), ts.svc.Now())
		if err != nil {
			t.Fatal(err)
		}
		f := eciesWireFields(req, protocol.Version33)
		return map[string]any{"applicationKey": appKeyB64, "ephemeralPublicKey": f["ephemeralPublicKey"], "nonce": f["nonce"],
			"timestamp": f["timestamp"], "protocolVersion": "3.3", "temporaryKeyId": key.TemporaryKeyID}
	}
	if ro := ts.ok(t, "ecies/decryptor", appDecryptor(app.ApplicationKey, appKey)); ro["secretKey"] == nil {
		t.Fatalf("3.3 decryptor: %v", ro)
	}
	// Keys are bound to their application key and scope.
	ts.fail(t, "ecies/decryptor", appDecryptor(otherApp.ApplicationKey, appKey), http.StatusBadRequest, "ERR0045")
	ts.fail(t, "ecies/decryptor", appDecryptor(app.ApplicationKey, actKey), http.StatusBadRequest, "ERR0045")

	// Removal.
	if ro := ts.ok(t, "keystore/remove", map[string]any{"id": actKey.TemporaryKeyID}); ro["removed"] != true || ro["id"] != actKey.TemporaryKeyID {
		t.Fatalf("remove: %v", ro)
	}
	if ro := ts.ok(t, "keystore/remove", map[string]any{"id": actKey.TemporaryKeyID}); ro["removed"] != false {
		t.Fatalf("remove again: %v", ro)
	}
	body, _ := dev.encrypt(t, ts, actKey.PublicKey, protocol.Version33, protocol.SharedInfo1TokenCreate, actKey.TemporaryKeyID, "{}")
	body["signatureType"] = "POSSESSION"
	ts.fail(t, "token/create", body, http.StatusBadRequest, "ERR0045")

	// Expiry.
	ts.clock.Advance(protocol.TemporaryKeyValidity + time.Second)
	ts.fail(t, "ecies/decryptor", appDecryptor(app.ApplicationKey, appKey), http.StatusBadRequest, "ERR0045")

	// Bad requests.
	wrongSecret, _, err := protocol.BuildTemporaryKeyRequest(app.ApplicationKey, otherApp.ApplicationSecret, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	unknownApp, _, err := protocol.BuildTemporaryKeyRequest("AAAAAAAAAAAAAAAAAAAAAA==", app.ApplicationSecret, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		body any
		code string
	}{
		{"no jwt", map[string]any{}, "ERR0024"},
		{"jwt not a string", map[string]any{"jwt": 5}, "ERR0024"},
		{"garbage", map[string]any{"jwt": "a.b.c"}, "ERR0024"},
		{"wrong secret", map[string]any{"jwt": wrongSecret}, "ERR0024"},
		{"unknown application", map[string]any{"jwt": unknownApp}, "ERR0024"},
	} {
		t.Run(c.name, func(t *testing.T) { ts.fail(t, "keystore/create", c.body, http.StatusBadRequest, c.code) })
	}
	ts.fail(t, "keystore/remove", map[string]any{}, http.StatusBadRequest, "ERR0024")
}

func TestUpgradeMethods(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	app := ts.createApp(t)
	otherApp := ts.createApp(t)
	dev := activateEncDevice(t, ts, app)

	start := func() (map[string]any, *protocol.EciesEnvelope) {
		return dev.encrypt(t, ts, nil, protocol.Version32, protocol.SharedInfo1Upgrade, "", "{}")
	}
	commit := map[string]any{"activationId": dev.ActivationID, "applicationKey": app.ApplicationKey}

	// A version 3 activation has nothing to upgrade.
	body, _ := start()
	ts.fail(t, "upgrade/start", body, http.StatusBadRequest, "ERR0008")
	ts.fail(t, "upgrade/commit", commit, http.StatusBadRequest, "ERR0008")

	// Make it a legacy version 2 activation (numeric counter only).
	setEncActivation(t, ts, dev.ActivationID, func(a *domain.Activation) { a.Version, a.CtrData = 2, nil })
	ts.fail(t, "upgrade/commit", commit, http.StatusBadRequest, "ERR0008") // not started
	body, _ = start()
	body["encryptedData"] = "%"
	ts.fail(t, "upgrade/start", body, http.StatusBadRequest, "ERR0011")

	body, env := start()
	ro := ts.ok(t, "upgrade/start", body)
	var p struct{ CtrData string }
	if err := json.Unmarshal(decryptWireResponse(t, env, ro), &p); err != nil {
		t.Fatal(err)
	}
	ctr := mustDecodeB64(t, p.CtrData)
	body, env = start()
	ro = ts.ok(t, "upgrade/start", body)
	var again struct{ CtrData string }
	if err := json.Unmarshal(decryptWireResponse(t, env, ro), &again); err != nil || again.CtrData != p.CtrData || len(ctr) != protocol.CtrDataSize {
		t.Fatalf("retry: %v %v", again, err)
	}
	ts.fail(t, "upgrade/commit", map[string]any{"activationId": dev.ActivationID, "applicationKey": otherApp.ApplicationKey}, http.StatusBadRequest, "ERR0015")
	if ro := ts.ok(t, "upgrade/commit", commit); ro["committed"] != true {
		t.Fatalf("commit: %v", ro)
	}
	a, err := ts.store.GetActivation(ctx, dev.ActivationID)
	if err != nil || a.Version != 3 || !bytes.Equal(a.CtrData, ctr) {
		t.Fatalf("after commit: %+v %v", a, err)
	}
	hist := ts.ok(t, "activation/history", map[string]any{"activationId": dev.ActivationID})
	items, _ := hist["items"].([]any)
	last, _ := items[len(items)-1].(map[string]any)
	if last["eventReason"] != "ACTIVATION_VERSION_CHANGED" {
		t.Fatalf("history: %v", hist)
	}
	body, _ = start()
	ts.fail(t, "upgrade/start", body, http.StatusBadRequest, "ERR0008")

	with := func(k string, v any) map[string]any {
		b, _ := start()
		if v == nil {
			delete(b, k)
		} else {
			b[k] = v
		}
		return b
	}
	for _, c := range []struct {
		name   string
		method string
		body   any
		code   string
	}{
		{"start empty", "upgrade/start", map[string]any{}, "ERR0024"},
		{"start no mac", "upgrade/start", with("mac", nil), "ERR0024"},
		{"start unknown activation", "upgrade/start", with("activationId", "1a2b3c4d-0000-4000-8000-000000000000"), "ERR0009"},
		{"commit empty", "upgrade/commit", map[string]any{}, "ERR0024"},
		{"commit no key", "upgrade/commit", map[string]any{"activationId": dev.ActivationID}, "ERR0024"},
		{"commit unknown activation", "upgrade/commit", map[string]any{"activationId": "1a2b3c4d-0000-4000-8000-000000000000", "applicationKey": app.ApplicationKey}, "ERR0009"},
	} {
		t.Run(c.name, func(t *testing.T) { ts.fail(t, c.method, c.body, http.StatusBadRequest, c.code) })
	}
}
