package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// listModule returns the module's packages as `go list -json ./...` run
// at the module root describes them.
func listModule(t *testing.T) []Package {
	t.Helper()
	dir := moduleRoot(t)
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	cmd := exec.Command(goBin, "list", "-json", "./...")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []Package
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p Package
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 20 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
}

// TestArchitecture checks the module against the import rules.
func TestArchitecture(t *testing.T) {
	pkgs := listModule(t)
	reasons := map[string]bool{}
	for _, v := range Check(pkgs, Rules) {
		if !reasons[v.Rule.Name] {
			reasons[v.Rule.Name] = true
			t.Errorf("rule %s: %s", v.Rule.Name, v.Rule.Reason)
		}
		t.Error(v)
	}
	// Every rule constrains a package of today's tree (a renamed folder
	// must not turn a rule into a no-op). The verticals to come are
	// covered by the rule as soon as their folders exist.
	for _, r := range Rules {
		found := false
		for _, p := range pkgs {
			if rp, ok := rel(p.ImportPath); ok && r.Constrains(rp) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("rule %s constrains no package of the module", r.Name)
		}
	}
}

// graph is a synthetic module: each package with its direct imports,
// relative for module packages (first element internal, client, protocol,
// wire or cmd), full for the standard library and third parties.
type graph map[string][]string

// full is the import path of a name of the graph.
func full(name string) string {
	switch first, _, _ := strings.Cut(name, "/"); first {
	case "internal", "client", "protocol", "wire", "cmd", "passphrase":
		return Module + "/" + name
	}
	return name
}

// packages describes the graph as go list does (deps computed).
func (g graph) packages() []Package {
	var out []Package
	for name, imports := range g {
		p := Package{ImportPath: full(name)}
		for _, imp := range imports {
			p.Imports = append(p.Imports, full(imp))
		}
		seen := map[string]bool{}
		var walk func(string)
		walk = func(n string) {
			for _, imp := range g[n] {
				if !seen[imp] {
					seen[imp] = true
					p.Deps = append(p.Deps, full(imp))
					walk(imp)
				}
			}
		}
		walk(name)
		out = append(out, p)
	}
	return out
}

// good is a module that keeps every rule.
func good() graph {
	return graph{
		"protocol":                             {"crypto/sha256", "net/url", "filippo.io/nistec"},
		"wire":                                 {"encoding/json"},
		"passphrase":                           {"time", "github.com/trustelem/zxcvbn"},
		"github.com/trustelem/zxcvbn":          {"github.com/trustelem/zxcvbn/matching"},
		"github.com/trustelem/zxcvbn/matching": {"github.com/dlclark/regexp2"},
		"client":                               {"protocol", "wire", "net/http", "os"},
		"internal/domain":                      {"context", "time"},
		"internal/store":                       {"internal/domain"},
		"internal/store/sqlstore":              {"internal/store", "internal/domain", "database/sql"},
		"internal/store/postgres":              {"internal/store/sqlstore", "github.com/jackc/pgx/v5"},
		"internal/store/postgres/postgrestest": {"internal/store/postgres", "internal/testutil/pgtest"},
		"internal/store/storetest":             {"internal/store", "internal/domain", "testing"},
		"internal/testutil/pgtest":             {"os/exec"},
		"internal/restv3":                      {"internal/domain"},
		"internal/audit":                       {"internal/store", "internal/domain"},
		"internal/netguard":                    {"net"},
		"internal/secretbox":                   {"crypto/aes"},
		"internal/callbacks":                   {"internal/store", "internal/domain", "internal/netguard", "internal/secretbox", "net/http"},
		"internal/deviceinfo":                  {"strings", "regexp", "internal/domain"},
		"internal/service":                     {"internal/store", "internal/domain", "protocol", "internal/audit", "internal/callbacks", "internal/deviceinfo"},
		"internal/push":                        {"internal/store", "internal/domain"},
		"internal/push/apns":                   {"internal/push", "net/http"},
		"internal/api/render":                  {"internal/domain", "net/http"},
		"internal/deviceauth":                  {"internal/api/render", "protocol"},
		"internal/api/public":                  {"internal/service", "internal/api/render", "internal/deviceauth"},
		"internal/api/mtoken":                  {"internal/service", "internal/api/render", "internal/deviceauth", "wire"},
		"internal/api/push":                    {"internal/push", "internal/api/render", "internal/deviceauth", "wire"},
		"internal/api/private":                 {"internal/service", "internal/api/render", "internal/restv3"},
		"internal/coreclient":                  {"internal/restv3", "internal/service", "internal/api/public"},
		"internal/app":                         {"internal/api/public", "internal/api/mtoken", "internal/api/push", "internal/push", "internal/service"},
	}
}

