package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/mauth/mauth/protocol"
)

// Factors selects the signature factors; PIN is needed for knowledge.
type Factors struct {
	Type protocol.SignatureType
	PIN  string
}

// Possession is the one-factor selection.
var Possession = Factors{Type: protocol.SignaturePossession}

// PossessionKnowledge is the usual two-factor selection with a PIN.
func PossessionKnowledge(pin string) Factors {
	return Factors{Type: protocol.SignaturePossessionKnowledge, PIN: pin}
}

// PossessionBiometry is the two-factor selection with biometry.
var PossessionBiometry = Factors{Type: protocol.SignaturePossessionBiometry}

// SignatureHeader computes X-PowerAuth-Authorization for a request. uriID
// is the logical resource id (e.g. "/pa/signature/validate"); body is the
// exact request body (for GET and DELETE pass the canonical query, see
// protocol.CanonicalQuery). The device counter advances even if the
// request later fails, as in the mobile SDKs: save the device afterwards.
func (c *Client) SignatureHeader(d *Device, f Factors, method, uriID string, body []byte) (string, error) {
	if d == nil || d.ActivationID == "" {
		return "", ErrNotActivated
	}
	ks, err := d.keysWith(f, c.cfg.PINKey)
	if err != nil {
		return "", err
	}
	nonce := protocol.RandomBytes(16)
	data := protocol.SignatureData(protocol.RequestData(method, uriID, nonce, body), c.cfg.ApplicationSecret)
	ctr := d.nextSignatureCounter()
	sig, err := protocol.ComputeSignature(ks, f.Type, ctr, data, protocol.SignatureFormatForVersion(c.cfg.Version), protocol.OnlineDecimalLength)
	if err != nil {
		return "", err
	}
	h := protocol.AuthorizationHeader{
		Version:        c.cfg.Version,
		ActivationID:   d.ActivationID,
		ApplicationKey: c.cfg.ApplicationKey,
		Nonce:          b64(nonce),
		SignatureType:  f.Type,
		Signature:      sig,
	}
	return h.String(), nil
}

// SignedRequest sends a signed request to path (method POST, PUT, DELETE
// or GET; for GET and DELETE the query parameters are signed) and returns
// the response body.
func (c *Client) SignedRequest(ctx context.Context, d *Device, f Factors, method, path, uriID string, query url.Values, body []byte) ([]byte, error) {
	signed := body
	if method == http.MethodGet || method == http.MethodDelete {
		signed = []byte(protocol.CanonicalQuery(query))
	}
	hdr, err := c.SignatureHeader(d, f, method, uriID, signed)
	if err != nil {
		return nil, err
	}
	if err := c.beforeSend(ctx, d); err != nil {
		return nil, err
	}
	if len(query) > 0 {
		path += "?" + query.Encode()
	}
	return c.do(ctx, request{path: path, method: method, body: body, headers: map[string]string{protocol.HeaderAuthorization: hdr}})
}

// ValidateSignature calls /pa/v3/signature/validate with a signed body.
func (c *Client) ValidateSignature(ctx context.Context, d *Device, f Factors, body []byte) error {
	_, err := c.SignedRequest(ctx, d, f, http.MethodPost, "/pa/v3/signature/validate", "/pa/signature/validate", nil, body)
	return err
}

// signedEncrypted sends an activation-scope encrypted body, signed over
// the encrypted bytes (encrypt-then-sign), and returns the decrypted response.
func (c *Client) signedEncrypted(ctx context.Context, d *Device, f Factors, path, uriID, sh1 string, plaintext []byte) ([]byte, error) {
	req, env, err := c.encrypt(ctx, d, sh1, plaintext)
	if err != nil {
		return nil, err
	}
	body, err := req.Marshal()
	if err != nil {
		return nil, fmt.Errorf("client: encode request: %w", err)
	}
	hdr, err := c.SignatureHeader(d, f, http.MethodPost, uriID, body)
	if err != nil {
		return nil, err
	}
	if err := c.beforeSend(ctx, d); err != nil {
		return nil, err
	}
	raw, err := c.do(ctx, request{path: path, body: body, headers: map[string]string{protocol.HeaderAuthorization: hdr}})
	if err != nil {
		return nil, err
	}
	return c.decrypt(env, raw)
}

// Remove removes the activation on the server (signed, normally 2FA).
func (c *Client) Remove(ctx context.Context, d *Device, f Factors) error {
	raw, err := c.SignedRequest(ctx, d, f, http.MethodPost, "/pa/v3/activation/remove", "/pa/activation/remove", nil, []byte("{}"))
	if err != nil {
		return err
	}
	var out struct {
		ActivationID string `json:"activationId"`
	}
	if err := decodeResponseObject(raw, &out); err != nil {
		return err
	}
	if out.ActivationID != d.ActivationID {
		return fmt.Errorf("client: server removed activation %q, not %q", out.ActivationID, d.ActivationID)
	}
	return nil
}

// EncryptedCall sends an activation-scope (d != nil) or application-scope
// (d == nil) encrypted request with the X-PowerAuth-Encryption header to a
// custom endpoint and returns the decrypted response.
func (c *Client) EncryptedCall(ctx context.Context, d *Device, path string, plaintext []byte) ([]byte, error) {
	return c.encryptedCall(ctx, d, path, plaintext, nil)
}

// encryptedCall is EncryptedCall with extra request headers (for example
// a MAC token).
func (c *Client) encryptedCall(ctx context.Context, d *Device, path string, plaintext []byte, extra map[string]string) ([]byte, error) {
	sh1 := protocol.SharedInfo1GenericApplication
	if d != nil {
		sh1 = protocol.SharedInfo1GenericActivation
	}
	req, env, err := c.encrypt(ctx, d, sh1, plaintext)
	if err != nil {
		return nil, err
	}
	body, err := req.Marshal()
	if err != nil {
		return nil, fmt.Errorf("client: encode request: %w", err)
	}
	headers := map[string]string{protocol.HeaderEncryption: c.encryptionHeader(d)}
	for k, v := range extra {
		headers[k] = v
	}
	raw, err := c.do(ctx, request{path: path, body: body, headers: headers})
	if err != nil {
		return nil, err
	}
	return c.decrypt(env, raw)
}

// UserInfo calls /pa/v3/user/info (activation-scope encrypted) and returns the claims.
func (c *Client) UserInfo(ctx context.Context, d *Device) (map[string]any, error) {
	pt, err := c.EncryptedCall(ctx, d, "/pa/v3/user/info", []byte("{}"))
	if err != nil {
		return nil, err
	}
	var out map[string]any
	if err := json.Unmarshal(pt, &out); err != nil {
		return nil, fmt.Errorf("client: decode user info: %w", err)
	}
	return out, nil
}
