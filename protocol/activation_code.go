package protocol

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidActivationCode is returned for a malformed activation or recovery code.
var ErrInvalidActivationCode = errors.New("protocol: invalid activation code")

// ErrInvalidActivationSignature is returned when a signed activation code does not verify.
var ErrInvalidActivationSignature = errors.New("protocol: activation code signature does not verify")

// ActivationCodeLength is the length of "XXXXX-XXXXX-XXXXX-XXXXX".
const ActivationCodeLength = 23

// crc16ARC computes CRC-16/ARC: polynomial 0x8005 reflected (0xA001),
// init 0, reflected input and output, no final XOR.
func crc16ARC(data []byte) uint16 {
	var crc uint16
	for _, b := range data {
		crc ^= uint16(b)
		for i := 0; i < 8; i++ {
			if crc&1 != 0 {
				crc = crc>>1 ^ 0xA001
			} else {
				crc >>= 1
			}
		}
	}
	return crc
}

// GenerateActivationCode returns a random v3 activation code.
func GenerateActivationCode() string {
	code, _ := ActivationCodeFromBytes(RandomBytes(10))
	return code
}

// ActivationCodeFromBytes builds an activation code from 10 bytes:
// Base32(b || BE16(CRC-16/ARC(b))) split into four groups of five.
func ActivationCodeFromBytes(b []byte) (string, error) {
	if len(b) != 10 {
		return "", fmt.Errorf("%w: need 10 random bytes, got %d", ErrInvalidActivationCode, len(b))
	}
	buf := make([]byte, 12)
	copy(buf, b)
	binary.BigEndian.PutUint16(buf[10:], crc16ARC(b))
	s := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(buf)
	return s[0:5] + "-" + s[5:10] + "-" + s[10:15] + "-" + s[15:20], nil
}

// ValidateActivationCode checks the format and checksum of a v3 activation code.
func ValidateActivationCode(code string) error {
	if len(code) != ActivationCodeLength || code[5] != '-' || code[11] != '-' || code[17] != '-' {
		return fmt.Errorf("%w: expected XXXXX-XXXXX-XXXXX-XXXXX", ErrInvalidActivationCode)
	}
	raw := code[0:5] + code[6:11] + code[12:17] + code[18:23]
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if !(c >= 'A' && c <= 'Z' || c >= '2' && c <= '7') {
			return fmt.Errorf("%w: character %q outside A-Z2-7", ErrInvalidActivationCode, c)
		}
	}
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	b, err := enc.DecodeString(raw)
	if err != nil || len(b) != 12 {
		return fmt.Errorf("%w: not Base32", ErrInvalidActivationCode)
	}
	// The last character carries 4 unused bits; they must be zero so that
	// each code has exactly one spelling.
	if enc.EncodeToString(b) != raw {
		return fmt.Errorf("%w: non-canonical Base32", ErrInvalidActivationCode)
	}
	if crc16ARC(b[:10]) != binary.BigEndian.Uint16(b[10:]) {
		return fmt.Errorf("%w: checksum mismatch", ErrInvalidActivationCode)
	}
	return nil
}

// CorrectTypedActivationCode applies the corrections a mobile keyboard needs:
// lower case becomes upper case, '0' becomes 'O' and '1' becomes 'I'.
// Dashes and other characters are left for validation to reject.
func CorrectTypedActivationCode(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	return strings.NewReplacer("0", "O", "1", "I").Replace(s)
}

// SignActivationCode returns ECDSA_DER(KEY_SERVER_MASTER_PRIVATE, utf8(code)).
func SignActivationCode(master *PrivateKey, code string) ([]byte, error) {
	return master.SignDER([]byte(code))
}

// VerifyActivationCodeSignature verifies the master-key signature of an activation code.
func VerifyActivationCodeSignature(master *PublicKey, code string, signature []byte) bool {
	return master.VerifyDER([]byte(code), signature)
}

// ActivationQRString returns the QR / deep-link payload "CODE#B64(signature)".
func ActivationQRString(code string, signature []byte) string {
	return code + "#" + base64.StdEncoding.EncodeToString(signature)
}

// ParseActivationQRString splits "CODE" or "CODE#signature" and validates the
// code. The signature is returned undecoded-verified: nil when absent. When
// master is non-nil and a signature is present, it must verify.
func ParseActivationQRString(s string, master *PublicKey) (code string, signature []byte, err error) {
	code, sigB64, hasSig := strings.Cut(s, "#")
	code = CorrectTypedActivationCode(code)
	if err := ValidateActivationCode(code); err != nil {
		return "", nil, err
	}
	if !hasSig {
		return code, nil, nil
	}
	signature, err = base64.StdEncoding.DecodeString(sigB64)
	if err != nil || len(signature) == 0 {
		return "", nil, fmt.Errorf("%w: signature is not Base64", ErrInvalidActivationCode)
	}
	if master != nil && !VerifyActivationCodeSignature(master, code, signature) {
		return "", nil, ErrInvalidActivationSignature
	}
	return code, signature, nil
}

// ActivationFingerprint computes the 8-digit decimal fingerprint shown to the
// user for a visual check of the key exchange. For v3 it covers
// X(devicePub) || utf8(activationID) || X(serverPub); pass server == nil and
// activationID == "" for the legacy v2 fingerprint of X(devicePub) alone.
func ActivationFingerprint(device *PublicKey, activationID string, server *PublicKey) string {
	data := device.X()
	if server != nil {
		data = append(data, activationID...)
		data = append(data, server.X()...)
	}
	h := sha256.Sum256(data)
	v := binary.BigEndian.Uint32(h[28:]) & 0x7FFFFFFF
	return fmt.Sprintf("%08d", v%100000000)
}
