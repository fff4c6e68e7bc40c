package service

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/store/sqlite"
	"github.com/mauth/mauth/internal/testutil/teststore"
	"github.com/mauth/mauth/protocol"
)

// recoveryEnable turns activation recovery on for the application.
func recoveryEnable(t testing.TB, svc *Service, app testApp) {
	t.Helper()
	if err := svc.UpdateRecoveryConfig(context.Background(), UpdateRecoveryConfigInput{ApplicationName: app.App.Name, ActivationRecoveryEnabled: true}); err != nil {
		t.Fatal(err)
	}
}

// issueActivationRecovery runs createActivationRecovery for an activation in its own transaction.
func issueActivationRecovery(t testing.TB, svc *Service, app testApp, activationID string) (*ActivationRecovery, error) {
	t.Helper()
	ctx := context.Background()
	var out *ActivationRecovery
	err := svc.store.InTx(ctx, func(tx store.Tx) error {
		a, err := tx.GetActivation(ctx, activationID)
		if err != nil {
			return err
		}
		out, err = svc.createActivationRecovery(ctx, tx, app.App, a)
		return err
	})
	return out, err
}

// recoveryTryPUK runs consumeRecoveryPUK in its own transaction, committing the
// failure count like the activation flow does.
func recoveryTryPUK(t testing.TB, svc *Service, app testApp, code, puk string) (domain.RecoveryCode, error) {
	t.Helper()
	ctx := context.Background()
	var rc domain.RecoveryCode
	var callErr error
	err := svc.store.InTx(ctx, func(tx store.Tx) error {
		rc, callErr = svc.consumeRecoveryPUK(ctx, tx, app.App, code, puk)
		var se *Error
		if callErr != nil && !errors.As(callErr, &se) {
			return callErr // internal failure: roll back
		}
		return nil
	})
	if err != nil {
		return rc, err
	}
	return rc, callErr
}

