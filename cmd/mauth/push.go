package main

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// `mauth push`: the push server API of the private listener (/admin/app/…,
// /push/…): applications and their provider credentials, messages to a
// user, campaigns with a progress bar.

// newPushCommand builds `mauth push`.
func newPushCommand() *cobra.Command {
	var af adminFlags
	cmd := &cobra.Command{
		Use:   "push",
		Short: "Push server: provider credentials, messages and campaigns (calls the private API)",
	}
	af.bind(cmd)
	app := &cobra.Command{Use: "app", Short: "Enable push for applications and inspect their credentials"}
	app.AddCommand(newPushAppCreateCommand(&af), newPushAppListCommand(&af), newPushAppDetailCommand(&af))
	creds := &cobra.Command{Use: "credentials", Short: "Upload or remove an application's APNs, FCM or HMS credentials"}
	creds.AddCommand(newPushAPNsCommand(&af), newPushFCMCommand(&af), newPushHMSCommand(&af), newPushRemoveCommand(&af))
	camp := &cobra.Command{Use: "campaign", Short: "Create, fill, test, send and follow push campaigns"}
	camp.AddCommand(newPushCampaignCreateCommand(&af), newPushCampaignAddUsersCommand(&af), newPushCampaignUsersCommand(&af),
		newPushCampaignTestCommand(&af), newPushCampaignSendCommand(&af), newPushCampaignStatusCommand(&af),
		newPushCampaignCancelCommand(&af))
	cmd.AddCommand(app, creds, newPushSendCommand(&af), camp)
	return cmd
}

// pushCall calls the push server API and returns the responseObject.
func pushCall(cmd *cobra.Command, af *adminFlags, httpMethod, path string, req any) (json.RawMessage, error) {
	c, err := af.client()
	if err != nil {
		return nil, err
	}
	var raw json.RawMessage
	if err := c.CallPath(cmd.Context(), httpMethod, path, req, &raw); err != nil {
		return nil, adminError(err)
	}
	return raw, nil
}

// pushDone prints the answer of a call without a result: {} with --json,
// else msg.
func pushDone(cmd *cobra.Command, o output, raw json.RawMessage, msg string) error {
	if o.json {
		return printJSON(cmd.OutOrStdout(), raw)
	}
	cmd.Println(msg)
	return nil
}

func requireFlags(cmd *cobra.Command, names ...string) {
	for _, n := range names {
		_ = cmd.MarkFlagRequired(n)
	}
}

func newPushAppCreateCommand(af *adminFlags) *cobra.Command {
	var o output
	var app string
	cmd := &cobra.Command{
		Use:   "create --app NAME",
		Short: "Enable push for an application (it must exist: mauth app create)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			raw, err := pushCall(cmd, af, "POST", "/admin/app/create", map[string]string{"appId": app})
			if err != nil {
				return err
			}
			return pushDone(cmd, o, raw, "push enabled for "+app)
		},
	}
	cmd.Flags().StringVar(&app, "app", "", "application name")
	requireFlags(cmd, "app")
	return o.bind(cmd)
}

var pushAppColumns = []column{{"APP", "appId"}, {"APNS", "apns"}, {"FCM", "fcm"}, {"HMS", "hms"}}

func newPushAppListCommand(af *adminFlags) *cobra.Command {
	var o output
	var unconfigured bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the applications with push enabled (--unconfigured: those without)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := "/admin/app/list"
			if unconfigured {
				path = "/admin/app/unconfigured/list"
			}
			raw, err := pushCall(cmd, af, "GET", path, nil)
			if err != nil {
				return err
			}
			return o.list(cmd, raw, "applicationList", pushAppColumns)
		},
	}
	cmd.Flags().BoolVar(&unconfigured, "unconfigured", false, "list the applications without push")
	return o.bind(cmd)
}

func newPushAppDetailCommand(af *adminFlags) *cobra.Command {
	var o output
	var app string
	cmd := &cobra.Command{
		Use:   "detail --app NAME",
		Short: "Show which providers an application has and their non-secret settings",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			raw, err := pushCall(cmd, af, "POST", "/admin/app/detail", map[string]any{"appId": app, "includeApns": true, "includeFcm": true, "includeHms": true})
			if err != nil {
				return err
			}
			return o.object(cmd, raw, []column{{"app", "application.appId"}, {"apns", "application.apns"}, {"fcm", "application.fcm"}, {"hms", "application.hms"},
				{"apns bundle", "apnsBundle"}, {"apns key id", "apnsKeyId"}, {"apns team id", "apnsTeamId"}, {"apns environment", "apnsEnvironment"},
				{"fcm project", "fcmProjectId"}, {"hms project", "hmsProjectId"}})
		},
	}
	cmd.Flags().StringVar(&app, "app", "", "application name")
	requireFlags(cmd, "app")
	return o.bind(cmd)
}