// TestCheckerCatchesBadImports: the rules pass on a module that keeps
// them, and each deliberately bad import is reported by its rule.
func TestCheckerCatchesBadImports(t *testing.T) {
	if v := Check(good().packages(), Rules); len(v) != 0 {
		t.Fatalf("violations in a good module: %v", v)
	}
	tests := []struct {
		name     string
		pkg, imp string // the bad import added to the good module
		rule     string
		dep      string // the reported dependency (default imp)
	}{
		{"api imports another api", "internal/api/push", "internal/api/mtoken", "api-no-sibling", ""},
		{"api reaches another api through a helper", "internal/deviceauth", "internal/api/public", "api-no-sibling", "internal/api/public"},
		{"api sub-package imports another api", "internal/api/push/pushtest", "internal/api/public", "api-no-sibling", ""},
		{"render imports the core", "internal/api/render", "internal/service", "render-only-domain", ""},
		{"render imports a surface", "internal/api/render", "internal/api/public", "render-only-domain", ""},
		{"deviceauth imports the core", "internal/deviceauth", "internal/service", "deviceauth-building-block", ""},
		{"vertical imports the core", "internal/push", "internal/service", "vertical-no-core", ""},
		{"vertical sub-package imports a surface", "internal/push/apns", "internal/api/render", "vertical-no-core", ""},
		{"future vertical imports the core", "internal/oidc", "internal/service", "vertical-no-core", ""},
		{"vertical imports another vertical", "internal/operation", "internal/push", "vertical-no-core", ""},
		{"vertical imports the wiring", "internal/mobileutil", "internal/app", "vertical-no-core", ""},
		{"audit imports the core", "internal/audit", "internal/service", "audit-callbacks-building-blocks", ""},
		{"audit imports a surface", "internal/audit", "internal/api/render", "audit-callbacks-building-blocks", ""},
		{"audit imports a vertical", "internal/audit", "internal/push", "audit-callbacks-building-blocks", ""},
		{"audit imports a store backend", "internal/audit", "internal/store/sqlstore", "audit-callbacks-building-blocks", ""},
		{"callbacks imports the core", "internal/callbacks", "internal/service", "audit-callbacks-building-blocks", ""},
		{"callbacks imports a surface", "internal/callbacks", "internal/api/private", "audit-callbacks-building-blocks", ""},
		{"callbacks imports the wiring", "internal/callbacks", "internal/app", "audit-callbacks-building-blocks", ""},
		{"callbacks imports a vertical", "internal/callbacks", "internal/push", "audit-callbacks-building-blocks", ""},
		{"core imports a vertical", "internal/service", "internal/push", "service-no-vertical", ""},
		{"core imports a surface", "internal/service", "internal/api/render", "service-no-vertical", ""},
		{"store imports the core", "internal/store", "internal/service", "store-only-domain", ""},
		{"store backend imports secretbox", "internal/store/sqlstore", "internal/secretbox", "store-only-domain", ""},
		{"store backend imports a test helper", "internal/store/postgres", "internal/testutil/pgtest", "store-only-domain", ""},
		{"conformance suite imports the core", "internal/store/storetest", "internal/service", "store-test-support", ""},
		{"restv3 imports the core", "internal/restv3", "internal/service", "restv3-wire-only", ""},
		{"client imports the server", "client", "internal/domain", "client-only-protocol", ""},
		{"wire imports a third-party module", "wire", "github.com/google/uuid", "wire-stdlib-only", ""},
		{"wire imports protocol", "wire", "protocol", "wire-stdlib-only", ""},
		{"passphrase imports another module", "passphrase", "github.com/google/uuid", "passphrase-stdlib-zxcvbn", ""},
		{"passphrase imports the server", "passphrase", "internal/domain", "passphrase-stdlib-zxcvbn", ""},
		{"passphrase imports the client", "passphrase", "client", "passphrase-stdlib-zxcvbn", ""},
		{"deviceinfo imports the server", "internal/deviceinfo", "internal/service", "deviceinfo-stdlib-no-io", ""},
		{"deviceinfo imports a module", "internal/deviceinfo", "github.com/google/uuid", "deviceinfo-stdlib-no-io", ""},
		{"deviceinfo does file I/O", "internal/deviceinfo", "os", "deviceinfo-stdlib-no-io", ""},
		{"protocol does file I/O", "protocol", "os", "protocol-no-io", ""},
		{"protocol talks HTTP", "protocol", "net/http", "protocol-no-io", ""},
		{"protocol logs", "protocol", "log/slog", "protocol-no-io", ""},
		{"protocol imports the server", "protocol", "internal/domain", "protocol-no-io", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := good()
			g[tc.pkg] = append(g[tc.pkg], tc.imp)
			dep := tc.dep
			if dep == "" {
				dep = tc.imp
			}
			var got []string
			found := false
			for _, v := range Check(g.packages(), Rules) {
				got = append(got, v.String())
				if v.Rule.Name == tc.rule && v.Dep == dep {
					found = true
				}
			}
			if !found {
				t.Fatalf("%s → %s not reported by %s; got %q", tc.pkg, tc.imp, tc.rule, got)
			}
		})
	}
}

