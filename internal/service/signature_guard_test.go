package service

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/teststore"
	"github.com/mauth/mauth/protocol"
)

// TestPossessionBackoffSchedule checks the back-off arithmetic on a fixed
// time line: five free failures, then 1 minute doubling per failure up to
// 24 hours, and a streak forgotten after 30 quiet days.
func TestPossessionBackoffSchedule(t *testing.T) {
	c := DefaultConfig()
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	var a domain.Activation
	now := t0
	for n := int64(1); n <= 60; n++ {
		c.countPossessionFailure(&a, now)
		if a.PossessionFailedAttempts != n || !a.PossessionLastFailure.Equal(now) {
			t.Fatalf("failure %d: streak %d at %v", n, a.PossessionFailedAttempts, a.PossessionLastFailure)
		}
		until, waiting := c.PossessionBackoffUntil(a, now)
		var want time.Duration
		switch {
		case n < 5:
			want = 0
		case n-5 <= 10: // 1 min … 1024 min
			want = time.Minute << (n - 5)
		default:
			want = 24 * time.Hour
		}
		if want == 0 {
			if waiting || !until.IsZero() {
				t.Fatalf("failure %d: waits until %v", n, until)
			}
			continue
		}
		if !waiting || !until.Equal(now.Add(want)) {
			t.Fatalf("failure %d: waits until %v (%v), want %v", n, until, waiting, want)
		}
		// Still waiting a millisecond before, no longer at the end.
		if _, w := c.PossessionBackoffUntil(a, until.Add(-time.Millisecond)); !w {
			t.Fatalf("failure %d: not waiting just before the end", n)
		}
		if _, w := c.PossessionBackoffUntil(a, until); w {
			t.Fatalf("failure %d: still waiting at the end", n)
		}
		now = until // the attacker's best pace: one guess as each wait ends
	}
	// Thirty days without a failure forget the streak; a moment less does not.
	if c.possessionStreak(a, a.PossessionLastFailure.Add(DefaultPossessionFailureWindow-time.Millisecond)) != 60 {
		t.Fatal("streak forgotten before the window ended")
	}
	quiet := a.PossessionLastFailure.Add(DefaultPossessionFailureWindow)
	if c.possessionStreak(a, quiet) != 0 {
		t.Fatal("streak not forgotten after the window")
	}
	c.countPossessionFailure(&a, quiet)
	if a.PossessionFailedAttempts != 1 {
		t.Fatalf("new streak starts at %d", a.PossessionFailedAttempts)
	}
}

// TestSignatureDigestRing checks the bounded ring of accepted signatures.
func TestSignatureDigestRing(t *testing.T) {
	var ring []byte
	var ds [][]byte
	for i := range 12 {
		d := signatureDigest("online", "key", "data", "possession", string(rune('a'+i)))
		if len(d) != signatureDigestSize {
			t.Fatalf("digest of %d bytes", len(d))
		}
		ds = append(ds, d)
		ring = ringPush(ring, d)
		if want := min(i+1, signatureDigestRing) * signatureDigestSize; len(ring) != want {
			t.Fatalf("ring of %d bytes after %d pushes, want %d", len(ring), i+1, want)
		}
	}
	for i, d := range ds {
		if got, want := ringContains(ring, d), i >= len(ds)-signatureDigestRing; got != want {
			t.Fatalf("digest %d in ring: %v, want %v", i, got, want)
		}
	}
	// Fields are length-prefixed: moving a separator changes the digest.
	if bytes.Equal(signatureDigest("online", "ab", "c"), signatureDigest("online", "a", "bc")) {
		t.Fatal("digests of different field lists collide")
	}
	// A damaged tail is dropped, not carried along.
	if got := ringPush(append(ring[:2*signatureDigestSize:2*signatureDigestSize], 1, 2, 3), ds[0]); len(got) != 3*signatureDigestSize || !ringContains(got, ds[0]) {
		t.Fatalf("ring with a damaged tail: %d bytes", len(got))
	}
}

