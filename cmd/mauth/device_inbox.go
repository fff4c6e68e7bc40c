package main

import (
	"errors"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/mauth/mauth/client"
)

// withDeviceInboxCommands adds `mauth device inbox list|show|read` to the
// device group (which binds --state and --url).
func withDeviceInboxCommands(device *cobra.Command) *cobra.Command {
	inbox := &cobra.Command{
		Use:   "inbox",
		Short: "Read the user's inbox messages with the device's newest MAC token",
	}
	inbox.AddCommand(newDeviceInboxListCommand(), newDeviceInboxShowCommand(), newDeviceInboxReadCommand())
	device.AddCommand(inbox)
	return device
}

// loadInboxDevice loads the state file named by the inherited --state and
// --url flags and returns the client and the newest token.
func loadInboxDevice(cmd *cobra.Command) (*client.Client, *client.Token, error) {
	var df deviceFlags
	var err error
	if df.state, err = cmd.Flags().GetString("state"); err != nil {
		return nil, nil, err
	}
	if df.url, err = cmd.Flags().GetString("url"); err != nil {
		return nil, nil, err
	}
	if df.state == "" {
		return nil, nil, errors.New("--state is required")
	}
	st, c, err := df.load()
	if err != nil {
		return nil, nil, err
	}
	tok, err := st.token("")
	if err != nil {
		return nil, nil, err
	}
	return c, tok, nil
}

func newDeviceInboxListCommand() *cobra.Command {
	var unread bool
	var page, size int
	cmd := &cobra.Command{
		Use:   "list --state FILE",
		Short: "List the inbox messages, newest first, with the number of unread ones",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, tok, err := loadInboxDevice(cmd)
			if err != nil {
				return err
			}
			n, err := c.InboxCount(cmd.Context(), tok)
			if err != nil {
				return err
			}
			pg, err := c.InboxList(cmd.Context(), tok, page, size, unread)
			if err != nil {
				return err
			}
			rows := make([][]string, 0, len(pg.ResponseObject))
			for _, m := range pg.ResponseObject {
				rows = append(rows, []string{m.ID, strconv.FormatBool(m.Read), m.Type, timeText(&m.TimestampCreated), m.Subject})
			}
			f := fields{w: cmd.OutOrStdout()}
			f.add("unread", strconv.FormatInt(n, 10))
			if err := f.print(); err != nil {
				return err
			}
			return table(cmd.OutOrStdout(), []string{"ID", "READ", "TYPE", "CREATED", "SUBJECT"}, rows)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&unread, "unread", false, "only the unread messages")
	fl.IntVar(&page, "page", 0, "page number (0-based)")
	fl.IntVar(&size, "size", 0, "page size (default: the server's, 20)")
	return cmd
}

func newDeviceInboxShowCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "show --state FILE ID",
		Short: "Show an inbox message with its body",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, tok, err := loadInboxDevice(cmd)
			if err != nil {
				return err
			}
			m, err := c.InboxDetail(cmd.Context(), tok, args[0])
			if err != nil {
				return err
			}
			f := fields{w: cmd.OutOrStdout()}
			f.add("id", m.ID)
			f.add("type", m.Type)
			f.add("read", strconv.FormatBool(m.Read))
			f.add("created", timeText(&m.TimestampCreated))
			f.add("subject", m.Subject)
			f.add("summary", m.Summary)
			f.add("body", m.Body)
			return f.print()
		},
	}
}

func newDeviceInboxReadCommand() *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "read --state FILE (ID | --all)",
		Short: "Mark an inbox message (or with --all every message) read",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if all == (len(args) == 1) {
				return errors.New("give a message ID or --all")
			}
			c, tok, err := loadInboxDevice(cmd)
			if err != nil {
				return err
			}
			f := fields{w: cmd.OutOrStdout()}
			if all {
				if err := c.InboxReadAll(cmd.Context(), tok); err != nil {
					return err
				}
				f.add("read", "all")
				return f.print()
			}
			if err := c.InboxRead(cmd.Context(), tok, args[0]); err != nil {
				return err
			}
			f.add("read", args[0])
			return f.print()
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "mark every message read")
	return cmd
}
