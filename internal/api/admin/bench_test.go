package admin_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/api/admin"
	"github.com/mauth/mauth/internal/console"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/teststore"
)

// Sizes of the benchmark database (issue: 100,000 activations and
// 1,000,000 audit rows). MAUTH_BENCH_SMALL=1 divides them by 100 for a
// quick look.
const (
	benchActivations = 100_000
	benchAudit       = 1_000_000
	benchUsers       = 20_000
)

var benchBase = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// seed fills st with activations and audit entries in large transactions.
func seed(b *testing.B, st store.Store, activations, auditRows int) []string {
	b.Helper()
	ctx := context.Background()
	app := domain.Application{Name: "bench-app"}
	if err := st.InTx(ctx, func(tx store.Tx) error { return tx.CreateApplication(ctx, &app) }); err != nil {
		b.Fatal(err)
	}
	ids := make([]string, 0, activations)
	statuses := []domain.ActivationStatus{domain.ActivationActive, domain.ActivationActive, domain.ActivationActive,
		domain.ActivationActive, domain.ActivationActive, domain.ActivationActive, domain.ActivationBlocked,
		domain.ActivationRemoved, domain.ActivationCreated, domain.ActivationPendingCommit}
	const batch = 5000
	for start := 0; start < activations; start += batch {
		err := st.InTx(ctx, func(tx store.Tx) error {
			for i := start; i < min(start+batch, activations); i++ {
				a := domain.Activation{
					ActivationID: fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i), ApplicationID: app.ID,
					UserID: fmt.Sprintf("user-%d", i%benchUsers), Name: "phone", Status: statuses[i%len(statuses)],
					OtpValidation: domain.OtpValidationNone, CommitPhase: domain.CommitPhaseOnCommit,
					CtrData: make([]byte, 16), DevicePublicKey: []byte{2, 1}, Platform: "android", Protocol: domain.ProtocolPowerAuth,
					MaxFailedAttempts: 5, ServerPrivateKeyEncrypted: []byte("x"), ServerPublicKey: []byte{4, 1},
					Created: benchBase.Add(time.Duration(i) * time.Second), ActivationExpire: benchBase.Add(time.Duration(i+300) * time.Second),
					Version: 3,
				}
				if a.Status == domain.ActivationBlocked {
					a.BlockedReason = "LOST"
				}
				if a.Status == domain.ActivationCreated || a.Status == domain.ActivationPendingCommit {
					a.ActivationCode = fmt.Sprintf("A%04d-B%04d-C%04d-D%04d", i%10000, i/10000, i%7919, i%101)
				}
				if err := tx.CreateActivation(ctx, &a); err != nil {
					return err
				}
				ids = append(ids, a.ActivationID)
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	types := []domain.AuditType{domain.AuditSignatureVerified, domain.AuditSignatureVerified, domain.AuditSignatureVerified,
		domain.AuditTokenValidated, domain.AuditActivationStatusChanged, domain.AuditSignatureFailed, domain.AuditAdminChange}
	const auditBatch = 20000
	for start := 0; start < auditRows; start += auditBatch {
		err := st.InTx(ctx, func(tx store.Tx) error {
			for i := start; i < min(start+auditBatch, auditRows); i++ {
				act := ids[(i*7919)%len(ids)]
				e := domain.AuditEntry{Created: benchBase.Add(time.Duration(i) * 100 * time.Millisecond), Type: types[i%len(types)],
					Actor: fmt.Sprintf("private-api:integration-%d", i%50), ActivationID: act, UserID: fmt.Sprintf("user-%d", i%benchUsers),
					Application: "bench-app", IP: "10.0.0.1", Details: map[string]string{"operationId": fmt.Sprintf("op-%d", i%100000)}}
				if i%1000 == 0 {
					e.Actor = "console:root"
				}
				if err := tx.CreateAuditEntry(ctx, &e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return ids
}

// BenchmarkConsolePages renders the console's pages over a database of
// 100,000 activations and 1,000,000 audit entries (SQLite; PostgreSQL too
// when MAUTH_TEST_POSTGRES_DSN is set and MAUTH_BENCH_POSTGRES=1) and
// reports the p50 and p99 latency of each page, measured at the HTTP
// handler (template rendering included).
//
//	go test -run '^$' -bench BenchmarkConsolePages -benchtime 200x ./internal/api/admin/
func BenchmarkConsolePages(b *testing.B) {
	backends := []string{"sqlite"}
	if os.Getenv("MAUTH_BENCH_POSTGRES") == "1" {
		backends = append(backends, "postgres")
	}
	acts, audits := benchActivations, benchAudit
	if os.Getenv("MAUTH_BENCH_SMALL") == "1" {
		acts, audits = acts/100, audits/100
	}
	for _, backend := range backends {
		b.Run(backend, func(b *testing.B) {
			var st store.Store
			if backend == "postgres" {
				st = teststore.Postgres(b)
			} else {
				st = teststore.SQLite(b)
			}
			ids := seed(b, st, acts, audits)
			// The console's clock stands still, except in the dashboard-recount
			// case, which moves it past the dashboard's count reuse each time.
			var clock atomic.Int64
			clock.Store(benchBase.Add(48 * time.Hour).UnixNano())
			now := func() time.Time { return time.Unix(0, clock.Load()).UTC() }
			svc, err := console.New(console.Options{Store: st, PasswordMemoryKiB: 1024, Now: now})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			if _, err := svc.CreateUser(ctx, "bench", "root", "correct horse battery", domain.ConsoleRoleAdmin); err != nil {
				b.Fatal(err)
			}
			sessionID, _, err := svc.SignIn(ctx, "root", "correct horse battery")
			if err != nil {
				b.Fatal(err)
			}
			srv, err := admin.New(admin.Options{Console: svc})
			if err != nil {
				b.Fatal(err)
			}
			h := srv.Handler()
			// A cursor deep into the list: the 1000th page (the 10th with
			// MAUTH_BENCH_SMALL).
			deepPage := min(1000, len(ids)/50-1)
			deepIdx := len(ids) - 1 - 50*deepPage
			deepCursor := fmt.Sprintf("%d.%s", benchBase.Add(time.Duration(deepIdx)*time.Second).UnixMilli(), ids[deepIdx])
			pages := []struct{ name, path string }{
				{"dashboard", "/admin/dashboard"},
				{"dashboard-recount", "/admin/dashboard"},
				{"activations", "/admin/activations"},
				{"activations-user", "/admin/activations?userId=user-4242"},
				{"activations-blocked", "/admin/activations?status=BLOCKED"},
				{"activations-page-1000", "/admin/activations?after=" + url.QueryEscape(deepCursor)},
				{"activation-detail", "/admin/activations/" + ids[len(ids)/2]},
				{"audit", "/admin/audit"},
				{"audit-page-1000", fmt.Sprintf("/admin/audit?before=%d", audits-50*min(1000, audits/50-1))},
				{"audit-actor", "/admin/audit?actor=console:root"},
				{"audit-activation", "/admin/audit?activationId=" + ids[len(ids)/3]},
				{"audit-day", "/admin/audit?from=2026-01-05&to=2026-01-05"},
			}
			for _, p := range pages {
				b.Run(p.name, func(b *testing.B) {
					var times []time.Duration
					for b.Loop() {
						if p.name == "dashboard-recount" {
							clock.Add(int64(6 * time.Second))
						}
						req := httptest.NewRequest(http.MethodGet, p.path, nil)
						req.AddCookie(&http.Cookie{Name: admin.CookieName, Value: sessionID})
						w := httptest.NewRecorder()
						t0 := time.Now()
						h.ServeHTTP(w, req)
						times = append(times, time.Since(t0))
						if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "</html>") {
							b.Fatalf("%s: HTTP %d %s", p.path, w.Code, w.Body.String())
						}
					}
					slices.Sort(times)
					pct := func(q float64) float64 {
						return float64(times[min(len(times)-1, int(float64(len(times))*q))].Microseconds()) / 1000
					}
					b.ReportMetric(pct(0.50), "p50-ms")
					b.ReportMetric(pct(0.99), "p99-ms")
				})
			}
		})
	}
}
