package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/mauth/mauth/internal/app"
)

// newIntegrationCommand builds `mauth integration`: private API
// credentials, managed through the private API, and `recover`, which
// writes an administrator credential straight into the database.
func newIntegrationCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "integration",
		Short: "Manage private API credentials (calls the private API; recover works offline)",
	}
	cmd.AddCommand(newIntegrationCreateCommand(), newIntegrationListCommand(), newIntegrationRemoveCommand(),
		newIntegrationGrantCommand(true), newIntegrationGrantCommand(false), newIntegrationRecoverCommand())
	return cmd
}

// withAdminFlags binds the private API connection flags to one command.
func withAdminFlags(cmd *cobra.Command, af *adminFlags) *cobra.Command {
	af.bind(cmd)
	return cmd
}

func newIntegrationCreateCommand() *cobra.Command {
	var af adminFlags
	var role string
	var apps []string
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create private API credentials, e.g. for an enrollment server or the bank's backend",
		Long: `Create an integration: a client token and client secret for HTTP Basic
authentication on the private API. They are printed once; store them now (the
server keeps only a hash of the secret).

By default the integration is an ADMIN, which may call every method. With
--app (repeatable) it gets the role APPLICATION and may act only on those
applications and their activations, operations and tokens. An enrollment
server started with --role enrollment uses such credentials
(--core-client-token and --core-client-secret) to call the core.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := af.client()
			if err != nil {
				return err
			}
			integ, err := c.CreateIntegrationWith(cmd.Context(), args[0], strings.ToUpper(role), apps)
			if err != nil {
				return adminError(err)
			}
			f := fields{w: cmd.OutOrStdout()}
			f.add("integration id", integ.ID)
			f.add("name", integ.Name)
			f.add("role", integ.Role)
			f.add("applications", strings.Join(integ.ApplicationIDs, ","))
			f.add("client token", integ.ClientToken)
			f.add("client secret", integ.ClientSecret)
			return f.print()
		},
	}
	cmd.Flags().StringVar(&role, "role", "", "ADMIN or APPLICATION (default: APPLICATION with --app, ADMIN without)")
	cmd.Flags().StringArrayVar(&apps, "app", nil, "application the integration may act on (repeatable; makes it an APPLICATION integration)")
	return withAdminFlags(cmd, &af)
}

func newIntegrationListCommand() *cobra.Command {
	var af adminFlags
	return withAdminFlags(&cobra.Command{
		Use:   "list",
		Short: "List the integrations with their roles and applications (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := af.client()
			if err != nil {
				return err
			}
			list, err := c.ListIntegrations(cmd.Context())
			if err != nil {
				return adminError(err)
			}
			rows := make([][]string, 0, len(list))
			for _, i := range list {
				rows = append(rows, []string{i.ID, i.Name, i.Role, strings.Join(i.ApplicationIDs, ","), i.ClientToken})
			}
			return table(cmd.OutOrStdout(), []string{"ID", "NAME", "ROLE", "APPLICATIONS", "CLIENT TOKEN"}, rows)
		},
	}, &af)
}

func newIntegrationRemoveCommand() *cobra.Command {
	var af adminFlags
	return withAdminFlags(&cobra.Command{
		Use:   "remove ID",
		Short: "Remove an integration; its credentials stop working at once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := af.client()
			if err != nil {
				return err
			}
			removed, err := c.RemoveIntegration(cmd.Context(), args[0])
			if err != nil {
				return adminError(err)
			}
			f := fields{w: cmd.OutOrStdout()}
			f.add("integration id", args[0])
			f.add("removed", map[bool]string{true: "true", false: "false (no such integration)"}[removed])
			return f.print()
		},
	}, &af)
}

// newIntegrationGrantCommand builds `integration grant` (grant) or
// `integration revoke`.
func newIntegrationGrantCommand(grant bool) *cobra.Command {
	var af adminFlags
	use, short := "grant ID APP...", "Let an APPLICATION integration act on more applications"
	if !grant {
		use, short = "revoke ID APP...", "Withdraw applications from an APPLICATION integration"
	}
	return withAdminFlags(&cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := af.client()
			if err != nil {
				return err
			}
			i, err := c.ChangeIntegrationApplications(cmd.Context(), args[0], args[1:], grant)
			if err != nil {
				return adminError(err)
			}
			f := fields{w: cmd.OutOrStdout()}
			f.add("integration id", i.ID)
			f.add("name", i.Name)
			f.add("role", i.Role)
			f.add("applications", strings.Join(i.ApplicationIDs, ","))
			return f.print()
		},
	}, &af)
}

func newIntegrationRecoverCommand() *cobra.Command {
	cfg := app.DefaultConfig()
	var configPath string
	cmd := &cobra.Command{
		Use:   "recover [NAME]",
		Short: "Create a new ADMIN credential directly in the database (lost bootstrap credentials)",
		Long: `Create a new ADMIN integration directly in the database, without calling
the private API, and print its client token and client secret once. Use it when
no administrator credential is left (the bootstrap credentials were lost, or
every ADMIN integration was removed). NAME defaults to mauth-recovery.

It reads the database and the server key from the same settings as
` + "`mauth serve`" + `: the YAML file (--config, env MAUTH_CONFIG), the
MAUTH_<SECTION>_<KEY> environment variables (MAUTH_SERVER_KEY among them) and
the flags. It never creates a server key or a database, refuses a database with
pending migrations, and refuses a server key that does not match the secrets
already stored. The server may keep running; the new credential works at once.
Then list the integrations with the new credential (` + "`mauth integration list`" + `)
and remove the ones that were lost (` + "`mauth integration remove ID`" + `).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, _, err := loadCommandConfig(cmd, &cfg, configPath); err != nil {
				return err
			}
			name := "mauth-recovery"
			if len(args) == 1 {
				name = args[0]
			}
			integ, err := app.RecoverAdmin(cmd.Context(), cfg, name)
			if err != nil {
				return err
			}
			f := fields{w: cmd.OutOrStdout()}
			f.add("integration id", integ.ID)
			f.add("name", integ.Name)
			f.add("role", string(integ.Role))
			f.add("client token", integ.ClientToken)
			f.add("client secret", integ.ClientSecret)
			return f.print()
		},
	}
	serverFlags(cmd, &cfg)
	configFlag(cmd, &configPath)
	return cmd
}
