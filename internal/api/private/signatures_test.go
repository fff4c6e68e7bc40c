package private

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mauth/mauth/protocol"
)

// sigSign computes an online signature with the device's next counter and
// advances it, as the SDK does.
func sigSign(t *testing.T, d *encDevice, typ protocol.SignatureType, version, requestData string) string {
	t.Helper()
	sig, err := protocol.ComputeSignature(d.Keys, typ, d.ctr, protocol.SignatureData(requestData, d.App.ApplicationSecret),
		protocol.SignatureFormatForVersion(version), protocol.OnlineDecimalLength)
	if err != nil {
		t.Fatal(err)
	}
	d.ctr = protocol.NextCtrData(d.ctr)
	return sig
}

// sigSignOffline computes an offline DECIMAL signature and advances the counter.
func sigSignOffline(t *testing.T, d *encDevice, typ protocol.SignatureType, data string, length int) string {
	t.Helper()
	sig, err := protocol.ComputeSignature(d.Keys, typ, d.ctr, protocol.SignatureData(data, protocol.OfflineApplicationSecret), protocol.FormatDecimal, length)
	if err != nil {
		t.Fatal(err)
	}
	d.ctr = protocol.NextCtrData(d.ctr)
	return sig
}

// sigVerifyBody is a signature/verify request object.
func sigVerifyBody(d *encDevice, typ protocol.SignatureType, version, data, sig string) map[string]any {
	return map[string]any{
		"activationId": d.ActivationID, "applicationKey": d.App.ApplicationKey, "data": data,
		"signature": sig, "signatureType": strings.ToUpper(string(typ)), "signatureVersion": version,
	}
}

// sigStatus reads an activation's status through activation/status.
func sigStatus(t *testing.T, ts *testServer, id string) map[string]any {
	t.Helper()
	return ts.ok(t, "activation/status", map[string]any{"activationId": id})
}

func sigWithout(m map[string]any, key string, value any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	if value == nil {
		delete(out, key)
	} else {
		out[key] = value
	}
	return out
}

func TestSignatureVerifyMethod(t *testing.T) {
	ts := newTestServer(t)
	app := ts.createApp(t)
	d := activateEncDevice(t, ts, app)
	data := protocol.RequestData("POST", "/pa/signature/validate", protocol.RandomBytes(16), []byte(`{"a":1}`))
	typ := protocol.SignaturePossessionKnowledge

	for _, version := range protocol.Versions {
		ro := ts.ok(t, "signature/verify", sigVerifyBody(d, typ, version, data, sigSign(t, d, typ, version, data)))
		if ro["signatureValid"] != true || ro["activationStatus"] != "ACTIVE" || ro["blockedReason"] != nil ||
			ro["activationId"] != d.ActivationID || ro["userId"] != d.UserID || ro["applicationId"] != app.Name ||
			ro["signatureType"] != "POSSESSION_KNOWLEDGE" || ro["remainingAttempts"] != float64(5) {
			t.Fatalf("%s valid: %v", version, ro)
		}
		if _, ok := ro["applicationRoles"].([]any); !ok {
			t.Fatalf("applicationRoles: %v", ro["applicationRoles"])
		}
		if _, ok := ro["activationFlags"].([]any); !ok {
			t.Fatalf("activationFlags: %v", ro["activationFlags"])
		}
	}
	if st := sigStatus(t, ts, d.ActivationID); st["timestampLastUsed"] == nil || st["failedAttempts"] != float64(0) {
		t.Fatalf("status after signatures: %v", st)
	}
	a, err := ts.store.GetActivation(context.Background(), d.ActivationID)
	if err != nil || a.Counter != 4 {
		t.Fatalf("counter %d %v", a.Counter, err)
	}
	// forcedSignatureVersion is accepted (and irrelevant for a v3 activation).
	body := sigVerifyBody(d, typ, "3.2", data, sigSign(t, d, typ, "3.2", data))
	body["forcedSignatureVersion"] = 3
	if ro := ts.ok(t, "signature/verify", body); ro["signatureValid"] != true {
		t.Fatalf("forced version: %v", ro)
	}

	// Wrong PIN five times: BLOCKED.
	for i := 1; i <= 5; i++ {
		ro := ts.ok(t, "signature/verify", sigVerifyBody(d, typ, "3.3", data, base64.StdEncoding.EncodeToString(make([]byte, 32))))
		if ro["signatureValid"] != false || ro["remainingAttempts"] != float64(5-i) {
			t.Fatalf("wrong %d: %v", i, ro)
		}
		if i == 5 && (ro["activationStatus"] != "BLOCKED" || ro["blockedReason"] != "MAX_FAILED_ATTEMPTS") {
			t.Fatalf("not blocked: %v", ro)
		}
	}
	if st := sigStatus(t, ts, d.ActivationID); st["activationStatus"] != "BLOCKED" || st["failedAttempts"] != float64(5) {
		t.Fatalf("status: %v", st)
	}
	// Then even the right PIN fails, with the reference's short answer.
	ro := ts.ok(t, "signature/verify", sigVerifyBody(d, typ, "3.3", data, sigSign(t, d, typ, "3.3", data)))
	if ro["signatureValid"] != false || ro["activationStatus"] != "BLOCKED" || ro["remainingAttempts"] != nil || ro["userId"] != nil {
		t.Fatalf("blocked: %v", ro)
	}

	// Unknown activation: invalid, REMOVED, not an error.
	unknown := sigWithout(sigVerifyBody(d, typ, "3.3", data, "x"), "activationId", "00000000-0000-4000-8000-000000000000")
	ro = ts.ok(t, "signature/verify", unknown)
	if ro["signatureValid"] != false || ro["activationStatus"] != "REMOVED" || ro["activationId"] != "00000000-0000-4000-8000-000000000000" {
		t.Fatalf("unknown activation: %v", ro)
	}
}

