// Package secretbox encrypts server secrets at rest (server private keys,
// token secrets, callback credentials) with AES-256-GCM under the server
// key. Each ciphertext is bound to the record it belongs to through the
// GCM associated data, so swapping two rows' ciphertexts makes both fail.
// Secrets the server only has to recognise (integration client secrets)
// are stored as MACs under a key derived from the server key instead.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the size of the server key (AES-256).
const KeySize = 32

// formatV1 prefixes every ciphertext so the format can evolve (key rotation).
const formatV1 = 0x01

// ErrDecrypt is returned when a ciphertext is corrupt, was made with another
// key, or belongs to another record.
var ErrDecrypt = errors.New("secretbox: cannot decrypt (wrong key, wrong record or corrupt data)")

// Box seals and opens secrets under one server key.
type Box struct {
	aead   cipher.AEAD
	id     [4]byte // key id: first bytes of SHA-256(key), to tell keys apart
	macKey []byte  // HMAC-SHA256(key, macLabel): the key of MAC
}

// macLabel derives the MAC key from the server key and prefixes every MAC
// input, so a MAC never equals any other use of the key.
const macLabel = "mauth/secretbox/mac/v1"

// New returns a Box for a 32-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secretbox: server key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	b := &Box{aead: aead}
	h := sha256.Sum256(key)
	copy(b.id[:], h[:4])
	m := hmac.New(sha256.New, key)
	m.Write([]byte(macLabel))
	b.macKey = m.Sum(nil)
	return b, nil
}

// ParseKey decodes a server key given as standard Base64 (44 characters).
func ParseKey(s string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("secretbox: server key is not Base64: %w", err)
	}
	if len(k) != KeySize {
		return nil, fmt.Errorf("secretbox: server key must be %d bytes, got %d", KeySize, len(k))
	}
	return k, nil
}

// GenerateKey returns a new random server key.
func GenerateKey() []byte {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		panic("secretbox: crypto/rand failed: " + err.Error())
	}
	return k
}

// Seal encrypts plaintext for the record named by context (e.g.
// "pa_activation.server_private_key:<activation id>").
func (b *Box) Seal(plaintext []byte, context string) []byte {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic("secretbox: crypto/rand failed: " + err.Error())
	}
	out := make([]byte, 0, 1+len(b.id)+len(nonce)+len(plaintext)+b.aead.Overhead())
	out = append(out, formatV1)
	out = append(out, b.id[:]...)
	out = append(out, nonce...)
	return b.aead.Seal(out, nonce, plaintext, b.ad(context))
}

// Open decrypts a ciphertext made by Seal for the same context.
func (b *Box) Open(ciphertext []byte, context string) ([]byte, error) {
	hdr := 1 + len(b.id) + b.aead.NonceSize()
	if len(ciphertext) < hdr+b.aead.Overhead() || ciphertext[0] != formatV1 {
		return nil, ErrDecrypt
	}
	if string(ciphertext[1:5]) != string(b.id[:]) {
		return nil, fmt.Errorf("%w: sealed with another server key", ErrDecrypt)
	}
	nonce := ciphertext[5:hdr]
	pt, err := b.aead.Open(nil, nonce, ciphertext[hdr:], b.ad(context))
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}

func (b *Box) ad(context string) []byte {
	return append([]byte("mauth/secretbox/v1\x00"), context...)
}

// KeyID names the server key: the hex of the first 4 bytes of its SHA-256,
// as recorded in every sealed value. It tells keys apart in messages; it
// reveals nothing usable about the key.
func (b *Box) KeyID() string { return hex.EncodeToString(b.id[:]) }

// MAC returns HMAC-SHA256 of data for the record named by context, under
// a key derived from the server key. It is deterministic: storing the MAC
// of a high-entropy secret lets the server recognise the secret later
// without being able to give it back. Compare MACs with hmac.Equal.
func (b *Box) MAC(data []byte, context string) []byte {
	m := hmac.New(sha256.New, b.macKey)
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(context)))
	m.Write([]byte(macLabel + "\x00"))
	m.Write(n[:])
	m.Write([]byte(context))
	m.Write(data)
	return m.Sum(nil)
}