// readSecretFile reads a credentials file (at most 64 KiB).
func readSecretFile(flag, path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--%s: %w", flag, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 64<<10+1))
	if err != nil {
		return nil, fmt.Errorf("--%s: %w", flag, err)
	}
	if len(b) > 64<<10 {
		return nil, fmt.Errorf("--%s: %s is larger than 64 KiB", flag, path)
	}
	return b, nil
}

func newPushAPNsCommand(af *adminFlags) *cobra.Command {
	var o output
	var app, p8, keyID, teamID, bundle, env string
	cmd := &cobra.Command{
		Use:   "apns --app NAME --p8 FILE --key-id ID --team-id ID --bundle BUNDLE",
		Short: "Upload APNs token-authentication credentials (.p8 key from Apple's developer account)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			key, err := readSecretFile("p8", p8)
			if err != nil {
				return err
			}
			raw, err := pushCall(cmd, af, "POST", "/admin/app/apns", map[string]string{"appId": app, "bundle": bundle, "keyId": keyID,
				"teamId": teamID, "environment": env, "privateKeyBase64": base64.StdEncoding.EncodeToString(key)})
			if err != nil {
				return err
			}
			return pushDone(cmd, o, raw, "APNs credentials set for "+app)
		},
	}
	f := cmd.Flags()
	f.StringVar(&app, "app", "", "application name")
	f.StringVar(&p8, "p8", "", "the .p8 private key file")
	f.StringVar(&keyID, "key-id", "", "the key's id (10 characters)")
	f.StringVar(&teamID, "team-id", "", "the Apple developer team id")
	f.StringVar(&bundle, "bundle", "", "the app's bundle id (the apns-topic)")
	f.StringVar(&env, "environment", "", "development or production (default: per device, else the server's push.apns_environment)")
	requireFlags(cmd, "app", "p8", "key-id", "team-id", "bundle")
	return o.bind(cmd)
}

func newPushFCMCommand(af *adminFlags) *cobra.Command {
	var o output
	var app, sa, project string
	cmd := &cobra.Command{
		Use:   "fcm --app NAME --service-account FILE",
		Short: "Upload a Firebase service-account key (JSON) for FCM HTTP v1",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			key, err := readSecretFile("service-account", sa)
			if err != nil {
				return err
			}
			raw, err := pushCall(cmd, af, "POST", "/admin/app/fcm", map[string]string{"appId": app, "projectId": project,
				"privateKeyBase64": base64.StdEncoding.EncodeToString(key)})
			if err != nil {
				return err
			}
			return pushDone(cmd, o, raw, "FCM credentials set for "+app)
		},
	}
	f := cmd.Flags()
	f.StringVar(&app, "app", "", "application name")
	f.StringVar(&sa, "service-account", "", "the service-account key file (JSON)")
	f.StringVar(&project, "project-id", "", "Firebase project id (default: the key's project_id)")
	requireFlags(cmd, "app", "service-account")
	return o.bind(cmd)
}

func newPushHMSCommand(af *adminFlags) *cobra.Command {
	var o output
	var app, id, secret, project string
	cmd := &cobra.Command{
		Use:   "hms --app NAME --client-id ID --client-secret SECRET --project-id ID",
		Short: "Upload Huawei Push Kit OAuth client credentials",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if secret == "" {
				secret = os.Getenv("MAUTH_PUSH_HMS_CLIENT_SECRET")
			}
			raw, err := pushCall(cmd, af, "POST", "/admin/app/hms", map[string]string{"appId": app, "clientId": id, "clientSecret": secret, "projectId": project})
			if err != nil {
				return err
			}
			return pushDone(cmd, o, raw, "HMS credentials set for "+app)
		},
	}
	f := cmd.Flags()
	f.StringVar(&app, "app", "", "application name")
	f.StringVar(&id, "client-id", "", "OAuth client id (AppGallery Connect)")
	f.StringVar(&secret, "client-secret", "", "OAuth client secret (env MAUTH_PUSH_HMS_CLIENT_SECRET; prefer the environment)")
	f.StringVar(&project, "project-id", "", "Push Kit project id")
	requireFlags(cmd, "app", "client-id", "project-id")
	return o.bind(cmd)
}

