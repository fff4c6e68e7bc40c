package protocol

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"

	"filippo.io/nistec"
)

// ErrInvalidKey is returned for malformed or off-curve EC keys.
var ErrInvalidKey = errors.New("protocol: invalid EC key")

// PublicKey is a P-256 public key that remembers the exact bytes it was
// parsed from, because KDF and MAC inputs use the bytes as transmitted.
type PublicKey struct {
	raw  []byte // SEC1 bytes as received (33 or 65 bytes)
	ecdh *ecdh.PublicKey
}

// ParsePublicKey parses a SEC1 compressed (33 bytes) or uncompressed
// (65 bytes) P-256 point. The point at infinity and off-curve points are rejected.
func ParsePublicKey(b []byte) (*PublicKey, error) {
	if len(b) != 33 && len(b) != 65 {
		return nil, fmt.Errorf("%w: length %d", ErrInvalidKey, len(b))
	}
	p, err := nistec.NewP256Point().SetBytes(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	pub, err := ecdh.P256().NewPublicKey(p.Bytes())
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	return &PublicKey{raw: append([]byte(nil), b...), ecdh: pub}, nil
}

// Bytes returns the key bytes exactly as they were parsed or generated.
func (k *PublicKey) Bytes() []byte { return append([]byte(nil), k.raw...) }

// Uncompressed returns the 65-byte 0x04||X||Y encoding.
func (k *PublicKey) Uncompressed() []byte { return k.ecdh.Bytes() }

// Compressed returns the 33-byte SEC1 compressed encoding.
func (k *PublicKey) Compressed() []byte {
	p, _ := nistec.NewP256Point().SetBytes(k.ecdh.Bytes())
	return p.BytesCompressed()
}

// X returns the affine X coordinate as a minimal unsigned big-endian
// integer (leading zero bytes stripped, so it may be shorter than 32 bytes).
func (k *PublicKey) X() []byte {
	return new(big.Int).SetBytes(k.ecdh.Bytes()[1:33]).Bytes()
}

// ECDSA returns the key as a crypto/ecdsa public key.
func (k *PublicKey) ECDSA() *ecdsa.PublicKey {
	pub, _ := ecdsa.ParseUncompressedPublicKey(ecdhCurve(), k.ecdh.Bytes())
	return pub
}

// Equal reports whether two keys are the same point.
func (k *PublicKey) Equal(o *PublicKey) bool { return o != nil && k.ecdh.Equal(o.ecdh) }

// PrivateKey is a P-256 private key usable for ECDH and ECDSA.
type PrivateKey struct {
	ecdh  *ecdh.PrivateKey
	ecdsa *ecdsa.PrivateKey
	pub   *PublicKey
}

// GenerateKeyPair creates a random P-256 key pair. The public key's
// Bytes() are the uncompressed encoding; use Compressed() to send 33 bytes.
func GenerateKeyPair() (*PrivateKey, error) {
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate P-256 key: %w", err)
	}
	return newPrivateKey(k)
}

// ParsePrivateKey parses a private scalar as an unsigned big-endian integer.
// It accepts Java's signed encoding (33 bytes with a leading 0x00, or
// fewer than 32 bytes) as well as a plain 32-byte scalar.
func ParsePrivateKey(b []byte) (*PrivateKey, error) {
	if len(b) == 0 || len(b) > 33 {
		return nil, fmt.Errorf("%w: private key length %d", ErrInvalidKey, len(b))
	}
	if len(b) == 33 {
		if b[0] != 0 {
			return nil, fmt.Errorf("%w: 33-byte private key without a zero sign byte", ErrInvalidKey)
		}
		b = b[1:]
	}
	var s [32]byte
	copy(s[32-len(b):], b)
	k, err := ecdh.P256().NewPrivateKey(s[:])
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	return newPrivateKey(k)
}

func newPrivateKey(k *ecdh.PrivateKey) (*PrivateKey, error) {
	sk, err := ecdsa.ParseRawPrivateKey(ecdhCurve(), k.Bytes())
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	pub := k.PublicKey()
	return &PrivateKey{ecdh: k, ecdsa: sk, pub: &PublicKey{raw: pub.Bytes(), ecdh: pub}}, nil
}

// Bytes returns the 32-byte big-endian private scalar.
func (k *PrivateKey) Bytes() []byte { return k.ecdh.Bytes() }

// Public returns the public key (uncompressed Bytes()).
func (k *PrivateKey) Public() *PublicKey { return k.pub }

