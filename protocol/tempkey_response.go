package protocol

import (
	"encoding/base64"
	"fmt"
	"time"
)

// TemporaryKeyResponseClaims are the claims of the server's temporary key
// response JWT (ES256, signed with KEY_SERVER_MASTER_PRIVATE in application
// scope or KEY_SERVER_PRIVATE in activation scope).
type TemporaryKeyResponseClaims struct {
	// TemporaryKeyID is the key's ID (claim sub, a UUID); requests encrypted
	// with the key send it as temporaryKeyId.
	TemporaryKeyID string
	// ApplicationKey is echoed from the request.
	ApplicationKey string
	// ActivationID is echoed from the request (empty in application scope).
	ActivationID string
	// Challenge is echoed from the request.
	Challenge string
	// PublicKey is the temporary ECIES public key (claim publicKey, Base64
	// of the 65-byte uncompressed point).
	PublicKey *PublicKey
	// IssuedAt is the issue time (claims iat in s and iat_ms in ms).
	IssuedAt time.Time
	// ExpiresAt is the expiry time (claims exp in s and exp_ms in ms).
	ExpiresAt time.Time
}

// temporaryKeyResponsePayload is the wire form of TemporaryKeyResponseClaims.
type temporaryKeyResponsePayload struct {
	Sub            string `json:"sub"`
	ApplicationKey string `json:"applicationKey"`
	ActivationID   string `json:"activationId,omitempty"`
	Challenge      string `json:"challenge"`
	PublicKey      string `json:"publicKey"`
	Iat            int64  `json:"iat"`
	Exp            int64  `json:"exp"`
	IatMs          int64  `json:"iat_ms"`
	ExpMs          int64  `json:"exp_ms"`
}

// Expired reports whether the key has expired at now.
func (c *TemporaryKeyResponseClaims) Expired(now time.Time) bool { return !now.Before(c.ExpiresAt) }

// MatchesRequest checks that the claims echo the request's application key,
// activation ID (empty in application scope) and challenge (client side).
func (c *TemporaryKeyResponseClaims) MatchesRequest(appKey, activationID, challenge string) error {
	switch {
	case c.ApplicationKey != appKey:
		return fmt.Errorf("%w: applicationKey", ErrTemporaryKeyMismatch)
	case c.ActivationID != activationID:
		return fmt.Errorf("%w: activationId", ErrTemporaryKeyMismatch)
	case c.Challenge != challenge:
		return fmt.Errorf("%w: challenge", ErrTemporaryKeyMismatch)
	}
	return nil
}

func (c *TemporaryKeyResponseClaims) validate() error {
	switch {
	case !eciesValidUUID(c.TemporaryKeyID):
		return fmt.Errorf("%w: sub must be a UUID", ErrTemporaryKeyMalformed)
	case c.ApplicationKey == "":
		return fmt.Errorf("%w: applicationKey missing or empty", ErrTemporaryKeyMalformed)
	case c.Challenge == "":
		return fmt.Errorf("%w: challenge missing or empty", ErrTemporaryKeyMalformed)
	case c.PublicKey == nil:
		return fmt.Errorf("%w: publicKey missing", ErrTemporaryKeyMalformed)
	case c.IssuedAt.UnixMilli() <= 0:
		return fmt.Errorf("%w: iat_ms must be positive", ErrTemporaryKeyMalformed)
	case c.ExpiresAt.UnixMilli() <= c.IssuedAt.UnixMilli():
		return fmt.Errorf("%w: exp_ms must be after iat_ms", ErrTemporaryKeyMalformed)
	}
	return nil
}

