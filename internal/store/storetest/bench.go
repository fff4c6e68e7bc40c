package storetest

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// BenchmarkActivationCounterUpdate measures the single-row read-modify-write
// transaction a signature verification performs (read the activation under
// a lock, advance the counter, write it back) — the bound that signature
// verification throughput is measured against. Sub-benchmarks:
//
//   - locked: one goroutine, InTx{GetActivationForUpdate; UpdateActivation};
//   - cas: one goroutine, read outside a transaction, then
//     InTx{CompareAndSwapActivation};
//   - locked-parallel: b.RunParallel with 8 goroutines per CPU, each on its
//     own activation;
//   - locked-contended: the same goroutines all on one activation.
//
// Each checks afterwards that the stored counters add up to the number of
// completed transactions, i.e. that no update was lost.
func BenchmarkActivationCounterUpdate(b *testing.B, s store.Store) {
	ctx := context.Background()
	app := newApp(b, s)
	lockedIncrement := func(id string) error {
		return s.InTx(ctx, func(tx store.Tx) error {
			a, err := tx.GetActivationForUpdate(ctx, id)
			if err != nil {
				return err
			}
			a.Counter++
			a.CtrData = nextCtr(a.CtrData)
			return tx.UpdateActivation(ctx, &a)
		})
	}
	checkCounter := func(b *testing.B, id string, want int64) {
		b.Helper()
		a, err := s.GetActivation(ctx, id)
		if err != nil {
			b.Fatal(err)
		}
		if a.Counter != want {
			b.Fatalf("counter = %d after %d increments: lost updates", a.Counter, want)
		}
	}

	b.Run("locked", func(b *testing.B) {
		a := newActivation(b, s, app.ID, "bench")
		n := int64(0)
		for b.Loop() {
			if err := lockedIncrement(a.ActivationID); err != nil {
				b.Fatal(err)
			}
			n++
		}
		checkCounter(b, a.ActivationID, n)
	})

	b.Run("cas", func(b *testing.B) {
		a := newActivation(b, s, app.ID, "bench")
		n := int64(0)
		for b.Loop() {
			cur, err := s.GetActivation(ctx, a.ActivationID)
			if err != nil {
				b.Fatal(err)
			}
			cur.Counter++
			cur.CtrData = nextCtr(cur.CtrData)
			if err := s.InTx(ctx, func(tx store.Tx) error { return tx.CompareAndSwapActivation(ctx, &cur) }); err != nil {
				b.Fatal(err)
			}
			n++
		}
		checkCounter(b, a.ActivationID, n)
	})

	b.Run("locked-parallel", func(b *testing.B) {
		var (
			mu   = make(chan struct{}, 1)
			rows []domain.Activation
			n    []*atomic.Int64
		)
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			a := activation(app.ID, "bench")
			if err := s.InTx(ctx, func(tx store.Tx) error { return tx.CreateActivation(ctx, &a) }); err != nil {
				b.Error(err)
				return
			}
			cnt := new(atomic.Int64)
			mu <- struct{}{}
			rows, n = append(rows, a), append(n, cnt)
			<-mu
			for pb.Next() {
				if err := lockedIncrement(a.ActivationID); err != nil {
					b.Error(err)
					return
				}
				cnt.Add(1)
			}
		})
		b.StopTimer()
		for i, a := range rows {
			checkCounter(b, a.ActivationID, n[i].Load())
		}
	})

	b.Run("locked-contended", func(b *testing.B) {
		a := newActivation(b, s, app.ID, "bench")
		var n atomic.Int64
		var failed atomic.Pointer[error]
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := lockedIncrement(a.ActivationID); err != nil {
					failed.CompareAndSwap(nil, &err)
					return
				}
				n.Add(1)
			}
		})
		b.StopTimer()
		if p := failed.Load(); p != nil {
			b.Fatal(*p)
		}
		checkCounter(b, a.ActivationID, n.Load())
	})
}

// BenchmarkAuditChainCost measures what the audit chains cost the write of
// a signature verification (SwapActivationWithSignatureAudit: the counter
// update with its signature audit record and audit entry), comparing in
// one run a store that chains the audit rows with unchained, a store on
// the same database that writes them as before the chains existed
// (sqlstore.Store.UnchainedForBenchmark). Each iteration runs one write of
// each, alternating which goes first; the reported metrics are the mean
// time of each and the extra cost of the chained write in percent.
// Sub-benchmarks: serial (one goroutine) and parallel (8 goroutines per
// CPU, each on its own activations).
func BenchmarkAuditChainCost(b *testing.B, chained, unchained store.Store) {
	ctx := context.Background()
	app := newApp(b, chained)
	stores := [2]store.Store{chained, unchained}
	run := func(b *testing.B, parallel bool) {
		var ns, n [2]atomic.Int64
		worker := func(next func() bool) {
			var acts [2]domain.Activation
			for i := range acts {
				acts[i] = newActivation(b, chained, app.ID, "bench")
			}
			for k := 0; next(); k++ {
				for j := range 2 {
					i := (k + j) % 2
					a := &acts[i]
					a.Counter++
					r := domain.SignatureAudit{ActivationID: a.ActivationID, UserID: a.UserID, ApplicationID: a.ApplicationID,
						ActivationCounter: a.Counter, ActivationCtrData: a.CtrData, ActivationStatus: a.Status, Data: []byte("POST&/pa/signature/validate&data"),
						SignatureType: "possession_knowledge", Signature: "12345678-87654321", SignatureVersion: "3.3", Valid: true, Version: 3, Created: base}
					e := domain.AuditEntry{Type: domain.AuditSignatureVerified, Created: base, Actor: "device", ActivationID: a.ActivationID, UserID: a.UserID,
						Details: map[string]string{"signatureType": "possession_knowledge"}}
					start := time.Now()
					ok, err := stores[i].SwapActivationWithSignatureAudit(ctx, a, &r, &e)
					ns[i].Add(int64(time.Since(start)))
					n[i].Add(1)
					if err != nil || !ok {
						b.Errorf("swap: %v, %v", ok, err)
						return
					}
				}
			}
		}
		if parallel {
			b.SetParallelism(8)
			b.RunParallel(func(pb *testing.PB) { worker(pb.Next) })
		} else {
			worker(b.Loop)
		}
		if n[0].Load() == 0 || n[1].Load() == 0 {
			return
		}
		c, u := float64(ns[0].Load())/float64(n[0].Load()), float64(ns[1].Load())/float64(n[1].Load())
		b.ReportMetric(c, "chained-ns/write")
		b.ReportMetric(u, "unchained-ns/write")
		b.ReportMetric(100*(c-u)/u, "chain-cost-%")
	}
	b.Run("serial", func(b *testing.B) { run(b, false) })
	b.Run("parallel", func(b *testing.B) { run(b, true) })
}
