package protocol

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
)

// KeySize is the size of every symmetric key in protocol 3.x (AES-128).
const KeySize = 16

// Errors returned by the symmetric primitives.
var (
	ErrInvalidKeySize = errors.New("protocol: invalid key size")
	ErrInvalidPadding = errors.New("protocol: invalid padding")
	ErrInvalidLength  = errors.New("protocol: invalid data length")
)

// Convert32To16 reduces 32 bytes to 16 by XOR-ing the two halves
// (convert32Bto16B in the protocol documents).
func Convert32To16(b []byte) []byte {
	out := make([]byte, 16)
	for i := 0; i < 16; i++ {
		out[i] = b[i] ^ b[i+16]
	}
	return out
}

// KDF derives a 16-byte key from a 16-byte key and a numeric index:
// AES-128-ECB(key, 0x00×8 || BE64(index)).
func KDF(key []byte, index uint64) ([]byte, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("kdf: %w: %d", ErrInvalidKeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("kdf: %w", err)
	}
	var in [16]byte
	binary.BigEndian.PutUint64(in[8:], index)
	out := make([]byte, 16)
	block.Encrypt(out, in[:])
	return out, nil
}

// KDFInternal derives a 16-byte key: convert32Bto16B(HMAC-SHA256(key, index)).
func KDFInternal(key, index []byte) []byte {
	return Convert32To16(HMACSHA256(key, index))
}

// HMACSHA256 returns the 32-byte HMAC-SHA256 of data under key.
func HMACSHA256(key []byte, data ...[]byte) []byte {
	m := hmac.New(sha256.New, key)
	for _, d := range data {
		m.Write(d)
	}
	return m.Sum(nil)
}

// KDFX963SHA256 is the ANSI X9.63 key derivation function with SHA-256.
func KDFX963SHA256(z, info []byte, length int) []byte {
	out := make([]byte, 0, length+sha256.Size)
	var ctr [4]byte
	for i := uint32(1); len(out) < length; i++ {
		binary.BigEndian.PutUint32(ctr[:], i)
		h := sha256.New()
		h.Write(z)
		h.Write(ctr[:])
		h.Write(info)
		out = h.Sum(out)
	}
	return out[:length]
}

// ConcatWithSizes joins parts, each prefixed with its length as BE32.
// A nil or empty part contributes only the four zero bytes of its length.
func ConcatWithSizes(parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += 4 + len(p)
	}
	out := make([]byte, 0, n)
	for _, p := range parts {
		out = binary.BigEndian.AppendUint32(out, uint32(len(p)))
		out = append(out, p...)
	}
	return out
}

// EncryptCBC encrypts plaintext with AES-128-CBC and PKCS#7 padding.
func EncryptCBC(key, iv, plaintext []byte) ([]byte, error) {
	pad := aes.BlockSize - len(plaintext)%aes.BlockSize
	padded := make([]byte, len(plaintext)+pad)
	copy(padded, plaintext)
	for i := len(plaintext); i < len(padded); i++ {
		padded[i] = byte(pad)
	}
	return EncryptCBCNoPadding(key, iv, padded)
}

// DecryptCBC decrypts AES-128-CBC ciphertext and removes PKCS#7 padding.
// The padding is checked without branching on its content.
func DecryptCBC(key, iv, ciphertext []byte) ([]byte, error) {
	plain, err := DecryptCBCNoPadding(key, iv, ciphertext)
	if err != nil {
		return nil, err
	}
	if len(plain) == 0 {
		return nil, ErrInvalidPadding
	}
	pad := int(plain[len(plain)-1])
	good := subtle.ConstantTimeLessOrEq(1, pad) & subtle.ConstantTimeLessOrEq(pad, aes.BlockSize)
	for i := 1; i <= aes.BlockSize; i++ {
		// Only the last pad bytes must equal pad; others are ignored.
		inPad := subtle.ConstantTimeLessOrEq(i, pad)
		eq := subtle.ConstantTimeByteEq(plain[len(plain)-i], byte(pad))
		good &= subtle.ConstantTimeSelect(inPad, eq, 1)
	}
	if good != 1 {
		return nil, ErrInvalidPadding
	}
	return plain[:len(plain)-pad], nil
}

// EncryptCBCNoPadding encrypts whole blocks with AES-128-CBC.
func EncryptCBCNoPadding(key, iv, plaintext []byte) ([]byte, error) {
	block, err := newBlock(key, iv, plaintext)
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(plaintext))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(out, plaintext)
	return out, nil
}

// DecryptCBCNoPadding decrypts whole blocks with AES-128-CBC.
func DecryptCBCNoPadding(key, iv, ciphertext []byte) ([]byte, error) {
	block, err := newBlock(key, iv, ciphertext)
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(ciphertext))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(out, ciphertext)
	return out, nil
}

func newBlock(key, iv, data []byte) (cipher.Block, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("aes-cbc: %w: %d", ErrInvalidKeySize, len(key))
	}
	if len(iv) != aes.BlockSize {
		return nil, fmt.Errorf("aes-cbc: %w: iv %d", ErrInvalidLength, len(iv))
	}
	if len(data)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("aes-cbc: %w: %d is not a multiple of the block size", ErrInvalidLength, len(data))
	}
	return aes.NewCipher(key)
}

// zeroIV is the all-zero IV used by 3.0 ECIES, the vault wrap and the 3.0 status blob.
var zeroIV = make([]byte, 16)

// RandomBytes returns n bytes from crypto/rand.
func RandomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		// crypto/rand.Read never fails on supported platforms (Go 1.24+ crashes instead).
		panic("protocol: crypto/rand failed: " + err.Error())
	}
	return b
}

// Equal compares two secrets in constant time.
func Equal(a, b []byte) bool {
	return subtle.ConstantTimeCompare(a, b) == 1
}
