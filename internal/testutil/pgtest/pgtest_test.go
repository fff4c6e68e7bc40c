package pgtest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// recordingTB stands in for *testing.T to observe AdminDSN's decision
// without failing or skipping the real test.
type recordingTB struct {
	testing.TB
	fatal string
	skip  string
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Fatalf(format string, args ...any) { r.fatal = fmt.Sprintf(format, args...) }

func (r *recordingTB) Skipf(format string, args ...any) { r.skip = fmt.Sprintf(format, args...) }

func TestAdminDSNFromEnvironment(t *testing.T) {
	tests := []struct {
		name      string
		dsn       string
		require   string
		ci        string
		wantDSN   string
		wantFatal bool
		wantSkip  bool
	}{
		{name: "set", dsn: "postgres://u@h:1/postgres", wantDSN: "postgres://u@h:1/postgres"},
		{name: "set and required", dsn: "host=h", require: "1", ci: "true", wantDSN: "host=h"},
		{name: "missing locally", wantSkip: true},
		{name: "missing but required", require: "1", wantFatal: true},
		{name: "missing in CI", ci: "true", wantFatal: true},
		{name: "require not 1", require: "yes", wantSkip: true},
		{name: "CI not true", ci: "1", wantSkip: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(EnvDSN, tt.dsn)
			t.Setenv(EnvRequire, tt.require)
			t.Setenv("CI", tt.ci)
			rec := &recordingTB{}
			got := AdminDSN(rec)
			if got != tt.wantDSN {
				t.Errorf("AdminDSN = %q, want %q", got, tt.wantDSN)
			}
			if (rec.fatal != "") != tt.wantFatal {
				t.Errorf("fatal = %q, want fatal %v", rec.fatal, tt.wantFatal)
			}
			if (rec.skip != "") != tt.wantSkip {
				t.Errorf("skip = %q, want skip %v", rec.skip, tt.wantSkip)
			}
			for _, msg := range []string{rec.fatal, rec.skip} {
				if msg != "" && !strings.Contains(msg, "scripts/test.sh") {
					t.Errorf("message %q does not name scripts/test.sh", msg)
				}
			}
		})
	}
}

func TestDatabaseName(t *testing.T) {
	tests := []struct {
		testName   string
		wantPrefix string
	}{
		{"TestX", "mauth_test_testx_"},
		{"TestStore/Activation/create-and-get", "mauth_test_teststore_activation_create_and_get_"},
		{"Test__Odd  Name!/", "mauth_test_test_odd_name_"},
		{strings.Repeat("Long", 40), "mauth_test_" + strings.Repeat("long", 9)[:35] + "_"},
		{"///", "mauth_test__"},
	}
	for _, tt := range tests {
		t.Run(tt.testName, func(t *testing.T) {
			name, err := databaseName(tt.testName)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(name, tt.wantPrefix) {
				t.Errorf("databaseName(%q) = %q, want prefix %q", tt.testName, name, tt.wantPrefix)
			}
			if len(name) > maxIdentifierLen {
				t.Errorf("databaseName(%q) = %q is %d bytes, over %d", tt.testName, name, len(name), maxIdentifierLen)
			}
			if len(name) != len(tt.wantPrefix)+16 {
				t.Errorf("databaseName(%q) = %q, want prefix plus 16 hex digits", tt.testName, name)
			}
			other, err := databaseName(tt.testName)
			if err != nil {
				t.Fatal(err)
			}
			if other == name {
				t.Errorf("two names for %q are both %q", tt.testName, name)
			}
		})
	}
}

