package service

import (
	"bytes"
	"cmp"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/teststore"
	"github.com/mauth/mauth/protocol"
)

// ctrAfter returns the hash-based counter n steps after ctr.
func ctrAfter(ctr []byte, n int) []byte {
	for range n {
		ctr = protocol.NextCtrData(ctr)
	}
	return ctr
}

// audits returns the activation's audit records in the order they were
// written (by id).
func audits(t testing.TB, svc *Service, activationID string) []domain.SignatureAudit {
	t.Helper()
	recs, err := svc.store.ListSignatureAudits(context.Background(), store.SignatureAuditFilter{ActivationID: activationID})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(recs, func(a, b domain.SignatureAudit) int { return cmp.Compare(a.ID, b.ID) })
	return recs
}

func mustVerify(t testing.TB, svc *Service, in VerifySignatureInput) VerifySignatureResult {
	t.Helper()
	res, err := svc.VerifySignature(context.Background(), in)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return res
}

func TestVerifySignatureEveryTypeAndVersion(t *testing.T) {
	svc, _ := newSQLiteService(t)
	app := createTestApp(t, svc)
	for _, typ := range protocol.SignatureTypes {
		for _, version := range protocol.Versions {
			t.Run(string(typ)+"/"+version, func(t *testing.T) {
				d := newActiveTestActivation(t, svc, app)
				initial := loadActivation(t, svc, d.ActivationID)
				data := testRequestData(`{"amount":"100"}`)
				sig := d.sign(t, typ, version, data)
				if version == protocol.Version30 {
					if len(sig) != 9*len(typ.Factors())-1 || strings.Count(sig, "-") != len(typ.Factors())-1 {
						t.Fatalf("3.0 signature is not DECIMAL: %q", sig)
					}
				} else if len(sig) != []int{0, 24, 44, 64}[len(typ.Factors())] {
					t.Fatalf("%s signature is not BASE64: %q", version, sig)
				}

				res := mustVerify(t, svc, d.verifyInput(typ, version, data, sig))
				if !res.SignatureValid || res.ActivationStatus != domain.ActivationActive || res.SignatureType != typ ||
					res.UserID != d.UserID || res.ApplicationID != app.App.Name || res.ActivationID != d.ActivationID ||
					res.RemainingAttempts == nil || *res.RemainingAttempts != 5 || res.BlockedReason != "" ||
					!slices.Equal(res.ActivationFlags, []string{"FLAG_A"}) {
					t.Fatalf("valid signature: %+v", res)
				}
				a := loadActivation(t, svc, d.ActivationID)
				if a.Counter != 1 || !bytes.Equal(a.CtrData, ctrAfter(initial.CtrData, 1)) || a.FailedAttempts != 0 || a.LastUsed.IsZero() {
					t.Fatalf("after valid: counter %d failed %d", a.Counter, a.FailedAttempts)
				}

				// The same signature again is a replay: refused, but no
				// failure. A signature of other data is wrong and counts
				// (unless it is possession-only).
				for i, bad := range []string{sig, wrongSignature(typ, version)} {
					res = mustVerify(t, svc, d.verifyInput(typ, version, data, bad))
					wantFailed := int64(0)
					if typ != protocol.SignaturePossession {
						wantFailed = int64(i)
					}
					if res.SignatureValid || res.ActivationStatus != domain.ActivationActive || res.SignatureType != typ ||
						res.RemainingAttempts == nil || *res.RemainingAttempts != 5-wantFailed {
						t.Fatalf("invalid signature %d: %+v", i, res)
					}
					a = loadActivation(t, svc, d.ActivationID)
					if a.Counter != 1 || a.FailedAttempts != wantFailed {
						t.Fatalf("after invalid %d: counter %d failed %d", i, a.Counter, a.FailedAttempts)
					}
				}

				// A correct signature in the other format is invalid.
				other := protocol.Version31
				if version != protocol.Version30 {
					other = protocol.Version30
				}
				sig = d.sign(t, typ, other, data)
				if res = mustVerify(t, svc, d.verifyInput(typ, version, data, sig)); res.SignatureValid {
					t.Fatal("signature in the wrong format accepted")
				}

				recs := audits(t, svc, d.ActivationID)
				if len(recs) != 4 || !recs[0].Valid || recs[0].Note != auditNoteSignatureOK || recs[0].ActivationCounter != 0 ||
					!bytes.Equal(recs[0].ActivationCtrData, initial.CtrData) || recs[0].SignatureType != string(typ) ||
					recs[0].SignatureVersion != version || recs[0].Version != 3 || recs[0].UserID != d.UserID ||
					string(recs[0].Data) != data {
					t.Fatalf("audit of valid signature: %+v", recs[0])
				}
				for i, r := range recs[1:] {
					wantNote := auditNoteSignatureMismatch
					if i == 0 {
						wantNote = auditNoteSignatureReplay
					}
					if r.Valid || r.Note != wantNote || r.ActivationCounter != 1 {
						t.Fatalf("audit of invalid signature: %+v", r)
					}
				}
			})
		}
	}
}

