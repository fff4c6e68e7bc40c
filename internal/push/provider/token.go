package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Token is an access token and when it expires.
type Token struct {
	// Value is the bearer token (secret: never logged).
	Value string
	// Expiry is when it stops being valid.
	Expiry time.Time
}

// TokenCache hands out one access token until shortly before it expires,
// fetching a new one only then (or after Invalidate). Concurrent callers
// share one fetch.
type TokenCache struct {
	fetch  func(ctx context.Context) (Token, error)
	now    func() time.Time
	margin time.Duration

	mu  sync.Mutex
	tok Token
}

// NewTokenCache returns a cache over fetch; a token is replaced margin
// before its expiry. now defaults to time.Now.
func NewTokenCache(fetch func(ctx context.Context) (Token, error), now func() time.Time, margin time.Duration) *TokenCache {
	if now == nil {
		now = time.Now
	}
	return &TokenCache{fetch: fetch, now: now, margin: margin}
}

// Token returns a valid access token, fetching one when needed.
func (c *TokenCache) Token(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tok.Value != "" && c.now().Before(c.tok.Expiry.Add(-c.margin)) {
		return c.tok.Value, nil
	}
	t, err := c.fetch(ctx)
	if err != nil {
		return "", err
	}
	c.tok = t
	return t.Value, nil
}

// Invalidate drops the cached token when it is still value (the provider
// refused it), so the next Token call fetches a new one.
func (c *TokenCache) Invalidate(value string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tok.Value == value {
		c.tok = Token{}
	}
}

// TokenError is a failed access-token request. It names the endpoint's
// answer (status and OAuth error code), never the credentials.
type TokenError struct {
	// Provider is "fcm" or "hms".
	Provider string
	// StatusCode is the token endpoint's HTTP status; 0 without an answer.
	StatusCode int
	// Code is the OAuth error (or the provider's error number).
	Code string
	// Err is the transport error, if any.
	Err error
}

// Error implements error.
func (e *TokenError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s access token: %v", e.Provider, e.Err)
	}
	return fmt.Sprintf("%s access token: endpoint answered %d %s", e.Provider, e.StatusCode, e.Code)
}

// Unwrap returns the transport error.
func (e *TokenError) Unwrap() error { return e.Err }

// Transient tells whether asking again later may help: no answer, 429 or 5xx.
func (e *TokenError) Transient() bool {
	return e.Err != nil || IsTransientStatus(e.StatusCode)
}

// Result is the send Result of a message that could not get a token.
func (e *TokenError) Result() Result {
	if e.Transient() {
		return Result{Outcome: Transient, StatusCode: e.StatusCode, Reason: "access token: unavailable"}
	}
	return Result{Outcome: Failed, StatusCode: e.StatusCode, Reason: "access token refused: " + e.Code}
}

// FetchOAuthToken posts an OAuth2 token request (form) and reads the
// access_token / expires_in answer; now stamps the expiry.
func FetchOAuthToken(ctx context.Context, hc *http.Client, provider, endpoint string, form url.Values, now time.Time) (Token, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return Token{}, &TokenError{Provider: provider, Err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return Token{}, &TokenError{Provider: provider, Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return Token{}, &TokenError{Provider: provider, StatusCode: resp.StatusCode, Err: err}
	}
	var ans struct {
		AccessToken string          `json:"access_token"`
		ExpiresIn   int64           `json:"expires_in"`
		Error       json.RawMessage `json:"error"`
	}
	_ = json.Unmarshal(body, &ans)
	if resp.StatusCode != http.StatusOK || ans.AccessToken == "" {
		code := strings.Trim(string(ans.Error), `"`)
		if code == "" {
			code = "no access_token"
		}
		if len(code) > 64 {
			code = code[:64]
		}
		return Token{}, &TokenError{Provider: provider, StatusCode: resp.StatusCode, Code: code}
	}
	if ans.ExpiresIn <= 0 {
		ans.ExpiresIn = 3600
	}
	return Token{Value: ans.AccessToken, Expiry: now.Add(time.Duration(ans.ExpiresIn) * time.Second)}, nil
}
