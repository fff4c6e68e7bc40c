// Package coreclient is a typed client of the core server's private REST
// API (POST /rest/v3/<method>). The enrollment role uses it as its
// public.Core when it runs apart from the core (split deployment), and the
// `mauth` CLI uses it for administration (applications, activations,
// integrations).
//
// Error answers of the core become *service.Error values with the same
// code, message and current recovery PUK index, so the enrollment API
// renders exactly the errors it renders in the all-in-one deployment.
// Failures to reach the core (connection refused, timeouts, 5xx answers)
// become *UnavailableError; credentials the core rejects become an error
// wrapping ErrUnauthorized. Neither is a *service.Error, so the public API
// answers them with a 5xx, never with a client error.
package coreclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/mauth/mauth/internal/buildinfo"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/restv3"
	"github.com/mauth/mauth/internal/service"
)

// DefaultTimeout bounds one call to the core when Options.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// maxResponseBody bounds the size of a core answer.
const maxResponseBody = 4 << 20

// codeHTTPRequest is the core's code for a request body it cannot read.
const codeHTTPRequest = "ERROR_HTTP_REQUEST"

// restPrefix is the path prefix of every private API method.
const restPrefix = "/rest/v3/"

// ErrUnauthorized means the core rejected the integration credentials.
var ErrUnauthorized = errors.New("the core server rejected the integration credentials (HTTP Basic client token and secret)")

// Options configure a Client.
type Options struct {
	// BaseURL is the core's private API root, e.g. http://127.0.0.1:8081
	// (a trailing /rest/v3 is accepted and ignored).
	BaseURL string
	// ClientToken and ClientSecret are the integration credentials sent
	// as HTTP Basic authentication; leave both empty when the core serves
	// its private API without access control.
	ClientToken  string
	ClientSecret string
	// Timeout bounds each call (default DefaultTimeout); the caller's
	// context can end a call earlier.
	Timeout time.Duration
	// HTTPClient sends the requests (default: a client with its own transport).
	HTTPClient *http.Client
	// TLS configures https:// connections of the default client (a CA to
	// verify the core, a client certificate for mutual TLS; see
	// TLSFiles); nil: the system roots, no client certificate. Ignored
	// with HTTPClient.
	TLS *tls.Config
}

// TLSFiles names the PEM files of TLS connections to the core.
type TLSFiles struct {
	// CAFile holds the CA certificates that verify the core's certificate
	// (empty: the system roots).
	CAFile string
	// CertFile and KeyFile are the client certificate and key presented
	// to a core that requires mutual TLS (both or neither).
	CertFile string
	KeyFile  string
}

