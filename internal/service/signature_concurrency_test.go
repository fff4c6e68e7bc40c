package service

import (
	"bytes"
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/teststore"
	"github.com/mauth/mauth/protocol"
)

// TestVerifySignatureConcurrentSuccessiveSignatures has 64 goroutines share
// one device: each takes the device's next counter position and signs under
// the device lock, then verifies in parallel with the others. At most 16
// signatures are in flight, so every position stays inside the look-ahead
// window of 20; a signature can still lose the race to a later position
// (then it is stale and rejected, as the counter never goes back). The audit
// log must show a gap-free chain: every accepted signature was checked
// against exactly the counter the previously accepted one left behind.
func TestVerifySignatureConcurrentSuccessiveSignatures(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		svc, _ := newTestService(t, st, Config{})
		d := newActiveTestActivation(t, svc, createTestApp(t, svc))
		initial := loadActivation(t, svc, d.ActivationID)
		const goroutines, perGoroutine, inFlight = 64, 4, 16
		// Possession-only: the stale rejections do not count as failures,
		// so the activation stays ACTIVE whatever the interleaving.
		typ := protocol.SignaturePossession
		data := testRequestData(`{"op":"concurrent"}`)

		var (
			posMu    sync.Mutex
			position = map[string]int64{} // signature → device counter position
			accepted atomic.Int64
			rejected atomic.Int64
			sem      = make(chan struct{}, inFlight)
			wg       sync.WaitGroup
			errs     = make(chan error, goroutines*perGoroutine)
		)
		start := time.Now()
		for range goroutines {
			wg.Go(func() {
				for range perGoroutine {
					sem <- struct{}{}
					d.mu.Lock()
					pos := d.counter
					sig := d.signLocked(t, typ, protocol.Version33, data, d.App.Version.ApplicationSecret)
					d.mu.Unlock()
					posMu.Lock()
					position[sig] = pos
					posMu.Unlock()
					res, err := svc.VerifySignature(context.Background(), d.verifyInput(typ, protocol.Version33, data, sig))
					<-sem
					switch {
					case err != nil:
						errs <- err
					case res.SignatureValid:
						accepted.Add(1)
					default:
						rejected.Add(1)
					}
				}
			})
		}
		wg.Wait()
		elapsed := time.Since(start)
		close(errs)
		for err := range errs {
			t.Fatalf("verify: %v", err)
		}
		total := int64(goroutines * perGoroutine)
		if accepted.Load()+rejected.Load() != total || accepted.Load() == 0 {
			t.Fatalf("accepted %d + rejected %d != %d", accepted.Load(), rejected.Load(), total)
		}

		a := loadActivation(t, svc, d.ActivationID)
		recs := audits(t, svc, d.ActivationID)
		if int64(len(recs)) != total {
			t.Fatalf("%d audit records for %d attempts", len(recs), total)
		}
		expectCounter := initial.Counter // what the next accepted signature must be checked against
		var valid, stale int64
		for _, r := range recs {
			pos, ok := position[r.Signature]
			if !ok {
				t.Fatalf("audit record of an unknown signature %q", r.Signature)
			}
			if r.Valid {
				valid++
				// No lost update: the transaction saw exactly the counter the
				// previous accepted signature stored, and the match lies in
				// the window ahead of it.
				if r.ActivationCounter != expectCounter || !bytes.Equal(r.ActivationCtrData, ctrAfter(initial.CtrData, int(expectCounter))) {
					t.Fatalf("accepted position %d was checked against counter %d, want %d", pos, r.ActivationCounter, expectCounter)
				}
				if pos < expectCounter || pos >= expectCounter+int64(svc.cfg.SignatureLookAhead) {
					t.Fatalf("accepted position %d outside the window at %d", pos, expectCounter)
				}
				expectCounter = pos + 1
				continue
			}
			// A rejected signature lost the race: it lies behind the counter
			// that was current when it was checked (never inside the window).
			if r.Note != auditNoteSignatureMismatch || pos >= r.ActivationCounter || r.ActivationCounter != expectCounter {
				t.Fatalf("rejected position %d (note %s) with counter %d, expected counter %d", pos, r.Note, r.ActivationCounter, expectCounter)
			}
			stale++
		}
		if valid != accepted.Load() || stale != rejected.Load() {
			t.Fatalf("audit has %d valid / %d stale, results %d / %d", valid, stale, accepted.Load(), rejected.Load())
		}
		// The counter never went back and ends right after the last accepted
		// position; every position below it was used exactly once.
		if a.Counter != expectCounter || !bytes.Equal(a.CtrData, ctrAfter(initial.CtrData, int(a.Counter))) {
			t.Fatalf("final counter %d, want %d", a.Counter, expectCounter)
		}
		if a.Counter != accepted.Load()+skippedBelow(position, recs, a.Counter) {
			t.Fatalf("counter %d != accepted %d + skipped positions", a.Counter, accepted.Load())
		}
		if a.Status != domain.ActivationActive || a.FailedAttempts != 0 {
			t.Fatalf("status %v, failed attempts %d", a.Status, a.FailedAttempts)
		}
		t.Logf("%d goroutines × %d signatures (%d in flight): accepted %d, rejected as stale %d, final counter %d, %v (%.0f verifications/s)",
			goroutines, perGoroutine, inFlight, accepted.Load(), rejected.Load(), a.Counter, elapsed.Round(time.Millisecond), float64(total)/elapsed.Seconds())
	})
}

