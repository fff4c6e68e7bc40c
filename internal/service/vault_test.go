package service

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/teststore"
	"github.com/mauth/mauth/protocol"
)

// vaultDevice signs vault unlock requests for an encTestActivation.
type vaultDevice struct {
	svc *Service
	ta  encTestActivation
	ctr []byte
}

// request encrypts payload (activation scope, /pa/vault/unlock) and signs
// the encrypted body with keys (the device's own, or with a wrong PIN).
func (d *vaultDevice) request(t testing.TB, keys *protocol.ActivationKeys, typ protocol.SignatureType, version, payload string, encKey *protocol.PublicKey, tempKeyID string) (VaultUnlockInput, *protocol.EciesEnvelope) {
	t.Helper()
	if encKey == nil {
		encKey = d.ta.ServerPub
	}
	req, env, err := protocol.EncryptRequest(encKey, d.ta.eciesContext(version, protocol.SharedInfo1VaultUnlock, tempKeyID), []byte(payload), d.svc.Now())
	if err != nil {
		t.Fatal(err)
	}
	body, err := req.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	signed := protocol.RequestData("POST", "/pa/vault/unlock", protocol.RandomBytes(16), body)
	sig, err := protocol.ComputeSignature(keys, typ, d.ctr, protocol.SignatureData(signed, d.ta.App.Version.ApplicationSecret),
		protocol.SignatureFormatForVersion(version), protocol.OnlineDecimalLength)
	if err != nil {
		t.Fatal(err)
	}
	d.ctr = protocol.NextCtrData(d.ctr)
	return VaultUnlockInput{
		ActivationID: d.ta.ID, ApplicationKey: d.ta.App.Version.ApplicationKey, SignedData: signed, Signature: sig,
		SignatureType: typ, SignatureVersion: version, Request: eciesRequestOf(req, version),
	}, env
}

// vaultKeyOf decrypts a vault unlock response and returns the unwrapped
// vault key (nil when the response has none).
func vaultKeyOf(t testing.TB, ta encTestActivation, env *protocol.EciesEnvelope, resp *EciesResponse) []byte {
	t.Helper()
	var p struct {
		EncryptedVaultEncryptionKey *string `json:"encryptedVaultEncryptionKey"`
	}
	if err := json.Unmarshal(decryptFromServer(t, env, resp), &p); err != nil {
		t.Fatal(err)
	}
	if p.EncryptedVaultEncryptionKey == nil {
		return nil
	}
	wrapped, err := base64.StdEncoding.DecodeString(*p.EncryptedVaultEncryptionKey)
	if err != nil {
		t.Fatal(err)
	}
	k, err := protocol.UnwrapVaultKey(ta.Keys.Transport, wrapped)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestVaultUnlock(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		svc, _ := newTestService(t, st, Config{})
		ctx := context.Background()
		app := createTestApp(t, svc)
		// This device changes protocol versions between requests.
		allow := true
		if _, err := svc.UpdateApplicationProtocolSettings(ctx, app.App.Name, ApplicationProtocolUpdate{AllowVersionDowngrade: &allow}); err != nil {
			t.Fatal(err)
		}
		ta := newEncTestActivation(t, svc, app, domain.ActivationActive, 3)
		dev := &vaultDevice{svc: svc, ta: ta, ctr: ta.CtrData}

		// Right PIN: the vault key comes back wrapped with the transport key.
		in, env := dev.request(t, ta.Keys, protocol.SignaturePossessionKnowledge, protocol.Version32, `{"reason":"ADD_BIOMETRY"}`, nil, "")
		res, err := svc.UnlockVault(ctx, in)
		if err != nil || !res.SignatureValid {
			t.Fatalf("unlock: %+v %v", res, err)
		}
		if k := vaultKeyOf(t, ta, env, res.Response); !bytes.Equal(k, ta.Keys.Vault) {
			t.Fatal("vault key mismatch")
		}
		// The same request again is an ECIES replay.
		if _, err := svc.UnlockVault(ctx, in); CodeOf(err) != CodeDecryptionFailed {
			t.Fatalf("replay: %v", err)
		}

		// Wrong PIN: no key, and the failure is counted.
		wrongPIN := *ta.Keys
		wrongPIN.Knowledge = protocol.RandomBytes(16)
		in, env = dev.request(t, &wrongPIN, protocol.SignaturePossessionKnowledge, protocol.Version31, `{"reason":"FETCH_ENCRYPTION_KEY"}`, nil, "")
		res, err = svc.UnlockVault(ctx, in)
		if err != nil || res.SignatureValid {
			t.Fatalf("wrong PIN: %+v %v", res, err)
		}
		if k := vaultKeyOf(t, ta, env, res.Response); k != nil {
			t.Fatal("vault key released for a wrong PIN")
		}
		a, err := st.GetActivation(ctx, ta.ID)
		if err != nil || a.FailedAttempts != 1 || a.Status != domain.ActivationActive {
			t.Fatalf("after wrong PIN: %+v %v", a, err)
		}

		// The audit log records the reason; no reason means NOT_SPECIFIED.
		in, env = dev.request(t, ta.Keys, protocol.SignaturePossessionKnowledge, protocol.Version30, `{}`, nil, "")
		res, err = svc.UnlockVault(ctx, in)
		if err != nil || !res.SignatureValid || !bytes.Equal(vaultKeyOf(t, ta, env, res.Response), ta.Keys.Vault) {
			t.Fatalf("3.0 unlock: %+v %v", res, err)
		}
		audits, err := st.ListSignatureAudits(ctx, store.SignatureAuditFilter{ActivationID: ta.ID})
		if err != nil || len(audits) != 3 {
			t.Fatalf("audits: %d %v", len(audits), err)
		}
		reasons := map[string]bool{}
		for _, au := range audits {
			reasons[au.AdditionalInfo[AuditInfoVaultUnlockReason]] = au.Valid
		}
		if !reasons["ADD_BIOMETRY"] || reasons["FETCH_ENCRYPTION_KEY"] || !reasons[VaultUnlockReasonNotSpecified] {
			t.Fatalf("audit reasons %v", reasons)
		}
		a, err = st.GetActivation(ctx, ta.ID)
		if err != nil || a.FailedAttempts != 0 {
			t.Fatalf("failures not reset: %+v %v", a, err)
		}
	})
}