func newPushRemoveCommand(af *adminFlags) *cobra.Command {
	var o output
	var app, platform string
	cmd := &cobra.Command{
		Use:   "remove --app NAME --platform apns|fcm|hms",
		Short: "Remove an application's credentials of one provider",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch platform {
			case "apns", "fcm", "hms":
			default:
				return fmt.Errorf("--platform %q: use apns, fcm or hms", platform)
			}
			raw, err := pushCall(cmd, af, "DELETE", "/admin/app/"+platform+"?appId="+url.QueryEscape(app), nil)
			if err != nil {
				return err
			}
			return pushDone(cmd, o, raw, strings.ToUpper(platform)+" credentials removed from "+app)
		},
	}
	cmd.Flags().StringVar(&app, "app", "", "application name")
	cmd.Flags().StringVar(&platform, "platform", "", "apns, fcm or hms")
	requireFlags(cmd, "app", "platform")
	return o.bind(cmd)
}

// pushBody is the message of send and campaign create.
type pushBody struct {
	title, body, sound, category, collapse string
}

func (b *pushBody) bind(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&b.title, "title", "", "notification title")
	f.StringVar(&b.body, "body", "", "notification text")
	f.StringVar(&b.sound, "sound", "", "sound (e.g. default)")
	f.StringVar(&b.category, "category", "", "notification category")
	f.StringVar(&b.collapse, "collapse-key", "", "collapse key: a newer message with the same key replaces the older")
}

func (b *pushBody) object() map[string]string {
	m := map[string]string{}
	for k, v := range map[string]string{"title": b.title, "body": b.body, "sound": b.sound, "category": b.category, "collapseKey": b.collapse} {
		if v != "" {
			m[k] = v
		}
	}
	return m
}

func newPushSendCommand(af *adminFlags) *cobra.Command {
	var o output
	var b pushBody
	var app, user, activation string
	var silent, personal, async bool
	cmd := &cobra.Command{
		Use:   "send --app NAME --user ID --title TEXT --body TEXT",
		Short: "Send a message to a user's devices (or one activation's) and print sent/pending/failed per provider",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			mode := "SYNCHRONOUS"
			if async {
				mode = "ASYNCHRONOUS"
			}
			msg := map[string]any{"userId": user, "activationId": activation, "priority": "HIGH",
				"attributes": map[string]bool{"silent": silent, "personal": personal}, "body": b.object()}
			raw, err := pushCall(cmd, af, "POST", "/push/message/send", map[string]any{"appId": app, "mode": mode, "message": msg})
			if err != nil {
				return err
			}
			if o.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			var m map[string]json.RawMessage
			if err := json.Unmarshal(raw, &m); err != nil {
				return fmt.Errorf("decode the server's answer: %w", err)
			}
			var rows [][]string
			for _, p := range []string{"apns", "fcm", "hms"} {
				if m[p] == nil {
					continue
				}
				var c struct{ Sent, Failed, Pending, Total int }
				if err := json.Unmarshal(m[p], &c); err != nil {
					return fmt.Errorf("decode the server's answer: %w", err)
				}
				rows = append(rows, []string{p, strconv.Itoa(c.Sent), strconv.Itoa(c.Pending), strconv.Itoa(c.Failed), strconv.Itoa(c.Total)})
			}
			if len(rows) == 0 {
				cmd.Println("no registered device of the user")
				return nil
			}
			return table(cmd.OutOrStdout(), []string{"PROVIDER", "SENT", "PENDING", "FAILED", "TOTAL"}, rows)
		},
	}
	f := cmd.Flags()
	f.StringVar(&app, "app", "", "application name")
	f.StringVar(&user, "user", "", "user id")
	f.StringVar(&activation, "activation", "", "only this activation of the user")
	f.BoolVar(&silent, "silent", false, "silent (background / data-only) message")
	f.BoolVar(&personal, "personal", false, "only to devices whose activation is ACTIVE")
	f.BoolVar(&async, "async", false, "queue and return at once (the counts are then pending)")
	b.bind(cmd)
	requireFlags(cmd, "app", "user")
	return o.bind(cmd)
}

