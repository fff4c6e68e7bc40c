//go:build unix

package app

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/mauth/mauth/internal/secretbox"
)

// withUmask runs the test with the process umask set to 022 (the usual
// default), so that files created without an explicit mode would be
// readable by others.
func withUmask(t *testing.T) {
	t.Helper()
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })
}

// mode returns the permission bits of path.
func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// TestDataFilesArePrivate: a first start creates the data folder 0700
// and the server key, the database and its -wal and -shm files 0600.
func TestDataFilesArePrivate(t *testing.T) {
	withUmask(t)
	c := testConfig(t, RoleAll)
	c.DataDir = filepath.Join(c.DataDir, "data")
	r := start(t, c)
	if _, err := r.admin(t).CreateApplication(t.Context(), "perm"); err != nil { // a write: the WAL is in use
		t.Fatal(err)
	}
	if m := mode(t, c.DataDir); m != 0o700 {
		t.Errorf("data folder mode %04o, want 0700", m)
	}
	for _, name := range []string{"server.key", "mauth.db", "mauth.db-wal", "mauth.db-shm"} {
		if m := mode(t, filepath.Join(c.DataDir, name)); m != 0o600 {
			t.Errorf("%s mode %04o, want 0600", name, m)
		}
	}
}

// TestServerKeyFileReadableByOthersRefused: a key file group or others
// may read stops the start with a message naming the file and the fix,
// and creates nothing.
func TestServerKeyFileReadableByOthersRefused(t *testing.T) {
	for _, m := range []os.FileMode{0o644, 0o640, 0o604, 0o660} {
		c := testConfig(t, RoleAll)
		path := filepath.Join(c.DataDir, "server.key")
		if err := os.WriteFile(path, []byte(encodeKey(secretbox.GenerateKey())+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, m); err != nil {
			t.Fatal(err)
		}
		_, err := New(context.Background(), c)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "chmod 600") {
			t.Fatalf("mode %04o: New: %v; want a refusal naming %s and `chmod 600`", m, err, path)
		}
		if _, err := os.Stat(filepath.Join(c.DataDir, "mauth.db")); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("mode %04o: the refused start created the database (%v)", m, err)
		}
	}
	for _, m := range []os.FileMode{0o600, 0o400} {
		c := testConfig(t, RoleAll)
		path := filepath.Join(c.DataDir, "server.key")
		if err := os.WriteFile(path, []byte(encodeKey(secretbox.GenerateKey())+"\n"), m); err != nil {
			t.Fatal(err)
		}
		a, err := New(context.Background(), c)
		if err != nil {
			t.Fatalf("mode %04o refused: %v", m, err)
		}
		a.Close()
	}
}
