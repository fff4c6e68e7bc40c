package coreclient_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/api/private"
	"github.com/mauth/mauth/internal/api/public"
	"github.com/mauth/mauth/internal/coreclient"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/internal/service/servicetest"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/protocol"
)

// fixture is a core service on SQLite, its private API behind httptest
// with access control on, and a coreclient with integration credentials.
type fixture struct {
	svc    *service.Service
	st     store.Store
	url    string
	client *coreclient.Client
	token  string
	secret string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	h := servicetest.New(t, servicetest.Options{})
	st, svc := h.Store, h.Service
	integ, err := svc.CreateIntegration(context.Background(), "enrollment")
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(private.New(svc, private.Options{RestrictAccess: true}).Handler())
	t.Cleanup(hs.Close)
	// The timeout is a safety net only: a busy machine must not turn a
	// slow answer into an error.
	c, err := coreclient.New(coreclient.Options{BaseURL: hs.URL, ClientToken: integ.ClientToken, ClientSecret: integ.ClientSecret, Timeout: 5 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{svc: svc, st: st, url: hs.URL, client: c, token: integ.ClientToken, secret: integ.ClientSecret}
}

// modes are the two implementations of public.Core over one fixture.
func (f *fixture) modes() []struct {
	name string
	core public.Core
} {
	return []struct {
		name string
		core public.Core
	}{{"direct", f.svc}, {"remote", f.client}}
}

// testApp is an application as a device sees it.
type testApp struct {
	name   string
	key    string
	secret string
	master *protocol.PublicKey
}

// createApp creates an application with activation recovery enabled.
func (f *fixture) createApp(t *testing.T, name string) testApp {
	t.Helper()
	ctx := context.Background()
	if _, err := f.svc.CreateApplication(ctx, name, []string{"ROLE_A"}); err != nil {
		t.Fatal(err)
	}
	d, err := f.svc.GetApplicationDetail(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	master, err := protocol.ParsePublicKey(d.MasterPublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.UpdateRecoveryConfig(ctx, service.UpdateRecoveryConfigInput{ApplicationName: name, ActivationRecoveryEnabled: true}); err != nil {
		t.Fatal(err)
	}
	return testApp{name: name, key: d.Versions[0].ApplicationKey, secret: d.Versions[0].ApplicationSecret, master: master}
}

// device is the mobile side of one activation.
type device struct {
	priv         *protocol.PrivateKey
	id           string
	serverPub    *protocol.PublicKey
	keys         *protocol.ActivationKeys
	ctr          []byte
	recoveryCode string
	puk          string
}

func newDevice(t *testing.T) *device {
	t.Helper()
	k, err := protocol.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	return &device{priv: k}
}

// layer2 is the device's activation payload.
func (d *device) layer2(t *testing.T) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]string{
		"devicePublicKey": base64.StdEncoding.EncodeToString(d.priv.Public().Compressed()),
		"activationName":  "Test phone",
		"platform":        "android",
		"deviceInfo":      "Pixel",
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// encrypt builds an ECIES request in application scope (d == nil) or in
// the activation scope of d. Protocol 3.3 fetches a temporary key through
// core, which exercises CreateTemporaryKey.
func encrypt(t *testing.T, core public.Core, a testApp, version, sh1 string, d *device, plain []byte) (service.EciesRequest, *protocol.EciesEnvelope) {
	t.Helper()
	ectx := protocol.EciesContext{Version: version, SharedInfo1: sh1, ApplicationKey: a.key, ApplicationSecret: a.secret}
	encKey, verifier := a.master, a.master
	if d != nil {
		ectx.ActivationID, ectx.TransportKey = d.id, d.keys.Transport
		encKey, verifier = d.serverPub, d.serverPub
	}
	if version == protocol.Version33 {
		jwt, challenge, err := protocol.BuildTemporaryKeyRequest(a.key, a.secret, ectx.ActivationID, ectx.TransportKey)
		if err != nil {
			t.Fatal(err)
		}
		k, err := core.CreateTemporaryKey(context.Background(), jwt)
		if err != nil {
			t.Fatalf("temporary key: %v", err)
		}
		claims, err := protocol.ParseTemporaryKeyResponse(k.JWT, verifier)
		if err != nil {
			t.Fatalf("temporary key JWT: %v", err)
		}
		if err := claims.MatchesRequest(a.key, ectx.ActivationID, challenge); err != nil {
			t.Fatal(err)
		}
		if k.ID != claims.TemporaryKeyID || !k.ExpiresAt.Equal(claims.ExpiresAt) {
			t.Fatalf("temporary key %s expiring %v, JWT says %s expiring %v", k.ID, k.ExpiresAt, claims.TemporaryKeyID, claims.ExpiresAt)
		}
		ectx.TemporaryKeyID, encKey = claims.TemporaryKeyID, claims.PublicKey
	}
	req, env, err := protocol.EncryptRequest(encKey, ectx, plain, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.StdEncoding
	out := service.EciesRequest{
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
	return out, env
}

// decrypt opens an encrypted answer and decodes its JSON into out.
func decrypt(t *testing.T, env *protocol.EciesEnvelope, r *service.EciesResponse, out any) {
	t.Helper()
	if r == nil {
		t.Fatal("no encrypted response")
	}
	dec := func(s string) []byte {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	er := &protocol.EncryptedResponse{EncryptedData: dec(r.EncryptedData), MAC: dec(r.Mac)}
	if r.Nonce != "" {
		er.Nonce = dec(r.Nonce)
	}
	if r.Timestamp != nil {
		er.Timestamp = *r.Timestamp
	}
	plain, err := env.DecryptResponse(er)
	if err != nil {
		t.Fatalf("decrypt response: %v", err)
	}
	if err := json.Unmarshal(plain, out); err != nil {
		t.Fatalf("response payload %q: %v", plain, err)
	}
}

// finishKeyExchange decrypts a layer-2 answer into the device's keys.
func (d *device) finishKeyExchange(t *testing.T, env *protocol.EciesEnvelope, r *service.EciesResponse) {
	t.Helper()
	var l2 struct {
		ActivationID       string `json:"activationId"`
		ServerPublicKey    string `json:"serverPublicKey"`
		CtrData            string `json:"ctrData"`
		ActivationRecovery *struct {
			RecoveryCode string `json:"recoveryCode"`
			PUK          string `json:"puk"`
		} `json:"activationRecovery"`
	}
	decrypt(t, env, r, &l2)
	raw, err := base64.StdEncoding.DecodeString(l2.ServerPublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if d.serverPub, err = protocol.ParsePublicKey(raw); err != nil {
		t.Fatal(err)
	}
	if d.keys, err = protocol.DeriveActivationKeysECDH(d.priv, d.serverPub); err != nil {
		t.Fatal(err)
	}
	if d.ctr, err = base64.StdEncoding.DecodeString(l2.CtrData); err != nil || len(d.ctr) != protocol.CtrDataSize {
		t.Fatalf("ctrData %q", l2.CtrData)
	}
	d.id = l2.ActivationID
	if l2.ActivationRecovery != nil {
		d.recoveryCode, d.puk = l2.ActivationRecovery.RecoveryCode, l2.ActivationRecovery.PUK
	}
}

// sign builds a signature/verify input for an online signature of body;
// keys may differ from the device's (a wrong PIN).
func (d *device) sign(t *testing.T, a testApp, version string, st protocol.SignatureType, keys *protocol.ActivationKeys, body []byte) service.VerifySignatureInput {
	t.Helper()
	reqData := protocol.RequestData("POST", "/pa/signature/validate", protocol.RandomBytes(16), body)
	sig, err := protocol.ComputeSignature(keys, st, d.ctr, protocol.SignatureData(reqData, a.secret), protocol.SignatureFormatForVersion(version), protocol.OnlineDecimalLength)
	if err != nil {
		t.Fatal(err)
	}
	d.ctr = protocol.NextCtrData(d.ctr)
	return service.VerifySignatureInput{
		ActivationID: d.id, ApplicationKey: a.key, Data: reqData, Signature: sig, SignatureType: st, SignatureVersion: version,
	}
}

// wrongPIN returns the device keys with a different knowledge key.
func (d *device) wrongPIN() *protocol.ActivationKeys {
	k := *d.keys
	k.Knowledge = protocol.RandomBytes(protocol.KeySize)
	return &k
}
