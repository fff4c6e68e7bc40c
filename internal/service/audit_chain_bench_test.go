package service

import (
	"context"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/store/sqlstore"
	"github.com/mauth/mauth/internal/testutil/teststore"
	"github.com/mauth/mauth/protocol"
)

// BenchmarkVerifySignatureAuditChain measures what the audit chains cost a
// whole signature verification (VerifySignature: activation lookup, key
// unsealing, signature check, and the counter update with its chained
// signature audit record and audit entry), comparing in one run a service
// on the store with one on the same database whose audit rows are written
// unchained (sqlstore.Store.UnchainedForBenchmark). Verifications
// alternate between the two; the metrics are the mean time of each and
// the extra cost of the chains in percent.
func BenchmarkVerifySignatureAuditChain(b *testing.B) {
	for _, bc := range []struct {
		name string
		open func(testing.TB) store.Store
	}{{"sqlite", teststore.SQLite}, {"postgres", teststore.Postgres}} {
		b.Run(bc.name, func(b *testing.B) {
			st := bc.open(b)
			u, ok := st.(interface{ UnchainedForBenchmark() *sqlstore.Store })
			if !ok {
				b.Skipf("%T has no unchained variant", st)
			}
			box, err := secretbox.New(secretbox.GenerateKey())
			if err != nil {
				b.Fatal(err)
			}
			clock := &testClock{}
			var svcs [2]*Service
			for i, s := range []store.Store{st, u.UnchainedForBenchmark()} {
				if svcs[i], err = New(s, box, Config{RecoveryPUKHashMemoryKiB: 64}, WithClock(clock.Now)); err != nil {
					b.Fatal(err)
				}
			}
			d := newActiveTestActivation(b, svcs[0], createTestApp(b, svcs[0]))
			typ, version := protocol.SignaturePossessionKnowledge, protocol.Version33
			n := b.N * 2
			inputs := make([]VerifySignatureInput, n)
			for i := range inputs {
				data := testRequestData(`{"bench":true}`)
				inputs[i] = d.verifyInput(typ, version, data, d.sign(b, typ, version, data))
			}
			ctx := context.Background()
			var ns [2]time.Duration
			b.ResetTimer()
			for i, in := range inputs {
				k := (i + i/2) % 2 // chained, unchained, unchained, chained, …
				start := time.Now()
				res, err := svcs[k].VerifySignature(ctx, in)
				ns[k] += time.Since(start)
				if err != nil || !res.SignatureValid {
					b.Fatalf("verification: %+v %v", res, err)
				}
			}
			c, un := float64(ns[0])/float64(b.N), float64(ns[1])/float64(b.N)
			b.ReportMetric(c, "chained-ns/verify")
			b.ReportMetric(un, "unchained-ns/verify")
			b.ReportMetric(100*(c-un)/un, "chain-cost-%")
		})
	}
}
