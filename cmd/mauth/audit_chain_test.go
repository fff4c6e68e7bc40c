package main

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/app"
	"github.com/mauth/mauth/internal/audit"
	"github.com/mauth/mauth/internal/store"
)

// TestAuditVerifyCommand: `mauth audit key`, `checkpoint` and `verify` on
// the embedded database; verify passes with the pinned key, then reports
// (exit error) an audit row edited with SQL.
func TestAuditVerifyCommand(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st, err := app.OpenStore(ctx, app.Config{DataDir: dir}, true)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		err := st.InTx(ctx, func(tx store.Tx) error {
			return audit.Write(ctx, tx, time.Now(), audit.Admin("TEST", "app", map[string]string{"i": string(rune('a' + i%26))}))
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	pem, stderr, err := executeIO(t, "", "audit", "key", "--data-dir", dir)
	if err != nil || !strings.Contains(stderr, "audit key ") {
		t.Fatalf("audit key: %v %s", err, stderr)
	}
	keyFile := filepath.Join(dir, "audit.pem")
	if err := os.WriteFile(keyFile, []byte(pem), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := execute(t, "audit", "checkpoint", "--data-dir", dir); err != nil || !strings.Contains(out, `"signature"`) {
		t.Fatalf("audit checkpoint: %v\n%s", err, out)
	}
	out, err := execute(t, "audit", "verify", "--data-dir", dir, "--public-key", keyFile)
	if err != nil || !strings.Contains(out, "verified 50 records") || !strings.Contains(out, "pinned public key") || !strings.Contains(out, "OK") {
		t.Fatalf("audit verify: %v\n%s", err, out)
	}

	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "mauth.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE audit_log SET actor = 'mallory' WHERE id = 7`); err != nil {
		t.Fatal(err)
	}
	out, err = execute(t, "audit", "verify", "--data-dir", dir, "--public-key", keyFile)
	if err == nil || !strings.Contains(out, "BROKEN: 1 chain(s)") || !strings.Contains(out, "changed audit_log") || !strings.Contains(out, "row 7:") {
		t.Fatalf("audit verify after tampering: %v\n%s", err, out)
	}
	out, err = execute(t, "audit", "verify", "--data-dir", dir, "--json")
	if err == nil || !strings.Contains(out, `"kind": "`+string(audit.BreakChanged)+`"`) {
		t.Fatalf("audit verify --json: %v\n%s", err, out)
	}
}