func TestVaultUnlockRejects(t *testing.T) {
	svc, _ := newSQLiteService(t)
	ctx := context.Background()
	app := createTestApp(t, svc)
	otherApp := createTestApp(t, svc)
	ta := newEncTestActivation(t, svc, app, domain.ActivationActive, 3)
	dev := &vaultDevice{svc: svc, ta: ta, ctr: ta.CtrData}

	// Weaker signature types are refused outright.
	for _, typ := range []protocol.SignatureType{protocol.SignaturePossession, protocol.SignatureKnowledge, protocol.SignaturePossessionBiometry, protocol.SignaturePossessionKnowledgeBiometry} {
		in, _ := dev.request(t, ta.Keys, typ, protocol.Version32, `{}`, nil, "")
		if _, err := svc.UnlockVault(ctx, in); CodeOf(err) != CodeInvalidSignature {
			t.Errorf("%s: %v", typ, err)
		}
	}
	// A malformed reason is rejected before the signature is looked at.
	in, _ := dev.request(t, ta.Keys, protocol.SignaturePossessionKnowledge, protocol.Version32, `{"reason":"no spaces allowed"}`, nil, "")
	if _, err := svc.UnlockVault(ctx, in); CodeOf(err) != CodeInvalidInputFormat {
		t.Fatalf("bad reason: %v", err)
	}
	// An unreadable payload: invalid, answered without the key, not counted.
	in, env := dev.request(t, ta.Keys, protocol.SignaturePossessionKnowledge, protocol.Version32, `not json`, nil, "")
	if res, err := svc.UnlockVault(ctx, in); err != nil || res.SignatureValid || vaultKeyOf(t, ta, env, res.Response) != nil {
		t.Fatalf("unreadable payload: %+v %v", res, err)
	}
	// An unknown application key: invalid, nothing released, nothing counted.
	in, _ = dev.request(t, ta.Keys, protocol.SignaturePossessionKnowledge, protocol.Version32, `{}`, nil, "")
	in.ApplicationKey = otherApp.Version.ApplicationKey
	if res, err := svc.UnlockVault(ctx, in); err != nil || res.SignatureValid || res.Response != nil {
		t.Fatalf("other application: %+v %v", res, err)
	}
	if a := loadActivation(t, svc, ta.ID); a.FailedAttempts != 0 {
		t.Fatalf("failures counted: %d", a.FailedAttempts)
	}
	// Missing signature fields.
	in, _ = dev.request(t, ta.Keys, protocol.SignaturePossessionKnowledge, protocol.Version32, `{}`, nil, "")
	in.Signature = ""
	if _, err := svc.UnlockVault(ctx, in); CodeOf(err) != CodeInvalidRequest {
		t.Fatalf("missing signature: %v", err)
	}
	// A blocked activation unlocks nothing.
	setEncTestStatus(t, svc, ta.ID, domain.ActivationBlocked)
	in, _ = dev.request(t, ta.Keys, protocol.SignaturePossessionKnowledge, protocol.Version32, `{}`, nil, "")
	if res, err := svc.UnlockVault(ctx, in); err != nil || res.SignatureValid || res.Response != nil {
		t.Fatalf("blocked: %+v %v", res, err)
	}
	in.ActivationID = "4f1e2d3c-0000-4000-8000-000000000001"
	if res, err := svc.UnlockVault(ctx, in); err != nil || res.SignatureValid || res.Response != nil {
		t.Fatalf("unknown activation: %+v %v", res, err)
	}
}

func TestVaultUnlockBiometryAndTemporaryKey(t *testing.T) {
	svc, _ := newTestService(t, teststore.SQLite(t), Config{VaultUnlockAllowBiometry: true})
	ctx := context.Background()
	app := createTestApp(t, svc)
	ta := newEncTestActivation(t, svc, app, domain.ActivationActive, 3)
	dev := &vaultDevice{svc: svc, ta: ta, ctr: ta.CtrData}
	tk := requestTemporaryKey(t, svc, app, &ta)

	in, env := dev.request(t, ta.Keys, protocol.SignaturePossessionBiometry, protocol.Version33, `{"reason":"SIGN_WITH_DEVICE_PRIVATE_KEY"}`, tk.PublicKey, tk.TemporaryKeyID)
	in.Request.ProtocolVersion = "" // defaults to the signature version
	res, err := svc.UnlockVault(ctx, in)
	if err != nil || !res.SignatureValid || !bytes.Equal(vaultKeyOf(t, ta, env, res.Response), ta.Keys.Vault) {
		t.Fatalf("biometry over 3.3: %+v %v", res, err)
	}
	in, _ = dev.request(t, ta.Keys, protocol.SignaturePossessionKnowledgeBiometry, protocol.Version33, `{}`, tk.PublicKey, tk.TemporaryKeyID)
	if _, err := svc.UnlockVault(ctx, in); CodeOf(err) != CodeInvalidSignature {
		t.Fatalf("three factors: %v", err)
	}
}
