//go:build unix

package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/internal/store/sqlite"
)

// TestFilesArePrivate: with the usual umask 022 a new database and its
// -wal and -shm files are created 0600, and an existing database left
// readable by others (by an older version) is tightened to 0600.
func TestFilesArePrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })
	ctx := context.Background()
	modes := func(path string) map[string]os.FileMode {
		out := map[string]os.FileMode{}
		for _, suffix := range []string{"", "-wal", "-shm"} {
			fi, err := os.Stat(path + suffix)
			require.NoError(t, err, "stat %s%s", path, suffix)
			out["mauth.db"+suffix] = fi.Mode().Perm()
		}
		return out
	}
	want := map[string]os.FileMode{"mauth.db": 0o600, "mauth.db-wal": 0o600, "mauth.db-shm": 0o600}

	path := filepath.Join(t.TempDir(), "mauth.db")
	s, err := sqlite.Open(ctx, path, sqlite.Options{Migrate: true})
	require.NoError(t, err)
	require.Equal(t, want, modes(path), "a new database")
	require.NoError(t, s.Close())

	// A database an older version left 0644: tightened on open, and the
	// -wal and -shm files SQLite creates next take its new mode.
	require.NoError(t, os.Chmod(path, 0o644))
	s, err = sqlite.Open(ctx, path, sqlite.Options{})
	require.NoError(t, err)
	defer s.Close()
	require.Equal(t, want, modes(path), "a reopened database left 0644")
}
