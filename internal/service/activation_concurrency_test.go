package service

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/teststore"
	"github.com/mauth/mauth/protocol"
)

// actRunParallel starts n goroutines at once and waits for them.
func actRunParallel(n int, fn func(i int)) {
	var start, done sync.WaitGroup
	start.Add(1)
	done.Add(n)
	for i := range n {
		go func() {
			defer done.Done()
			start.Wait()
			fn(i)
		}()
	}
	start.Done()
	done.Wait()
}

// actCodeCounts summarises errors by code ("OK" for success).
func actCodeCounts(errs []error) map[string]int {
	out := map[string]int{}
	for _, err := range errs {
		if err == nil {
			out["OK"]++
		} else {
			out[CodeOf(err)]++
		}
	}
	return out
}

// TestConcurrentPrepareSameCode: 32 devices race for one activation code;
// exactly one key exchange wins and the activation holds its key.
func TestConcurrentPrepareSameCode(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		const n = 32
		svc, _ := newTestService(t, st, Config{})
		ctx := context.Background()
		ta := createTestApp(t, svc)
		a := actInit(t, svc, ta, InitActivationInput{})
		devices := make([]*actDevice, n)
		reqs := make([]EciesRequest, n)
		for i := range n {
			devices[i] = newActDevice(t)
			reqs[i], _ = actEncrypt(t, svc, ta, protocol.Version32, devices[i].payload(""))
		}
		errs := make([]error, n)
		actRunParallel(n, func(i int) {
			_, errs[i] = svc.PrepareActivation(ctx, PrepareActivationInput{ActivationCode: a.ActivationCode, ApplicationKey: ta.Version.ApplicationKey, Request: reqs[i]})
		})
		counts := actCodeCounts(errs)
		t.Logf("%d parallel prepares of one code: %v", n, counts)
		if counts["OK"] != 1 || counts[CodeActivationNotFound] != n-1 {
			t.Fatalf("outcomes %v, want 1 OK and %d %s", counts, n-1, CodeActivationNotFound)
		}
		winner := -1
		for i, err := range errs {
			if err == nil {
				winner = i
			}
		}
		got := actGet(t, svc, a.ActivationID)
		if got.Status != domain.ActivationPendingCommit || string(got.DevicePublicKey) != string(devices[winner].priv.Public().Compressed()) {
			t.Fatalf("activation %v does not hold the winner's key", got.Status)
		}
		h := actHistory(t, svc, a.ActivationID)
		if len(h) != 2 || h[1].Status != domain.ActivationPendingCommit {
			t.Fatalf("history %+v", h)
		}
	})
}

// actCheckHistoryPath checks that consecutive history entries are legal
// lifecycle transitions, starting from ACTIVE at index from.
func actCheckHistoryPath(t *testing.T, h []domain.ActivationHistory, from int) {
	t.Helper()
	for i := from + 1; i < len(h); i++ {
		if !activationTransitionAllowed(h[i-1].Status, h[i].Status) {
			t.Fatalf("history %d: illegal transition %v → %v", i, h[i-1].Status, h[i].Status)
		}
	}
}

