package service

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver for the dump

	"github.com/mauth/mauth/internal/store/postgres"
	"github.com/mauth/mauth/internal/store/sqlite"
	"github.com/mauth/mauth/internal/testutil/pgtest"
)

// serverPrivateKeys creates an application, an activation and a temporary
// key through the service and returns every server private key involved.
func serverPrivateKeys(t *testing.T, svc *Service) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	ta := createTestApp(t, svc)
	p := actActive(t, svc, ta)
	tempID, _ := actTemporaryKey(t, svc, ta)

	master, _, err := svc.masterKey(ctx, svc.store, ta.App)
	if err != nil {
		t.Fatal(err)
	}
	a := actGet(t, svc, p.result.Activation.ActivationID)
	act, err := svc.activationServerKey(a)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := svc.store.GetTemporaryKey(ctx, tempID)
	if err != nil {
		t.Fatal(err)
	}
	temp, err := svc.openPrivateKey(tk.PrivateKeyEncrypted, temporaryKeyContext(tempID))
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string][]byte{"master": master.Bytes(), "activation": act.Bytes(), "temporary": temp.Bytes()}
	// Positive control: the public key is stored, so the scan can find stored keys.
	keys["control:public"] = act.Public().Uncompressed()
	return keys
}

// assertNoKey fails when dump contains a key as raw bytes, hex or Base64.
func assertNoKey(t *testing.T, dump []byte, keys map[string][]byte) {
	t.Helper()
	lower := bytes.ToLower(dump)
	if k := keys["control:public"]; !bytes.Contains(dump, k) && !bytes.Contains(lower, []byte(hex.EncodeToString(k))) {
		t.Fatal("the positive control (the stored public key) is not found: the scan cannot see key material")
	}
	for name, k := range keys {
		if name == "control:public" {
			continue
		}
		for form, needle := range map[string][]byte{
			"raw":    k,
			"hex":    []byte(hex.EncodeToString(k)),
			"base64": []byte(base64.StdEncoding.EncodeToString(k)),
			"java":   []byte(base64.StdEncoding.EncodeToString(append([]byte{0}, k...))),
		} {
			hay := dump
			if form == "hex" {
				hay = lower
			}
			if bytes.Contains(hay, needle) {
				t.Errorf("%s server private key found in the database dump (%s)", name, form)
			}
		}
	}
}

// TestDatabaseDumpHasNoPlaintextPrivateKey reads the SQLite files byte by
// byte after the WAL is checkpointed.
func TestDatabaseDumpHasNoPlaintextPrivateKeySQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dump.db")
	st, err := sqlite.Open(context.Background(), path, sqlite.Options{Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	svc, _ := newTestService(t, st, Config{})
	keys := serverPrivateKeys(t, svc)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	var dump []byte
	for _, f := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(f)
		if err == nil {
			dump = append(dump, b...)
		}
	}
	if len(dump) < 4096 {
		t.Fatalf("database dump is only %d bytes", len(dump))
	}
	// The dump does contain public data, so the scan is meaningful.
	if !bytes.Contains(dump, []byte("pa_activation")) {
		t.Fatal("dump does not look like the database")
	}
	assertNoKey(t, dump, keys)
}

// TestDatabaseDumpHasNoPlaintextPrivateKeyPostgres dumps every row of every
// table as text (bytea as hex).
func TestDatabaseDumpHasNoPlaintextPrivateKeyPostgres(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	st, err := postgres.Open(context.Background(), dsn, postgres.Options{Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	svc, _ := newTestService(t, st, Config{})
	keys := serverPrivateKeys(t, svc)

	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	rows.Close()
	var dump bytes.Buffer
	for _, tbl := range tables {
		r, err := db.Query(`SELECT t::text FROM "` + tbl + `" t`)
		if err != nil {
			t.Fatal(err)
		}
		for r.Next() {
			var line string
			if err := r.Scan(&line); err != nil {
				t.Fatal(err)
			}
			dump.WriteString(line + "\n")
		}
		r.Close()
	}
	if !bytes.Contains(dump.Bytes(), []byte("default")) || len(tables) < 10 {
		t.Fatalf("dump of %d tables does not look like the database", len(tables))
	}
	assertNoKey(t, dump.Bytes(), keys)
}
