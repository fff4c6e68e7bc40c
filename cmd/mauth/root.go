package main

import "github.com/spf13/cobra"

// newRootCommand builds the `mauth` command tree. Each subcommand lives in its
// own file and is registered here.
func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "mauth",
		Short: "mauth: mobile-first multi-factor authentication server (PowerAuth protocol 3.x)",
		Long: `mauth is a mobile-first multi-factor authentication backend. It speaks the
PowerAuth protocol 3.0-3.3 on the wire, so the open-source PowerAuth mobile
SDKs work against it unchanged.`,
		SilenceUsage: true,
	}
	root.CompletionOptions.HiddenDefaultCmd = true
	root.AddCommand(
		newVersionCommand(),
		newServeCommand(),
		newMigrateCommand(),
		newConfigCommand(),
		withAppAdminCommands(newAppCommand()),
		withActivationAdminCommands(newActivationCommand()),
		newIntegrationCommand(),
		withDeviceInboxCommands(newDeviceCommand()),
		newCloudCommand(),
		newPinningCommand(),
		newAdminCommand(),
		newPINCommand(),
		newPasswordCommand(),
		newBenchCommand(),
		newCallbackCommand(),
		newTemplateCommand(),
		newOperationCommand(),
		newRecoveryCommand(),
		newAuditCommand(),
		newPushCommand(),
	)
	return root
}
