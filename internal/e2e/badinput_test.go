package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/mauth/mauth/client"
	"github.com/mauth/mauth/protocol"
)

// layer1Plaintext is a layer-1 activation request for an activation code
// whose layer 2 carries a fresh device key, encrypted at now.
func (e *env) layer1Plaintext(t *testing.T, app *testApp, version, code string, now time.Time) []byte {
	t.Helper()
	dev, err := protocol.GenerateKeyPair()
	if err != nil {
		t.Fatalf("key pair: %v", err)
	}
	l2, _ := json.Marshal(map[string]string{"devicePublicKey": b64(dev.Public().Compressed()), "activationName": "hand-built", "platform": "unknown"})
	l2req, _ := e.cryptogram(t, app, version, nil, protocol.SharedInfo1ActivationLayer2, l2, now)
	l1, err := json.Marshal(map[string]any{"type": "CODE", "identityAttributes": map[string]string{"code": code}, "activationData": l2req})
	if err != nil {
		t.Fatalf("encode layer 1: %v", err)
	}
	return l1
}

// signatureHeaderOf computes a signature header with a throw-away copy of
// the device, so that the device's own counter does not move: whatever
// the server does with the request, a later status shows whether the
// server's counter moved.
func signatureHeaderOf(t *testing.T, c *client.Client, d *client.Device, f client.Factors, method, uriID string, body []byte) string {
	t.Helper()
	cp := *d
	h, err := c.SignatureHeader(&cp, f, method, uriID, body)
	if err != nil {
		t.Fatalf("signature header: %v", err)
	}
	return h
}

