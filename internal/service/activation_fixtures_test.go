package service

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/protocol"
)

// actDevice plays the mobile device in activation tests.
type actDevice struct {
	priv *protocol.PrivateKey
}

func newActDevice(t testing.TB) *actDevice {
	t.Helper()
	k, err := protocol.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	return &actDevice{priv: k}
}

// payload is the layer-2 plaintext with the device's compressed key, as the
// mobile SDK sends it.
func (d *actDevice) payload(otp string) map[string]any {
	p := map[string]any{
		"devicePublicKey": base64.StdEncoding.EncodeToString(d.priv.Public().Compressed()),
		"activationName":  "Test phone",
		"extras":          "extra",
		"platform":        "iOS",
		"deviceInfo":      "iPhone12,3",
	}
	if otp != "" {
		p["activationOtp"] = otp
	}
	return p
}

// actEncrypt encrypts a layer-2 payload for the application in a protocol
// version. For 3.3 it first stores an application-scope temporary key the
// way the keystore does.
func actEncrypt(t testing.TB, svc *Service, ta testApp, version string, payload any) (EciesRequest, *protocol.EciesEnvelope) {
	t.Helper()
	plain, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	return actEncryptRaw(t, svc, ta, version, plain)
}

func actEncryptRaw(t testing.TB, svc *Service, ta testApp, version string, plain []byte) (EciesRequest, *protocol.EciesEnvelope) {
	t.Helper()
	ctx := protocol.EciesContext{
		Version:           version,
		SharedInfo1:       protocol.SharedInfo1ActivationLayer2,
		ApplicationKey:    ta.Version.ApplicationKey,
		ApplicationSecret: ta.Version.ApplicationSecret,
	}
	encKey := ta.Master
	if version == protocol.Version33 {
		ctx.TemporaryKeyID, encKey = actTemporaryKey(t, svc, ta)
	}
	req, env, err := protocol.EncryptRequest(encKey, ctx, plain, svc.now())
	if err != nil {
		t.Fatal(err)
	}
	return actWireRequest(req, version), env
}

