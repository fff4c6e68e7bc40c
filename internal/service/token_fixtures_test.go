package service

import (
	"context"
	"encoding/base64"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/protocol"
)

// encTestActivation is an activation built directly in the store, with the
// keys the device side holds.
type encTestActivation struct {
	ID        string
	App       testApp
	Keys      *protocol.ActivationKeys // device-side derived keys
	ServerPub *protocol.PublicKey
	DevPriv   *protocol.PrivateKey
	CtrData   []byte // the device's next CTR_DATA (version 3)
}

// newEncTestActivation stores an activation of app in the given status and
// crypto version, with fresh device and server key pairs.
func newEncTestActivation(t testing.TB, svc *Service, app testApp, status domain.ActivationStatus, version int) encTestActivation {
	t.Helper()
	dev, err := protocol.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := protocol.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	id := uuid.NewString()
	now := svc.Now()
	a := domain.Activation{
		ActivationID:              id,
		ApplicationID:             app.App.ID,
		UserID:                    "user-" + id[:8],
		Name:                      "test device",
		Status:                    status,
		DevicePublicKey:           dev.Public().Compressed(),
		ServerPrivateKeyEncrypted: svc.sealPrivateKey(srv, activationKeyContext(id)),
		ServerPublicKey:           srv.Public().Uncompressed(),
		Protocol:                  domain.ProtocolPowerAuth,
		MaxFailedAttempts:         5,
		Flags:                     []string{"FLAG_A"},
		Created:                   now,
		ActivationExpire:          now.Add(time.Hour),
		Version:                   version,
	}
	if version == 3 {
		a.CtrData = protocol.RandomBytes(protocol.CtrDataSize)
	}
	if status == domain.ActivationBlocked {
		a.BlockedReason = domain.BlockedReasonNotSpecified
	}
	if err := svc.store.InTx(context.Background(), func(tx store.Tx) error { return tx.CreateActivation(context.Background(), &a) }); err != nil {
		t.Fatal(err)
	}
	keys, err := protocol.DeriveActivationKeysECDH(dev, srv.Public())
	if err != nil {
		t.Fatal(err)
	}
	return encTestActivation{ID: id, App: app, Keys: keys, ServerPub: srv.Public(), DevPriv: dev, CtrData: a.CtrData}
}

// setEncTestStatus changes an activation's status in the store.
func setEncTestStatus(t testing.TB, svc *Service, id string, status domain.ActivationStatus) {
	t.Helper()
	ctx := context.Background()
	err := svc.store.InTx(ctx, func(tx store.Tx) error {
		a, err := tx.GetActivationForUpdate(ctx, id)
		if err != nil {
			return err
		}
		a.Status = status
		return tx.UpdateActivation(ctx, &a)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// eciesFor builds the device-side ECIES context of a use case.
func (ta encTestActivation) eciesContext(version, sh1, tempKeyID string) protocol.EciesContext {
	return protocol.EciesContext{
		Version:           version,
		SharedInfo1:       sh1,
		ApplicationKey:    ta.App.Version.ApplicationKey,
		ApplicationSecret: ta.App.Version.ApplicationSecret,
		ActivationID:      ta.ID,
		TemporaryKeyID:    tempKeyID,
		TransportKey:      ta.Keys.Transport,
	}
}

// encryptForServer encrypts plaintext like a device does and returns the
// private API's ECIES-in fields and the envelope for the response.
func encryptForServer(t testing.TB, key *protocol.PublicKey, ectx protocol.EciesContext, plaintext []byte, now time.Time) (EciesRequest, *protocol.EciesEnvelope) {
	t.Helper()
	req, env, err := protocol.EncryptRequest(key, ectx, plaintext, now)
	if err != nil {
		t.Fatal(err)
	}
	return eciesRequestOf(req, ectx.Version), env
}

// eciesRequestOf converts a protocol request to the wire strings.
func eciesRequestOf(req *protocol.EncryptedRequest, version string) EciesRequest {
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

// decryptFromServer decrypts a response like a device does.
func decryptFromServer(t testing.TB, env *protocol.EciesEnvelope, resp *EciesResponse) []byte {
	t.Helper()
	if resp == nil {
		t.Fatal("no encrypted response")
	}
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
	r := &protocol.EncryptedResponse{EncryptedData: dec(resp.EncryptedData), MAC: dec(resp.Mac), Nonce: dec(resp.Nonce)}
	if resp.Timestamp != nil {
		r.Timestamp = *resp.Timestamp
	}
	plain, err := env.DecryptResponse(r)
	if err != nil {
		t.Fatalf("decrypt response: %v", err)
	}
	return plain
}
