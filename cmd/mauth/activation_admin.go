package main

import (
	"errors"
	"strings"

	"github.com/spf13/cobra"
)

// withActivationAdminCommands adds `mauth activation detail|flags|history`
// to the activation group (which binds the connection flags).
func withActivationAdminCommands(act *cobra.Command) *cobra.Command {
	act.AddCommand(newActivationDetailCommand(), newActivationFlagsCommand(), newActivationHistoryCommand())
	return act
}

func newActivationDetailCommand() *cobra.Command {
	var o output
	return o.bind(&cobra.Command{
		Use:   "detail ACTIVATION_ID",
		Short: "Show everything the server keeps about an activation",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := groupCall(cmd, "activation/status", map[string]any{"activationId": args[0]})
			if err != nil {
				return err
			}
			return o.object(cmd, raw, []column{
				{"activation id", "activationId"}, {"status", "activationStatus"}, {"blocked reason", "blockedReason"},
				{"name", "activationName"}, {"user", "userId"}, {"application", "applicationId"},
				{"platform", "platform"}, {"device info", "deviceInfo"}, {"user agent", "userAgent"},
				{"flags", "activationFlags"}, {"failed attempts", "failedAttempts"}, {"max failed attempts", "maxFailedAttempts"},
				{"protocol version", "version"}, {"commit phase", "commitPhase"}, {"external id", "externalId"},
				{"device public key fingerprint", "devicePublicKeyFingerprint"},
				{"created", "timestampCreated"}, {"last used", "timestampLastUsed"}, {"last change", "timestampLastChange"},
			})
		},
	})
}

func newActivationFlagsCommand() *cobra.Command {
	var o output
	var add, remove, set []string
	var clear bool
	cmd := &cobra.Command{
		Use:   "flags ACTIVATION_ID",
		Short: "Show or change the flags of an activation",
		Long: `Show the flags of an activation. --add and --remove (repeatable) add or remove
flags, --set replaces them all (--set with --clear removes every flag).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := map[string]any{"activationId": args[0]}
			method := "activation/flags/list"
			changes := 0
			for _, c := range []bool{len(add) > 0, len(remove) > 0, len(set) > 0 || clear} {
				if c {
					changes++
				}
			}
			switch {
			case changes > 1:
				return errors.New("use one of --add, --remove and --set/--clear")
			case len(add) > 0:
				method, req["activationFlags"] = "activation/flags/create", add
			case len(remove) > 0:
				method, req["activationFlags"] = "activation/flags/remove", remove
			case len(set) > 0 || clear:
				method, req["activationFlags"] = "activation/flags/update", append([]string{}, set...)
			}
			raw, err := groupCall(cmd, method, req)
			if err != nil {
				return err
			}
			if o.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			v, err := decodeJSON(raw)
			if err != nil {
				return err
			}
			f := fields{w: cmd.OutOrStdout()}
			f.add("activation id", text(lookup(v, "activationId")))
			flags := text(lookup(v, "activationFlags"))
			if flags == "" {
				flags = "(none)"
			}
			f.add("flags", strings.TrimSpace(flags))
			return f.print()
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&add, "add", nil, "add a flag (repeatable)")
	fl.StringArrayVar(&remove, "remove", nil, "remove a flag (repeatable)")
	fl.StringArrayVar(&set, "set", nil, "replace the flags with these (repeatable)")
	fl.BoolVar(&clear, "clear", false, "remove every flag")
	return o.bind(cmd)
}

func newActivationHistoryCommand() *cobra.Command {
	var o output
	var from, to string
	cmd := &cobra.Command{
		Use:   "history ACTIVATION_ID",
		Short: "List the status changes of an activation",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := map[string]any{"activationId": args[0]}
			if from != "" {
				req["timestampFrom"] = from
			}
			if to != "" {
				req["timestampTo"] = to
			}
			raw, err := groupCall(cmd, "activation/history", req)
			if err != nil {
				return err
			}
			return o.list(cmd, raw, "items", []column{
				{"TIME", "timestampCreated"}, {"STATUS", "activationStatus"}, {"REASON", "eventReason"},
				{"NAME", "activationName"}, {"ACTOR", "externalUserId"}, {"VERSION", "version"},
			})
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "only changes at or after this time (ISO-8601, e.g. 2026-01-31T00:00:00Z)")
	cmd.Flags().StringVar(&to, "to", "", "only changes before this time (ISO-8601)")
	return o.bind(cmd)
}
