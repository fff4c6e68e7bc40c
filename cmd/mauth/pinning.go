package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// newPinningCommand builds `mauth pinning`: the mobile utility services'
// administration (dynamic TLS pinning, version policy, texts) over the
// private listener's /admin/ API.
func newPinningCommand() *cobra.Command {
	var af adminFlags
	cmd := &cobra.Command{
		Use:   "pinning",
		Short: "Manage dynamic TLS pinning, app version rules and texts for GET /app/init (calls /admin/ on the private listener)",
		Long: `Manage the mobile utility services: applications (each with its own ECDSA
P-256 signing key, whose public key the mobile app pins at build time), the
certificates pinned per domain (added from a PEM file or fetched from a live TLS
endpoint, removed, expired ones purged), version rules (suggested and required
app versions per platform and major OS version) and the localized texts shown
with them. The commands call the administration API on the private listener with
the credentials of an ADMIN integration.`,
	}
	af.bind(cmd)
	p := &pinningClient{af: &af}
	apps := &cobra.Command{Use: "app", Short: "Applications of the mobile utility services"}
	apps.AddCommand(p.appCreate(), p.appList(), p.appShow())
	certs := &cobra.Command{Use: "cert", Short: "Pinned certificates"}
	certs.AddCommand(p.certAdd(), p.certRemove(), p.certPurge())
	domains := &cobra.Command{Use: "domain", Short: "Pinned domains"}
	domains.AddCommand(p.domainRemove())
	versions := &cobra.Command{Use: "version", Short: "App version rules"}
	versions.AddCommand(p.versionAdd(), p.versionList(), p.versionRemove())
	texts := &cobra.Command{Use: "text", Short: "Localized texts of version rules"}
	texts.AddCommand(p.textSet(), p.textList(), p.textRemove())
	cmd.AddCommand(apps, certs, domains, versions, texts)
	return cmd
}

// pinningClient calls the administration API.
type pinningClient struct{ af *adminFlags }

// do sends a request and decodes a 200 answer into out; an error answer
// becomes an error with its code and message.
func (p *pinningClient) do(cmd *cobra.Command, method, path string, query url.Values, body, out any) error {
	tc, err := p.af.tls.Config()
	if err != nil {
		return fmt.Errorf("TLS: %w", err)
	}
	token, secret := p.af.clientToken, p.af.clientSecret
	if token == "" {
		token = os.Getenv(envClientToken)
	}
	if secret == "" {
		secret = os.Getenv(envClientSecret)
	}
	u := strings.TrimRight(p.af.url, "/") + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(cmd.Context(), method, u, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.SetBasicAuth(token, secret)
	}
	client := &http.Client{Timeout: p.af.timeout, Transport: &http.Transport{TLSClientConfig: tc, Proxy: http.ProxyFromEnvironment}}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w\nis `mauth serve` running? the private API URL is set with --url or %s", method, path, err, envPrivateURL)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			ResponseObject struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"responseObject"`
		}
		_ = json.Unmarshal(raw, &e)
		err := fmt.Errorf("%s %s: HTTP %d %s: %s", method, path, resp.StatusCode, e.ResponseObject.Code, e.ResponseObject.Message)
		if resp.StatusCode == http.StatusUnauthorized {
			err = fmt.Errorf("%w\nset --client-token/--client-secret or %s/%s to the credentials of an ADMIN integration", err, envClientToken, envClientSecret)
		}
		return err
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	return nil
}

type pinCert struct {
	PEM         string `json:"pem"`
	Fingerprint string `json:"fingerprint"`
	Expires     int64  `json:"expires"`
}

type pinApp struct {
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
	PublicKey   string `json:"publicKey"`
	Domains     []struct {
		Name         string    `json:"name"`
		Certificates []pinCert `json:"certificates"`
	} `json:"domains"`
}

func unixText(s int64) string { return time.Unix(s, 0).UTC().Format(time.RFC3339) }

func appPath(name string) string { return "/admin/apps/" + url.PathEscape(name) }

