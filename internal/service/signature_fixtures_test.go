package service

import (
	"context"
	"encoding/base64"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/protocol"
)

// testDevice is the device side of an ACTIVE activation: its private key,
// the derived factor keys and its own copy of the hash-based counter.
type testDevice struct {
	ActivationID string
	UserID       string
	App          testApp
	DevicePriv   *protocol.PrivateKey
	Keys         *protocol.ActivationKeys

	mu      sync.Mutex
	ctrData []byte // the device's next CTR_DATA
	counter int64  // how many signatures the device computed
}

// newActiveTestActivation stores an ACTIVE version-3 activation with fresh
// device and server key pairs directly through the store (the activation
// flow is tested elsewhere) and returns the device side of it.
func newActiveTestActivation(t testing.TB, svc *Service, app testApp) *testDevice {
	t.Helper()
	devicePriv, err := protocol.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	serverPriv, err := protocol.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	id := uuid.NewString()
	ctr := protocol.RandomBytes(protocol.CtrDataSize)
	now := svc.Now()
	a := domain.Activation{
		ActivationID:              id,
		ApplicationID:             app.App.ID,
		UserID:                    "user-" + id[:8],
		Name:                      "test device",
		Status:                    domain.ActivationActive,
		Counter:                   0,
		CtrData:                   ctr,
		DevicePublicKey:           devicePriv.Public().Compressed(),
		Platform:                  "ios",
		Flags:                     []string{"FLAG_A"},
		Protocol:                  domain.ProtocolPowerAuth,
		MaxFailedAttempts:         5,
		ServerPrivateKeyEncrypted: svc.sealPrivateKey(serverPriv, activationKeyContext(id)),
		ServerPublicKey:           serverPriv.Public().Uncompressed(),
		Created:                   now,
		ActivationExpire:          now.Add(svc.cfg.ActivationValidity),
		Version:                   3,
	}
	if err := svc.store.InTx(context.Background(), func(tx store.Tx) error {
		b := a
		return tx.CreateActivation(context.Background(), &b)
	}); err != nil {
		t.Fatal(err)
	}
	keys, err := protocol.DeriveActivationKeysECDH(devicePriv, serverPriv.Public())
	if err != nil {
		t.Fatal(err)
	}
	return &testDevice{
		ActivationID: id, UserID: a.UserID, App: app, DevicePriv: devicePriv, Keys: keys,
		ctrData: append([]byte(nil), ctr...),
	}
}

// testRequestData is normalized request data (without the secret) with a
// random nonce.
func testRequestData(body string) string {
	return protocol.RequestData("POST", "/pa/signature/validate", protocol.RandomBytes(16), []byte(body))
}

// sign computes an online signature with the device's next counter and
// advances the counter, as the SDK does.
func (d *testDevice) sign(t testing.TB, typ protocol.SignatureType, version, requestData string) string {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.signLocked(t, typ, version, requestData, d.App.Version.ApplicationSecret)
}

func (d *testDevice) signLocked(t testing.TB, typ protocol.SignatureType, version, requestData, secret string) string {
	t.Helper()
	sig, err := protocol.ComputeSignature(d.Keys, typ, d.ctrData, protocol.SignatureData(requestData, secret),
		protocol.SignatureFormatForVersion(version), protocol.OnlineDecimalLength)
	if err != nil {
		t.Fatal(err)
	}
	d.ctrData = protocol.NextCtrData(d.ctrData)
	d.counter++
	return sig
}

// skip advances the device counter n times without signing anything.
func (d *testDevice) skip(n int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for range n {
		d.ctrData = protocol.NextCtrData(d.ctrData)
		d.counter++
	}
}

// signOffline computes an offline DECIMAL signature of the offline
// normalized data (secret "offline") and advances the counter.
func (d *testDevice) signOffline(t testing.TB, typ protocol.SignatureType, offlineData string, length int) string {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	sig, err := protocol.ComputeSignature(d.Keys, typ, d.ctrData, protocol.SignatureData(offlineData, protocol.OfflineApplicationSecret),
		protocol.FormatDecimal, length)
	if err != nil {
		t.Fatal(err)
	}
	d.ctrData = protocol.NextCtrData(d.ctrData)
	d.counter++
	return sig
}

// verifyInput builds a VerifySignatureInput for the device's application.
func (d *testDevice) verifyInput(typ protocol.SignatureType, version, requestData, sig string) VerifySignatureInput {
	return VerifySignatureInput{
		ActivationID: d.ActivationID, ApplicationKey: d.App.Version.ApplicationKey, Data: requestData,
		Signature: sig, SignatureType: typ, SignatureVersion: version,
	}
}

// loadActivation reads the stored activation.
func loadActivation(t testing.TB, svc *Service, id string) domain.Activation {
	t.Helper()
	a, err := svc.store.GetActivation(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// wrongSignature returns a well-formed signature that does not match.
func wrongSignature(typ protocol.SignatureType, version string) string {
	n := len(typ.Factors())
	if protocol.SignatureFormatForVersion(version) == protocol.FormatDecimal {
		s := "00000000"
		for i := 1; i < n; i++ {
			s += "-00000000"
		}
		return s
	}
	return base64.StdEncoding.EncodeToString(make([]byte, 16*n))
}
