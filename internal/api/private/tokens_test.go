package private

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/protocol"
)

// encDevice is a device activated over the private API (activation/init,
// prepare, commit) that keeps its own keys and hash-based counter.
type encDevice struct {
	App          testApp
	ActivationID string
	UserID       string
	DevPriv      *protocol.PrivateKey
	ServerPub    *protocol.PublicKey
	Keys         *protocol.ActivationKeys
	ctr          []byte
}

// activateEncDevice activates a new device for app as the mobile SDK
// would, acting through the HTTP methods only.
func activateEncDevice(t *testing.T, ts *testServer, app testApp) *encDevice {
	t.Helper()
	user := "user-" + protocol.GenerateActivationCode()[:5]
	init := ts.ok(t, "activation/init", map[string]any{"applicationId": app.Name, "userId": user})
	dev, err := protocol.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	l2, err := json.Marshal(map[string]string{
		"devicePublicKey": base64.StdEncoding.EncodeToString(dev.Public().Compressed()),
		"activationName":  "enc test", "platform": "ios", "deviceInfo": "test",
	})
	if err != nil {
		t.Fatal(err)
	}
	ectx := protocol.EciesContext{Version: protocol.Version32, SharedInfo1: protocol.SharedInfo1ActivationLayer2,
		ApplicationKey: app.ApplicationKey, ApplicationSecret: app.ApplicationSecret}
	req, env, err := protocol.EncryptRequest(app.Master, ectx, l2, ts.svc.Now())
	if err != nil {
		t.Fatal(err)
	}
	body := eciesWireFields(req, protocol.Version32)
	body["activationCode"] = init["activationCode"]
	body["applicationKey"] = app.ApplicationKey
	prep := ts.ok(t, "activation/prepare", body)
	var resp struct{ ActivationID, ServerPublicKey, CtrData string }
	if err := json.Unmarshal(decryptWireResponse(t, env, prep), &resp); err != nil {
		t.Fatal(err)
	}
	ts.ok(t, "activation/commit", map[string]any{"activationId": resp.ActivationID, "externalUserId": "admin"})
	serverPub, err := protocol.ParsePublicKey(mustDecodeB64(t, resp.ServerPublicKey))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := protocol.DeriveActivationKeysECDH(dev, serverPub)
	if err != nil {
		t.Fatal(err)
	}
	if resp.ActivationID != init["activationId"] {
		t.Fatalf("activation id %q != %v", resp.ActivationID, init["activationId"])
	}
	return &encDevice{App: app, ActivationID: resp.ActivationID, UserID: user, DevPriv: dev, ServerPub: serverPub, Keys: keys, ctr: mustDecodeB64(t, resp.CtrData)}
}

// eciesContext is the device's activation-scope context for a use case.
func (d *encDevice) eciesContext(version, sh1, tempKeyID string) protocol.EciesContext {
	return protocol.EciesContext{Version: version, SharedInfo1: sh1, ApplicationKey: d.App.ApplicationKey,
		ApplicationSecret: d.App.ApplicationSecret, ActivationID: d.ActivationID, TemporaryKeyID: tempKeyID, TransportKey: d.Keys.Transport}
}

// encrypt encrypts an activation-scope payload for key (the server key
// when nil) and returns the ECIES-in fields and the envelope.
func (d *encDevice) encrypt(t *testing.T, ts *testServer, key *protocol.PublicKey, version, sh1, tempKeyID, payload string) (map[string]any, *protocol.EciesEnvelope) {
	t.Helper()
	if key == nil {
		key = d.ServerPub
	}
	req, env, err := protocol.EncryptRequest(key, d.eciesContext(version, sh1, tempKeyID), []byte(payload), ts.svc.Now())
	if err != nil {
		t.Fatal(err)
	}
	fields := eciesWireFields(req, version)
	fields["activationId"] = d.ActivationID
	fields["applicationKey"] = d.App.ApplicationKey
	return fields, env
}

