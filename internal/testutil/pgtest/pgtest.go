// Package pgtest gives tests a live PostgreSQL database of their own.
//
// scripts/test.sh starts a throwaway PostgreSQL cluster and exports its admin
// DSN as MAUTH_TEST_POSTGRES_DSN. Tests call [NewDatabase] to get a fresh,
// uniquely named database that is dropped when the test ends.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

const (
	// EnvDSN names the environment variable holding the admin DSN of the
	// test PostgreSQL server. Test suites create their own databases from it.
	EnvDSN = "MAUTH_TEST_POSTGRES_DSN"
	// EnvRequire names the environment variable that, when set to "1",
	// turns a missing DSN into a test failure instead of a skip.
	EnvRequire = "MAUTH_TEST_REQUIRE_POSTGRES"

	// adminTimeout bounds each administrative round trip (connect, create,
	// drop): a safety net against a hung server, far above what a busy
	// machine needs.
	adminTimeout = 5 * time.Minute
	// namePrefix starts the name of every database NewDatabase creates.
	namePrefix = "mauth_test_"
	// maxIdentifierLen is PostgreSQL's identifier length limit (NAMEDATALEN-1).
	maxIdentifierLen = 63
)

// AdminDSN returns the admin DSN of the test PostgreSQL server from
// MAUTH_TEST_POSTGRES_DSN. When it is unset, the test fails if
// MAUTH_TEST_REQUIRE_POSTGRES=1 or CI=true, and is skipped otherwise.
func AdminDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(EnvDSN)
	if dsn != "" {
		return dsn
	}
	if os.Getenv(EnvRequire) == "1" || os.Getenv("CI") == "true" {
		t.Fatalf("%s is not set but PostgreSQL is required (%s=1 or CI=true); run the tests with scripts/test.sh", EnvDSN, EnvRequire)
		return ""
	}
	t.Skipf("%s is not set; run scripts/test.sh to run the PostgreSQL tests against a throwaway cluster", EnvDSN)
	return ""
}

// NewDatabase creates a fresh, uniquely named database on the test
// PostgreSQL server and returns a DSN that connects to it. The database is
// dropped (WITH (FORCE), so open connections do not block it) when the test
// and its subtests finish.
func NewDatabase(t testing.TB) string {
	t.Helper()
	admin := AdminDSN(t)
	if admin == "" {
		return "" // AdminDSN has already failed or skipped the test
	}
	name, err := databaseName(t.Name())
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	dsn, err := withDatabase(admin, name)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	if err := adminExec(admin, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := adminExec(admin, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return dsn
}

// adminExec runs one statement on a short-lived admin connection. CREATE and
// DROP DATABASE cannot run inside a transaction, so no pool or transaction
// is involved.
func adminExec(adminDSN, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, adminDSN)
	if err != nil {
		return fmt.Errorf("connect to admin DSN: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("exec: %w", err)
	}
	return nil
}

// databaseName derives a unique, valid database name from a test name:
// the prefix, a lower-case slug of the test name and 16 random hex digits.
func databaseName(testName string) (string, error) {
	var random [8]byte
	if _, err := rand.Read(random[:]); err != nil {
		return "", fmt.Errorf("random database name: %w", err)
	}
	suffix := "_" + hex.EncodeToString(random[:])
	slug := slugify(testName)
	if room := maxIdentifierLen - len(namePrefix) - len(suffix); len(slug) > room {
		slug = slug[:room]
	}
	return namePrefix + slug + suffix, nil
}

// slugify keeps lower-case ASCII letters and digits of s and turns every
// other run of characters into a single underscore.
func slugify(s string) string {
	var b strings.Builder
	underscore := true // suppress a leading underscore
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			underscore = false
			continue
		}
		if !underscore {
			b.WriteByte('_')
			underscore = true
		}
	}
	return strings.TrimSuffix(b.String(), "_")
}

// withDatabase returns adminDSN pointed at database name. It accepts both
// URL DSNs (postgres://...) and keyword/value DSNs (host=... dbname=...).
func withDatabase(adminDSN, name string) (string, error) {
	if strings.HasPrefix(adminDSN, "postgres://") || strings.HasPrefix(adminDSN, "postgresql://") {
		u, err := url.Parse(adminDSN)
		if err != nil {
			// Report only the cause: the URL itself may hold a password.
			var uerr *url.Error
			if errors.As(err, &uerr) {
				err = uerr.Err
			}
			return "", fmt.Errorf("parse %s as a URL: %w", EnvDSN, err)
		}
		u.Path = "/" + name
		u.RawPath = ""
		return u.String(), nil
	}
	// In keyword/value form a later keyword overrides an earlier one.
	return strings.TrimSpace(adminDSN) + " dbname=" + name, nil
}
