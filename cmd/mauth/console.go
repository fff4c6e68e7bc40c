package main

import (
	"bufio"
	"errors"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mauth/mauth/internal/app"
	"github.com/mauth/mauth/internal/domain"
)

// envConsolePassword names the variable that gives `admin user create`
// the password without a prompt.
const envConsolePassword = "MAUTH_CONSOLE_PASSWORD"

func newAdminCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Manage the admin console (works offline, on the database)",
	}
	user := &cobra.Command{Use: "user", Short: "Manage console users"}
	user.AddCommand(newAdminUserCreateCommand())
	cmd.AddCommand(user)
	return cmd
}

func newAdminUserCreateCommand() *cobra.Command {
	cfg := app.DefaultConfig()
	var configPath, role string
	cmd := &cobra.Command{
		Use:   "create USERNAME",
		Short: "Create a console user directly in the database",
		Long: `Create a user of the admin console (served at /admin/ on the private
listener) directly in the database, without signing in: the way to create the
first user. Later users are created in the console by an admin.

The password (at least 12 characters) is read from ` + envConsolePassword + ` or,
when that is unset, from the first line of the standard input. It is stored as
an Argon2id hash. The database comes from the same settings as ` + "`mauth serve`" + `
(--config, MAUTH_<SECTION>_<KEY> variables, flags); the server may keep running.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, _, err := loadCommandConfig(cmd, &cfg, configPath); err != nil {
				return err
			}
			password := os.Getenv(envConsolePassword)
			if password == "" {
				line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
				if err != nil && line == "" {
					return errors.New("no password: set " + envConsolePassword + " or write it on the standard input")
				}
				password = strings.TrimRight(line, "\r\n")
			}
			u, err := app.CreateConsoleUser(cmd.Context(), cfg, args[0], password, domain.ConsoleRole(role))
			if err != nil {
				return err
			}
			f := fields{w: cmd.OutOrStdout()}
			f.add("username", u.Username)
			f.add("role", string(u.Role))
			f.add("console", "/admin/ on the private listener "+cfg.PrivateAddr)
			return f.print()
		},
	}
	cmd.Flags().StringVar(&role, "role", string(domain.ConsoleRoleAdmin), "role: admin, operator or read-only")
	serverFlags(cmd, &cfg)
	configFlag(cmd, &configPath)
	return cmd
}
