// Package client is a Go device client for the PowerAuth protocol 3.1–3.3:
// it does what a phone's mobile SDK does — activation (by code, custom
// credentials or recovery code), status with counter synchronisation,
// multi-factor signatures, MAC tokens, vault unlock and end-to-end
// encrypted calls — against any server speaking the Standard RESTful API
// (/pa/v3/…). It is built on the protocol package and keeps its state in a
// Device that serialises to a file.
package client

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/mauth/mauth/protocol"
)

// Config identifies the server and the application version.
type Config struct {
	// BaseURL is the server's public URL, e.g. http://localhost:8080.
	BaseURL string
	// ApplicationKey and ApplicationSecret are the version's Base64 credentials.
	ApplicationKey    string
	ApplicationSecret string
	// MasterPublicKey is the application's master server public key.
	MasterPublicKey []byte
	// Version is the protocol version spoken: "3.1", "3.2" or "3.3" (default 3.3).
	Version string
	// HTTPClient is used for requests (default http.DefaultClient).
	HTTPClient *http.Client
	// Now is the clock (default time.Now); the client corrects it by the
	// server time it learns from temporary-key responses.
	Now func() time.Time
	// BeforeSignedRequest, when set, is called after a signature advanced
	// the device counter and before the signed request is sent, so that a
	// caller can store the advanced state first (a device must never
	// reuse a counter the server may have seen). An error aborts the
	// request before anything is sent.
	BeforeSignedRequest func(ctx context.Context, d *Device) error
	// PINKey, when set, supplies the key that wraps a device's knowledge
	// key for a PIN (what DerivePINKey(pin, d.PINSalt) returns) instead of
	// deriving it on every knowledge-factor signature, so that a caller
	// can keep derived keys in memory. It must return the key of exactly
	// that PIN: a key of another PIN unwraps a wrong knowledge key.
	PINKey func(d *Device, pin string) ([]byte, error)
}

// FromSDKConfig fills the application fields from a mobile SDK configuration string.
func (c *Config) FromSDKConfig(s string) error {
	sc, err := protocol.ParseSDKConfig(s)
	if err != nil {
		return err
	}
	c.ApplicationKey = base64.StdEncoding.EncodeToString(sc.ApplicationKey)
	c.ApplicationSecret = base64.StdEncoding.EncodeToString(sc.ApplicationSecret)
	c.MasterPublicKey = sc.MasterPublicKey
	return nil
}

// Client talks to a server on behalf of one device.
type Client struct {
	cfg    Config
	master *protocol.PublicKey

	mu         sync.Mutex
	timeOffset time.Duration
	tempKeys   map[string]*protocol.TemporaryKeyResponseClaims // by activation id ("" = application scope)
}

// New validates the configuration and returns a client.
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" || cfg.ApplicationKey == "" || cfg.ApplicationSecret == "" {
		return nil, errors.New("client: base URL, application key and application secret are required")
	}
	if cfg.Version == "" {
		cfg.Version = protocol.Version33
	}
	if cfg.Version != protocol.Version31 && cfg.Version != protocol.Version32 && cfg.Version != protocol.Version33 {
		return nil, fmt.Errorf("client: unsupported protocol version %q", cfg.Version)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	master, err := protocol.ParsePublicKey(cfg.MasterPublicKey)
	if err != nil {
		return nil, fmt.Errorf("client: master public key: %w", err)
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	return &Client{cfg: cfg, master: master, tempKeys: map[string]*protocol.TemporaryKeyResponseClaims{}}, nil
}

// Version returns the protocol version the client speaks.
func (c *Client) Version() string { return c.cfg.Version }

// now is the client clock corrected by the server time offset.
func (c *Client) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cfg.Now().Add(c.timeOffset)
}

// beforeSend runs the BeforeSignedRequest hook.
func (c *Client) beforeSend(ctx context.Context, d *Device) error {
	if c.cfg.BeforeSignedRequest == nil {
		return nil
	}
	if err := c.cfg.BeforeSignedRequest(ctx, d); err != nil {
		return fmt.Errorf("client: before signed request: %w", err)
	}
	return nil
}

// APIError is an error answer of the server.
type APIError struct {
	HTTPStatus int
	Code       string
	Message    string
	// CurrentRecoveryPukIndex is set on ERR_RECOVERY answers.
	CurrentRecoveryPukIndex *int
}

func (e *APIError) Error() string {
	return fmt.Sprintf("server answered HTTP %d %s: %s", e.HTTPStatus, e.Code, e.Message)
}

// request is one HTTP call.
type request struct {
	path    string
	method  string
	body    []byte
	headers map[string]string
}