// scenarioBadInput sends malformed, stale, replayed and oversized requests:
// each gets a 4xx with the reference error code and changes nothing.
func scenarioBadInput(t *testing.T, e *env, app *testApp, version string) {
	ctx := context.Background()
	c := e.device(t, app, version)
	d := activateWithCode(t, e, c, app, "user-bad-"+version)
	unchanged := func(t *testing.T) {
		t.Helper()
		e.wantCoreState(t, d.ActivationID, "ACTIVE", 0)
		wantSynced(t, c, d)
	}
	unchanged(t)
	hasTimestamp := version != protocol.Version31

	t.Run("activation-create-headers", func(t *testing.T) {
		qr, pendingID := e.initActivation(t, app, "user-bad-pending-"+version, nil)
		code := strings.SplitN(qr, "#", 2)[0]
		l1req, _ := e.cryptogram(t, app, version, nil, protocol.SharedInfo1GenericApplication, e.layer1Plaintext(t, app, version, code, e.clock.Now()), e.clock.Now())
		body := mustMarshal(t, l1req)
		otherKey := b64(protocol.RandomBytes(16))
		for name, hdr := range map[string]string{
			"missing":                    "",
			"malformed":                  "PowerAuth nonsense",
			"not powerauth":              "Bearer abc",
			"activation id in app scope": encryptionHeader(app, version, d.ActivationID),
			"wrong application key":      protocol.EncryptionHeader{ApplicationKey: otherKey, Version: version}.String(),
			"unsupported version 3.4":    strings.Replace(encryptionHeader(app, version, ""), `version="`+version+`"`, `version="3.4"`, 1),
			"unsupported version 2.1":    strings.Replace(encryptionHeader(app, version, ""), `version="`+version+`"`, `version="2.1"`, 1),
		} {
			t.Run(name, func(t *testing.T) {
				headers := map[string]string{}
				if hdr != "" {
					headers[protocol.HeaderEncryption] = hdr
				}
				e.publicRaw(t, http.MethodPost, "/pa/v3/activation/create", headers, body).wantError(t, http.StatusBadRequest, "ERR_ENCRYPTION")
			})
		}
		hdr := map[string]string{protocol.HeaderEncryption: encryptionHeader(app, version, "")}
		for name, b := range map[string][]byte{
			"not JSON":         []byte("not json"),
			"empty":            nil,
			"missing mac":      []byte(`{"ephemeralPublicKey":"` + b64(l1req.EphemeralPublicKey) + `","encryptedData":"` + b64(l1req.EncryptedData) + `"}`),
			"tampered payload": tampered(t, l1req),
		} {
			t.Run(name, func(t *testing.T) {
				e.publicRaw(t, http.MethodPost, "/pa/v3/activation/create", hdr, b).wantError(t, http.StatusBadRequest, "ERR_ENCRYPTION")
			})
		}
		if hasTimestamp {
			for name, at := range map[string]time.Time{
				"timestamp too old":       e.clock.Now().Add(-10 * time.Minute),
				"timestamp in the future": e.clock.Now().Add(5 * time.Minute),
			} {
				t.Run(name, func(t *testing.T) {
					req, _ := e.cryptogram(t, app, version, nil, protocol.SharedInfo1GenericApplication, e.layer1Plaintext(t, app, version, code, at), at)
					e.publicRaw(t, http.MethodPost, "/pa/v3/activation/create", hdr, mustMarshal(t, req)).wantError(t, http.StatusBadRequest, "ERR_ENCRYPTION")
				})
			}
		}
		if version == protocol.Version33 {
			t.Run("unknown temporary key", func(t *testing.T) {
				req := *l1req
				req.TemporaryKeyID = uuid.NewString()
				e.publicRaw(t, http.MethodPost, "/pa/v3/activation/create", hdr, mustMarshal(t, &req)).wantError(t, http.StatusBadRequest, "ERR_TEMPORARY_KEY")
			})
		}
		t.Run("layer 1 not an activation request", func(t *testing.T) {
			for _, pt := range []string{`{}`, `[]`, `{"type":"CODE"}`, `{"type":"PHONE","identityAttributes":{"code":"x"}}`, `{"type":"CODE","identityAttributes":{"code":"` + code + `"}}`, `{"type":"CODE","identityAttributes":{"code":7},"activationData":{}}`} {
				req, _ := e.cryptogram(t, app, version, nil, protocol.SharedInfo1GenericApplication, []byte(pt), e.clock.Now())
				e.publicRaw(t, http.MethodPost, "/pa/v3/activation/create", hdr, mustMarshal(t, req)).wantError(t, http.StatusBadRequest, "ERR_ACTIVATION")
			}
		})
		// Nothing above touched the pending activation: it still activates.
		e.wantCoreState(t, pendingID, "CREATED", 0)
		if _, err := e.device(t, app, version).ActivateWithCode(ctx, qr, pin, client.ActivationOptions{}); err != nil {
			t.Fatalf("activation after the rejected requests: %v", err)
		}
		e.wantCoreState(t, pendingID, "PENDING_COMMIT", 0)
	})

	t.Run("activation-create-replay-and-used-code", func(t *testing.T) {
		qr, id := e.initActivation(t, app, "user-bad-replay-"+version, nil)
		code := strings.SplitN(qr, "#", 2)[0]
		req, _ := e.cryptogram(t, app, version, nil, protocol.SharedInfo1GenericApplication, e.layer1Plaintext(t, app, version, code, e.clock.Now()), e.clock.Now())
		hdr := map[string]string{protocol.HeaderEncryption: encryptionHeader(app, version, "")}
		body := mustMarshal(t, req)
		if r := e.publicRaw(t, http.MethodPost, "/pa/v3/activation/create", hdr, body); r.status != http.StatusOK {
			t.Fatalf("hand-built activation: HTTP %d %s", r.status, r.raw)
		}
		e.wantCoreState(t, id, "PENDING_COMMIT", 0)
		replay := e.publicRaw(t, http.MethodPost, "/pa/v3/activation/create", hdr, body)
		if hasTimestamp {
			// The layer-1 envelope was seen before.
			replay.wantError(t, http.StatusBadRequest, "ERR_ENCRYPTION")
		} else {
			// 3.1 envelopes carry no timestamp and have no replay cache
			// (protocol §4.4); the used activation code stops the replay.
			replay.wantError(t, http.StatusBadRequest, "ERR_ACTIVATION")
		}
		// The code is used: another device cannot activate with it.
		_, err := e.device(t, app, version).ActivateWithCode(ctx, qr, pin, client.ActivationOptions{})
		wantAPIError(t, err, http.StatusBadRequest, "ERR_ACTIVATION")
		e.wantCoreState(t, id, "PENDING_COMMIT", 0)
	})

	t.Run("activation-scope-encryption", func(t *testing.T) {
		hdr := map[string]string{protocol.HeaderEncryption: encryptionHeader(app, version, d.ActivationID)}
		req, env := e.cryptogram(t, app, version, d, protocol.SharedInfo1GenericActivation, []byte("{}"), e.clock.Now())
		body := mustMarshal(t, req)
		first := e.publicRaw(t, http.MethodPost, "/pa/v3/user/info", hdr, body)
		if first.status != http.StatusOK {
			t.Fatalf("user info: HTTP %d %s", first.status, first.raw)
		}
		resp, err := protocol.ParseEncryptedResponse(first.raw, version)
		if err != nil {
			t.Fatalf("user info answer: %v", err)
		}
		if pt, err := env.DecryptResponse(resp); err != nil || !bytes.Contains(pt, []byte(`"sub":"user-bad-`+version+`"`)) {
			t.Fatalf("user info plaintext %s, %v", pt, err)
		}
		replay := e.publicRaw(t, http.MethodPost, "/pa/v3/user/info", hdr, body)
		if hasTimestamp {
			replay.wantError(t, http.StatusBadRequest, "ERR_ENCRYPTION")
		} else if replay.status != http.StatusOK {
			// No replay protection in 3.1 (protocol §4.4), as in the reference.
			t.Fatalf("3.1 repeated request: HTTP %d %s", replay.status, replay.raw)
		}
		if hasTimestamp {
			for name, at := range map[string]time.Time{
				"too old":       e.clock.Now().Add(-10 * time.Minute),
				"in the future": e.clock.Now().Add(5 * time.Minute),
			} {
				t.Run(name, func(t *testing.T) {
					req, _ := e.cryptogram(t, app, version, d, protocol.SharedInfo1GenericActivation, []byte("{}"), at)
					e.publicRaw(t, http.MethodPost, "/pa/v3/user/info", hdr, mustMarshal(t, req)).wantError(t, http.StatusBadRequest, "ERR_ENCRYPTION")
				})
			}
		}
		// Application-scope header on an activation-scope endpoint.
		req2, _ := e.cryptogram(t, app, version, d, protocol.SharedInfo1GenericActivation, []byte("{}"), e.clock.Now())
		e.publicRaw(t, http.MethodPost, "/pa/v3/user/info", map[string]string{protocol.HeaderEncryption: encryptionHeader(app, version, "")}, mustMarshal(t, req2)).
			wantError(t, http.StatusBadRequest, "ERR_ENCRYPTION")
		// Encrypted for another activation than the header names.
		e.publicRaw(t, http.MethodPost, "/pa/v3/user/info", map[string]string{protocol.HeaderEncryption: encryptionHeader(app, version, uuid.NewString())}, mustMarshal(t, req2)).
			wantError(t, http.StatusBadRequest, "ERR_ENCRYPTION")
		unchanged(t)
	})

	t.Run("signature-headers", func(t *testing.T) {
		body := []byte(`{"amount":"1.00"}`)
		good := signatureHeaderOf(t, c, d, client.Possession, http.MethodPost, "/pa/signature/validate", body)
		parsed, err := protocol.ParseAuthorizationHeader(good)
		if err != nil {
			t.Fatalf("parse own header: %v", err)
		}
		wrongKey := *parsed
		wrongKey.ApplicationKey = b64(protocol.RandomBytes(16))
		unknownActivation := *parsed
		unknownActivation.ActivationID = uuid.NewString()
		for name, hdr := range map[string]string{
			"missing":                "",
			"malformed":              "PowerAuth pa_version=",
			"not powerauth":          "Basic dXNlcjpwYXNz",
			"unsupported version":    strings.Replace(good, `pa_version="`+version+`"`, `pa_version="4.0"`, 1),
			"unknown signature type": strings.Replace(good, `pa_signature_type="possession"`, `pa_signature_type="possession_face"`, 1),
			"wrong application key":  wrongKey.String(),
			"unknown activation":     unknownActivation.String(),
			"other uri id":           signatureHeaderOf(t, c, d, client.Possession, http.MethodPost, "/pa/token/create", body),
			"other body":             signatureHeaderOf(t, c, d, client.Possession, http.MethodPost, "/pa/signature/validate", []byte(`{"amount":"1000.00"}`)),
		} {
			t.Run(name, func(t *testing.T) {
				headers := map[string]string{}
				if hdr != "" {
					headers[protocol.HeaderAuthorization] = hdr
				}
				e.publicRaw(t, http.MethodPost, "/pa/v3/signature/validate", headers, body).wantError(t, http.StatusUnauthorized, codeValidateFail)
			})
		}
		unchanged(t)
	})

	t.Run("replayed-signature", func(t *testing.T) {
		body := []byte(`{"pay":"once"}`)
		hdr, err := c.SignatureHeader(d, client.Possession, http.MethodPost, "/pa/signature/validate", body)
		if err != nil {
			t.Fatal(err)
		}
		h := map[string]string{protocol.HeaderAuthorization: hdr}
		if r := e.publicRaw(t, http.MethodPost, "/pa/v3/signature/validate", h, body); r.status != http.StatusOK {
			t.Fatalf("first use: HTTP %d %s", r.status, r.raw)
		}
		e.publicRaw(t, http.MethodPost, "/pa/v3/signature/validate", h, body).wantError(t, http.StatusUnauthorized, codeValidateFail)
		unchanged(t)

		// A replayed knowledge signature is refused but, unlike in the
		// reference server, it is no failed PIN attempt (a replay is no
		// guess); the next good signature works.
		hdr, err = c.SignatureHeader(d, client.PossessionKnowledge(pin), http.MethodPost, "/pa/signature/validate", body)
		if err != nil {
			t.Fatal(err)
		}
		h = map[string]string{protocol.HeaderAuthorization: hdr}
		if r := e.publicRaw(t, http.MethodPost, "/pa/v3/signature/validate", h, body); r.status != http.StatusOK {
			t.Fatalf("first use: HTTP %d %s", r.status, r.raw)
		}
		e.publicRaw(t, http.MethodPost, "/pa/v3/signature/validate", h, body).wantError(t, http.StatusUnauthorized, codeValidateFail)
		e.wantCoreState(t, d.ActivationID, "ACTIVE", 0)
		if err := c.ValidateSignature(ctx, d, client.PossessionKnowledge(pin), body); err != nil {
			t.Fatalf("signature after the replay: %v", err)
		}
		unchanged(t)
	})

	t.Run("tokens", func(t *testing.T) {
		tok, err := c.CreateToken(ctx, d, client.PossessionKnowledge(pin))
		if err != nil {
			t.Fatalf("create token: %v", err)
		}
		encHdr := encryptionHeader(app, version, d.ActivationID)
		detail := func(tokenHeader string) rawResponse {
			req, _ := e.cryptogram(t, app, version, d, protocol.SharedInfo1GenericActivation, []byte("{}"), e.clock.Now())
			h := map[string]string{protocol.HeaderEncryption: encHdr}
			if tokenHeader != "" {
				h[protocol.HeaderToken] = tokenHeader
			}
			return e.publicRaw(t, http.MethodPost, "/pa/v3/activation/detail", h, mustMarshal(t, req))
		}
		now := e.clock.Now()
		valid := protocol.NewTokenHeader(tok.ID, tok.Secret, version, now.UnixMilli())
		forged := valid
		forged.Digest = b64(protocol.RandomBytes(32))
		for name, hdr := range map[string]string{
			"missing":            "",
			"malformed":          "PowerAuth token_id=",
			"digest too old":     protocol.NewTokenHeader(tok.ID, tok.Secret, version, now.Add(-3*time.Hour).UnixMilli()).String(),
			"digest from future": protocol.NewTokenHeader(tok.ID, tok.Secret, version, now.Add(time.Hour).UnixMilli()).String(),
			"forged digest":      forged.String(),
			"unknown token":      protocol.NewTokenHeader(uuid.NewString(), tok.Secret, version, now.UnixMilli()).String(),
			"wrong secret":       protocol.NewTokenHeader(tok.ID, protocol.RandomBytes(16), version, now.UnixMilli()).String(),
		} {
			t.Run(name, func(t *testing.T) {
				detail(hdr).wantError(t, http.StatusUnauthorized, "ERR_AUTHENTICATION")
			})
		}
		if r := detail(valid.String()); r.status != http.StatusOK {
			t.Fatalf("valid token: HTTP %d %s", r.status, r.raw)
		}
		detail(valid.String()).wantError(t, http.StatusUnauthorized, "ERR_AUTHENTICATION") // replayed digest
		if _, err := c.Detail(ctx, d, tok); err != nil {
			t.Fatalf("token after the rejected requests: %v", err)
		}
		unchanged(t)
	})

	t.Run("plain-requests", func(t *testing.T) {
		for name, body := range map[string]string{
			"not JSON":          `{"requestObject":`,
			"no activation id":  `{"requestObject":{}}`,
			"bad challenge":     `{"requestObject":{"activationId":"` + d.ActivationID + `","challenge":"AAAA"}}`,
			"wrong field types": `{"requestObject":{"activationId":17}}`,
		} {
			t.Run("status "+name, func(t *testing.T) {
				e.publicRaw(t, http.MethodPost, "/pa/v3/activation/status", nil, []byte(body)).wantError(t, http.StatusBadRequest, "ERR_ACTIVATION")
			})
		}
		for name, body := range map[string]string{
			"not JSON":    `nope`,
			"missing jwt": `{"requestObject":{}}`,
			"garbage jwt": `{"requestObject":{"jwt":"a.b.c"}}`,
		} {
			t.Run("keystore "+name, func(t *testing.T) {
				e.publicRaw(t, http.MethodPost, "/pa/v3/keystore/create", nil, []byte(body)).wantError(t, http.StatusBadRequest, "ERR_TEMPORARY_KEY")
			})
		}
		e.publicRaw(t, http.MethodGet, "/pa/v3/activation/create", nil, nil).wantError(t, http.StatusMethodNotAllowed, "ERROR_HTTP_REQUEST")
		e.publicRaw(t, http.MethodPost, "/pa/v3/nothing/here", nil, []byte("{}")).wantError(t, http.StatusNotFound, "ERROR_NOT_FOUND")
		unchanged(t)
	})

	t.Run("body-size-limit", func(t *testing.T) {
		big := bytes.Repeat([]byte("a"), 1<<20+1)
		e.publicRaw(t, http.MethodPost, "/pa/v3/activation/status", nil, big).wantError(t, http.StatusRequestEntityTooLarge, "ERROR_HTTP_REQUEST")
		e.publicRaw(t, http.MethodPost, "/pa/v3/activation/create", map[string]string{protocol.HeaderEncryption: encryptionHeader(app, version, "")}, big).
			wantError(t, http.StatusRequestEntityTooLarge, "ERROR_HTTP_REQUEST")
		hdr := signatureHeaderOf(t, c, d, client.PossessionKnowledge(pin), http.MethodPost, "/pa/signature/validate", big)
		e.publicRaw(t, http.MethodPost, "/pa/v3/signature/validate", map[string]string{protocol.HeaderAuthorization: hdr}, big).
			wantError(t, http.StatusRequestEntityTooLarge, "ERROR_HTTP_REQUEST")
		unchanged(t)
	})

	t.Run("garbage-never-breaks-the-server", func(t *testing.T) {
		// Every endpoint, with and without each kind of header, gets bodies
		// it cannot use. Signed requests are signed correctly (the
		// signature guard passes), so the handlers' own parsing is hit.
		uriIDs := map[string]string{
			"activation/remove": "/pa/activation/remove", "activation/rename": "/pa/activation/rename",
			"token/create": "/pa/token/create", "token/remove": "/pa/token/remove", "vault/unlock": "/pa/vault/unlock",
			"signature/validate": "/pa/signature/validate", "upgrade/commit": "/pa/upgrade/commit", "recovery/confirm": "/pa/recovery/confirm",
		}
		paths := []string{"activation/create", "activation/status", "activation/remove", "activation/detail", "activation/rename",
			"token/create", "token/remove", "vault/unlock", "signature/validate", "upgrade/start", "upgrade/commit",
			"recovery/confirm", "keystore/create", "status", "user/info"}
		bodies := []string{"", "{}", "null", "[]", `"x"`, `{"requestObject":null}`, `{"requestObject":[]}`, "\x00\xff",
			`{"ephemeralPublicKey":"AA==","encryptedData":"AA==","mac":"AA=="}`, `{"temporaryKeyId":"x","encryptedData":7}`}
		tok, err := c.CreateToken(ctx, d, client.PossessionKnowledge(pin))
		if err != nil {
			t.Fatalf("create token: %v", err)
		}
		for _, p := range paths {
			for _, body := range bodies {
				headerSets := []map[string]string{
					nil,
					{protocol.HeaderEncryption: encryptionHeader(app, version, "")},
					{protocol.HeaderEncryption: encryptionHeader(app, version, d.ActivationID)},
					{protocol.HeaderToken: c.TokenHeader(tok), protocol.HeaderEncryption: encryptionHeader(app, version, d.ActivationID)},
				}
				if uri, ok := uriIDs[p]; ok {
					f := client.PossessionKnowledge(pin)
					if p == "upgrade/commit" {
						f = client.Possession
					}
					if p == "activation/remove" {
						f = client.Possession // not enough to remove the activation
					}
					hdr, err := c.SignatureHeader(d, f, http.MethodPost, uri, []byte(body))
					if err != nil {
						t.Fatal(err)
					}
					headerSets = append(headerSets, map[string]string{protocol.HeaderAuthorization: hdr})
				}
				for _, h := range headerSets {
					r := e.publicRaw(t, http.MethodPost, "/pa/v3/"+p, h, []byte(body))
					if r.status >= 500 || (r.status >= 400 && (r.body["status"] != "ERROR" || errorCode(r.body) == "")) {
						t.Fatalf("%s with %q and headers %v: HTTP %d %s", p, body, h, r.status, r.raw)
					}
				}
			}
		}
		// The correctly signed garbage moved the server's counter along
		// with the device's; nothing else changed.
		unchanged(t)
	})

	t.Run("upgrade-of-a-v3-activation", func(t *testing.T) {
		req, _ := e.cryptogram(t, app, version, d, protocol.SharedInfo1Upgrade, []byte("{}"), e.clock.Now())
		e.publicRaw(t, http.MethodPost, "/pa/v3/upgrade/start", map[string]string{protocol.HeaderEncryption: encryptionHeader(app, version, d.ActivationID)}, mustMarshal(t, req)).
			wantError(t, http.StatusBadRequest, "ERR_UPGRADE")
		e.wantCoreState(t, d.ActivationID, "ACTIVE", 0)
	})

	// Last, as it moves the shared clock: an activation code past its
	// validity cannot be used, and the activation ends.
	t.Run("expired-activation-code", func(t *testing.T) {
		qr, id := e.initActivation(t, app, "user-bad-expired-"+version, nil)
		e.clock.Advance(6 * time.Minute)
		_, err := e.device(t, app, version).ActivateWithCode(ctx, qr, pin, client.ActivationOptions{})
		wantAPIError(t, err, http.StatusBadRequest, "ERR_ACTIVATION")
		e.wantCoreState(t, id, "REMOVED", 0)
		unchanged(t)
	})
}

// tampered returns the request with one ciphertext bit flipped.
func tampered(t *testing.T, req *protocol.EncryptedRequest) []byte {
	t.Helper()
	cp := *req
	cp.EncryptedData = append([]byte(nil), req.EncryptedData...)
	cp.EncryptedData[0] ^= 1
	return mustMarshal(t, &cp)
}
