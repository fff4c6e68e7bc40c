package bench

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/mauth/mauth/internal/app"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/protocol"
)

// seedBatch is the number of activations of one bulk load (one COPY per
// table on PostgreSQL, one transaction on SQLite); a variable for tests.
var seedBatch = 10000

// SeedResult describes the population loaded before the phases.
type SeedResult struct {
	// Activations, History, Signatures and Audit count the rows loaded.
	Activations int `json:"activations"`
	History     int `json:"historyRows"`
	Signatures  int `json:"signatureAuditRows"`
	Audit       int `json:"auditLogRows"`
	// Seconds is the wall time of the load (with the final ANALYZE).
	Seconds float64 `json:"seconds"`
	// RowsPerSecond is all rows / Seconds.
	RowsPerSecond float64 `json:"rowsPerSecond"`
	// ListPlan is the database's plan of the activation list of one
	// seeded user (activation/list), and ListMs the time of running it.
	ListPlan []string `json:"listPlan"`
	ListMs   float64  `json:"listMs"`
}

// seed bulk-loads n ACTIVE activations of the bench application straight
// into the database (not through HTTP): each with the three history rows
// of its activation (CREATED, PENDING_COMMIT, ACTIVE), one signature audit
// record and one audit log entry, for about n×5/6 users (some have two
// devices), created over the last two years. The rows are realistic in
// size; their keys are not usable (no device holds them).
func (t *target) seed(ctx context.Context, n int, out io.Writer) (*SeedResult, error) {
	if t.dbCfg == nil {
		return nil, fmt.Errorf("bench: --seed-activations needs the database (--database) of the target")
	}
	st, err := app.OpenStore(ctx, *t.dbCfg, false)
	if err != nil {
		return nil, fmt.Errorf("bench: seed: open the database: %w", err)
	}
	defer st.Close()
	bl, ok := st.(store.BulkLoader)
	if !ok {
		return nil, fmt.Errorf("bench: seed: the store %T cannot bulk load", st)
	}
	appRow, err := st.GetApplicationByName(ctx, t.appName)
	if err != nil {
		return nil, fmt.Errorf("bench: seed: %w", err)
	}
	// Realistic sizes: a sealed P-256 private key, uncompressed public keys.
	srv, err := protocol.GenerateKeyPair()
	if err != nil {
		return nil, err
	}
	dev, err := protocol.GenerateKeyPair()
	if err != nil {
		return nil, err
	}
	box, err := secretbox.New(secretbox.GenerateKey())
	if err != nil {
		return nil, err
	}
	sealed := box.Seal(srv.Bytes(), "seed")
	srvPub, devPub := srv.Public().Uncompressed(), dev.Public().Uncompressed()
	users := max(1, n*5/6)
	now := time.Now().UTC().Truncate(time.Millisecond)
	span := int64(2 * 365 * 24 * time.Hour / time.Millisecond)
	res := &SeedResult{}
	began := time.Now()
	for start := 0; start < n; start += seedBatch {
		var s store.Seed
		for i := start; i < min(n, start+seedBatch); i++ {
			created := now.Add(-time.Duration(span*int64(n-i)/int64(n)) * time.Millisecond)
			ctr := make([]byte, protocol.CtrDataSize)
			_, _ = rand.Read(ctr)
			a := domain.Activation{
				ActivationID: uuid.NewString(), ApplicationID: appRow.ID, UserID: seedUser(i, users),
				Name: "seeded phone", Status: domain.ActivationActive, OtpValidation: domain.OtpValidationNone,
				CommitPhase: domain.CommitPhaseOnCommit, Counter: int64(i % 500), CtrData: ctr, DevicePublicKey: devPub,
				Platform: []string{"ios", "android"}[i%2], DeviceInfo: "seeded", Protocol: domain.ProtocolPowerAuth,
				MaxFailedAttempts: 5, ServerPrivateKeyEncrypted: sealed, ServerPublicKey: srvPub,
				Created: created, ActivationExpire: created.Add(5 * time.Minute), LastUsed: created.Add(time.Hour),
				LastChange: created.Add(time.Minute), Version: 3,
				Device: domain.DeviceDetails{OS: []string{"iOS", "Android"}[i%2], OSVersion: "17.4", OSMajor: 17},
			}
			s.Activations = append(s.Activations, a)
			for j, status := range []domain.ActivationStatus{domain.ActivationCreated, domain.ActivationPendingCommit, domain.ActivationActive} {
				s.History = append(s.History, domain.ActivationHistory{ActivationID: a.ActivationID, Status: status,
					Created: created.Add(time.Duration(j) * time.Second), ActivationVersion: 3})
			}
			s.Signatures = append(s.Signatures, domain.SignatureAudit{ActivationID: a.ActivationID, UserID: a.UserID,
				ApplicationID: appRow.ID, ActivationCounter: a.Counter, ActivationCtrData: ctr, ActivationStatus: domain.ActivationActive,
				Data: []byte("POST&L3BhL3NpZ25hdHVyZS92YWxpZGF0ZQ==&c2VlZA==&e30="), SignatureType: "possession_knowledge",
				Signature: "12345678-87654321", SignatureVersion: "3.3", Valid: true, Version: 3, Created: a.LastUsed})
			s.Audit = append(s.Audit, domain.AuditEntry{Type: domain.AuditActivationStatusChanged, Actor: "seed",
				ActivationID: a.ActivationID, UserID: a.UserID, Application: t.appName, Created: created,
				Details: map[string]string{"from": "PENDING_COMMIT", "to": "ACTIVE"}})
		}
		s.Analyze = start+seedBatch >= n
		if err := bl.BulkLoad(ctx, s); err != nil {
			return nil, fmt.Errorf("bench: seed: %w", err)
		}
		res.Activations += len(s.Activations)
		res.History += len(s.History)
		res.Signatures += len(s.Signatures)
		res.Audit += len(s.Audit)
		logf(out, "\r  seeding activations %d/%d", res.Activations, n)
	}
	res.Seconds = time.Since(began).Seconds()
	if res.Seconds > 0 {
		res.RowsPerSecond = float64(res.Activations+res.History+res.Signatures+res.Audit) / res.Seconds
	}
	logf(out, "\r  seeded %d activations (%d rows) in %.1f s, %.0f rows/s\n", res.Activations,
		res.Activations+res.History+res.Signatures+res.Audit, res.Seconds, res.RowsPerSecond)
	filter := store.ActivationListFilter{UserID: seedUser(n/2, users), ApplicationID: appRow.ID, Limit: 50}
	if ex, ok := st.(store.PlanExplainer); ok {
		res.ListPlan, err = ex.ExplainList(ctx, func(r store.Reader) error {
			_, err := r.ListActivations(ctx, filter)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("bench: seed: %w", err)
		}
		logf(out, "  activation list of a seeded user: %s\n", strings.Join(res.ListPlan, " | "))
	}
	t0 := time.Now()
	if _, err := st.ListActivations(ctx, filter); err != nil {
		return nil, fmt.Errorf("bench: seed: list: %w", err)
	}
	res.ListMs = float64(time.Since(t0).Microseconds()) / 1e3
	// The peak RSS of the report is that of the phases, not of the load.
	debug.FreeOSMemory()
	resetPeakRSS()
	return res, nil
}

// seedUser names the user of seeded activation i.
func seedUser(i, users int) string { return fmt.Sprintf("seed-user-%d", i%users) }

// resetPeakRSS resets VmHWM to the current RSS (Linux; elsewhere a no-op).
func resetPeakRSS() {
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}