func TestSignatureVerifyMethodBadInput(t *testing.T) {
	ts := newTestServer(t)
	app := ts.createApp(t)
	d := activateEncDevice(t, ts, app)
	data := protocol.RequestData("GET", "/x", protocol.RandomBytes(16), nil)
	good := sigVerifyBody(d, protocol.SignaturePossession, "3.1", data, "AAAAAAAAAAAAAAAAAAAAAA==")
	for name, body := range map[string]any{
		"no activationId":    sigWithout(good, "activationId", nil),
		"no applicationKey":  sigWithout(good, "applicationKey", nil),
		"no data":            sigWithout(good, "data", nil),
		"no signature":       sigWithout(good, "signature", nil),
		"no signatureType":   sigWithout(good, "signatureType", nil),
		"no version":         sigWithout(good, "signatureVersion", nil),
		"lower-case type":    sigWithout(good, "signatureType", "possession"),
		"unknown type":       sigWithout(good, "signatureType", "FINGERPRINT"),
		"version 2.1":        sigWithout(good, "signatureVersion", "2.1"),
		"version 4.0":        sigWithout(good, "signatureVersion", "4.0"),
		"type not a string":  sigWithout(good, "signatureType", 3),
		"forced not numeric": sigWithout(good, "forcedSignatureVersion", "three"),
		"empty object":       map[string]any{},
	} {
		t.Run(name, func(t *testing.T) { ts.fail(t, "signature/verify", body, http.StatusBadRequest, "ERR0024") })
	}
	ts.fail(t, "signature/verify", rawBody("{"), http.StatusBadRequest, "ERROR_HTTP_REQUEST")
	ts.fail(t, "signature/verify", rawBody(""), http.StatusBadRequest, "ERR0024")
	// Nothing was counted.
	if st := sigStatus(t, ts, d.ActivationID); st["failedAttempts"] != float64(0) {
		t.Fatalf("status: %v", st)
	}
	// An unsupported application version makes the signature invalid.
	ts.ok(t, "application/version/unsupport", map[string]any{"applicationId": app.Name, "applicationVersionId": "default"})
	typ := protocol.SignaturePossessionKnowledge
	ro := ts.ok(t, "signature/verify", sigVerifyBody(d, typ, "3.3", data, sigSign(t, d, typ, "3.3", data)))
	if ro["signatureValid"] != false || ro["activationStatus"] != "ACTIVE" {
		t.Fatalf("unsupported version: %v", ro)
	}
	if st := sigStatus(t, ts, d.ActivationID); st["failedAttempts"] != float64(1) {
		t.Fatalf("status after unsupported version: %v", st)
	}
}

