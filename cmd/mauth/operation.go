package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// newOperationCommand builds `mauth operation`: approval operations, over
// the private API.
func newOperationCommand() *cobra.Command {
	var af adminFlags
	cmd := &cobra.Command{
		Use:   "operation",
		Short: "Create, list, inspect and cancel approval operations (calls the private API)",
	}
	af.bind(cmd)
	cmd.AddCommand(newOperationCreateCommand(), newOperationListCommand(), newOperationDetailCommand(), newOperationCancelCommand())
	return cmd
}

var operationColumns = []column{
	{"operation id", "id"}, {"user", "userId"}, {"applications", "applications"}, {"template", "templateName"},
	{"operation type", "operationType"}, {"data", "data"}, {"parameters", "parameters"}, {"status", "status"},
	{"status reason", "statusReason"}, {"signature types", "signatureType"}, {"failures", "failureCount"},
	{"max failures", "maxFailureCount"}, {"external id", "externalId"}, {"activation", "activationId"},
	{"activation flag", "activationFlag"}, {"risk flags", "riskFlags"}, {"proximity OTP", "proximityOtp"},
	{"created", "timestampCreated"}, {"expires", "timestampExpires"}, {"finalized", "timestampFinalized"},
}

func newOperationCreateCommand() *cobra.Command {
	var o output
	var user, template, externalID, activation, flag, expires string
	var apps, params []string
	cmd := &cobra.Command{
		Use:   "create --user ID --app APP --template NAME [--param KEY=VALUE]...",
		Short: "Create an operation for a user to approve in the mobile app",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if user == "" || len(apps) == 0 || template == "" {
				return errors.New("--user, --app and --template are required")
			}
			p, err := keyValues("param", params)
			if err != nil {
				return err
			}
			req := map[string]any{"userId": user, "applications": apps, "templateName": template, "parameters": p}
			for k, v := range map[string]string{"externalId": externalID, "activationId": activation, "activationFlag": flag, "timestampExpires": expires} {
				if v != "" {
					req[k] = v
				}
			}
			raw, err := groupCall(cmd, "operation/create", req)
			if err != nil {
				return err
			}
			return o.object(cmd, raw, operationColumns)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&user, "user", "", "user who approves it (required)")
	fl.StringArrayVar(&apps, "app", nil, "application whose mobile app shows it (repeatable, required)")
	fl.StringVar(&template, "template", "", "operation template name (required)")
	fl.StringArrayVar(&params, "param", nil, "template parameter KEY=VALUE (repeatable)")
	fl.StringVar(&externalID, "external-id", "", "the bank's id of the operation")
	fl.StringVar(&activation, "activation", "", "only this activation may approve it")
	fl.StringVar(&flag, "activation-flag", "", "only activations with this flag may approve it")
	fl.StringVar(&expires, "expires", "", "expiry time (ISO-8601; default: the template's expiration)")
	return o.bind(cmd)
}

func newOperationListCommand() *cobra.Command {
	var o output
	var user, activation string
	var apps []string
	var page, size int
	cmd := &cobra.Command{
		Use:   "list --user ID --app APP",
		Short: "List a user's operations, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if user == "" || len(apps) == 0 {
				return errors.New("--user and --app are required")
			}
			req := map[string]any{"userId": user, "applications": apps}
			if activation != "" {
				req["activationId"] = activation
			}
			if cmd.Flags().Changed("page") {
				req["pageNumber"] = page
			}
			if cmd.Flags().Changed("size") {
				req["pageSize"] = size
			}
			raw, err := groupCall(cmd, "operation/list", req)
			if err != nil {
				return err
			}
			return o.list(cmd, raw, "", []column{
				{"ID", "id"}, {"TEMPLATE", "templateName"}, {"STATUS", "status"}, {"APPLICATIONS", "applications"},
				{"FAILURES", "failureCount"}, {"CREATED", "timestampCreated"}, {"EXPIRES", "timestampExpires"},
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&user, "user", "", "user (required)")
	fl.StringArrayVar(&apps, "app", nil, "operations of this application (repeatable, required)")
	fl.StringVar(&activation, "activation", "", "only operations this activation may approve")
	fl.IntVar(&page, "page", 0, "page number (0-based)")
	fl.IntVar(&size, "size", 0, "page size")
	return o.bind(cmd)
}

func newOperationDetailCommand() *cobra.Command {
	var o output
	return o.bind(&cobra.Command{
		Use:   "detail ID",
		Short: "Show an operation",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := groupCall(cmd, "operation/detail", map[string]any{"operationId": args[0]})
			if err != nil {
				return err
			}
			return o.object(cmd, raw, operationColumns)
		},
	})
}

func newOperationCancelCommand() *cobra.Command {
	var o output
	var reason string
	cmd := &cobra.Command{
		Use:   "cancel ID",
		Short: "Cancel a pending operation",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := map[string]any{"operationId": args[0]}
			if reason != "" {
				req["statusReason"] = reason
			}
			raw, err := groupCall(cmd, "operation/cancel", req)
			if err != nil {
				return err
			}
			return o.object(cmd, raw, operationColumns)
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "status reason recorded with the cancellation")
	return o.bind(cmd)
}
