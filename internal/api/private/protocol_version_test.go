package private

import (
	"net/http"
	"testing"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/protocol"
)

// TestMissingProtocolVersion: activation/prepare (and every other method
// that decrypts an ECIES request) without protocolVersion answers 400
// ERR0018, as PowerAuth 1.5 and later do, and changes nothing; with
// service.legacy_protocol_version_inference the version is inferred as
// PowerAuth servers up to 1.4 did: 3.1 when the request has a nonce, 3.0
// otherwise.
func TestMissingProtocolVersion(t *testing.T) {
	withoutVersion := func(body map[string]any) map[string]any {
		out := actMerge(body, nil)
		delete(out, "protocolVersion")
		return out
	}
	t.Run("default: ERR0018", func(t *testing.T) {
		ts := newActTestServer(t)
		app := ts.createApp(t)
		for _, version := range []string{protocol.Version30, protocol.Version31, protocol.Version32} {
			init := actInitHTTP(t, ts, app, nil)
			d := newActHTTPDevice(t)
			body, _ := actEncryptHTTP(t, ts, app, version, d.payload(""))
			ts.fail(t, "activation/prepare", actMerge(withoutVersion(body), map[string]any{"activationCode": init["activationCode"], "applicationKey": app.ApplicationKey}),
				http.StatusBadRequest, service.CodeDecryptionFailed)
			if st := ts.ok(t, "activation/status", map[string]any{"activationId": init["activationId"]}); st["activationStatus"] != "CREATED" {
				t.Fatalf("%s: the refused prepare changed the activation: %v", version, st)
			}
			// The same cryptogram with its version is accepted.
			ts.ok(t, "activation/prepare", actMerge(body, map[string]any{"activationCode": init["activationCode"], "applicationKey": app.ApplicationKey}))

			cbody, _ := actEncryptHTTP(t, ts, app, version, newActHTTPDevice(t).payload(""))
			ts.fail(t, "activation/create", actMerge(withoutVersion(cbody), map[string]any{"userId": "bob", "applicationKey": app.ApplicationKey}),
				http.StatusBadRequest, service.CodeDecryptionFailed)
		}
		// The other methods that decrypt a request answer the same.
		ts.fail(t, "ecies/decryptor", map[string]any{"applicationKey": app.ApplicationKey, "ephemeralPublicKey": "AAAA", "nonce": "AAAAAAAAAAAAAAAAAAAAAA=="},
			http.StatusBadRequest, service.CodeDecryptionFailed)
	})

	t.Run("legacy inference", func(t *testing.T) {
		ts := newTestServerWith(t, service.Config{RecoveryPUKHashMemoryKiB: 64, LegacyProtocolVersionInference: true}, Options{})
		app := ts.createApp(t)
		for _, version := range []string{protocol.Version30, protocol.Version31} {
			init := actInitHTTP(t, ts, app, nil)
			d := newActHTTPDevice(t)
			body, env := actEncryptHTTP(t, ts, app, version, d.payload(""))
			if _, hasNonce := body["nonce"]; hasNonce != (version == protocol.Version31) {
				t.Fatalf("%s request nonce: %v", version, body)
			}
			ro := ts.ok(t, "activation/prepare", actMerge(withoutVersion(body), map[string]any{"activationCode": init["activationCode"], "applicationKey": app.ApplicationKey}))
			// The answer is in the inferred version's format and decrypts.
			d.finish(t, env, ro, version)
			if d.id != init["activationId"] || ro["activationStatus"] != "PENDING_COMMIT" {
				t.Fatalf("%s: prepare %v", version, ro)
			}
			ts.ok(t, "activation/commit", map[string]any{"activationId": d.id})
			actStatusHTTP(t, ts, d, version != protocol.Version30, domain.ActivationActive)
		}
		// A 3.2 request (nonce and timestamp) is not an old-style request:
		// read as 3.1 it does not decrypt.
		init := actInitHTTP(t, ts, app, nil)
		body, _ := actEncryptHTTP(t, ts, app, protocol.Version32, newActHTTPDevice(t).payload(""))
		status, out := ts.post(t, "activation/prepare", actMerge(withoutVersion(body), map[string]any{"activationCode": init["activationCode"], "applicationKey": app.ApplicationKey}))
		if status != http.StatusBadRequest || out["status"] != "ERROR" {
			t.Fatalf("3.2 request without a version: HTTP %d %v", status, out)
		}
		// An unknown version is never inferred.
		ts.fail(t, "activation/prepare", actMerge(body, map[string]any{"protocolVersion": "2.9", "activationCode": init["activationCode"], "applicationKey": app.ApplicationKey}),
			http.StatusBadRequest, service.CodeDecryptionFailed)
	})
}