// TestVerifySignatureReplayIsNotAFailure sends 32 copies of one valid
// two-factor signature at once: exactly one is accepted, the other 31 are
// refused as replays and count nothing, on both the optimistic and the
// locked path.
func TestVerifySignatureReplayIsNotAFailure(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		svc, _ := newTestService(t, st, Config{})
		d := newActiveTestActivation(t, svc, createTestApp(t, svc))
		typ, version := protocol.SignaturePossessionKnowledge, protocol.Version33
		for round := range 3 { // one round after another: the ring keeps several signatures
			data := testRequestData(`{"pay":"once"}`)
			in := d.verifyInput(typ, version, data, d.sign(t, typ, version, data))
			const copies = 32
			var valid, replays atomic.Int64
			var wg sync.WaitGroup
			errs := make(chan error, copies)
			for range copies {
				wg.Go(func() {
					res, err := svc.VerifySignature(context.Background(), in)
					switch {
					case err != nil:
						errs <- err
					case res.SignatureValid:
						valid.Add(1)
					case res.RemainingAttempts != nil && *res.RemainingAttempts == 5 && res.ActivationStatus == domain.ActivationActive:
						replays.Add(1)
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			if valid.Load() != 1 || replays.Load() != copies-1 {
				t.Fatalf("round %d: %d accepted, %d refused as replays", round, valid.Load(), replays.Load())
			}
			a := loadActivation(t, svc, d.ActivationID)
			if a.Status != domain.ActivationActive || a.FailedAttempts != 0 || a.Counter != int64(round+1) {
				t.Fatalf("round %d: status %v failed %d counter %d", round, a.Status, a.FailedAttempts, a.Counter)
			}
		}
		notes := map[string]int{}
		for _, r := range audits(t, svc, d.ActivationID) {
			notes[r.Note]++
		}
		if notes[auditNoteSignatureOK] != 3 || notes[auditNoteSignatureReplay] != 93 || len(notes) != 2 {
			t.Fatalf("audit notes %v", notes)
		}
		// Every earlier signature is still known (an old one, too, is no guess).
		data := testRequestData("x")
		if res := mustVerify(t, svc, d.verifyInput(typ, version, data, wrongSignature(typ, version))); res.SignatureValid || *res.RemainingAttempts != 4 {
			t.Fatalf("a wrong signature still counts: %+v", res)
		}
	})
}

// TestVerifySignatureReplayBothPaths accepts a signature once on the
// optimistic path and once on the locked path; the replay of each is
// refused without counting, and the ring forgets the oldest of more than
// eight accepted signatures.
func TestVerifySignatureReplayBothPaths(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		cs := &pathCountingStore{Store: st}
		svc, _ := newTestService(t, cs, Config{})
		d := newActiveTestActivation(t, svc, createTestApp(t, svc))
		typ, version := protocol.SignaturePossessionBiometry, protocol.Version32
		var accepted []VerifySignatureInput
		accept := func(locked bool) {
			t.Helper()
			data := testRequestData(`{"n":1}`)
			in := d.verifyInput(typ, version, data, d.sign(t, typ, version, data))
			if locked {
				change := func() {
					updateStored(t, svc, d.ActivationID, func(a *domain.Activation) { a.Name = "renamed elsewhere" })
				}
				cs.afterRead.Store(&change)
			}
			sw0 := cs.swapped.Load()
			res := mustVerify(t, svc, in)
			if !res.SignatureValid || (cs.swapped.Load() != sw0) != !locked {
				t.Fatalf("accept (locked %v): valid %v, swapped %d", locked, res.SignatureValid, cs.swapped.Load()-sw0)
			}
			accepted = append(accepted, in)
		}
		replay := func(in VerifySignatureInput, wantRemaining int64) {
			t.Helper()
			res := mustVerify(t, svc, in)
			if res.SignatureValid || res.ActivationStatus != domain.ActivationActive || *res.RemainingAttempts != wantRemaining {
				t.Fatalf("replay: %+v, want remaining %d", res, wantRemaining)
			}
		}
		accept(false)
		replay(accepted[0], 5)
		accept(true)
		replay(accepted[1], 5)
		replay(accepted[0], 5)
		for range 7 {
			accept(false)
		}
		// Nine accepted: the first fell out of the ring and is a failed
		// attempt again, the second is still a replay.
		replay(accepted[1], 5)
		replay(accepted[0], 4)
		if a := loadActivation(t, svc, d.ActivationID); len(a.SignatureDigests) != signatureDigestRing*signatureDigestSize {
			t.Fatalf("ring of %d bytes", len(a.SignatureDigests))
		}
	})
}

