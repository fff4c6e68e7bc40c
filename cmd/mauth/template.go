package main

import (
	"errors"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// newTemplateCommand builds `mauth template`: the operation templates,
// over the private API.
func newTemplateCommand() *cobra.Command {
	var af adminFlags
	cmd := &cobra.Command{
		Use:   "template",
		Short: "Manage operation templates (calls the private API)",
	}
	af.bind(cmd)
	cmd.AddCommand(newTemplateCreateCommand(), newTemplateListCommand(), newTemplateShowCommand(), newTemplateUpdateCommand(), newTemplateRemoveCommand())
	return cmd
}

var templateColumns = []column{
	{"template id", "id"}, {"name", "templateName"}, {"operation type", "operationType"}, {"data template", "dataTemplate"},
	{"signature types", "signatureType"}, {"max failures", "maxFailureCount"}, {"expiration (s)", "expiration"},
	{"risk flags", "riskFlags"}, {"proximity check", "proximityCheckEnabled"}, {"number matching", "numberMatchingEnabled"},
}

// templateID is a template id for a request: a number as a number.
func templateID(s string) any {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n
	}
	return s
}

// templateSettings are the flags of create and update.
type templateSettings struct {
	opType, data, risk  string
	signatureTypes      []string
	maxFailures, expire int
	proximity, matching bool
}

func (s *templateSettings) bind(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&s.opType, "type", "", "operation type, e.g. login or authorize_payment")
	fl.StringVar(&s.data, "data", "", "operation data template, e.g. A1*A${amount}${currency}*I${iban}")
	fl.StringArrayVar(&s.signatureTypes, "signature-type", nil, "allowed factors (repeatable): POSSESSION, POSSESSION_KNOWLEDGE, POSSESSION_BIOMETRY, …")
	fl.IntVar(&s.maxFailures, "max-failures", 0, "failed approvals before the operation fails")
	fl.IntVar(&s.expire, "expiration", 0, "seconds an operation stays approvable")
	fl.StringVar(&s.risk, "risk-flags", "", "risk flags of the offline QR code (B, X, F, C)")
	fl.BoolVar(&s.proximity, "proximity-check", false, "require the proximity OTP")
	fl.BoolVar(&s.matching, "number-matching", false, "require number matching")
}

func (s *templateSettings) apply(cmd *cobra.Command, req map[string]any) {
	set := func(flag, key string, v any) {
		if cmd.Flags().Changed(flag) {
			req[key] = v
		}
	}
	types := make([]string, len(s.signatureTypes))
	for i, t := range s.signatureTypes {
		types[i] = strings.ToUpper(t)
	}
	set("type", "operationType", s.opType)
	set("data", "dataTemplate", s.data)
	set("signature-type", "signatureType", types)
	set("max-failures", "maxFailureCount", s.maxFailures)
	set("expiration", "expiration", s.expire)
	set("risk-flags", "riskFlags", s.risk)
	set("proximity-check", "proximityCheckEnabled", s.proximity)
	set("number-matching", "numberMatchingEnabled", s.matching)
}

func newTemplateCreateCommand() *cobra.Command {
	var o output
	var s templateSettings
	cmd := &cobra.Command{
		Use:   "create NAME --type TYPE --data TEMPLATE --signature-type TYPE --max-failures N --expiration S",
		Short: "Create an operation template",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if s.opType == "" || s.data == "" || len(s.signatureTypes) == 0 {
				return errors.New("--type, --data and --signature-type are required")
			}
			req := map[string]any{"templateName": args[0], "maxFailureCount": 5, "expiration": 300}
			s.apply(cmd, req)
			raw, err := groupCall(cmd, "operation/template/create", req)
			if err != nil {
				return err
			}
			return o.object(cmd, raw, templateColumns)
		},
	}
	s.bind(cmd)
	return o.bind(cmd)
}

func newTemplateListCommand() *cobra.Command {
	var o output
	return o.bind(&cobra.Command{
		Use:   "list",
		Short: "List the operation templates",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			raw, err := groupCall(cmd, "operation/template/list", nil)
			if err != nil {
				return err
			}
			return o.list(cmd, raw, "", []column{
				{"ID", "id"}, {"NAME", "templateName"}, {"TYPE", "operationType"}, {"DATA", "dataTemplate"},
				{"SIGNATURE TYPES", "signatureType"}, {"MAX FAILURES", "maxFailureCount"}, {"EXPIRATION", "expiration"},
			})
		},
	})
}

func newTemplateShowCommand() *cobra.Command {
	var o output
	return o.bind(&cobra.Command{
		Use:   "show ID",
		Short: "Show an operation template",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := groupCall(cmd, "operation/template/detail", map[string]any{"id": templateID(args[0])})
			if err != nil {
				return err
			}
			return o.object(cmd, raw, templateColumns)
		},
	})
}

func newTemplateUpdateCommand() *cobra.Command {
	var o output
	var s templateSettings
	cmd := &cobra.Command{
		Use:   "update ID [--type …] [--data …] [--signature-type …] …",
		Short: "Change an operation template; the settings not given stay as they are",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := groupCall(cmd, "operation/template/detail", map[string]any{"id": templateID(args[0])})
			if err != nil {
				return err
			}
			v, err := decodeJSON(raw)
			if err != nil {
				return err
			}
			current, _ := v.(map[string]any)
			req := map[string]any{}
			for _, k := range []string{"id", "operationType", "dataTemplate", "signatureType", "maxFailureCount", "expiration", "riskFlags", "proximityCheckEnabled", "numberMatchingEnabled"} {
				if current[k] != nil {
					req[k] = current[k]
				}
			}
			s.apply(cmd, req)
			raw, err = groupCall(cmd, "operation/template/update", req)
			if err != nil {
				return err
			}
			return o.object(cmd, raw, templateColumns)
		},
	}
	s.bind(cmd)
	return o.bind(cmd)
}

func newTemplateRemoveCommand() *cobra.Command {
	var o output
	return o.bind(&cobra.Command{
		Use:   "remove ID",
		Short: "Remove an operation template",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := groupCall(cmd, "operation/template/remove", map[string]any{"id": templateID(args[0])})
			if err != nil {
				return err
			}
			if o.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			f := fields{w: cmd.OutOrStdout()}
			f.add("template id", args[0])
			f.add("removed", "true")
			return f.print()
		},
	})
}
