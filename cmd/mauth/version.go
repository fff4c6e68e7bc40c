package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mauth/mauth/internal/buildinfo"
)

// newVersionCommand builds `mauth version`.
func newVersionCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the mauth version and the protocol versions it speaks",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			info := buildinfo.Get()
			if asJSON {
				return writeVersionJSON(cmd.OutOrStdout(), info)
			}
			return writeVersionText(cmd.OutOrStdout(), info)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the version information as JSON")
	return cmd
}

// writeVersionText prints info in a human-readable form.
func writeVersionText(w io.Writer, info buildinfo.Info) error {
	revision := info.Revision
	switch {
	case revision == "":
		revision = "unknown"
	case info.Modified:
		revision += " (modified)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "mauth %s\n", info.Version)
	for _, row := range [][2]string{
		{"revision", revision},
		{"go", info.GoVersion},
		{"PowerAuth protocol", strings.Join(info.ProtocolVersions, ", ")},
		{"PowerAuth Server API level", info.ServerAPILevel},
	} {
		fmt.Fprintf(&b, "  %-28s%s\n", row[0]+":", row[1])
	}
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return fmt.Errorf("write version: %w", err)
	}
	return nil
}

// writeVersionJSON prints info as one indented JSON object.
func writeVersionJSON(w io.Writer, info buildinfo.Info) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(info); err != nil {
		return fmt.Errorf("write version JSON: %w", err)
	}
	return nil
}
