package fcm

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mauth/mauth/internal/push/provider"
)

// Google's endpoints and the FCM scope.
const (
	DefaultBaseURL  = "https://fcm.googleapis.com"
	DefaultTokenURL = "https://oauth2.googleapis.com/token"
	Scope           = "https://www.googleapis.com/auth/firebase.messaging"
	// JWTBearerGrant is the grant type of the token request.
	JWTBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer"
)

// tokenMargin: an access token is replaced this long before it expires.
const tokenMargin = 5 * time.Minute

// ServiceAccount is the part of a service-account JSON key the client uses.
type ServiceAccount struct {
	Type         string `json:"type"`
	ProjectID    string `json:"project_id"`
	PrivateKeyID string `json:"private_key_id"`
	PrivateKey   string `json:"private_key"`
	ClientEmail  string `json:"client_email"`
	TokenURI     string `json:"token_uri"`
}

// ParseServiceAccount reads and validates a service-account JSON key (the
// file downloaded from the Firebase console). Errors name the problem,
// never the key.
func ParseServiceAccount(b []byte) (ServiceAccount, *rsa.PrivateKey, error) {
	bad := func(problem string) error { return &provider.CredentialError{Provider: "fcm", Problem: problem} }
	var sa ServiceAccount
	if len(bytes.TrimSpace(b)) == 0 {
		return sa, nil, bad("the service-account JSON is empty")
	}
	if err := json.Unmarshal(b, &sa); err != nil {
		return sa, nil, bad("the service-account key is not valid JSON")
	}
	switch {
	case sa.Type != "service_account":
		return sa, nil, bad(fmt.Sprintf("the JSON key has type %q, want service_account", sa.Type))
	case sa.ClientEmail == "":
		return sa, nil, bad("the service-account JSON has no client_email")
	case sa.PrivateKey == "":
		return sa, nil, bad("the service-account JSON has no private_key")
	}
	block, _ := pem.Decode([]byte(sa.PrivateKey))
	if block == nil {
		return sa, nil, bad("the service-account private_key is not PEM")
	}
	var key *rsa.PrivateKey
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return sa, nil, bad("the service-account private_key is not an RSA key")
		}
		key = rk
	} else if rk, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		key = rk
	} else {
		return sa, nil, bad("the service-account private_key is not a PKCS#8 or PKCS#1 RSA key")
	}
	if key.N.BitLen() < 2048 {
		return sa, nil, bad("the service-account RSA key is shorter than 2048 bits")
	}
	return sa, key, nil
}

