package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// newCallbackCommand builds `mauth callback`: the webhooks of an
// application, over the private API.
func newCallbackCommand() *cobra.Command {
	var af adminFlags
	cmd := &cobra.Command{
		Use:   "callback",
		Short: "Manage the callbacks (webhooks) of applications (calls the private API)",
	}
	af.bind(cmd)
	cmd.AddCommand(newCallbackCreateCommand(), newCallbackListCommand(), newCallbackUpdateCommand(), newCallbackRemoveCommand())
	return cmd
}

var callbackColumns = []column{
	{"callback id", "id"}, {"application", "applicationId"}, {"name", "name"}, {"type", "type"},
	{"url", "callbackUrl"}, {"attributes", "attributes"}, {"retention period", "retentionPeriod"},
	{"initial backoff", "initialBackoff"}, {"max attempts", "maxAttempts"}, {"signing secret", "signingSecret"},
}

// callbackSettings are the flags of create and update.
type callbackSettings struct {
	app, name, url, typ, retention, backoff string
	attributes                              []string
	maxAttempts                             int
}

func (s *callbackSettings) bind(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&s.app, "app", "", "application name (required)")
	fl.StringVar(&s.name, "name", "", "name of the callback")
	fl.StringVar(&s.url, "callback-url", "", "http or https URL the events are posted to")
	fl.StringVar(&s.typ, "type", "", "ACTIVATION_STATUS_CHANGE or OPERATION_STATUS_CHANGE")
	fl.StringArrayVar(&s.attributes, "attribute", nil, "event attribute to send (repeatable; e.g. userId, activationStatus)")
	fl.StringVar(&s.retention, "retention", "", "how long undelivered events are kept (ISO-8601 duration, e.g. P30D)")
	fl.StringVar(&s.backoff, "initial-backoff", "", "wait before the first retry (ISO-8601 duration, e.g. PT2S)")
	fl.IntVar(&s.maxAttempts, "max-attempts", 0, "delivery attempts before giving up")
}

// apply writes the flags that were given into req.
func (s *callbackSettings) apply(cmd *cobra.Command, req map[string]any) {
	set := func(flag, key string, v any) {
		if cmd.Flags().Changed(flag) {
			req[key] = v
		}
	}
	set("name", "name", s.name)
	set("callback-url", "callbackUrl", s.url)
	set("type", "type", strings.ToUpper(s.typ))
	set("attribute", "attributes", s.attributes)
	set("retention", "retentionPeriod", s.retention)
	set("initial-backoff", "initialBackoff", s.backoff)
	set("max-attempts", "maxAttempts", s.maxAttempts)
}

func newCallbackCreateCommand() *cobra.Command {
	var o output
	var s callbackSettings
	cmd := &cobra.Command{
		Use:   "create --app APP --name NAME --callback-url URL --type TYPE",
		Short: "Create a callback and print its signing secret once",
		Long: `Create a callback: the server posts the status changes of the application's
activations (ACTIVATION_STATUS_CHANGE) or operations (OPERATION_STATUS_CHANGE)
to the URL, signed with the signing secret printed once here.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if s.app == "" || s.name == "" || s.url == "" || s.typ == "" {
				return errors.New("--app, --name, --callback-url and --type are required")
			}
			req := map[string]any{"applicationId": s.app}
			s.apply(cmd, req)
			raw, err := groupCall(cmd, "application/callback/create", req)
			if err != nil {
				return err
			}
			return o.object(cmd, raw, callbackColumns)
		},
	}
	s.bind(cmd)
	return o.bind(cmd)
}

func newCallbackListCommand() *cobra.Command {
	var o output
	var app string
	cmd := &cobra.Command{
		Use:   "list --app APP",
		Short: "List the callbacks of an application",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if app == "" {
				return errors.New("--app is required")
			}
			raw, err := groupCall(cmd, "application/callback/list", map[string]any{"applicationId": app})
			if err != nil {
				return err
			}
			return o.list(cmd, raw, "callbackUrlList", []column{
				{"ID", "id"}, {"NAME", "name"}, {"TYPE", "type"}, {"URL", "callbackUrl"}, {"ATTRIBUTES", "attributes"}, {"MAX ATTEMPTS", "maxAttempts"},
			})
		},
	}
	cmd.Flags().StringVar(&app, "app", "", "application name (required)")
	return o.bind(cmd)
}

func newCallbackUpdateCommand() *cobra.Command {
	var o output
	var s callbackSettings
	cmd := &cobra.Command{
		Use:   "update ID --app APP [--name …] [--callback-url …] [--type …] [--attribute …]",
		Short: "Change a callback; the settings not given stay as they are",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if s.app == "" {
				return errors.New("--app is required")
			}
			raw, err := groupCall(cmd, "application/callback/list", map[string]any{"applicationId": s.app})
			if err != nil {
				return err
			}
			v, err := decodeJSON(raw)
			if err != nil {
				return err
			}
			var current map[string]any
			list, _ := lookup(v, "callbackUrlList").([]any)
			for _, it := range list {
				if m, ok := it.(map[string]any); ok && m["id"] == args[0] {
					current = m
				}
			}
			if current == nil {
				return fmt.Errorf("application %s has no callback %s", s.app, args[0])
			}
			req := map[string]any{"id": args[0], "applicationId": s.app}
			for _, k := range []string{"name", "type", "callbackUrl", "attributes", "retentionPeriod", "initialBackoff", "maxAttempts"} {
				if current[k] != nil {
					req[k] = current[k]
				}
			}
			s.apply(cmd, req)
			raw, err = groupCall(cmd, "application/callback/update", req)
			if err != nil {
				return err
			}
			return o.object(cmd, raw, callbackColumns)
		},
	}
	s.bind(cmd)
	return o.bind(cmd)
}

func newCallbackRemoveCommand() *cobra.Command {
	var o output
	return o.bind(&cobra.Command{
		Use:   "remove ID",
		Short: "Remove a callback",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := groupCall(cmd, "application/callback/remove", map[string]any{"id": args[0]})
			if err != nil {
				return err
			}
			return o.object(cmd, raw, []column{{"callback id", "id"}, {"removed", "removed"}})
		},
	})
}
