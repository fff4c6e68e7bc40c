package client

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/mauth/mauth/protocol"
)

// Token is a MAC token for X-PowerAuth-Token authentication.
type Token struct {
	ID     string `json:"tokenId"`
	Secret []byte `json:"tokenSecret"`
}

// CreateToken asks the server for a token, authorised by a signature of the factors.
func (c *Client) CreateToken(ctx context.Context, d *Device, f Factors) (*Token, error) {
	pt, err := c.signedEncrypted(ctx, d, f, "/pa/v3/token/create", "/pa/token/create", protocol.SharedInfo1TokenCreate, []byte("{}"))
	if err != nil {
		return nil, err
	}
	var out struct {
		TokenID     string `json:"tokenId"`
		TokenSecret string `json:"tokenSecret"`
	}
	if err := json.Unmarshal(pt, &out); err != nil {
		return nil, fmt.Errorf("client: decode token: %w", err)
	}
	secret, err := base64.StdEncoding.DecodeString(out.TokenSecret)
	if err != nil || len(secret) != protocol.TokenSecretSize {
		return nil, fmt.Errorf("client: invalid token secret")
	}
	return &Token{ID: out.TokenID, Secret: secret}, nil
}

// TokenHeader computes X-PowerAuth-Token for one request (fresh nonce and timestamp).
func (c *Client) TokenHeader(t *Token) string {
	return protocol.NewTokenHeader(t.ID, t.Secret, c.cfg.Version, c.now().UnixMilli()).String()
}

// RemoveToken removes a token on the server (signed).
func (c *Client) RemoveToken(ctx context.Context, d *Device, f Factors, tokenID string) error {
	body, err := json.Marshal(map[string]any{"requestObject": map[string]string{"tokenId": tokenID}})
	if err != nil {
		return fmt.Errorf("client: encode request: %w", err)
	}
	raw, err := c.SignedRequest(ctx, d, f, http.MethodPost, "/pa/v3/token/remove", "/pa/token/remove", nil, body)
	if err != nil {
		return err
	}
	var out struct {
		TokenID string `json:"tokenId"`
	}
	if err := decodeResponseObject(raw, &out); err != nil {
		return err
	}
	if out.TokenID != tokenID {
		return fmt.Errorf("client: server removed token %q, not %q", out.TokenID, tokenID)
	}
	return nil
}