// recoveryCodeByValue loads the stored code and its PUKs.
func recoveryCodeByValue(t testing.TB, svc *Service, app testApp, code string) (domain.RecoveryCode, []domain.RecoveryPUK) {
	t.Helper()
	ctx := context.Background()
	codes, err := svc.store.ListRecoveryCodes(ctx, store.RecoveryCodeFilter{ApplicationID: app.App.ID, Code: code})
	if err != nil || len(codes) != 1 {
		t.Fatalf("recovery code lookup: %d codes, %v", len(codes), err)
	}
	puks, err := svc.store.ListRecoveryPUKs(ctx, codes[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	return codes[0], puks
}

func recoveryWrongPUK(puk string) string {
	b := []byte(puk)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

func recoveryPUKIndexOf(t testing.TB, err error) int {
	t.Helper()
	var se *Error
	if !errors.As(err, &se) || se.Code != CodeRecovery || se.CurrentRecoveryPukIndex == nil {
		t.Fatalf("want ERR_RECOVERY with a PUK index, got %v", err)
	}
	return *se.CurrentRecoveryPukIndex
}

func TestActivationRecoveryDisabledByDefault(t *testing.T) {
	svc, _ := newSQLiteService(t)
	app := createTestApp(t, svc)
	ta := newEncTestActivation(t, svc, app, domain.ActivationActive, 3)
	r, err := issueActivationRecovery(t, svc, app, ta.ID)
	if err != nil || r != nil {
		t.Fatalf("recovery issued while disabled: %+v %v", r, err)
	}
	if _, err := recoveryTryPUK(t, svc, app, "AAAAA-AAAAA-AAAAA-AAAAA", "0123456789"); CodeOf(err) != CodeInvalidRequest {
		t.Fatalf("consume while disabled: %v", err)
	}
}

func TestActivationRecoveryLifecycle(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		svc, _ := newTestService(t, st, Config{})
		app := createTestApp(t, svc)
		recoveryEnable(t, svc, app)
		ta := newEncTestActivation(t, svc, app, domain.ActivationActive, 3)

		r, err := issueActivationRecovery(t, svc, app, ta.ID)
		if err != nil || r == nil {
			t.Fatalf("issue: %+v %v", r, err)
		}
		if protocol.ValidateActivationCode(r.RecoveryCode) != nil || len(r.PUK) != 10 {
			t.Fatalf("issued values: %q %q", r.RecoveryCode, r.PUK)
		}
		rc, puks := recoveryCodeByValue(t, svc, app, r.RecoveryCode)
		if rc.Status != domain.RecoveryCodeActive || rc.ActivationID != ta.ID || rc.UserID != "user-"+ta.ID[:8] ||
			rc.MaxFailedAttempts != svc.cfg.RecoveryMaxFailedAttempts || rc.FailedAttempts != 0 {
			t.Fatalf("stored code: %+v", rc)
		}
		if len(puks) != 1 || puks[0].Index != 1 || puks[0].Status != domain.RecoveryPukValid {
			t.Fatalf("stored PUKs: %+v", puks)
		}
		// The stored PUK is neither the PUK nor a bare hash of it.
		if bytes.Contains(puks[0].PUK, []byte(r.PUK)) || bytes.Contains(puks[0].PUK, []byte("$argon2i$")) {
			t.Fatal("PUK stored in clear")
		}
		// A second code for the same activation is refused.
		if _, err := issueActivationRecovery(t, svc, app, ta.ID); CodeOf(err) != CodeRecoveryCodeAlreadyExists {
			t.Fatalf("second code: %v", err)
		}

		// Wrong PUK: counted, the index of the PUK to ask for is returned.
		_, err = recoveryTryPUK(t, svc, app, r.RecoveryCode, recoveryWrongPUK(r.PUK))
		if idx := recoveryPUKIndexOf(t, err); idx != 1 {
			t.Fatalf("puk index %d", idx)
		}
		if rc, _ := recoveryCodeByValue(t, svc, app, r.RecoveryCode); rc.FailedAttempts != 1 || rc.Status != domain.RecoveryCodeActive {
			t.Fatalf("after wrong PUK: %+v", rc)
		}
		// Unknown codes and codes of another application are invalid requests.
		if _, err := recoveryTryPUK(t, svc, app, "AAAAA-AAAAA-AAAAA-AAAAA", r.PUK); CodeOf(err) != CodeInvalidRequest {
			t.Fatalf("unknown code: %v", err)
		}
		other := createTestApp(t, svc)
		recoveryEnable(t, svc, other)
		if _, err := recoveryTryPUK(t, svc, other, r.RecoveryCode, r.PUK); CodeOf(err) != CodeInvalidRequest {
			t.Fatalf("code of another application: %v", err)
		}

		// Right PUK (in its displayed form): USED, failures reset.
		got, err := recoveryTryPUK(t, svc, app, r.RecoveryCode, r.PUK[:5]+"-"+r.PUK[5:])
		if err != nil || got.ActivationID != ta.ID || got.ID != rc.ID {
			t.Fatalf("right PUK: %+v %v", got, err)
		}
		rc, puks = recoveryCodeByValue(t, svc, app, r.RecoveryCode)
		if rc.FailedAttempts != 0 || puks[0].Status != domain.RecoveryPukUsed || rc.LastUsed.IsZero() {
			t.Fatalf("after right PUK: %+v %+v", rc, puks)
		}
		// The PUK cannot be used twice: no VALID PUK is left.
		if _, err := recoveryTryPUK(t, svc, app, r.RecoveryCode, r.PUK); CodeOf(err) != CodeInvalidRecoveryCode {
			t.Fatalf("reused PUK: %v", err)
		}
		// Revoking the activation's codes (activation removal) ends the code.
		if ok, err := svc.RevokeRecoveryCodes(context.Background(), []int64{rc.ID}); err != nil || !ok {
			t.Fatalf("revoke: %v %v", ok, err)
		}
		if _, err := recoveryTryPUK(t, svc, app, r.RecoveryCode, r.PUK); CodeOf(err) != CodeInvalidRequest {
			t.Fatalf("revoked code: %v", err)
		}
	})
}

func TestActivationRecoveryCreatedUntilCommit(t *testing.T) {
	svc, _ := newSQLiteService(t)
	app := createTestApp(t, svc)
	recoveryEnable(t, svc, app)
	ta := newEncTestActivation(t, svc, app, domain.ActivationPendingCommit, 3)
	r, err := issueActivationRecovery(t, svc, app, ta.ID)
	if err != nil || r == nil {
		t.Fatalf("issue: %v", err)
	}
	rc, _ := recoveryCodeByValue(t, svc, app, r.RecoveryCode)
	if rc.Status != domain.RecoveryCodeCreated {
		t.Fatalf("code of a PENDING_COMMIT activation is %v", rc.Status)
	}
	// Not usable before the activation is committed.
	if _, err := recoveryTryPUK(t, svc, app, r.RecoveryCode, r.PUK); CodeOf(err) != CodeInvalidRequest {
		t.Fatalf("CREATED code accepted: %v", err)
	}
}

func TestRecoveryPUKBlocksAtLimit(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		svc, _ := newTestService(t, st, Config{RecoveryMaxFailedAttempts: 3})
		app := createTestApp(t, svc)
		recoveryEnable(t, svc, app)
		ta := newEncTestActivation(t, svc, app, domain.ActivationActive, 3)
		r, err := issueActivationRecovery(t, svc, app, ta.ID)
		if err != nil {
			t.Fatal(err)
		}
		bad := recoveryWrongPUK(r.PUK)
		for i := 1; i < 3; i++ {
			_, err := recoveryTryPUK(t, svc, app, r.RecoveryCode, bad)
			if idx := recoveryPUKIndexOf(t, err); idx != 1 {
				t.Fatalf("attempt %d: index %d", i, idx)
			}
		}
		// The third failure blocks the code and invalidates the PUK.
		if _, err := recoveryTryPUK(t, svc, app, r.RecoveryCode, bad); CodeOf(err) != CodeInvalidRecoveryCode {
			t.Fatalf("blocking attempt: %v", err)
		}
		rc, puks := recoveryCodeByValue(t, svc, app, r.RecoveryCode)
		if rc.Status != domain.RecoveryCodeBlocked || rc.FailedAttempts != 3 || puks[0].Status != domain.RecoveryPukInvalid {
			t.Fatalf("after blocking: %+v %+v", rc, puks)
		}
		// Even the right PUK is refused now, and nothing more is counted.
		if _, err := recoveryTryPUK(t, svc, app, r.RecoveryCode, r.PUK); CodeOf(err) != CodeInvalidRequest {
			t.Fatalf("blocked code: %v", err)
		}
		if rc, _ := recoveryCodeByValue(t, svc, app, r.RecoveryCode); rc.FailedAttempts != 3 {
			t.Fatalf("failures counted on a blocked code: %d", rc.FailedAttempts)
		}
	})
}

