package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mauth/mauth/client"
	"github.com/mauth/mauth/protocol"
)

// The device commands of the Mobile Token API: operations the user
// approves or rejects, offline approvals from a QR code, and push
// registration.

// newDeviceOpsCommands returns the operation, offline approval and push
// registration commands of `mauth device`.
func newDeviceOpsCommands(df *deviceFlags) []*cobra.Command {
	return []*cobra.Command{
		newDeviceOperationsCommand(df),
		newDeviceOfflineApproveCommand(df),
		newDevicePushRegisterCommand(df),
	}
}

func newDeviceOperationsCommand(df *deviceFlags) *cobra.Command {
	var tokenID, lang string
	cmd := &cobra.Command{
		Use:   "operations",
		Short: "List, approve and reject the user's operations (Mobile Token API)",
	}
	tokenFlags := func(c *cobra.Command) {
		c.Flags().StringVar(&tokenID, "token", "", "MAC token of the state file to authenticate with (default: the newest; create one with `mauth device token create`)")
		c.Flags().StringVar(&lang, "lang", "", "language of the operation texts (Accept-Language), e.g. en or cs")
	}
	list := &cobra.Command{
		Use:   "list --state FILE",
		Short: "List the pending operations (authenticated with a MAC token)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, c, err := df.load()
			if err != nil {
				return err
			}
			tok, err := st.token(tokenID)
			if err != nil {
				return err
			}
			ops, err := c.ListOperations(cmd.Context(), tok, lang)
			if err != nil {
				return deviceError("operations not listed", err)
			}
			rows := make([][]string, 0, len(ops))
			for _, o := range ops {
				rows = append(rows, []string{o.ID, o.Name, o.Status, o.AllowedSignatureType.Type, o.FormData.Title, o.Data})
			}
			return table(cmd.OutOrStdout(), []string{"ID", "NAME", "STATUS", "FACTORS", "TITLE", "DATA"}, rows)
		},
	}
	tokenFlags(list)

	var factors, data string
	approve := &cobra.Command{
		Use:   "approve OPERATION_ID --state FILE --pin PIN",
		Short: "Approve an operation with a signature over its data",
		Long: `Approve an operation: a signed call to the Mobile Token API's authorize
endpoint. The signature binds the operation data; without --data the command
first fetches the operation's data with a MAC token, as an app shows it to the
user. A wrong PIN counts a failed attempt of the operation and the activation.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, c, f, err := df.loadSigning(factors)
			if err != nil {
				return err
			}
			id := args[0]
			if data == "" {
				tok, err := st.token(tokenID)
				if err != nil {
					return fmt.Errorf("%w (or give the operation's --data)", err)
				}
				op, err := c.OperationDetail(cmd.Context(), tok, id, lang)
				if err != nil {
					return deviceError("operation not found", err)
				}
				data = op.Data
			}
			callErr := c.AuthorizeOperation(cmd.Context(), st.Device, f, client.Approval{ID: id, Data: data})
			if err := df.saveAfter(st, callErr, "operation not approved"); err != nil {
				return err
			}
			out := fields{w: cmd.OutOrStdout()}
			out.add("operation id", id)
			out.add("status", "APPROVED")
			out.add("factors", string(f.Type))
			return out.print()
		},
	}
	tokenFlags(approve)
	approve.Flags().StringVar(&factors, "factors", string(protocol.SignaturePossessionKnowledge), "signature factors: possession, possession_knowledge or possession_biometry, as the operation allows")
	approve.Flags().StringVar(&data, "data", "", "the operation data to sign (default: fetched with a MAC token)")

	var reason string
	reject := &cobra.Command{
		Use:   "reject OPERATION_ID --state FILE",
		Short: "Reject an operation (possession signature)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, c, err := df.load()
			if err != nil {
				return err
			}
			callErr := c.RejectOperation(cmd.Context(), st.Device, client.Possession, args[0], reason)
			if err := df.saveAfter(st, callErr, "operation not rejected"); err != nil {
				return err
			}
			out := fields{w: cmd.OutOrStdout()}
			out.add("operation id", args[0])
			out.add("status", "REJECTED")
			return out.print()
		},
	}
	reject.Flags().StringVar(&reason, "reason", "UNKNOWN", "why: UNKNOWN, INCORRECT_DATA, UNEXPECTED_OPERATION or a custom reason")
	cmd.AddCommand(list, approve, reject)
	return cmd
}

func newDeviceOfflineApproveCommand(df *deviceFlags) *cobra.Command {
	var qr, factors string
	cmd := &cobra.Command{
		Use:   "offline-approve --state FILE --pin PIN --qr PAYLOAD",
		Short: "Compute the offline signature of an operation from its offline QR code",
		Long: `Verify an offline QR payload of an operation (signed with the activation's
server key or the application's master key) and compute the decimal signature
the user types into the bank's channel, which submits it with
'operation/offline/approve'. Nothing is sent to the server; the signature
counter advances. --qr - reads the payload from standard input.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if qr == "" {
				return errors.New("--qr is required (- reads standard input)")
			}
			payload := qr
			if qr == "-" {
				b, err := io.ReadAll(io.LimitReader(cmd.InOrStdin(), 1<<20))
				if err != nil {
					return fmt.Errorf("read the QR payload: %w", err)
				}
				payload = strings.TrimRight(string(b), "\r\n")
			}
			st, c, f, err := df.loadSigning(factors)
			if err != nil {
				return err
			}
			sc, err := protocol.ParseSDKConfig(st.SDKConfig)
			if err != nil {
				return fmt.Errorf("the state file's SDK configuration: %w", err)
			}
			q, err := client.ParseOfflineQR(payload, st.Device.ServerPublicKey, sc.MasterPublicKey)
			if err != nil {
				return err
			}
			sig, err := c.OfflineSignature(st.Device, f, q)
			if err != nil {
				return err
			}
			if err := st.save(df.state); err != nil {
				return err
			}
			out := fields{w: cmd.OutOrStdout()}
			out.add("operation id", q.OperationID)
			out.add("title", q.Title)
			out.add("message", q.Message)
			out.add("data", q.Data)
			out.add("signature", sig)
			return out.print()
		},
	}
	cmd.Flags().StringVar(&qr, "qr", "", "the offline QR payload (- reads it from standard input)")
	cmd.Flags().StringVar(&factors, "factors", string(protocol.SignaturePossessionKnowledge), "signature factors: possession_knowledge, or possession_biometry when the QR code allows it")
	return cmd
}

