package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mauth/mauth/internal/coreclient"
)

// newAppCommand builds `mauth app`: applications over the private API.
func newAppCommand() *cobra.Command {
	var af adminFlags
	cmd := &cobra.Command{
		Use:   "app",
		Short: "Create and inspect applications (calls the private API)",
	}
	af.bind(cmd)
	cmd.AddCommand(newAppCreateCommand(&af), newAppListCommand(&af), newAppShowCommand(&af), newAppProtocolCommand(&af))
	return cmd
}

func newAppCreateCommand(af *adminFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "create NAME",
		Short: "Create an application and print its mobile SDK configuration",
		Long: `Create an application with a new master key pair and a first version named
"default", and print what the mobile app needs: the application key, the
application secret, the master public key and the single configuration string
that the mobile SDKs (1.8 and later) accept.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := af.client()
			if err != nil {
				return err
			}
			if _, err := c.CreateApplication(cmd.Context(), args[0]); err != nil {
				return adminError(err)
			}
			d, err := c.ApplicationDetail(cmd.Context(), args[0])
			if err != nil {
				return adminError(err)
			}
			if len(d.Versions) == 0 {
				return fmt.Errorf("application %s has no version", args[0])
			}
			return printAppVersion(cmd, d, d.Versions[0], true)
		},
	}
}

func newAppListCommand(af *adminFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the applications",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := af.client()
			if err != nil {
				return err
			}
			apps, err := c.ListApplications(cmd.Context())
			if err != nil {
				return adminError(err)
			}
			rows := make([][]string, 0, len(apps))
			for _, a := range apps {
				rows = append(rows, []string{a.ApplicationID, strings.Join(a.ApplicationRoles, ",")})
			}
			return table(cmd.OutOrStdout(), []string{"APPLICATION", "ROLES"}, rows)
		},
	}
}

func newAppShowCommand(af *adminFlags) *cobra.Command {
	var secrets bool
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show an application and its versions",
		Long: `Show an application, its master public key and its versions. The application
secrets and the mobile SDK configuration strings (which contain them) are
printed only with --show-secrets.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := af.client()
			if err != nil {
				return err
			}
			d, err := c.ApplicationDetail(cmd.Context(), args[0])
			if err != nil {
				return adminError(err)
			}
			for i, v := range d.Versions {
				if i > 0 {
					fmt.Fprintln(cmd.OutOrStdout())
				}
				if err := printAppVersion(cmd, d, v, secrets); err != nil {
					return err
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&secrets, "show-secrets", false, "also print the application secrets and mobile SDK configuration strings")
	return cmd
}

// printAppVersion prints one version of an application.
func printAppVersion(cmd *cobra.Command, d coreclient.ApplicationDetail, v coreclient.ApplicationVersion, secrets bool) error {
	f := fields{w: cmd.OutOrStdout()}
	f.add("application", d.ApplicationID)
	f.add("roles", strings.Join(d.ApplicationRoles, ","))
	f.add("version", v.ApplicationVersionID)
	f.add("supported", strconv.FormatBool(v.Supported))
	f.add("application key", v.ApplicationKey)
	if secrets {
		f.add("application secret", v.ApplicationSecret)
	}
	f.add("master public key", d.MasterPublicKey)
	if secrets {
		f.add("mobile SDK config", v.MobileSdkConfig)
	}
	return f.print()
}

func newAppProtocolCommand(af *adminFlags) *cobra.Command {
	var minVersion string
	var allowDowngrade bool
	cmd := &cobra.Command{
		Use:   "protocol NAME",
		Short: "Show or change the protocol version policy of an application",
		Long: `Show the protocol version policy of an application: the minimum protocol
version it accepts and whether its activations may go below the highest
version they have spoken (the version ratchet, on by default). With
--min-version or --allow-downgrade the setting is changed first.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := af.client()
			if err != nil {
				return err
			}
			var p coreclient.ApplicationProtocol
			if cmd.Flags().Changed("min-version") || cmd.Flags().Changed("allow-downgrade") {
				var minPtr *string
				var allowPtr *bool
				if cmd.Flags().Changed("min-version") {
					minPtr = &minVersion
				}
				if cmd.Flags().Changed("allow-downgrade") {
					allowPtr = &allowDowngrade
				}
				p, err = c.UpdateApplicationProtocolSettings(cmd.Context(), args[0], minPtr, allowPtr)
			} else {
				p, err = c.ApplicationProtocolSettings(cmd.Context(), args[0])
			}
			if err != nil {
				return adminError(err)
			}
			f := fields{w: cmd.OutOrStdout()}
			f.add("application", p.ApplicationID)
			f.add("minimum protocol version", p.MinimumProtocolVersion)
			f.add("version ratchet", map[bool]string{false: "on", true: "off (downgrades allowed)"}[p.AllowVersionDowngrade])
			return f.print()
		},
	}
	cmd.Flags().StringVar(&minVersion, "min-version", "", "set the minimum protocol version (3.0, 3.1, 3.2 or 3.3)")
	cmd.Flags().BoolVar(&allowDowngrade, "allow-downgrade", false, "turn the version ratchet off (true) or on (false)")
	return cmd
}
