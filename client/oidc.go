package client

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/mauth/mauth/protocol"
	"github.com/mauth/mauth/wire"
)

// OIDCConfig is the public configuration of an OpenID provider (one
// definition in package wire).
type OIDCConfig = wire.OIDCConfig

// OIDCIdentity are the identity attributes of an OIDC activation.
type OIDCIdentity = wire.OIDCIdentity

// OIDCConfig fetches the configuration of the application's OpenID
// provider providerID (/api/config/oidc, application-scope encryption):
// what the app needs to send the user to the provider's sign-in.
func (c *Client) OIDCConfig(ctx context.Context, providerID string) (*OIDCConfig, error) {
	plain, err := json.Marshal(wire.OIDCConfigRequest{ProviderID: providerID})
	if err != nil {
		return nil, fmt.Errorf("client: encode oidc config request: %w", err)
	}
	req, env, err := c.encrypt(ctx, nil, protocol.SharedInfo1GenericApplication, plain)
	if err != nil {
		return nil, err
	}
	body, err := req.Marshal()
	if err != nil {
		return nil, fmt.Errorf("client: encode oidc config request: %w", err)
	}
	raw, err := c.do(ctx, request{path: wire.OIDCConfigPath, body: body, headers: map[string]string{protocol.HeaderEncryption: c.encryptionHeader(nil)}})
	if err != nil {
		return nil, err
	}
	resp, err := c.decrypt(env, raw)
	if err != nil {
		return nil, err
	}
	var out OIDCConfig
	if err := decodeResponseObject(resp, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ActivateWithOIDC activates with an authorization code of the
// application's OpenID provider (a DIRECT activation with identity method
// "oidc"): the server exchanges the code, verifies the ID token and
// activates for the user it names.
func (c *Client) ActivateWithOIDC(ctx context.Context, id OIDCIdentity, pin string, opts ActivationOptions) (*ActivationResult, error) {
	attrs := map[string]any{"method": "oidc", "providerId": id.ProviderID, "code": id.Code, "nonce": id.Nonce}
	if id.CodeVerifier != "" {
		attrs["codeVerifier"] = id.CodeVerifier
	}
	return c.activate(ctx, "DIRECT", attrs, pin, opts)
}