// campaignPath is a campaign's path of the push server API.
func campaignPath(id int64, format string) string {
	return fmt.Sprintf(format, id)
}

var campaignColumns = []column{{"id", "id"}, {"app", "appId"}, {"status", "status"}, {"title", "message.title"}, {"body", "message.body"},
	{"sent", "progress.sent"}, {"failed", "progress.failed"}, {"pending", "progress.pending"}, {"total", "progress.total"},
	{"created", "timestampCreated"}, {"sent at", "timestampSent"}, {"completed", "timestampCompleted"}}

func newPushCampaignCreateCommand(af *adminFlags) *cobra.Command {
	var o output
	var b pushBody
	var app string
	cmd := &cobra.Command{
		Use:   "create --app NAME --title TEXT --body TEXT",
		Short: "Create a campaign and print its id",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			raw, err := pushCall(cmd, af, "POST", "/push/campaign/create", map[string]any{"appId": app, "message": b.object()})
			if err != nil {
				return err
			}
			return o.object(cmd, raw, []column{{"id", "id"}})
		},
	}
	cmd.Flags().StringVar(&app, "app", "", "application name")
	b.bind(cmd)
	requireFlags(cmd, "app")
	return o.bind(cmd)
}

// readUsers reads user ids, one a line (blank lines and # comments
// skipped), from path ("-": standard input).
func readUsers(cmd *cobra.Command, path string) ([]string, error) {
	var r io.Reader = cmd.InOrStdin()
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("--file: %w", err)
		}
		defer f.Close()
		r = f
	}
	var users []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if u := strings.TrimSpace(sc.Text()); u != "" && !strings.HasPrefix(u, "#") {
			users = append(users, u)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("--file: %w", err)
	}
	return users, nil
}

func newPushCampaignAddUsersCommand(af *adminFlags) *cobra.Command {
	var o output
	var id int64
	var file string
	cmd := &cobra.Command{
		Use:   "add-users --id ID --file USERS",
		Short: "Add users to a campaign from a file, one user id a line (- : standard input)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			users, err := readUsers(cmd, file)
			if err != nil {
				return err
			}
			if len(users) == 0 {
				return errors.New("--file: no user ids")
			}
			raw, err := pushCall(cmd, af, "PUT", campaignPath(id, "/push/campaign/%d/user/add"), users)
			if err != nil {
				return err
			}
			return pushDone(cmd, o, raw, fmt.Sprintf("%d users sent to campaign %d (ids already present are skipped)", len(users), id))
		},
	}
	cmd.Flags().Int64Var(&id, "id", 0, "campaign id")
	cmd.Flags().StringVar(&file, "file", "", "file of user ids, one a line (- : standard input)")
	requireFlags(cmd, "id", "file")
	return o.bind(cmd)
}

func newPushCampaignUsersCommand(af *adminFlags) *cobra.Command {
	var o output
	var id int64
	var page, size int
	cmd := &cobra.Command{
		Use:   "users --id ID",
		Short: "List a page of a campaign's users (user id order)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			raw, err := pushCall(cmd, af, "GET", campaignPath(id, "/push/campaign/%d/user/list")+fmt.Sprintf("?page=%d&size=%d", page, size), nil)
			if err != nil {
				return err
			}
			if o.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			var r struct {
				Users []string `json:"users"`
			}
			if err := json.Unmarshal(raw, &r); err != nil {
				return fmt.Errorf("decode the server's answer: %w", err)
			}
			rows := make([][]string, len(r.Users))
			for i, u := range r.Users {
				rows[i] = []string{u}
			}
			return table(cmd.OutOrStdout(), []string{"USER"}, rows)
		},
	}
	cmd.Flags().Int64Var(&id, "id", 0, "campaign id")
	cmd.Flags().IntVar(&page, "page", 0, "page number (from 0)")
	cmd.Flags().IntVar(&size, "size", 100, "page size")
	requireFlags(cmd, "id")
	return o.bind(cmd)
}

func newPushCampaignTestCommand(af *adminFlags) *cobra.Command {
	var o output
	var id int64
	var user string
	cmd := &cobra.Command{
		Use:   "test --id ID --user USER",
		Short: "Send the campaign's message to one user's devices now",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			raw, err := pushCall(cmd, af, "POST", campaignPath(id, "/push/campaign/send/test/%d"), map[string]string{"userId": user})
			if err != nil {
				return err
			}
			return pushDone(cmd, o, raw, fmt.Sprintf("campaign %d sent to %s", id, user))
		},
	}
	cmd.Flags().Int64Var(&id, "id", 0, "campaign id")
	cmd.Flags().StringVar(&user, "user", "", "user id")
	requireFlags(cmd, "id", "user")
	return o.bind(cmd)
}