// Config configures a Client.
type Config struct {
	// ServiceAccountJSON is the Firebase service-account key.
	ServiceAccountJSON []byte
	// ProjectID overrides the key's project_id.
	ProjectID string
	// BaseURL overrides https://fcm.googleapis.com (tests).
	BaseURL string
	// TokenURL overrides the key's token_uri (tests).
	TokenURL string
	// DataOnly sends every message without a notification block
	// (the reference's fcm.dataNotificationOnly).
	DataOnly bool
	// HTTPClient sends the requests (default: a client with a timeout).
	HTTPClient *http.Client
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Client sends messages through FCM. It is safe for concurrent use.
type Client struct {
	sa       ServiceAccount
	key      *rsa.PrivateKey
	project  string
	sendURL  string
	tokenURL string
	dataOnly bool
	hc       *http.Client
	now      func() time.Time
	tokens   *provider.TokenCache
}

// New validates cfg and returns a client.
func New(cfg Config) (*Client, error) {
	sa, key, err := ParseServiceAccount(cfg.ServiceAccountJSON)
	if err != nil {
		return nil, err
	}
	c := &Client{sa: sa, key: key, project: cfg.ProjectID, dataOnly: cfg.DataOnly, hc: cfg.HTTPClient, now: cfg.Now}
	if c.project == "" {
		c.project = sa.ProjectID
	}
	if c.project == "" {
		return nil, &provider.CredentialError{Provider: "fcm", Problem: "no project id (neither configured nor project_id in the JSON)"}
	}
	base := provider.FirstNonEmpty(cfg.BaseURL, DefaultBaseURL)
	c.sendURL = strings.TrimRight(base, "/") + "/v1/projects/" + url.PathEscape(c.project) + "/messages:send"
	c.tokenURL = provider.FirstNonEmpty(cfg.TokenURL, sa.TokenURI, DefaultTokenURL)
	c.hc, c.now = provider.HTTPClient(c.hc), provider.Clock(c.now)
	c.tokens = provider.NewTokenCache(c.fetchToken, c.now, tokenMargin)
	return c, nil
}

// fetchToken runs the JWT bearer grant.
func (c *Client) fetchToken(ctx context.Context) (provider.Token, error) {
	now := c.now()
	header := map[string]any{"typ": "JWT"}
	if c.sa.PrivateKeyID != "" {
		header["kid"] = c.sa.PrivateKeyID
	}
	assertion, err := provider.SignJWT(c.key, header, map[string]any{
		"iss":   c.sa.ClientEmail,
		"scope": Scope,
		"aud":   c.tokenURL,
		"iat":   now.Unix(),
		"exp":   now.Add(time.Hour).Unix(),
	})
	if err != nil {
		return provider.Token{}, &provider.TokenError{Provider: "fcm", Err: err}
	}
	form := url.Values{"grant_type": {JWTBearerGrant}, "assertion": {assertion}}
	return provider.FetchOAuthToken(ctx, c.hc, "fcm", c.tokenURL, form, now)
}

// Send implements provider.Sender.
func (c *Client) Send(ctx context.Context, t provider.Target, m provider.Message) (provider.Result, error) {
	body, err := c.Body(t, m)
	if err != nil {
		return provider.Result{Outcome: provider.Failed, Reason: err.Error()}, err
	}
	if t.Token == "" {
		return provider.Result{Outcome: provider.InvalidToken, Reason: "UNREGISTERED"}, nil
	}
	res, tok := c.post(ctx, body)
	if res.StatusCode == http.StatusUnauthorized && tok != "" {
		// The access token was refused (revoked or expired early): fetch a
		// new one and try once more.
		c.tokens.Invalidate(tok)
		res, _ = c.post(ctx, body)
	}
	return res, nil
}

func (c *Client) post(ctx context.Context, body []byte) (provider.Result, string) {
	tok, err := c.tokens.Token(ctx)
	if err != nil {
		var te *provider.TokenError
		if errors.As(err, &te) {
			return te.Result(), ""
		}
		return provider.Result{Outcome: provider.Transient, Reason: "access token: unavailable"}, ""
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.sendURL, bytes.NewReader(body))
	if err != nil {
		return provider.Result{Outcome: provider.Failed, Reason: "bad endpoint"}, tok
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	resp, err := c.hc.Do(req)
	if err != nil {
		return provider.TransportFailure(ctx, err), tok
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return classify(resp, b, c.now()), tok
}

// classify maps an FCM answer to an outcome.
func classify(resp *http.Response, body []byte, now time.Time) provider.Result {
	res := provider.Result{StatusCode: resp.StatusCode}
	if resp.StatusCode == http.StatusOK {
		var ok struct {
			Name string `json:"name"`
		}
		_ = json.Unmarshal(body, &ok)
		res.Outcome, res.ID = provider.Delivered, ok.Name
		return res
	}
	var ans struct {
		Error struct {
			Status  string `json:"status"`
			Details []struct {
				Type      string `json:"@type"`
				ErrorCode string `json:"errorCode"`
			} `json:"details"`
		} `json:"error"`
	}
	_ = json.Unmarshal(body, &ans)
	code := ""
	for _, d := range ans.Error.Details {
		if strings.HasSuffix(d.Type, "google.firebase.fcm.v1.FcmError") && d.ErrorCode != "" {
			code = d.ErrorCode
		}
	}
	if code == "" {
		code = ans.Error.Status
	}
	if code == "" {
		code = http.StatusText(resp.StatusCode)
	}
	res.Reason = code
	switch {
	case code == "UNREGISTERED", code == "INVALID_ARGUMENT":
		res.Outcome = provider.InvalidToken
	case code == "UNAVAILABLE", code == "INTERNAL", code == "QUOTA_EXCEEDED", provider.IsTransientStatus(resp.StatusCode):
		res.Outcome = provider.Transient
		res.RetryAfter = provider.ParseRetryAfter(resp.Header.Get("Retry-After"), now)
	default:
		res.Outcome = provider.Failed
	}
	return res
}

// Body returns the messages:send request body for m to t (api.md §4.2).
func (c *Client) Body(t provider.Target, m provider.Message) ([]byte, error) {
	return buildBody(t, m, c.dataOnly, c.now())
}

func buildBody(t provider.Target, m provider.Message, dataOnly bool, now time.Time) ([]byte, error) {
	android := map[string]any{}
	if m.Priority == provider.PriorityNormal {
		android["priority"] = "NORMAL"
	} else {
		android["priority"] = "HIGH"
	}
	if m.CollapseKey != "" {
		android["collapse_key"] = m.CollapseKey
	}
	if !m.ValidUntil.IsZero() {
		android["ttl"] = provider.TTL(m.ValidUntil, now)
	}
	if !m.Silent && !dataOnly {
		n := map[string]any{}
		setStr(n, "title", m.Title)
		setStr(n, "title_loc_key", m.TitleLocKey)
		if len(m.TitleLocArgs) > 0 {
			n["title_loc_args"] = m.TitleLocArgs
		}
		setStr(n, "body", m.Body)
		setStr(n, "body_loc_key", m.BodyLocKey)
		if len(m.BodyLocArgs) > 0 {
			n["body_loc_args"] = m.BodyLocArgs
		}
		setStr(n, "icon", m.Icon)
		setStr(n, "sound", m.Sound)
		setStr(n, "tag", m.Category)
		if m.Badge != nil {
			n["notification_count"] = *m.Badge
		}
		android["notification"] = n
	}
	msg := map[string]any{"token": t.Token, "android": android}
	if len(m.Extras) > 0 {
		data, err := DataStrings(m.Extras)
		if err != nil {
			return nil, err
		}
		msg["data"] = data
	}
	// FCM's limit is on the payload: the notification and the data.
	size := 0
	for _, part := range []any{android["notification"], msg["data"]} {
		if part == nil {
			continue
		}
		pb, err := json.Marshal(part)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", provider.ErrInvalidMessage, err)
		}
		size += len(pb)
	}
	if size > MaxPayloadSize {
		return nil, fmt.Errorf("%w: the FCM payload is %d bytes, at most %d", provider.ErrPayloadTooLarge, size, MaxPayloadSize)
	}
	b, err := json.Marshal(map[string]any{"message": msg})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", provider.ErrInvalidMessage, err)
	}
	return b, nil
}

// MaxPayloadSize is FCM's limit for a message's notification and data.
const MaxPayloadSize = 4096

// DataStrings renders extras as the string map FCM's data field needs:
// strings as they are, anything else as JSON.
func DataStrings(extras map[string]any) (map[string]string, error) {
	out := make(map[string]string, len(extras))
	for k, v := range extras {
		if s, ok := v.(string); ok {
			out[k] = s
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("%w: extra %q is not JSON: %v", provider.ErrInvalidMessage, k, err)
		}
		out[k] = string(b)
	}
	return out, nil
}

func setStr(m map[string]any, k, v string) {
	if v != "" {
		m[k] = v
	}
}
