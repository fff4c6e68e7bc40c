package protocol

import (
	"encoding/base64"
	"strconv"
)

// Keys of the X-PowerAuth-Token header.
const (
	hdrTokKeyVersion   = "version"
	hdrTokKeyTokenID   = "token_id"
	hdrTokKeyDigest    = "token_digest"
	hdrTokKeyNonce     = "nonce"
	hdrTokKeyTimestamp = "timestamp"
)

// Bounds of the token header fields.
const (
	hdrTokDigestSize   = 32
	hdrTokTimestampMin = 9
	hdrTokTimestampMax = 15
)

// TokenHeader is the parsed value of the X-PowerAuth-Token header (protocol
// §5). Fields hold the exact strings received.
type TokenHeader struct {
	TokenID   string // token_id, a UUID
	Digest    string // token_digest, Base64 of 32 bytes
	Nonce     string // nonce, Base64 of 16 bytes
	Timestamp string // timestamp, Unix time in ms as 9–15 decimal digits
	Version   string // version, "3.0" … "3.3"
}

// ParseTokenHeader parses and validates an X-PowerAuth-Token header value.
// The syntax rules are those of ParseAuthorizationHeader. It does not check
// the digest or the timestamp window: see VerifyDigest and TimestampMillis.
func ParseTokenHeader(value string) (*TokenHeader, error) {
	var h TokenHeader
	fields := []hdrField{
		{key: hdrTokKeyVersion, dst: &h.Version},
		{key: hdrTokKeyTokenID, dst: &h.TokenID},
		{key: hdrTokKeyDigest, dst: &h.Digest},
		{key: hdrTokKeyNonce, dst: &h.Nonce},
		{key: hdrTokKeyTimestamp, dst: &h.Timestamp},
	}
	if err := hdrScan(HeaderToken, value, fields); err != nil {
		return nil, err
	}
	if err := hdrMissing(HeaderToken, fields); err != nil {
		return nil, err
	}
	if err := h.Validate(); err != nil {
		return nil, err
	}
	return &h, nil
}

// Validate checks every field of h as ParseTokenHeader does.
func (h TokenHeader) Validate() error {
	const hn = HeaderToken
	if !ValidVersion(h.Version) {
		return hdrErr(hn, hdrTokKeyVersion, ErrHeaderInvalidField, "unsupported version")
	}
	if !hdrIsUUID(h.TokenID) {
		return hdrErr(hn, hdrTokKeyTokenID, ErrHeaderInvalidField, "not a UUID")
	}
	if _, ok := hdrDecodeB64Len(h.Digest, hdrTokDigestSize); !ok {
		return hdrErr(hn, hdrTokKeyDigest, ErrHeaderInvalidField, "not Base64 of 32 bytes")
	}
	if _, ok := hdrDecodeB64Len(h.Nonce, hdrNonceSize); !ok {
		return hdrErr(hn, hdrTokKeyNonce, ErrHeaderInvalidField, "not Base64 of 16 bytes")
	}
	if !hdrIsDigits(h.Timestamp, hdrTokTimestampMin, hdrTokTimestampMax) {
		return hdrErr(hn, hdrTokKeyTimestamp, ErrHeaderInvalidField, "not 9 to 15 decimal digits")
	}
	return nil
}

// String formats h as a header value with version first:
// `PowerAuth version="3.3", token_id="…", token_digest="…", nonce="…",
// timestamp="…"`. It does not validate h.
func (h TokenHeader) String() string {
	b := hdrBuilder(192)
	hdrWriteField(b, hdrTokKeyVersion, h.Version)
	hdrWriteField(b, hdrTokKeyTokenID, h.TokenID)
	hdrWriteField(b, hdrTokKeyDigest, h.Digest)
	hdrWriteField(b, hdrTokKeyNonce, h.Nonce)
	hdrWriteField(b, hdrTokKeyTimestamp, h.Timestamp)
	return b.String()
}

// TimestampMillis returns the timestamp as Unix milliseconds, or 0 if
// h.Timestamp is not 9–15 decimal digits.
func (h TokenHeader) TimestampMillis() int64 {
	if !hdrIsDigits(h.Timestamp, hdrTokTimestampMin, hdrTokTimestampMax) {
		return 0
	}
	ms, err := strconv.ParseInt(h.Timestamp, 10, 64)
	if err != nil { // unreachable: 15 digits fit in an int64
		return 0
	}
	return ms
}

// NonceBytes returns the 16 decoded bytes of nonce.
func (h TokenHeader) NonceBytes() ([]byte, error) {
	b, ok := hdrDecodeB64Len(h.Nonce, hdrNonceSize)
	if !ok {
		return nil, hdrErr(HeaderToken, hdrTokKeyNonce, ErrHeaderInvalidField, "not Base64 of 16 bytes")
	}
	return b, nil
}

// DigestBytes returns the 32 decoded bytes of token_digest.
func (h TokenHeader) DigestBytes() ([]byte, error) {
	b, ok := hdrDecodeB64Len(h.Digest, hdrTokDigestSize)
	if !ok {
		return nil, hdrErr(HeaderToken, hdrTokKeyDigest, ErrHeaderInvalidField, "not Base64 of 32 bytes")
	}
	return b, nil
}

// VerifyDigest reports whether token_digest is the digest of the header's
// nonce, timestamp and version under tokenSecret, compared in constant time.
// It does not check the timestamp window or nonce replay.
func (h TokenHeader) VerifyDigest(tokenSecret []byte) bool {
	nonce, err := h.NonceBytes()
	if err != nil {
		return false
	}
	digest, err := h.DigestBytes()
	if err != nil {
		return false
	}
	return VerifyTokenDigest(tokenSecret, nonce, h.Timestamp, h.Version, digest)
}

// NewTokenHeader builds the header a client sends for the token tokenID:
// it draws a fresh random nonce and computes the digest of timestampMillis
// and version under tokenSecret.
func NewTokenHeader(tokenID string, tokenSecret []byte, version string, timestampMillis int64) TokenHeader {
	nonce := RandomBytes(hdrNonceSize)
	ts := strconv.FormatInt(timestampMillis, 10)
	return TokenHeader{
		TokenID:   tokenID,
		Digest:    base64.StdEncoding.EncodeToString(TokenDigest(tokenSecret, nonce, ts, version)),
		Nonce:     base64.StdEncoding.EncodeToString(nonce),
		Timestamp: ts,
		Version:   version,
	}
}
