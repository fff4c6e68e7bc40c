package coreclient_test

import (
	"context"
	"encoding/base64"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/api/public"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/protocol"
)

// TestCoreMethods drives every public.Core method through the in-process
// service and through the private REST API, holding both to the same
// expectations, in protocol versions 3.2 and 3.3.
func TestCoreMethods(t *testing.T) {
	for _, version := range []string{protocol.Version32, protocol.Version33} {
		f := newFixture(t)
		for i, m := range f.modes() {
			t.Run(version+"/"+m.name, func(t *testing.T) {
				a := f.createApp(t, "app-"+strconv.Itoa(i))
				runCoreScenario(t, f, m.core, a, version)
			})
		}
	}
}

func runCoreScenario(t *testing.T, f *fixture, core public.Core, a testApp, version string) {
	ctx := context.Background()

	// LookupApplicationByKey.
	app, ver, err := core.LookupApplicationByKey(ctx, a.key)
	if err != nil {
		t.Fatalf("lookup: %v", err)
	}
	if app.Name != a.name || !slices.Equal(app.Roles, []string{"ROLE_A"}) || ver.Name != service.DefaultVersionName ||
		ver.ApplicationKey != a.key || ver.ApplicationSecret != a.secret || !ver.Supported {
		t.Fatalf("lookup: %+v %+v", app, ver)
	}

	// PrepareActivation after activation/init.
	init, err := f.svc.InitActivation(ctx, service.InitActivationInput{UserID: "alice", ApplicationID: a.name})
	if err != nil {
		t.Fatal(err)
	}
	d := newDevice(t)
	req, env := encrypt(t, core, a, version, protocol.SharedInfo1ActivationLayer2, nil, d.layer2(t))
	kx, err := core.PrepareActivation(ctx, service.PrepareActivationInput{ActivationCode: init.ActivationCode, ApplicationKey: a.key, GenerateRecoveryCodes: true, Request: req})
	if err != nil {
		t.Fatalf("prepare: %v", err)
	}
	if kx.Activation.ActivationID != init.ActivationID || kx.Activation.UserID != "alice" || kx.Activation.ApplicationName != a.name || kx.Activation.Status != domain.ActivationPendingCommit {
		t.Fatalf("prepare: %+v", kx.Activation)
	}
	d.finishKeyExchange(t, env, kx.Response)
	if d.id != init.ActivationID || d.recoveryCode == "" || d.puk == "" {
		t.Fatalf("layer 2: id %q, recovery code issued %v", d.id, d.recoveryCode != "")
	}

	// GetActivationStatus before and after CommitActivation.
	checkStatus(t, core, d, domain.ActivationPendingCommit)
	committed, err := core.CommitActivation(ctx, d.id, "admin", "")
	if err != nil || committed.ActivationID != d.id || committed.Status != domain.ActivationActive {
		t.Fatalf("commit: %+v %v", committed, err)
	}
	st := checkStatus(t, core, d, domain.ActivationActive)
	fp := protocol.ActivationFingerprint(d.priv.Public(), d.id, d.serverPub)
	act := st.Activation
	if act.UserID != "alice" || act.ApplicationName != a.name || act.Name != "Test phone" || act.Platform != "android" ||
		act.DeviceInfo != "Pixel" || act.Version != 3 || act.MaxFailedAttempts != 5 || act.Protocol != domain.ProtocolPowerAuth ||
		act.Created.IsZero() || st.DevicePublicKeyFingerprint != fp || !slices.Equal(st.ApplicationRoles, []string{"ROLE_A"}) {
		t.Fatalf("status: %+v fingerprint %q roles %v", act, st.DevicePublicKeyFingerprint, st.ApplicationRoles)
	}

	// VerifySignature: a valid two-factor signature, then a wrong PIN.
	res, err := core.VerifySignature(ctx, d.sign(t, a, version, protocol.SignaturePossessionKnowledge, d.keys, []byte(`{"a":1}`)))
	if err != nil || !res.SignatureValid || res.ActivationID != d.id || res.UserID != "alice" || res.ApplicationID != a.name ||
		res.SignatureType != protocol.SignaturePossessionKnowledge || res.ActivationStatus != domain.ActivationActive ||
		!slices.Equal(res.ApplicationRoles, []string{"ROLE_A"}) {
		t.Fatalf("verify: %+v %v", res, err)
	}
	res, err = core.VerifySignature(ctx, d.sign(t, a, version, protocol.SignaturePossessionKnowledge, d.wrongPIN(), nil))
	if err != nil || res.SignatureValid || res.RemainingAttempts == nil || *res.RemainingAttempts != 4 || res.ActivationStatus != domain.ActivationActive {
		t.Fatalf("verify with a wrong PIN: %+v %v", res, err)
	}

	// CreateToken, ValidateToken, RemoveToken.
	treq, tenv := encrypt(t, core, a, version, protocol.SharedInfo1TokenCreate, d, []byte("{}"))
	tresp, err := core.CreateToken(ctx, service.CreateTokenInput{ActivationID: d.id, ApplicationKey: a.key, SignatureType: protocol.SignaturePossessionKnowledge, Request: treq})
	if err != nil {
		t.Fatalf("create token: %v", err)
	}
	var tok struct {
		TokenID     string `json:"tokenId"`
		TokenSecret string `json:"tokenSecret"`
	}
	decrypt(t, tenv, tresp, &tok)
	secret, err := base64.StdEncoding.DecodeString(tok.TokenSecret)
	if err != nil || tok.TokenID == "" {
		t.Fatalf("token %+v", tok)
	}
	vres, err := core.ValidateToken(ctx, tokenInput(tok.TokenID, secret, version))
	if err != nil || !vres.TokenValid || vres.ActivationID != d.id || vres.UserID != "alice" || vres.ApplicationID != a.name ||
		vres.ActivationStatus != domain.ActivationActive || vres.SignatureType != protocol.SignaturePossessionKnowledge {
		t.Fatalf("validate token: %+v %v", vres, err)
	}
	vres, err = core.ValidateToken(ctx, tokenInput(tok.TokenID, protocol.RandomBytes(16), version))
	if err != nil || vres.TokenValid {
		t.Fatalf("validate a wrong digest: %+v %v", vres, err)
	}
	if removed, err := core.RemoveToken(ctx, tok.TokenID, d.id); err != nil || !removed {
		t.Fatalf("remove token: %v %v", removed, err)
	}
	if removed, err := core.RemoveToken(ctx, tok.TokenID, d.id); err != nil || removed {
		t.Fatalf("remove a removed token: %v %v", removed, err)
	}

	// UnlockVault releases the vault key wrapped with the transport key.
	vreq, venv := encrypt(t, core, a, version, protocol.SharedInfo1VaultUnlock, d, []byte(`{"reason":"TEST"}`))
	sig := d.sign(t, a, version, protocol.SignaturePossessionKnowledge, d.keys, []byte(vreq.EncryptedData))
	vault, err := core.UnlockVault(ctx, service.VaultUnlockInput{
		ActivationID: d.id, ApplicationKey: a.key, SignedData: sig.Data, Signature: sig.Signature,
		SignatureType: sig.SignatureType, SignatureVersion: version, Request: vreq,
	})
	if err != nil || !vault.SignatureValid {
		t.Fatalf("vault unlock: %+v %v", vault, err)
	}
	var vk struct {
		EncryptedVaultEncryptionKey string `json:"encryptedVaultEncryptionKey"`
	}
	decrypt(t, venv, vault.Response, &vk)
	wrapped, _ := base64.StdEncoding.DecodeString(vk.EncryptedVaultEncryptionKey)
	if key, err := protocol.UnwrapVaultKey(d.keys.Transport, wrapped); err != nil || !protocol.Equal(key, d.keys.Vault) {
		t.Fatalf("vault key: %v", err)
	}

	// EciesDecryptor in both scopes: the secrets open the device's request.
	for _, scope := range []*device{nil, d} {
		sh1 := protocol.SharedInfo1GenericApplication
		if scope != nil {
			sh1 = protocol.SharedInfo1GenericActivation
		}
		ereq, eenv := encrypt(t, core, a, version, sh1, scope, []byte(`{"hello":"world"}`))
		in := service.EciesDecryptorInput{ApplicationKey: a.key, EphemeralPublicKey: ereq.EphemeralPublicKey, Nonce: ereq.Nonce, Timestamp: ereq.Timestamp, ProtocolVersion: version, TemporaryKeyID: ereq.TemporaryKeyID}
		if scope != nil {
			in.ActivationID = scope.id
		}
		secrets, err := core.EciesDecryptor(ctx, in)
		if err != nil {
			t.Fatalf("decryptor (%s): %v", sh1, err)
		}
		want := eenv.Secrets()
		if !protocol.Equal(secrets.EnvelopeKey, want.EnvelopeKey) || !protocol.Equal(secrets.SharedInfo2Base, want.SharedInfo2Base) {
			t.Fatalf("decryptor (%s): secrets differ from the device's", sh1)
		}
	}

	// ConfirmRecoveryCode of the code issued with the activation.
	rreq, renv := encrypt(t, core, a, version, protocol.SharedInfo1RecoveryConfirm, d, []byte(`{"recoveryCode":"`+d.recoveryCode+`"}`))
	conf, err := core.ConfirmRecoveryCode(ctx, service.ConfirmRecoveryCodeInput{ActivationID: d.id, ApplicationKey: a.key, Request: rreq})
	if err != nil || conf.ActivationID != d.id || conf.UserID != "alice" {
		t.Fatalf("confirm recovery code: %+v %v", conf, err)
	}
	var confirmed struct {
		AlreadyConfirmed bool `json:"alreadyConfirmed"`
	}
	decrypt(t, renv, conf.Response, &confirmed)
	if !confirmed.AlreadyConfirmed {
		t.Fatal("a recovery code issued with the activation should be confirmed already")
	}

	// UpdateActivationName.
	renamed, err := core.UpdateActivationName(ctx, d.id, "Work phone", "admin")
	if err != nil || renamed.ActivationID != d.id || renamed.Name != "Work phone" || renamed.Status != domain.ActivationActive {
		t.Fatalf("rename: %+v %v", renamed, err)
	}

	// StartUpgrade and CommitUpgrade of a version 2 activation.
	checkUpgrade(t, f, core, a, version)

	// CreateActivationWithRecoveryCode: a wrong PUK, then the right one
	// replaces the lost device.
	d2 := newDevice(t)
	wrongPUK := "0000000000"
	if d.puk == wrongPUK {
		wrongPUK = "1111111111"
	}
	req, _ = encrypt(t, core, a, version, protocol.SharedInfo1ActivationLayer2, nil, d2.layer2(t))
	_, err = core.CreateActivationWithRecoveryCode(ctx, service.RecoveryActivationInput{RecoveryCode: d.recoveryCode, PUK: wrongPUK, ApplicationKey: a.key, Request: req})
	var se *service.Error
	if !errors.As(err, &se) || se.Code != service.CodeRecovery || se.CurrentRecoveryPukIndex == nil || *se.CurrentRecoveryPukIndex != 1 {
		t.Fatalf("recovery with a wrong PUK: %v", err)
	}
	req, env = encrypt(t, core, a, version, protocol.SharedInfo1ActivationLayer2, nil, d2.layer2(t))
	kx, err = core.CreateActivationWithRecoveryCode(ctx, service.RecoveryActivationInput{RecoveryCode: d.recoveryCode, PUK: d.puk, ApplicationKey: a.key, GenerateRecoveryCodes: true, Request: req})
	if err != nil {
		t.Fatalf("recovery: %v", err)
	}
	d2.finishKeyExchange(t, env, kx.Response)
	if kx.Activation.ActivationID != d2.id || kx.Activation.UserID != "alice" || kx.Activation.Status != domain.ActivationPendingCommit {
		t.Fatalf("recovery: %+v", kx.Activation)
	}
	checkStatus(t, core, d2, domain.ActivationPendingCommit)
	checkStatus(t, core, d, domain.ActivationRemoved)

	// CreateActivation for a known user, then RemoveActivation.
	d3 := newDevice(t)
	req, env = encrypt(t, core, a, version, protocol.SharedInfo1ActivationLayer2, nil, d3.layer2(t))
	kx, err = core.CreateActivation(ctx, service.CreateActivationInput{
		UserID: "bob", ApplicationKey: a.key, ActivationExpire: time.Now().Add(time.Hour), MaxFailureCount: 3, Request: req,
	})
	if err != nil {
		t.Fatalf("create activation: %v", err)
	}
	d3.finishKeyExchange(t, env, kx.Response)
	if kx.Activation.ActivationID != d3.id || kx.Activation.UserID != "bob" || kx.Activation.ApplicationName != a.name {
		t.Fatalf("create activation: %+v", kx.Activation)
	}
	if st := checkStatus(t, core, d3, domain.ActivationPendingCommit); st.Activation.MaxFailedAttempts != 3 {
		t.Fatalf("max failed attempts %d, want 3", st.Activation.MaxFailedAttempts)
	}
	removed, err := core.RemoveActivation(ctx, d3.id, "admin", false)
	if err != nil || removed.ActivationID != d3.id || removed.Status != domain.ActivationRemoved {
		t.Fatalf("remove: %+v %v", removed, err)
	}
	checkStatus(t, core, d3, domain.ActivationRemoved)

	// An unknown activation is reported as not found, not as an error.
	unknown, err := core.GetActivationStatus(ctx, "00000000-0000-4000-8000-000000000000", protocol.RandomBytes(16))
	if err != nil || unknown.Found || len(unknown.EncryptedStatusBlob) != protocol.StatusBlobSize {
		t.Fatalf("unknown activation: %+v %v", unknown, err)
	}
}