func TestVerifySignatureLookAhead(t *testing.T) {
	svc, _ := newSQLiteService(t)
	app := createTestApp(t, svc)
	d := newActiveTestActivation(t, svc, app)
	initial := loadActivation(t, svc, d.ActivationID)
	typ := protocol.SignaturePossessionKnowledge

	// The client signed 7 requests the server never saw.
	d.skip(7)
	data := testRequestData("a")
	res := mustVerify(t, svc, d.verifyInput(typ, protocol.Version33, data, d.sign(t, typ, protocol.Version33, data)))
	if !res.SignatureValid {
		t.Fatal("signature 7 ahead rejected")
	}
	a := loadActivation(t, svc, d.ActivationID)
	if a.Counter != 8 || !bytes.Equal(a.CtrData, ctrAfter(initial.CtrData, 8)) {
		t.Fatalf("counter %d after a match 7 ahead", a.Counter)
	}

	// The last position inside the window (19 ahead) is accepted...
	d.skip(19)
	res = mustVerify(t, svc, d.verifyInput(typ, protocol.Version33, data, d.sign(t, typ, protocol.Version33, data)))
	if a = loadActivation(t, svc, d.ActivationID); !res.SignatureValid || a.Counter != 28 {
		t.Fatalf("19 ahead: valid %v counter %d", res.SignatureValid, a.Counter)
	}
	// ... 20 and 25 ahead are not, and the counter stays.
	for _, ahead := range []int{20, 25} {
		d.skip(ahead)
		res = mustVerify(t, svc, d.verifyInput(typ, protocol.Version33, data, d.sign(t, typ, protocol.Version33, data)))
		if a = loadActivation(t, svc, d.ActivationID); res.SignatureValid || a.Counter != 28 || !bytes.Equal(a.CtrData, ctrAfter(initial.CtrData, 28)) {
			t.Fatalf("%d ahead: valid %v counter %d", ahead, res.SignatureValid, a.Counter)
		}
	}
}

func TestVerifySignatureLookAheadConfigured(t *testing.T) {
	svc, _ := newTestService(t, teststore.SQLite(t), Config{SignatureLookAhead: 3})
	app := createTestApp(t, svc)
	d := newActiveTestActivation(t, svc, app)
	typ := protocol.SignaturePossession
	data := testRequestData("")
	d.skip(3)
	if res := mustVerify(t, svc, d.verifyInput(typ, protocol.Version32, data, d.sign(t, typ, protocol.Version32, data))); res.SignatureValid {
		t.Fatal("signature outside a window of 3 accepted")
	}
	d2 := newActiveTestActivation(t, svc, app)
	d2.skip(2)
	if res := mustVerify(t, svc, d2.verifyInput(typ, protocol.Version32, data, d2.sign(t, typ, protocol.Version32, data))); !res.SignatureValid {
		t.Fatal("signature inside a window of 3 rejected")
	}
}

