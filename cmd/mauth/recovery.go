package main

import (
	"github.com/spf13/cobra"
)

// newRecoveryCommand builds `mauth recovery config`: the activation
// recovery settings of an application, over the private API.
func newRecoveryCommand() *cobra.Command {
	var af adminFlags
	cmd := &cobra.Command{
		Use:   "recovery",
		Short: "Activation recovery settings (calls the private API)",
	}
	af.bind(cmd)
	config := &cobra.Command{Use: "config", Short: "Show or change the recovery settings of an application"}
	config.AddCommand(newRecoveryConfigShowCommand(), newRecoveryConfigUpdateCommand())
	cmd.AddCommand(config)
	return cmd
}

var recoveryConfigColumns = []column{
	{"application", "applicationId"}, {"activation recovery", "activationRecoveryEnabled"},
	{"recovery postcard", "recoveryPostcardEnabled"}, {"multiple recovery codes", "allowMultipleRecoveryCodes"},
	{"postcard public key", "postcardPublicKey"}, {"remote postcard public key", "remotePostcardPublicKey"},
}

func newRecoveryConfigShowCommand() *cobra.Command {
	var o output
	return o.bind(&cobra.Command{
		Use:   "show APP",
		Short: "Show the recovery settings of an application",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := groupCall(cmd, "recovery/config/detail", map[string]any{"applicationId": args[0]})
			if err != nil {
				return err
			}
			return o.object(cmd, raw, recoveryConfigColumns)
		},
	})
}

func newRecoveryConfigUpdateCommand() *cobra.Command {
	var o output
	var recovery, postcard, multiple bool
	var remoteKey string
	cmd := &cobra.Command{
		Use:   "update APP [--activation-recovery] [--postcard] [--multiple-codes] [--remote-postcard-key KEY]",
		Short: "Change the recovery settings of an application; the settings not given stay as they are",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := groupCall(cmd, "recovery/config/detail", map[string]any{"applicationId": args[0]})
			if err != nil {
				return err
			}
			v, err := decodeJSON(raw)
			if err != nil {
				return err
			}
			req := map[string]any{"applicationId": args[0]}
			for _, k := range []string{"activationRecoveryEnabled", "recoveryPostcardEnabled", "allowMultipleRecoveryCodes", "remotePostcardPublicKey"} {
				if x := lookup(v, k); x != nil {
					req[k] = x
				}
			}
			fl := cmd.Flags()
			if fl.Changed("activation-recovery") {
				req["activationRecoveryEnabled"] = recovery
			}
			if fl.Changed("postcard") {
				req["recoveryPostcardEnabled"] = postcard
			}
			if fl.Changed("multiple-codes") {
				req["allowMultipleRecoveryCodes"] = multiple
			}
			if fl.Changed("remote-postcard-key") {
				req["remotePostcardPublicKey"] = remoteKey
			}
			if _, err := groupCall(cmd, "recovery/config/update", req); err != nil {
				return err
			}
			raw, err = groupCall(cmd, "recovery/config/detail", map[string]any{"applicationId": args[0]})
			if err != nil {
				return err
			}
			return o.object(cmd, raw, recoveryConfigColumns)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&recovery, "activation-recovery", false, "turn activation recovery on or off (--activation-recovery=false)")
	fl.BoolVar(&postcard, "postcard", false, "turn recovery postcards on or off")
	fl.BoolVar(&multiple, "multiple-codes", false, "allow several recovery codes per user")
	fl.StringVar(&remoteKey, "remote-postcard-key", "", "public key of the postcard printing centre (Base64)")
	return o.bind(cmd)
}