func (p *pinningClient) printApp(cmd *cobra.Command, a pinApp) error {
	f := fields{w: cmd.OutOrStdout()}
	f.add("name", a.Name)
	f.add("display name", a.DisplayName)
	f.add("public key", a.PublicKey)
	if err := f.print(); err != nil {
		return err
	}
	var rows [][]string
	for _, d := range a.Domains {
		for _, c := range d.Certificates {
			rows = append(rows, []string{d.Name, c.Fingerprint, unixText(c.Expires)})
		}
		if len(d.Certificates) == 0 {
			rows = append(rows, []string{d.Name, "-", "-"})
		}
	}
	if len(rows) == 0 {
		return nil
	}
	return table(cmd.OutOrStdout(), []string{"DOMAIN", "FINGERPRINT", "EXPIRES"}, rows)
}

func (p *pinningClient) appCreate() *cobra.Command {
	var display string
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create an application with a new signing key pair; prints the public key the app pins",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var a pinApp
			if err := p.do(cmd, http.MethodPost, "/admin/apps", nil, map[string]string{"name": args[0], "displayName": display}, &a); err != nil {
				return err
			}
			return p.printApp(cmd, a)
		},
	}
	cmd.Flags().StringVar(&display, "display-name", "", "human-readable name")
	return cmd
}

func (p *pinningClient) appList() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the applications",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var l struct {
				Applications []pinApp `json:"applications"`
			}
			if err := p.do(cmd, http.MethodGet, "/admin/apps", nil, nil, &l); err != nil {
				return err
			}
			var rows [][]string
			for _, a := range l.Applications {
				n := 0
				for _, d := range a.Domains {
					n += len(d.Certificates)
				}
				rows = append(rows, []string{a.Name, a.DisplayName, strconv.Itoa(len(a.Domains)), strconv.Itoa(n)})
			}
			return table(cmd.OutOrStdout(), []string{"NAME", "DISPLAY NAME", "DOMAINS", "CERTIFICATES"}, rows)
		},
	}
}

func (p *pinningClient) appShow() *cobra.Command {
	return &cobra.Command{
		Use:   "show NAME",
		Short: "Show an application: its public key, domains and pinned certificates",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var a pinApp
			if err := p.do(cmd, http.MethodGet, appPath(args[0]), nil, nil, &a); err != nil {
				return err
			}
			return p.printApp(cmd, a)
		},
	}
}

