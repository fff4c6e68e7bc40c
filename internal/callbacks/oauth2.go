package callbacks

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// maxTokenResponse bounds the token endpoint answer read.
const maxTokenResponse = 1 << 20

// tokenCache fetches OAuth 2.0 client-credentials access tokens (RFC 6749
// §4.4) and keeps them until shortly before they expire.
type tokenCache struct {
	client *http.Client
	now    func() time.Time
	mu     sync.Mutex
	tokens map[[32]byte]cachedToken
	// fetchMu serialises fetches so concurrent deliveries share one token.
	fetchMu sync.Mutex
}

type cachedToken struct {
	value   string
	expires time.Time
}

func newTokenCache(client *http.Client, now func() time.Time) *tokenCache {
	return &tokenCache{client: client, now: now, tokens: map[[32]byte]cachedToken{}}
}

// cacheKey identifies a token by everything that obtains it.
func cacheKey(cfg *OAuth2) [32]byte {
	secret := ""
	if cfg.ClientSecret != nil {
		secret = *cfg.ClientSecret
	}
	return sha256.Sum256([]byte(strings.Join([]string{cfg.TokenURI, cfg.ClientID, secret, cfg.Scope}, "\x00")))
}

// token returns a valid access token, from the cache when possible.
func (c *tokenCache) token(ctx context.Context, cfg *OAuth2) (string, error) {
	key := cacheKey(cfg)
	if v, ok := c.cached(key); ok {
		return v, nil
	}
	c.fetchMu.Lock()
	defer c.fetchMu.Unlock()
	if v, ok := c.cached(key); ok {
		return v, nil
	}
	value, lifetime, err := c.fetch(ctx, cfg)
	if err != nil {
		return "", err
	}
	if lifetime > 0 {
		// Renew a little early so a token never expires in flight.
		margin := min(lifetime/10, 30*time.Second)
		c.mu.Lock()
		c.tokens[key] = cachedToken{value: value, expires: c.now().Add(lifetime - margin)}
		c.mu.Unlock()
	}
	return value, nil
}

// cached returns the unexpired cached token of key.
func (c *tokenCache) cached(key [32]byte) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.tokens[key]
	if !ok || !c.now().Before(t.expires) {
		return "", false
	}
	return t.value, true
}

// invalidate drops the cached token (after the receiver refused it).
func (c *tokenCache) invalidate(cfg *OAuth2) {
	c.mu.Lock()
	delete(c.tokens, cacheKey(cfg))
	c.mu.Unlock()
}

// tokenResponse is the token endpoint's JSON answer.
type tokenResponse struct {
	AccessToken string          `json:"access_token"`
	TokenType   string          `json:"token_type"`
	ExpiresIn   json.RawMessage `json:"expires_in"`
}

// fetch requests a token with the client credentials grant, the client
// authenticating with HTTP Basic (RFC 6749 §2.3.1).
func (c *tokenCache) fetch(ctx context.Context, cfg *OAuth2) (string, time.Duration, error) {
	if cfg.TokenURI == "" || cfg.ClientID == "" {
		return "", 0, errors.New("oauth2: tokenUri and clientId are required")
	}
	form := url.Values{"grant_type": {"client_credentials"}}
	if cfg.Scope != "" {
		form.Set("scope", cfg.Scope)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.TokenURI, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, fmt.Errorf("oauth2: build token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	secret := ""
	if cfg.ClientSecret != nil {
		secret = *cfg.ClientSecret
	}
	req.SetBasicAuth(url.QueryEscape(cfg.ClientID), url.QueryEscape(secret))
	resp, err := c.client.Do(req)
	if err != nil {
		return "", 0, fmt.Errorf("oauth2: token request: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenResponse))
	if err != nil {
		return "", 0, fmt.Errorf("oauth2: read token response: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		return "", 0, fmt.Errorf("oauth2: token endpoint answered %d", resp.StatusCode)
	}
	var tr tokenResponse
	if err := json.Unmarshal(body, &tr); err != nil {
		return "", 0, fmt.Errorf("oauth2: decode token response: %w", err)
	}
	if tr.AccessToken == "" {
		return "", 0, errors.New("oauth2: token response without access_token")
	}
	if tr.TokenType != "" && !strings.EqualFold(tr.TokenType, "bearer") {
		return "", 0, fmt.Errorf("oauth2: unsupported token type %q", tr.TokenType)
	}
	var secs float64
	if len(tr.ExpiresIn) > 0 {
		// Some servers send the number as a string.
		raw := strings.Trim(string(tr.ExpiresIn), `"`)
		if err := json.Unmarshal([]byte(raw), &secs); err != nil || secs < 0 {
			secs = 0
		}
	}
	return tr.AccessToken, time.Duration(secs * float64(time.Second)), nil
}
