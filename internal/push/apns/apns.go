package apns

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/mauth/mauth/internal/push/provider"
)

// Apple's hosts.
const (
	DevelopmentURL = "https://api.sandbox.push.apple.com"
	ProductionURL  = "https://api.push.apple.com"
)

// Environments of a device or an application.
const (
	EnvironmentDevelopment = "development"
	EnvironmentProduction  = "production"
)

// MaxPayloadSize is Apple's limit for a regular notification payload.
const MaxPayloadSize = 4096

// MaxCollapseID is Apple's limit for apns-collapse-id.
const MaxCollapseID = 64

// Provider-token lifetime rules: Apple refuses a token older than an hour
// and one refreshed more often than every 20 minutes.
const (
	// TokenRefreshAfter is when the client replaces its JWT.
	TokenRefreshAfter = 50 * time.Minute
	// TokenMinAge is the youngest token the client ever replaces.
	TokenMinAge = 20 * time.Minute
)

// Config configures a Client.
type Config struct {
	// KeyP8 is the PKCS#8 PEM (.p8) signing key from the Apple developer
	// account (Certificates, Identifiers & Profiles → Keys).
	KeyP8 []byte
	// KeyID is the key's 10-character id; TeamID the 10-character team id.
	KeyID, TeamID string
	// Topic is the app's bundle id.
	Topic string
	// Environment is the default environment for devices that do not say
	// (default development, as the reference's useDevelopment=true).
	Environment string
	// DevelopmentURL and ProductionURL override Apple's hosts (tests).
	DevelopmentURL, ProductionURL string
	// HTTPClient sends the requests (default: an HTTP/2 client).
	HTTPClient *http.Client
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Client sends notifications to APNs. It is safe for concurrent use.
type Client struct {
	key         *ecdsa.PrivateKey
	keyID       string
	teamID      string
	topic       string
	defaultEnv  string
	devURL      string
	prodURL     string
	hc          *http.Client
	now         func() time.Time
	mu          sync.Mutex
	jwt         string
	jwtIssuedAt time.Time
}

var appleID = regexp.MustCompile(`^[A-Z0-9]{10}$`)

// ParseKey reads a .p8 key: a PEM "PRIVATE KEY" block holding a PKCS#8
// P-256 ECDSA key. Errors name the problem, never the key.
func ParseKey(p8 []byte) (*ecdsa.PrivateKey, error) {
	bad := func(problem string) error { return &provider.CredentialError{Provider: "apns", Problem: problem} }
	if len(bytes.TrimSpace(p8)) == 0 {
		return nil, bad("the .p8 key is empty")
	}
	block, _ := pem.Decode(p8)
	if block == nil {
		return nil, bad("the .p8 key is not PEM")
	}
	if block.Type != "PRIVATE KEY" {
		return nil, bad(fmt.Sprintf("the .p8 key is a PEM %q block, want PRIVATE KEY (PKCS#8)", block.Type))
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, bad("the .p8 key is not a PKCS#8 private key")
	}
	ec, ok := k.(*ecdsa.PrivateKey)
	if !ok || ec.Curve != elliptic.P256() {
		return nil, bad("the .p8 key is not a P-256 ECDSA key")
	}
	return ec, nil
}

// New validates cfg and returns a client.
func New(cfg Config) (*Client, error) {
	key, err := ParseKey(cfg.KeyP8)
	if err != nil {
		return nil, err
	}
	bad := func(problem string) error { return &provider.CredentialError{Provider: "apns", Problem: problem} }
	if !appleID.MatchString(cfg.KeyID) {
		return nil, bad("the key id must be 10 upper-case letters or digits")
	}
	if !appleID.MatchString(cfg.TeamID) {
		return nil, bad("the team id must be 10 upper-case letters or digits")
	}
	if cfg.Topic == "" {
		return nil, bad("the topic (bundle id) is empty")
	}
	env := cfg.Environment
	switch env {
	case "":
		env = EnvironmentDevelopment
	case EnvironmentDevelopment, EnvironmentProduction:
	default:
		return nil, bad(fmt.Sprintf("unknown environment %q", env))
	}
	c := &Client{
		key: key, keyID: cfg.KeyID, teamID: cfg.TeamID, topic: cfg.Topic, defaultEnv: env,
		devURL: cfg.DevelopmentURL, prodURL: cfg.ProductionURL, hc: cfg.HTTPClient, now: cfg.Now,
	}
	if c.devURL == "" {
		c.devURL = DevelopmentURL
	}
	if c.prodURL == "" {
		c.prodURL = ProductionURL
	}
	if c.hc == nil {
		c.hc = NewHTTPClient(nil)
	}
	c.now = provider.Clock(c.now)
	return c, nil
}

// NewHTTPClient returns an HTTP client that speaks HTTP/2 over TLS (as
// APNs requires), trusting roots (nil: the system roots).
func NewHTTPClient(roots *x509.CertPool) *http.Client {
	return &http.Client{
		Timeout: provider.RequestTimeout,
		Transport: &http.Transport{
			TLSClientConfig:     &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
			ForceAttemptHTTP2:   true,
			MaxIdleConnsPerHost: 4,
			IdleConnTimeout:     5 * time.Minute,
		},
	}
}

// providerToken returns the JWT, signing a new one when none exists, it
// is TokenRefreshAfter old, or force is set and it is at least
// TokenMinAge old (Apple said it expired).
func (c *Client) providerToken(force string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	age := now.Sub(c.jwtIssuedAt)
	stale := c.jwt == "" || age >= TokenRefreshAfter || age < 0 ||
		(force != "" && force == c.jwt && age >= TokenMinAge)
	if !stale {
		return c.jwt, nil
	}
	iat := now.Unix()
	tok, err := provider.SignJWT(c.key,
		map[string]any{"kid": c.keyID},
		map[string]any{"iss": c.teamID, "iat": iat})
	if err != nil {
		return "", err
	}
	c.jwt, c.jwtIssuedAt = tok, time.Unix(iat, 0)
	return tok, nil
}

// Send implements provider.Sender.
func (c *Client) Send(ctx context.Context, t provider.Target, m provider.Message) (provider.Result, error) {
	payload, err := Payload(m)
	if err != nil {
		return provider.Result{Outcome: provider.Failed, Reason: err.Error()}, err
	}
	if len(m.CollapseID) > MaxCollapseID {
		err := fmt.Errorf("%w: apns-collapse-id is %d bytes, at most %d", provider.ErrInvalidMessage, len(m.CollapseID), MaxCollapseID)
		return provider.Result{Outcome: provider.Failed, Reason: err.Error()}, err
	}
	if t.Token == "" {
		return provider.Result{Outcome: provider.InvalidToken, Reason: "BadDeviceToken"}, nil
	}
	env := t.Environment
	if env == "" {
		env = c.defaultEnv
	}
	base := c.devURL
	if env == EnvironmentProduction {
		base = c.prodURL
	}
	endpoint := base + "/3/device/" + url.PathEscape(t.Token)

	res, refused, err := c.post(ctx, endpoint, payload, m, "")
	if err == nil && res.Reason == "ExpiredProviderToken" {
		// Apple says the JWT expired (clock skew): sign a new one if Apple's
		// refresh rule allows it and try once more.
		res, _, err = c.post(ctx, endpoint, payload, m, refused)
	}
	return res, err
}

func (c *Client) post(ctx context.Context, endpoint string, payload []byte, m provider.Message, force string) (provider.Result, string, error) {
	jwt, err := c.providerToken(force)
	if err != nil {
		return provider.Result{Outcome: provider.Failed, Reason: "signing the provider token failed"}, "", nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(payload))
	if err != nil {
		return provider.Result{Outcome: provider.Failed, Reason: "bad endpoint"}, "", nil
	}
	h := req.Header
	h.Set("authorization", "bearer "+jwt)
	h.Set("content-type", "application/json")
	h.Set("apns-topic", c.topic)
	if m.Silent {
		h.Set("apns-push-type", "background")
		h.Set("apns-priority", "5") // Apple requires 5 for background pushes
	} else {
		h.Set("apns-push-type", "alert")
		if m.Priority == provider.PriorityNormal {
			h.Set("apns-priority", "5")
		} else {
			h.Set("apns-priority", "10")
		}
	}
	if !m.ValidUntil.IsZero() {
		exp := m.ValidUntil.Unix()
		if exp < 1 {
			exp = 1 // 0 would mean "deliver now or never"; keep the intent of a past date
		}
		h.Set("apns-expiration", strconv.FormatInt(exp, 10))
	}
	if m.CollapseID != "" {
		h.Set("apns-collapse-id", m.CollapseID)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return provider.TransportFailure(ctx, err), jwt, nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<10))
	return classify(resp, body, c.now()), jwt, nil
}