func (p *pinningClient) certAdd() *cobra.Command {
	var domain, pemFile, fetch string
	cmd := &cobra.Command{
		Use:   "add APP (--domain DOMAIN --pem FILE | --fetch HOST[:PORT])",
		Short: "Pin a certificate for a domain: from a PEM file or fetched from a live TLS endpoint",
		Long: `Pin a certificate for a domain of an application. With --pem the first
certificate of the file is pinned for --domain; with --fetch the server connects
to HOST[:PORT] (port 443 by default) and pins the certificate it presents for HOST.
The certificate must be valid for the domain and not expired.

To rotate a certificate without breaking installed apps, pin the new one next to
the old one well before the server switches to it, and remove the old one only
after the switch (see docs/mobile-services.md).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var c pinCert
			switch {
			case (pemFile == "") == (fetch == ""):
				return fmt.Errorf("give either --pem FILE (with --domain) or --fetch HOST[:PORT]")
			case pemFile != "":
				if domain == "" {
					return fmt.Errorf("--pem needs --domain")
				}
				b, err := os.ReadFile(pemFile)
				if err != nil {
					return fmt.Errorf("read PEM file: %w", err)
				}
				if err := p.do(cmd, http.MethodPost, appPath(args[0])+"/certificates/pem", nil, map[string]string{"domain": domain, "pem": string(b)}, &c); err != nil {
					return err
				}
			default:
				if domain != "" {
					if host, _, err := net.SplitHostPort(fetch); (err == nil && host != domain) || (err != nil && fetch != domain) {
						return fmt.Errorf("--fetch pins the certificate for its own host; leave out --domain")
					}
				}
				if err := p.do(cmd, http.MethodPost, appPath(args[0])+"/certificates/auto", nil, map[string]string{"domain": fetch}, &c); err != nil {
					return err
				}
			}
			f := fields{w: cmd.OutOrStdout()}
			f.add("fingerprint", c.Fingerprint)
			f.add("expires", unixText(c.Expires))
			return f.print()
		},
	}
	cmd.Flags().StringVar(&domain, "domain", "", "the domain the certificate is pinned for (with --pem)")
	cmd.Flags().StringVar(&pemFile, "pem", "", "PEM file holding the certificate")
	cmd.Flags().StringVar(&fetch, "fetch", "", "fetch the certificate from this live TLS endpoint, HOST[:PORT]")
	return cmd
}

func (p *pinningClient) certRemove() *cobra.Command {
	var domain, fingerprint string
	cmd := &cobra.Command{
		Use:   "remove APP --domain DOMAIN --fingerprint FINGERPRINT",
		Short: "Unpin a certificate of a domain",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if domain == "" || fingerprint == "" {
				return fmt.Errorf("--domain and --fingerprint are required")
			}
			if err := p.do(cmd, http.MethodDelete, appPath(args[0])+"/certificates", url.Values{"domain": {domain}, "fingerprint": {fingerprint}}, nil, nil); err != nil {
				return err
			}
			_, err := fmt.Fprintln(cmd.OutOrStdout(), "removed")
			return err
		},
	}
	cmd.Flags().StringVar(&domain, "domain", "", "the domain")
	cmd.Flags().StringVar(&fingerprint, "fingerprint", "", "the certificate's fingerprint (Base64 SHA-256)")
	return cmd
}

func (p *pinningClient) certPurge() *cobra.Command {
	return &cobra.Command{
		Use:   "purge-expired",
		Short: "Remove every expired pinned certificate (of every application)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var res struct {
				Removed int64 `json:"removed"`
			}
			if err := p.do(cmd, http.MethodDelete, "/admin/certificates/expired", nil, nil, &res); err != nil {
				return err
			}
			f := fields{w: cmd.OutOrStdout()}
			f.add("removed", strconv.FormatInt(res.Removed, 10))
			return f.print()
		},
	}
}

func (p *pinningClient) domainRemove() *cobra.Command {
	var domain string
	cmd := &cobra.Command{
		Use:   "remove APP --domain DOMAIN",
		Short: "Unpin a domain with all its certificates",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if domain == "" {
				return fmt.Errorf("--domain is required")
			}
			if err := p.do(cmd, http.MethodDelete, appPath(args[0])+"/domains", url.Values{"domain": {domain}}, nil, nil); err != nil {
				return err
			}
			_, err := fmt.Fprintln(cmd.OutOrStdout(), "removed")
			return err
		},
	}
	cmd.Flags().StringVar(&domain, "domain", "", "the domain")
	return cmd
}

type pinVersion struct {
	ID               int64  `json:"id,omitempty"`
	Platform         string `json:"platform"`
	MajorOSVersion   *int   `json:"majorOsVersion"`
	SuggestedVersion string `json:"suggestedVersion,omitempty"`
	RequiredVersion  string `json:"requiredVersion,omitempty"`
	MessageKey       string `json:"messageKey,omitempty"`
}

func (v pinVersion) row() []string {
	major := "any"
	if v.MajorOSVersion != nil {
		major = strconv.Itoa(*v.MajorOSVersion)
	}
	return []string{strconv.FormatInt(v.ID, 10), v.Platform, major, v.SuggestedVersion, v.RequiredVersion, v.MessageKey}
}

var versionHeader = []string{"ID", "PLATFORM", "MAJOR OS", "SUGGESTED", "REQUIRED", "MESSAGE KEY"}

func (p *pinningClient) versionAdd() *cobra.Command {
	var v pinVersion
	major := -1
	cmd := &cobra.Command{
		Use:   "add APP --platform ANDROID|IOS [--major-os N] [--suggested X.Y.Z] [--required X.Y.Z] [--message-key KEY]",
		Short: "Add a version rule: older apps are asked to update (suggested) or must update (required)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			v.Platform = strings.ToUpper(v.Platform)
			if major >= 0 {
				v.MajorOSVersion = &major
			}
			var out pinVersion
			if err := p.do(cmd, http.MethodPost, appPath(args[0])+"/versions", nil, v, &out); err != nil {
				return err
			}
			return table(cmd.OutOrStdout(), versionHeader, [][]string{out.row()})
		},
	}
	cmd.Flags().StringVar(&v.Platform, "platform", "", "ANDROID or IOS")
	cmd.Flags().IntVar(&major, "major-os", -1, "the major OS version the rule is for (iOS 17, Android API level 34); default: every OS version without a rule of its own")
	cmd.Flags().StringVar(&v.SuggestedVersion, "suggested", "", "apps older than this are asked to update (SUGGESTED)")
	cmd.Flags().StringVar(&v.RequiredVersion, "required", "", "apps older than this must update (FORCED)")
	cmd.Flags().StringVar(&v.MessageKey, "message-key", "", "key of the localized text shown with the result (see `mauth pinning text`)")
	return cmd
}

func (p *pinningClient) versionList() *cobra.Command {
	return &cobra.Command{
		Use:   "list APP",
		Short: "List the version rules of an application",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var l struct {
				ApplicationVersions []pinVersion `json:"applicationVersions"`
			}
			if err := p.do(cmd, http.MethodGet, appPath(args[0])+"/versions", nil, nil, &l); err != nil {
				return err
			}
			var rows [][]string
			for _, v := range l.ApplicationVersions {
				rows = append(rows, v.row())
			}
			return table(cmd.OutOrStdout(), versionHeader, rows)
		},
	}
}

func (p *pinningClient) versionRemove() *cobra.Command {
	return &cobra.Command{
		Use:   "remove APP ID",
		Short: "Remove a version rule",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := p.do(cmd, http.MethodDelete, appPath(args[0])+"/versions/"+url.PathEscape(args[1]), nil, nil, nil); err != nil {
				return err
			}
			_, err := fmt.Fprintln(cmd.OutOrStdout(), "removed")
			return err
		},
	}
}

type pinText struct {
	MessageKey string `json:"messageKey"`
	Language   string `json:"language"`
	Text       string `json:"text"`
}

func (p *pinningClient) textSet() *cobra.Command {
	return &cobra.Command{
		Use:   "set KEY LANGUAGE TEXT",
		Short: "Create or replace a localized text (LANGUAGE: two-letter ISO 639-1 code)",
		Args:  cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := p.do(cmd, http.MethodPost, "/admin/texts", nil, pinText{args[0], args[1], args[2]}, nil); err != nil {
				return err
			}
			_, err := fmt.Fprintln(cmd.OutOrStdout(), "saved")
			return err
		},
	}
}

func (p *pinningClient) textList() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the localized texts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var l struct {
				Texts []pinText `json:"applicationVersions"`
			}
			if err := p.do(cmd, http.MethodGet, "/admin/texts", nil, nil, &l); err != nil {
				return err
			}
			var rows [][]string
			for _, t := range l.Texts {
				rows = append(rows, []string{t.MessageKey, t.Language, t.Text})
			}
			return table(cmd.OutOrStdout(), []string{"KEY", "LANGUAGE", "TEXT"}, rows)
		},
	}
}

func (p *pinningClient) textRemove() *cobra.Command {
	return &cobra.Command{
		Use:   "remove KEY LANGUAGE",
		Short: "Remove a localized text",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := p.do(cmd, http.MethodDelete, "/admin/texts/"+url.PathEscape(args[0])+"/"+url.PathEscape(args[1]), nil, nil, nil); err != nil {
				return err
			}
			_, err := fmt.Fprintln(cmd.OutOrStdout(), "removed")
			return err
		},
	}
}