// checkStatus fetches the status with a challenge and checks the state
// in the answer and in the decrypted status blob.
func checkStatus(t *testing.T, core public.Core, d *device, want domain.ActivationStatus) service.ActivationStatusResult {
	t.Helper()
	challenge := protocol.RandomBytes(16)
	st, err := core.GetActivationStatus(context.Background(), d.id, challenge)
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	if !st.Found || st.Activation.ActivationID != d.id || st.Activation.Status != want {
		t.Fatalf("status: found %v, %+v; want %v", st.Found, st.Activation, want)
	}
	blob, err := protocol.DecryptStatusBlob(d.keys.Transport, challenge, st.EncryptedStatusBlobNonce, st.EncryptedStatusBlob)
	if err != nil {
		t.Fatalf("status blob: %v", err)
	}
	if int(blob.Status) != int(want) {
		t.Fatalf("status blob says %d, want %d", blob.Status, want)
	}
	return st
}

// tokenInput computes a token digest for now.
func tokenInput(id string, secret []byte, version string) service.ValidateTokenInput {
	nonce := protocol.RandomBytes(16)
	ts := time.Now().UnixMilli()
	digest := protocol.TokenDigest(secret, nonce, strconv.FormatInt(ts, 10), version)
	return service.ValidateTokenInput{
		TokenID: id, TokenDigest: base64.StdEncoding.EncodeToString(digest), Nonce: base64.StdEncoding.EncodeToString(nonce),
		Timestamp: ts, ProtocolVersion: version,
	}
}

