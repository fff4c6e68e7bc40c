package main

import (
	"github.com/spf13/cobra"
)

// newAuditCommand builds `mauth audit list` (the security audit log, over
// the private API) and `mauth audit verify|checkpoint|key` (the
// tamper-evident chains, on the database; audit_chain.go).
func newAuditCommand() *cobra.Command {
	var af adminFlags
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Read the security audit log (private API) and verify its chains (database)",
	}
	af.bind(cmd)
	cmd.AddCommand(newAuditListCommand(), newAuditVerifyCommand(), newAuditCheckpointCommand(), newAuditKeyCommand())
	return cmd
}

func newAuditListCommand() *cobra.Command {
	var o output
	var user, activation, typ, from, to string
	var limit int
	cmd := &cobra.Command{
		Use:   "list [--user ID] [--activation ID] [--type TYPE] [--from TIME] [--to TIME] [--limit N]",
		Short: "List audit log entries, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req := map[string]any{}
			for k, v := range map[string]string{"userId": user, "activationId": activation, "type": typ, "timestampFrom": from, "timestampTo": to} {
				if v != "" {
					req[k] = v
				}
			}
			if cmd.Flags().Changed("limit") {
				req["limit"] = limit
			}
			raw, err := groupCall(cmd, "audit/list", req)
			if err != nil {
				return err
			}
			return o.list(cmd, raw, "items", []column{
				{"TIME", "timestamp"}, {"TYPE", "type"}, {"ACTOR", "actor"}, {"APPLICATION", "applicationId"},
				{"ACTIVATION", "activationId"}, {"USER", "userId"}, {"DETAILS", "details"},
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&user, "user", "", "only entries of this user")
	fl.StringVar(&activation, "activation", "", "only entries of this activation")
	fl.StringVar(&typ, "type", "", "only entries of this type (e.g. ADMIN_CHANGE)")
	fl.StringVar(&from, "from", "", "only entries at or after this time (ISO-8601)")
	fl.StringVar(&to, "to", "", "only entries before this time (ISO-8601)")
	fl.IntVar(&limit, "limit", 0, "at most this many entries (default: the server's)")
	return o.bind(cmd)
}