// BuildTemporaryKeyResponse builds the ES256-signed response JWT (server
// side). The times are emitted in seconds (iat, exp) and milliseconds
// (iat_ms, exp_ms); the public key as Base64 of its uncompressed point.
func BuildTemporaryKeyResponse(signer *PrivateKey, claims TemporaryKeyResponseClaims) (string, error) {
	if signer == nil {
		return "", fmt.Errorf("temporary key response: missing signing key")
	}
	if err := claims.validate(); err != nil {
		return "", err
	}
	iat, exp := claims.IssuedAt.UnixMilli(), claims.ExpiresAt.UnixMilli()
	payload, err := tempKeyMarshal(temporaryKeyResponsePayload{
		Sub:            claims.TemporaryKeyID,
		ApplicationKey: claims.ApplicationKey,
		ActivationID:   claims.ActivationID,
		Challenge:      claims.Challenge,
		PublicKey:      base64.StdEncoding.EncodeToString(claims.PublicKey.Uncompressed()),
		Iat:            iat / 1000,
		Exp:            exp / 1000,
		IatMs:          iat,
		ExpMs:          exp,
	})
	if err != nil {
		return "", fmt.Errorf("temporary key response: %w", err)
	}
	input := temporaryKeyResponseHeader + "." + tempKeyEncodeSegment(payload)
	sig, err := signer.SignJOSE([]byte(input))
	if err != nil {
		return "", fmt.Errorf("temporary key response: %w", err)
	}
	return input + "." + tempKeyEncodeSegment(sig), nil
}

// ParseTemporaryKeyResponse verifies and parses the server's response JWT
// (client side). The header must be alg ES256 and typ JWT, the signature a
// 64-byte JOSE r||s signature by verifier (the master server public key in
// application scope, the server activation public key in activation scope).
// The claims are decoded only after the signature verifies. The caller then
// checks MatchesRequest and Expired.
func ParseTemporaryKeyResponse(jwt string, verifier *PublicKey) (*TemporaryKeyResponseClaims, error) {
	if verifier == nil {
		return nil, fmt.Errorf("temporary key response: missing verification key")
	}
	jws, err := tempKeySplitJWS(jwt, jwsAlgES256)
	if err != nil {
		return nil, err
	}
	if len(jws.signature) != 64 {
		return nil, fmt.Errorf("%w: ES256 signature must be 64 bytes, got %d", ErrTemporaryKeyMalformed, len(jws.signature))
	}
	if !verifier.VerifyJOSE([]byte(jws.signingInput), jws.signature) {
		return nil, ErrTemporaryKeySignature
	}
	return parseTemporaryKeyResponseClaims(jws.payload)
}

// parseTemporaryKeyResponseClaims decodes and validates the payload claims.
func parseTemporaryKeyResponseClaims(payload []byte) (*TemporaryKeyResponseClaims, error) {
	m, err := eciesJSONObject(payload)
	if err != nil {
		return nil, fmt.Errorf("%w: payload: %w", ErrTemporaryKeyMalformed, err)
	}
	var c TemporaryKeyResponseClaims
	for _, s := range []struct {
		name string
		dst  *string
	}{
		{"sub", &c.TemporaryKeyID},
		{"applicationKey", &c.ApplicationKey},
		{"activationId", &c.ActivationID},
		{"challenge", &c.Challenge},
	} {
		if *s.dst, _, err = eciesJSONString(m, s.name); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrTemporaryKeyMalformed, err)
		}
	}
	pub, present, err := eciesJSONString(m, "publicKey")
	if err != nil || !present {
		return nil, fmt.Errorf("%w: publicKey missing or not a string", ErrTemporaryKeyMalformed)
	}
	pubBytes, err := eciesDecodeB64(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: publicKey: %w", ErrTemporaryKeyMalformed, err)
	}
	if c.PublicKey, err = ParsePublicKey(pubBytes); err != nil {
		return nil, fmt.Errorf("%w: publicKey: %w", ErrTemporaryKeyMalformed, err)
	}
	var ms [2]int64
	for i, name := range []string{"iat_ms", "exp_ms"} {
		n, present, err := eciesJSONInt(m, name)
		if err != nil || !present {
			return nil, fmt.Errorf("%w: %s missing or not an integer", ErrTemporaryKeyMalformed, name)
		}
		ms[i] = n
	}
	for _, name := range []string{"iat", "exp"} {
		if _, _, err := eciesJSONInt(m, name); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrTemporaryKeyMalformed, err)
		}
	}
	c.IssuedAt, c.ExpiresAt = time.UnixMilli(ms[0]), time.UnixMilli(ms[1])
	if err := c.validate(); err != nil {
		return nil, err
	}
	return &c, nil
}
