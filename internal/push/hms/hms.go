package hms

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mauth/mauth/internal/push/provider"
)

// Huawei's endpoints.
const (
	DefaultBaseURL  = "https://push-api.cloud.huawei.com"
	DefaultTokenURL = "https://oauth-login.cloud.huawei.com/oauth2/v3/token"
)

// Push Kit result codes (the "code" of a messages:send answer).
const (
	CodeSuccess            = "80000000" // success
	CodePartialSuccess     = "80100000" // some tokens failed (illegal_tokens)
	CodeInvalidParameters  = "80100001" // some parameters are incorrect
	CodeSingleToken        = "80100002" // synchronous mode needs exactly one token
	CodeBadMessage         = "80100003" // incorrect message structure
	CodeBadTTL             = "80100004" // ttl earlier than now
	CodeBadCollapseKey     = "80100013" // collapse_key invalid
	CodeOAuthFailed        = "80200001" // access token not authenticated
	CodeOAuthExpired       = "80200003" // access token expired
	CodeNoPermission       = "80300002" // the app may not send messages
	CodeInvalidToken       = "80300007" // all tokens are invalid
	CodeTooLarge           = "80300008" // message body over 4096 bytes
	CodeTooManyTokens      = "80300010" // too many tokens
	CodeHighPriorityDenied = "80300011" // no permission for high-priority messages
	CodeOAuthServerFailed  = "80600003" // the OAuth service failed
	CodeInternalError      = "81000001" // Push Kit internal error
)

// MaxPayloadSize is Push Kit's message body limit.
const MaxPayloadSize = 4096

const tokenMargin = 5 * time.Minute

// Config configures a Client.
type Config struct {
	// ClientID and ClientSecret are the OAuth 2.0 client of the app in
	// AppGallery Connect (Project settings → App information); for Push Kit
	// the client id is the app id.
	ClientID, ClientSecret string
	// ProjectID selects /v2/{projectId}/messages:send; empty uses
	// /v1/{clientId}/messages:send.
	ProjectID string
	// BaseURL and TokenURL override Huawei's endpoints (tests).
	BaseURL, TokenURL string
	// HTTPClient sends the requests (default: a client with a timeout).
	HTTPClient *http.Client
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Client sends messages through Push Kit. It is safe for concurrent use.
type Client struct {
	clientID, secret string
	sendURL          string
	tokenURL         string
	hc               *http.Client
	now              func() time.Time
	tokens           *provider.TokenCache
}

// New validates cfg and returns a client.
func New(cfg Config) (*Client, error) {
	bad := func(problem string) error { return &provider.CredentialError{Provider: "hms", Problem: problem} }
	if strings.TrimSpace(cfg.ClientID) == "" {
		return nil, bad("the client id is empty")
	}
	if strings.TrimSpace(cfg.ClientSecret) == "" {
		return nil, bad("the client secret is empty")
	}
	c := &Client{clientID: cfg.ClientID, secret: cfg.ClientSecret, hc: cfg.HTTPClient, now: cfg.Now}
	base := strings.TrimRight(provider.FirstNonEmpty(cfg.BaseURL, DefaultBaseURL), "/")
	if cfg.ProjectID != "" {
		c.sendURL = base + "/v2/" + url.PathEscape(cfg.ProjectID) + "/messages:send"
	} else {
		c.sendURL = base + "/v1/" + url.PathEscape(cfg.ClientID) + "/messages:send"
	}
	c.tokenURL = provider.FirstNonEmpty(cfg.TokenURL, DefaultTokenURL)
	c.hc, c.now = provider.HTTPClient(c.hc), provider.Clock(c.now)
	c.tokens = provider.NewTokenCache(c.fetchToken, c.now, tokenMargin)
	return c, nil
}

func (c *Client) fetchToken(ctx context.Context) (provider.Token, error) {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.clientID}, "client_secret": {c.secret}}
	return provider.FetchOAuthToken(ctx, c.hc, "hms", c.tokenURL, form, c.now())
}

// Send implements provider.Sender.
func (c *Client) Send(ctx context.Context, t provider.Target, m provider.Message) (provider.Result, error) {
	body, err := Body(t, m, c.now())
	if err != nil {
		return provider.Result{Outcome: provider.Failed, Reason: err.Error()}, err
	}
	if t.Token == "" {
		return provider.Result{Outcome: provider.InvalidToken, Reason: CodeInvalidToken}, nil
	}
	res, tok, authRefused := c.post(ctx, body)
	if authRefused {
		c.tokens.Invalidate(tok)
		res, _, _ = c.post(ctx, body)
	}
	return res, nil
}