// Config loads the files into a client tls.Config (nil when none is set).
func (f TLSFiles) Config() (*tls.Config, error) {
	if f == (TLSFiles{}) {
		return nil, nil
	}
	if (f.CertFile == "") != (f.KeyFile == "") {
		return nil, errors.New("set both the client certificate file and the client key file, or neither")
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if f.CAFile != "" {
		raw, err := os.ReadFile(f.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(raw) {
			return nil, fmt.Errorf("CA file %s holds no PEM certificate", f.CAFile)
		}
		cfg.RootCAs = pool
	}
	if f.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("load client certificate %s and key %s: %w", f.CertFile, f.KeyFile, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// Client calls the core's private REST API. It is safe for concurrent use.
type Client struct {
	base    string
	token   string
	secret  string
	timeout time.Duration
	http    *http.Client
}

// New validates the options and returns a client.
func New(opts Options) (*Client, error) {
	base := strings.TrimRight(strings.TrimSpace(opts.BaseURL), "/")
	base = strings.TrimSuffix(base, strings.TrimSuffix(restPrefix, "/"))
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("coreclient: core URL %q must be an absolute http:// or https:// URL", opts.BaseURL)
	}
	if (opts.ClientToken == "") != (opts.ClientSecret == "") {
		return nil, errors.New("coreclient: set both the client token and the client secret, or neither")
	}
	if opts.Timeout < 0 {
		return nil, errors.New("coreclient: negative timeout")
	}
	c := &Client{base: base, token: opts.ClientToken, secret: opts.ClientSecret, timeout: opts.Timeout, http: opts.HTTPClient}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	if c.http == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		if opts.TLS != nil {
			tr.TLSClientConfig = opts.TLS.Clone()
		}
		c.http = &http.Client{Transport: tr}
	}
	return c, nil
}

// BaseURL returns the core URL the client calls.
func (c *Client) BaseURL() string { return c.base }

// UnavailableError means the core could not be reached or failed
// internally: a network error, a timeout or a 5xx answer. The enrollment
// API answers it with a 5xx status.
type UnavailableError struct {
	// Method is the private API method, e.g. "activation/status".
	Method string
	// HTTPStatus is the core's status for a 5xx answer; 0 when no answer came.
	HTTPStatus int
	// Err is the underlying network error, if any.
	Err error
}

func (e *UnavailableError) Error() string {
	if e.HTTPStatus != 0 {
		return fmt.Sprintf("coreclient: %s: the core server answered HTTP %d", e.Method, e.HTTPStatus)
	}
	return fmt.Sprintf("coreclient: %s: the core server is unreachable: %v", e.Method, e.Err)
}

// Unwrap returns the network error.
func (e *UnavailableError) Unwrap() error { return e.Err }

// Unavailable reports true; the public API can test for
// interface{ Unavailable() bool } without importing this package.
func (e *UnavailableError) Unavailable() bool { return true }

// Timeout reports whether the call ran out of time.
func (e *UnavailableError) Timeout() bool {
	var te interface{ Timeout() bool }
	return errors.Is(e.Err, context.DeadlineExceeded) || (errors.As(e.Err, &te) && te.Timeout())
}

// errorObject is the responseObject of an error answer.
type errorObject struct {
	Code                    string `json:"code"`
	Message                 string `json:"message"`
	CurrentRecoveryPukIndex *int   `json:"currentRecoveryPukIndex"`
}

// call sends {"requestObject": req} to method and decodes the
// responseObject of an OK answer into resp (when resp is not nil).
func (c *Client) call(ctx context.Context, method string, req, resp any) error {
	return c.do(ctx, method, http.MethodPost, restPrefix+method, true, req, resp)
}

// do sends one request to path (an envelope {"requestObject": req} when
// withBody) and decodes the answer's envelope; name labels errors.
func (c *Client) do(ctx context.Context, name, httpMethod, path string, withBody bool, req, resp any) error {
	var rd io.Reader
	if withBody {
		body, err := json.Marshal(struct {
			RequestObject any `json:"requestObject"`
		}{req})
		if err != nil {
			return fmt.Errorf("coreclient: %s: encode request: %w", name, err)
		}
		rd = bytes.NewReader(body)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, httpMethod, c.base+path, rd)
	if err != nil {
		return fmt.Errorf("coreclient: %s: %w", name, err)
	}
	if withBody {
		hr.Header.Set("Content-Type", "application/json")
	}
	hr.Header.Set("Accept", "application/json")
	hr.Header.Set("User-Agent", "mauth-coreclient/"+buildinfo.Version)
	// The device's own User-Agent, for the device information the core
	// parses from it (the core trusts it from an authenticated integration).
	if ua := domain.RequestInfoOf(ctx).UserAgent; ua != "" && validHeaderValue(ua) {
		hr.Header.Set(restv3.HeaderDeviceUserAgent, ua)
	}
	if c.token != "" {
		hr.SetBasicAuth(c.token, c.secret)
	}
	res, err := c.http.Do(hr)
	if err != nil {
		return &UnavailableError{Method: name, Err: err}
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, maxResponseBody+1))
	if err != nil {
		return &UnavailableError{Method: name, Err: fmt.Errorf("read answer: %w", err)}
	}
	if len(raw) > maxResponseBody {
		return fmt.Errorf("coreclient: %s: the core's answer exceeds %d bytes", name, maxResponseBody)
	}
	if !strings.HasPrefix(path, restPrefix) && res.StatusCode == http.StatusNotFound {
		// Outside /rest/v3 a 404 with an error envelope is the API's own
		// answer (e.g. an unknown campaign), not a missing method.
		return decodeAnswer(name, http.StatusBadRequest, raw, resp)
	}
	return decodeAnswer(name, res.StatusCode, raw, resp)
}

// decodeAnswer interprets a core answer; see the package documentation.
func decodeAnswer(method string, status int, raw []byte, resp any) error {
	var env struct {
		Status         string          `json:"status"`
		ResponseObject json.RawMessage `json:"responseObject"`
	}
	jsonErr := json.Unmarshal(raw, &env)
	switch {
	case status == http.StatusUnauthorized:
		return fmt.Errorf("coreclient: %s: %w", method, ErrUnauthorized)
	case status >= 500:
		return &UnavailableError{Method: method, HTTPStatus: status}
	case jsonErr != nil:
		return fmt.Errorf("coreclient: %s: the core answered HTTP %d without a JSON envelope", method, status)
	case status == http.StatusOK && env.Status == "OK":
		if resp == nil || len(env.ResponseObject) == 0 || string(env.ResponseObject) == "null" {
			return nil
		}
		if err := json.Unmarshal(env.ResponseObject, resp); err != nil {
			return fmt.Errorf("coreclient: %s: decode answer: %w", method, err)
		}
		return nil
	case env.Status == "ERROR":
		var eo errorObject
		if err := json.Unmarshal(env.ResponseObject, &eo); err != nil || eo.Code == "" {
			return fmt.Errorf("coreclient: %s: the core answered HTTP %d with a malformed error", method, status)
		}
		if status == http.StatusNotFound {
			return fmt.Errorf("coreclient: %s: the core server does not serve this method (%s)", method, eo.Code)
		}
		if eo.Code == codeHTTPRequest {
			// The core could not read our request: a client bug, not the caller's input.
			return fmt.Errorf("coreclient: %s: the core rejected the request as malformed: %s", method, eo.Message)
		}
		return &service.Error{Code: eo.Code, Message: eo.Message, CurrentRecoveryPukIndex: eo.CurrentRecoveryPukIndex}
	}
	return fmt.Errorf("coreclient: %s: unexpected answer HTTP %d status %q", method, status, env.Status)
}

// validHeaderValue reports whether v may be sent as a header value (no
// control characters but tab).
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}