// SharedSecret returns the raw 32-byte ECDH shared secret (the X coordinate).
func (k *PrivateKey) SharedSecret(pub *PublicKey) ([]byte, error) {
	z, err := k.ecdh.ECDH(pub.ecdh)
	if err != nil {
		return nil, fmt.Errorf("ecdh: %w", err)
	}
	return z, nil
}

// SignDER signs SHA-256(data) with ECDSA and returns an ASN.1 DER signature.
func (k *PrivateKey) SignDER(data []byte) ([]byte, error) {
	h := sha256.Sum256(data)
	sig, err := ecdsa.SignASN1(rand.Reader, k.ecdsa, h[:])
	if err != nil {
		return nil, fmt.Errorf("ecdsa sign: %w", err)
	}
	return sig, nil
}

// SignJOSE signs SHA-256(data) and returns the 64-byte r||s encoding used by JWS ES256.
func (k *PrivateKey) SignJOSE(data []byte) ([]byte, error) {
	h := sha256.Sum256(data)
	r, s, err := ecdsa.Sign(rand.Reader, k.ecdsa, h[:])
	if err != nil {
		return nil, fmt.Errorf("ecdsa sign: %w", err)
	}
	out := make([]byte, 64)
	r.FillBytes(out[:32])
	s.FillBytes(out[32:])
	return out, nil
}

// VerifyDER verifies an ASN.1 DER ECDSA signature over SHA-256(data).
func (k *PublicKey) VerifyDER(data, sig []byte) bool {
	h := sha256.Sum256(data)
	return ecdsa.VerifyASN1(k.ECDSA(), h[:], sig)
}

// VerifyJOSE verifies a 64-byte r||s ECDSA signature over SHA-256(data).
func (k *PublicKey) VerifyJOSE(data, sig []byte) bool {
	if len(sig) != 64 {
		return false
	}
	h := sha256.Sum256(data)
	r := new(big.Int).SetBytes(sig[:32])
	s := new(big.Int).SetBytes(sig[32:])
	return ecdsa.Verify(k.ECDSA(), h[:], r, s)
}

// MasterSecret computes KEY_MASTER_SECRET = convert32Bto16B(ECDH(priv, pub)).
func MasterSecret(priv *PrivateKey, pub *PublicKey) ([]byte, error) {
	z, err := priv.SharedSecret(pub)
	if err != nil {
		return nil, err
	}
	return Convert32To16(z), nil
}

// KDF indexes of the keys derived from KEY_MASTER_SECRET and KEY_TRANSPORT.
const (
	IndexSignaturePossession = 1
	IndexSignatureKnowledge  = 2
	IndexSignatureBiometry   = 3
	IndexTransport           = 1000
	IndexVaultEncryption     = 2000
	IndexTransportIV         = 3000
	IndexTransportCtr        = 4000
)

// ActivationKeys are the symmetric keys both sides derive from KEY_MASTER_SECRET.
type ActivationKeys struct {
	Possession []byte // KEY_SIGNATURE_POSSESSION, KDF(KMS, 1)
	Knowledge  []byte // KEY_SIGNATURE_KNOWLEDGE, KDF(KMS, 2)
	Biometry   []byte // KEY_SIGNATURE_BIOMETRY, KDF(KMS, 3)
	Transport  []byte // KEY_TRANSPORT, KDF(KMS, 1000)
	Vault      []byte // KEY_ENCRYPTION_VAULT, KDF(KMS, 2000)
}

// DeriveActivationKeys derives the signature, transport and vault keys from KEY_MASTER_SECRET.
func DeriveActivationKeys(masterSecret []byte) (*ActivationKeys, error) {
	var ks ActivationKeys
	for _, d := range []struct {
		dst   *[]byte
		index uint64
	}{
		{&ks.Possession, IndexSignaturePossession},
		{&ks.Knowledge, IndexSignatureKnowledge},
		{&ks.Biometry, IndexSignatureBiometry},
		{&ks.Transport, IndexTransport},
		{&ks.Vault, IndexVaultEncryption},
	} {
		k, err := KDF(masterSecret, d.index)
		if err != nil {
			return nil, fmt.Errorf("derive activation keys: %w", err)
		}
		*d.dst = k
	}
	return &ks, nil
}

// DeriveActivationKeysECDH computes the master secret from a private and a
// public key and derives the activation keys from it.
func DeriveActivationKeysECDH(priv *PrivateKey, pub *PublicKey) (*ActivationKeys, error) {
	kms, err := MasterSecret(priv, pub)
	if err != nil {
		return nil, err
	}
	return DeriveActivationKeys(kms)
}

func ecdhCurve() elliptic.Curve { return elliptic.P256() }
