package client

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/mauth/mauth/protocol"
)

// ActivationDetail is the activation's id and name as the server keeps them.
type ActivationDetail struct {
	ActivationID   string `json:"activationId"`
	ActivationName string `json:"activationName"`
}

// Rename renames the activation on the server (/pa/v3/activation/rename:
// a possession_knowledge or possession_biometry signature over an
// activation-scope encrypted body) and returns the stored detail.
func (c *Client) Rename(ctx context.Context, d *Device, f Factors, name string) (*ActivationDetail, error) {
	body, err := json.Marshal(map[string]string{"activationName": name})
	if err != nil {
		return nil, fmt.Errorf("client: encode request: %w", err)
	}
	pt, err := c.signedEncrypted(ctx, d, f, "/pa/v3/activation/rename", "/pa/activation/rename", protocol.SharedInfo1GenericActivation, body)
	if err != nil {
		return nil, err
	}
	var out ActivationDetail
	if err := decodeResponseObject(pt, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Detail fetches the activation's detail (/pa/v3/activation/detail: a MAC
// token created with possession_knowledge or possession_biometry, and an
// activation-scope encrypted body).
func (c *Client) Detail(ctx context.Context, d *Device, t *Token) (*ActivationDetail, error) {
	if d == nil || d.ActivationID == "" {
		return nil, ErrNotActivated
	}
	pt, err := c.encryptedCall(ctx, d, "/pa/v3/activation/detail", []byte("{}"), map[string]string{protocol.HeaderToken: c.TokenHeader(t)})
	if err != nil {
		return nil, err
	}
	var out ActivationDetail
	if err := decodeResponseObject(pt, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
