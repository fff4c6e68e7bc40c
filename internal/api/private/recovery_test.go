package private

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/protocol"
)

// recoveryTestServer is a test server with a cheap Argon2 setting (the
// hashing cost is not what these tests are about).
func recoveryTestServer(t *testing.T) *testServer {
	return newTestServerWith(t, service.Config{RecoveryPUKHashMemoryKiB: 64}, Options{})
}

// recoveryDevice is a device activated through activation/init, prepare
// and commit, holding its keys and the recovery code it was given.
type recoveryDevice struct {
	App          testApp
	ActivationID string
	UserID       string
	Keys         *protocol.ActivationKeys
	ServerPub    *protocol.PublicKey
	RecoveryCode string
	PUK          string
}

func recoveryB64Decode(t *testing.T, v any) []byte {
	t.Helper()
	s, _ := v.(string)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("base64 %v: %v", v, err)
	}
	return b
}

// recoveryWire renders a device's ECIES request as ECIES-in fields.
func recoveryWire(req *protocol.EncryptedRequest, version string) map[string]any {
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
	return out
}

// recoveryDecrypt decrypts the ECIES-out fields of a responseObject.
func recoveryDecrypt(t *testing.T, env *protocol.EciesEnvelope, ro map[string]any) []byte {
	t.Helper()
	r := &protocol.EncryptedResponse{EncryptedData: recoveryB64Decode(t, ro["encryptedData"]), MAC: recoveryB64Decode(t, ro["mac"])}
	if ro["nonce"] != nil {
		r.Nonce = recoveryB64Decode(t, ro["nonce"])
	}
	if ts, ok := ro["timestamp"].(float64); ok {
		r.Timestamp = int64(ts)
	}
	plain, err := env.DecryptResponse(r)
	if err != nil {
		t.Fatalf("decrypt response: %v", err)
	}
	return plain
}

