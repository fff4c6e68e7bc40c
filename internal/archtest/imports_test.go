package archtest

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// moduleRoot returns the directory of go.mod above the test.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's directory")
		}
		dir = parent
	}
}

// TestImportGroups checks the import grouping of every Go file of the
// module, test files included (testdata and hidden folders are skipped).
func TestImportGroups(t *testing.T) {
	root := moduleRoot(t)
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		rel, _ := filepath.Rel(root, path)
		for _, p := range CheckImportGroups(rel, src) {
			t.Error(p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Fatalf("checked only %d Go files", files)
	}
}

// TestCheckImportGroupsCatchesMixedGroups feeds the check the shapes
// goimports leaves alone.
func TestCheckImportGroupsCatchesMixedGroups(t *testing.T) {
	cases := []struct {
		name, imports string
		bad           bool
	}{
		{"ordered", "\"context\"\n\"fmt\"\n\n\"golang.org/x/crypto/hkdf\"\n\n\"github.com/mauth/mauth/protocol\"\n", false},
		{"one import", "\"context\"\n", false},
		{"std and local", "\"context\"\n\n\"github.com/mauth/mauth/internal/domain\"\n", false},
		{"commented import", "\"context\"\n\n// why\n_ \"github.com/mauth/mauth/internal/domain\"\n", false},
		{"local among std", "\"context\"\n\"github.com/mauth/mauth/protocol\"\n\"io\"\n", true},
		{"local first", "\"github.com/mauth/mauth/protocol\"\n\n\"context\"\n", true},
		{"std split", "\"context\"\n\n\"io\"\n", true},
		{"local split", "\"context\"\n\n\"github.com/mauth/mauth/protocol\"\n\n\"github.com/mauth/mauth/wire\"\n", true},
		{"third after local", "\"github.com/mauth/mauth/protocol\"\n\n\"golang.org/x/crypto/hkdf\"\n", true},
		{"third among local", "\"github.com/mauth/mauth/protocol\"\n\"golang.org/x/crypto/hkdf\"\n", true},
	}
	for _, c := range cases {
		src := "package p\n\nimport (\n" + c.imports + ")\n"
		got := CheckImportGroups("p.go", []byte(src))
		if (len(got) > 0) != c.bad {
			t.Errorf("%s: problems %q, want bad=%v", c.name, got, c.bad)
		}
	}
}