func (c *Client) post(ctx context.Context, body []byte) (provider.Result, string, bool) {
	tok, err := c.tokens.Token(ctx)
	if err != nil {
		var te *provider.TokenError
		if errors.As(err, &te) {
			return te.Result(), "", false
		}
		return provider.Result{Outcome: provider.Transient, Reason: "access token: unavailable"}, "", false
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.sendURL, bytes.NewReader(body))
	if err != nil {
		return provider.Result{Outcome: provider.Failed, Reason: "bad endpoint"}, tok, false
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json;charset=utf-8")
	resp, err := c.hc.Do(req)
	if err != nil {
		return provider.TransportFailure(ctx, err), tok, false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	res, code := classify(resp, b, c.now())
	authRefused := resp.StatusCode == http.StatusUnauthorized || code == CodeOAuthFailed || code == CodeOAuthExpired
	return res, tok, authRefused
}

func classify(resp *http.Response, body []byte, now time.Time) (provider.Result, string) {
	var ans struct {
		Code      string `json:"code"`
		Msg       string `json:"msg"`
		RequestID string `json:"requestId"`
	}
	_ = json.Unmarshal(body, &ans)
	res := provider.Result{StatusCode: resp.StatusCode}
	if resp.StatusCode == http.StatusOK && ans.Code == CodeSuccess {
		res.Outcome, res.ID = provider.Delivered, ans.RequestID
		return res, ans.Code
	}
	res.Reason = strings.TrimSpace(ans.Code + " " + ans.Msg)
	if res.Reason == "" {
		res.Reason = http.StatusText(resp.StatusCode)
	}
	switch {
	case ans.Code == CodeInvalidToken, ans.Code == CodePartialSuccess:
		// One token per request: "some failed" means this one did.
		res.Outcome = provider.InvalidToken
	case ans.Code == CodeInternalError, ans.Code == CodeOAuthServerFailed, provider.IsTransientStatus(resp.StatusCode):
		res.Outcome = provider.Transient
		res.RetryAfter = provider.ParseRetryAfter(resp.Header.Get("Retry-After"), now)
	default:
		res.Outcome = provider.Failed
	}
	return res, ans.Code
}

// Body returns the messages:send request body for m to t: the FCM mapping
// of api.md §4.2 in Push Kit's format (data as a JSON string, the token
// in a list, collapse_key an integer, a click action opening the app).
func Body(t provider.Target, m provider.Message, now time.Time) ([]byte, error) {
	android := map[string]any{}
	if m.Priority == provider.PriorityNormal {
		android["urgency"] = "NORMAL"
	} else {
		android["urgency"] = "HIGH"
	}
	if ck, err := strconv.Atoi(m.CollapseKey); err == nil && ck >= -1 && ck <= 100 {
		android["collapse_key"] = ck
	}
	if !m.ValidUntil.IsZero() {
		android["ttl"] = provider.TTL(m.ValidUntil, now)
	}
	msg := map[string]any{"token": []string{t.Token}}
	size := 0
	if !m.Silent {
		n := map[string]any{"click_action": map[string]any{"type": 3}}
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
			n["badge"] = map[string]any{"set_num": *m.Badge}
		}
		android["notification"] = n
		nb, err := json.Marshal(n)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", provider.ErrInvalidMessage, err)
		}
		size += len(nb)
	}
	msg["android"] = android
	if len(m.Extras) > 0 {
		data, err := json.Marshal(m.Extras)
		if err != nil {
			return nil, fmt.Errorf("%w: extras are not JSON: %v", provider.ErrInvalidMessage, err)
		}
		msg["data"] = string(data)
		size += len(data)
	}
	if size > MaxPayloadSize {
		return nil, fmt.Errorf("%w: the HMS payload is %d bytes, at most %d", provider.ErrPayloadTooLarge, size, MaxPayloadSize)
	}
	b, err := json.Marshal(map[string]any{"validate_only": false, "message": msg})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", provider.ErrInvalidMessage, err)
	}
	return b, nil
}

func setStr(m map[string]any, k, v string) {
	if v != "" {
		m[k] = v
	}
}