// recoveryKeyExchange sends layer-2 activation data for a device key to
// method with the extra fields and returns the responseObject and envelope.
func recoveryKeyExchange(t *testing.T, ts *testServer, app testApp, dev *protocol.PrivateKey, method string, extra map[string]any) (int, map[string]any, *protocol.EciesEnvelope) {
	t.Helper()
	l2, err := json.Marshal(map[string]string{
		"devicePublicKey": base64.StdEncoding.EncodeToString(dev.Public().Compressed()),
		"activationName":  "recovery test", "platform": "android", "deviceInfo": "test",
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
	body := recoveryWire(req, protocol.Version32)
	body["applicationKey"] = app.ApplicationKey
	for k, v := range extra {
		body[k] = v
	}
	status, out := ts.post(t, method, body)
	ro, _ := out["responseObject"].(map[string]any)
	return status, ro, env
}

// recoveryFinishDevice decrypts a key-exchange response and commits the activation.
func recoveryFinishDevice(t *testing.T, ts *testServer, app testApp, user string, dev *protocol.PrivateKey, ro map[string]any, env *protocol.EciesEnvelope) *recoveryDevice {
	t.Helper()
	var resp struct {
		ActivationID       string `json:"activationId"`
		ServerPublicKey    string `json:"serverPublicKey"`
		ActivationRecovery *struct {
			RecoveryCode string `json:"recoveryCode"`
			PUK          string `json:"puk"`
		} `json:"activationRecovery"`
	}
	if err := json.Unmarshal(recoveryDecrypt(t, env, ro), &resp); err != nil {
		t.Fatal(err)
	}
	ts.ok(t, "activation/commit", map[string]any{"activationId": resp.ActivationID, "externalUserId": "admin"})
	serverPub, err := protocol.ParsePublicKey(recoveryB64Decode(t, resp.ServerPublicKey))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := protocol.DeriveActivationKeysECDH(dev, serverPub)
	if err != nil {
		t.Fatal(err)
	}
	d := &recoveryDevice{App: app, ActivationID: resp.ActivationID, UserID: user, Keys: keys, ServerPub: serverPub}
	if resp.ActivationRecovery != nil {
		d.RecoveryCode, d.PUK = resp.ActivationRecovery.RecoveryCode, resp.ActivationRecovery.PUK
	}
	return d
}

// recoveryActivate activates a device for user through init, prepare and commit.
func recoveryActivate(t *testing.T, ts *testServer, app testApp, user string) *recoveryDevice {
	t.Helper()
	init := ts.ok(t, "activation/init", map[string]any{"applicationId": app.Name, "userId": user})
	dev, err := protocol.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	status, ro, env := recoveryKeyExchange(t, ts, app, dev, "activation/prepare", map[string]any{"activationCode": init["activationCode"]})
	if status != http.StatusOK {
		t.Fatalf("prepare: HTTP %d %v", status, ro)
	}
	return recoveryFinishDevice(t, ts, app, user, dev, ro, env)
}

// confirmBody encrypts {"recoveryCode": code} for recovery/confirm.
func (d *recoveryDevice) confirmBody(t *testing.T, ts *testServer, sh1, payload string) (map[string]any, *protocol.EciesEnvelope) {
	t.Helper()
	ectx := protocol.EciesContext{Version: protocol.Version32, SharedInfo1: sh1, ApplicationKey: d.App.ApplicationKey,
		ApplicationSecret: d.App.ApplicationSecret, ActivationID: d.ActivationID, TransportKey: d.Keys.Transport}
	req, env, err := protocol.EncryptRequest(d.ServerPub, ectx, []byte(payload), ts.svc.Now())
	if err != nil {
		t.Fatal(err)
	}
	body := recoveryWire(req, protocol.Version32)
	body["activationId"] = d.ActivationID
	body["applicationKey"] = d.App.ApplicationKey
	return body, env
}

// recoveryPrinter is the postcard printing center.
type recoveryPrinter struct{ key *protocol.PrivateKey }

func (p recoveryPrinter) publicB64() string {
	return base64.StdEncoding.EncodeToString(p.key.Public().Compressed())
}

// derive recomputes the postcard's recovery code and PUKs from a
// recovery/create response and the server's postcard public key.
func (p recoveryPrinter) derive(t *testing.T, serverPubB64 any, created map[string]any) (string, []string) {
	t.Helper()
	pub, err := protocol.ParsePublicKey(recoveryB64Decode(t, serverPubB64))
	if err != nil {
		t.Fatal(err)
	}
	secret, err := p.key.SharedSecret(pub)
	if err != nil {
		t.Fatal(err)
	}
	seed, err := protocol.DeriveRecoverySeed(secret, recoveryB64Decode(t, created["nonce"]))
	if err != nil {
		t.Fatal(err)
	}
	var puks []string
	for _, item := range created["puks"].([]any) {
		// Derivation indexes are below 2^63 but may exceed float64 precision:
		// re-read them exactly from the JSON number.
		idx, err := json.Number(recoveryNumber(t, item.(map[string]any)["pukDerivationIndex"])).Int64()
		if err != nil {
			t.Fatal(err)
		}
		puk, err := protocol.DerivePUK(seed.PUKBaseKey, uint64(idx))
		if err != nil {
			t.Fatal(err)
		}
		puks = append(puks, puk)
	}
	return seed.Code, puks
}

func recoveryNumber(t *testing.T, v any) string {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("not an exact number: %T %v", v, v)
	}
	return string(n)
}

func TestRecoveryConfigMethods(t *testing.T) {
	ts := recoveryTestServer(t)
	app := ts.createApp(t)
	cfg := ts.ok(t, "recovery/config/detail", map[string]any{"applicationId": app.Name})
	want := map[string]any{"applicationId": app.Name, "activationRecoveryEnabled": false, "recoveryPostcardEnabled": false,
		"allowMultipleRecoveryCodes": false, "postcardPublicKey": nil, "remotePostcardPublicKey": nil}
	for k, v := range want {
		if got, ok := cfg[k]; !ok || got != v {
			t.Fatalf("default %s = %v (present %v), want %v", k, got, ok, v)
		}
	}
	printer := recoveryPrinter{key: recoveryKey(t)}
	up := ts.ok(t, "recovery/config/update", map[string]any{"applicationId": app.Name, "activationRecoveryEnabled": true,
		"recoveryPostcardEnabled": true, "allowMultipleRecoveryCodes": true, "remotePostcardPublicKey": printer.publicB64()})
	if up["updated"] != true {
		t.Fatalf("update: %v", up)
	}
	cfg = ts.ok(t, "recovery/config/detail", map[string]any{"applicationId": app.Name})
	if cfg["activationRecoveryEnabled"] != true || cfg["recoveryPostcardEnabled"] != true || cfg["allowMultipleRecoveryCodes"] != true ||
		cfg["remotePostcardPublicKey"] != printer.publicB64() {
		t.Fatalf("after update: %v", cfg)
	}
	serverPub, err := protocol.ParsePublicKey(recoveryB64Decode(t, cfg["postcardPublicKey"]))
	if err != nil {
		t.Fatalf("postcard public key: %v", err)
	}
	// The postcard private key is sealed at rest.
	stored, err := ts.store.GetRecoveryConfig(context.Background(), recoveryAppID(t, ts, app))
	if err != nil {
		t.Fatal(err)
	}
	if len(stored.PostcardPrivateKeyEncrypted) == 0 || len(stored.PostcardPrivateKeyEncrypted) == 32 {
		t.Fatalf("postcard private key not sealed: %d bytes", len(stored.PostcardPrivateKeyEncrypted))
	}
	// Disabling keeps the key pair; an absent remote key is kept, "" removes it.
	ts.ok(t, "recovery/config/update", map[string]any{"applicationId": app.Name})
	cfg = ts.ok(t, "recovery/config/detail", map[string]any{"applicationId": app.Name})
	if cfg["activationRecoveryEnabled"] != false || cfg["remotePostcardPublicKey"] != printer.publicB64() ||
		cfg["postcardPublicKey"] != base64.StdEncoding.EncodeToString(serverPub.Uncompressed()) {
		t.Fatalf("after disabling: %v", cfg)
	}
	ts.ok(t, "recovery/config/update", map[string]any{"applicationId": app.Name, "remotePostcardPublicKey": ""})
	if cfg = ts.ok(t, "recovery/config/detail", map[string]any{"applicationId": app.Name}); cfg["remotePostcardPublicKey"] != nil {
		t.Fatalf("remote key not removed: %v", cfg)
	}

	// Bad input.
	for _, m := range []string{"recovery/config/detail", "recovery/config/update"} {
		ro := ts.fail(t, m, map[string]any{}, http.StatusBadRequest, "ERR0024")
		if !strings.Contains(ro["message"].(string), "applicationId") {
			t.Fatalf("%s message: %v", m, ro["message"])
		}
		ts.fail(t, m, map[string]any{"applicationId": "no-such-app"}, http.StatusBadRequest, "ERR0024")
	}
	ts.fail(t, "recovery/config/update", map[string]any{"applicationId": app.Name, "remotePostcardPublicKey": "%%%"}, http.StatusBadRequest, "ERR0010")
	ts.fail(t, "recovery/config/update", map[string]any{"applicationId": app.Name, "remotePostcardPublicKey": base64.StdEncoding.EncodeToString(make([]byte, 33))}, http.StatusBadRequest, "ERR0010")
	ts.fail(t, "recovery/config/update", map[string]any{"applicationId": app.Name, "activationRecoveryEnabled": "yes"}, http.StatusBadRequest, "ERR0024")
}

func TestActivationRecoveryOverHTTP(t *testing.T) {
	ts := recoveryTestServer(t)
	app := ts.createApp(t)
	// Recovery off: no recovery code with the activation.
	if d := recoveryActivate(t, ts, app, "no-recovery"); d.RecoveryCode != "" {
		t.Fatal("recovery code issued while recovery is disabled")
	}
	ts.ok(t, "recovery/config/update", map[string]any{"applicationId": app.Name, "activationRecoveryEnabled": true})
	d := recoveryActivate(t, ts, app, "alice")
	if protocol.ValidateActivationCode(d.RecoveryCode) != nil || len(d.PUK) != 10 {
		t.Fatalf("activation recovery: %q %q", d.RecoveryCode, d.PUK)
	}
	// The code is listed (masked), linked to the activation, ACTIVE after commit.
	list := ts.ok(t, "recovery/lookup", map[string]any{"userId": "alice"})["recoveryCodes"].([]any)
	if len(list) != 1 {
		t.Fatalf("lookup: %v", list)
	}
	item := list[0].(map[string]any)
	if item["recoveryCodeMasked"] != "XXXXX-XXXXX-XXXXX-"+d.RecoveryCode[18:] || item["activationId"] != d.ActivationID ||
		item["applicationId"] != app.Name || item["userId"] != "alice" || item["status"] != "ACTIVE" {
		t.Fatalf("lookup item: %v", item)
	}
	puks := item["puks"].([]any)
	if len(puks) != 1 || puks[0].(map[string]any)["pukIndex"] != float64(1) || puks[0].(map[string]any)["status"] != "VALID" {
		t.Fatalf("lookup PUKs: %v", puks)
	}
	// The stored PUK is not the PUK in clear (nor a bare hash).
	codeID := int64(item["recoveryCodeId"].(float64))
	stored, err := ts.store.ListRecoveryPUKs(context.Background(), codeID)
	if err != nil || len(stored) != 1 {
		t.Fatalf("stored PUKs: %v", err)
	}
	if strings.Contains(string(stored[0].PUK), d.PUK) || strings.Contains(string(stored[0].PUK), "argon2") {
		t.Fatal("PUK stored in clear")
	}

	// Recovery with a wrong PUK: ERR_RECOVERY with the PUK index to ask for.
	dev, err := protocol.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	wrong := []byte(d.PUK)
	wrong[9] = '0' + (wrong[9]-'0'+1)%10
	status, ro, _ := recoveryKeyExchange(t, ts, app, dev, "activation/recovery/create", map[string]any{"recoveryCode": d.RecoveryCode, "puk": string(wrong)})
	if status != http.StatusBadRequest || ro["code"] != "ERR_RECOVERY" || ro["currentRecoveryPukIndex"] != float64(1) {
		t.Fatalf("wrong PUK: HTTP %d %v", status, ro)
	}
	// The right PUK recovers: a new activation, the old one removed, its code revoked.
	status, ro, env := recoveryKeyExchange(t, ts, app, dev, "activation/recovery/create", map[string]any{"recoveryCode": d.RecoveryCode, "puk": d.PUK})
	if status != http.StatusOK {
		t.Fatalf("recovery: HTTP %d %v", status, ro)
	}
	d2 := recoveryFinishDevice(t, ts, app, "alice", dev, ro, env)
	if d2.ActivationID == d.ActivationID || d2.RecoveryCode == "" || d2.RecoveryCode == d.RecoveryCode {
		t.Fatalf("recovered device: %+v", d2)
	}
	old := ts.ok(t, "recovery/lookup", map[string]any{"activationId": d.ActivationID})["recoveryCodes"].([]any)
	if len(old) != 1 || old[0].(map[string]any)["status"] != "REVOKED" || old[0].(map[string]any)["puks"].([]any)[0].(map[string]any)["status"] != "USED" {
		t.Fatalf("old code after recovery: %v", old)
	}
	if st := ts.ok(t, "activation/status", map[string]any{"activationId": d.ActivationID}); st["activationStatus"] != "REMOVED" {
		t.Fatalf("old activation: %v", st["activationStatus"])
	}
	active := ts.ok(t, "recovery/lookup", map[string]any{"userId": "alice", "applicationId": app.Name, "recoveryCodeStatus": "ACTIVE"})["recoveryCodes"].([]any)
	if len(active) != 1 || active[0].(map[string]any)["activationId"] != d2.ActivationID {
		t.Fatalf("active codes: %v", active)
	}
	// The used code cannot be used again.
	status, ro, _ = recoveryKeyExchange(t, ts, app, dev, "activation/recovery/create", map[string]any{"recoveryCode": d.RecoveryCode, "puk": d.PUK})
	if status != http.StatusBadRequest || ro["code"] != "ERR0024" {
		t.Fatalf("reused code: HTTP %d %v", status, ro)
	}
}

func TestRecoveryPostcardOverHTTP(t *testing.T) {
	ts := recoveryTestServer(t)
	app := ts.createApp(t)
	create := map[string]any{"applicationId": app.Name, "userId": "bob", "pukCount": 3}
	ts.fail(t, "recovery/create", create, http.StatusBadRequest, "ERR0024") // recovery disabled
	ts.ok(t, "recovery/config/update", map[string]any{"applicationId": app.Name, "activationRecoveryEnabled": true})
	ts.fail(t, "recovery/create", create, http.StatusBadRequest, "ERR0024") // postcards disabled
	ts.ok(t, "recovery/config/update", map[string]any{"applicationId": app.Name, "activationRecoveryEnabled": true, "recoveryPostcardEnabled": true})
	ts.fail(t, "recovery/create", create, http.StatusBadRequest, "ERR0029") // no printing center key
	printer := recoveryPrinter{key: recoveryKey(t)}
	ts.ok(t, "recovery/config/update", map[string]any{"applicationId": app.Name, "activationRecoveryEnabled": true, "recoveryPostcardEnabled": true, "remotePostcardPublicKey": printer.publicB64()})
	serverPub := ts.ok(t, "recovery/config/detail", map[string]any{"applicationId": app.Name})["postcardPublicKey"]

	created := recoveryPostExact(t, ts, create)
	if created["userId"] != "bob" || created["status"] != "CREATED" || len(recoveryB64Decode(t, created["nonce"])) != 32 {
		t.Fatalf("created: %v", created)
	}
	code, puks := printer.derive(t, serverPub, created)
	if created["recoveryCodeMasked"] != "XXXXX-XXXXX-XXXXX-"+code[18:] || len(puks) != 3 {
		t.Fatalf("masked %v for %s", created["recoveryCodeMasked"], code)
	}
	for i, p := range created["puks"].([]any) {
		pm := p.(map[string]any)
		if recoveryNumber(t, pm["pukIndex"]) != string(rune('1'+i)) || pm["status"] != "VALID" {
			t.Fatalf("puk %d: %v", i, pm)
		}
	}
	ts.fail(t, "recovery/create", create, http.StatusBadRequest, "ERR0025") // one postcard per user

	// Confirm the postcard code from bob's activated device.
	d := recoveryActivate(t, ts, app, "bob")
	body, env := d.confirmBody(t, ts, protocol.SharedInfo1RecoveryConfirm, `{"recoveryCode":"`+code+`"}`)
	ro := ts.ok(t, "recovery/confirm", body)
	if ro["activationId"] != d.ActivationID || ro["userId"] != "bob" || ro["nonce"] == nil || ro["timestamp"] == nil {
		t.Fatalf("confirm: %v", ro)
	}
	var out map[string]any
	if err := json.Unmarshal(recoveryDecrypt(t, env, ro), &out); err != nil || out["alreadyConfirmed"] != false {
		t.Fatalf("confirm payload: %v %v", out, err)
	}
	body, env = d.confirmBody(t, ts, protocol.SharedInfo1RecoveryConfirm, `{"recoveryCode":"`+code+`"}`)
	ro = ts.ok(t, "recovery/confirm", body)
	if err := json.Unmarshal(recoveryDecrypt(t, env, ro), &out); err != nil || out["alreadyConfirmed"] != true {
		t.Fatalf("second confirm payload: %v %v", out, err)
	}
	// A replayed confirmation is refused.
	ts.fail(t, "recovery/confirm", body, http.StatusBadRequest, "ERR0018")
	codes := ts.ok(t, "recovery/lookup", map[string]any{"userId": "bob", "recoveryCodeStatus": "ACTIVE"})["recoveryCodes"].([]any)
	var postcard map[string]any
	for _, c := range codes {
		if c.(map[string]any)["activationId"] == nil {
			postcard = c.(map[string]any)
		}
	}
	if postcard == nil || postcard["recoveryCodeId"] != recoveryFloat(t, created["recoveryCodeId"]) {
		t.Fatalf("confirmed postcard not listed: %v", codes)
	}

	// Recover with the printed PUKs, in order.
	dev := recoveryKey(t)
	status, ro, _ := recoveryKeyExchange(t, ts, app, dev, "activation/recovery/create", map[string]any{"recoveryCode": code, "puk": puks[1]})
	if status != http.StatusBadRequest || ro["code"] != "ERR_RECOVERY" || ro["currentRecoveryPukIndex"] != float64(1) {
		t.Fatalf("PUK out of order: HTTP %d %v", status, ro)
	}
	status, ro, env = recoveryKeyExchange(t, ts, app, dev, "activation/recovery/create", map[string]any{"recoveryCode": code, "puk": puks[0]})
	if status != http.StatusOK || ro["userId"] != "bob" {
		t.Fatalf("recovery with PUK 1: HTTP %d %v", status, ro)
	}
	recoveryFinishDevice(t, ts, app, "bob", dev, ro, env)
	// A postcard code is not bound to an activation: bob's device stays.
	if st := ts.ok(t, "activation/status", map[string]any{"activationId": d.ActivationID}); st["activationStatus"] != "ACTIVE" {
		t.Fatalf("confirming device after postcard recovery: %v", st["activationStatus"])
	}
	valid := ts.ok(t, "recovery/lookup", map[string]any{"userId": "bob", "recoveryPukStatus": "VALID"})["recoveryCodes"].([]any)
	foundPostcard := false
	for _, c := range valid {
		cm := c.(map[string]any)
		if cm["activationId"] == nil {
			foundPostcard = true
			if p := cm["puks"].([]any); len(p) != 2 || p[0].(map[string]any)["pukIndex"] != float64(2) {
				t.Fatalf("VALID PUKs of the postcard: %v", p)
			}
		}
	}
	if !foundPostcard {
		t.Fatalf("postcard missing from VALID lookup: %v", valid)
	}

	// Revoke it: revoked, then nothing more to revoke.
	id := postcard["recoveryCodeId"]
	if ro := ts.ok(t, "recovery/revoke", map[string]any{"recoveryCodeIds": []any{id, 987654}}); ro["revoked"] != true {
		t.Fatalf("revoke: %v", ro)
	}
	if ro := ts.ok(t, "recovery/revoke", map[string]any{"recoveryCodeIds": []any{id}}); ro["revoked"] != false {
		t.Fatalf("second revoke: %v", ro)
	}
	revoked := ts.ok(t, "recovery/lookup", map[string]any{"userId": "bob", "recoveryCodeStatus": "REVOKED"})["recoveryCodes"].([]any)
	if len(revoked) != 1 {
		t.Fatalf("revoked codes: %v", revoked)
	}
	for _, p := range revoked[0].(map[string]any)["puks"].([]any) {
		if s := p.(map[string]any)["status"]; s != "USED" && s != "INVALID" {
			t.Fatalf("PUK after revoke: %v", p)
		}
	}
	status, ro, _ = recoveryKeyExchange(t, ts, app, dev, "activation/recovery/create", map[string]any{"recoveryCode": code, "puk": puks[1]})
	if status != http.StatusBadRequest || ro["code"] != "ERR0024" {
		t.Fatalf("revoked postcard used: HTTP %d %v", status, ro)
	}
	// Confirming a revoked code is refused.
	body, _ = d.confirmBody(t, ts, protocol.SharedInfo1RecoveryConfirm, `{"recoveryCode":"`+code+`"}`)
	ts.fail(t, "recovery/confirm", body, http.StatusBadRequest, "ERR0024")
	// Bob may order a new postcard now.
	recoveryPostExact(t, ts, create)
}

func TestRecoveryMethodsBadInput(t *testing.T) {
	ts := recoveryTestServer(t)
	app := ts.createApp(t)
	printer := recoveryPrinter{key: recoveryKey(t)}
	ts.ok(t, "recovery/config/update", map[string]any{"applicationId": app.Name, "activationRecoveryEnabled": true, "recoveryPostcardEnabled": true, "remotePostcardPublicKey": printer.publicB64()})

	// recovery/create
	for _, body := range []map[string]any{
		{},
		{"applicationId": app.Name, "userId": "u"},
		{"applicationId": app.Name, "userId": "u", "pukCount": 0},
		{"applicationId": app.Name, "userId": "u", "pukCount": 101},
		{"applicationId": app.Name, "pukCount": 1},
		{"userId": "u", "pukCount": 1},
		{"applicationId": "no-such-app", "userId": "u", "pukCount": 1},
		{"applicationId": app.Name, "userId": "u", "pukCount": "two"},
	} {
		ts.fail(t, "recovery/create", body, http.StatusBadRequest, "ERR0024")
	}

	// recovery/lookup
	for _, body := range []map[string]any{
		{},
		{"applicationId": app.Name},
		{"userId": "u", "applicationId": "no-such-app"},
		{"userId": "u", "recoveryCodeStatus": "FROZEN"},
		{"userId": "u", "recoveryPukStatus": "LOST"},
	} {
		ts.fail(t, "recovery/lookup", body, http.StatusBadRequest, "ERR0024")
	}
	if codes := ts.ok(t, "recovery/lookup", map[string]any{"userId": "nobody"})["recoveryCodes"].([]any); len(codes) != 0 {
		t.Fatalf("codes of nobody: %v", codes)
	}

	// recovery/revoke
	for _, body := range []any{
		map[string]any{},
		map[string]any{"recoveryCodeIds": []any{}},
		map[string]any{"recoveryCodeIds": []any{-1}},
		map[string]any{"recoveryCodeIds": []any{1, nil}},
		map[string]any{"recoveryCodeIds": "1"},
	} {
		ts.fail(t, "recovery/revoke", body, http.StatusBadRequest, "ERR0024")
	}
	if ro := ts.ok(t, "recovery/revoke", map[string]any{"recoveryCodeIds": []any{123456}}); ro["revoked"] != false {
		t.Fatalf("unknown id: %v", ro)
	}

	// recovery/confirm
	d := recoveryActivate(t, ts, app, "carol")
	c := recoveryPostExact(t, ts, map[string]any{"applicationId": app.Name, "userId": "carol", "pukCount": 1})
	serverPub := ts.ok(t, "recovery/config/detail", map[string]any{"applicationId": app.Name})["postcardPublicKey"]
	code, _ := printer.derive(t, serverPub, c)
	good := `{"recoveryCode":"` + code + `"}`
	withField := func(k string, v any) map[string]any {
		body, _ := d.confirmBody(t, ts, protocol.SharedInfo1RecoveryConfirm, good)
		if v == nil {
			delete(body, k)
		} else {
			body[k] = v
		}
		return body
	}
	ts.fail(t, "recovery/confirm", map[string]any{}, http.StatusBadRequest, "ERR0024")
	ts.fail(t, "recovery/confirm", withField("activationId", nil), http.StatusBadRequest, "ERR0024")
	ts.fail(t, "recovery/confirm", withField("mac", nil), http.StatusBadRequest, "ERR0024")
	ts.fail(t, "recovery/confirm", withField("activationId", "00000000-0000-4000-8000-000000000000"), http.StatusBadRequest, "ERR0009")
	ts.fail(t, "recovery/confirm", withField("applicationKey", "no-such-key"), http.StatusBadRequest, "ERR0015")
	ts.fail(t, "recovery/confirm", withField("encryptedData", "%%%"), http.StatusBadRequest, "ERR0011")
	ts.fail(t, "recovery/confirm", withField("mac", base64.StdEncoding.EncodeToString(make([]byte, 32))), http.StatusBadRequest, "ERR0018")
	body, _ := d.confirmBody(t, ts, protocol.SharedInfo1VaultUnlock, good)
	ts.fail(t, "recovery/confirm", body, http.StatusBadRequest, "ERR0018")
	body, _ = d.confirmBody(t, ts, protocol.SharedInfo1RecoveryConfirm, `{"recoveryCode":"AAAAA-AAAAA-AAAAA-AAAAA"}`)
	ts.fail(t, "recovery/confirm", body, http.StatusBadRequest, "ERR0027")
	body, _ = d.confirmBody(t, ts, protocol.SharedInfo1RecoveryConfirm, `{"recoveryCode":"garbage"}`)
	ts.fail(t, "recovery/confirm", body, http.StatusBadRequest, "ERR0024")
	body, _ = d.confirmBody(t, ts, protocol.SharedInfo1RecoveryConfirm, `[1,2,3]`)
	ts.fail(t, "recovery/confirm", body, http.StatusBadRequest, "ERR0018")
	// Another user's device cannot confirm carol's postcard.
	other := recoveryActivate(t, ts, app, "dave")
	body, _ = other.confirmBody(t, ts, protocol.SharedInfo1RecoveryConfirm, good)
	ts.fail(t, "recovery/confirm", body, http.StatusBadRequest, "ERR0024")
	// Recovery disabled.
	ts.ok(t, "recovery/config/update", map[string]any{"applicationId": app.Name})
	body, _ = d.confirmBody(t, ts, protocol.SharedInfo1RecoveryConfirm, good)
	ts.fail(t, "recovery/confirm", body, http.StatusBadRequest, "ERR0024")
	// None of the failures confirmed the code.
	codes := ts.ok(t, "recovery/lookup", map[string]any{"userId": "carol", "recoveryCodeStatus": "CREATED"})["recoveryCodes"].([]any)
	if len(codes) != 1 {
		t.Fatalf("postcard changed by failed confirmations: %v", codes)
	}
}

// recoveryPostExact calls recovery/create and decodes the response with
// exact numbers (derivation indexes exceed float64 precision).
func recoveryPostExact(t *testing.T, ts *testServer, body map[string]any) map[string]any {
	t.Helper()
	raw, err := json.Marshal(map[string]any{"requestObject": body})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(ts.URL+Prefix+"recovery/create", "application/json", strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	var out struct {
		Status         string         `json:"status"`
		ResponseObject map[string]any `json:"responseObject"`
	}
	if err := dec.Decode(&out); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || out.Status != "OK" {
		t.Fatalf("recovery/create: HTTP %d %v", resp.StatusCode, out.ResponseObject)
	}
	return out.ResponseObject
}

func recoveryKey(t *testing.T) *protocol.PrivateKey {
	t.Helper()
	k, err := protocol.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func recoveryFloat(t *testing.T, v any) float64 {
	t.Helper()
	f, err := v.(json.Number).Float64()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func recoveryAppID(t *testing.T, ts *testServer, app testApp) int64 {
	t.Helper()
	a, err := ts.store.GetApplicationByName(context.Background(), app.Name)
	if err != nil {
		t.Fatal(err)
	}
	return a.ID
}
