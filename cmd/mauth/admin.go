package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/mauth/mauth/internal/coreclient"
)

// Defaults and environment variables of the administration commands.
const (
	defaultPrivateURL = "http://127.0.0.1:8081"
	envPrivateURL     = "MAUTH_URL"
	envClientToken    = "MAUTH_CLIENT_TOKEN"
	envClientSecret   = "MAUTH_CLIENT_SECRET"
	envTLSCAFile      = "MAUTH_TLS_CA_FILE"
	envTLSCertFile    = "MAUTH_TLS_CERT_FILE"
	envTLSKeyFile     = "MAUTH_TLS_KEY_FILE"
)

// adminFlags are the connection settings of the commands that call the
// private API (app, activation, integration).
type adminFlags struct {
	url          string
	clientToken  string
	clientSecret string
	timeout      time.Duration
	tls          coreclient.TLSFiles
}

// bind registers the flags as persistent flags of a command group.
func (f *adminFlags) bind(cmd *cobra.Command) {
	p := cmd.PersistentFlags()
	p.StringVar(&f.url, "url", envOr(envPrivateURL, defaultPrivateURL), "private API URL of the mauth server (env "+envPrivateURL+")")
	p.StringVar(&f.clientToken, "client-token", "", "integration client token for HTTP Basic authentication (env "+envClientToken+")")
	p.StringVar(&f.clientSecret, "client-secret", "", "integration client secret (env "+envClientSecret+"; prefer the environment: flags show in the process list)")
	p.DurationVar(&f.timeout, "timeout", coreclient.DefaultTimeout, "timeout of each call")
	p.StringVar(&f.tls.CAFile, "tls-ca-file", os.Getenv(envTLSCAFile), "https private API: PEM CA certificates that verify the server (env "+envTLSCAFile+"; default: the system roots)")
	p.StringVar(&f.tls.CertFile, "tls-cert-file", os.Getenv(envTLSCertFile), "https private API with mutual TLS: PEM client certificate (env "+envTLSCertFile+")")
	p.StringVar(&f.tls.KeyFile, "tls-key-file", os.Getenv(envTLSKeyFile), "https private API with mutual TLS: PEM private key of --tls-cert-file (env "+envTLSKeyFile+")")
}

// client builds a private API client from the flags and the environment.
func (f *adminFlags) client() (*coreclient.Client, error) {
	token, secret := f.clientToken, f.clientSecret
	if token == "" {
		token = os.Getenv(envClientToken)
	}
	if secret == "" {
		secret = os.Getenv(envClientSecret)
	}
	tc, err := f.tls.Config()
	if err != nil {
		return nil, fmt.Errorf("TLS: %w", err)
	}
	return coreclient.New(coreclient.Options{BaseURL: f.url, ClientToken: token, ClientSecret: secret, Timeout: f.timeout, TLS: tc})
}

// adminError adds a hint to errors an operator can fix.
func adminError(err error) error {
	var ue *coreclient.UnavailableError
	switch {
	case errors.Is(err, coreclient.ErrUnauthorized):
		return fmt.Errorf("%w\nset --client-token/--client-secret or %s/%s to the credentials `mauth serve` printed on its first start", err, envClientToken, envClientSecret)
	case errors.As(err, &ue) && ue.HTTPStatus == 0:
		return fmt.Errorf("%w\nis `mauth serve` running? the private API URL is set with --url or %s", err, envPrivateURL)
	}
	return err
}

// envOr returns the environment variable's value, or def when it is unset or empty.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// fields prints aligned "label: value" lines; empty values are skipped.
type fields struct {
	w    io.Writer
	rows [][2]string
}

func (f *fields) add(label, value string) {
	if value != "" {
		f.rows = append(f.rows, [2]string{label, value})
	}
}

func (f *fields) print() error {
	width := 0
	for _, r := range f.rows {
		width = max(width, len(r[0]))
	}
	var b strings.Builder
	for _, r := range f.rows {
		fmt.Fprintf(&b, "%-*s %s\n", width+1, r[0]+":", r[1])
	}
	_, err := io.WriteString(f.w, b.String())
	return err
}

// table prints tab-aligned columns.
func table(w io.Writer, header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// timeText renders an optional time for output.
func timeText(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// strText dereferences an optional string for output.
func strText(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