func newDevicePushRegisterCommand(df *deviceFlags) *cobra.Command {
	var platform, pushToken, environment, factors string
	cmd := &cobra.Command{
		Use:   "push-register --state FILE --platform apns|fcm|hms --push-token TOKEN",
		Short: "Register the device's push token (/api/push/device/register, signed)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if platform == "" || pushToken == "" {
				return errors.New("--platform and --push-token are required")
			}
			st, c, f, err := df.loadSigning(factors)
			if err != nil {
				return err
			}
			reg := client.PushRegistration{Platform: strings.ToLower(platform), Token: pushToken, Environment: environment}
			callErr := c.RegisterPushSigned(cmd.Context(), st.Device, f, reg)
			if err := df.saveAfter(st, callErr, "push token not registered"); err != nil {
				return err
			}
			out := fields{w: cmd.OutOrStdout()}
			out.add("activation id", st.Device.ActivationID)
			out.add("platform", reg.Platform)
			out.add("push token", "registered")
			return out.print()
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&platform, "platform", "", "push platform: apns, fcm or hms")
	fl.StringVar(&pushToken, "push-token", "", "the push token the platform issued to the device")
	fl.StringVar(&environment, "environment", "", "APNs environment: development or production (default: the server's)")
	fl.StringVar(&factors, "factors", string(protocol.SignaturePossession), "signature factors of the registration")
	return cmd
}