// actTemporaryKey obtains an application-scope temporary key through the
// keystore, as a 3.3 client does, and verifies the response JWT.
func actTemporaryKey(t testing.TB, svc *Service, ta testApp) (string, *protocol.PublicKey) {
	t.Helper()
	jwt, challenge, err := protocol.BuildTemporaryKeyRequest(ta.Version.ApplicationKey, ta.Version.ApplicationSecret, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	k, err := svc.CreateTemporaryKey(context.Background(), jwt)
	if err != nil {
		t.Fatalf("keystore: %v", err)
	}
	claims, err := protocol.ParseTemporaryKeyResponse(k.JWT, ta.Master)
	if err != nil {
		t.Fatal(err)
	}
	if err := claims.MatchesRequest(ta.Version.ApplicationKey, "", challenge); err != nil {
		t.Fatal(err)
	}
	return claims.TemporaryKeyID, claims.PublicKey
}

// actWireRequest converts a protocol request to the private API's fields.
func actWireRequest(req *protocol.EncryptedRequest, version string) EciesRequest {
	enc := base64.StdEncoding
	out := EciesRequest{
		EphemeralPublicKey: enc.EncodeToString(req.EphemeralPublicKey),
		EncryptedData:      enc.EncodeToString(req.EncryptedData),
		Mac:                enc.EncodeToString(req.MAC),
		ProtocolVersion:    version,
		TemporaryKeyID:     req.TemporaryKeyID,
	}
	if req.Nonce != nil {
		out.Nonce = enc.EncodeToString(req.Nonce)
	}
	if req.Timestamp != 0 {
		ts := req.Timestamp
		out.Timestamp = &ts
	}
	return out
}

// actLayer2 is the decrypted layer-2 response.
type actLayer2 struct {
	ActivationID       string `json:"activationId"`
	ServerPublicKey    string `json:"serverPublicKey"`
	CtrData            string `json:"ctrData"`
	ActivationRecovery *struct {
		RecoveryCode string `json:"recoveryCode"`
		PUK          string `json:"puk"`
	} `json:"activationRecovery"`
}

// actOpen decrypts the layer-2 response and derives the device's keys.
func actOpen(t testing.TB, d *actDevice, env *protocol.EciesEnvelope, resp *EciesResponse) (actLayer2, *protocol.ActivationKeys, *protocol.PublicKey) {
	t.Helper()
	dec := func(s string) []byte {
		if s == "" {
			return nil
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	er := &protocol.EncryptedResponse{EncryptedData: dec(resp.EncryptedData), MAC: dec(resp.Mac), Nonce: dec(resp.Nonce)}
	if resp.Timestamp != nil {
		er.Timestamp = *resp.Timestamp
	}
	plain, err := env.DecryptResponse(er)
	if err != nil {
		t.Fatalf("decrypt response: %v", err)
	}
	var l2 actLayer2
	if err := json.Unmarshal(plain, &l2); err != nil {
		t.Fatal(err)
	}
	serverPubBytes := dec(l2.ServerPublicKey)
	if len(serverPubBytes) != 65 || len(dec(l2.CtrData)) != 16 {
		t.Fatalf("layer 2 response: server key %d bytes, ctrData %q", len(serverPubBytes), l2.CtrData)
	}
	serverPub, err := protocol.ParsePublicKey(serverPubBytes)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := protocol.DeriveActivationKeysECDH(d.priv, serverPub)
	if err != nil {
		t.Fatal(err)
	}
	return l2, keys, serverPub
}

// actInit initialises an activation through the service.
func actInit(t testing.TB, svc *Service, ta testApp, in InitActivationInput) ActivationDetail {
	t.Helper()
	in.ApplicationID = ta.App.Name
	if in.UserID == "" {
		in.UserID = "user-1"
	}
	a, err := svc.InitActivation(context.Background(), in)
	if err != nil {
		t.Fatalf("init: %v", err)
	}
	return a
}

// actPrepared is a device that has completed the key exchange.
type actPrepared struct {
	device    *actDevice
	result    KeyExchangeResult
	layer2    actLayer2
	keys      *protocol.ActivationKeys
	serverPub *protocol.PublicKey
}

// actPrepare runs init + prepare in a protocol version and returns the
// device's view.
func actPrepare(t testing.TB, svc *Service, ta testApp, version string, in InitActivationInput, otp string) actPrepared {
	t.Helper()
	a := actInit(t, svc, ta, in)
	d := newActDevice(t)
	req, env := actEncrypt(t, svc, ta, version, d.payload(otp))
	res, err := svc.PrepareActivation(context.Background(), PrepareActivationInput{
		ActivationCode: a.ActivationCode, ApplicationKey: ta.Version.ApplicationKey, GenerateRecoveryCodes: true, Request: req,
	})
	if err != nil {
		t.Fatalf("prepare: %v", err)
	}
	l2, keys, serverPub := actOpen(t, d, env, res.Response)
	if l2.ActivationID != a.ActivationID {
		t.Fatalf("layer 2 activation ID %q, want %q", l2.ActivationID, a.ActivationID)
	}
	return actPrepared{device: d, result: res, layer2: l2, keys: keys, serverPub: serverPub}
}

// actActive returns a committed ACTIVE activation.
func actActive(t testing.TB, svc *Service, ta testApp) actPrepared {
	t.Helper()
	p := actPrepare(t, svc, ta, protocol.Version32, InitActivationInput{}, "")
	if _, err := svc.CommitActivation(context.Background(), p.result.Activation.ActivationID, "admin", ""); err != nil {
		t.Fatalf("commit: %v", err)
	}
	return p
}

// actGet loads an activation from the store.
func actGet(t testing.TB, svc *Service, id string) domain.Activation {
	t.Helper()
	a, err := svc.store.GetActivation(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// actHistory returns the (status, reason) pairs of an activation's history.
func actHistory(t testing.TB, svc *Service, id string) []domain.ActivationHistory {
	t.Helper()
	h, err := svc.ActivationHistory(context.Background(), id, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// actWantCode fails unless err carries code.
func actWantCode(t testing.TB, err error, code string) {
	t.Helper()
	if CodeOf(err) != code {
		t.Fatalf("got error %v, want %s", err, code)
	}
}
