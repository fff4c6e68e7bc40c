package service

import (
	"bytes"
	"context"
	"encoding/base64"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/protocol"
)

func decryptorInput(req EciesRequest, activationID, appKey string) EciesDecryptorInput {
	return EciesDecryptorInput{ActivationID: activationID, ApplicationKey: appKey, EphemeralPublicKey: req.EphemeralPublicKey,
		Nonce: req.Nonce, Timestamp: req.Timestamp, ProtocolVersion: req.ProtocolVersion, TemporaryKeyID: req.TemporaryKeyID}
}

func mustB64(t testing.TB, s string) []byte {
	t.Helper()
	if s == "" {
		return nil
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestEciesDecryptorSecrets checks that an edge holding only the returned
// secrets decrypts the device's request and encrypts a response the device
// reads, in both scopes and every version.
func TestEciesDecryptorSecrets(t *testing.T) {
	svc, _ := newSQLiteService(t)
	ctx := context.Background()
	app := createTestApp(t, svc)
	ta := newEncTestActivation(t, svc, app, domain.ActivationActive, 3)
	appTemp := requestTemporaryKey(t, svc, app, nil)
	actTemp := requestTemporaryKey(t, svc, app, &ta)

	for _, version := range protocol.Versions {
		for _, scope := range []string{"application", "activation"} {
			t.Run(version+"/"+scope, func(t *testing.T) {
				ectx := protocol.EciesContext{Version: version, ApplicationKey: app.Version.ApplicationKey, ApplicationSecret: app.Version.ApplicationSecret}
				key, actID := app.Master, ""
				if scope == "activation" {
					ectx = ta.eciesContext(version, protocol.SharedInfo1GenericActivation, "")
					key, actID = ta.ServerPub, ta.ID
				} else {
					ectx.SharedInfo1 = protocol.SharedInfo1GenericApplication
				}
				if version == protocol.Version33 {
					tk := appTemp
					if scope == "activation" {
						tk = actTemp
					}
					key, ectx.TemporaryKeyID = tk.PublicKey, tk.TemporaryKeyID
				}
				plaintext := []byte(`{"userId":"u1"}`)
				req, clientEnv := encryptForServer(t, key, ectx, plaintext, svc.Now())
				secrets, err := svc.EciesDecryptor(ctx, decryptorInput(req, actID, app.Version.ApplicationKey))
				if err != nil {
					t.Fatalf("decryptor: %v", err)
				}
				if len(secrets.EnvelopeKey) != protocol.EciesEnvelopeKeySize || !bytes.Equal(secrets.EnvelopeKey, clientEnv.EnvelopeKey()) ||
					!bytes.Equal(secrets.SharedInfo2Base, clientEnv.SharedInfo2Base()) {
					t.Fatal("secrets differ from the client's envelope")
				}
				// The edge knows neither the application secret nor the transport key.
				edgeCtx := ectx
				edgeCtx.ApplicationSecret, edgeCtx.TransportKey = "", nil
				var ts int64
				if req.Timestamp != nil {
					ts = *req.Timestamp
				}
				edge, err := protocol.NewEciesEnvelopeFromSecrets(secrets, edgeCtx, mustB64(t, req.EphemeralPublicKey), mustB64(t, req.Nonce), ts)
				if err != nil {
					t.Fatal(err)
				}
				got, err := edge.OpenRequest(&protocol.EncryptedRequest{EphemeralPublicKey: mustB64(t, req.EphemeralPublicKey), EncryptedData: mustB64(t, req.EncryptedData),
					MAC: mustB64(t, req.Mac), Nonce: mustB64(t, req.Nonce), Timestamp: ts, TemporaryKeyID: req.TemporaryKeyID})
				if err != nil || !bytes.Equal(got, plaintext) {
					t.Fatalf("edge decrypt: %q %v", got, err)
				}
				resp, err := edge.EncryptResponse([]byte(`{"ok":true}`), svc.Now())
				if err != nil {
					t.Fatal(err)
				}
				back, err := clientEnv.DecryptResponse(resp)
				if err != nil || string(back) != `{"ok":true}` {
					t.Fatalf("client decrypt: %q %v", back, err)
				}
				// The request cannot be handed out twice (3.2+ carry a timestamp).
				_, err = svc.EciesDecryptor(ctx, decryptorInput(req, actID, app.Version.ApplicationKey))
				if version == protocol.Version32 || version == protocol.Version33 {
					if CodeOf(err) != CodeDecryptionFailed {
						t.Fatalf("replay: %v", err)
					}
				} else if err != nil {
					t.Fatalf("repeat without replay check: %v", err)
				}
			})
		}
	}
}

func TestEciesDecryptorRejects(t *testing.T) {
	svc, _ := newSQLiteService(t)
	ctx := context.Background()
	app := createTestApp(t, svc)
	otherApp := createTestApp(t, svc)
	ta := newEncTestActivation(t, svc, app, domain.ActivationActive, 3)
	blocked := newEncTestActivation(t, svc, app, domain.ActivationBlocked, 3)
	appReq := func(at time.Time) EciesRequest {
		req, _ := encryptForServer(t, app.Master, protocol.EciesContext{Version: protocol.Version32, SharedInfo1: protocol.SharedInfo1GenericApplication,
			ApplicationKey: app.Version.ApplicationKey, ApplicationSecret: app.Version.ApplicationSecret}, []byte("{}"), at)
		return req
	}
	actReq := func(a encTestActivation) EciesRequest {
		req, _ := encryptForServer(t, a.ServerPub, a.eciesContext(protocol.Version32, protocol.SharedInfo1GenericActivation, ""), []byte("{}"), svc.Now())
		return req
	}
	if _, err := svc.SetApplicationVersionSupported(ctx, otherApp.App.Name, otherApp.Version.Name, false); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		in   EciesDecryptorInput
		code string
	}{
		{"unknown application key", decryptorInput(appReq(svc.Now()), "", "AAAAAAAAAAAAAAAAAAAAAA=="), CodeInvalidApplication},
		{"unsupported version", decryptorInput(appReq(svc.Now()), "", otherApp.Version.ApplicationKey), CodeInvalidApplication},
		{"activation of another application", decryptorInput(actReq(ta), ta.ID, otherApp.Version.ApplicationKey), CodeInvalidApplication},
		{"unknown activation", decryptorInput(actReq(ta), "7e0c3c1c-1111-4a4a-9b9b-222233334444", app.Version.ApplicationKey), CodeActivationNotFound},
		{"blocked activation", decryptorInput(actReq(blocked), blocked.ID, app.Version.ApplicationKey), CodeActivationIncorrectState},
		{"stale", decryptorInput(appReq(svc.Now().Add(-10*time.Minute)), "", app.Version.ApplicationKey), CodeDecryptionFailed},
		{"future", decryptorInput(appReq(svc.Now().Add(10*time.Minute)), "", app.Version.ApplicationKey), CodeDecryptionFailed},
		{"missing nonce", func() EciesDecryptorInput {
			in := decryptorInput(appReq(svc.Now()), "", app.Version.ApplicationKey)
			in.Nonce = ""
			return in
		}(), CodeInvalidRequest},
		{"missing timestamp for 3.2", func() EciesDecryptorInput {
			in := decryptorInput(appReq(svc.Now()), "", app.Version.ApplicationKey)
			in.Timestamp = nil
			return in
		}(), CodeInvalidRequest},
		{"invalid point", func() EciesDecryptorInput {
			in := decryptorInput(appReq(svc.Now()), "", app.Version.ApplicationKey)
			in.EphemeralPublicKey = base64.StdEncoding.EncodeToString(append([]byte{2}, bytes.Repeat([]byte{0xff}, 32)...))
			return in
		}(), CodeInvalidRequest},
		{"bad version", func() EciesDecryptorInput {
			in := decryptorInput(appReq(svc.Now()), "", app.Version.ApplicationKey)
			in.ProtocolVersion = "2.0"
			return in
		}(), CodeDecryptionFailed}, // as PowerAuth 1.5+: an unsupported version fails the decryption
		{"temporary key id before 3.3", func() EciesDecryptorInput {
			in := decryptorInput(appReq(svc.Now()), "", app.Version.ApplicationKey)
			in.TemporaryKeyID = "7e0c3c1c-1111-4a4a-9b9b-222233334444"
			return in
		}(), CodeInvalidRequest},
	}
	for _, c := range cases {
		if _, err := svc.EciesDecryptor(ctx, c.in); CodeOf(err) != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
}