func TestRecoveryPUKParallelAttempts(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		svc, _ := newTestService(t, st, Config{RecoveryMaxFailedAttempts: 5})
		app := createTestApp(t, svc)
		recoveryEnable(t, svc, app)
		ta := newEncTestActivation(t, svc, app, domain.ActivationActive, 3)
		r, err := issueActivationRecovery(t, svc, app, ta.ID)
		if err != nil {
			t.Fatal(err)
		}
		bad := recoveryWrongPUK(r.PUK)
		const n = 20
		codes := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				_, err := recoveryTryPUK(t, svc, app, r.RecoveryCode, bad)
				codes[i] = CodeOf(err)
			})
		}
		wg.Wait()
		counted := 0
		for _, c := range codes {
			switch c {
			case CodeRecovery, CodeInvalidRecoveryCode:
				counted++
			case CodeInvalidRequest:
			default:
				t.Fatalf("unexpected result %s", c)
			}
		}
		rc, puks := recoveryCodeByValue(t, svc, app, r.RecoveryCode)
		if counted != 5 || rc.FailedAttempts != 5 || rc.Status != domain.RecoveryCodeBlocked || puks[0].Status != domain.RecoveryPukInvalid {
			t.Fatalf("counted %d, stored %+v %+v", counted, rc, puks)
		}
	})
}

// recoveryPrinter is the printing center's side of postcard codes.
type recoveryPrinter struct {
	key *protocol.PrivateKey
}

func recoveryNewPrinter(t testing.TB) recoveryPrinter {
	t.Helper()
	k, err := protocol.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	return recoveryPrinter{key: k}
}

// derive recomputes a postcard's code and PUKs from what the server returned.
func (p recoveryPrinter) derive(t testing.TB, serverPub []byte, c *CreatedRecoveryCode) (string, []string) {
	t.Helper()
	pub, err := protocol.ParsePublicKey(serverPub)
	if err != nil {
		t.Fatal(err)
	}
	secret, err := p.key.SharedSecret(pub)
	if err != nil {
		t.Fatal(err)
	}
	seed, err := protocol.DeriveRecoverySeed(secret, c.Nonce)
	if err != nil {
		t.Fatal(err)
	}
	var puks []string
	for _, pk := range c.PUKs {
		puk, err := protocol.DerivePUK(seed.PUKBaseKey, pk.DerivationIndex)
		if err != nil {
			t.Fatal(err)
		}
		puks = append(puks, puk)
	}
	return seed.Code, puks
}