// classify maps Apple's answer to an outcome.
func classify(resp *http.Response, body []byte, now time.Time) provider.Result {
	res := provider.Result{StatusCode: resp.StatusCode, ID: resp.Header.Get("apns-id")}
	if resp.StatusCode == http.StatusOK {
		res.Outcome = provider.Delivered
		return res
	}
	var ans struct {
		Reason    string `json:"reason"`
		Timestamp int64  `json:"timestamp"`
	}
	_ = json.Unmarshal(body, &ans)
	res.Reason = ans.Reason
	if res.Reason == "" {
		res.Reason = http.StatusText(resp.StatusCode)
	}
	switch {
	case resp.StatusCode == http.StatusGone, // Unregistered, ExpiredToken
		ans.Reason == "BadDeviceToken", ans.Reason == "DeviceTokenNotForTopic", ans.Reason == "Unregistered":
		res.Outcome = provider.InvalidToken
	case provider.IsTransientStatus(resp.StatusCode):
		res.Outcome = provider.Transient
		res.RetryAfter = provider.ParseRetryAfter(resp.Header.Get("Retry-After"), now)
	default:
		res.Outcome = provider.Failed
	}
	return res
}

// Payload returns the APNs JSON payload of m (api.md §4.2 mapping) and
// provider.ErrPayloadTooLarge when it exceeds MaxPayloadSize.
func Payload(m provider.Message) ([]byte, error) {
	aps := map[string]any{}
	if m.Silent {
		aps["content-available"] = 1
	} else {
		alert := map[string]any{}
		setStr(alert, "title", m.Title)
		setStr(alert, "title-loc-key", m.TitleLocKey)
		if len(m.TitleLocArgs) > 0 {
			alert["title-loc-args"] = m.TitleLocArgs
		}
		setStr(alert, "body", m.Body)
		setStr(alert, "loc-key", m.BodyLocKey)
		if len(m.BodyLocArgs) > 0 {
			alert["loc-args"] = m.BodyLocArgs
		}
		if len(alert) > 0 {
			aps["alert"] = alert
		}
		setStr(aps, "sound", m.Sound)
	}
	if m.Badge != nil {
		aps["badge"] = *m.Badge
	}
	setStr(aps, "category", m.Category)
	setStr(aps, "thread-id", m.CollapseKey)
	root := make(map[string]any, len(m.Extras)+1)
	for k, v := range m.Extras {
		if k == "aps" {
			continue // the extras cannot replace the aps dictionary
		}
		root[k] = v
	}
	root["aps"] = aps
	b, err := json.Marshal(root)
	if err != nil {
		return nil, fmt.Errorf("%w: extras are not JSON: %v", provider.ErrInvalidMessage, err)
	}
	if len(b) > MaxPayloadSize {
		return nil, fmt.Errorf("%w: the APNs payload is %d bytes, at most %d", provider.ErrPayloadTooLarge, len(b), MaxPayloadSize)
	}
	return b, nil
}

func setStr(m map[string]any, k, v string) {
	if v != "" {
		m[k] = v
	}
}
