package idp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// DefaultHTTPTimeout bounds one call to the bank's backend.
const DefaultHTTPTimeout = 10 * time.Second

// maxHTTPResponse limits the backend's answer that is read.
const maxHTTPResponse = 64 << 10

// HTTPConfig configures the call-out to the bank's backend.
type HTTPConfig struct {
	// URL receives POST requests with the identity attributes as a JSON
	// object (http or https).
	URL string
	// Timeout bounds one call (default DefaultHTTPTimeout).
	Timeout time.Duration
	// BasicUsername and BasicPassword, when set, authenticate the call
	// with HTTP Basic.
	BasicUsername string
	BasicPassword string
	// BearerToken, when set, is sent as "Authorization: Bearer …". It must
	// not be combined with Basic credentials.
	BearerToken string
	// Client performs the calls (default: a client with Timeout).
	Client *http.Client
}

// HTTP resolves identity attributes by calling the bank's backend: it POSTs
// the attributes as JSON to the configured URL. A 2xx answer
// {"userId": "…"} identifies the user; 401, 403 and 404 mean invalid
// credentials; anything else (other statuses, a malformed answer, a
// timeout) means the backend is unavailable.
type HTTP struct {
	cfg    HTTPConfig
	client *http.Client
}

// NewHTTP validates cfg and returns the provider.
func NewHTTP(cfg HTTPConfig) (*HTTP, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("idp: the identity provider URL must be an absolute http(s) URL")
	}
	if u.User != nil {
		return nil, errors.New("idp: put identity provider credentials in the Basic or bearer settings, not in the URL")
	}
	if cfg.BearerToken != "" && (cfg.BasicUsername != "" || cfg.BasicPassword != "") {
		return nil, errors.New("idp: use either Basic credentials or a bearer token, not both")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultHTTPTimeout
	}
	c := cfg.Client
	if c == nil {
		c = &http.Client{Timeout: cfg.Timeout}
	}
	return &HTTP{cfg: cfg, client: c}, nil
}

// String describes the provider without its credentials.
func (p *HTTP) String() string {
	auth := "none"
	switch {
	case p.cfg.BearerToken != "":
		auth = "bearer"
	case p.cfg.BasicUsername != "" || p.cfg.BasicPassword != "":
		auth = "basic"
	}
	return fmt.Sprintf("idp.HTTP{url: %s, auth: %s}", p.cfg.URL, auth)
}

// Resolve implements Provider.
func (p *HTTP) Resolve(ctx context.Context, attributes map[string]any) (string, error) {
	if attributes == nil {
		attributes = map[string]any{}
	}
	body, err := json.Marshal(attributes)
	if err != nil {
		return "", fmt.Errorf("%w: attributes cannot be encoded", ErrInvalidCredentials)
	}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("%w: build request: %w", ErrUnavailable, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	switch {
	case p.cfg.BearerToken != "":
		req.Header.Set("Authorization", "Bearer "+p.cfg.BearerToken)
	case p.cfg.BasicUsername != "" || p.cfg.BasicPassword != "":
		req.SetBasicAuth(p.cfg.BasicUsername, p.cfg.BasicPassword)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		// The error text names the URL, never the body or credentials.
		return "", fmt.Errorf("%w: %s", ErrUnavailable, redactURLError(err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxHTTPResponse+1))
	if err != nil {
		return "", fmt.Errorf("%w: read answer: %w", ErrUnavailable, err)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusNotFound:
		return "", fmt.Errorf("%w: backend answered HTTP %d", ErrInvalidCredentials, resp.StatusCode)
	case resp.StatusCode/100 != 2:
		return "", fmt.Errorf("%w: backend answered HTTP %d", ErrUnavailable, resp.StatusCode)
	case len(raw) > maxHTTPResponse:
		return "", fmt.Errorf("%w: backend answer exceeds %d bytes", ErrUnavailable, maxHTTPResponse)
	}
	return parseHTTPAnswer(raw)
}

// parseHTTPAnswer reads the user id from a 2xx answer of the backend
// {"userId": "…"}; anything else means the backend is unavailable.
func parseHTTPAnswer(raw []byte) (string, error) {
	var out struct {
		UserID *string `json:"userId"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return "", fmt.Errorf("%w: backend answer is not the expected JSON", ErrUnavailable)
	}
	if out.UserID == nil {
		return "", fmt.Errorf("%w: backend answer has no userId", ErrUnavailable)
	}
	if err := checkUserID(*out.UserID); err != nil {
		return "", fmt.Errorf("%w: backend answer: %w", ErrUnavailable, err)
	}
	return *out.UserID, nil
}

// checkUserID validates a user id returned by a provider.
func checkUserID(id string) error {
	switch {
	case strings.TrimSpace(id) == "":
		return errors.New("empty user id")
	case len(id) > MaxUserIDLength:
		return fmt.Errorf("user id longer than %d bytes", MaxUserIDLength)
	case !utf8.ValidString(id) || strings.ContainsRune(id, 0):
		return errors.New("user id is not valid text")
	}
	return nil
}

// redactURLError describes a transport error without echoing anything but
// the failure kind (url.Error texts contain the URL, which is configuration,
// not a secret, but may carry a query string the operator added).
func redactURLError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return "call timed out"
		}
		return "call failed: " + ue.Err.Error()
	}
	return "call failed"
}
