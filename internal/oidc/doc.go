// Package oidc is mauth's OpenID Connect vertical. Its first part is
// activation through a bank's identity provider (the DIRECT activation
// with identity attributes of method "oidc"): the application's
// oauth2_providers configuration names the provider, the device signs the
// user in at the provider (authorization code flow, PKCE when enabled) and
// hands mauth the authorization code, the nonce and the PKCE verifier;
// mauth exchanges the code at the provider's token endpoint with the
// client secret from the encrypted configuration, verifies the ID token
// (signature through the provider's JWKS with key rotation, pinned
// algorithms, issuer, audience, expiry and issue time with a small skew,
// nonce, at_hash) and maps its subject to the user of the new activation.
//
// The vertical reaches the core only through the ConfigSource port
// (internal/app adapts the core to it); the HTTP surfaces are
// internal/api/oidc (/api/config/oidc) and the public API's activation
// hook.
package oidc