// campaignProgress is the part of a campaign detail the progress bar reads.
type campaignProgress struct {
	Status   string `json:"status"`
	Progress struct {
		Sent    int64 `json:"sent"`
		Failed  int64 `json:"failed"`
		Pending int64 `json:"pending"`
		Total   int64 `json:"total"`
	} `json:"progress"`
}

// progressBar renders "[#####.....] 50% 5/10 sent, 0 failed".
func progressBar(p campaignProgress) string {
	const width = 30
	done := p.Progress.Sent + p.Progress.Failed
	frac := 0.0
	if p.Progress.Total > 0 {
		frac = float64(done) / float64(p.Progress.Total)
	}
	n := int(frac * width)
	return fmt.Sprintf("[%s%s] %3.0f%% %d/%d sent, %d failed, %s", strings.Repeat("#", n), strings.Repeat(".", width-n), frac*100,
		p.Progress.Sent, p.Progress.Total, p.Progress.Failed, p.Status)
}

func newPushCampaignSendCommand(af *adminFlags) *cobra.Command {
	var o output
	var id int64
	var wait bool
	var poll time.Duration
	cmd := &cobra.Command{
		Use:   "send --id ID [--wait]",
		Short: "Send a campaign live; --wait follows its progress with a progress bar until it is done",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			raw, err := pushCall(cmd, af, "POST", campaignPath(id, "/push/campaign/send/live/%d"), nil)
			if err != nil {
				return err
			}
			if !wait {
				return pushDone(cmd, o, raw, fmt.Sprintf("campaign %d is being sent", id))
			}
			var last json.RawMessage
			for {
				if last, err = pushCall(cmd, af, "GET", campaignPath(id, "/push/campaign/%d/detail"), nil); err != nil {
					return err
				}
				var p campaignProgress
				if err := json.Unmarshal(last, &p); err != nil {
					return fmt.Errorf("decode the server's answer: %w", err)
				}
				if !o.json {
					fmt.Fprintf(cmd.OutOrStdout(), "\r%s", progressBar(p))
				}
				if p.Status != "SENDING" && p.Progress.Pending == 0 {
					break
				}
				select {
				case <-cmd.Context().Done():
					return cmd.Context().Err()
				case <-time.After(poll):
				}
			}
			if o.json {
				return printJSON(cmd.OutOrStdout(), last)
			}
			fmt.Fprintln(cmd.OutOrStdout())
			return nil
		},
	}
	cmd.Flags().Int64Var(&id, "id", 0, "campaign id")
	cmd.Flags().BoolVar(&wait, "wait", false, "follow the progress until every message is sent or failed")
	cmd.Flags().DurationVar(&poll, "poll", 500*time.Millisecond, "progress polling interval with --wait")
	requireFlags(cmd, "id")
	return o.bind(cmd)
}

func newPushCampaignStatusCommand(af *adminFlags) *cobra.Command {
	var o output
	var id int64
	cmd := &cobra.Command{
		Use:   "status --id ID",
		Short: "Show a campaign and its progress (sent/failed/pending/total)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			raw, err := pushCall(cmd, af, "GET", campaignPath(id, "/push/campaign/%d/detail"), nil)
			if err != nil {
				return err
			}
			return o.object(cmd, raw, campaignColumns)
		},
	}
	cmd.Flags().Int64Var(&id, "id", 0, "campaign id")
	requireFlags(cmd, "id")
	return o.bind(cmd)
}

func newPushCampaignCancelCommand(af *adminFlags) *cobra.Command {
	var o output
	var id int64
	cmd := &cobra.Command{
		Use:   "cancel --id ID",
		Short: "Cancel a campaign: nothing more is queued, queued messages not yet being sent fail",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			raw, err := pushCall(cmd, af, "POST", campaignPath(id, "/push/campaign/%d/cancel"), nil)
			if err != nil {
				return err
			}
			return pushDone(cmd, o, raw, fmt.Sprintf("campaign %d canceled", id))
		},
	}
	cmd.Flags().Int64Var(&id, "id", 0, "campaign id")
	requireFlags(cmd, "id")
	return o.bind(cmd)
}