// do sends a request and returns the response body of a 2xx answer;
// other answers become *APIError.
func (c *Client) do(ctx context.Context, r request) ([]byte, error) {
	method := r.method
	if method == "" {
		method = http.MethodPost
	}
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.cfg.BaseURL+r.path, body)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	for k, v := range r.headers {
		req.Header.Set(k, v)
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("client: %s %s: %w", method, r.path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("client: read response: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		apiErr := &APIError{HTTPStatus: resp.StatusCode}
		var env struct {
			ResponseObject struct {
				Code                    string `json:"code"`
				Message                 string `json:"message"`
				CurrentRecoveryPukIndex *int   `json:"currentRecoveryPukIndex"`
			} `json:"responseObject"`
		}
		if json.Unmarshal(raw, &env) == nil {
			apiErr.Code, apiErr.Message = env.ResponseObject.Code, env.ResponseObject.Message
			apiErr.CurrentRecoveryPukIndex = env.ResponseObject.CurrentRecoveryPukIndex
		}
		return nil, apiErr
	}
	return raw, nil
}

// postObject sends {"requestObject": reqObj} and decodes responseObject into out.
func (c *Client) postObject(ctx context.Context, path string, headers map[string]string, reqObj, out any) error {
	body, err := json.Marshal(map[string]any{"requestObject": reqObj})
	if err != nil {
		return fmt.Errorf("client: encode request: %w", err)
	}
	raw, err := c.do(ctx, request{path: path, body: body, headers: headers})
	if err != nil {
		return err
	}
	return decodeResponseObject(raw, out)
}

func decodeResponseObject(raw []byte, out any) error {
	var env struct {
		Status         string          `json:"status"`
		ResponseObject json.RawMessage `json:"responseObject"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return fmt.Errorf("client: response is not JSON: %w", err)
	}
	if env.Status != "OK" {
		return fmt.Errorf("client: response status %q", env.Status)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(env.ResponseObject, out); err != nil {
		return fmt.Errorf("client: decode response: %w", err)
	}
	return nil
}

// ServerTime asks the server for its time (/pa/v3/status) and remembers
// the offset so that ECIES timestamps follow the server clock.
func (c *Client) ServerTime(ctx context.Context) (time.Time, error) {
	var out struct {
		ServerTime int64 `json:"serverTime"`
	}
	if err := c.postObject(ctx, "/pa/v3/status", nil, struct{}{}, &out); err != nil {
		return time.Time{}, err
	}
	st := time.UnixMilli(out.ServerTime)
	c.mu.Lock()
	c.timeOffset = st.Sub(c.cfg.Now())
	c.mu.Unlock()
	return st, nil
}

// temporaryKey returns a valid 3.3 temporary encryption key of the scope
// (activationID "" = application scope), fetching one when needed.
func (c *Client) temporaryKey(ctx context.Context, d *Device) (*protocol.TemporaryKeyResponseClaims, error) {
	actID := ""
	var transport []byte
	verifier := c.master
	if d != nil {
		actID, transport = d.ActivationID, d.TransportKey
		var err error
		if verifier, err = protocol.ParsePublicKey(d.ServerPublicKey); err != nil {
			return nil, fmt.Errorf("client: server public key: %w", err)
		}
	}
	c.mu.Lock()
	k := c.tempKeys[actID]
	c.mu.Unlock()
	// Keep a margin so that a key does not expire in flight.
	if k != nil && c.now().Add(10*time.Second).Before(k.ExpiresAt) {
		return k, nil
	}
	jwt, challenge, err := protocol.BuildTemporaryKeyRequest(c.cfg.ApplicationKey, c.cfg.ApplicationSecret, actID, transport)
	if err != nil {
		return nil, err
	}
	var out struct {
		JWT string `json:"jwt"`
	}
	if err := c.postObject(ctx, "/pa/v3/keystore/create", nil, map[string]string{"jwt": jwt}, &out); err != nil {
		return nil, err
	}
	claims, err := protocol.ParseTemporaryKeyResponse(out.JWT, verifier)
	if err != nil {
		return nil, fmt.Errorf("client: temporary key response: %w", err)
	}
	if err := claims.MatchesRequest(c.cfg.ApplicationKey, actID, challenge); err != nil {
		return nil, fmt.Errorf("client: temporary key response: %w", err)
	}
	c.mu.Lock()
	c.tempKeys[actID] = claims
	c.timeOffset = claims.IssuedAt.Sub(c.cfg.Now())
	c.mu.Unlock()
	return claims, nil
}

// encrypt builds an ECIES request for the scope: application scope when d
// is nil, activation scope otherwise.
func (c *Client) encrypt(ctx context.Context, d *Device, sh1 string, plaintext []byte) (*protocol.EncryptedRequest, *protocol.EciesEnvelope, error) {
	ectx := protocol.EciesContext{
		Version:           c.cfg.Version,
		SharedInfo1:       sh1,
		ApplicationKey:    c.cfg.ApplicationKey,
		ApplicationSecret: c.cfg.ApplicationSecret,
	}
	encKey := c.master
	if d != nil {
		ectx.ActivationID = d.ActivationID
		ectx.TransportKey = d.TransportKey
		var err error
		if encKey, err = protocol.ParsePublicKey(d.ServerPublicKey); err != nil {
			return nil, nil, fmt.Errorf("client: server public key: %w", err)
		}
	}
	if c.cfg.Version == protocol.Version33 {
		tk, err := c.temporaryKey(ctx, d)
		if err != nil {
			return nil, nil, err
		}
		ectx.TemporaryKeyID = tk.TemporaryKeyID
		encKey = tk.PublicKey
	}
	req, env, err := protocol.EncryptRequest(encKey, ectx, plaintext, c.now())
	if err != nil {
		return nil, nil, fmt.Errorf("client: encrypt: %w", err)
	}
	return req, env, nil
}

// decrypt opens an encrypted response body.
func (c *Client) decrypt(env *protocol.EciesEnvelope, body []byte) ([]byte, error) {
	resp, err := protocol.ParseEncryptedResponse(body, c.cfg.Version)
	if err != nil {
		return nil, fmt.Errorf("client: encrypted response: %w", err)
	}
	pt, err := env.DecryptResponse(resp)
	if err != nil {
		return nil, fmt.Errorf("client: decrypt response: %w", err)
	}
	return pt, nil
}

// encryptionHeader is X-PowerAuth-Encryption for a scope.
func (c *Client) encryptionHeader(d *Device) string {
	h := protocol.EncryptionHeader{ApplicationKey: c.cfg.ApplicationKey, Version: c.cfg.Version}
	if d != nil {
		h.ActivationID = d.ActivationID
	}
	return h.String()
}