func TestVerifySignatureFailureCounting(t *testing.T) {
	svc, _ := newSQLiteService(t)
	app := createTestApp(t, svc)
	d := newActiveTestActivation(t, svc, app)
	data := testRequestData("x")
	v := protocol.Version33

	// Possession-only failures never count.
	for range 12 {
		res := mustVerify(t, svc, d.verifyInput(protocol.SignaturePossession, v, data, wrongSignature(protocol.SignaturePossession, v)))
		if res.SignatureValid || res.ActivationStatus != domain.ActivationActive || *res.RemainingAttempts != 5 {
			t.Fatalf("possession failure: %+v", res)
		}
	}
	// BASE64 ones do not count in the possession streak either: nothing
	// holds up the device's own possession signature below.
	if a := loadActivation(t, svc, d.ActivationID); a.FailedAttempts != 0 || a.Status != domain.ActivationActive || a.PossessionFailedAttempts != 0 {
		t.Fatalf("after possession failures: %+v", a)
	}
	// Knowledge failures count; a valid possession signature does not reset
	// them, a valid two-factor one does.
	for range 2 {
		mustVerify(t, svc, d.verifyInput(protocol.SignaturePossessionKnowledge, v, data, wrongSignature(protocol.SignaturePossessionKnowledge, v)))
	}
	res := mustVerify(t, svc, d.verifyInput(protocol.SignaturePossession, v, data, d.sign(t, protocol.SignaturePossession, v, data)))
	if a := loadActivation(t, svc, d.ActivationID); !res.SignatureValid || a.FailedAttempts != 2 || *res.RemainingAttempts != 3 {
		t.Fatalf("valid possession: %+v failed %d", res, a.FailedAttempts)
	}
	res = mustVerify(t, svc, d.verifyInput(protocol.SignaturePossessionKnowledge, v, data, d.sign(t, protocol.SignaturePossessionKnowledge, v, data)))
	if a := loadActivation(t, svc, d.ActivationID); !res.SignatureValid || a.FailedAttempts != 0 || *res.RemainingAttempts != 5 {
		t.Fatalf("valid possession_knowledge: %+v failed %d", res, a.FailedAttempts)
	}
}

func TestVerifySignatureBlocksAtMaxFailedAttempts(t *testing.T) {
	svc, _ := newSQLiteService(t)
	ctx := context.Background()
	app := createTestApp(t, svc)
	d := newActiveTestActivation(t, svc, app)
	typ := protocol.SignaturePossessionKnowledge
	v := protocol.Version31
	data := testRequestData("pay")
	for i := int64(1); i <= 5; i++ {
		res := mustVerify(t, svc, d.verifyInput(typ, v, data, wrongSignature(typ, v)))
		wantStatus := domain.ActivationActive
		wantReason := ""
		if i == 5 {
			wantStatus = domain.ActivationBlocked
			wantReason = domain.BlockedReasonMaxFailedAttempts
		}
		if res.SignatureValid || res.ActivationStatus != wantStatus || res.BlockedReason != wantReason ||
			res.RemainingAttempts == nil || *res.RemainingAttempts != 5-i {
			t.Fatalf("wrong signature %d: %+v", i, res)
		}
	}
	a := loadActivation(t, svc, d.ActivationID)
	if a.Status != domain.ActivationBlocked || a.BlockedReason != domain.BlockedReasonMaxFailedAttempts || a.FailedAttempts != 5 {
		t.Fatalf("not blocked: %+v", a)
	}
	hist, err := svc.store.ListActivationHistory(ctx, d.ActivationID, time.Time{}, time.Time{})
	if err != nil || len(hist) != 1 || hist[0].Status != domain.ActivationBlocked {
		t.Fatalf("history: %+v %v", hist, err)
	}

	// The next CORRECT signature fails and touches no counter.
	res := mustVerify(t, svc, d.verifyInput(typ, v, data, d.sign(t, typ, v, data)))
	if res.SignatureValid || res.ActivationStatus != domain.ActivationBlocked || res.RemainingAttempts != nil || res.UserID != "" {
		t.Fatalf("correct signature on a blocked activation: %+v", res)
	}
	after := loadActivation(t, svc, d.ActivationID)
	if after.Counter != a.Counter || !bytes.Equal(after.CtrData, a.CtrData) || after.FailedAttempts != 5 {
		t.Fatalf("counters changed on a blocked activation: %+v", after)
	}
	recs := audits(t, svc, d.ActivationID)
	last := recs[len(recs)-1]
	if len(recs) != 6 || last.Note != auditNoteInvalidState || last.Valid || last.ActivationStatus != domain.ActivationBlocked {
		t.Fatalf("audit: %d records, last %+v", len(recs), last)
	}
	if recs[4].AdditionalInfo[AuditInfoBlockedReason] != domain.BlockedReasonMaxFailedAttempts || recs[4].ActivationStatus != domain.ActivationBlocked {
		t.Fatalf("blocking audit record: %+v", recs[4])
	}
}