// TestVerifySignaturePossessionBackoff guesses possession-only signatures
// on a frozen clock: five failures are free, then possession-only attempts
// (even correct ones) are refused unevaluated until the wait ends; the
// activation is never blocked and two-factor signatures keep working.
func TestVerifySignaturePossessionBackoff(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		cs := &pathCountingStore{Store: st}
		svc, clock := newTestService(t, cs, Config{})
		clock.Stop()
		d := newActiveTestActivation(t, svc, createTestApp(t, svc))
		p, version := protocol.SignaturePossession, protocol.Version30 // 8-digit DECIMAL
		try := func(valid bool) VerifySignatureResult {
			t.Helper()
			data := testRequestData(`{"guess":true}`)
			sig := wrongSignature(p, version)
			if valid {
				sig = d.sign(t, p, version, data)
			}
			res := mustVerify(t, svc, d.verifyInput(p, version, data, sig))
			if res.ActivationStatus != domain.ActivationActive || *res.RemainingAttempts != 5 {
				t.Fatalf("possession attempt: %+v", res)
			}
			return res
		}
		lastNote := func() string {
			recs := audits(t, svc, d.ActivationID)
			return recs[len(recs)-1].Note
		}
		for range DefaultPossessionFailureBudget {
			if try(false).SignatureValid {
				t.Fatal("wrong signature accepted")
			}
			clock.Advance(time.Second)
		}
		// In the back-off even the right signature is refused, without
		// evaluation (also on the optimistic path, which would accept it).
		clock.Advance(-time.Second) // one minute from the fifth failure
		tx0, sw0 := cs.transactions.Load(), cs.swaps.Load()
		if try(true).SignatureValid || lastNote() != auditNotePossessionBackoff || cs.swaps.Load() != sw0 || cs.transactions.Load() != tx0+1 {
			t.Fatalf("valid possession signature during the back-off: note %s", lastNote())
		}
		// Knowledge and biometry are unaffected.
		data := testRequestData("2fa")
		if res := mustVerify(t, svc, d.verifyInput(protocol.SignaturePossessionKnowledge, version, data, d.sign(t, protocol.SignaturePossessionKnowledge, version, data))); !res.SignatureValid {
			t.Fatalf("two-factor signature during the back-off: %+v", res)
		}
		// Refused attempts do not extend the wait: it ends one minute after
		// the fifth failure.
		clock.Advance(time.Minute - time.Millisecond)
		if try(true).SignatureValid || lastNote() != auditNotePossessionBackoff {
			t.Fatal("back-off ended early")
		}
		clock.Advance(time.Millisecond)
		if !try(true).SignatureValid {
			t.Fatal("back-off did not end after one minute")
		}
		// A valid signature does not reset the streak: the next failure
		// waits two minutes, the one after four.
		for _, wait := range []time.Duration{2 * time.Minute, 4 * time.Minute} {
			if try(false).SignatureValid {
				t.Fatal("wrong signature accepted")
			}
			clock.Advance(wait - time.Millisecond)
			try(true)
			if lastNote() != auditNotePossessionBackoff {
				t.Fatalf("%v wait ended early", wait)
			}
			clock.Advance(time.Millisecond)
		}
		// Many more failures: never BLOCKED, never a counted failure.
		for range 30 {
			try(false)
			clock.Advance(DefaultPossessionBackoffMax)
		}
		a := loadActivation(t, svc, d.ActivationID)
		if a.Status != domain.ActivationActive || a.FailedAttempts != 0 || a.PossessionFailedAttempts != 37 {
			t.Fatalf("after the guesses: status %v failed %d possession failures %d", a.Status, a.FailedAttempts, a.PossessionFailedAttempts)
		}
		// Thirty quiet days end the streak.
		clock.Advance(DefaultPossessionFailureWindow)
		try(false)
		if a := loadActivation(t, svc, d.ActivationID); a.PossessionFailedAttempts != 1 {
			t.Fatalf("streak after 30 quiet days: %d", a.PossessionFailedAttempts)
		}
		if !try(true).SignatureValid {
			t.Fatal("possession signature refused at the start of a new streak")
		}
	})
}

