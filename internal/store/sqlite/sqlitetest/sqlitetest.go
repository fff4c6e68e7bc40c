// Package sqlitetest gives tests a migrated SQLite store of their own, in a
// real file under t.TempDir() (an in-memory database cannot be shared by
// the store's several connections).
package sqlitetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/mauth/mauth/internal/store/sqlite"
)

// New opens a fresh, migrated store with default options and closes it when
// the test ends.
func New(t testing.TB) *sqlite.Store {
	t.Helper()
	return NewWithOptions(t, sqlite.Options{})
}

// NewWithOptions is New with explicit options (Migrate is always set).
func NewWithOptions(t testing.TB, opts sqlite.Options) *sqlite.Store {
	t.Helper()
	opts.Migrate = true
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "mauth.db"), opts)
	if err != nil {
		t.Fatalf("sqlitetest: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("sqlitetest: close: %v", err)
		}
	})
	return s
}
