package main

import (
	"github.com/spf13/cobra"
)

// withAppAdminCommands adds `mauth app version|role|config` to the app
// group (which binds the connection flags).
func withAppAdminCommands(app *cobra.Command) *cobra.Command {
	version := &cobra.Command{Use: "version", Short: "Create, list, support and unsupport application versions"}
	version.AddCommand(newAppVersionListCommand(), newAppVersionCreateCommand(), newAppVersionSupportCommand(true), newAppVersionSupportCommand(false))
	role := &cobra.Command{Use: "role", Short: "List and change the roles of an application"}
	role.AddCommand(newAppRoleListCommand(),
		newAppRoleChangeCommand("add", "application/roles/create", "Add roles to an application"),
		newAppRoleChangeCommand("set", "application/roles/update", "Replace the roles of an application"),
		newAppRoleChangeCommand("remove", "application/roles/remove", "Remove roles from an application"))
	config := &cobra.Command{Use: "config", Short: "List, set and remove configuration values of an application"}
	config.AddCommand(newAppConfigListCommand(), newAppConfigSetCommand(), newAppConfigRemoveCommand())
	app.AddCommand(version, role, config)
	return app
}

// groupCall calls a method with the connection flags of the command's group.
func groupCall(cmd *cobra.Command, method string, req any) ([]byte, error) {
	af, err := groupFlags(cmd)
	if err != nil {
		return nil, err
	}
	return callMethod(cmd, af, method, req)
}

var appVersionColumns = []column{
	{"VERSION", "applicationVersionId"}, {"APPLICATION KEY", "applicationKey"}, {"SUPPORTED", "supported"},
}

func newAppVersionListCommand() *cobra.Command {
	var o output
	return o.bind(&cobra.Command{
		Use:   "list APP",
		Short: "List the versions of an application (never their secrets)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := groupCall(cmd, "application/detail", map[string]any{"applicationId": args[0]})
			if err != nil {
				return err
			}
			v, err := decodeJSON(raw)
			if err != nil {
				return err
			}
			// The secrets stay out of the answer this command prints.
			versions, _ := lookup(v, "versions").([]any)
			for _, it := range versions {
				if m, ok := it.(map[string]any); ok {
					delete(m, "applicationSecret")
					delete(m, "mobileSdkConfig")
				}
			}
			safe, err := jsonMarshal(map[string]any{"applicationId": args[0], "versions": versions})
			if err != nil {
				return err
			}
			return o.list(cmd, safe, "versions", appVersionColumns)
		},
	})
}

func newAppVersionCreateCommand() *cobra.Command {
	var o output
	return o.bind(&cobra.Command{
		Use:   "create APP VERSION",
		Short: "Create a version of an application with a new application key and secret",
		Long: `Create a version of an application and print its application key and
application secret once (the mobile app of that version needs both).`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := groupCall(cmd, "application/version/create", map[string]any{"applicationId": args[0], "applicationVersionId": args[1]})
			if err != nil {
				return err
			}
			return o.object(cmd, raw, []column{
				{"version", "applicationVersionName"}, {"application key", "applicationKey"},
				{"application secret", "applicationSecret"}, {"supported", "supported"},
			})
		},
	})
}

func newAppVersionSupportCommand(support bool) *cobra.Command {
	var o output
	use, short, method := "support APP VERSION", "Let devices of an application version sign again", "application/version/support"
	if !support {
		use, short, method = "unsupport APP VERSION", "Refuse the signatures of an application version", "application/version/unsupport"
	}
	return o.bind(&cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := groupCall(cmd, method, map[string]any{"applicationId": args[0], "applicationVersionId": args[1]})
			if err != nil {
				return err
			}
			return o.object(cmd, raw, []column{{"version", "applicationVersionId"}, {"supported", "supported"}})
		},
	})
}

var appRoleColumns = []column{{"application", "applicationId"}, {"roles", "applicationRoles"}}

func newAppRoleListCommand() *cobra.Command {
	var o output
	return o.bind(&cobra.Command{
		Use:   "list APP",
		Short: "List the roles of an application",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := groupCall(cmd, "application/roles/list", map[string]any{"applicationId": args[0]})
			if err != nil {
				return err
			}
			return o.object(cmd, raw, appRoleColumns)
		},
	})
}

func newAppRoleChangeCommand(verb, method, short string) *cobra.Command {
	var o output
	return o.bind(&cobra.Command{
		Use:   verb + " APP ROLE...",
		Short: short,
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := groupCall(cmd, method, map[string]any{"applicationId": args[0], "applicationRoles": args[1:]})
			if err != nil {
				return err
			}
			return o.object(cmd, raw, appRoleColumns)
		},
	})
}

func newAppConfigListCommand() *cobra.Command {
	var o output
	return o.bind(&cobra.Command{
		Use:   "list APP",
		Short: "List the configuration values of an application",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := groupCall(cmd, "application/config/detail", map[string]any{"applicationId": args[0]})
			if err != nil {
				return err
			}
			return o.list(cmd, raw, "applicationConfigs", []column{{"KEY", "key"}, {"VALUES", "values"}})
		},
	})
}

func newAppConfigSetCommand() *cobra.Command {
	var o output
	return o.bind(&cobra.Command{
		Use:   "set APP KEY VALUE...",
		Short: "Set a configuration value of an application (e.g. fido2_aaguids_allowed)",
		Args:  cobra.MinimumNArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := groupCall(cmd, "application/config/create", map[string]any{"applicationId": args[0], "key": args[1], "values": args[2:]})
			if err != nil {
				return err
			}
			return o.object(cmd, raw, []column{{"application", "applicationId"}, {"key", "key"}, {"values", "values"}})
		},
	})
}

func newAppConfigRemoveCommand() *cobra.Command {
	var o output
	return o.bind(&cobra.Command{
		Use:   "remove APP KEY",
		Short: "Remove a configuration value of an application",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := groupCall(cmd, "application/config/remove", map[string]any{"applicationId": args[0], "key": args[1]})
			if err != nil {
				return err
			}
			if o.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			f := fields{w: cmd.OutOrStdout()}
			f.add("application", args[0])
			f.add("removed", args[1])
			return f.print()
		},
	})
}
