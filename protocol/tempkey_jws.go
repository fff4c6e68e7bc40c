package protocol

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Errors returned by the temporary-key JWT code.
var (
	// ErrTemporaryKeyMalformed means a JWT or its claims are structurally invalid.
	ErrTemporaryKeyMalformed = errors.New("protocol: malformed temporary key JWT")
	// ErrTemporaryKeyAlgorithm means the JWT header names another algorithm
	// or type than the one pinned for it (including "none").
	ErrTemporaryKeyAlgorithm = errors.New("protocol: unexpected temporary key JWT algorithm")
	// ErrTemporaryKeySignature means the JWT signature did not verify.
	ErrTemporaryKeySignature = errors.New("protocol: invalid temporary key JWT signature")
	// ErrTemporaryKeyMismatch means the response claims do not echo the request.
	ErrTemporaryKeyMismatch = errors.New("protocol: temporary key response does not match the request")
)

// JWS algorithms used by the temporary-key JWTs.
const (
	jwsAlgHS256 = "HS256"
	jwsAlgES256 = "ES256"
	// tempKeyMaxJWTLength bounds the size of a JWT we are willing to parse.
	tempKeyMaxJWTLength = 8192
)

// tempKeyJWS is a compact JWS split into its parts, before signature checks.
type tempKeyJWS struct {
	signingInput string // header "." payload, exactly as received
	payload      []byte // decoded payload
	signature    []byte // decoded signature
}

// tempKeySplitJWS splits a compact JWS, decodes its segments and checks that
// the header pins alg to wantAlg and typ to JWT. Unsigned tokens ("none",
// empty signature) and tokens with a crit header are rejected.
func tempKeySplitJWS(jwt, wantAlg string) (*tempKeyJWS, error) {
	if len(jwt) > tempKeyMaxJWTLength {
		return nil, fmt.Errorf("%w: %d bytes is too long", ErrTemporaryKeyMalformed, len(jwt))
	}
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%w: want 3 segments, got %d", ErrTemporaryKeyMalformed, len(parts))
	}
	for i, p := range parts {
		if p == "" {
			return nil, fmt.Errorf("%w: segment %d is empty", ErrTemporaryKeyMalformed, i+1)
		}
	}
	header, err := tempKeyDecodeSegment(parts[0])
	if err != nil {
		return nil, fmt.Errorf("%w: header: %w", ErrTemporaryKeyMalformed, err)
	}
	h, err := eciesJSONObject(header)
	if err != nil {
		return nil, fmt.Errorf("%w: header: %w", ErrTemporaryKeyMalformed, err)
	}
	alg, present, err := eciesJSONString(h, "alg")
	if err != nil || !present {
		return nil, fmt.Errorf("%w: header without a string alg", ErrTemporaryKeyMalformed)
	}
	if alg != wantAlg {
		return nil, fmt.Errorf("%w: alg %q, want %q", ErrTemporaryKeyAlgorithm, alg, wantAlg)
	}
	typ, present, err := eciesJSONString(h, "typ")
	if err != nil || !present {
		return nil, fmt.Errorf("%w: header without a string typ", ErrTemporaryKeyMalformed)
	}
	if !strings.EqualFold(typ, "JWT") {
		return nil, fmt.Errorf("%w: typ %q, want JWT", ErrTemporaryKeyAlgorithm, typ)
	}
	if _, ok := h["crit"]; ok {
		return nil, fmt.Errorf("%w: unsupported crit header", ErrTemporaryKeyMalformed)
	}
	payload, err := tempKeyDecodeSegment(parts[1])
	if err != nil {
		return nil, fmt.Errorf("%w: payload: %w", ErrTemporaryKeyMalformed, err)
	}
	sig, err := tempKeyDecodeSegment(parts[2])
	if err != nil {
		return nil, fmt.Errorf("%w: signature: %w", ErrTemporaryKeyMalformed, err)
	}
	return &tempKeyJWS{signingInput: parts[0] + "." + parts[1], payload: payload, signature: sig}, nil
}

// tempKeyDecodeSegment decodes canonical unpadded base64url.
func tempKeyDecodeSegment(s string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		if s[i] == '\r' || s[i] == '\n' {
			return nil, errors.New("line break in base64url")
		}
	}
	return base64.RawURLEncoding.Strict().DecodeString(s)
}

// tempKeyEncodeSegment encodes unpadded base64url.
func tempKeyEncodeSegment(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// tempKeyMarshal encodes v as compact JSON without HTML escaping.
func tempKeyMarshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