func recoverySetupPostcards(t testing.TB, svc *Service, app testApp, multiple bool) (recoveryPrinter, []byte) {
	t.Helper()
	ctx := context.Background()
	printer := recoveryNewPrinter(t)
	remote := base64.StdEncoding.EncodeToString(printer.key.Public().Compressed())
	err := svc.UpdateRecoveryConfig(ctx, UpdateRecoveryConfigInput{
		ApplicationName: app.App.Name, ActivationRecoveryEnabled: true, RecoveryPostcardEnabled: true,
		AllowMultipleRecoveryCodes: multiple, RemotePostcardPublicKey: &remote,
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := svc.GetRecoveryConfig(ctx, app.App.Name)
	if err != nil {
		t.Fatal(err)
	}
	return printer, cfg.PostcardPublicKey
}

func TestRecoveryConfig(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		svc, _ := newTestService(t, st, Config{})
		ctx := context.Background()
		app := createTestApp(t, svc)
		cfg, err := svc.GetRecoveryConfig(ctx, app.App.Name)
		if err != nil || cfg.ActivationRecoveryEnabled || cfg.RecoveryPostcardEnabled || cfg.AllowMultipleRecoveryCodes || cfg.PostcardPublicKey != nil || cfg.RemotePostcardPublicKey != nil {
			t.Fatalf("defaults: %+v %v", cfg, err)
		}
		if _, err := svc.GetRecoveryConfig(ctx, "nope"); CodeOf(err) != CodeInvalidRequest {
			t.Fatalf("unknown app: %v", err)
		}
		printer, serverPub := recoverySetupPostcards(t, svc, app, false)
		cfg, _ = svc.GetRecoveryConfig(ctx, app.App.Name)
		if !cfg.ActivationRecoveryEnabled || !cfg.RecoveryPostcardEnabled || cfg.AllowMultipleRecoveryCodes ||
			!bytes.Equal(cfg.RemotePostcardPublicKey, printer.key.Public().Compressed()) || len(serverPub) != 65 {
			t.Fatalf("after update: %+v", cfg)
		}
		// The private key is sealed at rest and bound to the application.
		stored, err := st.GetRecoveryConfig(ctx, app.App.ID)
		if err != nil {
			t.Fatal(err)
		}
		priv, err := svc.openPrivateKey(stored.PostcardPrivateKeyEncrypted, recoveryPostcardKeyContext(app.App.ID))
		if err != nil || !bytes.Equal(priv.Public().Uncompressed(), serverPub) {
			t.Fatalf("sealed postcard key: %v", err)
		}
		if bytes.Contains(stored.PostcardPrivateKeyEncrypted, priv.Bytes()) {
			t.Fatal("postcard private key stored in clear")
		}
		// Updating again keeps the key pair; nil keeps the remote key; "" removes it.
		if err := svc.UpdateRecoveryConfig(ctx, UpdateRecoveryConfigInput{ApplicationName: app.App.Name, ActivationRecoveryEnabled: true, RecoveryPostcardEnabled: true, AllowMultipleRecoveryCodes: true}); err != nil {
			t.Fatal(err)
		}
		cfg, _ = svc.GetRecoveryConfig(ctx, app.App.Name)
		if !bytes.Equal(cfg.PostcardPublicKey, serverPub) || cfg.RemotePostcardPublicKey == nil || !cfg.AllowMultipleRecoveryCodes {
			t.Fatalf("second update: %+v", cfg)
		}
		empty := ""
		if err := svc.UpdateRecoveryConfig(ctx, UpdateRecoveryConfigInput{ApplicationName: app.App.Name, RemotePostcardPublicKey: &empty}); err != nil {
			t.Fatal(err)
		}
		cfg, _ = svc.GetRecoveryConfig(ctx, app.App.Name)
		if cfg.ActivationRecoveryEnabled || cfg.RemotePostcardPublicKey != nil || !bytes.Equal(cfg.PostcardPublicKey, serverPub) {
			t.Fatalf("disable + remove remote key: %+v", cfg)
		}
		for _, bad := range []string{"%%%", base64.StdEncoding.EncodeToString([]byte("not a key"))} {
			if err := svc.UpdateRecoveryConfig(ctx, UpdateRecoveryConfigInput{ApplicationName: app.App.Name, RemotePostcardPublicKey: &bad}); CodeOf(err) != CodeInvalidKeyFormat {
				t.Fatalf("bad remote key %q: %v", bad, err)
			}
		}
		if err := svc.UpdateRecoveryConfig(ctx, UpdateRecoveryConfigInput{ApplicationName: "nope"}); CodeOf(err) != CodeInvalidRequest {
			t.Fatalf("unknown app: %v", err)
		}
	})
}

