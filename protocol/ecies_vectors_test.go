package protocol

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// eciesVectorFiles are the published end-to-end encryption vectors (25 per
// file), found in the e2ee-v3 folder of the vector root (see vectorRoot).
var eciesVectorFiles = []struct {
	name    string
	version string
	scope   EciesScope
}{
	{"E2ee_Application_Scope_Test_Vectors_30.json", Version30, EciesScopeApplication},
	{"E2ee_Application_Scope_Test_Vectors_31.json", Version31, EciesScopeApplication},
	{"E2ee_Application_Scope_Test_Vectors_32.json", Version32, EciesScopeApplication},
	{"E2ee_Application_Scope_Test_Vectors_33.json", Version33, EciesScopeApplication},
	{"E2ee_Activation_Scope_Test_Vectors_30.json", Version30, EciesScopeActivation},
	{"E2ee_Activation_Scope_Test_Vectors_31.json", Version31, EciesScopeActivation},
	{"E2ee_Activation_Scope_Test_Vectors_32.json", Version32, EciesScopeActivation},
	{"E2ee_Activation_Scope_Test_Vectors_33.json", Version33, EciesScopeActivation},
}

// eciesTLoadVectors reads one e2ee-v3 file: a top-level object with a
// single member holding the array of vectors. A missing file fails the test.
func eciesTLoadVectors(t *testing.T, name string) []map[string]string {
	t.Helper()
	path := filepath.Join(vectorRoot(t), "e2ee-v3", name)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("vector file %s: %v", path, err)
	}
	var top map[string][]map[string]string
	if err := json.Unmarshal(raw, &top); err != nil {
		t.Fatalf("vector file %s: %v", path, err)
	}
	if len(top) != 1 {
		t.Fatalf("vector file %s: want one top-level member, got %d", path, len(top))
	}
	for _, vs := range top {
		if len(vs) == 0 {
			t.Fatalf("vector file %s has no vectors", path)
		}
		return vs
	}
	return nil
}

func eciesTB64(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("bad Base64 %q: %v", s, err)
	}
	return b
}

// eciesTOptB64 decodes an optional vector field (nil when absent).
func eciesTOptB64(t testing.TB, v map[string]string, name string) []byte {
	t.Helper()
	s, ok := v[name]
	if !ok {
		return nil
	}
	return eciesTB64(t, s)
}

