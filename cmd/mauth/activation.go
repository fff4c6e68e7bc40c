package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/skip2/go-qrcode"
	"github.com/spf13/cobra"

	"github.com/mauth/mauth/internal/coreclient"
	"github.com/mauth/mauth/internal/restv3"
)

// newActivationCommand builds `mauth activation`: the bank back end's side
// of activations, over the private API.
func newActivationCommand() *cobra.Command {
	var af adminFlags
	cmd := &cobra.Command{
		Use:   "activation",
		Short: "Initialise and manage activations (calls the private API)",
	}
	af.bind(cmd)
	cmd.AddCommand(
		newActivationInitCommand(&af),
		newActivationCommitCommand(&af),
		newActivationStatusCommand(&af),
		newActivationBlockCommand(&af),
		newActivationUnblockCommand(&af),
		newActivationRemoveCommand(&af),
		newActivationListCommand(&af),
	)
	return cmd
}

// qrSize is the side of the QR code PNG in pixels.
const qrSize = 512

func newActivationInitCommand(af *adminFlags) *cobra.Command {
	var (
		req        coreclient.InitActivationRequest
		otpMode    string
		qrFile     string
		expire     time.Duration
		maxFailure int64
	)
	cmd := &cobra.Command{
		Use:   "init --app NAME --user ID",
		Short: "Create an activation code for a user",
		Long: `Create an activation (state CREATED) for a user of an application and print
its ID, the activation code, the code's signature and the QR code string
CODE#signature that the mobile app scans. --qr also writes that QR code as a PNG.

With --otp the activation also needs that one-time password: --otp-mode
ON_KEY_EXCHANGE makes the device send it during the key exchange (the
activation becomes ACTIVE at once), ON_COMMIT (the default) makes the back end
pass it to 'mauth activation commit --otp'.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case req.ApplicationID == "" || req.UserID == "":
				return errors.New("--app and --user are required")
			case otpMode != "" && req.ActivationOtp == "":
				return errors.New("--otp-mode needs --otp")
			}
			if otpMode != "" {
				mode := strings.ToUpper(otpMode)
				if mode != "ON_KEY_EXCHANGE" && mode != "ON_COMMIT" {
					return fmt.Errorf("--otp-mode must be ON_KEY_EXCHANGE or ON_COMMIT, not %q", otpMode)
				}
				req.CommitPhase = mode
			}
			if expire < 0 || maxFailure < 0 {
				return errors.New("--expire and --max-failures must not be negative")
			}
			if expire > 0 {
				t := time.Now().Add(expire)
				req.TimestampActivationExpire = &t
			}
			if maxFailure > 0 {
				req.MaxFailureCount = &maxFailure
			}
			c, err := af.client()
			if err != nil {
				return err
			}
			out, err := c.InitActivation(cmd.Context(), req)
			if err != nil {
				return adminError(err)
			}
			qr := out.ActivationCode + "#" + out.ActivationSignature
			if qrFile != "" {
				if err := writeQRCode(qrFile, qr); err != nil {
					return err
				}
			}
			f := fields{w: cmd.OutOrStdout()}
			f.add("activation id", out.ActivationID)
			f.add("activation code", out.ActivationCode)
			f.add("activation signature", out.ActivationSignature)
			f.add("QR code string", qr)
			if qrFile != "" {
				f.add("QR code image", qrFile)
			}
			f.add("user", out.UserID)
			f.add("application", out.ApplicationID)
			return f.print()
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&req.ApplicationID, "app", "", "application name (required)")
	fl.StringVar(&req.UserID, "user", "", "user ID in the bank's systems (required)")
	fl.StringVar(&req.ActivationOtp, "otp", "", "activation one-time password the user must also enter")
	fl.StringVar(&otpMode, "otp-mode", "", "when the OTP is checked: ON_KEY_EXCHANGE or ON_COMMIT (default ON_COMMIT)")
	fl.StringVar(&qrFile, "qr", "", "write the QR code of CODE#signature to this PNG file")
	fl.DurationVar(&expire, "expire", 0, "how long the activation code stays valid (default: the server's setting, 5m)")
	fl.Int64Var(&maxFailure, "max-failures", 0, "failed signature attempts before the activation is blocked (default: the server's setting, 5)")
	return cmd
}

// writeQRCode writes a QR code PNG of content, readable by the owner only
// (it carries the activation code).
func writeQRCode(path, content string) error {
	png, err := qrcode.Encode(content, qrcode.Medium, qrSize)
	if err != nil {
		return fmt.Errorf("encode QR code: %w", err)
	}
	if err := os.WriteFile(path, png, 0o600); err != nil {
		return fmt.Errorf("write QR code: %w", err)
	}
	return nil
}

func newActivationCommitCommand(af *adminFlags) *cobra.Command {
	var otp, externalUser string
	cmd := &cobra.Command{
		Use:   "commit ACTIVATION_ID",
		Short: "Commit an activation after the device's key exchange (PENDING_COMMIT → ACTIVE)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := af.client()
			if err != nil {
				return err
			}
			a, err := c.CommitActivation(cmd.Context(), args[0], externalUser, otp)
			if err != nil {
				return adminError(err)
			}
			return printActivationChange(cmd, a.ActivationID, a.Status.String(), "")
		},
	}
	cmd.Flags().StringVar(&otp, "otp", "", "the activation OTP, for activations initialised with --otp-mode ON_COMMIT")
	cmd.Flags().StringVar(&externalUser, "external-user", "", "administrator or system recorded in the activation history")
	return cmd
}

func newActivationStatusCommand(af *adminFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "status ACTIVATION_ID",
		Short: "Show an activation",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := af.client()
			if err != nil {
				return err
			}
			st, err := c.ActivationStatus(cmd.Context(), args[0])
			if err != nil {
				return adminError(err)
			}
			if st.ApplicationID == nil {
				return fmt.Errorf("activation %s does not exist", args[0])
			}
			f := fields{w: cmd.OutOrStdout()}
			f.add("activation id", st.ActivationID)
			f.add("status", st.ActivationStatus.String())
			f.add("blocked reason", strText(st.BlockedReason))
			f.add("user", st.UserID)
			f.add("application", strText(st.ApplicationID))
			f.add("name", strText(st.ActivationName))
			f.add("platform", strText(st.Platform))
			f.add("device info", strText(st.DeviceInfo))
			if d := st.Device; d != nil {
				f.add("device", strings.TrimSpace(d.Manufacturer+" "+d.Model))
				f.add("os", strings.TrimSpace(d.OS+" "+d.OSVersion))
				f.add("app", strings.TrimSpace(d.AppID+" "+d.AppVersion))
				f.add("sdk", strings.TrimSpace(d.SDKName+" "+d.SDKVersion))
			}
			f.add("user agent", strText(st.UserAgent))
			f.add("activation code", strText(st.ActivationCode))
			f.add("fingerprint", strText(st.DevicePublicKeyFingerprint))
			f.add("failed attempts", fmt.Sprintf("%d of %d", st.FailedAttempts, st.MaxFailedAttempts))
			f.add("protocol version", strconv.FormatInt(st.Version, 10))
			f.add("flags", strings.Join(st.ActivationFlags, ","))
			f.add("created", timeText(&st.TimestampCreated))
			f.add("last used", timeText(st.TimestampLastUsed))
			f.add("last change", timeText(st.TimestampLastChange))
			return f.print()
		},
	}
}

func newActivationBlockCommand(af *adminFlags) *cobra.Command {
	var reason, externalUser string
	var o output
	cmd := &cobra.Command{
		Use:   "block ACTIVATION_ID",
		Short: "Block an ACTIVE activation",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.json {
				return rawJSON(cmd, af, "activation/block", map[string]any{"activationId": args[0], "reason": reason, "externalUserId": externalUser})
			}
			c, err := af.client()
			if err != nil {
				return err
			}
			a, err := c.BlockActivation(cmd.Context(), args[0], reason, externalUser)
			if err != nil {
				return adminError(err)
			}
			return printActivationChange(cmd, a.ActivationID, a.ActivationStatus.String(), strText(a.BlockedReason))
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why the activation is blocked (default BLOCKED_REASON_NOT_SPECIFIED)")
	cmd.Flags().StringVar(&externalUser, "external-user", "", "administrator or system recorded in the activation history")
	return o.bind(cmd)
}

func newActivationUnblockCommand(af *adminFlags) *cobra.Command {
	var externalUser string
	var o output
	cmd := &cobra.Command{
		Use:   "unblock ACTIVATION_ID",
		Short: "Unblock a BLOCKED activation (also resets its failed attempts)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.json {
				return rawJSON(cmd, af, "activation/unblock", map[string]any{"activationId": args[0], "externalUserId": externalUser})
			}
			c, err := af.client()
			if err != nil {
				return err
			}
			a, err := c.UnblockActivation(cmd.Context(), args[0], externalUser)
			if err != nil {
				return adminError(err)
			}
			return printActivationChange(cmd, a.ActivationID, a.ActivationStatus.String(), "")
		},
	}
	cmd.Flags().StringVar(&externalUser, "external-user", "", "administrator or system recorded in the activation history")
	return o.bind(cmd)
}

func newActivationRemoveCommand(af *adminFlags) *cobra.Command {
	var externalUser string
	var revoke bool
	var o output
	cmd := &cobra.Command{
		Use:   "remove ACTIVATION_ID",
		Short: "Remove an activation (REMOVED is final)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.json {
				return rawJSON(cmd, af, "activation/remove", map[string]any{"activationId": args[0], "externalUserId": externalUser, "revokeRecoveryCodes": revoke})
			}
			c, err := af.client()
			if err != nil {
				return err
			}
			a, err := c.RemoveActivation(cmd.Context(), args[0], externalUser, revoke)
			if err != nil {
				return adminError(err)
			}
			return printActivationChange(cmd, a.ActivationID, a.Status.String(), "")
		},
	}
	cmd.Flags().BoolVar(&revoke, "revoke-recovery-codes", false, "also revoke the activation's recovery codes")
	cmd.Flags().StringVar(&externalUser, "external-user", "", "administrator or system recorded in the activation history")
	return o.bind(cmd)
}

func newActivationListCommand(af *adminFlags) *cobra.Command {
	var user, app, platform, osVersion string
	var osMajor int
	var o output
	cmd := &cobra.Command{
		Use:   "list --user ID",
		Short: "List a user's activations",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if user == "" {
				return errors.New("--user is required")
			}
			c, err := af.client()
			if err != nil {
				return err
			}
			req := restv3.ActivationListRequest{UserID: user, ApplicationID: app, OsVersionPrefix: osVersion}
			if platform != "" {
				req.Platforms = strings.Split(platform, ",")
			}
			if cmd.Flags().Changed("os-major") {
				req.OsMajorVersion = &osMajor
			}
			if o.json {
				return rawJSON(cmd, af, "activation/list", req)
			}
			list, err := c.ListActivationsWith(cmd.Context(), req)
			if err != nil {
				return adminError(err)
			}
			rows := make([][]string, 0, len(list))
			for _, a := range list {
				osText, model := "-", "-"
				if d := a.Device; d != nil {
					if d.OS != "" {
						osText = strings.TrimSpace(d.OS + " " + d.OSVersion)
					}
					if d.Model != "" {
						model = d.Model
					}
				}
				rows = append(rows, []string{a.ActivationID, a.ActivationStatus.String(), a.ApplicationID, strText(a.ActivationName), strText(a.Platform), osText, model, timeText(&a.TimestampCreated)})
			}
			return table(cmd.OutOrStdout(), []string{"ACTIVATION ID", "STATUS", "APPLICATION", "NAME", "PLATFORM", "OS", "MODEL", "CREATED"}, rows)
		},
	}
	cmd.Flags().StringVar(&user, "user", "", "user ID (required)")
	cmd.Flags().StringVar(&app, "app", "", "only activations of this application")
	cmd.Flags().StringVar(&platform, "platform", "", "only activations of these platforms (comma-separated: ios, android, huawei, unknown)")
	cmd.Flags().IntVar(&osMajor, "os-major", 0, "only activations whose parsed OS major version is this")
	cmd.Flags().StringVar(&osVersion, "os-version", "", "only activations whose parsed OS version is this or starts with it and a dot (16.6 matches 16.6.1)")
	return o.bind(cmd)
}

// printActivationChange prints the result of a state change.
func printActivationChange(cmd *cobra.Command, id, status, reason string) error {
	f := fields{w: cmd.OutOrStdout()}
	f.add("activation id", id)
	f.add("status", status)
	f.add("blocked reason", reason)
	return f.print()
}