// TestViolationPath: a failure names the import chain that brings the
// forbidden package in.
func TestViolationPath(t *testing.T) {
	g := good()
	g["internal/deviceauth"] = append(g["internal/deviceauth"], "internal/api/public")
	for _, v := range Check(g.packages(), Rules) {
		if v.Rule.Name == "api-no-sibling" && v.Package == "internal/api/push" && v.Dep == "internal/api/public" {
			if want := "internal/api/push → internal/deviceauth → internal/api/public"; strings.Join(v.Path, " → ") != want {
				t.Fatalf("path %q, want %q", strings.Join(v.Path, " → "), want)
			}
			return
		}
	}
	t.Fatal("violation not reported")
}

func TestMatches(t *testing.T) {
	for _, tc := range []struct {
		pattern, path string
		ok            bool
		root          string
	}{
		{"internal/api/*", "internal/api/push", true, "internal/api/push"},
		{"internal/api/*", "internal/api/push/pushtest", true, "internal/api/push"},
		{"internal/api/*", "internal/api", false, ""},
		{"internal/api/*", "internal/apix/push", false, ""},
		{"internal/push/...", "internal/push", true, "internal/push"},
		{"internal/push/...", "internal/push/apns", true, "internal/push"},
		{"internal/push/...", "internal/pushserver", false, "internal/push"},
		{"internal/store/storetest", "internal/store/storetest", true, "internal/store/storetest"},
		{"internal/store/storetest", "internal/store/storetestx", false, "internal/store/storetestx"},
	} {
		ok, root := matches(tc.pattern, tc.path)
		if ok != tc.ok || (ok && root != tc.root) {
			t.Errorf("matches(%q, %q) = %v %q, want %v %q", tc.pattern, tc.path, ok, root, tc.ok, tc.root)
		}
	}
}
