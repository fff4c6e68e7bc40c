package service

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/teststore"
	"github.com/mauth/mauth/protocol"
)

// pathCountingStore counts which write path verifications take, and can
// change the activation behind a verification's back right after its
// unlocked read (as a concurrent request on another node would).
type pathCountingStore struct {
	store.Store
	transactions, swaps, swapped atomic.Int64
	// afterRead, when set, runs once after the next GetActivationSigningState.
	afterRead atomic.Pointer[func()]
}

func (c *pathCountingStore) InTx(ctx context.Context, fn func(tx store.Tx) error) error {
	c.transactions.Add(1)
	return c.Store.InTx(ctx, fn)
}

func (c *pathCountingStore) SwapActivationWithSignatureAudit(ctx context.Context, a *domain.Activation, r *domain.SignatureAudit, e *domain.AuditEntry) (bool, error) {
	c.swaps.Add(1)
	ok, err := c.Store.SwapActivationWithSignatureAudit(ctx, a, r, e)
	if ok {
		c.swapped.Add(1)
	}
	return ok, err
}

func (c *pathCountingStore) GetActivationSigningState(ctx context.Context, id string) (domain.Activation, error) {
	a, err := c.Store.GetActivationSigningState(ctx, id)
	if f := c.afterRead.Swap(nil); f != nil {
		(*f)()
	}
	return a, err
}

// TestVerifySignatureOptimisticPath checks which path each verification
// takes and that both decide the same way: a valid signature is written by
// one compare-and-swap without a transaction; a wrong one, or one whose
// activation changed after the unlocked read, goes through the locked
// transaction.
func TestVerifySignatureOptimisticPath(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		cs := &pathCountingStore{Store: st}
		svc, _ := newTestService(t, cs, Config{})
		d := newActiveTestActivation(t, svc, createTestApp(t, svc))
		typ, version := protocol.SignaturePossessionKnowledge, protocol.Version33
		verify := func(sig func(data string) string) VerifySignatureResult {
			t.Helper()
			data := testRequestData(`{"optimistic":true}`)
			res, err := svc.VerifySignature(context.Background(), d.verifyInput(typ, version, data, sig(data)))
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		valid := func(data string) string { return d.sign(t, typ, version, data) }
		wrong := func(string) string { return wrongSignature(typ, version) }
		steps := []struct {
			name                         string
			sig                          func(string) string
			concurrentChange             bool
			wantValid                    bool
			transactions, swaps, swapped int64
			counter, failed              int64
		}{
			// The first verification derives the keys; the second has them cached.
			{name: "valid", sig: valid, wantValid: true, swaps: 1, swapped: 1, counter: 1},
			{name: "valid with cached keys", sig: valid, wantValid: true, swaps: 1, swapped: 1, counter: 2},
			{name: "wrong", sig: wrong, transactions: 1, counter: 2, failed: 1},
			{name: "valid resets failures", sig: valid, wantValid: true, swaps: 1, swapped: 1, counter: 3},
			{name: "changed after the read", sig: valid, concurrentChange: true, wantValid: true,
				transactions: 1, swaps: 1, counter: 4},
		}
		for _, st := range steps {
			tx0, sw0, ok0 := cs.transactions.Load(), cs.swaps.Load(), cs.swapped.Load()
			if st.concurrentChange {
				change := func() {
					updateStored(t, svc, d.ActivationID, func(a *domain.Activation) { a.Name = "renamed elsewhere" })
				}
				cs.afterRead.Store(&change)
			}
			res := verify(st.sig)
			cs.afterRead.Store(nil)
			tx, sw, ok := cs.transactions.Load()-tx0, cs.swaps.Load()-sw0, cs.swapped.Load()-ok0
			if st.concurrentChange {
				tx-- // the test's own change
			}
			if res.SignatureValid != st.wantValid || tx != st.transactions || sw != st.swaps || ok != st.swapped {
				t.Fatalf("%s: valid %v, %d transactions, %d swaps (%d done); want %v, %d, %d (%d)",
					st.name, res.SignatureValid, tx, sw, ok, st.wantValid, st.transactions, st.swaps, st.swapped)
			}
			a := loadActivation(t, svc, d.ActivationID)
			if a.Counter != st.counter || a.FailedAttempts != st.failed || a.Status != domain.ActivationActive {
				t.Fatalf("%s: counter %d failed %d status %v, want %d %d ACTIVE", st.name, a.Counter, a.FailedAttempts, a.Status, st.counter, st.failed)
			}
		}
		// Every attempt is audited once, in order, with the counter it was
		// checked against.
		recs := audits(t, svc, d.ActivationID)
		if len(recs) != len(steps) {
			t.Fatalf("%d audit records, want %d", len(recs), len(steps))
		}
		entries, err := svc.store.ListAuditEntries(context.Background(), store.AuditFilter{ActivationID: d.ActivationID, Type: domain.AuditSignatureVerified})
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 4 {
			t.Fatalf("%d audit-log entries of verified signatures, want 4", len(entries))
		}
	})
}
