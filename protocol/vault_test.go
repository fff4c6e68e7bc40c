package protocol

import (
	"bytes"
	"encoding/hex"
	"math/big"
	"testing"
)

// javaSignedBigInt reads b as Java's new BigInteger(b) does: a signed
// big-endian two's-complement number.
func javaSignedBigInt(b []byte) *big.Int {
	v := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return v
}

// TestDevicePrivateKeyEncoding: the encrypted device private key holds
// the scalar in the form both unsigned (SDK, Go) and signed (Java
// BigInteger) readers take as the same key: 33 bytes with a zero sign
// byte when the top bit is set, 32 bytes otherwise. Both forms, and the
// bare 32-byte form earlier Go clients wrote, decrypt to the key.
func TestDevicePrivateKeyEncoding(t *testing.T) {
	vault := bytes.Repeat([]byte{0x5a}, KeySize)
	for _, tc := range []struct {
		name    string
		scalar  string
		wantLen int
	}{
		{"top bit set", "c3a1f0e2d4b6988a7c5e3f201d0b9a8877665544332211000f1e2d3c4b5a6978", 33},
		{"highest byte 0x80", "80000000000000000000000000000000000000000000000000000000000000ff", 33},
		{"just below the group order", "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632550", 33},
		{"top bit clear", "3fa1f0e2d4b6988a7c5e3f201d0b9a8877665544332211000f1e2d3c4b5a6978", 32},
		{"highest byte 0x7f", "7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", 32},
		{"leading zero byte", "00a1f0e2d4b6988a7c5e3f201d0b9a8877665544332211000f1e2d3c4b5a6978", 32},
	} {
		t.Run(tc.name, func(t *testing.T) {
			scalar, _ := hex.DecodeString(tc.scalar)
			priv, err := ParsePrivateKey(scalar)
			if err != nil {
				t.Fatal(err)
			}
			want := new(big.Int).SetBytes(scalar)

			c, err := EncryptDevicePrivateKey(vault, priv)
			if err != nil {
				t.Fatal(err)
			}
			plain, err := DecryptCBC(vault, zeroIV, c)
			if err != nil {
				t.Fatal(err)
			}
			if len(plain) != tc.wantLen || !bytes.Equal(plain[len(plain)-32:], scalar) || (len(plain) == 33 && plain[0] != 0) {
				t.Fatalf("plaintext %x, want the scalar in %d bytes", plain, tc.wantLen)
			}
			// Java's signed reader and an unsigned reader agree.
			if got := javaSignedBigInt(plain); got.Cmp(want) != 0 {
				t.Fatalf("Java reads %s, want %s", got.Text(16), want.Text(16))
			}
			if got := new(big.Int).SetBytes(plain); got.Cmp(want) != 0 {
				t.Fatalf("unsigned reader reads %s", got.Text(16))
			}
			back, err := DecryptDevicePrivateKey(vault, c)
			if err != nil || !bytes.Equal(back.Bytes(), scalar) {
				t.Fatalf("round trip: %x %v", back.Bytes(), err)
			}

			// The bare 32-byte form of earlier Go clients still reads.
			legacy, err := EncryptCBC(vault, zeroIV, scalar)
			if err != nil {
				t.Fatal(err)
			}
			back, err = DecryptDevicePrivateKey(vault, legacy)
			if err != nil || !bytes.Equal(back.Bytes(), scalar) {
				t.Fatalf("32-byte form: %x %v", back.Bytes(), err)
			}
			// So does Java's minimal form (BigInteger.toByteArray).
			minimal, err := EncryptCBC(vault, zeroIV, want.FillBytes(make([]byte, 33))[33-minimalLen(want):])
			if err != nil {
				t.Fatal(err)
			}
			back, err = DecryptDevicePrivateKey(vault, minimal)
			if err != nil || !bytes.Equal(back.Bytes(), scalar) {
				t.Fatalf("minimal form: %x %v", back.Bytes(), err)
			}
		})
	}
	// A 33-byte plaintext whose first byte is not a zero sign byte is refused.
	bad, _ := EncryptCBC(vault, zeroIV, append([]byte{1}, bytes.Repeat([]byte{0x11}, 32)...))
	if _, err := DecryptDevicePrivateKey(vault, bad); err == nil {
		t.Fatal("a 33-byte key without a zero sign byte was accepted")
	}
}

// minimalLen is the length of BigInteger.toByteArray for a positive v.
func minimalLen(v *big.Int) int { return v.BitLen()/8 + 1 }