func TestVerifySignatureForcesBlockWhenNoAttemptsLeft(t *testing.T) {
	svc, _ := newSQLiteService(t)
	ctx := context.Background()
	d := newActiveTestActivation(t, svc, createTestApp(t, svc))
	if err := svc.store.InTx(ctx, func(tx store.Tx) error {
		a, err := tx.GetActivationForUpdate(ctx, d.ActivationID)
		if err != nil {
			return err
		}
		a.FailedAttempts = 5
		return tx.UpdateActivation(ctx, &a)
	}); err != nil {
		t.Fatal(err)
	}
	data := testRequestData("")
	typ := protocol.SignaturePossession
	res := mustVerify(t, svc, d.verifyInput(typ, protocol.Version33, data, d.sign(t, typ, protocol.Version33, data)))
	a := loadActivation(t, svc, d.ActivationID)
	if res.SignatureValid || res.ActivationStatus != domain.ActivationBlocked || a.Status != domain.ActivationBlocked ||
		a.BlockedReason != domain.BlockedReasonMaxFailedAttempts || a.Counter != 0 {
		t.Fatalf("result %+v activation %+v", res, a)
	}
	if recs := audits(t, svc, d.ActivationID); len(recs) != 1 || recs[0].Note != auditNoteInvalidStateBlocked {
		t.Fatalf("audit: %+v", recs)
	}
}

