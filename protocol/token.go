package protocol

// TokenSecretSize is the size of a MAC token secret in bytes.
const TokenSecretSize = 16

// NewTokenSecret returns a fresh 16-byte MAC token secret from crypto/rand.
func NewTokenSecret() []byte {
	return RandomBytes(TokenSecretSize)
}

// TokenDigest computes the MAC token digest (protocol §5):
//
//	HMAC-SHA256(key = tokenSecret, data = nonce || "&" || timestamp [|| "&" || version])
//
// nonce is the raw 16 bytes (not Base64) and timestamp the decimal string of
// Unix milliseconds exactly as sent. The version suffix is omitted for "3.0"
// and "3.1" and appended for every other version.
func TokenDigest(tokenSecret, nonce []byte, timestamp string, version string) []byte {
	amp := []byte{'&'}
	if version == Version30 || version == Version31 {
		return HMACSHA256(tokenSecret, nonce, amp, []byte(timestamp))
	}
	return HMACSHA256(tokenSecret, nonce, amp, []byte(timestamp), amp, []byte(version))
}

// VerifyTokenDigest reports whether digest is the TokenDigest of the inputs,
// comparing in constant time. It returns false for an empty secret, a nonce
// that is not 16 bytes or a version mauth does not speak.
func VerifyTokenDigest(tokenSecret, nonce []byte, timestamp, version string, digest []byte) bool {
	if len(tokenSecret) == 0 || len(nonce) != hdrNonceSize || !ValidVersion(version) {
		return false
	}
	return Equal(TokenDigest(tokenSecret, nonce, timestamp, version), digest)
}
