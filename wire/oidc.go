package wire

// OIDCConfigPath is the path of the OIDC provider configuration
// (application-scope ECIES).
const OIDCConfigPath = "/api/config/oidc"

// OIDCConfigRequest is the decrypted body of /api/config/oidc (no
// requestObject wrapper).
type OIDCConfigRequest struct {
	// ProviderID names an entry of the application's oauth2_providers.
	ProviderID string `json:"providerId"`
}

// OIDCConfig is the response object of /api/config/oidc: the public part
// of a provider's configuration, what the app needs to start the sign-in.
type OIDCConfig struct {
	ProviderID string `json:"providerId"`
	ClientID   string `json:"clientId"`
	// Scopes is one space-separated string (for example "openid").
	Scopes string `json:"scopes"`
	// AuthorizeURI is the provider's authorization endpoint.
	AuthorizeURI string `json:"authorizeUri"`
	// RedirectURI is where the provider sends the code (the app's deep link).
	RedirectURI string `json:"redirectUri"`
	// PKCEEnabled means the app must use PKCE (S256) and send codeVerifier.
	PKCEEnabled bool `json:"pkceEnabled"`
}

// OIDCIdentity are the identity attributes of an OIDC activation (a
// DIRECT activation with method "oidc").
type OIDCIdentity struct {
	ProviderID string
	// Code is the authorization code the provider redirected with.
	Code string
	// Nonce is the nonce of the authorization request.
	Nonce string
	// CodeVerifier is the PKCE verifier (when the provider uses PKCE).
	CodeVerifier string
}
