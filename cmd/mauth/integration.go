package main

import "github.com/spf13/cobra"

// newIntegrationCommand builds `mauth integration`: private API credentials.
func newIntegrationCommand() *cobra.Command {
	var af adminFlags
	cmd := &cobra.Command{
		Use:   "integration",
		Short: "Manage private API credentials (calls the private API)",
	}
	af.bind(cmd)
	cmd.AddCommand(&cobra.Command{
		Use:   "create NAME",
		Short: "Create private API credentials, e.g. for an enrollment server or the bank's backend",
		Long: `Create an integration: a client token and client secret for HTTP Basic
authentication on the private API. They are printed once; store them now.
An enrollment server started with --role enrollment uses such credentials
(--core-client-token and --core-client-secret) to call the core.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := af.client()
			if err != nil {
				return err
			}
			integ, err := c.CreateIntegration(cmd.Context(), args[0])
			if err != nil {
				return adminError(err)
			}
			f := fields{w: cmd.OutOrStdout()}
			f.add("integration id", integ.ID)
			f.add("name", integ.Name)
			f.add("client token", integ.ClientToken)
			f.add("client secret", integ.ClientSecret)
			return f.print()
		},
	})
	return cmd
}