// eciesWireFields renders a protocol request as ECIES-in JSON fields.
func eciesWireFields(req *protocol.EncryptedRequest, version string) map[string]any {
	enc := base64.StdEncoding
	out := map[string]any{
		"ephemeralPublicKey": enc.EncodeToString(req.EphemeralPublicKey),
		"encryptedData":      enc.EncodeToString(req.EncryptedData),
		"mac":                enc.EncodeToString(req.MAC),
		"protocolVersion":    version,
	}
	if req.Nonce != nil {
		out["nonce"] = enc.EncodeToString(req.Nonce)
	}
	if req.Timestamp != 0 {
		out["timestamp"] = req.Timestamp
	}
	if req.TemporaryKeyID != "" {
		out["temporaryKeyId"] = req.TemporaryKeyID
	}
	return out
}

// decryptWireResponse decrypts the ECIES-out fields of a responseObject.
func decryptWireResponse(t *testing.T, env *protocol.EciesEnvelope, ro map[string]any) []byte {
	t.Helper()
	r := &protocol.EncryptedResponse{}
	s, _ := ro["encryptedData"].(string)
	r.EncryptedData = mustDecodeB64(t, s)
	s, _ = ro["mac"].(string)
	r.MAC = mustDecodeB64(t, s)
	if n, ok := ro["nonce"].(string); ok {
		r.Nonce = mustDecodeB64(t, n)
	}
	if ts, ok := ro["timestamp"].(float64); ok {
		r.Timestamp = int64(ts)
	}
	plain, err := env.DecryptResponse(r)
	if err != nil {
		t.Fatalf("decrypt response %v: %v", ro, err)
	}
	return plain
}

func mustDecodeB64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("base64 %q: %v", s, err)
	}
	return b
}

// createToken runs token/create for the device and returns the token.
func (d *encDevice) createToken(t *testing.T, ts *testServer, version, signatureType string, key *protocol.PublicKey, tempKeyID string) (string, []byte) {
	t.Helper()
	body, env := d.encrypt(t, ts, key, version, protocol.SharedInfo1TokenCreate, tempKeyID, "{}")
	body["signatureType"] = signatureType
	ro := ts.ok(t, "token/create", body)
	if version == protocol.Version30 || version == protocol.Version31 {
		if ro["nonce"] != nil || ro["timestamp"] != nil {
			t.Fatalf("%s response has nonce/timestamp: %v", version, ro)
		}
	} else if ro["nonce"] == nil || ro["timestamp"] == nil {
		t.Fatalf("%s response lacks nonce/timestamp: %v", version, ro)
	}
	var tok struct{ TokenID, TokenSecret string }
	if err := json.Unmarshal(decryptWireResponse(t, env, ro), &tok); err != nil {
		t.Fatal(err)
	}
	secret := mustDecodeB64(t, tok.TokenSecret)
	if len(secret) != protocol.TokenSecretSize || len(tok.TokenID) != 36 {
		t.Fatalf("token %+v", tok)
	}
	return tok.TokenID, secret
}

// tokenHeaderBody is a token/validate request like the X-PowerAuth-Token header.
func tokenHeaderBody(id string, secret []byte, version string, at time.Time) map[string]any {
	h := protocol.NewTokenHeader(id, secret, version, at.UnixMilli())
	return map[string]any{"tokenId": id, "tokenDigest": h.Digest, "nonce": h.Nonce, "timestamp": at.UnixMilli(), "protocolVersion": version}
}