func TestWithDatabase(t *testing.T) {
	tests := []struct {
		admin string
		want  string
	}{
		{"postgres://postgres@127.0.0.1:55432/postgres?sslmode=disable", "postgres://postgres@127.0.0.1:55432/db1?sslmode=disable"},
		{"postgresql://u:p@h/", "postgresql://u:p@h/db1"},
		{"postgres://u@h", "postgres://u@h/db1"},
		{"host=127.0.0.1 port=5432 dbname=postgres ", "host=127.0.0.1 port=5432 dbname=postgres dbname=db1"},
	}
	for _, tt := range tests {
		got, err := withDatabase(tt.admin, "db1")
		if err != nil {
			t.Errorf("withDatabase(%q): %v", tt.admin, err)
			continue
		}
		if got != tt.want {
			t.Errorf("withDatabase(%q) = %q, want %q", tt.admin, got, tt.want)
		}
		cfg, err := pgx.ParseConfig(got)
		if err != nil {
			t.Errorf("pgx cannot parse %q: %v", got, err)
			continue
		}
		if cfg.Database != "db1" {
			t.Errorf("%q connects to database %q, want db1", got, cfg.Database)
		}
	}
	if _, err := withDatabase("postgres://u:secret@h:port/x", "db1"); err == nil {
		t.Error("withDatabase accepted a malformed URL")
	} else if strings.Contains(err.Error(), "secret") {
		t.Errorf("error leaks the password: %v", err)
	}
}

// connect opens a connection to dsn that is closed when the test ends.
func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), adminTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

// databaseExists reports whether the test server has a database called name.
func databaseExists(t *testing.T, admin *pgx.Conn, name string) bool {
	t.Helper()
	var exists bool
	err := admin.QueryRow(t.Context(), "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists)
	if err != nil {
		t.Fatalf("query pg_database: %v", err)
	}
	return exists
}

func TestNewDatabase(t *testing.T) {
	admin := connect(t, AdminDSN(t))

	var first, second string
	var held *pgx.Conn // left open across the drop, closed by the parent test
	t.Cleanup(func() {
		if held != nil {
			_ = held.Close(context.Background())
		}
	})
	t.Run("isolated", func(t *testing.T) {
		dsnA, dsnB := NewDatabase(t), NewDatabase(t)
		if dsnA == dsnB {
			t.Fatalf("NewDatabase returned %q twice", dsnA)
		}
		a, b := connect(t, dsnA), connect(t, dsnB)
		if err := a.QueryRow(t.Context(), "SELECT current_database()").Scan(&first); err != nil {
			t.Fatal(err)
		}
		if err := b.QueryRow(t.Context(), "SELECT current_database()").Scan(&second); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(first, namePrefix) || first == second {
			t.Fatalf("databases %q and %q: want two distinct %s* names", first, second, namePrefix)
		}
		if _, err := a.Exec(t.Context(), "CREATE TABLE only_in_a (id int PRIMARY KEY)"); err != nil {
			t.Fatalf("create table: %v", err)
		}
		if _, err := a.Exec(t.Context(), "INSERT INTO only_in_a VALUES (1)"); err != nil {
			t.Fatalf("insert: %v", err)
		}
		var n int
		if err := a.QueryRow(t.Context(), "SELECT count(*) FROM only_in_a").Scan(&n); err != nil || n != 1 {
			t.Fatalf("count = %d, %v; want 1, nil", n, err)
		}
		var visible bool
		if err := b.QueryRow(t.Context(), "SELECT to_regclass('only_in_a') IS NOT NULL").Scan(&visible); err != nil {
			t.Fatal(err)
		}
		if visible {
			t.Error("a table created in one database is visible in the other")
		}
		if !databaseExists(t, admin, first) || !databaseExists(t, admin, second) {
			t.Error("created databases are not listed in pg_database")
		}
		// Hold a connection to the first database past the subtest's
		// cleanups: the drop must still succeed (WITH (FORCE)).
		var err error
		held, err = pgx.Connect(t.Context(), dsnA)
		if err != nil {
			t.Fatalf("connect: %v", err)
		}
	})
	if first == "" || second == "" {
		t.Fatal("subtest did not report the database names")
	}
	for _, name := range []string{first, second} {
		if databaseExists(t, admin, name) {
			t.Errorf("database %q still exists after the test ended", name)
		}
	}
}
