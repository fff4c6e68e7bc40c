package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mauth/mauth/internal/app"
	"github.com/mauth/mauth/internal/cloud"
)

// newCloudCommand builds `mauth cloud`: the users of the PowerAuth Cloud
// API, managed directly in the database (the first ROLE_ADMIN can only be
// created so; later users may also be managed through /powerauth-cloud/admin).
func newCloudCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cloud",
		Short: "Manage PowerAuth Cloud API users (works offline on the database)",
	}
	user := &cobra.Command{
		Use:   "user",
		Short: "Create, grant, list, disable and enable Cloud API users",
	}
	user.AddCommand(newCloudUserCreateCommand(), newCloudUserGrantCommand(), newCloudUserListCommand(),
		newCloudUserEnableCommand(false), newCloudUserEnableCommand(true))
	cmd.AddCommand(user)
	return cmd
}

const cloudOfflineHelp = `
It works directly on the database and the server key, read from the same
settings as ` + "`mauth serve`" + ` (--config, MAUTH_* variables, flags); the
server may keep running and sees the change at once. It never creates a server
key or a database and refuses pending migrations or a wrong server key.`

// cloudCommand builds a user subcommand that runs fn on the offline
// Cloud service.
func cloudCommand(use, short, long string, args cobra.PositionalArgs, bind func(*cobra.Command),
	fn func(ctx context.Context, cmd *cobra.Command, svc *cloud.Service, args []string) error) *cobra.Command {
	cfg := app.DefaultConfig()
	var configPath string
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Long:  long + "\n" + cloudOfflineHelp,
		Args:  args,
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, _, err := loadCommandConfig(cmd, &cfg, configPath); err != nil {
				return err
			}
			ctx, svc, closeStore, err := app.OpenCloudOffline(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer closeStore()
			return fn(ctx, cmd, svc, args)
		},
	}
	serverFlags(cmd, &cfg)
	configFlag(cmd, &configPath)
	if bind != nil {
		bind(cmd)
	}
	return cmd
}

// cloudError shows a Cloud API refusal as its message.
func cloudError(err error) error {
	if ce, ok := err.(*cloud.Error); ok {
		return fmt.Errorf("%s", ce.Message)
	}
	return err
}

func newCloudUserCreateCommand() *cobra.Command {
	var role string
	return cloudCommand("create USERNAME", "Create a Cloud API user and print its generated password once",
		`Create a user of the PowerAuth Cloud API with a generated password, printed
once (the server keeps only its Argon2id hash). --role ROLE_ADMIN creates an
administrator, who may call /powerauth-cloud/admin/**; the default ROLE_USER
acts on registrations and operations of the applications granted to it
(mauth cloud user grant).`,
		cobra.ExactArgs(1),
		func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&role, "role", "ROLE_USER", "ROLE_USER or ROLE_ADMIN")
		},
		func(ctx context.Context, cmd *cobra.Command, svc *cloud.Service, args []string) error {
			r, err := cloud.ParseRole(role)
			if err != nil {
				return cloudError(err)
			}
			u, err := svc.CreateUser(ctx, args[0], r)
			if err != nil {
				return cloudError(err)
			}
			f := fields{w: cmd.OutOrStdout()}
			f.add("username", u.Username)
			f.add("role", string(u.Role))
			f.add("password", u.Password)
			return f.print()
		})
}

func newCloudUserGrantCommand() *cobra.Command {
	var revoke bool
	return cloudCommand("grant USERNAME APPLICATION...", "Grant applications to a Cloud API user (--revoke to take them back)",
		`Grant the applications (by name) to a user, who may then manage their
registrations and operations. --revoke takes the grants back.`,
		cobra.MinimumNArgs(2),
		func(cmd *cobra.Command) {
			cmd.Flags().BoolVar(&revoke, "revoke", false, "revoke the applications instead")
		},
		func(ctx context.Context, cmd *cobra.Command, svc *cloud.Service, args []string) error {
			var u cloud.User
			for _, a := range args[1:] {
				var err error
				if u, err = svc.Grant(ctx, args[0], a, !revoke); err != nil {
					return cloudError(err)
				}
			}
			f := fields{w: cmd.OutOrStdout()}
			f.add("username", u.Username)
			f.add("applications", strings.Join(u.Applications, ", "))
			return f.print()
		})
}

func newCloudUserListCommand() *cobra.Command {
	return cloudCommand("list", "List the Cloud API users", "List the users with their role, state and applications.",
		cobra.NoArgs, nil,
		func(ctx context.Context, cmd *cobra.Command, svc *cloud.Service, _ []string) error {
			us, err := svc.ListUsers(ctx)
			if err != nil {
				return cloudError(err)
			}
			rows := make([][]string, len(us))
			for i, u := range us {
				state := "enabled"
				if !u.Enabled {
					state = "disabled"
				}
				rows[i] = []string{u.Username, string(u.Role), state, strings.Join(u.Applications, ",")}
			}
			return table(cmd.OutOrStdout(), []string{"USERNAME", "ROLE", "STATE", "APPLICATIONS"}, rows)
		})
}

func newCloudUserEnableCommand(enable bool) *cobra.Command {
	use, short, long := "disable USERNAME", "Disable a Cloud API user", "Disable a user: its password and bearer tokens stop working at once."
	if enable {
		use, short, long = "enable USERNAME", "Enable a disabled Cloud API user", "Enable a disabled user again."
	}
	return cloudCommand(use, short, long, cobra.ExactArgs(1), nil,
		func(ctx context.Context, cmd *cobra.Command, svc *cloud.Service, args []string) error {
			u, err := svc.SetUserEnabled(ctx, args[0], enable)
			if err != nil {
				return cloudError(err)
			}
			state := "enabled"
			if !u.Enabled {
				state = "disabled"
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s is %s\n", u.Username, state)
			return err
		})
}
