package storetest

import (
	"context"
	"sync/atomic"
	"testing"

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