// TestVerifySignaturePossessionBackoffSparesBase64 has an attacker send
// many possession-only guesses, 8-digit DECIMAL (3.0) ones and BASE64
// (3.1–3.3) garbage, on a frozen clock: only the DECIMAL failures count
// in the streak and start the back-off, which refuses DECIMAL attempts
// (even the device's correct one), while the device's correct BASE64
// possession-only signatures are evaluated and accepted throughout, and
// BASE64 garbage is evaluated (and refused) without counting.
func TestVerifySignaturePossessionBackoffSparesBase64(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		cs := &pathCountingStore{Store: st}
		svc, clock := newTestService(t, cs, Config{})
		clock.Stop()
		app := createTestApp(t, svc)
		// The device speaks 3.3 and 3.0 alternately: without the ratchet
		// the DECIMAL guesses reach the back-off instead of being refused
		// as a downgrade.
		allow := true
		if _, err := svc.UpdateApplicationProtocolSettings(ctx, app.App.Name, ApplicationProtocolUpdate{AllowVersionDowngrade: &allow}); err != nil {
			t.Fatal(err)
		}
		d := newActiveTestActivation(t, svc, app)
		p := protocol.SignaturePossession
		base64Versions := []string{protocol.Version31, protocol.Version32, protocol.Version33}
		lastNote := func() string {
			t.Helper()
			recs := audits(t, svc, d.ActivationID)
			return recs[len(recs)-1].Note
		}
		try := func(version, data, sig, wantNote string) VerifySignatureResult {
			t.Helper()
			res := mustVerify(t, svc, d.verifyInput(p, version, data, sig))
			if res.ActivationStatus != domain.ActivationActive || *res.RemainingAttempts != 5 || lastNote() != wantNote {
				t.Fatalf("%s possession attempt: %+v, note %s, want %s", version, res, lastNote(), wantNote)
			}
			return res
		}
		garbage := func() string { return base64.StdEncoding.EncodeToString(protocol.RandomBytes(16)) }
		guessData := func() string { return testRequestData(`{"guess":true}`) }
		// The attack: three times the budget of DECIMAL guesses, each
		// followed by BASE64 garbage of every BASE64 version.
		for i := range 3 * DefaultPossessionFailureBudget {
			wantNote := auditNoteSignatureMismatch
			if i >= DefaultPossessionFailureBudget {
				wantNote = auditNotePossessionBackoff
			}
			if try(protocol.Version30, guessData(), fmt.Sprintf("%08d", 10000019*(i+1)%100000000), wantNote).SignatureValid {
				t.Fatal("DECIMAL guess accepted")
			}
			for _, v := range base64Versions {
				if try(v, guessData(), garbage(), auditNoteSignatureMismatch).SignatureValid {
					t.Fatal("BASE64 garbage accepted")
				}
			}
		}
		a := loadActivation(t, svc, d.ActivationID)
		if a.PossessionFailedAttempts != DefaultPossessionFailureBudget || a.FailedAttempts != 0 {
			t.Fatalf("streak %d, failed attempts %d; want only the %d evaluated DECIMAL failures in the streak",
				a.PossessionFailedAttempts, a.FailedAttempts, DefaultPossessionFailureBudget)
		}
		// The device's correct BASE64 possession-only signatures are
		// accepted in the middle of the attack (on the optimistic path),
		// while its correct DECIMAL one waits for the back-off.
		for _, v := range base64Versions {
			data := testRequestData(`{"token":"create"}`)
			sw0 := cs.swaps.Load()
			res := mustVerify(t, svc, d.verifyInput(p, v, data, d.sign(t, p, v, data)))
			if !res.SignatureValid || cs.swaps.Load() == sw0 || lastNote() != auditNoteSignatureOK {
				t.Fatalf("device's %s possession signature during the attack: %+v, note %s", v, res, lastNote())
			}
			if try(v, guessData(), garbage(), auditNoteSignatureMismatch).SignatureValid {
				t.Fatal("BASE64 garbage accepted")
			}
		}
		data := testRequestData(`{"old":"sdk"}`)
		if try(protocol.Version30, data, d.sign(t, p, protocol.Version30, data), auditNotePossessionBackoff).SignatureValid {
			t.Fatal("DECIMAL possession signature accepted during the back-off")
		}
		// The BASE64 garbage neither counted nor extended the wait: the
		// back-off ends one minute after the fifth DECIMAL failure.
		clock.Advance(time.Minute)
		data = testRequestData(`{"old":"sdk"}`)
		if !try(protocol.Version30, data, d.sign(t, p, protocol.Version30, data), auditNoteSignatureOK).SignatureValid {
			t.Fatal("DECIMAL possession signature refused after the back-off")
		}
		if a := loadActivation(t, svc, d.ActivationID); a.PossessionFailedAttempts != DefaultPossessionFailureBudget || a.Status != domain.ActivationActive || a.FailedAttempts != 0 {
			t.Fatalf("after the attack: streak %d, status %v, failed %d", a.PossessionFailedAttempts, a.Status, a.FailedAttempts)
		}
	})
}

