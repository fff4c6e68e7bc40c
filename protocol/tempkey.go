package protocol

import (
	"crypto/hmac"
	"encoding/base64"
	"fmt"
	"time"
)

// TemporaryKeyRequestHeader is the base64url JWS header of every temporary
// key request, {"alg":"HS256","typ":"JWT"}, as the mobile SDK sends it.
const TemporaryKeyRequestHeader = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"

// temporaryKeyResponseHeader is the base64url of {"alg":"ES256","typ":"JWT"}.
const temporaryKeyResponseHeader = "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9"

// TemporaryKeyValidity is the default lifetime of a temporary encryption key.
const TemporaryKeyValidity = 5 * time.Minute

// temporaryKeyChallengeSize is the number of random bytes in a request challenge.
const temporaryKeyChallengeSize = 18

// TemporaryKeyRequest holds the claims of a temporary key request JWT
// (3.3, POST /pa/v3/keystore/create). ActivationID is empty in application
// scope. A request returned by ParseTemporaryKeyRequest is not yet
// authenticated; call Verify with the key the claims select.
type TemporaryKeyRequest struct {
	// ApplicationKey is APP_KEY (Base64 text).
	ApplicationKey string `json:"applicationKey"`
	// ActivationID selects activation scope when not empty.
	ActivationID string `json:"activationId,omitempty"`
	// Challenge is the client's random challenge, echoed in the response.
	Challenge string `json:"challenge"`

	signingInput string
	signature    []byte
}

// Scope returns the scope the request asks for: activation scope if it
// names an activation, application scope otherwise.
func (r *TemporaryKeyRequest) Scope() EciesScope {
	if r.ActivationID != "" {
		return EciesScopeActivation
	}
	return EciesScopeApplication
}

// TemporaryKeyRequestKey returns the HS256 key of a temporary key request:
// the decoded 16-byte APP_SECRET in application scope (transportKey empty),
// KDF_INTERNAL(KEY_TRANSPORT, decoded APP_SECRET) in activation scope.
func TemporaryKeyRequestKey(appSecretB64 string, transportKey []byte) ([]byte, error) {
	secret, err := eciesDecodeB64(appSecretB64)
	if err != nil || len(secret) == 0 {
		return nil, fmt.Errorf("temporary key request key: %w: application secret must be non-empty Base64", ErrInvalidKeySize)
	}
	switch len(transportKey) {
	case 0:
		return secret, nil
	case KeySize:
		return KDFInternal(transportKey, secret), nil
	}
	return nil, fmt.Errorf("temporary key request key: transport key: %w: %d", ErrInvalidKeySize, len(transportKey))
}

// BuildTemporaryKeyRequest builds a signed temporary key request JWT (client
// side) with a fresh challenge (Base64 of 18 random bytes), which it also
// returns for checking the response. An empty activationID and transportKey
// select application scope; both must be given for activation scope.
func BuildTemporaryKeyRequest(appKey, appSecretB64, activationID string, transportKey []byte) (jwt, challenge string, err error) {
	if (activationID == "") != (len(transportKey) == 0) {
		return "", "", fmt.Errorf("%w: activation scope needs both an activation ID and a transport key", ErrTemporaryKeyMalformed)
	}
	key, err := TemporaryKeyRequestKey(appSecretB64, transportKey)
	if err != nil {
		return "", "", err
	}
	challenge = base64.StdEncoding.EncodeToString(RandomBytes(temporaryKeyChallengeSize))
	jwt, err = signTemporaryKeyRequest(TemporaryKeyRequest{ApplicationKey: appKey, ActivationID: activationID, Challenge: challenge}, key)
	if err != nil {
		return "", "", err
	}
	return jwt, challenge, nil
}

// signTemporaryKeyRequest serialises the claims and signs them with HS256.
func signTemporaryKeyRequest(claims TemporaryKeyRequest, key []byte) (string, error) {
	if claims.ApplicationKey == "" || claims.Challenge == "" {
		return "", fmt.Errorf("%w: application key and challenge are required", ErrTemporaryKeyMalformed)
	}
	payload, err := tempKeyMarshal(claims)
	if err != nil {
		return "", fmt.Errorf("temporary key request: %w", err)
	}
	input := TemporaryKeyRequestHeader + "." + tempKeyEncodeSegment(payload)
	return input + "." + tempKeyEncodeSegment(HMACSHA256(key, []byte(input))), nil
}

// ParseTemporaryKeyRequest parses an untrusted temporary key request JWT
// without verifying its signature (the claims select the key; see Verify).
// The header must be alg HS256 and typ JWT; applicationKey and challenge
// must be non-empty strings and activationId, if present and not null, a
// non-empty string. Errors wrap ErrTemporaryKeyMalformed or
// ErrTemporaryKeyAlgorithm.
func ParseTemporaryKeyRequest(jwt string) (*TemporaryKeyRequest, error) {
	jws, err := tempKeySplitJWS(jwt, jwsAlgHS256)
	if err != nil {
		return nil, err
	}
	if len(jws.signature) != 32 {
		return nil, fmt.Errorf("%w: HS256 signature must be 32 bytes, got %d", ErrTemporaryKeyMalformed, len(jws.signature))
	}
	m, err := eciesJSONObject(jws.payload)
	if err != nil {
		return nil, fmt.Errorf("%w: payload: %w", ErrTemporaryKeyMalformed, err)
	}
	r := &TemporaryKeyRequest{signingInput: jws.signingInput, signature: jws.signature}
	for _, c := range []struct {
		name     string
		dst      *string
		optional bool
	}{
		{"applicationKey", &r.ApplicationKey, false},
		{"activationId", &r.ActivationID, true},
		{"challenge", &r.Challenge, false},
	} {
		s, present, err := eciesJSONString(m, c.name)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrTemporaryKeyMalformed, err)
		}
		if !present && c.optional {
			continue
		}
		if s == "" {
			return nil, fmt.Errorf("%w: %s missing or empty", ErrTemporaryKeyMalformed, c.name)
		}
		*c.dst = s
	}
	return r, nil
}

// Verify checks the HS256 signature in constant time with the key from
// TemporaryKeyRequestKey for the scope the claims select.
func (r *TemporaryKeyRequest) Verify(key []byte) error {
	if len(key) == 0 || r.signingInput == "" {
		return ErrTemporaryKeySignature
	}
	if !hmac.Equal(HMACSHA256(key, []byte(r.signingInput)), r.signature) {
		return ErrTemporaryKeySignature
	}
	return nil
}