func TestSignatureECDSAVerifyMethod(t *testing.T) {
	ts := newTestServer(t)
	d := activateEncDevice(t, ts, ts.createApp(t))
	data := []byte("payload signed with the device private key")
	der, err := d.DevPriv.SignDER(data)
	if err != nil {
		t.Fatal(err)
	}
	jose, err := d.DevPriv.SignJOSE(data)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.StdEncoding.EncodeToString
	req := func(sig []byte, format any) map[string]any {
		m := map[string]any{"activationId": d.ActivationID, "data": b64(data), "signature": b64(sig)}
		if format != nil {
			m["signatureFormat"] = format
		}
		return m
	}
	for _, tc := range []struct {
		name string
		body map[string]any
		want bool
	}{
		{"DER default", req(der, nil), true},
		{"DER", req(der, "DER"), true},
		{"DER as JOSE", req(der, "JOSE"), false},
		{"JOSE", req(jose, "JOSE"), true},
		{"JOSE as DER", req(jose, "DER"), false},
		{"other data", sigWithout(req(der, "DER"), "data", b64([]byte("other"))), false},
		{"unknown activation", sigWithout(req(der, "DER"), "activationId", "00000000-0000-4000-8000-000000000000"), false},
	} {
		if ro := ts.ok(t, "signature/ecdsa/verify", tc.body); ro["signatureValid"] != tc.want {
			t.Errorf("%s: %v", tc.name, ro)
		}
	}
	for name, body := range map[string]map[string]any{
		"no activationId":  sigWithout(req(der, nil), "activationId", nil),
		"no data":          sigWithout(req(der, nil), "data", nil),
		"no signature":     sigWithout(req(der, nil), "signature", nil),
		"bad data":         sigWithout(req(der, nil), "data", "%%%"),
		"bad signature":    sigWithout(req(der, nil), "signature", "not base64!"),
		"bad format":       req(der, "PEM"),
		"lower-case":       req(der, "der"),
		"format as number": req(der, 1),
	} {
		t.Run(name, func(t *testing.T) { ts.fail(t, "signature/ecdsa/verify", body, http.StatusBadRequest, "ERR0024") })
	}
}

// sigCheckPayload verifies a QR payload's ECDSA signature and returns its lines.
func sigCheckPayload(t *testing.T, ro map[string]any, pub *protocol.PublicKey, indicator string) []string {
	t.Helper()
	offline, _ := ro["offlineData"].(string)
	nonce, _ := ro["nonce"].(string)
	lines := strings.Split(offline, "\n")
	last := lines[len(lines)-1]
	if len(lines) < 3 || lines[len(lines)-2] != nonce || !strings.HasPrefix(last, indicator) {
		t.Fatalf("payload %v", ro)
	}
	signed := strings.Join(lines[:len(lines)-1], "\n") + "\n" + indicator
	if !pub.VerifyDER([]byte(signed), mustDecodeB64(t, last[1:])) {
		t.Fatalf("payload signature invalid: %v", ro)
	}
	return lines
}

