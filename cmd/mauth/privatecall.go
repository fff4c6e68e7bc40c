package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"
)

// Shared plumbing of the commands that call one private API method and
// print its answer: as a table or "label: value" lines by default, as the
// server's JSON with --json. A refusal prints the server's code and
// message (e.g. "ERR0015: Application with given ID does not exist.").

// output is the --json switch of a command.
type output struct{ json bool }

// bind adds --json to a command.
func (o *output) bind(cmd *cobra.Command) *cobra.Command {
	cmd.Flags().BoolVar(&o.json, "json", false, "print the server's answer (responseObject) as JSON, for scripts")
	return cmd
}

// column is one printed value: a header or label and the dotted JSON path
// of the value in an object.
type column struct{ head, key string }

// groupFlags reads the private API connection flags a command inherits
// from its group (app, activation), which bound them with adminFlags.bind.
func groupFlags(cmd *cobra.Command) (*adminFlags, error) {
	fl := cmd.Flags()
	var af adminFlags
	var err error
	get := func(name string, dst *string) {
		if err == nil {
			*dst, err = fl.GetString(name)
		}
	}
	get("url", &af.url)
	get("client-token", &af.clientToken)
	get("client-secret", &af.clientSecret)
	get("tls-ca-file", &af.tls.CAFile)
	get("tls-cert-file", &af.tls.CertFile)
	get("tls-key-file", &af.tls.KeyFile)
	if err == nil {
		af.timeout, err = fl.GetDuration("timeout")
	}
	if err != nil {
		return nil, fmt.Errorf("connection flags: %w", err)
	}
	return &af, nil
}

// callMethod calls a private API method and returns its responseObject.
func callMethod(cmd *cobra.Command, af *adminFlags, method string, req any) (json.RawMessage, error) {
	c, err := af.client()
	if err != nil {
		return nil, err
	}
	var raw json.RawMessage
	if err := c.Call(cmd.Context(), method, req, &raw); err != nil {
		return nil, adminError(err)
	}
	return raw, nil
}

// decodeJSON decodes an answer keeping numbers as written.
func decodeJSON(raw []byte) (any, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("decode the server's answer: %w", err)
	}
	return v, nil
}

// lookup finds the value at a dotted path of an object.
func lookup(v any, path string) any {
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// text renders a JSON value for a table cell or a field.
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		if x {
			return "true"
		}
		return "false"
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = text(e)
		}
		return strings.Join(parts, ",")
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + text(x[k])
		}
		return strings.Join(parts, " ")
	}
	return fmt.Sprint(v)
}

// printJSON writes the answer indented.
func printJSON(w io.Writer, raw []byte) error {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		raw = []byte("{}")
	}
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return fmt.Errorf("format the server's answer: %w", err)
	}
	b.WriteByte('\n')
	_, err := w.Write(b.Bytes())
	return err
}

// object prints one object: "label: value" lines of cols, or the JSON.
func (o output) object(cmd *cobra.Command, raw []byte, cols []column) error {
	if o.json {
		return printJSON(cmd.OutOrStdout(), raw)
	}
	v, err := decodeJSON(raw)
	if err != nil {
		return err
	}
	f := fields{w: cmd.OutOrStdout()}
	for _, c := range cols {
		f.add(c.head, text(lookup(v, c.key)))
	}
	return f.print()
}

// list prints the array at key of the answer ("" for an answer that is
// the array) as a table of cols, or the whole answer as JSON.
func (o output) list(cmd *cobra.Command, raw []byte, key string, cols []column) error {
	if o.json {
		return printJSON(cmd.OutOrStdout(), raw)
	}
	v, err := decodeJSON(raw)
	if err != nil {
		return err
	}
	if key != "" {
		v = lookup(v, key)
	}
	items, _ := v.([]any)
	header := make([]string, len(cols))
	for i, c := range cols {
		header[i] = c.head
	}
	rows := make([][]string, 0, len(items))
	for _, it := range items {
		row := make([]string, len(cols))
		for i, c := range cols {
			row[i] = text(lookup(it, c.key))
			if row[i] == "" {
				row[i] = "-"
			}
		}
		rows = append(rows, row)
	}
	return table(cmd.OutOrStdout(), header, rows)
}

// keyValues parses KEY=VALUE arguments of a repeatable flag.
func keyValues(flag string, pairs []string) (map[string]string, error) {
	out := make(map[string]string, len(pairs))
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--%s %q: want KEY=VALUE", flag, p)
		}
		out[k] = v
	}
	return out, nil
}

// jsonMarshal encodes a value for the printers.
func jsonMarshal(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return b, nil
}

// rawJSON calls a method and prints its answer as JSON (the --json path
// of commands that otherwise print typed answers).
func rawJSON(cmd *cobra.Command, af *adminFlags, method string, req any) error {
	raw, err := callMethod(cmd, af, method, req)
	if err != nil {
		return err
	}
	return printJSON(cmd.OutOrStdout(), raw)
}
