package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/mauth/mauth/protocol"
)

// newDeviceMineCommand is `mauth device mine`: the user's own devices,
// seen and managed from this one.
func newDeviceMineCommand(df *deviceFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mine",
		Short: "The user's own devices in the application: list, block or remove another one",
	}
	list := &cobra.Command{
		Use:   "list --state FILE [TOKEN_ID]",
		Short: "List the user's devices (MAC token from 'device token create'); * marks this one",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, c, err := df.load()
			if err != nil {
				return err
			}
			tok, err := st.token(firstArg(args))
			if err != nil {
				return err
			}
			devs, err := c.ListDevices(cmd.Context(), tok)
			if err != nil {
				return deviceError("list devices", err)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "\tACTIVATION ID\tNAME\tPLATFORM\tSTATUS\tCREATED\tLAST USED")
			for _, d := range devs {
				mark := ""
				if d.Current {
					mark = "*"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", mark, d.ActivationID, oneLine(d.Name), oneLine(d.Platform), d.Status, d.Created, d.LastUsed)
			}
			return tw.Flush()
		},
	}
	action := func(use, short, what string, call func(cmd *cobra.Command, id, factors string) error) *cobra.Command {
		var factors string
		c := &cobra.Command{
			Use:   use + " --state FILE --pin PIN ACTIVATION_ID",
			Short: short,
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return call(cmd, args[0], factors)
			},
		}
		c.Flags().StringVar(&factors, "factors", string(protocol.SignaturePossessionKnowledge), "two-factor signature authorising the "+what)
		return c
	}
	block := action("block", "Block another of the user's devices (two-factor signature)", "block", func(cmd *cobra.Command, id, factors string) error {
		st, c, f, err := df.loadSigning(factors)
		if err != nil {
			return err
		}
		if err := df.saveAfter(st, c.BlockDevice(cmd.Context(), st.Device, f, id), "device not blocked"); err != nil {
			return err
		}
		out := fields{w: cmd.OutOrStdout()}
		out.add("activation id", id)
		out.add("status", "BLOCKED")
		return out.print()
	})
	remove := action("remove", "Remove another of the user's devices (two-factor signature)", "removal", func(cmd *cobra.Command, id, factors string) error {
		st, c, f, err := df.loadSigning(factors)
		if err != nil {
			return err
		}
		if err := df.saveAfter(st, c.RemoveDevice(cmd.Context(), st.Device, f, id), "device not removed"); err != nil {
			return err
		}
		out := fields{w: cmd.OutOrStdout()}
		out.add("activation id", id)
		out.add("status", "REMOVED")
		return out.print()
	})
	var size int
	var before string
	activity := &cobra.Command{
		Use:   "activity --state FILE [TOKEN_ID]",
		Short: "List the user's recent activity in the application (MAC token), newest first",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, c, err := df.load()
			if err != nil {
				return err
			}
			tok, err := st.token(firstArg(args))
			if err != nil {
				return err
			}
			items, next, err := c.ListActivity(cmd.Context(), tok, size, before)
			if err != nil {
				return deviceError("list activity", err)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "TIME\tKIND\tRESULT\tOPERATION\tDEVICE\tIP\tUSER AGENT")
			for _, a := range items {
				dev := a.DeviceName
				if dev == "" {
					dev = a.ActivationID
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.Timestamp, a.Kind, oneLine(a.Result), oneLine(a.OperationType), oneLine(dev), a.IP, oneLine(a.UserAgent))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if next != "" {
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "more: --before %s\n", next)
			}
			return err
		},
	}
	activity.Flags().IntVar(&size, "size", 0, "page length, 1 to 100 (default 50)")
	activity.Flags().StringVar(&before, "before", "", "continue a listing (the value after 'more: --before')")
	cmd.AddCommand(list, activity, block, remove)
	return cmd
}

// oneLine keeps a device-supplied value on one table line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
