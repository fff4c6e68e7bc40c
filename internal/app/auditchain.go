package app

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mauth/mauth/internal/audit"
	"github.com/mauth/mauth/internal/netguard"
	"github.com/mauth/mauth/internal/store"
)

// Defaults of AuditConfig.
const (
	DefaultAuditCheckpointInterval = 10 * time.Minute
	DefaultAuditVerifyInterval     = time.Hour
)

// auditPublishTimeout bounds one POST of a checkpoint to the sink (a
// variable: tests lift it).
var auditPublishTimeout = 30 * time.Second

// AuditConfig configures the audit chains' checkpoints and verification.
type AuditConfig struct {
	// CheckpointInterval is how often the chain heads are signed and
	// stored (0 or negative: never).
	CheckpointInterval time.Duration
	// VerifyInterval is how often every chain is verified (0 or negative:
	// never); the result feeds the mauth_audit_* metrics and AuditStatus.
	VerifyInterval time.Duration
	// CheckpointURL receives every new checkpoint as a JSON POST (empty:
	// none). It is reached under CallbackAllowedDestinations.
	CheckpointURL string
	// PublicKeyFile is a PEM file of the audit public key that
	// verification checks checkpoints with (empty: the stored key).
	PublicKeyFile string
}

// runAuditJobs signs checkpoints and verifies the chains at their
// intervals until ctx ends. Failures are logged and retried at the next
// tick.
func (a *App) runAuditJobs(ctx context.Context) {
	tick := func(d time.Duration) (<-chan time.Time, func()) {
		if d <= 0 {
			return nil, func() {}
		}
		t := time.NewTicker(d)
		return t.C, t.Stop
	}
	cpC, stopCP := tick(a.cfg.Audit.CheckpointInterval)
	defer stopCP()
	verifyC, stopVerify := tick(a.cfg.Audit.VerifyInterval)
	defer stopVerify()
	for {
		select {
		case <-ctx.Done():
			return
		case <-cpC:
			if _, err := a.AuditCheckpoint(ctx); err != nil && ctx.Err() == nil {
				a.log.ErrorContext(ctx, "job failed: audit checkpoint", "error", err)
			}
		case <-verifyC:
			if _, err := a.AuditVerify(ctx); err != nil && ctx.Err() == nil {
				a.log.ErrorContext(ctx, "job failed: audit verification", "error", err)
			}
		}
	}
}

// auditSigner signs checkpoints with the audit key, sealed with the server
// key.
func (a *App) auditSigner() *audit.Signer {
	return audit.NewSigner(a.Store, a.box, nil)
}

// AuditCheckpoint signs the current audit chain heads, stores the
// checkpoint and, when a sink URL is configured, publishes it there (a
// failed publication is an error; the checkpoint stays stored).
func (a *App) AuditCheckpoint(ctx context.Context) (store.AuditCheckpoint, error) {
	if a.Store == nil {
		return store.AuditCheckpoint{}, fmt.Errorf("audit checkpoint: no database in this role")
	}
	s := a.auditSigner()
	cp, err := s.Checkpoint(ctx)
	if err != nil {
		return cp, err
	}
	a.log.InfoContext(ctx, "audit checkpoint signed", "checkpoint", cp.ID, "key", cp.KeyID)
	if a.cfg.Audit.CheckpointURL == "" {
		return cp, nil
	}
	_, pub, err := s.PublicKey(ctx)
	if err != nil {
		return cp, err
	}
	policy, err := netguard.New(a.cfg.CallbackAllowedDestinations, nil)
	if err != nil {
		return cp, fmt.Errorf("audit checkpoint sink: %w", err)
	}
	client := &http.Client{
		Timeout:   auditPublishTimeout,
		Transport: &http.Transport{DialContext: policy.DialContext(&net.Dialer{Timeout: auditPublishTimeout})},
	}
	defer client.CloseIdleConnections()
	return cp, audit.Publish(ctx, client, a.cfg.Audit.CheckpointURL, audit.Document(cp, pub))
}

// AuditVerify verifies every audit chain against the latest checkpoint
// (checked with the configured public key, else the stored one), records
// the report for AuditStatus and the metrics, and logs each break.
func (a *App) AuditVerify(ctx context.Context) (audit.Report, error) {
	if a.Store == nil {
		return audit.Report{}, fmt.Errorf("audit verification: no database in this role")
	}
	var pub *ecdsa.PublicKey
	if f := a.cfg.Audit.PublicKeyFile; f != "" {
		raw, err := os.ReadFile(f)
		if err != nil {
			return audit.Report{}, fmt.Errorf("audit public key: %w", err)
		}
		k, err := audit.ParsePublicKeyPEM(raw)
		if err != nil {
			return audit.Report{}, fmt.Errorf("audit public key %s: %w", f, err)
		}
		pub = k
	}
	rep, err := audit.Verify(ctx, a.Store, pub, time.Now())
	if err != nil {
		return rep, err
	}
	a.auditMon.Record(rep)
	for _, b := range rep.Breaks {
		a.log.ErrorContext(ctx, "audit chain broken", "chain", b.Chain, "shard", b.Shard, "seq", b.Seq, "row", b.RowID, "kind", string(b.Kind), "detail", b.Detail)
	}
	return rep, nil
}

// AuditStatus returns the last verification's report and whether one ran
// (for the console).
func (a *App) AuditStatus() (audit.Report, bool) { return a.auditMon.Status() }

// registerAuditMetrics exposes the last verification as gauges.
func (a *App) registerAuditMetrics() {
	gauge := func(name, help string, v func(r audit.Report) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 {
			r, ok := a.auditMon.Status()
			if !ok {
				return 0
			}
			return v(r)
		})
	}
	a.Metrics().Registry().MustRegister(
		gauge("mauth_audit_verified_timestamp_seconds", "Unix time of the last audit chain verification (0: none yet).",
			func(r audit.Report) float64 { return float64(r.Verified.UnixMilli()) / 1000 }),
		gauge("mauth_audit_verified_records", "Chained audit records the last verification checked.",
			func(r audit.Report) float64 { return float64(r.Records) }),
		gauge("mauth_audit_verified_checkpoint_id", "Signed checkpoint the last verification checked the chains against (0: none).",
			func(r audit.Report) float64 { return float64(r.CheckpointID) }),
		gauge("mauth_audit_broken_chains", "Audit chains the last verification found broken (0: intact).",
			func(r audit.Report) float64 { return float64(len(r.Breaks)) }),
	)
}

// OpenAuditSigner opens the database and the server key of c (the server
// key file is generated for the embedded database, as by the server) for
// signing checkpoints outside the server (`mauth audit checkpoint|key`).
// Close the store when done.
func OpenAuditSigner(ctx context.Context, c Config) (*audit.Signer, store.Store, error) {
	box, _, err := loadServerKey(c)
	if err != nil {
		return nil, nil, err
	}
	st, err := OpenStore(ctx, c, false)
	if err != nil {
		return nil, nil, err
	}
	return audit.NewSigner(st, box, nil), st, nil
}