// TestConcurrentBlockUnblockRemove: concurrent administrative changes never
// lose an update or leave an illegal state, and REMOVED stays terminal.
func TestConcurrentBlockUnblockRemove(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		const n = 24
		svc, _ := newTestService(t, st, Config{})
		ctx := context.Background()
		ta := createTestApp(t, svc)
		id := actActive(t, svc, ta).result.Activation.ActivationID
		const activeAt = 2 // CREATED, PENDING_COMMIT, ACTIVE

		// Phase 1: blocks and unblocks only.
		errs := make([]error, n)
		actRunParallel(n, func(i int) {
			if i%2 == 0 {
				_, errs[i] = svc.BlockActivation(ctx, id, fmt.Sprintf("R%d", i), "admin")
			} else {
				_, errs[i] = svc.UnblockActivation(ctx, id, "admin")
			}
		})
		t.Logf("phase 1 (%d blocks/unblocks): %v", n, actCodeCounts(errs))
		for _, err := range errs {
			if err != nil {
				t.Fatalf("block/unblock of ACTIVE/BLOCKED failed: %v", err)
			}
		}
		a := actGet(t, svc, id)
		h := actHistory(t, svc, id)
		last := h[len(h)-1]
		if (a.Status != domain.ActivationActive && a.Status != domain.ActivationBlocked) || last.Status != a.Status ||
			(a.Status == domain.ActivationBlocked) != (a.BlockedReason != "") {
			t.Fatalf("after phase 1: %v (reason %q), last history %v", a.Status, a.BlockedReason, last.Status)
		}
		actCheckHistoryPath(t, h, activeAt)
		t.Logf("phase 1: %d state changes recorded, final %v", len(h)-activeAt-1, a.Status)

		// Phase 2: the same mix with three removals.
		actRunParallel(n, func(i int) {
			switch {
			case i%8 == 3:
				_, errs[i] = svc.RemoveActivation(ctx, id, "admin", false)
			case i%2 == 0:
				_, errs[i] = svc.BlockActivation(ctx, id, "", "admin")
			default:
				_, errs[i] = svc.UnblockActivation(ctx, id, "admin")
			}
		})
		counts := actCodeCounts(errs)
		t.Logf("phase 2 (%d blocks/unblocks/removes): %v", n, counts)
		for i, err := range errs {
			if i%8 == 3 && err != nil {
				t.Fatalf("remove failed: %v", err)
			}
			if err != nil && CodeOf(err) != CodeActivationIncorrectState {
				t.Fatalf("unexpected error %v", err)
			}
		}
		if a := actGet(t, svc, id); a.Status != domain.ActivationRemoved {
			t.Fatalf("final state %v, want REMOVED", a.Status)
		}
		h = actHistory(t, svc, id)
		actCheckHistoryPath(t, h, activeAt)
		removed := 0
		for _, e := range h {
			if e.Status == domain.ActivationRemoved {
				removed++
			}
		}
		if removed != 1 || h[len(h)-1].Status != domain.ActivationRemoved {
			t.Fatalf("%d REMOVED entries; last %v", removed, h[len(h)-1].Status)
		}
		// Every operation that ran after the removal failed with ERR0008.
		if counts["OK"]+counts[CodeActivationIncorrectState] != n {
			t.Fatalf("outcomes %v", counts)
		}
	})
}

// TestConcurrentExpiryJob: two expiry workers running at once (as on two
// nodes) process every due activation exactly once.
func TestConcurrentExpiryJob(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		const due, batch = 40, 7
		svc, clock := newTestService(t, st, Config{})
		ctx := context.Background()
		ta := createTestApp(t, svc)
		ids := make([]string, 0, due)
		for range due {
			ids = append(ids, actInit(t, svc, ta, InitActivationInput{}).ActivationID)
		}
		keep := actInit(t, svc, ta, InitActivationInput{ActivationExpire: clock.Now().Add(time.Hour)})
		clock.Advance(svc.cfg.ActivationValidity + time.Second)

		var mu sync.Mutex
		perWorker := make([][]int, 2)
		var firstErr error
		actRunParallel(2, func(w int) {
			for {
				n, err := svc.ExpireActivations(ctx, batch)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				perWorker[w] = append(perWorker[w], n)
				mu.Unlock()
				if err != nil || n == 0 {
					return
				}
			}
		})
		if firstErr != nil {
			t.Fatal(firstErr)
		}
		total := 0
		for _, runs := range perWorker {
			for _, n := range runs {
				total += n
			}
		}
		t.Logf("2 workers, batch %d, %d due: runs per worker %v, total %d", batch, due, perWorker, total)
		if total != due {
			t.Fatalf("expired %d, want %d", total, due)
		}
		for _, id := range ids {
			removed := 0
			for _, e := range actHistory(t, svc, id) {
				if e.Status == domain.ActivationRemoved {
					removed++
				}
			}
			if removed != 1 || actGet(t, svc, id).Status != domain.ActivationRemoved {
				t.Fatalf("%s: %d REMOVED entries", id, removed)
			}
		}
		if actGet(t, svc, keep.ActivationID).Status != domain.ActivationCreated {
			t.Fatal("an activation that was not due expired")
		}
	})
}
