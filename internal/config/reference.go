package config

import (
	"fmt"
	"strings"
)

//go:generate go test -run TestReferenceDocs -update-docs .

// Reference renders the configuration reference (docs/configuration.md)
// from the struct: every key with its environment variable, type, default
// and description.
func Reference() string {
	var b strings.Builder
	b.WriteString("# Configuration reference\n\n")
	b.WriteString("<!-- Generated from internal/config by `go generate ./internal/config`; a test fails when it is stale. -->\n\n")
	b.WriteString("mauth reads its settings, lowest precedence first, from the defaults, a YAML file\n")
	b.WriteString("(`mauth serve --config FILE`, or the file named by `MAUTH_CONFIG`), environment variables\n")
	b.WriteString("`MAUTH_<SECTION>_<KEY>` (one per key, listed below) and command-line flags.\n")
	b.WriteString("`mauth migrate --config FILE` reads the same file and variables, so it migrates the database\n")
	b.WriteString("the servers use (`database.*`, `server.data_dir`).\n")
	b.WriteString("The secret `_file` keys (`password_file`, `client_secret_file`, `auth_file`) name a file whose\n")
	b.WriteString("content (without the trailing newline) becomes the matching secret; the `tls_*_file` keys name\n")
	b.WriteString("PEM files; secrets are never printed. `mauth config check --config FILE` validates a\n")
	b.WriteString("file and prints the effective configuration with secrets masked; unknown keys and bad values\n")
	b.WriteString("are errors naming the key. Durations use Go syntax (`90s`, `5m`, `2h`).\n\n")
	b.WriteString("`MAUTH_DATABASE` is still accepted for `database.url` when `MAUTH_DATABASE_URL` is not set.\n")
	last := ""
	for _, f := range Fields() {
		sec, key, _ := strings.Cut(f.Key, ".")
		if sec != last {
			fmt.Fprintf(&b, "\n## `%s`\n\n| key | environment | type | default | description |\n|---|---|---|---|---|\n", sec)
			last = sec
		}
		def := f.String()
		if def == "" {
			def = "(empty)"
		}
		desc := f.Doc
		if f.Secret {
			desc += " **secret**"
		}
		fmt.Fprintf(&b, "| `%s` | `%s` | %s | `%s` | %s |\n", key, f.Env, f.Type, def, desc)
	}
	b.WriteString("\n## Example\n\n```yaml\n")
	b.WriteString(Default().Effective())
	b.WriteString("```\n")
	return b.String()
}