// checkUpgrade activates a device, turns its activation into a version 2
// one in the store and upgrades it through core.
func checkUpgrade(t *testing.T, f *fixture, core public.Core, a testApp, version string) {
	t.Helper()
	ctx := context.Background()
	d := newDevice(t)
	req, env := encrypt(t, core, a, version, protocol.SharedInfo1ActivationLayer2, nil, d.layer2(t))
	kx, err := core.CreateActivation(ctx, service.CreateActivationInput{UserID: "carol", ApplicationKey: a.key, Request: req})
	if err != nil {
		t.Fatal(err)
	}
	d.finishKeyExchange(t, env, kx.Response)
	if _, err := core.CommitActivation(ctx, d.id, "", ""); err != nil {
		t.Fatal(err)
	}
	// A version 3 activation cannot be upgraded.
	if _, err := core.CommitUpgrade(ctx, d.id, a.key); service.CodeOf(err) != service.CodeActivationIncorrectState {
		t.Fatalf("commit upgrade of a v3 activation: %v", err)
	}
	err = f.st.InTx(ctx, func(tx store.Tx) error {
		act, err := tx.GetActivationForUpdate(ctx, d.id)
		if err != nil {
			return err
		}
		act.Version, act.CtrData = 2, nil
		return tx.UpdateActivation(ctx, &act)
	})
	if err != nil {
		t.Fatal(err)
	}
	ureq, uenv := encrypt(t, core, a, version, protocol.SharedInfo1Upgrade, d, []byte("{}"))
	uresp, err := core.StartUpgrade(ctx, service.StartUpgradeInput{ActivationID: d.id, ApplicationKey: a.key, Request: ureq})
	if err != nil {
		t.Fatalf("start upgrade: %v", err)
	}
	var up struct {
		CtrData string `json:"ctrData"`
	}
	decrypt(t, uenv, uresp, &up)
	if ctr, err := base64.StdEncoding.DecodeString(up.CtrData); err != nil || len(ctr) != protocol.CtrDataSize {
		t.Fatalf("upgrade ctrData %q", up.CtrData)
	}
	if ok, err := core.CommitUpgrade(ctx, d.id, a.key); err != nil || !ok {
		t.Fatalf("commit upgrade: %v %v", ok, err)
	}
	act, err := f.st.GetActivation(ctx, d.id)
	if err != nil || act.Version != 3 {
		t.Fatalf("after upgrade: version %d %v", act.Version, err)
	}
}