// TestVerifySignatureVersionPolicy checks the per-activation ratchet and
// the application's minimum version on both verification paths: refused
// signatures are not evaluated and count nothing.
func TestVerifySignatureVersionPolicy(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		cs := &pathCountingStore{Store: st}
		svc, _ := newTestService(t, cs, Config{})
		app := createTestApp(t, svc)
		d := newActiveTestActivation(t, svc, app)
		typ := protocol.SignaturePossessionKnowledge
		verify := func(version string, wantValid bool, wantNote string) {
			t.Helper()
			data := testRequestData(`{"v":"` + version + `"}`)
			sw0 := cs.swaps.Load()
			res := mustVerify(t, svc, d.verifyInput(typ, version, data, d.sign(t, typ, version, data)))
			if res.SignatureValid != wantValid || *res.RemainingAttempts != 5 || res.ActivationStatus != domain.ActivationActive {
				t.Fatalf("%s: %+v, want valid %v", version, res, wantValid)
			}
			recs := audits(t, svc, d.ActivationID)
			if last := recs[len(recs)-1]; last.Note != wantNote || last.SignatureVersion != version {
				t.Fatalf("%s: audit note %s, want %s", version, last.Note, wantNote)
			}
			if !wantValid && cs.swaps.Load() != sw0 {
				t.Fatalf("%s: refused signature was swapped in", version)
			}
		}
		settings := func(u ApplicationProtocolUpdate) {
			t.Helper()
			if _, err := svc.UpdateApplicationProtocolSettings(ctx, app.App.Name, u); err != nil {
				t.Fatal(err)
			}
		}
		maxVersion := func() string { return loadActivation(t, svc, d.ActivationID).MaxProtocolVersion }

		verify(protocol.Version31, true, auditNoteSignatureOK)
		if maxVersion() != protocol.Version31 {
			t.Fatalf("ratchet at %q", maxVersion())
		}
		verify(protocol.Version30, false, auditNoteVersionDowngrade) // 8-digit DECIMAL after BASE64
		verify(protocol.Version33, true, auditNoteSignatureOK)
		verify(protocol.Version32, false, auditNoteVersionDowngrade)
		if maxVersion() != protocol.Version33 {
			t.Fatalf("ratchet at %q", maxVersion())
		}
		// The device's refused signatures left gaps it can sign past.
		verify(protocol.Version33, true, auditNoteSignatureOK)

		// Ratchet off: older versions work again, the mark stays.
		allow, minimum := true, protocol.Version32
		settings(ApplicationProtocolUpdate{AllowVersionDowngrade: &allow})
		verify(protocol.Version30, true, auditNoteSignatureOK)
		if maxVersion() != protocol.Version33 {
			t.Fatalf("ratchet lowered to %q", maxVersion())
		}
		// A minimum applies whatever the ratchet says.
		settings(ApplicationProtocolUpdate{MinProtocolVersion: &minimum})
		verify(protocol.Version31, false, auditNoteVersionBelowMinimum)
		verify(protocol.Version32, true, auditNoteSignatureOK)
		if a := loadActivation(t, svc, d.ActivationID); a.FailedAttempts != 0 {
			t.Fatalf("refusals counted: %d", a.FailedAttempts)
		}
	})
}

