package private

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/protocol"
)

var actUUID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// newActTestServer is a test server with a cheap Argon2 setting for OTPs.
func newActTestServer(t *testing.T) *testServer {
	return newTestServerWith(t, service.Config{RecoveryPUKHashMemoryKiB: 64}, Options{})
}

// actHTTPDevice plays the mobile device against the private API.
type actHTTPDevice struct {
	priv      *protocol.PrivateKey
	id        string
	keys      *protocol.ActivationKeys
	serverPub *protocol.PublicKey
	ctrData   []byte
}

func newActHTTPDevice(t *testing.T) *actHTTPDevice {
	t.Helper()
	k, err := protocol.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	return &actHTTPDevice{priv: k}
}

// payload is the layer-2 plaintext.
func (d *actHTTPDevice) payload(otp string) map[string]any {
	p := map[string]any{
		"devicePublicKey": base64.StdEncoding.EncodeToString(d.priv.Public().Compressed()),
		"activationName":  "Work phone",
		"extras":          "{\"k\":1}",
		"platform":        "Android",
		"deviceInfo":      "Pixel 8",
	}
	if otp != "" {
		p["activationOtp"] = otp
	}
	return p
}

// actEncryptHTTP encrypts a layer-2 payload and returns the ECIES-in fields.
// For 3.3 the temporary key comes from keystore/create.
func actEncryptHTTP(t *testing.T, ts *testServer, app testApp, version string, payload any) (map[string]any, *protocol.EciesEnvelope) {
	t.Helper()
	plain, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	ectx := protocol.EciesContext{Version: version, SharedInfo1: protocol.SharedInfo1ActivationLayer2,
		ApplicationKey: app.ApplicationKey, ApplicationSecret: app.ApplicationSecret}
	key := app.Master
	if version == protocol.Version33 {
		jwt, _, err := protocol.BuildTemporaryKeyRequest(app.ApplicationKey, app.ApplicationSecret, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		ro := ts.ok(t, "keystore/create", map[string]any{"jwt": jwt})
		claims, err := protocol.ParseTemporaryKeyResponse(ro["jwt"].(string), app.Master)
		if err != nil {
			t.Fatal(err)
		}
		ectx.TemporaryKeyID, key = claims.TemporaryKeyID, claims.PublicKey
	}
	req, env, err := protocol.EncryptRequest(key, ectx, plain, ts.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.StdEncoding
	body := map[string]any{
		"ephemeralPublicKey": enc.EncodeToString(req.EphemeralPublicKey),
		"encryptedData":      enc.EncodeToString(req.EncryptedData),
		"mac":                enc.EncodeToString(req.MAC),
		"protocolVersion":    version,
	}
	if req.Nonce != nil {
		body["nonce"] = enc.EncodeToString(req.Nonce)
	}
	if req.Timestamp != 0 {
		body["timestamp"] = req.Timestamp
	}
	if req.TemporaryKeyID != "" {
		body["temporaryKeyId"] = req.TemporaryKeyID
	}
	return body, env
}

// actMerge returns a copy of base with extra fields.
func actMerge(base map[string]any, extra map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

func actB64(t *testing.T, v any) []byte {
	t.Helper()
	s, ok := v.(string)
	if !ok {
		t.Fatalf("%v is not a string", v)
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// finish decrypts a key-exchange response and derives the device's keys.
func (d *actHTTPDevice) finish(t *testing.T, env *protocol.EciesEnvelope, ro map[string]any, version string) map[string]any {
	t.Helper()
	resp := &protocol.EncryptedResponse{EncryptedData: actB64(t, ro["encryptedData"]), MAC: actB64(t, ro["mac"])}
	newer := version == protocol.Version32 || version == protocol.Version33
	if newer {
		resp.Nonce = actB64(t, ro["nonce"])
		resp.Timestamp = int64(ro["timestamp"].(float64))
	} else if ro["nonce"] != nil || ro["timestamp"] != nil {
		t.Fatalf("nonce/timestamp in a %s response: %v", version, ro)
	}
	plain, err := env.DecryptResponse(resp)
	if err != nil {
		t.Fatalf("decrypt: %v", err)
	}
	var l2 map[string]any
	if err := json.Unmarshal(plain, &l2); err != nil {
		t.Fatal(err)
	}
	d.id = l2["activationId"].(string)
	if d.serverPub, err = protocol.ParsePublicKey(actB64(t, l2["serverPublicKey"])); err != nil || len(actB64(t, l2["serverPublicKey"])) != 65 {
		t.Fatalf("server public key: %v", err)
	}
	d.ctrData = actB64(t, l2["ctrData"])
	if d.keys, err = protocol.DeriveActivationKeysECDH(d.priv, d.serverPub); err != nil {
		t.Fatal(err)
	}
	return l2
}

// actInitHTTP calls activation/init and checks its response.
func actInitHTTP(t *testing.T, ts *testServer, app testApp, extra map[string]any) map[string]any {
	t.Helper()
	ro := ts.ok(t, "activation/init", actMerge(map[string]any{"userId": "alice", "applicationId": app.Name}, extra))
	if !actUUID.MatchString(ro["activationId"].(string)) || protocol.ValidateActivationCode(ro["activationCode"].(string)) != nil ||
		!protocol.VerifyActivationCodeSignature(app.Master, ro["activationCode"].(string), actB64(t, ro["activationSignature"])) ||
		ro["applicationId"] != app.Name || ro["userId"] == nil {
		t.Fatalf("init response %v", ro)
	}
	return ro
}

// actPrepareHTTP runs init + prepare and returns the device and the prepare response.
func actPrepareHTTP(t *testing.T, ts *testServer, app testApp, version string, initExtra map[string]any, otp string) (*actHTTPDevice, map[string]any) {
	t.Helper()
	init := actInitHTTP(t, ts, app, initExtra)
	d := newActHTTPDevice(t)
	body, env := actEncryptHTTP(t, ts, app, version, d.payload(otp))
	ro := ts.ok(t, "activation/prepare", actMerge(body, map[string]any{"activationCode": init["activationCode"], "applicationKey": app.ApplicationKey}))
	d.finish(t, env, ro, version)
	if d.id != init["activationId"] || ro["activationId"] != d.id {
		t.Fatalf("prepare answered for %v", ro["activationId"])
	}
	return d, ro
}

// actStatusHTTP calls activation/status as the device would and checks
// the blob against the device's own keys.
func actStatusHTTP(t *testing.T, ts *testServer, d *actHTTPDevice, withChallenge bool, wantStatus domain.ActivationStatus) map[string]any {
	t.Helper()
	req := map[string]any{"activationId": d.id}
	var challenge []byte
	if withChallenge {
		challenge = protocol.RandomBytes(16)
		req["challenge"] = base64.StdEncoding.EncodeToString(challenge)
	}
	ro := ts.ok(t, "activation/status", req)
	if ro["activationStatus"] != wantStatus.String() {
		t.Fatalf("status %v, want %v", ro["activationStatus"], wantStatus)
	}
	var nonce []byte
	if withChallenge {
		nonce = actB64(t, ro["encryptedStatusBlobNonce"])
	} else if ro["encryptedStatusBlobNonce"] != nil {
		t.Fatal("nonce without a challenge")
	}
	blob, err := protocol.DecryptStatusBlob(d.keys.Transport, challenge, nonce, actB64(t, ro["encryptedStatusBlob"]))
	if err != nil {
		t.Fatalf("device cannot decrypt the blob: %v", err)
	}
	if blob.Status != byte(wantStatus) || blob.CurrentVersion != 3 || blob.UpgradeVersion != 3 ||
		float64(blob.FailedAttempts) != ro["failedAttempts"].(float64) || float64(blob.MaxFailedAttempts) != ro["maxFailedAttempts"].(float64) {
		t.Fatalf("blob %+v vs %v", blob, ro)
	}
	if withChallenge {
		wantHash, _ := protocol.CtrDataHash(d.keys.Transport, d.ctrData)
		if !bytes.Equal(blob.CtrDataHash, wantHash) || blob.CtrByte != 0 || int(blob.CtrLookAhead) != ts.svc.Config().SignatureLookAhead {
			t.Fatalf("counter fields %+v", blob)
		}
	}
	if fp := protocol.ActivationFingerprint(d.priv.Public(), d.id, d.serverPub); ro["devicePublicKeyFingerprint"] != fp {
		t.Fatalf("fingerprint %v, device computes %s", ro["devicePublicKeyFingerprint"], fp)
	}
	if ro["activationCode"] != nil || ro["activationSignature"] != nil || ro["version"] != float64(3) {
		t.Fatalf("status fields %v", ro)
	}
	return ro
}

func TestActivationHTTPKeyExchange(t *testing.T) {
	for _, version := range protocol.Versions {
		t.Run(version, func(t *testing.T) {
			ts := newActTestServer(t)
			app := ts.createApp(t)
			init := actInitHTTP(t, ts, app, map[string]any{"flags": []string{"X"}, "maxFailureCount": 3})
			id := init["activationId"].(string)
			// CREATED: the code and its signature are in the status, the blob is random.
			st := ts.ok(t, "activation/status", map[string]any{"activationId": id})
			if st["activationStatus"] != "CREATED" || st["activationCode"] != init["activationCode"] || st["activationSignature"] == nil ||
				st["devicePublicKeyFingerprint"] != nil || st["version"] != float64(0) || st["userId"] != "alice" ||
				st["applicationId"] != app.Name || st["maxFailedAttempts"] != float64(3) || st["commitPhase"] != "ON_COMMIT" ||
				st["activationOtpValidation"] != "NONE" || st["protocol"] != "powerauth" || len(actB64(t, st["encryptedStatusBlob"])) != 32 {
				t.Fatalf("created status %v", st)
			}
			if flags := st["activationFlags"].([]any); len(flags) != 1 || flags[0] != "X" {
				t.Fatalf("flags %v", flags)
			}
			if sig := actB64(t, st["activationSignature"]); !protocol.VerifyActivationCodeSignature(app.Master, init["activationCode"].(string), sig) {
				t.Fatal("status signature does not verify")
			}

			d := newActHTTPDevice(t)
			body, env := actEncryptHTTP(t, ts, app, version, d.payload(""))
			ro := ts.ok(t, "activation/prepare", actMerge(body, map[string]any{"activationCode": init["activationCode"], "applicationKey": app.ApplicationKey}))
			if ro["activationId"] != id || ro["userId"] != "alice" || ro["applicationId"] != app.Name || ro["activationStatus"] != "PENDING_COMMIT" {
				t.Fatalf("prepare response %v", ro)
			}
			l2 := d.finish(t, env, ro, version)
			if l2["activationId"] != id {
				t.Fatalf("layer 2 %v", l2)
			}
			withChallenge := version != protocol.Version30
			actStatusHTTP(t, ts, d, withChallenge, domain.ActivationPendingCommit)

			c := ts.ok(t, "activation/commit", map[string]any{"activationId": id, "externalUserId": "clerk"})
			if c["activationId"] != id || c["activated"] != true {
				t.Fatalf("commit %v", c)
			}
			st = actStatusHTTP(t, ts, d, withChallenge, domain.ActivationActive)
			if st["platform"] != "android" || st["deviceInfo"] != "Pixel 8" || st["activationName"] != "Work phone" || st["extras"] != "{\"k\":1}" ||
				st["timestampCreated"] == nil || st["timestampLastChange"] == nil || st["blockedReason"] != nil {
				t.Fatalf("active status %v", st)
			}
			h := ts.ok(t, "activation/history", map[string]any{"activationId": id})["items"].([]any)
			if len(h) != 3 {
				t.Fatalf("history %v", h)
			}
			last := h[2].(map[string]any)
			if last["activationStatus"] != "ACTIVE" || last["externalUserId"] != "clerk" || last["activationName"] != "Work phone" || last["version"] != float64(3) || last["activationId"] != id {
				t.Fatalf("history item %v", last)
			}
			if _, err := time.Parse(time.RFC3339, last["timestampCreated"].(string)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestActivationHTTPOTP(t *testing.T) {
	ts := newActTestServer(t)
	app := ts.createApp(t)

	// ON_KEY_EXCHANGE: the right OTP activates in the key exchange.
	d, ro := actPrepareHTTP(t, ts, app, protocol.Version32, map[string]any{"activationOtp": "1234", "commitPhase": "ON_KEY_EXCHANGE"}, "1234")
	if ro["activationStatus"] != "ACTIVE" {
		t.Fatalf("prepare %v", ro)
	}
	actStatusHTTP(t, ts, d, true, domain.ActivationActive)
	ts.fail(t, "activation/commit", map[string]any{"activationId": d.id}, http.StatusBadRequest, "ERR0008")

	// A wrong OTP is counted; the code stays usable until the limit.
	init := actInitHTTP(t, ts, app, map[string]any{"activationOtp": "1234", "commitPhase": "ON_KEY_EXCHANGE", "maxFailureCount": 2})
	prepare := func(otp string) (int, map[string]any) {
		body, _ := actEncryptHTTP(t, ts, app, protocol.Version32, newActHTTPDevice(t).payload(otp))
		return ts.post(t, "activation/prepare", actMerge(body, map[string]any{"activationCode": init["activationCode"], "applicationKey": app.ApplicationKey}))
	}
	if status, out := prepare("0000"); status != http.StatusBadRequest || out["responseObject"].(map[string]any)["code"] != "ERR0031" {
		t.Fatalf("wrong OTP: %d %v", status, out)
	}
	st := ts.ok(t, "activation/status", map[string]any{"activationId": init["activationId"]})
	if st["activationStatus"] != "CREATED" || st["failedAttempts"] != float64(1) {
		t.Fatalf("after one failure %v", st)
	}
	prepare("0000")
	st = ts.ok(t, "activation/status", map[string]any{"activationId": init["activationId"]})
	if st["activationStatus"] != "REMOVED" {
		t.Fatalf("after the limit %v", st)
	}
	h := ts.ok(t, "activation/history", map[string]any{"activationId": init["activationId"]})["items"].([]any)
	if h[1].(map[string]any)["eventReason"] != "OTP_FAILED_ATTEMPT" || h[2].(map[string]any)["eventReason"] != "OTP_MAX_FAILED_ATTEMPTS" {
		t.Fatalf("history %v", h)
	}

	// ON_COMMIT: the OTP goes to the commit; otp/update replaces it.
	d, ro = actPrepareHTTP(t, ts, app, protocol.Version31, map[string]any{"activationOtp": "first"}, "")
	if ro["activationStatus"] != "PENDING_COMMIT" {
		t.Fatalf("prepare %v", ro)
	}
	ts.fail(t, "activation/commit", map[string]any{"activationId": d.id}, http.StatusBadRequest, "ERR0031")
	u := ts.ok(t, "activation/otp/update", map[string]any{"activationId": d.id, "externalUserId": "clerk", "activationOtp": "second"})
	if u["activationId"] != d.id || u["updated"] != true {
		t.Fatalf("otp update %v", u)
	}
	ts.fail(t, "activation/commit", map[string]any{"activationId": d.id, "activationOtp": "first"}, http.StatusBadRequest, "ERR0031")
	ts.ok(t, "activation/commit", map[string]any{"activationId": d.id, "activationOtp": "second"})
	actStatusHTTP(t, ts, d, true, domain.ActivationActive)
	ts.fail(t, "activation/otp/update", map[string]any{"activationId": d.id, "activationOtp": "x"}, http.StatusBadRequest, "ERR0008")

	// The deprecated mode must not be combined with a commit phase.
	ts.fail(t, "activation/init", map[string]any{"userId": "u", "applicationId": app.Name, "activationOtp": "1",
		"activationOtpValidation": "ON_COMMIT", "commitPhase": "ON_COMMIT"}, http.StatusBadRequest, "ERR0024")
	// otp/update is refused for the deprecated ON_KEY_EXCHANGE mode.
	// (Such an activation never reaches PENDING_COMMIT through the API, so
	// the state is set directly.)
	init = actInitHTTP(t, ts, app, map[string]any{"activationOtp": "1", "activationOtpValidation": "ON_KEY_EXCHANGE"})
	ctx := context.Background()
	err := ts.store.InTx(ctx, func(tx store.Tx) error {
		a, err := tx.GetActivationForUpdate(ctx, init["activationId"].(string))
		if err != nil {
			return err
		}
		a.Status = domain.ActivationPendingCommit
		return tx.UpdateActivation(ctx, &a)
	})
	if err != nil {
		t.Fatal(err)
	}
	ts.fail(t, "activation/otp/update", map[string]any{"activationId": init["activationId"], "activationOtp": "2"}, http.StatusBadRequest, "ERR0032")
}

func TestActivationHTTPCreate(t *testing.T) {
	ts := newActTestServer(t)
	app := ts.createApp(t)
	d := newActHTTPDevice(t)
	body, env := actEncryptHTTP(t, ts, app, protocol.Version33, d.payload(""))
	expire := ts.clock.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	ro := ts.ok(t, "activation/create", actMerge(body, map[string]any{
		"userId": "bob", "applicationKey": app.ApplicationKey, "maxFailureCount": 9, "timestampActivationExpire": expire, "activationOtp": "55",
	}))
	if ro["userId"] != "bob" || ro["applicationId"] != app.Name || ro["activationStatus"] != "PENDING_COMMIT" || !actUUID.MatchString(ro["activationId"].(string)) {
		t.Fatalf("create %v", ro)
	}
	d.finish(t, env, ro, protocol.Version33)
	st := actStatusHTTP(t, ts, d, true, domain.ActivationPendingCommit)
	if st["maxFailedAttempts"] != float64(9) {
		t.Fatalf("status %v", st)
	}
	ts.ok(t, "activation/commit", map[string]any{"activationId": d.id, "activationOtp": "55"})
	actStatusHTTP(t, ts, d, true, domain.ActivationActive)

	body, _ = actEncryptHTTP(t, ts, app, protocol.Version32, newActHTTPDevice(t).payload(""))
	ts.fail(t, "activation/create", actMerge(body, map[string]any{"userId": "bob", "applicationKey": base64.StdEncoding.EncodeToString(make([]byte, 16))}), http.StatusBadRequest, "ERR0015")
	ts.fail(t, "activation/create", actMerge(body, map[string]any{"applicationKey": app.ApplicationKey}), http.StatusBadRequest, "ERR0024")
	ts.fail(t, "activation/create", actMerge(body, map[string]any{"userId": "bob", "applicationKey": app.ApplicationKey, "maxFailureCount": 0}), http.StatusBadRequest, "ERR0024")
	ts.fail(t, "activation/create", actMerge(body, map[string]any{"userId": "bob", "applicationKey": app.ApplicationKey, "timestampActivationExpire": "2001-01-01T00:00:00Z"}), http.StatusBadRequest, "ERR0024")
	// The same cryptogram twice is a replay.
	ts.ok(t, "activation/create", actMerge(body, map[string]any{"userId": "bob", "applicationKey": app.ApplicationKey}))
	ts.fail(t, "activation/create", actMerge(body, map[string]any{"userId": "bob", "applicationKey": app.ApplicationKey}), http.StatusBadRequest, "ERR0018")
}

func TestActivationHTTPAdministration(t *testing.T) {
	ts := newActTestServer(t)
	app := ts.createApp(t)
	d, _ := actPrepareHTTP(t, ts, app, protocol.Version32, nil, "")
	ts.ok(t, "activation/commit", map[string]any{"activationId": d.id})
	id := d.id

	b := ts.ok(t, "activation/block", map[string]any{"activationId": id, "externalUserId": "admin"})
	if b["activationId"] != id || b["activationStatus"] != "BLOCKED" || b["blockedReason"] != "NOT_SPECIFIED" {
		t.Fatalf("block %v", b)
	}
	actStatusHTTP(t, ts, d, true, domain.ActivationBlocked)
	ts.fail(t, "activation/name/update", map[string]any{"activationId": id, "activationName": "x"}, http.StatusBadRequest, "ERR0008")
	u := ts.ok(t, "activation/unblock", map[string]any{"activationId": id})
	if u["activationId"] != id || u["activationStatus"] != "ACTIVE" {
		t.Fatalf("unblock %v", u)
	}
	if b = ts.ok(t, "activation/block", map[string]any{"activationId": id, "reason": "STOLEN"}); b["blockedReason"] != "STOLEN" {
		t.Fatalf("block with reason %v", b)
	}
	ts.ok(t, "activation/unblock", map[string]any{"activationId": id})

	n := ts.ok(t, "activation/name/update", map[string]any{"activationId": id, "activationName": "Renamed", "externalUserId": "admin"})
	if n["activationId"] != id || n["activationName"] != "Renamed" || n["activationStatus"] != "ACTIVE" {
		t.Fatalf("rename %v", n)
	}
	if st := ts.ok(t, "activation/status", map[string]any{"activationId": id}); st["activationName"] != "Renamed" {
		t.Fatalf("name after rename %v", st["activationName"])
	}

	flags := func(method string, f []string) []any {
		ro := ts.ok(t, method, map[string]any{"activationId": id, "activationFlags": f})
		if ro["activationId"] != id {
			t.Fatalf("%s %v", method, ro)
		}
		return ro["activationFlags"].([]any)
	}
	if f := flags("activation/flags/create", []string{"b", "a"}); len(f) != 2 || f[0] != "a" || f[1] != "b" {
		t.Fatalf("flags/create %v", f)
	}
	if f := flags("activation/flags/remove", []string{"a"}); len(f) != 1 || f[0] != "b" {
		t.Fatalf("flags/remove %v", f)
	}
	if f := flags("activation/flags/update", []string{"z"}); len(f) != 1 || f[0] != "z" {
		t.Fatalf("flags/update %v", f)
	}
	if f := ts.ok(t, "activation/flags/list", map[string]any{"activationId": id})["activationFlags"].([]any); len(f) != 1 || f[0] != "z" {
		t.Fatalf("flags/list %v", f)
	}

	second, _ := actPrepareHTTP(t, ts, app, protocol.Version32, map[string]any{"userId": "zoe"}, "")
	list := ts.ok(t, "activation/list", map[string]any{"userId": "alice"})
	items := list["activations"].([]any)
	if list["userId"] != "alice" || len(items) != 1 {
		t.Fatalf("list %v", list)
	}
	item := items[0].(map[string]any)
	if item["activationId"] != id || item["activationStatus"] != "ACTIVE" || item["applicationId"] != app.Name || item["protocol"] != "powerauth" ||
		item["devicePublicKeyBase64"] != base64.StdEncoding.EncodeToString(d.priv.Public().Compressed()) || item["version"] != float64(3) ||
		item["activationName"] != "Renamed" || item["platform"] != "android" || item["maxFailedAttempts"] != float64(5) {
		t.Fatalf("list item %v", item)
	}
	if l := ts.ok(t, "activation/list", map[string]any{"userId": "alice", "activationStatuses": []string{"REMOVED"}}); len(l["activations"].([]any)) != 0 {
		t.Fatalf("filtered list %v", l)
	}
	if l := ts.ok(t, "activation/list", map[string]any{"userId": "alice", "pageNumber": 1, "pageSize": 1}); len(l["activations"].([]any)) != 0 {
		t.Fatalf("second page %v", l)
	}
	lookup := ts.ok(t, "activation/lookup", map[string]any{"userIds": []string{"alice", "zoe"}, "applicationIds": []string{app.Name}, "activationStatus": "PENDING_COMMIT"})
	if found := lookup["activations"].([]any); len(found) != 1 || found[0].(map[string]any)["activationId"] != second.id {
		t.Fatalf("lookup %v", lookup)
	}
	lookup = ts.ok(t, "activation/lookup", map[string]any{"userIds": []string{"alice", "zoe"}, "activationFlags": []string{"z"},
		"timestampLastUsedAfter": "2000-01-01T00:00:00.000+00:00", "timestampLastUsedBefore": ts.clock.Now().Add(time.Hour).UnixMilli()})
	if found := lookup["activations"].([]any); len(found) != 1 || found[0].(map[string]any)["activationId"] != id {
		t.Fatalf("lookup by flag %v", lookup)
	}

	// Bulk update: all or nothing.
	ts.fail(t, "activation/status/update", map[string]any{"activationIds": []string{id, second.id}, "activationStatus": "BLOCKED"}, http.StatusBadRequest, "ERR0008")
	ts.fail(t, "activation/status/update", map[string]any{"activationIds": []string{id, "00000000-0000-4000-8000-000000000000"}, "activationStatus": "BLOCKED"}, http.StatusBadRequest, "ERR0009")
	if st := ts.ok(t, "activation/status", map[string]any{"activationId": id}); st["activationStatus"] != "ACTIVE" {
		t.Fatal("failed bulk update changed an activation")
	}
	if r := ts.ok(t, "activation/status/update", map[string]any{"activationIds": []string{id, second.id}, "activationStatus": "REMOVED"}); r["updated"] != true {
		t.Fatalf("status/update %v", r)
	}
	actStatusHTTP(t, ts, second, true, domain.ActivationRemoved)

	r := ts.ok(t, "activation/remove", map[string]any{"activationId": id, "revokeRecoveryCodes": true})
	if r["activationId"] != id || r["removed"] != true {
		t.Fatalf("remove %v", r)
	}
	ts.fail(t, "activation/block", map[string]any{"activationId": id}, http.StatusBadRequest, "ERR0008")
	ts.fail(t, "activation/unblock", map[string]any{"activationId": id}, http.StatusBadRequest, "ERR0008")
	ts.fail(t, "activation/commit", map[string]any{"activationId": id}, http.StatusBadRequest, "ERR0007")

	// Unknown activations are REMOVED in the status, not an error.
	unknown := ts.ok(t, "activation/status", map[string]any{"activationId": "00000000-0000-4000-8000-000000000000", "challenge": base64.StdEncoding.EncodeToString(make([]byte, 16))})
	if unknown["activationStatus"] != "REMOVED" || unknown["userId"] != "unknown" || unknown["activationName"] != "unknown" || unknown["applicationId"] != nil ||
		unknown["encryptedStatusBlobNonce"] == nil || len(actB64(t, unknown["encryptedStatusBlob"])) != 32 || unknown["version"] != float64(0) {
		t.Fatalf("unknown status %v", unknown)
	}
}

func TestActivationHTTPExpiry(t *testing.T) {
	ts := newActTestServer(t)
	app := ts.createApp(t)
	init := actInitHTTP(t, ts, app, nil)
	ts.clock.Advance(ts.svc.Config().ActivationValidity + time.Second)
	body, _ := actEncryptHTTP(t, ts, app, protocol.Version32, newActHTTPDevice(t).payload(""))
	ts.fail(t, "activation/prepare", actMerge(body, map[string]any{"activationCode": init["activationCode"], "applicationKey": app.ApplicationKey}), http.StatusBadRequest, "ERR0007")
	if st := ts.ok(t, "activation/status", map[string]any{"activationId": init["activationId"]}); st["activationStatus"] != "REMOVED" {
		t.Fatalf("expired activation %v", st["activationStatus"])
	}
	// An explicit expiry is honoured.
	expire := ts.clock.Now().Add(30 * time.Minute)
	init = actInitHTTP(t, ts, app, map[string]any{"timestampActivationExpire": expire.UnixMilli()})
	ts.clock.Advance(20 * time.Minute)
	body, _ = actEncryptHTTP(t, ts, app, protocol.Version32, newActHTTPDevice(t).payload(""))
	ts.ok(t, "activation/prepare", actMerge(body, map[string]any{"activationCode": init["activationCode"], "applicationKey": app.ApplicationKey}))
}

// TestActivationHTTPBadInput: malformed, missing and unknown input always
// gets the reference's error code with a 4xx status, never a 500.
func TestActivationHTTPBadInput(t *testing.T) {
	ts := newActTestServer(t)
	app := ts.createApp(t)
	created := actInitHTTP(t, ts, app, nil)
	d, _ := actPrepareHTTP(t, ts, app, protocol.Version32, nil, "")
	unknownID := "00000000-0000-4000-8000-000000000000"
	good, _ := actEncryptHTTP(t, ts, app, protocol.Version32, newActHTTPDevice(t).payload(""))
	badMac := actMerge(good, map[string]any{"mac": base64.StdEncoding.EncodeToString(make([]byte, 32))})
	noDeviceKey, _ := actEncryptHTTP(t, ts, app, protocol.Version32, map[string]any{"activationName": "x"})
	notJSON, _ := actEncryptHTTP(t, ts, app, protocol.Version32, "just a string")
	badKey := newActHTTPDevice(t).payload("")
	badKey["devicePublicKey"] = "AAAA"
	badKeyBody, _ := actEncryptHTTP(t, ts, app, protocol.Version32, badKey)
	prep := func(body map[string]any, code any) map[string]any {
		return actMerge(body, map[string]any{"activationCode": code, "applicationKey": app.ApplicationKey})
	}
	// An activation whose code is sacrificed to the invalid-key case.
	victim := actInitHTTP(t, ts, app, nil)

	tests := []struct {
		name   string
		method string
		req    any
		status int
		code   string
	}{
		{"init without user", "activation/init", map[string]any{"applicationId": app.Name}, 400, "ERR0024"},
		{"init without application", "activation/init", map[string]any{"userId": "u"}, 400, "ERR0024"},
		{"init with empty application", "activation/init", map[string]any{"userId": "u", "applicationId": ""}, 400, "ERR0002"},
		{"init with unknown application", "activation/init", map[string]any{"userId": "u", "applicationId": "nope"}, 400, "ERR0015"},
		{"init with bad expiry", "activation/init", map[string]any{"userId": "u", "applicationId": app.Name, "timestampActivationExpire": "tomorrow"}, 400, "ERR0024"},
		{"init with past expiry", "activation/init", map[string]any{"userId": "u", "applicationId": app.Name, "timestampActivationExpire": "2020-01-01T00:00:00Z"}, 400, "ERR0024"},
		{"init with zero max failures", "activation/init", map[string]any{"userId": "u", "applicationId": app.Name, "maxFailureCount": 0}, 400, "ERR0024"},
		{"init with string max failures", "activation/init", map[string]any{"userId": "u", "applicationId": app.Name, "maxFailureCount": "5"}, 400, "ERR0024"},
		{"init with bad commit phase", "activation/init", map[string]any{"userId": "u", "applicationId": app.Name, "commitPhase": "LATER"}, 400, "ERR0024"},
		{"init with bad protocol", "activation/init", map[string]any{"userId": "u", "applicationId": app.Name, "protocol": "x"}, 400, "ERR0024"},
		{"init with blank flag", "activation/init", map[string]any{"userId": "u", "applicationId": app.Name, "flags": []string{""}}, 400, "ERR0024"},
		{"init with NUL in user", "activation/init", map[string]any{"userId": "a\u0000b", "applicationId": app.Name}, 400, "ERR0024"},
		{"init not JSON", "activation/init", rawBody("{"), 400, "ERROR_HTTP_REQUEST"},
		{"prepare without code", "activation/prepare", actMerge(good, map[string]any{"applicationKey": app.ApplicationKey}), 400, "ERR0024"},
		// As PowerAuth 1.5+: a missing or unknown version fails the decryption.
		{"prepare without version", "activation/prepare", actMerge(prep(good, created["activationCode"]), map[string]any{"protocolVersion": ""}), 400, "ERR0018"},
		{"prepare with unknown version", "activation/prepare", actMerge(prep(good, created["activationCode"]), map[string]any{"protocolVersion": "2.9"}), 400, "ERR0018"},
		{"prepare without mac", "activation/prepare", actMerge(prep(good, created["activationCode"]), map[string]any{"mac": ""}), 400, "ERR0024"},
		{"prepare with bad Base64", "activation/prepare", actMerge(prep(good, created["activationCode"]), map[string]any{"encryptedData": "!!"}), 400, "ERR0011"},
		{"prepare with bad MAC", "activation/prepare", prep(badMac, created["activationCode"]), 400, "ERR0018"},
		{"prepare with unknown app key", "activation/prepare", actMerge(prep(good, created["activationCode"]), map[string]any{"applicationKey": base64.StdEncoding.EncodeToString(make([]byte, 16))}), 400, "ERR0007"},
		{"prepare with unknown code", "activation/prepare", prep(good, protocol.GenerateActivationCode()), 400, "ERR0009"},
		{"prepare without device key", "activation/prepare", prep(noDeviceKey, created["activationCode"]), 400, "ERR0024"},
		{"prepare with payload not an object", "activation/prepare", prep(notJSON, created["activationCode"]), 400, "ERR0011"},
		{"prepare with null code", "activation/prepare", prep(good, nil), 400, "ERR0024"},
		{"prepare with invalid device key", "activation/prepare", prep(badKeyBody, victim["activationCode"]), 400, "ERR0009"},
		{"create without ECIES", "activation/create", map[string]any{"userId": "u", "applicationKey": app.ApplicationKey}, 400, "ERR0024"},
		{"recovery without PUK", "activation/recovery/create", actMerge(good, map[string]any{"recoveryCode": protocol.GenerateActivationCode(), "applicationKey": app.ApplicationKey}), 400, "ERR0024"},
		{"recovery when disabled", "activation/recovery/create", actMerge(good, map[string]any{"recoveryCode": protocol.GenerateActivationCode(), "puk": "0123456789", "applicationKey": app.ApplicationKey}), 400, "ERR0024"},
		{"commit without ID", "activation/commit", map[string]any{}, 400, "ERR0024"},
		{"commit unknown", "activation/commit", map[string]any{"activationId": unknownID}, 400, "ERR0009"},
		{"commit of CREATED", "activation/commit", map[string]any{"activationId": created["activationId"]}, 400, "ERR0008"},
		{"commit with unexpected OTP", "activation/commit", map[string]any{"activationId": d.id, "activationOtp": "1"}, 400, "ERR0031"},
		{"otp update without OTP", "activation/otp/update", map[string]any{"activationId": d.id}, 400, "ERR0024"},
		{"otp update unknown", "activation/otp/update", map[string]any{"activationId": unknownID, "activationOtp": "1"}, 400, "ERR0009"},
		{"otp update of CREATED", "activation/otp/update", map[string]any{"activationId": created["activationId"], "activationOtp": "1"}, 400, "ERR0008"},
		{"status without ID", "activation/status", map[string]any{}, 400, "ERR0024"},
		{"status with short challenge", "activation/status", map[string]any{"activationId": d.id, "challenge": "AAAA"}, 400, "ERR0024"},
		{"status with bad challenge", "activation/status", map[string]any{"activationId": d.id, "challenge": "%%"}, 400, "ERR0024"},
		{"remove without ID", "activation/remove", map[string]any{}, 400, "ERR0024"},
		{"remove unknown", "activation/remove", map[string]any{"activationId": unknownID}, 400, "ERR0009"},
		{"block unknown", "activation/block", map[string]any{"activationId": unknownID}, 400, "ERR0009"},
		{"block of PENDING_COMMIT", "activation/block", map[string]any{"activationId": d.id}, 400, "ERR0008"},
		{"block without ID", "activation/block", map[string]any{"reason": "x"}, 400, "ERR0024"},
		{"unblock unknown", "activation/unblock", map[string]any{"activationId": unknownID}, 400, "ERR0009"},
		{"unblock of CREATED", "activation/unblock", map[string]any{"activationId": created["activationId"]}, 400, "ERR0008"},
		{"list without user", "activation/list", map[string]any{}, 400, "ERR0024"},
		{"list with bad status", "activation/list", map[string]any{"userId": "u", "activationStatuses": []string{"GONE"}}, 400, "ERR0024"},
		{"list with bad protocol", "activation/list", map[string]any{"userId": "u", "protocols": []string{"x"}}, 400, "ERR0024"},
		{"list with bad page", "activation/list", map[string]any{"userId": "u", "pageSize": 0}, 400, "ERR0024"},
		{"list with negative page", "activation/list", map[string]any{"userId": "u", "pageNumber": -1}, 400, "ERR0024"},
		{"lookup without users", "activation/lookup", map[string]any{"userIds": []string{}}, 400, "ERR0024"},
		{"lookup with bad status", "activation/lookup", map[string]any{"userIds": []string{"u"}, "activationStatus": "x"}, 400, "ERR0024"},
		{"lookup with bad time", "activation/lookup", map[string]any{"userIds": []string{"u"}, "timestampLastUsedBefore": true}, 400, "ERR0024"},
		{"status update without IDs", "activation/status/update", map[string]any{"activationStatus": "REMOVED"}, 400, "ERR0024"},
		{"status update without status", "activation/status/update", map[string]any{"activationIds": []string{d.id}}, 400, "ERR0024"},
		{"status update to PENDING_COMMIT", "activation/status/update", map[string]any{"activationIds": []any{created["activationId"]}, "activationStatus": "PENDING_COMMIT"}, 400, "ERR0008"},
		{"name update without name", "activation/name/update", map[string]any{"activationId": d.id}, 400, "ERR0024"},
		{"name update unknown", "activation/name/update", map[string]any{"activationId": unknownID, "activationName": "x"}, 400, "ERR0009"},
		{"name update of CREATED", "activation/name/update", map[string]any{"activationId": created["activationId"], "activationName": "x"}, 400, "ERR0008"},
		{"history without ID", "activation/history", map[string]any{}, 400, "ERR0024"},
		{"history with bad time", "activation/history", map[string]any{"activationId": d.id, "timestampFrom": "yesterday"}, 400, "ERR0024"},
		{"flags list unknown", "activation/flags/list", map[string]any{"activationId": unknownID}, 400, "ERR0009"},
		{"flags list without ID", "activation/flags/list", map[string]any{}, 400, "ERR0024"},
		{"flags create without flags", "activation/flags/create", map[string]any{"activationId": d.id}, 400, "ERR0024"},
		{"flags create with blank", "activation/flags/create", map[string]any{"activationId": d.id, "activationFlags": []string{" "}}, 400, "ERR0024"},
		{"flags update unknown", "activation/flags/update", map[string]any{"activationId": unknownID, "activationFlags": []string{"a"}}, 400, "ERR0009"},
		{"flags remove unknown", "activation/flags/remove", map[string]any{"activationId": unknownID, "activationFlags": []string{"a"}}, 400, "ERR0009"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts.fail(t, tc.method, tc.req, tc.status, tc.code)
		})
	}
	// The invalid device key ended that activation; the other failures changed nothing.
	if st := ts.ok(t, "activation/status", map[string]any{"activationId": victim["activationId"]}); st["activationStatus"] != "REMOVED" {
		t.Fatalf("invalid key left %v", st["activationStatus"])
	}
	if st := ts.ok(t, "activation/status", map[string]any{"activationId": created["activationId"]}); st["activationStatus"] != "CREATED" || st["failedAttempts"] != float64(0) {
		t.Fatalf("created activation changed: %v", st)
	}
	// A replayed ECIES request is refused.
	ts.ok(t, "activation/prepare", prep(good, created["activationCode"]))
	other := actInitHTTP(t, ts, app, nil)
	ts.fail(t, "activation/prepare", prep(good, other["activationCode"]), http.StatusBadRequest, "ERR0018")
}

func TestParseActivationTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{``, time.Time{}, true},
		{`null`, time.Time{}, true},
		{`"2022-08-25T22:34:58.702+00:00"`, time.Date(2022, 8, 25, 22, 34, 58, 702e6, time.UTC), true},
		{`"2022-08-25T22:34:58Z"`, time.Date(2022, 8, 25, 22, 34, 58, 0, time.UTC), true},
		{`"2022-08-25T22:34:58.702+0200"`, time.Date(2022, 8, 25, 20, 34, 58, 702e6, time.UTC), true},
		{`"2022-08-25T22:34:58"`, time.Date(2022, 8, 25, 22, 34, 58, 0, time.UTC), true},
		{`"2022-08-25"`, time.Date(2022, 8, 25, 0, 0, 0, 0, time.UTC), true},
		{`1661467098702`, time.UnixMilli(1661467098702).UTC(), true},
		{`0`, time.UnixMilli(0).UTC(), true},
		{`-1`, time.Time{}, false},
		{`1.5`, time.Time{}, false},
		{`99999999999999999999`, time.Time{}, false},
		{`"1969-12-31T23:59:59Z"`, time.Time{}, false},
		{`"10000-01-01T00:00:00Z"`, time.Time{}, false},
		{`"yesterday"`, time.Time{}, false},
		{`true`, time.Time{}, false},
		{`{}`, time.Time{}, false},
		{`"unterminated`, time.Time{}, false},
	}
	for _, tc := range tests {
		got, ok := parseActivationTime(json.RawMessage(tc.in))
		if ok != tc.ok || !got.Equal(tc.want) {
			t.Errorf("parseActivationTime(%s) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// FuzzParseActivationTime: the DateTime parser never panics and accepts
// only times within the supported range.
func FuzzParseActivationTime(f *testing.F) {
	for _, s := range []string{`"2022-08-25T22:34:58.702+00:00"`, `1661467098702`, `null`, `"2022-08-25"`, `-0`, `"\u0000"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, ok := parseActivationTime(json.RawMessage(data))
		if !ok {
			return
		}
		if !got.IsZero() && (got.Before(time.UnixMilli(0)) || got.After(time.UnixMilli(maxActivationMillis))) {
			t.Fatalf("accepted out-of-range time %v", got)
		}
		if _, err := json.Marshal(got); err != nil {
			t.Fatalf("accepted time cannot be rendered: %v", err)
		}
	})
}
