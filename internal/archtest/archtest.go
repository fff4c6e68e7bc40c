// Package archtest holds mauth's import rules and the checker that
// enforces them. The test of this package lists the module's packages
// with `go list -json ./...` and fails on any violation, so `go test ./...`
// (and with it .ci/run) keeps the layering of docs/development.md true.
//
// The rules constrain non-test code only: a _test.go file may import what
// its test needs (a real server of another surface, a store backend).
// A rule looks at every module package a constrained package depends on,
// directly or through others, so a dependency cannot be laundered through
// a helper package.
package archtest

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Module is the module path; rule patterns are relative to it.
const Module = "github.com/mauth/mauth"

// Verticals are the capability packages that reach the core only through
// a port they declare (internal/app writes the adapter). The rules apply to
// these paths whenever they exist.
var Verticals = []string{
	"internal/push/...",
	"internal/cloud/...",
	"internal/oidc/...",
	"internal/mobileutil/...",
	"internal/testserver/...",
	"internal/operation/...",
	"internal/console/...",
}

// BuildingBlocks are the packages the core and every vertical use inside
// their store transactions (the audit log, the callback outbox and the
// callback configuration).
var BuildingBlocks = []string{
	"internal/audit/...",
	"internal/callbacks/...",
}

// Rule constrains the dependencies of a set of packages.
//
// Patterns are relative to Module: "a/b" is that package, "a/b/..." the
// package and everything below it, "a/*" every package one level below a
// together with its sub-packages. A constrained package may always depend
// on its own unit: the tree the Applies pattern matched (for "a/*" the
// tree a/<name>, for "a/b/..." the tree a/b, for "a/b" the package itself).
type Rule struct {
	// Name identifies the rule in failures.
	Name string
	// Reason says why the rule exists (docs/development.md repeats it).
	Reason string
	// Applies are the constrained packages; Except are left out of them.
	Applies, Except []string
	// Forbid are module packages the constrained packages must not depend
	// on, unless Permit names them.
	Forbid, Permit []string
	// Only, when not nil, lists every module package the constrained
	// packages may depend on besides their own unit (an empty list: none).
	Only []string
	// StdOnly forbids dependencies outside the standard library and the
	// module, except the third-party packages PermitExternal names (full
	// import path patterns, such as "example.com/lib/...").
	StdOnly        bool
	PermitExternal []string
	// ForbidStd are standard library packages the constrained packages
	// must not import directly, unless PermitStd names them.
	ForbidStd, PermitStd []string
}

// Package is one package of the module as `go list -json` describes it.
type Package struct {
	// ImportPath is the full import path.
	ImportPath string
	// Imports are the direct imports of the non-test files.
	Imports []string
	// Deps are all transitive dependencies of the non-test files.
	Deps []string
}

// Violation is a dependency a rule forbids.
type Violation struct {
	Rule    Rule
	Package string // relative to Module
	Dep     string // relative to Module when it is in the module
	// Path is the import chain from Package to Dep.
	Path []string
}

func (v Violation) String() string {
	return fmt.Sprintf("%s: %s must not depend on %s (import chain %s)",
		v.Rule.Name, v.Package, v.Dep, strings.Join(v.Path, " → "))
}

