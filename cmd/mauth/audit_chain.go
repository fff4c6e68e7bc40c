package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/mauth/mauth/internal/app"
	"github.com/mauth/mauth/internal/audit"
)

// errAuditBroken makes `mauth audit verify` exit non-zero when a chain is
// broken (the report is printed first).
var errAuditBroken = errors.New("the audit trail is broken")

// auditDatabaseHelp explains where the database commands find the database.
const auditDatabaseHelp = `The database comes from the same settings as ` + "`mauth serve`" + `: the YAML file
(--config, env MAUTH_CONFIG), the MAUTH_<SECTION>_<KEY> environment variables
and the flags, which override both. These commands read the database
directly, not through the private API.`

// newAuditVerifyCommand builds `mauth audit verify`.
func newAuditVerifyCommand() *cobra.Command {
	cfg := app.DefaultConfig()
	var configPath, publicKey string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify [--public-key FILE] [--json]",
		Short: "Verify the tamper-evident audit chains in the database",
		Long: `Walk every audit chain (audit log, activation history, signature audit) and
check each link, the chain heads and the latest signed checkpoint. Prints the
first broken link of every broken chain (what was changed, inserted, deleted
or reordered, and where) and exits with status 1 when any is broken.

--public-key (default: audit.public_key_file) checks the checkpoint with a
copy of the audit public key kept outside the database (see mauth audit key);
without it the key stored in the database is trusted.

` + auditDatabaseHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, _, err := loadCommandConfig(cmd, &cfg, configPath); err != nil {
				return err
			}
			if publicKey == "" {
				publicKey = cfg.Audit.PublicKeyFile
			}
			var pub *audit.PublicKey
			if publicKey != "" {
				raw, err := os.ReadFile(publicKey)
				if err != nil {
					return err
				}
				if pub, err = audit.ParsePublicKeyPEM(raw); err != nil {
					return err
				}
			}
			st, err := app.OpenStore(cmd.Context(), cfg, false)
			if err != nil {
				return err
			}
			defer st.Close()
			started := time.Now()
			rep, err := audit.Verify(cmd.Context(), st, pub, started)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				if err := enc.Encode(rep); err != nil {
					return err
				}
			} else {
				printAuditReport(cmd, rep, pub != nil, time.Since(started))
			}
			if !rep.OK() {
				cmd.SilenceUsage = true
				return errAuditBroken
			}
			return nil
		},
	}
	serverFlags(cmd, &cfg)
	configFlag(cmd, &configPath)
	cmd.Flags().StringVar(&publicKey, "public-key", "", "PEM file of the audit public key to check the checkpoint with (default: audit.public_key_file; none: the stored key)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

func printAuditReport(cmd *cobra.Command, rep audit.Report, pinned bool, took time.Duration) {
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "verified %d records in %d chains in %s\n", rep.Records, rep.Chains, took.Round(time.Millisecond))
	switch {
	case rep.CheckpointID != 0 && pinned:
		fmt.Fprintf(out, "checkpoint %d of %s: signature valid (pinned public key)\n", rep.CheckpointID, rep.CheckpointCreated.Format(time.RFC3339))
	case rep.CheckpointID != 0:
		fmt.Fprintf(out, "checkpoint %d of %s: signature valid (key stored in the database; pass --public-key to pin it)\n", rep.CheckpointID, rep.CheckpointCreated.Format(time.RFC3339))
	default:
		fmt.Fprintln(out, "no valid checkpoint: a chain recomputed from start to end would go unnoticed")
	}
	if rep.OK() {
		fmt.Fprintln(out, "OK: every chain is intact")
		return
	}
	fmt.Fprintf(out, "BROKEN: %d chain(s)\n", len(rep.Breaks))
	for _, b := range rep.Breaks {
		fmt.Fprintf(out, "  %s\n", b)
	}
}

// newAuditCheckpointCommand builds `mauth audit checkpoint`.
func newAuditCheckpointCommand() *cobra.Command {
	cfg := app.DefaultConfig()
	var configPath string
	cmd := &cobra.Command{
		Use:   "checkpoint",
		Short: "Sign the current audit chain heads now and print the checkpoint as JSON",
		Long: `Sign the heads of every audit chain with the audit key (created on first use,
sealed with the server key), store the checkpoint and print it as JSON: keep
the output outside the database. The server also does this every
audit.checkpoint_interval.

` + auditDatabaseHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, _, err := loadCommandConfig(cmd, &cfg, configPath); err != nil {
				return err
			}
			s, st, err := app.OpenAuditSigner(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer st.Close()
			cp, err := s.Checkpoint(cmd.Context())
			if err != nil {
				return err
			}
			_, pub, err := s.PublicKey(cmd.Context())
			if err != nil {
				return err
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			return enc.Encode(audit.Document(cp, pub))
		},
	}
	serverFlags(cmd, &cfg)
	configFlag(cmd, &configPath)
	return cmd
}

// newAuditKeyCommand builds `mauth audit key`.
func newAuditKeyCommand() *cobra.Command {
	cfg := app.DefaultConfig()
	var configPath string
	cmd := &cobra.Command{
		Use:   "key",
		Short: "Print the audit public key (PEM), creating the audit key when there is none",
		Long: `Print the public key that signs the audit checkpoints, as PEM. Keep a copy
outside the database and pass it to mauth audit verify --public-key (or set
audit.public_key_file), so that a key replaced in the database is noticed.

` + auditDatabaseHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, _, err := loadCommandConfig(cmd, &cfg, configPath); err != nil {
				return err
			}
			s, st, err := app.OpenAuditSigner(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer st.Close()
			id, pub, err := s.PublicKey(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "audit key %s\n", id)
			_, err = cmd.OutOrStdout().Write(audit.EncodePublicKeyPEM(pub))
			return err
		},
	}
	serverFlags(cmd, &cfg)
	configFlag(cmd, &configPath)
	return cmd
}