func TestTokenMethods(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	app := ts.createApp(t)
	dev := activateEncDevice(t, ts, app)
	other := activateEncDevice(t, ts, app)

	id, secret := dev.createToken(t, ts, protocol.Version32, "POSSESSION_KNOWLEDGE", nil, "")
	stored, err := ts.store.GetToken(ctx, id)
	if err != nil || stored.ActivationID != dev.ActivationID || stored.SignatureType != "possession_knowledge" {
		t.Fatalf("stored token %+v: %v", stored, err)
	}
	// Older clients.
	id30, secret30 := dev.createToken(t, ts, protocol.Version30, "POSSESSION", nil, "")

	valid := tokenHeaderBody(id, secret, protocol.Version33, ts.svc.Now())
	ro := ts.ok(t, "token/validate", valid)
	if ro["tokenValid"] != true || ro["activationId"] != dev.ActivationID || ro["userId"] != dev.UserID ||
		ro["applicationId"] != app.Name || ro["signatureType"] != "POSSESSION_KNOWLEDGE" || ro["activationStatus"] != "ACTIVE" ||
		ro["blockedReason"] != nil {
		t.Fatalf("validate: %v", ro)
	}
	if roles, ok := ro["applicationRoles"].([]any); !ok || len(roles) != 0 {
		t.Fatalf("applicationRoles: %v", ro["applicationRoles"])
	}
	if flags, ok := ro["activationFlags"].([]any); !ok || len(flags) != 0 {
		t.Fatalf("activationFlags: %v", ro["activationFlags"])
	}
	ts.fail(t, "token/validate", valid, http.StatusBadRequest, "ERR0024") // replay

	ro = ts.ok(t, "token/validate", tokenHeaderBody(id30, secret30, protocol.Version30, ts.svc.Now()))
	if ro["tokenValid"] != true || ro["signatureType"] != "POSSESSION" {
		t.Fatalf("3.0 token: %v", ro)
	}
	ro = ts.ok(t, "token/validate", tokenHeaderBody(id, protocol.NewTokenSecret(), protocol.Version33, ts.svc.Now()))
	if ro["tokenValid"] != false || ro["activationId"] != dev.ActivationID {
		t.Fatalf("wrong digest: %v", ro)
	}
	ro = ts.ok(t, "token/validate", tokenHeaderBody("0f8fad5b-d9cb-469f-a165-70867728950e", secret, protocol.Version33, ts.svc.Now()))
	if ro["tokenValid"] != false || ro["activationId"] != nil || ro["activationStatus"] != nil {
		t.Fatalf("unknown token: %v", ro)
	}
	ts.fail(t, "token/validate", tokenHeaderBody(id, secret, protocol.Version33, ts.svc.Now().Add(-3*time.Hour)), http.StatusBadRequest, "ERR0030")
	ts.fail(t, "token/validate", tokenHeaderBody(id, secret, protocol.Version33, ts.svc.Now().Add(time.Hour)), http.StatusBadRequest, "ERR0044")

	// A blocked activation's tokens are invalid.
	ts.ok(t, "activation/block", map[string]any{"activationId": dev.ActivationID, "reason": "LOST", "externalUserId": "admin"})
	ro = ts.ok(t, "token/validate", tokenHeaderBody(id, secret, protocol.Version33, ts.svc.Now()))
	if ro["tokenValid"] != false || ro["activationStatus"] != "BLOCKED" || ro["blockedReason"] != "LOST" {
		t.Fatalf("blocked: %v", ro)
	}
	// ... and it gets no new ones.
	body, _ := dev.encrypt(t, ts, nil, protocol.Version32, protocol.SharedInfo1TokenCreate, "", "{}")
	body["signatureType"] = "POSSESSION"
	ts.fail(t, "token/create", body, http.StatusBadRequest, "ERR0008")
	ts.ok(t, "activation/unblock", map[string]any{"activationId": dev.ActivationID, "externalUserId": "admin"})

	// Removal works only through the owning activation.
	if ro := ts.ok(t, "token/remove", map[string]any{"tokenId": id, "activationId": other.ActivationID}); ro["removed"] != false {
		t.Fatalf("remove through other activation: %v", ro)
	}
	if ro := ts.ok(t, "token/remove", map[string]any{"tokenId": id, "activationId": dev.ActivationID}); ro["removed"] != true {
		t.Fatalf("remove: %v", ro)
	}
	if _, err := ts.store.GetToken(ctx, id); err == nil {
		t.Fatal("token still stored")
	}
	if ro := ts.ok(t, "token/validate", tokenHeaderBody(id, secret, protocol.Version33, ts.svc.Now())); ro["tokenValid"] != false {
		t.Fatalf("removed token: %v", ro)
	}
}