// TestVersionPolicyEncryptionAndTokens checks the version policy for
// encrypted requests (ecies/decryptor) and tokens of an activation that
// has spoken 3.2.
func TestVersionPolicyEncryptionAndTokens(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		svc, _ := newTestService(t, st, Config{})
		app := createTestApp(t, svc)
		ta := newEncTestActivation(t, svc, app, domain.ActivationActive, 3)
		updateStored(t, svc, ta.ID, func(a *domain.Activation) { a.MaxProtocolVersion = protocol.Version32 })
		decryptor := func(version string, activation bool) error {
			t.Helper()
			key, ectx, id := app.Master, protocol.EciesContext{Version: version, SharedInfo1: protocol.SharedInfo1GenericApplication,
				ApplicationKey: app.Version.ApplicationKey, ApplicationSecret: app.Version.ApplicationSecret}, ""
			if activation {
				key, ectx, id = ta.ServerPub, ta.eciesContext(version, protocol.SharedInfo1GenericActivation, ""), ta.ID
			}
			req, _ := encryptForServer(t, key, ectx, []byte("{}"), svc.Now())
			_, err := svc.EciesDecryptor(ctx, decryptorInput(req, id, app.Version.ApplicationKey))
			return err
		}
		if err := decryptor(protocol.Version32, true); err != nil {
			t.Fatalf("3.2 request: %v", err)
		}
		for _, v := range []string{protocol.Version30, protocol.Version31} {
			if err := decryptor(v, true); CodeOf(err) != CodeDecryptionFailed {
				t.Fatalf("%s request of a 3.2 activation: %v", v, err)
			}
		}
		// The ratchet binds an activation; application scope is free.
		if err := decryptor(protocol.Version31, false); err != nil {
			t.Fatalf("3.1 request in application scope: %v", err)
		}

		// Tokens: a digest of a lower version is invalid.
		id, secret := createTestToken(t, svc, ta, protocol.Version32, protocol.SignaturePossession)
		for _, tc := range []struct {
			version string
			valid   bool
		}{{protocol.Version31, false}, {protocol.Version32, true}, {protocol.Version33, true}} {
			res, err := svc.ValidateToken(ctx, tokenInput(id, secret, tc.version, svc.Now()))
			if err != nil || res.TokenValid != tc.valid {
				t.Fatalf("token %s: %+v %v, want valid %v", tc.version, res, err, tc.valid)
			}
		}

		// The application's minimum binds application scope too.
		minimum := protocol.Version33
		if _, err := svc.UpdateApplicationProtocolSettings(ctx, app.App.Name, ApplicationProtocolUpdate{MinProtocolVersion: &minimum}); err != nil {
			t.Fatal(err)
		}
		if err := decryptor(protocol.Version32, false); CodeOf(err) != CodeDecryptionFailed {
			t.Fatalf("3.2 request below the minimum: %v", err)
		}
		if res, err := svc.ValidateToken(ctx, tokenInput(id, secret, protocol.Version32, svc.Now())); err != nil || res.TokenValid {
			t.Fatalf("token below the minimum: %+v %v", res, err)
		}
	})
}

// TestKeyExchangeStartsRatchet checks that the key exchange records the
// version the device spoke, and that an application minimum refuses older
// activations.
func TestKeyExchangeStartsRatchet(t *testing.T) {
	svc, _ := newSQLiteService(t)
	ctx := context.Background()
	app := createTestApp(t, svc)
	for _, v := range []string{protocol.Version30, protocol.Version31, protocol.Version32} {
		p := actPrepare(t, svc, app, v, InitActivationInput{}, "")
		if got := actGet(t, svc, p.result.Activation.ActivationID).MaxProtocolVersion; got != v {
			t.Fatalf("key exchange in %s recorded %q", v, got)
		}
	}
	minimum := protocol.Version32
	if _, err := svc.UpdateApplicationProtocolSettings(ctx, app.App.Name, ApplicationProtocolUpdate{MinProtocolVersion: &minimum}); err != nil {
		t.Fatal(err)
	}
	a := actInit(t, svc, app, InitActivationInput{})
	req, _ := actEncrypt(t, svc, app, protocol.Version31, newActDevice(t).payload(""))
	_, err := svc.PrepareActivation(ctx, PrepareActivationInput{ActivationCode: a.ActivationCode, ApplicationKey: app.Version.ApplicationKey, Request: req})
	if CodeOf(err) != CodeDecryptionFailed {
		t.Fatalf("3.1 key exchange below the minimum: %v", err)
	}
	if got := actGet(t, svc, a.ActivationID).Status; got != domain.ActivationCreated {
		t.Fatalf("refused key exchange left the activation %v", got)
	}
}