func TestPostcardRecoveryCode(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		svc, _ := newTestService(t, st, Config{})
		ctx := context.Background()
		app := createTestApp(t, svc)
		in := CreateRecoveryCodeInput{ApplicationName: app.App.Name, UserID: "postcard-user", PUKCount: 3}
		// Recovery off → invalid request.
		if _, err := svc.CreateRecoveryCode(ctx, in); CodeOf(err) != CodeInvalidRequest {
			t.Fatalf("disabled: %v", err)
		}
		recoveryEnable(t, svc, app)
		if _, err := svc.CreateRecoveryCode(ctx, in); CodeOf(err) != CodeInvalidRequest {
			t.Fatalf("postcards disabled: %v", err)
		}
		// Postcards on but no remote key → invalid configuration.
		if err := svc.UpdateRecoveryConfig(ctx, UpdateRecoveryConfigInput{ApplicationName: app.App.Name, ActivationRecoveryEnabled: true, RecoveryPostcardEnabled: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.CreateRecoveryCode(ctx, in); CodeOf(err) != CodeInvalidRecoveryConfig {
			t.Fatalf("missing remote key: %v", err)
		}
		printer, serverPub := recoverySetupPostcards(t, svc, app, false)

		c, err := svc.CreateRecoveryCode(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != domain.RecoveryCodeCreated || c.UserID != "postcard-user" || len(c.Nonce) != 32 || len(c.PUKs) != 3 {
			t.Fatalf("created: %+v", c)
		}
		code, puks := printer.derive(t, serverPub, c)
		if c.CodeMasked != "XXXXX-XXXXX-XXXXX-"+code[18:] {
			t.Fatalf("masked %q for %q", c.CodeMasked, code)
		}
		for i, p := range c.PUKs {
			if p.Index != int64(i+1) || p.Status != domain.RecoveryPukValid {
				t.Fatalf("puk %d: %+v", i, p)
			}
		}
		rc, stored := recoveryCodeByValue(t, svc, app, code)
		if rc.ID != c.ID || rc.ActivationID != "" || rc.Status != domain.RecoveryCodeCreated || len(stored) != 3 {
			t.Fatalf("stored: %+v", rc)
		}
		for i, sp := range stored {
			if bytes.Contains(sp.PUK, []byte(puks[i])) {
				t.Fatal("PUK stored in clear")
			}
		}
		// One postcard per user unless multiple codes are allowed.
		if _, err := svc.CreateRecoveryCode(ctx, in); CodeOf(err) != CodeRecoveryCodeAlreadyExists {
			t.Fatalf("second postcard: %v", err)
		}
		other := in
		other.UserID = "someone-else"
		if _, err := svc.CreateRecoveryCode(ctx, other); err != nil {
			t.Fatalf("other user: %v", err)
		}
		for _, bad := range []CreateRecoveryCodeInput{
			{ApplicationName: app.App.Name, UserID: "u", PUKCount: 0},
			{ApplicationName: app.App.Name, UserID: "u", PUKCount: 101},
			{ApplicationName: app.App.Name, UserID: " ", PUKCount: 1},
			{ApplicationName: "nope", UserID: "u", PUKCount: 1},
		} {
			if _, err := svc.CreateRecoveryCode(ctx, bad); CodeOf(err) != CodeInvalidRequest {
				t.Fatalf("%+v: %v", bad, err)
			}
		}

		// A CREATED postcard code cannot be used before it is confirmed.
		if _, err := recoveryTryPUK(t, svc, app, code, puks[0]); CodeOf(err) != CodeInvalidRequest {
			t.Fatalf("unconfirmed code: %v", err)
		}
		// Confirm it from an activation of the same user.
		ta := newEncTestActivation(t, svc, app, domain.ActivationActive, 3)
		recoverySetUserID(t, svc, ta.ID, "postcard-user")
		confirm := func(rcode string) (bool, error) {
			plain, _ := json.Marshal(map[string]string{"recoveryCode": rcode})
			req, env := encryptForServer(t, ta.ServerPub, ta.eciesContext(protocol.Version32, protocol.SharedInfo1RecoveryConfirm, ""), plain, svc.now())
			res, err := svc.ConfirmRecoveryCode(ctx, ConfirmRecoveryCodeInput{ActivationID: ta.ID, ApplicationKey: app.Version.ApplicationKey, Request: req})
			if err != nil {
				return false, err
			}
			if res.ActivationID != ta.ID || res.UserID != "postcard-user" {
				t.Fatalf("confirm result: %+v", res)
			}
			var out struct {
				AlreadyConfirmed *bool `json:"alreadyConfirmed"`
			}
			if err := json.Unmarshal(decryptFromServer(t, env, res.Response), &out); err != nil || out.AlreadyConfirmed == nil {
				t.Fatalf("confirm response: %v", err)
			}
			return *out.AlreadyConfirmed, nil
		}
		if already, err := confirm(code); err != nil || already {
			t.Fatalf("confirm: %v %v", already, err)
		}
		rc, _ = recoveryCodeByValue(t, svc, app, code)
		if rc.Status != domain.RecoveryCodeActive || rc.ActivationID != "" {
			t.Fatalf("after confirm: %+v", rc)
		}
		if already, err := confirm(code); err != nil || !already {
			t.Fatalf("second confirm: %v %v", already, err)
		}
		if _, err := confirm("AAAAA-AAAAA-AAAAA-AAAAA"); CodeOf(err) != CodeRecoveryCodeNotFound {
			t.Fatalf("unknown code: %v", err)
		}
		if _, err := confirm("not a code"); CodeOf(err) != CodeInvalidRequest {
			t.Fatalf("malformed code: %v", err)
		}

		// PUKs are used in order: the printed PUK 2 is wrong while PUK 1 is current.
		if _, err := recoveryTryPUK(t, svc, app, code, puks[1]); recoveryPUKIndexOf(t, err) != 1 {
			t.Fatal("unexpected index")
		}
		if rc, err := recoveryTryPUK(t, svc, app, code, puks[0]); err != nil || rc.ActivationID != "" {
			t.Fatalf("PUK 1: %v", err)
		}
		if _, err := recoveryTryPUK(t, svc, app, code, puks[0]); recoveryPUKIndexOf(t, err) != 2 {
			t.Fatal("PUK 1 accepted twice")
		}
		if _, err := recoveryTryPUK(t, svc, app, code, puks[1]); err != nil {
			t.Fatalf("PUK 2: %v", err)
		}
		rc, stored = recoveryCodeByValue(t, svc, app, code)
		if rc.Status != domain.RecoveryCodeActive || rc.FailedAttempts != 0 ||
			stored[0].Status != domain.RecoveryPukUsed || stored[1].Status != domain.RecoveryPukUsed || stored[2].Status != domain.RecoveryPukValid {
			t.Fatalf("after two PUKs: %+v %+v", rc, stored)
		}

		// Lookup and revoke.
		list, err := svc.LookupRecoveryCodes(ctx, RecoveryCodeLookup{UserID: "postcard-user", ApplicationName: app.App.Name})
		if err != nil || len(list) != 1 || list[0].ID != rc.ID || list[0].ApplicationName != app.App.Name || len(list[0].PUKs) != 3 || list[0].CodeMasked != c.CodeMasked {
			t.Fatalf("lookup: %+v %v", list, err)
		}
		valid := domain.RecoveryPukValid
		list, _ = svc.LookupRecoveryCodes(ctx, RecoveryCodeLookup{UserID: "postcard-user", PUKStatus: &valid})
		if len(list) != 1 || len(list[0].PUKs) != 1 || list[0].PUKs[0].Index != 3 {
			t.Fatalf("lookup by PUK status: %+v", list)
		}
		if ok, err := svc.RevokeRecoveryCodes(ctx, []int64{rc.ID, 999999}); err != nil || !ok {
			t.Fatalf("revoke: %v %v", ok, err)
		}
		list, _ = svc.LookupRecoveryCodes(ctx, RecoveryCodeLookup{UserID: "postcard-user", PUKStatus: &valid})
		if len(list) != 0 {
			t.Fatalf("VALID PUKs left after revoke: %+v", list)
		}
		rc, stored = recoveryCodeByValue(t, svc, app, code)
		if rc.Status != domain.RecoveryCodeRevoked || stored[2].Status != domain.RecoveryPukInvalid || stored[0].Status != domain.RecoveryPukUsed {
			t.Fatalf("after revoke: %+v %+v", rc, stored)
		}
		if ok, err := svc.RevokeRecoveryCodes(ctx, []int64{rc.ID}); err != nil || ok {
			t.Fatalf("second revoke: %v %v", ok, err)
		}
		if _, err := confirm(code); CodeOf(err) != CodeInvalidRequest {
			t.Fatalf("confirm revoked: %v", err)
		}
		// After revocation the user may order a new postcard.
		if _, err := svc.CreateRecoveryCode(ctx, in); err != nil {
			t.Fatalf("new postcard after revoke: %v", err)
		}
	})
}

func TestConfirmRecoveryCodeErrors(t *testing.T) {
	svc, _ := newSQLiteService(t)
	ctx := context.Background()
	app := createTestApp(t, svc)
	printer, serverPub := recoverySetupPostcards(t, svc, app, true)
	c, err := svc.CreateRecoveryCode(ctx, CreateRecoveryCodeInput{ApplicationName: app.App.Name, UserID: "owner", PUKCount: 1})
	if err != nil {
		t.Fatal(err)
	}
	code, _ := printer.derive(t, serverPub, c)
	ta := newEncTestActivation(t, svc, app, domain.ActivationActive, 3)
	request := func(sh1 string, plain []byte) EciesRequest {
		req, _ := encryptForServer(t, ta.ServerPub, ta.eciesContext(protocol.Version32, sh1, ""), plain, svc.now())
		return req
	}
	good := []byte(`{"recoveryCode":"` + code + `"}`)
	cases := []struct {
		name string
		in   ConfirmRecoveryCodeInput
		want string
	}{
		{"other user", ConfirmRecoveryCodeInput{ActivationID: ta.ID, ApplicationKey: app.Version.ApplicationKey, Request: request(protocol.SharedInfo1RecoveryConfirm, good)}, CodeInvalidRequest},
		{"unknown activation", ConfirmRecoveryCodeInput{ActivationID: "00000000-0000-4000-8000-000000000000", ApplicationKey: app.Version.ApplicationKey, Request: request(protocol.SharedInfo1RecoveryConfirm, good)}, CodeActivationNotFound},
		{"unknown application key", ConfirmRecoveryCodeInput{ActivationID: ta.ID, ApplicationKey: "nope", Request: request(protocol.SharedInfo1RecoveryConfirm, good)}, CodeInvalidApplication},
		{"wrong SH1", ConfirmRecoveryCodeInput{ActivationID: ta.ID, ApplicationKey: app.Version.ApplicationKey, Request: request(protocol.SharedInfo1TokenCreate, good)}, CodeDecryptionFailed},
		{"not JSON", ConfirmRecoveryCodeInput{ActivationID: ta.ID, ApplicationKey: app.Version.ApplicationKey, Request: request(protocol.SharedInfo1RecoveryConfirm, []byte("nope"))}, CodeDecryptionFailed},
		{"missing code", ConfirmRecoveryCodeInput{ActivationID: ta.ID, ApplicationKey: app.Version.ApplicationKey, Request: request(protocol.SharedInfo1RecoveryConfirm, []byte(`{}`))}, CodeInvalidRequest},
		{"missing ids", ConfirmRecoveryCodeInput{}, CodeInvalidRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := svc.ConfirmRecoveryCode(ctx, tc.in); CodeOf(err) != tc.want {
				t.Fatalf("got %v, want %s", err, tc.want)
			}
		})
	}
	// A blocked activation cannot confirm.
	recoverySetUserID(t, svc, ta.ID, "owner")
	setEncTestStatus(t, svc, ta.ID, domain.ActivationBlocked)
	if _, err := svc.ConfirmRecoveryCode(ctx, ConfirmRecoveryCodeInput{ActivationID: ta.ID, ApplicationKey: app.Version.ApplicationKey, Request: request(protocol.SharedInfo1RecoveryConfirm, good)}); CodeOf(err) != CodeActivationIncorrectState {
		t.Fatalf("blocked activation: %v", err)
	}
	// Recovery disabled.
	setEncTestStatus(t, svc, ta.ID, domain.ActivationActive)
	if err := svc.UpdateRecoveryConfig(ctx, UpdateRecoveryConfigInput{ApplicationName: app.App.Name}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ConfirmRecoveryCode(ctx, ConfirmRecoveryCodeInput{ActivationID: ta.ID, ApplicationKey: app.Version.ApplicationKey, Request: request(protocol.SharedInfo1RecoveryConfirm, good)}); CodeOf(err) != CodeInvalidRequest {
		t.Fatalf("recovery disabled: %v", err)
	}
	if rc, _ := recoveryCodeByValue(t, svc, app, code); rc.Status != domain.RecoveryCodeCreated {
		t.Fatalf("failed confirmations changed the code: %+v", rc)
	}
}

func TestLookupAndRevokeValidation(t *testing.T) {
	svc, _ := newSQLiteService(t)
	ctx := context.Background()
	app := createTestApp(t, svc)
	if _, err := svc.LookupRecoveryCodes(ctx, RecoveryCodeLookup{ApplicationName: app.App.Name}); CodeOf(err) != CodeInvalidRequest {
		t.Fatalf("application only: %v", err)
	}
	if _, err := svc.LookupRecoveryCodes(ctx, RecoveryCodeLookup{UserID: "u", ApplicationName: "nope"}); CodeOf(err) != CodeInvalidRequest {
		t.Fatalf("unknown application: %v", err)
	}
	if list, err := svc.LookupRecoveryCodes(ctx, RecoveryCodeLookup{UserID: "nobody"}); err != nil || len(list) != 0 {
		t.Fatalf("no codes: %v %v", list, err)
	}
	if _, err := svc.RevokeRecoveryCodes(ctx, nil); CodeOf(err) != CodeInvalidRequest {
		t.Fatalf("no ids: %v", err)
	}
	if _, err := svc.RevokeRecoveryCodes(ctx, []int64{1, -1}); CodeOf(err) != CodeInvalidRequest {
		t.Fatalf("negative id: %v", err)
	}
	if ok, err := svc.RevokeRecoveryCodes(ctx, []int64{424242}); err != nil || ok {
		t.Fatalf("unknown id: %v %v", ok, err)
	}
}

func TestMaskRecoveryCode(t *testing.T) {
	for in, want := range map[string]string{
		"ABCDE-FGHIJ-KLMNO-PQRST": "XXXXX-XXXXX-XXXXX-PQRST",
		"short":                   "",
		"":                        "",
	} {
		if got := maskRecoveryCode(in); got != want {
			t.Fatalf("mask(%q) = %q", in, got)
		}
	}
}

// recoverySetUserID changes an activation's user in the store.
func recoverySetUserID(t testing.TB, svc *Service, id, userID string) {
	t.Helper()
	ctx := context.Background()
	err := svc.store.InTx(ctx, func(tx store.Tx) error {
		a, err := tx.GetActivationForUpdate(ctx, id)
		if err != nil {
			return err
		}
		a.UserID = userID
		return tx.UpdateActivation(ctx, &a)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestRecoveryPUKNotInDatabaseDump reads the raw SQLite files after a
// recovery code was issued: the recovery code is there (it is looked up by
// value), the PUK and its bare Argon2 hash are not.
func TestRecoveryPUKNotInDatabaseDump(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "dump.db"), sqlite.Options{Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	svc, _ := newTestService(t, st, Config{})
	app := createTestApp(t, svc)
	recoveryEnable(t, svc, app)
	ta := newEncTestActivation(t, svc, app, domain.ActivationActive, 3)
	r, err := issueActivationRecovery(t, svc, app, ta.ID)
	if err != nil || r == nil {
		t.Fatalf("issue: %v", err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	var dump []byte
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		dump = append(dump, b...)
	}
	if !bytes.Contains(dump, []byte(r.RecoveryCode)) {
		t.Fatal("the dump does not hold the recovery code: not reading the data")
	}
	if bytes.Contains(dump, []byte(r.PUK)) || bytes.Contains(dump, []byte("$argon2i$")) {
		t.Fatal("the PUK or its bare hash is readable in the database files")
	}
}