// skippedBelow counts the rejected positions below counter.
func skippedBelow(position map[string]int64, recs []domain.SignatureAudit, counter int64) int64 {
	var n int64
	for _, r := range recs {
		if !r.Valid && position[r.Signature] < counter {
			n++
		}
	}
	return n
}

// TestVerifySignatureConcurrentReplay submits the SAME valid signature from
// 32 goroutines at once: exactly one is accepted.
func TestVerifySignatureConcurrentReplay(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		svc, _ := newTestService(t, st, Config{})
		d := newActiveTestActivation(t, svc, createTestApp(t, svc))
		typ := protocol.SignaturePossession // possession failures do not count: the activation stays ACTIVE
		data := testRequestData("replay")
		in := d.verifyInput(typ, protocol.Version31, data, d.sign(t, typ, protocol.Version31, data))
		const n = 32
		var accepted, rejected atomic.Int64
		var wg sync.WaitGroup
		ready := make(chan struct{})
		errs := make(chan error, n)
		for range n {
			wg.Go(func() {
				<-ready
				res, err := svc.VerifySignature(context.Background(), in)
				switch {
				case err != nil:
					errs <- err
				case res.SignatureValid:
					accepted.Add(1)
				default:
					rejected.Add(1)
				}
			})
		}
		start := time.Now()
		close(ready)
		wg.Wait()
		elapsed := time.Since(start)
		close(errs)
		for err := range errs {
			t.Fatalf("verify: %v", err)
		}
		a := loadActivation(t, svc, d.ActivationID)
		if accepted.Load() != 1 || rejected.Load() != n-1 || a.Counter != 1 || a.FailedAttempts != 0 || a.Status != domain.ActivationActive {
			t.Fatalf("accepted %d rejected %d counter %d failed %d", accepted.Load(), rejected.Load(), a.Counter, a.FailedAttempts)
		}
		recs := audits(t, svc, d.ActivationID)
		var valid int
		for _, r := range recs {
			if r.Valid {
				valid++
			}
		}
		if len(recs) != n || valid != 1 {
			t.Fatalf("audit: %d records, %d valid", len(recs), valid)
		}
		t.Logf("%d parallel submissions of one signature: accepted %d, rejected %d, %v", n, accepted.Load(), rejected.Load(), elapsed.Round(time.Millisecond))
	})
}

// TestVerifySignatureConcurrentWrongKnowledge sends 50 wrong
// possession_knowledge signatures at once to an activation allowing 5
// failures: exactly 5 are evaluated and counted, then it is BLOCKED.
func TestVerifySignatureConcurrentWrongKnowledge(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		svc, _ := newTestService(t, st, Config{})
		ctx := context.Background()
		d := newActiveTestActivation(t, svc, createTestApp(t, svc))
		typ := protocol.SignaturePossessionKnowledge
		data := testRequestData("guess")
		const n = 50
		var counted, blockedAnswers atomic.Int64
		var wg sync.WaitGroup
		ready := make(chan struct{})
		errs := make(chan error, n)
		for i := range n {
			wg.Go(func() {
				<-ready
				sig := wrongSignature(typ, protocol.Version33)
				if i%2 == 1 {
					sig = wrongSignature(typ, protocol.Version30)
				}
				res, err := svc.VerifySignature(ctx, d.verifyInput(typ, protocol.Version33, data, sig))
				switch {
				case err != nil:
					errs <- err
				case res.SignatureValid:
					errs <- errAccepted
				case res.RemainingAttempts != nil:
					counted.Add(1) // evaluated against the keys and counted
				case res.ActivationStatus == domain.ActivationBlocked:
					blockedAnswers.Add(1)
				default:
					errs <- errUnexpected
				}
			})
		}
		start := time.Now()
		close(ready)
		wg.Wait()
		elapsed := time.Since(start)
		close(errs)
		for err := range errs {
			t.Fatalf("verify: %v", err)
		}
		a := loadActivation(t, svc, d.ActivationID)
		if a.FailedAttempts != 5 || a.Status != domain.ActivationBlocked || a.BlockedReason != domain.BlockedReasonMaxFailedAttempts ||
			counted.Load() != 5 || blockedAnswers.Load() != n-5 {
			t.Fatalf("failed %d status %v, counted %d, blocked answers %d", a.FailedAttempts, a.Status, counted.Load(), blockedAnswers.Load())
		}
		var mismatches, invalidState int
		for _, r := range audits(t, svc, d.ActivationID) {
			switch r.Note {
			case auditNoteSignatureMismatch:
				mismatches++
			case auditNoteInvalidState:
				invalidState++
			}
		}
		hist, err := svc.store.ListActivationHistory(ctx, d.ActivationID, time.Time{}, time.Time{})
		if err != nil || mismatches != 5 || invalidState != n-5 || len(hist) != 1 {
			t.Fatalf("audit %d mismatches %d invalid-state, %d history entries %v", mismatches, invalidState, len(hist), err)
		}
		t.Logf("%d parallel wrong signatures: counted failures %d, answered BLOCKED %d, failedAttempts %d, status %v, %v",
			n, counted.Load(), blockedAnswers.Load(), a.FailedAttempts, a.Status, elapsed.Round(time.Millisecond))
	})
}

type testError string

func (e testError) Error() string { return string(e) }

const (
	errAccepted   = testError("a wrong signature was accepted")
	errUnexpected = testError("unexpected result")
)
