package main

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/mauth/mauth/internal/buildinfo"
)

// execute runs the mauth command tree in-process with args and returns what
// it wrote to stdout.
func execute(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := newRootCommand()
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(t.Context())
	return out.String(), err
}

func TestVersionText(t *testing.T) {
	out, err := execute(t, "version")
	if err != nil {
		t.Fatalf("mauth version: %v", err)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if want := "mauth " + buildinfo.Version; lines[0] != want {
		t.Errorf("first line = %q, want %q", lines[0], want)
	}
	tests := []struct {
		label string
		value string
	}{
		{"revision:", ""},
		{"go:", ""},
		{"PowerAuth protocol:", "3.0, 3.1, 3.2, 3.3"},
		{"PowerAuth Server API level:", "1.9"},
	}
	if len(lines) != 1+len(tests) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), 1+len(tests), out)
	}
	for i, tt := range tests {
		fields := strings.SplitN(strings.TrimSpace(lines[i+1]), ":", 2)
		if len(fields) != 2 || fields[0]+":" != tt.label {
			t.Errorf("line %d = %q, want label %q", i+2, lines[i+1], tt.label)
			continue
		}
		value := strings.TrimSpace(fields[1])
		if value == "" {
			t.Errorf("line %q has an empty value", lines[i+1])
		}
		if tt.value != "" && value != tt.value {
			t.Errorf("%s value = %q, want %q", tt.label, value, tt.value)
		}
	}
}

func TestVersionJSON(t *testing.T) {
	out, err := execute(t, "version", "--json")
	if err != nil {
		t.Fatalf("mauth version --json: %v", err)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if got["version"] != buildinfo.Version {
		t.Errorf("version = %v, want %q", got["version"], buildinfo.Version)
	}
	if got["serverApiLevel"] != "1.9" {
		t.Errorf("serverApiLevel = %v, want 1.9", got["serverApiLevel"])
	}
	if gv, _ := got["goVersion"].(string); !strings.HasPrefix(gv, "go") {
		t.Errorf("goVersion = %v, want a Go toolchain version", got["goVersion"])
	}
	raw, ok := got["protocolVersions"].([]any)
	if !ok {
		t.Fatalf("protocolVersions = %T, want a JSON array", got["protocolVersions"])
	}
	var versions []string
	for _, v := range raw {
		s, _ := v.(string)
		versions = append(versions, s)
	}
	if want := []string{"3.0", "3.1", "3.2", "3.3"}; !slices.Equal(versions, want) {
		t.Errorf("protocolVersions = %v, want %v", versions, want)
	}

	var info buildinfo.Info
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatalf("decode into buildinfo.Info: %v", err)
	}
	if want := buildinfo.Get(); info.Version != want.Version || info.Revision != want.Revision {
		t.Errorf("decoded %+v, want version/revision of %+v", info, want)
	}
}

func TestVersionRejectsArguments(t *testing.T) {
	if _, err := execute(t, "version", "extra"); err == nil {
		t.Fatal("mauth version extra: want an error, got nil")
	}
}

func TestRootHelpListsVersion(t *testing.T) {
	out, err := execute(t, "--help")
	if err != nil {
		t.Fatalf("mauth --help: %v", err)
	}
	if !strings.Contains(out, "version") {
		t.Errorf("help does not list the version command:\n%s", out)
	}
}
