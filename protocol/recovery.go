package protocol

import (
	"crypto/aes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// Recovery code and PUK constants.
const (
	RecoverySecretSize = 16 // random secret of an activation-bound recovery code
	RecoveryNonceSize  = 32
	PUKLength          = 10
	// RecoveryQRPrefix prefixes a recovery code in a QR code.
	RecoveryQRPrefix = "R:"
)

// ErrInvalidPUK is returned for a PUK that is not exactly 10 digits.
var ErrInvalidPUK = errors.New("protocol: invalid PUK")

// RecoveryPUK is one PUK of a recovery code.
type RecoveryPUK struct {
	Index           int    // 1-based order in which PUKs must be used
	DerivationIndex uint64 // random index the PUK was derived with
	PUK             string // 10 decimal digits
}

// RecoverySeed is the material a recovery code and its PUKs derive from.
type RecoverySeed struct {
	Code       string // activation-code format
	PUKBaseKey []byte // 16 bytes
}

// DeriveRecoverySeed computes SP = X9.63-SHA256(secret, nonce, 26):
// the recovery code is built from SP[0:10] and the PUK base key is SP[10:26].
func DeriveRecoverySeed(secret, nonce []byte) (*RecoverySeed, error) {
	if len(secret) == 0 || len(nonce) != RecoveryNonceSize {
		return nil, fmt.Errorf("recovery seed: %w: secret %d, nonce %d", ErrInvalidLength, len(secret), len(nonce))
	}
	sp := KDFX963SHA256(secret, nonce, 26)
	code, err := ActivationCodeFromBytes(sp[:10])
	if err != nil {
		return nil, err
	}
	return &RecoverySeed{Code: code, PUKBaseKey: sp[10:26]}, nil
}

// DerivePUK derives the PUK for a derivation index. The block is computed
// as the reference server does: AES-CBC-PKCS7(base, IV=0, BE64(index)),
// i.e. AES-ECB over BE64(index) || 0x08×8; the PUK is
// (BE64(block[8:16]) & 0xFFFFFFFFFF) mod 10^10, zero-padded.
func DerivePUK(pukBaseKey []byte, derivationIndex uint64) (string, error) {
	if len(pukBaseKey) != KeySize {
		return "", fmt.Errorf("derive puk: %w", ErrInvalidKeySize)
	}
	block, err := aes.NewCipher(pukBaseKey)
	if err != nil {
		return "", fmt.Errorf("derive puk: %w", err)
	}
	in := make([]byte, 16)
	binary.BigEndian.PutUint64(in, derivationIndex)
	for i := 8; i < 16; i++ {
		in[i] = 8
	}
	out := make([]byte, 16)
	block.Encrypt(out, in)
	v := binary.BigEndian.Uint64(out[8:16]) & 0xFFFFFFFFFF
	return fmt.Sprintf("%010d", v%10000000000), nil
}

// NewRecoveryCode creates a random recovery code with pukCount PUKs, as done
// when an activation is created with recovery enabled (one PUK).
func NewRecoveryCode(pukCount int) (string, []RecoveryPUK, error) {
	if pukCount < 1 || pukCount > 100 {
		return "", nil, fmt.Errorf("recovery code: %w: %d PUKs", ErrInvalidLength, pukCount)
	}
	seed, err := DeriveRecoverySeed(RandomBytes(RecoverySecretSize), RandomBytes(RecoveryNonceSize))
	if err != nil {
		return "", nil, err
	}
	puks := make([]RecoveryPUK, 0, pukCount)
	used := map[uint64]bool{}
	for len(puks) < pukCount {
		idx := binary.BigEndian.Uint64(RandomBytes(8)) & 0x7FFFFFFFFFFFFFFF
		if used[idx] {
			continue
		}
		used[idx] = true
		puk, err := DerivePUK(seed.PUKBaseKey, idx)
		if err != nil {
			return "", nil, err
		}
		puks = append(puks, RecoveryPUK{Index: len(puks) + 1, DerivationIndex: idx, PUK: puk})
	}
	return seed.Code, puks, nil
}

// NormalizePUK accepts "1234567890" or the displayed "12345-67890" and
// returns the 10 digits.
func NormalizePUK(s string) (string, error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), "-", "")
	if len(s) != PUKLength {
		return "", ErrInvalidPUK
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", ErrInvalidPUK
		}
	}
	return s, nil
}

// ParseRecoveryQRString parses "R:CODE" (a signature part is not allowed)
// or a bare code, and validates the code.
func ParseRecoveryQRString(s string) (string, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), RecoveryQRPrefix)
	if strings.Contains(s, "#") {
		return "", fmt.Errorf("%w: recovery code must not carry a signature", ErrInvalidActivationCode)
	}
	code := CorrectTypedActivationCode(s)
	if err := ValidateActivationCode(code); err != nil {
		return "", err
	}
	return code, nil
}