// Rules are mauth's import rules.
var Rules = []Rule{
	{
		Name:    "api-no-sibling",
		Reason:  "an HTTP surface is a thin translation layer over its vertical; surfaces share code only through render and deviceauth, so one surface can change or go without touching another",
		Applies: []string{"internal/api/*"},
		Except:  []string{"internal/api/render"},
		Forbid:  []string{"internal/api/..."},
		Permit:  []string{"internal/api/render"},
	},
	{
		Name:    "render-only-domain",
		Reason:  "the error renderer serves every surface; it renders errors through interfaces, so it must know no package of the core or of a surface",
		Applies: []string{"internal/api/render/..."},
		Only:    []string{"internal/domain/..."},
	},
	{
		Name:    "deviceauth-building-block",
		Reason:  "deviceauth is shared by the device-facing surfaces; it must not bring the core or another surface into them",
		Applies: []string{"internal/deviceauth/..."},
		Only:    []string{"internal/api/render", "internal/domain/...", "protocol/..."},
	},
	{
		Name:    "vertical-no-core",
		Reason:  "a vertical reaches the core through a port it declares and internal/app adapts; importing the core, an HTTP surface, the wiring or another vertical would tie capabilities together and grow the core",
		Applies: Verticals,
		Forbid:  append([]string{"internal/service/...", "internal/api/...", "internal/app/...", "internal/coreclient/..."}, Verticals...),
	},
	{
		Name:    "audit-callbacks-building-blocks",
		Reason:  "the audit log and the callback outbox are written inside the store transaction of the change they describe, by the core and by every vertical; they must not bring the core, a surface, the wiring or a vertical into them",
		Applies: BuildingBlocks,
		Only:    []string{"internal/domain/...", "internal/store", "protocol/...", "internal/secretbox/...", "internal/netguard/...", "internal/audit/..."},
	},
	{
		Name:    "service-no-vertical",
		Reason:  "the PowerAuth core is a frozen surface: verticals depend on it through ports, never the other way round, and it has no HTTP",
		Applies: []string{"internal/service/..."},
		Forbid:  append([]string{"internal/api/...", "internal/app/...", "internal/deviceauth/..."}, Verticals...),
	},
	{
		Name:    "store-only-domain",
		Reason:  "the storage contract and its backends hold data, not rules: they know the entities and nothing above them, so every layer can use them",
		Applies: []string{"internal/store/..."},
		Except:  []string{"internal/store/storetest", "internal/store/sqlite/sqlitetest", "internal/store/postgres/postgrestest"},
		Only:    []string{"internal/domain/..."},
	},
	{
		Name:    "store-test-support",
		Reason:  "the conformance suite and the backends' test helpers may start a throwaway PostgreSQL (internal/testutil/pgtest) but, like the store, know nothing above it",
		Applies: []string{"internal/store/storetest", "internal/store/sqlite/sqlitetest", "internal/store/postgres/postgrestest"},
		Only:    []string{"internal/domain/...", "internal/store/...", "internal/testutil/pgtest"},
	},
	{
		Name:    "restv3-wire-only",
		Reason:  "the /rest/v3 wire types are shared by the server and internal/coreclient; they carry no logic and know only the core's enumerations",
		Applies: []string{"internal/restv3/..."},
		Only:    []string{"internal/domain/..."},
	},
	{
		Name:    "client-only-protocol",
		Reason:  "the Go device client is public and built on the protocol alone; it must not reach into the server (whose internal packages external users cannot import anyway)",
		Applies: []string{"client/..."},
		Only:    []string{"protocol/...", "wire/..."},
	},
	{
		Name:    "wire-stdlib-only",
		Reason:  "the device-facing wire types are shared by the server and the public client; they carry no logic and import nothing but the standard library",
		Applies: []string{"wire/..."},
		Only:    []string{},
		StdOnly: true,
	},
	{
		Name:           "passphrase-stdlib-zxcvbn",
		Reason:         "the passphrase meter is public and usable by any Go program (an app, the device simulator): it needs the standard library and the zxcvbn port (with its regexp2 dependency), nothing of mauth and no other module",
		Applies:        []string{"passphrase/..."},
		Only:           []string{},
		StdOnly:        true,
		PermitExternal: []string{"github.com/trustelem/zxcvbn/...", "github.com/dlclark/regexp2/..."},
	},
	{
		Name:    "deviceinfo-stdlib-no-io",
		Reason:  "the device-info parser reads untrusted User-Agents at activation: a pure function of its input into the domain's device attributes, standard library only, no network, files, database or logging",
		Applies: []string{"internal/deviceinfo/..."},
		Only:    []string{"internal/domain"},
		StdOnly: true,
		ForbidStd: []string{
			"net/...", "os/...", "io/fs", "io/ioutil", "path/filepath", "syscall", "database/...",
			"log/...", "plugin", "crypto/tls", "embed",
		},
	},
	{
		Name:    "protocol-no-io",
		Reason:  "the PowerAuth cryptography and wire formats are pure functions importable by anyone: no network, files, database or logging, and nothing of the server",
		Applies: []string{"protocol/..."},
		Only:    []string{},
		ForbidStd: []string{
			"net/...", "os/...", "io/fs", "io/ioutil", "path/filepath", "syscall", "database/...",
			"log/...", "plugin", "crypto/tls", "embed",
		},
		PermitStd: []string{"net/url", "net/netip"},
	},
}