func TestSignatureOfflineMethods(t *testing.T) {
	ts := newTestServer(t)
	app := ts.createApp(t)
	d := activateEncDevice(t, ts, app)
	opData := "op-42&A1*A100CZK*Q238400856/0300"

	// Personalized, nonce from the server.
	ro := ts.ok(t, "signature/offline/personalized/create", map[string]any{"activationId": d.ActivationID, "data": opData})
	lines := sigCheckPayload(t, ro, d.ServerPub, "1")
	if len(lines) != 3 || lines[0] != opData {
		t.Fatalf("lines %q", lines)
	}
	nonce := ro["nonce"].(string)
	signed := protocol.RequestData("POST", "/operation/authorize/offline", mustDecodeB64(t, nonce), []byte(opData))
	sig := sigSignOffline(t, d, protocol.SignaturePossessionKnowledge, signed, 8)
	verify := map[string]any{"activationId": d.ActivationID, "data": signed, "signature": sig, "allowBiometry": false}
	ro = ts.ok(t, "signature/offline/verify", verify)
	if ro["signatureValid"] != true || ro["signatureType"] != "POSSESSION_KNOWLEDGE" || ro["userId"] != d.UserID ||
		ro["applicationId"] != app.Name || ro["activationStatus"] != "ACTIVE" || ro["remainingAttempts"] != float64(5) {
		t.Fatalf("offline verify: %v", ro)
	}
	// The same code again is a replay: invalid, but no failed attempt.
	if ro = ts.ok(t, "signature/offline/verify", verify); ro["signatureValid"] != false || ro["remainingAttempts"] != float64(5) {
		t.Fatalf("replay: %v", ro)
	}
	// Biometry, shorter components; the documented flag name works too.
	sig = sigSignOffline(t, d, protocol.SignaturePossessionBiometry, signed, 6)
	ro = ts.ok(t, "signature/offline/verify", map[string]any{"activationId": d.ActivationID, "data": signed, "signature": sig, "biometryAllowed": true, "componentLength": 6})
	if ro["signatureValid"] != true || ro["signatureType"] != "POSSESSION_BIOMETRY" {
		t.Fatalf("biometry: %v", ro)
	}

	// Proximity check: the TOTP is shown in the QR and signed in the body.
	seed := base64.StdEncoding.EncodeToString(protocol.RandomBytes(16))
	nonce = base64.StdEncoding.EncodeToString(protocol.RandomBytes(16))
	ro = ts.ok(t, "signature/offline/personalized/create", map[string]any{
		"activationId": d.ActivationID, "data": opData, "nonce": nonce,
		"proximityCheck": map[string]any{"seed": seed, "stepLength": 3600},
	})
	lines = sigCheckPayload(t, ro, d.ServerPub, "1")
	if len(lines) != 4 || lines[0] != opData || len(lines[1]) != 8 || lines[2] != nonce || ro["nonce"] != nonce {
		t.Fatalf("proximity payload %q", lines)
	}
	totp := lines[1]
	for _, tc := range []struct {
		otp  string
		want bool
	}{{totp, true}, {"00000000", false}} {
		if tc.otp == totp && !tc.want {
			continue
		}
		withOTP := protocol.RequestData("POST", "/operation/authorize/offline", mustDecodeB64(t, nonce), []byte(opData+"&"+tc.otp))
		sig := sigSignOffline(t, d, protocol.SignaturePossessionKnowledge, withOTP, 8)
		ro = ts.ok(t, "signature/offline/verify", map[string]any{
			"activationId": d.ActivationID, "signature": sig,
			"data":           protocol.RequestData("POST", "/operation/authorize/offline", mustDecodeB64(t, nonce), []byte(opData)),
			"proximityCheck": map[string]any{"seed": seed, "stepLength": 3600, "stepCount": 1},
		})
		if ro["signatureValid"] != tc.want {
			t.Fatalf("TOTP %s: %v", tc.otp, ro)
		}
	}

	// Non-personalized: signed with the master key.
	ro = ts.ok(t, "signature/offline/non-personalized/create", map[string]any{"applicationId": app.Name, "data": opData})
	if lines = sigCheckPayload(t, ro, app.Master, "0"); len(lines) != 3 || lines[0] != opData {
		t.Fatalf("non-personalized %q", lines)
	}

	// Unknown activation in verify: invalid, REMOVED.
	ro = ts.ok(t, "signature/offline/verify", map[string]any{"activationId": "00000000-0000-4000-8000-000000000000", "data": signed, "signature": "12345678-12345678"})
	if ro["signatureValid"] != false || ro["activationStatus"] != "REMOVED" {
		t.Fatalf("unknown activation: %v", ro)
	}
}

