package app

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // raw SQL on PostgreSQL

	"github.com/mauth/mauth/client"
	"github.com/mauth/mauth/internal/audit"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/pgtest"
)

// TestAuditTrail: records written through the real APIs are chained; a
// checkpoint is signed, stored and published to the sink; verification
// (with the public key pinned in a file) passes and feeds the metrics and
// AuditStatus; a signature audit record edited with SQL is reported, both
// by AuditVerify and by the metrics. Both backends.
func TestAuditTrail(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		c := testConfig(t, RoleAll)
		testAuditTrail(t, c, func() (*sql.DB, error) {
			return sql.Open("sqlite", "file:"+filepath.Join(c.DataDir, "mauth.db")+"?_pragma=busy_timeout(600000)")
		})
	})
	t.Run("postgres", func(t *testing.T) {
		c := testConfig(t, RoleAll)
		c.DatabaseURL = pgtest.NewDatabase(t)
		c.ServerKey = base64.StdEncoding.EncodeToString(secretbox.GenerateKey())
		testAuditTrail(t, c, func() (*sql.DB, error) { return sql.Open("pgx", c.DatabaseURL) })
	})
}

func testAuditTrail(t *testing.T, c Config, rawDB func() (*sql.DB, error)) {
	ctx := context.Background()
	docs := make(chan audit.CheckpointDocument, 4)
	var sinkDown atomic.Bool
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sinkDown.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		var d audit.CheckpointDocument
		if err := json.NewDecoder(r.Body).Decode(&d); err != nil || r.Method != http.MethodPost {
			http.Error(w, "bad checkpoint", http.StatusBadRequest)
			return
		}
		docs <- d
	}))
	defer sink.Close()
	// The jobs' intervals stay off: the test calls them, so nothing depends on time.
	c.Audit = AuditConfig{CheckpointURL: sink.URL + "/checkpoints", PublicKeyFile: filepath.Join(t.TempDir(), "audit.pem")}
	c.CallbackAllowedDestinations = []string{"127.0.0.0/8"}
	r := start(t, c)
	d, cl := activateDevice(t, r.admin(t), "http://"+r.PublicAddr().String(), "audit-app", "3.3")
	if err := cl.ValidateSignature(ctx, d, client.PossessionKnowledge("1234"), []byte("hello")); err != nil {
		t.Fatalf("valid signature: %v", err)
	}
	if err := cl.ValidateSignature(ctx, d, client.PossessionKnowledge("9999"), []byte("hello")); err == nil {
		t.Fatal("a wrong PIN was accepted")
	}

	// The audit key, pinned in a file outside the database.
	_, pub, err := r.auditSigner().PublicKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.Audit.PublicKeyFile, audit.EncodePublicKeyPEM(pub), 0o600); err != nil {
		t.Fatal(err)
	}
	cp, err := r.AuditCheckpoint(ctx)
	if err != nil {
		t.Fatalf("checkpoint: %v", err)
	}
	doc := <-docs
	k, err := audit.ParsePublicKey(doc.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	published, err := audit.OpenCheckpoint(store.AuditCheckpoint{ID: doc.ID, KeyID: doc.KeyID, Payload: doc.Payload, Signature: doc.Signature}, k)
	if err != nil || doc.ID != cp.ID || len(published.Heads) != len(store.AuditChains)*store.AuditChainShards {
		t.Fatalf("published checkpoint %+v: %v", doc, err)
	}

	if _, ok := r.AuditStatus(); ok {
		t.Fatal("a status before any verification")
	}
	rep, err := r.AuditVerify(ctx)
	if err != nil || !rep.OK() || rep.CheckpointID != cp.ID {
		t.Fatalf("verify: %+v, %v", rep, err)
	}
	// Activation, status changes and two signatures: history, signature
	// audit and audit log rows, all chained.
	if rep.Records < 6 {
		t.Fatalf("verified %d records", rep.Records)
	}
	privURL := "http://" + r.PrivateAddr().String()
	metric := func(name string) string {
		t.Helper()
		_, text, _ := get(t, privURL+MetricsPath, nil)
		for _, line := range strings.Split(text, "\n") {
			if v, ok := strings.CutPrefix(line, name+" "); ok {
				return v
			}
		}
		t.Fatalf("no %s in:\n%s", name, text)
		return ""
	}
	if got := metric("mauth_audit_broken_chains"); got != "0" {
		t.Fatalf("broken chains %s", got)
	}
	if got := metric("mauth_audit_verified_checkpoint_id"); got != strconv.FormatInt(cp.ID, 10) {
		t.Fatalf("checkpoint id %s", got)
	}
	if got := metric("mauth_audit_verified_timestamp_seconds"); got == "0" {
		t.Fatal("no verification time")
	}

	// The failed signature recorded as valid, behind the server's back.
	db, err := rawDB()
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var id int64
	if err := db.QueryRow(`SELECT id FROM pa_signature_audit WHERE valid = false`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE pa_signature_audit SET valid = true WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	rep, err = r.AuditVerify(ctx)
	if err != nil || len(rep.Breaks) != 1 {
		t.Fatalf("verify after tampering: %+v, %v", rep, err)
	}
	if b := rep.Breaks[0]; b.Kind != audit.BreakChanged || b.Chain != store.ChainSignatureAudit || b.RowID != id {
		t.Fatalf("break %s", b)
	}
	if got := metric("mauth_audit_broken_chains"); got != "1" {
		t.Fatalf("broken chains %s after tampering", got)
	}
	if st, ok := r.AuditStatus(); !ok || st.OK() {
		t.Fatalf("status %+v", st)
	}

	// A sink that refuses: the checkpoint is an error but stays stored.
	sinkDown.Store(true)
	cp2, err := r.AuditCheckpoint(ctx)
	if err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("checkpoint with the sink down: %v", err)
	}
	if latest, err := r.Store.LatestAuditCheckpoint(ctx); err != nil || latest.ID != cp2.ID || cp2.ID <= cp.ID {
		t.Fatalf("latest checkpoint %d (%v), want %d", latest.ID, err, cp2.ID)
	}
}