func TestTokenMethodsBadInput(t *testing.T) {
	ts := newTestServer(t)
	app := ts.createApp(t)
	otherApp := ts.createApp(t)
	dev := activateEncDevice(t, ts, app)

	good := func() map[string]any {
		body, _ := dev.encrypt(t, ts, nil, protocol.Version32, protocol.SharedInfo1TokenCreate, "", "{}")
		body["signatureType"] = "POSSESSION"
		return body
	}
	with := func(k string, v any) map[string]any {
		b := good()
		if v == nil {
			delete(b, k)
		} else {
			b[k] = v
		}
		return b
	}
	replayed := good()
	ts.ok(t, "token/create", replayed)
	for _, c := range []struct {
		name string
		body any
		code string
	}{
		{"empty", map[string]any{}, "ERR0024"},
		{"no activation", with("activationId", nil), "ERR0024"},
		{"no application key", with("applicationKey", nil), "ERR0024"},
		{"no signature type", with("signatureType", nil), "ERR0024"},
		{"bad signature type", with("signatureType", "FACE"), "ERR0024"},
		{"lower-case signature type", with("signatureType", "possession"), "ERR0024"},
		{"no mac", with("mac", nil), "ERR0024"},
		{"mac not a string", with("mac", 12), "ERR0024"},
		{"bad base64", with("mac", "***"), "ERR0011"},
		{"bad version", with("protocolVersion", "9.9"), "ERR0018"}, // as PowerAuth 1.5+
		{"unknown activation", with("activationId", "5f0e0a1c-1d2e-4f3a-8b4c-5d6e7f8a9b0c"), "ERR0009"},
		{"other application", with("applicationKey", otherApp.ApplicationKey), "ERR0015"},
		{"tampered", with("encryptedData", base64.StdEncoding.EncodeToString(make([]byte, 16))), "ERR0018"},
		{"replay", replayed, "ERR0018"},
	} {
		t.Run("create "+c.name, func(t *testing.T) { ts.fail(t, "token/create", c.body, http.StatusBadRequest, c.code) })
	}
	ts.fail(t, "token/create", rawBody(`{"requestObject":`), http.StatusBadRequest, "ERROR_HTTP_REQUEST")

	id, secret := dev.createToken(t, ts, protocol.Version32, "POSSESSION", nil, "")
	vwith := func(k string, v any) map[string]any {
		b := tokenHeaderBody(id, secret, protocol.Version33, ts.svc.Now())
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
		{"empty", nil, "ERR0024"},
		{"no token id", vwith("tokenId", nil), "ERR0024"},
		{"no digest", vwith("tokenDigest", nil), "ERR0024"},
		{"no nonce", vwith("nonce", nil), "ERR0024"},
		{"no timestamp", vwith("timestamp", nil), "ERR0024"},
		{"negative timestamp", vwith("timestamp", -5), "ERR0024"},
		{"timestamp as text", vwith("timestamp", "now"), "ERR0024"},
		{"no version", vwith("protocolVersion", nil), "ERR0024"},
		{"bad version", vwith("protocolVersion", "4.0"), "ERR0024"},
		{"bad nonce", vwith("nonce", "AAAA"), "ERR0011"},
		{"bad digest", vwith("tokenDigest", "?"), "ERR0011"},
	} {
		t.Run("validate "+c.name, func(t *testing.T) { ts.fail(t, "token/validate", c.body, http.StatusBadRequest, c.code) })
	}
	ts.fail(t, "token/remove", map[string]any{"tokenId": id}, http.StatusBadRequest, "ERR0024")
	ts.fail(t, "token/remove", map[string]any{"activationId": dev.ActivationID}, http.StatusBadRequest, "ERR0024")
	if ro := ts.ok(t, "token/remove", map[string]any{"tokenId": "nope", "activationId": dev.ActivationID}); ro["removed"] != false {
		t.Fatalf("remove unknown: %v", ro)
	}
}

// setEncActivation edits a stored activation (test set-up only).
func setEncActivation(t *testing.T, ts *testServer, id string, edit func(a *domain.Activation)) {
	t.Helper()
	ctx := context.Background()
	err := ts.store.InTx(ctx, func(tx store.Tx) error {
		a, err := tx.GetActivationForUpdate(ctx, id)
		if err != nil {
			return err
		}
		edit(&a)
		return tx.UpdateActivation(ctx, &a)
	})
	if err != nil {
		t.Fatal(err)
	}
}