func TestSignatureOfflineMethodsBadInput(t *testing.T) {
	ts := newTestServer(t)
	app := ts.createApp(t)
	d := activateEncDevice(t, ts, app)
	pers := map[string]any{"activationId": d.ActivationID, "data": "x"}
	for name, body := range map[string]map[string]any{
		"no activationId":   sigWithout(pers, "activationId", nil),
		"no data":           sigWithout(pers, "data", nil),
		"short nonce":       sigWithout(pers, "nonce", "AAAA"),
		"bad nonce":         sigWithout(pers, "nonce", "!!!!"),
		"no seed":           sigWithout(pers, "proximityCheck", map[string]any{"stepLength": 30}),
		"bad seed":          sigWithout(pers, "proximityCheck", map[string]any{"seed": "%%", "stepLength": 30}),
		"zero step":         sigWithout(pers, "proximityCheck", map[string]any{"seed": "AAAA", "stepLength": 0}),
		"no step":           sigWithout(pers, "proximityCheck", map[string]any{"seed": "AAAA"}),
		"huge step":         sigWithout(pers, "proximityCheck", map[string]any{"seed": "AAAA", "stepLength": 1 << 40}),
		"proximity not obj": sigWithout(pers, "proximityCheck", "yes"),
	} {
		t.Run("personalized "+name, func(t *testing.T) {
			ts.fail(t, "signature/offline/personalized/create", body, http.StatusBadRequest, "ERR0024")
		})
	}
	ts.fail(t, "signature/offline/personalized/create", sigWithout(pers, "activationId", "00000000-0000-4000-8000-000000000000"), http.StatusBadRequest, "ERR0009")

	non := map[string]any{"applicationId": app.Name, "data": "x"}
	ts.fail(t, "signature/offline/non-personalized/create", sigWithout(non, "applicationId", nil), http.StatusBadRequest, "ERR0024")
	ts.fail(t, "signature/offline/non-personalized/create", sigWithout(non, "data", nil), http.StatusBadRequest, "ERR0024")
	ts.fail(t, "signature/offline/non-personalized/create", sigWithout(non, "applicationId", "nope"), http.StatusBadRequest, "ERR0015")

	ver := map[string]any{"activationId": d.ActivationID, "data": "POST&x&y&eg==", "signature": "12345678-12345678"}
	for name, body := range map[string]map[string]any{
		"no activationId":  sigWithout(ver, "activationId", nil),
		"no data":          sigWithout(ver, "data", nil),
		"no signature":     sigWithout(ver, "signature", nil),
		"length 3":         sigWithout(ver, "componentLength", 3),
		"length 9":         sigWithout(ver, "componentLength", 9),
		"length text":      sigWithout(ver, "componentLength", "8"),
		"biometry text":    sigWithout(ver, "allowBiometry", "yes"),
		"step count -1":    sigWithout(ver, "proximityCheck", map[string]any{"seed": "AAAA", "stepLength": 30, "stepCount": -1}),
		"step count 1000":  sigWithout(ver, "proximityCheck", map[string]any{"seed": "AAAA", "stepLength": 30, "stepCount": 1000}),
		"proximity noseed": sigWithout(ver, "proximityCheck", map[string]any{"stepLength": 30}),
	} {
		t.Run("verify "+name, func(t *testing.T) {
			ts.fail(t, "signature/offline/verify", body, http.StatusBadRequest, "ERR0024")
		})
	}
	// A body that is not Base64 cannot carry a TOTP.
	badBody := sigWithout(ver, "data", "POST&x&y&%%%")
	badBody["proximityCheck"] = map[string]any{"seed": "AAAA", "stepLength": 30}
	ts.fail(t, "signature/offline/verify", badBody, http.StatusBadRequest, "ERR0011")
	// Nothing above touched the activation.
	if st := sigStatus(t, ts, d.ActivationID); st["failedAttempts"] != float64(0) {
		t.Fatalf("status: %v", st)
	}
}