func TestVerifySignatureApplicationVersion(t *testing.T) {
	svc, _ := newSQLiteService(t)
	ctx := context.Background()
	app := createTestApp(t, svc)
	other := createTestApp(t, svc)
	d := newActiveTestActivation(t, svc, app)
	data := testRequestData("b")
	v := protocol.Version33

	// Another application's key: invalid, a possession attempt does not
	// count, a knowledge one does.
	for _, tc := range []struct {
		typ        protocol.SignatureType
		wantFailed int64
	}{{protocol.SignaturePossession, 0}, {protocol.SignaturePossessionKnowledge, 1}} {
		sig := d.sign(t, tc.typ, v, data)
		in := d.verifyInput(tc.typ, v, data, sig)
		in.ApplicationKey = other.Version.ApplicationKey
		res := mustVerify(t, svc, in)
		a := loadActivation(t, svc, d.ActivationID)
		if res.SignatureValid || res.ActivationStatus != domain.ActivationActive || res.RemainingAttempts != nil ||
			a.FailedAttempts != tc.wantFailed || a.Counter != 0 {
			t.Fatalf("%s with a foreign key: %+v, activation failed %d counter %d", tc.typ, res, a.FailedAttempts, a.Counter)
		}
	}
	recs := audits(t, svc, d.ActivationID)
	if len(recs) != 2 || recs[1].Note != auditNoteInvalidApplication ||
		string(recs[1].Data) != data {
		t.Fatalf("audit of a foreign key: %+v", recs)
	}

	// An unknown key is invalid too.
	in := d.verifyInput(protocol.SignaturePossession, v, data, d.sign(t, protocol.SignaturePossession, v, data))
	in.ApplicationKey = "AAAAAAAAAAAAAAAAAAAAAA=="
	if res := mustVerify(t, svc, in); res.SignatureValid {
		t.Fatal("unknown application key accepted")
	}

	// An unsupported version: invalid until supported again.
	if _, err := svc.SetApplicationVersionSupported(ctx, app.App.Name, app.Version.Name, false); err != nil {
		t.Fatal(err)
	}
	d2 := newActiveTestActivation(t, svc, app)
	sig := d2.sign(t, protocol.SignaturePossessionKnowledge, v, data)
	if res := mustVerify(t, svc, d2.verifyInput(protocol.SignaturePossessionKnowledge, v, data, sig)); res.SignatureValid {
		t.Fatal("signature of an unsupported version accepted")
	}
	if a := loadActivation(t, svc, d2.ActivationID); a.FailedAttempts != 1 || a.Counter != 0 {
		t.Fatalf("unsupported version: failed %d counter %d", a.FailedAttempts, a.Counter)
	}
	if _, err := svc.SetApplicationVersionSupported(ctx, app.App.Name, app.Version.Name, true); err != nil {
		t.Fatal(err)
	}
	if res := mustVerify(t, svc, d2.verifyInput(protocol.SignaturePossessionKnowledge, v, data, sig)); !res.SignatureValid {
		t.Fatal("signature of a supported version rejected")
	}
	// A second, supported version of the same application works with its
	// own secret.
	v2, err := svc.CreateApplicationVersion(ctx, app.App.Name, "second")
	if err != nil {
		t.Fatal(err)
	}
	d2.mu.Lock()
	sig = d2.signLocked(t, protocol.SignaturePossession, v, data, v2.ApplicationSecret)
	d2.mu.Unlock()
	in = d2.verifyInput(protocol.SignaturePossession, v, data, sig)
	in.ApplicationKey = v2.ApplicationKey
	if res := mustVerify(t, svc, in); !res.SignatureValid {
		t.Fatal("signature of the second version rejected")
	}
}

func TestVerifySignatureForeignKeyBlocksOnlyActive(t *testing.T) {
	svc, _ := newSQLiteService(t)
	ctx := context.Background()
	app := createTestApp(t, svc)
	other := createTestApp(t, svc)
	d := newActiveTestActivation(t, svc, app)
	typ := protocol.SignatureKnowledge
	data := testRequestData("")
	for i := 1; i <= 5; i++ {
		in := d.verifyInput(typ, protocol.Version33, data, wrongSignature(typ, protocol.Version33))
		in.ApplicationKey = other.Version.ApplicationKey
		res := mustVerify(t, svc, in)
		if i == 5 && res.ActivationStatus != domain.ActivationBlocked {
			t.Fatalf("not blocked after 5 foreign-key failures: %+v", res)
		}
	}
	// A REMOVED activation stays REMOVED whatever is sent.
	if err := svc.store.InTx(ctx, func(tx store.Tx) error {
		a, err := tx.GetActivationForUpdate(ctx, d.ActivationID)
		if err != nil {
			return err
		}
		a.Status, a.FailedAttempts = domain.ActivationRemoved, 0
		return tx.UpdateActivation(ctx, &a)
	}); err != nil {
		t.Fatal(err)
	}
	for range 6 {
		in := d.verifyInput(typ, protocol.Version33, data, wrongSignature(typ, protocol.Version33))
		in.ApplicationKey = other.Version.ApplicationKey
		if res := mustVerify(t, svc, in); res.ActivationStatus != domain.ActivationRemoved {
			t.Fatalf("removed activation: %+v", res)
		}
	}
	if a := loadActivation(t, svc, d.ActivationID); a.Status != domain.ActivationRemoved || a.FailedAttempts != 0 {
		t.Fatalf("removed activation changed: %+v", a)
	}
}

