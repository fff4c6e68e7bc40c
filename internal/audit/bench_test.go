package audit_test

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/mauth/mauth/internal/audit"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// benchRecords is how many audit records BenchmarkVerify verifies:
// MAUTH_AUDIT_BENCH_RECORDS, default 30000 (docs/performance.md quotes a
// run with 1000000).
func benchRecords(b *testing.B) int {
	if v := os.Getenv("MAUTH_AUDIT_BENCH_RECORDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 3 {
			b.Fatalf("MAUTH_AUDIT_BENCH_RECORDS=%q", v)
		}
		return n
	}
	return 30000
}

// BenchmarkVerify measures audit.Verify over a database holding
// benchRecords chained records (a third each in the audit log, the
// activation history and the signature audit), written in transactions of
// 3000 rows. Each iteration verifies everything; records/s is the throughput.
func BenchmarkVerify(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			ctx := context.Background()
			s, _ := be.open(b)
			f := newFixture(b, s)
			n := benchRecords(b) / 3
			for done := 0; done < n; {
				batch := min(1000, n-done)
				err := s.InTx(ctx, func(tx store.Tx) error {
					for i := done; i < done+batch; i++ {
						r, e := f.sigAudit(i)
						if err := tx.CreateSignatureAudit(ctx, &r); err != nil {
							return err
						}
						if err := tx.CreateAuditEntry(ctx, &e); err != nil {
							return err
						}
						h := domain.ActivationHistory{ActivationID: f.act.ActivationID, Status: domain.ActivationActive,
							EventReason: "R", Created: e.Created, ActivationVersion: 3}
						if err := tx.CreateActivationHistory(ctx, &h); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
				done += batch
			}
			b.ResetTimer()
			var rep audit.Report
			for b.Loop() {
				var err error
				if rep, err = audit.Verify(ctx, s, nil, t0); err != nil || !rep.OK() {
					b.Fatalf("verify: %v %v", err, rep.Breaks)
				}
			}
			if rep.Records != int64(3*n) {
				b.Fatalf("verified %d records, want %d", rep.Records, 3*n)
			}
			b.ReportMetric(float64(rep.Records)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