// eciesTOptInt parses an optional numeric vector field (0 when absent).
func eciesTOptInt(t testing.TB, v map[string]string, name string) int64 {
	t.Helper()
	s, ok := v[name]
	if !ok {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return n
}

func TestEciesVectors(t *testing.T) {
	var summary []string
	total := 0
	for _, f := range eciesVectorFiles {
		vs := eciesTLoadVectors(t, f.name)
		passed := 0
		for i, v := range vs {
			if t.Run(fmt.Sprintf("%s/%02d", strings.TrimSuffix(f.name, ".json"), i), func(t *testing.T) {
				eciesTCheckVector(t, f.version, f.scope, v)
			}) {
				passed++
			}
		}
		total += passed
		if passed != len(vs) {
			t.Errorf("%s: %d of %d vectors failed", f.name, len(vs)-passed, len(vs))
		}
		summary = append(summary, fmt.Sprintf("%s %d/%d", f.name, passed, len(vs)))
	}
	t.Logf("ECIES vector summary (%d passed):\n%s", total, strings.Join(summary, "\n"))
}

// eciesTCheckVector checks one vector in both directions: SH2 base, request
// encryption (ciphertext and MAC byte for byte) and decryption, response
// encryption and decryption, and the secrets-only (edge) envelope.
func eciesTCheckVector(t *testing.T, version string, scope EciesScope, v map[string]string) {
	if v["protocolVersion"] != version {
		t.Fatalf("protocolVersion %q, file says %s", v["protocolVersion"], version)
	}
	ctx := EciesContext{
		Version:           version,
		ApplicationKey:    v["applicationKey"],
		ApplicationSecret: v["applicationSecret"],
		ActivationID:      v["activationId"],
		TemporaryKeyID:    v["temporaryKeyId"],
		TransportKey:      eciesTOptB64(t, v, "transportKey"),
	}
	switch v["encryptorId"] {
	case "APPLICATION_SCOPE_GENERIC":
		ctx.SharedInfo1 = SharedInfo1GenericApplication
	case "ACTIVATION_SCOPE_GENERIC":
		ctx.SharedInfo1 = SharedInfo1GenericActivation
	default:
		t.Fatalf("unknown encryptorId %q", v["encryptorId"])
	}
	if ctx.Scope() != scope || v["encryptorScope"] != strings.ToUpper(scope.String())+"_SCOPE" {
		t.Fatalf("scope %s does not match encryptorScope %q", ctx.Scope(), v["encryptorScope"])
	}
	if err := ctx.Validate(); err != nil {
		t.Fatalf("context: %v", err)
	}
	sh2Base, err := ctx.SharedInfo2Base()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sh2Base, eciesTB64(t, v["sharedInfo2Base"])) {
		t.Fatalf("sharedInfo2Base mismatch")
	}

	key := eciesTB64(t, v["envelopeKey"])
	eph := eciesTB64(t, v["requestEphemeralPublicKey"])
	nonce := eciesTOptB64(t, v, "requestNonce")
	ts := eciesTOptInt(t, v, "timestampRequest")
	reqPlain, respPlain := []byte(v["requestData"]), []byte(v["responseData"])

	// Client direction: encrypt the request with the vector's nonce and timestamp.
	client, err := NewEciesEnvelope(key, ctx, eph, nonce, ts)
	if err != nil {
		t.Fatalf("client envelope: %v", err)
	}
	req, err := client.SealRequest(reqPlain)
	if err != nil {
		t.Fatalf("seal request: %v", err)
	}
	if !bytes.Equal(req.EncryptedData, eciesTB64(t, v["encryptedDataRequest"])) {
		t.Errorf("request ciphertext mismatch")
	}
	if !bytes.Equal(req.MAC, eciesTB64(t, v["requestMac"])) {
		t.Errorf("request MAC mismatch")
	}
	if !bytes.Equal(req.EphemeralPublicKey, eph) || !bytes.Equal(req.Nonce, nonce) || req.Timestamp != ts || req.TemporaryKeyID != ctx.TemporaryKeyID {
		t.Errorf("request carries wrong ephemeral key, nonce, timestamp or temporary key ID")
	}

	// Server direction: parse the vector's request as a wire body and decrypt it.
	body, err := json.Marshal(map[string]any{
		"ephemeralPublicKey": v["requestEphemeralPublicKey"],
		"encryptedData":      v["encryptedDataRequest"],
		"mac":                v["requestMac"],
	})
	if err != nil {
		t.Fatal(err)
	}
	body = eciesTAddMembers(t, body, v, version)
	parsed, err := ParseEncryptedRequest(body, version)
	if err != nil {
		t.Fatalf("parse vector request %s: %v", body, err)
	}
	server, err := NewEciesEnvelope(key, ctx, parsed.EphemeralPublicKey, parsed.Nonce, parsed.Timestamp)
	if err != nil {
		t.Fatalf("server envelope: %v", err)
	}
	got, err := server.OpenRequest(parsed)
	if err != nil {
		t.Fatalf("open vector request: %v", err)
	}
	if !bytes.Equal(got, reqPlain) {
		t.Errorf("request plaintext %q, want %q", got, reqPlain)
	}

	// Server direction: encrypt the response with the vector's nonce and timestamp.
	respNonce := eciesTOptB64(t, v, "responseNonce")
	respTS := eciesTOptInt(t, v, "timestampResponse")
	resp, err := server.EncryptResponseWithNonce(respPlain, respNonce, respTS)
	if err != nil {
		t.Fatalf("encrypt response: %v", err)
	}
	if !bytes.Equal(resp.EncryptedData, eciesTB64(t, v["encryptedDataResponse"])) {
		t.Errorf("response ciphertext mismatch")
	}
	if !bytes.Equal(resp.MAC, eciesTB64(t, v["responseMac"])) {
		t.Errorf("response MAC mismatch")
	}
	if _, err := server.EncryptResponseWithNonce(respPlain, respNonce, respTS); !errors.Is(err, ErrEciesEnvelopeUsed) {
		t.Errorf("second response with the same envelope: %v, want ErrEciesEnvelopeUsed", err)
	}

	// Client direction: parse the vector's response as a wire body and decrypt it.
	respMembers := map[string]any{"encryptedData": v["encryptedDataResponse"], "mac": v["responseMac"]}
	if respNonce != nil {
		respMembers["nonce"] = v["responseNonce"]
		respMembers["timestamp"] = respTS
	}
	respBody, err := json.Marshal(respMembers)
	if err != nil {
		t.Fatal(err)
	}
	parsedResp, err := ParseEncryptedResponse(respBody, version)
	if err != nil {
		t.Fatalf("parse vector response: %v", err)
	}
	got, err = client.DecryptResponse(parsedResp)
	if err != nil {
		t.Fatalf("decrypt vector response: %v", err)
	}
	if !bytes.Equal(got, respPlain) {
		t.Errorf("response plaintext %q, want %q", got, respPlain)
	}
	parsedResp.MAC[0] ^= 1
	if _, err := client.DecryptResponse(parsedResp); !errors.Is(err, ErrEciesMAC) {
		t.Errorf("response with a flipped MAC bit: %v, want ErrEciesMAC", err)
	}

	// Edge direction: only the decryptor's secrets, no app secret or transport key.
	secrets := server.Secrets()
	if !bytes.Equal(secrets.EnvelopeKey, key) || !bytes.Equal(secrets.SharedInfo2Base, sh2Base) {
		t.Errorf("Secrets() do not return the envelope key and SH2 base")
	}
	edgeCtx := ctx
	edgeCtx.ApplicationSecret, edgeCtx.TransportKey = "", nil
	edge, err := NewEciesEnvelopeFromSecrets(secrets, edgeCtx, eph, nonce, ts)
	if err != nil {
		t.Fatalf("edge envelope: %v", err)
	}
	if got, err := edge.OpenRequest(parsed); err != nil || !bytes.Equal(got, reqPlain) {
		t.Errorf("edge envelope cannot open the request: %v", err)
	}
	if !bytes.Equal(edge.RequestSharedInfo2(), client.RequestSharedInfo2()) {
		t.Errorf("edge and client disagree on the request SHARED_INFO_2")
	}
}

// eciesTAddMembers adds the version-dependent members of a vector request.
func eciesTAddMembers(t *testing.T, body []byte, v map[string]string, version string) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	if n, ok := v["requestNonce"]; ok {
		m["nonce"] = n
	}
	if _, ok := v["timestampRequest"]; ok {
		m["timestamp"] = eciesTOptInt(t, v, "timestampRequest")
	}
	if id, ok := v["temporaryKeyId"]; ok {
		m["temporaryKeyId"] = id
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
