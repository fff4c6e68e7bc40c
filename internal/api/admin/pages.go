package admin

import (
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/mauth/mauth/internal/domain"
)

// titles are the page titles.
var titles = map[string]string{
	"signin": "Sign in", "error": "Error", "dashboard": "Dashboard", "applications": "Applications",
	"application": "Application", "activations": "Activations", "activation": "Activation",
	"activation_new": "New activation", "operations": "Operations", "operation": "Operation",
	"templates": "Templates", "template": "Edit template", "integrations": "Integrations", "users": "Console users",
	"audit": "Audit log", "push": "Push", "campaign": "Push campaign", "template_preview": "Mobile Token preview",
}

// navOf is the navigation entry a page belongs to.
var navOf = map[string]string{
	"dashboard": "dashboard", "applications": "applications", "application": "applications",
	"activations": "activations", "activation": "activations", "activation_new": "activations",
	"operations": "operations", "operation": "operations", "templates": "templates", "template": "templates",
	"integrations": "integrations", "users": "users", "audit": "audit", "push": "push", "campaign": "push", "template_preview": "templates",
}

var funcs = template.FuncMap{
	"time": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05")
	},
	"status": func(v fmt.Stringer) string { return v.String() },
	"lower":  strings.ToLower,
	"join":   strings.Join,
	"details": func(m map[string]string) string {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, k+"="+m[k])
		}
		return strings.Join(parts, ", ")
	},
	"activationStatuses": func() []string {
		return []string{"CREATED", "PENDING_COMMIT", "ACTIVE", "BLOCKED", "REMOVED"}
	},
	"operationStatuses": func() []string {
		return []string{"PENDING", "APPROVED", "REJECTED", "FAILED", "CANCELED", "EXPIRED"}
	},
	"isCreated": func(s domain.ActivationStatus) bool { return s == domain.ActivationCreated },
	"isPending": func(s domain.ActivationStatus) bool { return s == domain.ActivationPendingCommit },
	"isActive":  func(s domain.ActivationStatus) bool { return s == domain.ActivationActive },
	"isBlocked": func(s domain.ActivationStatus) bool { return s == domain.ActivationBlocked },
	"isRemoved": func(s domain.ActivationStatus) bool { return s == domain.ActivationRemoved },
	"opPending": func(s domain.OperationStatus) bool { return s == domain.OperationPending },
	"dur":       func(d time.Duration) string { return d.String() },
	"seconds":   func(d time.Duration) int64 { return int64(d / time.Second) },
	"list":      func(v ...string) []string { return v },
	"has":       func(list []string, v string) bool { return slices.Contains(list, v) },
	"orDash": func(s string) string {
		if s == "" {
			return "—"
		}
		return s
	},
}

// parsePages parses each page template with the layout.
func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(path.Base(n), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("admin templates: %w", err)
		}
		out[base] = t
	}
	return out, nil
}
