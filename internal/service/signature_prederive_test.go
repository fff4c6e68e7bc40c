package service

import (
	"context"
	"testing"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/protocol"
)

// rekey gives the stored activation a new device and server key pair (as
// if it changed between the unlocked read and the locked verification)
// and points the test device at the new keys.
func rekey(t *testing.T, svc *Service, d *testDevice) {
	t.Helper()
	devicePriv, err := protocol.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	serverPriv, err := protocol.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := svc.store.InTx(ctx, func(tx store.Tx) error {
		a, err := tx.GetActivationForUpdate(ctx, d.ActivationID)
		if err != nil {
			return err
		}
		a.DevicePublicKey = devicePriv.Public().Compressed()
		a.ServerPrivateKeyEncrypted = svc.sealPrivateKey(serverPriv, activationKeyContext(d.ActivationID))
		a.ServerPublicKey = serverPriv.Public().Uncompressed()
		return tx.UpdateActivation(ctx, &a)
	}); err != nil {
		t.Fatal(err)
	}
	keys, err := protocol.DeriveActivationKeysECDH(devicePriv, serverPriv.Public())
	if err != nil {
		t.Fatal(err)
	}
	d.DevicePriv, d.Keys = devicePriv, keys
}

// verifyWithPre runs one verification with keys derived beforehand.
func verifyWithPre(t *testing.T, svc *Service, in VerifySignatureInput, pre *derivedKeys) VerifySignatureResult {
	t.Helper()
	var res VerifySignatureResult
	if err := svc.store.InTx(context.Background(), func(tx store.Tx) error {
		var err error
		res, _, err = svc.verifySignatureTxKeys(context.Background(), tx, in, pre)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return res
}

func TestVerifySignaturePreDerivedKeys(t *testing.T) {
	svc, _ := newSQLiteService(t)
	app := createTestApp(t, svc)
	typ, version := protocol.SignaturePossessionKnowledge, protocol.Version33

	t.Run("unchanged keys are used", func(t *testing.T) {
		d := newActiveTestActivation(t, svc, app)
		pre := svc.preDeriveKeys(context.Background(), d.ActivationID, "")
		if pre == nil || pre.keysFor(loadActivation(t, svc, d.ActivationID)) == nil {
			t.Fatal("no pre-derived keys for an ACTIVE activation")
		}
		data := testRequestData(`{"a":1}`)
		if res := verifyWithPre(t, svc, d.verifyInput(typ, version, data, d.sign(t, typ, version, data)), pre); !res.SignatureValid {
			t.Fatalf("valid signature rejected with pre-derived keys: %+v", res)
		}
		if a := loadActivation(t, svc, d.ActivationID); a.Counter != 1 {
			t.Fatalf("counter = %d, want 1", a.Counter)
		}
	})

	t.Run("keys changed after the unlocked read", func(t *testing.T) {
		d := newActiveTestActivation(t, svc, app)
		pre := svc.preDeriveKeys(context.Background(), d.ActivationID, "")
		if pre == nil {
			t.Fatal("no pre-derived keys")
		}
		oldKeys := d.Keys
		rekey(t, svc, d)
		if pre.keysFor(loadActivation(t, svc, d.ActivationID)) != nil {
			t.Fatal("stale pre-derived keys accepted for changed key material")
		}
		// A signature with the new keys verifies: the stale keys were not used.
		data := testRequestData(`{"a":2}`)
		if res := verifyWithPre(t, svc, d.verifyInput(typ, version, data, d.sign(t, typ, version, data)), pre); !res.SignatureValid {
			t.Fatalf("signature with the current keys rejected: %+v", res)
		}
		// A signature with the old keys fails, even though pre holds them.
		d.Keys = oldKeys
		data = testRequestData(`{"a":3}`)
		res := verifyWithPre(t, svc, d.verifyInput(typ, version, data, d.sign(t, typ, version, data)), pre)
		if res.SignatureValid {
			t.Fatal("signature with the replaced keys accepted")
		}
		if a := loadActivation(t, svc, d.ActivationID); a.FailedAttempts != 1 || a.Counter != 1 {
			t.Fatalf("after a failed attempt: failed=%d counter=%d, want 1 and 1", a.FailedAttempts, a.Counter)
		}
	})

	t.Run("no pre-derivation for unusable activations", func(t *testing.T) {
		if pre := svc.preDeriveKeys(context.Background(), "00000000-0000-4000-8000-000000000000", ""); pre != nil {
			t.Fatal("pre-derived keys for an unknown activation")
		}
		d := newActiveTestActivation(t, svc, app)
		ctx := context.Background()
		if err := svc.store.InTx(ctx, func(tx store.Tx) error {
			a, err := tx.GetActivationForUpdate(ctx, d.ActivationID)
			if err != nil {
				return err
			}
			a.Status = domain.ActivationBlocked
			return tx.UpdateActivation(ctx, &a)
		}); err != nil {
			t.Fatal(err)
		}
		if pre := svc.preDeriveKeys(ctx, d.ActivationID, ""); pre != nil {
			t.Fatal("pre-derived keys for a BLOCKED activation")
		}
	})
}

func TestDerivedKeysFor(t *testing.T) {
	keys := &protocol.ActivationKeys{}
	a := domain.Activation{ServerPrivateKeyEncrypted: []byte{1, 2}, DevicePublicKey: []byte{3, 4}}
	tests := []struct {
		name string
		k    *derivedKeys
		want bool
	}{
		{"nil", nil, false},
		{"no server key", &derivedKeys{devicePublicKey: []byte{3, 4}, keys: keys}, false},
		{"other server key", &derivedKeys{serverKeyEncrypted: []byte{1, 9}, devicePublicKey: []byte{3, 4}, keys: keys}, false},
		{"other device key", &derivedKeys{serverKeyEncrypted: []byte{1, 2}, devicePublicKey: []byte{3, 9}, keys: keys}, false},
		{"same material", &derivedKeys{serverKeyEncrypted: []byte{1, 2}, devicePublicKey: []byte{3, 4}, keys: keys}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.k.keysFor(a) != nil; got != tc.want {
				t.Fatalf("keysFor = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestVerifySignaturePreReadApplicationVersion(t *testing.T) {
	svc, _ := newSQLiteService(t)
	ctx := context.Background()
	app := createTestApp(t, svc)
	other := createTestApp(t, svc)
	typ, version := protocol.SignaturePossessionKnowledge, protocol.Version33

	t.Run("supported version is read before the transaction", func(t *testing.T) {
		d := newActiveTestActivation(t, svc, app)
		pre := svc.preDeriveKeys(ctx, d.ActivationID, app.Version.ApplicationKey)
		a := loadActivation(t, svc, d.ActivationID)
		if p := pre.applicationFor(a); p == nil || p.Name != app.App.Name {
			t.Fatalf("pre-read application = %+v, want %s", p, app.App.Name)
		}
		if p := pre.versionFor(a, app.Version.ApplicationKey); p == nil || p.ApplicationSecret != app.Version.ApplicationSecret {
			t.Fatalf("pre-read version = %+v", p)
		}
		data := testRequestData(`{"v":1}`)
		res := verifyWithPre(t, svc, d.verifyInput(typ, version, data, d.sign(t, typ, version, data)), pre)
		if !res.SignatureValid || res.ApplicationID != app.App.Name {
			t.Fatalf("valid signature with pre-read version: %+v", res)
		}
	})

	t.Run("foreign or unknown keys are decided in the transaction", func(t *testing.T) {
		d := newActiveTestActivation(t, svc, app)
		for _, key := range []string{other.Version.ApplicationKey, "bm8tc3VjaC1rZXk="} {
			pre := svc.preDeriveKeys(ctx, d.ActivationID, key)
			if pre == nil {
				t.Fatal("no pre-derived keys")
			}
			if pre.versionFor(loadActivation(t, svc, d.ActivationID), key) != nil {
				t.Fatalf("pre-read version accepted for key %q", key)
			}
			in := d.verifyInput(typ, version, testRequestData(`{}`), "AAAAAAAAAAAAAAAAAAAAAA==")
			in.ApplicationKey = key
			if res := verifyWithPre(t, svc, in, pre); res.SignatureValid || res.ActivationStatus != domain.ActivationActive {
				t.Fatalf("signature with key %q: %+v", key, res)
			}
		}
		if a := loadActivation(t, svc, d.ActivationID); a.FailedAttempts != 2 {
			t.Fatalf("failed attempts = %d, want 2", a.FailedAttempts)
		}
	})

	t.Run("unsupported version is rejected", func(t *testing.T) {
		v, err := svc.CreateApplicationVersion(ctx, app.App.Name, "v-unsupported")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.SetApplicationVersionSupported(ctx, app.App.Name, v.Name, false); err != nil {
			t.Fatal(err)
		}
		d := newActiveTestActivation(t, svc, app)
		pre := svc.preDeriveKeys(ctx, d.ActivationID, v.ApplicationKey)
		if pre == nil {
			t.Fatal("no pre-derived keys")
		}
		if pre.versionFor(loadActivation(t, svc, d.ActivationID), v.ApplicationKey) != nil {
			t.Fatal("unsupported version taken from the pre-read")
		}
		data := testRequestData(`{"v":2}`)
		in := d.verifyInput(typ, version, data, d.sign(t, typ, version, data))
		in.ApplicationKey = v.ApplicationKey
		if res := verifyWithPre(t, svc, in, pre); res.SignatureValid {
			t.Fatalf("signature with an unsupported version accepted: %+v", res)
		}
	})
}

func TestDerivedKeysVersionFor(t *testing.T) {
	a := domain.Activation{ApplicationID: 7}
	v := func(appID int64, key string, supported bool) *derivedKeys {
		return &derivedKeys{version: &domain.ApplicationVersion{ApplicationID: appID, ApplicationKey: key, Supported: supported}}
	}
	tests := []struct {
		name string
		k    *derivedKeys
		want bool
	}{
		{"nil", nil, false},
		{"no version", &derivedKeys{}, false},
		{"other key", v(7, "k2", true), false},
		{"other application", v(8, "k", true), false},
		{"unsupported", v(7, "k", false), false},
		{"usable", v(7, "k", true), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.k.versionFor(a, "k") != nil; got != tc.want {
				t.Fatalf("versionFor = %v, want %v", got, tc.want)
			}
		})
	}
	if (&derivedKeys{app: &domain.Application{ID: 8}}).applicationFor(a) != nil {
		t.Fatal("application of another id accepted")
	}
}