func TestSignatureListMethod(t *testing.T) {
	ts := newTestServer(t)
	app := ts.createApp(t)
	d := activateEncDevice(t, ts, app)
	typ := protocol.SignaturePossessionKnowledge
	data := protocol.RequestData("POST", "/pa/x", protocol.RandomBytes(16), []byte("{}"))
	before := time.Now().Add(-time.Second).UTC()
	ts.ok(t, "signature/verify", sigVerifyBody(d, typ, "3.0", data, sigSign(t, d, typ, "3.0", data)))
	ts.clock.Advance(time.Second)
	ts.ok(t, "signature/verify", sigVerifyBody(d, typ, "3.3", data, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="))

	ro := ts.ok(t, "signature/list", map[string]any{"userId": d.UserID, "applicationId": app.Name})
	items, _ := ro["items"].([]any)
	if len(items) != 2 {
		t.Fatalf("items: %v", ro)
	}
	newest, oldest := items[0].(map[string]any), items[1].(map[string]any)
	if newest["valid"] != false || newest["note"] != "signature_does_not_match" || newest["signatureVersion"] != "3.3" ||
		newest["activationCounter"] != float64(1) || newest["activationStatus"] != "ACTIVE" {
		t.Fatalf("newest: %v", newest)
	}
	if oldest["valid"] != true || oldest["note"] != "signature_ok" || oldest["userId"] != d.UserID || oldest["applicationId"] != app.Name ||
		oldest["activationId"] != d.ActivationID || oldest["signatureType"] != "POSSESSION_KNOWLEDGE" || oldest["signatureVersion"] != "3.0" ||
		oldest["activationCounter"] != float64(0) || oldest["version"] != float64(3) || oldest["id"] == nil ||
		string(mustDecodeB64(t, oldest["dataBase64"].(string))) != data ||
		len(mustDecodeB64(t, oldest["activationCtrData"].(string))) != 16 {
		t.Fatalf("oldest: %v", oldest)
	}
	if _, err := time.Parse(time.RFC3339, oldest["timestampCreated"].(string)); err != nil {
		t.Fatalf("timestampCreated: %v", err)
	}
	// additionalInfo is a list of {key, value} pairs sorted by key.
	info, ok := oldest["additionalInfo"].([]any)
	if !ok {
		t.Fatalf("additionalInfo: %v", oldest["additionalInfo"])
	}
	prev := ""
	for _, e := range info {
		kv, ok := e.(map[string]any)
		k, kok := kv["key"].(string)
		_, vok := kv["value"].(string)
		if !ok || !kok || !vok || len(kv) != 2 || k <= prev {
			t.Fatalf("additionalInfo entry %v of %v", e, info)
		}
		prev = k
	}

	// Time range (ISO-8601 or epoch milliseconds) and application filters.
	future := time.Now().Add(time.Hour)
	for _, tc := range []struct {
		req  map[string]any
		want int
	}{
		{map[string]any{"userId": d.UserID, "timestampFrom": before.Format(time.RFC3339), "timestampTo": future.Format(time.RFC3339Nano)}, 2},
		{map[string]any{"userId": d.UserID, "timestampFrom": before.UnixMilli(), "timestampTo": future.UnixMilli()}, 2},
		{map[string]any{"userId": d.UserID, "timestampFrom": future.Format(time.RFC3339)}, 0},
		{map[string]any{"userId": d.UserID, "applicationId": "nope"}, 0},
		{map[string]any{"userId": "nobody"}, 0},
	} {
		ro := ts.ok(t, "signature/list", tc.req)
		if items, ok := ro["items"].([]any); !ok || len(items) != tc.want {
			t.Errorf("%v: %v", tc.req, ro)
		}
	}
	for name, body := range map[string]map[string]any{
		"no userId":     {"applicationId": app.Name},
		"bad from":      {"userId": d.UserID, "timestampFrom": "yesterday"},
		"bad to":        {"userId": d.UserID, "timestampTo": true},
		"inverted":      {"userId": d.UserID, "timestampFrom": future.UnixMilli(), "timestampTo": before.UnixMilli()},
		"userId number": {"userId": 5},
	} {
		t.Run(name, func(t *testing.T) { ts.fail(t, "signature/list", body, http.StatusBadRequest, "ERR0024") })
	}
}