// matches reports whether the relative path p matches pattern and returns
// the root of the unit it matched.
func matches(pattern, p string) (bool, string) {
	switch {
	case strings.HasSuffix(pattern, "/..."):
		root := strings.TrimSuffix(pattern, "/...")
		return p == root || strings.HasPrefix(p, root+"/"), root
	case strings.HasSuffix(pattern, "/*"):
		parent := strings.TrimSuffix(pattern, "/*")
		rest, ok := strings.CutPrefix(p, parent+"/")
		if !ok || rest == "" {
			return false, ""
		}
		name, _, _ := strings.Cut(rest, "/")
		return true, parent + "/" + name
	}
	return p == pattern, p
}

// matchAny reports whether p matches one of patterns.
func matchAny(patterns []string, p string) bool {
	for _, pat := range patterns {
		if ok, _ := matches(pat, p); ok {
			return true
		}
	}
	return false
}

// unit returns the unit root of p under the rule, or "" when the rule
// does not constrain p.
func (r Rule) unit(p string) string {
	if matchAny(r.Except, p) {
		return ""
	}
	for _, pat := range r.Applies {
		if ok, root := matches(pat, p); ok {
			return root
		}
	}
	return ""
}

// rel returns the path relative to Module and whether it is in the module.
func rel(importPath string) (string, bool) {
	if importPath == Module {
		return "", true
	}
	r, ok := strings.CutPrefix(importPath, Module+"/")
	return r, ok
}

// isStd reports whether an import path outside the module is in the
// standard library (its first element has no dot).
func isStd(importPath string) bool {
	first, _, _ := strings.Cut(importPath, "/")
	return !strings.Contains(first, ".")
}

// Constrains reports whether some rule applies to the relative path p.
func (r Rule) Constrains(p string) bool { return r.unit(p) != "" }

// Check returns every violation of rules in pkgs (the module's packages).
func Check(pkgs []Package, rules []Rule) []Violation {
	byPath := map[string]Package{}
	for _, p := range pkgs {
		byPath[p.ImportPath] = p
	}
	var out []Violation
	for _, p := range pkgs {
		self, ok := rel(p.ImportPath)
		if !ok {
			continue
		}
		for _, r := range rules {
			root := r.unit(self)
			if root == "" {
				continue
			}
			inUnit := func(d string) bool { return d == root || strings.HasPrefix(d, root+"/") }
			for _, dep := range p.Deps {
				d, inModule := rel(dep)
				bad := false
				switch {
				case inModule && inUnit(d):
				case inModule:
					bad = (matchAny(r.Forbid, d) && !matchAny(r.Permit, d)) ||
						(r.Only != nil && !matchAny(r.Only, d))
				default:
					bad = r.StdOnly && !isStd(dep) && !matchAny(r.PermitExternal, dep)
					d = dep
				}
				if bad {
					out = append(out, Violation{Rule: r, Package: self, Dep: d, Path: importPath(byPath, p.ImportPath, dep)})
				}
			}
			for _, imp := range p.Imports {
				if _, inModule := rel(imp); inModule || !isStd(imp) {
					continue
				}
				if matchAny(r.ForbidStd, imp) && !matchAny(r.PermitStd, imp) {
					out = append(out, Violation{Rule: r, Package: self, Dep: imp, Path: []string{self, imp}})
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Rule.Name != b.Rule.Name {
			return a.Rule.Name < b.Rule.Name
		}
		if a.Package != b.Package {
			return a.Package < b.Package
		}
		return a.Dep < b.Dep
	})
	return out
}

// importPath finds an import chain from 'from' to 'to' through the
// module's packages (breadth first; relative names for module packages).
func importPath(byPath map[string]Package, from, to string) []string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if cur == to {
			break
		}
		for _, next := range byPath[cur].Imports {
			if _, seen := prev[next]; seen {
				continue
			}
			prev[next] = cur
			queue = append(queue, next)
		}
	}
	if _, found := prev[to]; !found {
		return []string{short(from), "…", short(to)}
	}
	var chain []string
	for cur := to; cur != ""; cur = prev[cur] {
		chain = append(chain, short(cur))
	}
	slices.Reverse(chain)
	return chain
}

// short is the relative name of a module package, else the import path.
func short(importPath string) string {
	if r, ok := rel(importPath); ok {
		return r
	}
	return importPath
}