func TestVerifySignatureInactiveAndUnknown(t *testing.T) {
	svc, _ := newSQLiteService(t)
	ctx := context.Background()
	d := newActiveTestActivation(t, svc, createTestApp(t, svc))
	data := testRequestData("")
	typ := protocol.SignaturePossessionKnowledge

	res := mustVerify(t, svc, VerifySignatureInput{ActivationID: "00000000-0000-4000-8000-000000000000", ApplicationKey: d.App.Version.ApplicationKey,
		Data: data, Signature: "x", SignatureType: typ, SignatureVersion: "3.3"})
	if res.SignatureValid || res.ActivationStatus != domain.ActivationRemoved || res.ActivationID != "00000000-0000-4000-8000-000000000000" {
		t.Fatalf("unknown activation: %+v", res)
	}

	for _, st := range []domain.ActivationStatus{domain.ActivationCreated, domain.ActivationPendingCommit, domain.ActivationBlocked, domain.ActivationRemoved} {
		if err := svc.store.InTx(ctx, func(tx store.Tx) error {
			a, err := tx.GetActivationForUpdate(ctx, d.ActivationID)
			if err != nil {
				return err
			}
			a.Status = st
			return tx.UpdateActivation(ctx, &a)
		}); err != nil {
			t.Fatal(err)
		}
		before := loadActivation(t, svc, d.ActivationID)
		res := mustVerify(t, svc, d.verifyInput(typ, protocol.Version33, data, d.sign(t, typ, protocol.Version33, data)))
		after := loadActivation(t, svc, d.ActivationID)
		if res.SignatureValid || res.ActivationStatus != st || after.Status != st || after.Counter != before.Counter || after.FailedAttempts != before.FailedAttempts {
			t.Fatalf("%v: result %+v activation %+v", st, res, after)
		}
	}
	for _, r := range audits(t, svc, d.ActivationID) {
		if r.Note != auditNoteInvalidState || r.Valid {
			t.Fatalf("audit: %+v", r)
		}
	}
}

func TestVerifySignatureInputValidation(t *testing.T) {
	svc, _ := newSQLiteService(t)
	good := VerifySignatureInput{ActivationID: "a", ApplicationKey: "k", Data: "d", Signature: "s",
		SignatureType: protocol.SignaturePossession, SignatureVersion: "3.1"}
	for name, mut := range map[string]func(*VerifySignatureInput){
		"no activation":   func(in *VerifySignatureInput) { in.ActivationID = "" },
		"no key":          func(in *VerifySignatureInput) { in.ApplicationKey = "" },
		"no data":         func(in *VerifySignatureInput) { in.Data = "" },
		"no signature":    func(in *VerifySignatureInput) { in.Signature = "" },
		"no type":         func(in *VerifySignatureInput) { in.SignatureType = "" },
		"bad type":        func(in *VerifySignatureInput) { in.SignatureType = "POSSESSION" },
		"no version":      func(in *VerifySignatureInput) { in.SignatureVersion = "" },
		"version 2.1":     func(in *VerifySignatureInput) { in.SignatureVersion = "2.1" },
		"version 4.0":     func(in *VerifySignatureInput) { in.SignatureVersion = "4.0" },
		"version garbage": func(in *VerifySignatureInput) { in.SignatureVersion = "3.x" },
	} {
		in := good
		mut(&in)
		if _, err := svc.VerifySignature(context.Background(), in); CodeOf(err) != CodeInvalidRequest {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, tc := range map[string]struct {
		in   string
		want protocol.SignatureType
		ok   bool
	}{
		"upper":  {"POSSESSION_KNOWLEDGE_BIOMETRY", protocol.SignaturePossessionKnowledgeBiometry, true},
		"lower":  {"possession", "", false},
		"mixed":  {"Possession", "", false},
		"empty":  {"", "", false},
		"bogus":  {"POSSESSION_POSSESSION", "", false},
		"spaces": {" POSSESSION", "", false},
	} {
		got, err := ParseSignatureTypeName(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("%s: %q %v", name, got, err)
		}
	}
	if SignatureTypeName(protocol.SignaturePossessionBiometry) != "POSSESSION_BIOMETRY" {
		t.Error("SignatureTypeName")
	}
}

func TestVerifySignatureVersion2Activation(t *testing.T) {
	svc, _ := newSQLiteService(t)
	ctx := context.Background()
	d := newActiveTestActivation(t, svc, createTestApp(t, svc))
	initial := loadActivation(t, svc, d.ActivationID)
	if err := svc.store.InTx(ctx, func(tx store.Tx) error {
		a, err := tx.GetActivationForUpdate(ctx, d.ActivationID)
		if err != nil {
			return err
		}
		a.Version, a.Counter = 2, 10
		return tx.UpdateActivation(ctx, &a)
	}); err != nil {
		t.Fatal(err)
	}
	typ := protocol.SignaturePossessionKnowledge
	data := testRequestData("v2")
	full := protocol.SignatureData(data, d.App.Version.ApplicationSecret)
	// A legacy signature uses the numeric counter (here 3 ahead).
	sig, err := protocol.ComputeSignature(d.Keys, typ, protocol.CtrDataV2(13), full, protocol.FormatDecimal, 8)
	if err != nil {
		t.Fatal(err)
	}
	if res := mustVerify(t, svc, d.verifyInput(typ, protocol.Version30, data, sig)); !res.SignatureValid {
		t.Fatal("version 2 signature rejected")
	}
	a := loadActivation(t, svc, d.ActivationID)
	if a.Counter != 14 || !bytes.Equal(a.CtrData, initial.CtrData) {
		t.Fatalf("after v2 signature: counter %d", a.Counter)
	}
	// During the upgrade the client signs with the hash-based counter and
	// forces version 3.
	sig = d.sign(t, typ, protocol.Version31, data)
	in := d.verifyInput(typ, protocol.Version31, data, sig)
	if res := mustVerify(t, svc, in); res.SignatureValid {
		t.Fatal("hash-based signature accepted without forced version")
	}
	sig = d.sign(t, typ, protocol.Version31, data)
	in = d.verifyInput(typ, protocol.Version31, data, sig)
	in.ForcedSignatureVersion = 3
	if res := mustVerify(t, svc, in); !res.SignatureValid {
		t.Fatal("forced version 3 signature rejected")
	}
	a = loadActivation(t, svc, d.ActivationID)
	if a.Counter != 16 || !bytes.Equal(a.CtrData, ctrAfter(initial.CtrData, 2)) || a.Version != 2 {
		t.Fatalf("after forced signature: counter %d version %d", a.Counter, a.Version)
	}
	if recs := audits(t, svc, d.ActivationID); recs[0].Version != 2 || recs[len(recs)-1].Version != 3 {
		t.Fatalf("audit versions %d, %d", recs[0].Version, recs[len(recs)-1].Version)
	}
}

func TestVerifySignatureAdditionalInfoNotMutated(t *testing.T) {
	svc, _ := newSQLiteService(t)
	d := newActiveTestActivation(t, svc, createTestApp(t, svc))
	typ := protocol.SignaturePossessionKnowledge
	info := map[string]string{"VAULT_UNLOCKED_REASON": "ADD_BIOMETRY"}
	data := testRequestData("")
	for range 5 {
		in := d.verifyInput(typ, protocol.Version33, data, wrongSignature(typ, protocol.Version33))
		in.AdditionalInfo = info
		mustVerify(t, svc, in)
	}
	if len(info) != 1 {
		t.Fatalf("caller's map changed: %v", info)
	}
	recs := audits(t, svc, d.ActivationID)
	if recs[0].AdditionalInfo["VAULT_UNLOCKED_REASON"] != "ADD_BIOMETRY" || recs[4].AdditionalInfo[AuditInfoBlockedReason] != domain.BlockedReasonMaxFailedAttempts {
		t.Fatalf("audit info: %v / %v", recs[0].AdditionalInfo, recs[4].AdditionalInfo)
	}
}
