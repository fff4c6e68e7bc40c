package protocol

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// hdrTTokenVector: secret 00..0f, nonce 10..1f, timestamp 1691762307382.
// Expected digests computed outside Go (Python hmac module).
var (
	hdrTVecSecret = []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
	hdrTVecNonce  = []byte{16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31}
)

const hdrTVecTimestamp = "1691762307382"

func TestTokenDigestKnownAnswer(t *testing.T) {
	tests := []struct {
		version string
		want    string
	}{
		{"3.0", "f73700fda872dc46c21f7dccd430e1db22a06254fb841c0bc3a1525aef33473a"},
		{"3.1", "f73700fda872dc46c21f7dccd430e1db22a06254fb841c0bc3a1525aef33473a"},
		{"3.2", "86f9602a523ddff39fa825aa4787555b13f1422e038899455bec043a3d98cf12"},
		{"3.3", "3a10c75e256ba08a148aee12007a48cb3f7799336205f3b4e4e50973a0761b64"},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			got := TokenDigest(hdrTVecSecret, hdrTVecNonce, hdrTVecTimestamp, tt.version)
			if hex.EncodeToString(got) != tt.want {
				t.Fatalf("digest = %x, want %s", got, tt.want)
			}
		})
	}
}

// TestTokenDigestLayout recomputes the digest with crypto/hmac directly to
// pin the byte layout: raw nonce, '&', ASCII timestamp, and for 3.2/3.3 '&'
// and the ASCII version.
func TestTokenDigestLayout(t *testing.T) {
	secret := NewTokenSecret()
	nonce := RandomBytes(16)
	ts := "1700000000123"
	tests := []struct {
		version string
		data    []byte
	}{
		{"3.0", append(append(append([]byte{}, nonce...), '&'), ts...)},
		{"3.1", append(append(append([]byte{}, nonce...), '&'), ts...)},
		{"3.2", append(append(append(append(append([]byte{}, nonce...), '&'), ts...), '&'), "3.2"...)},
		{"3.3", append(append(append(append(append([]byte{}, nonce...), '&'), ts...), '&'), "3.3"...)},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			m := hmac.New(sha256.New, secret)
			m.Write(tt.data)
			want := m.Sum(nil)
			got := TokenDigest(secret, nonce, ts, tt.version)
			if !bytes.Equal(got, want) {
				t.Fatalf("digest = %x, want %x", got, want)
			}
			if len(got) != 32 {
				t.Fatalf("digest length %d", len(got))
			}
			if !VerifyTokenDigest(secret, nonce, ts, tt.version, want) {
				t.Fatal("VerifyTokenDigest rejected the expected digest")
			}
		})
	}
}

func TestVerifyTokenDigestTampering(t *testing.T) {
	flip := func(b []byte, i int) []byte {
		c := append([]byte(nil), b...)
		c[i] ^= 0x01
		return c
	}
	flipStr := func(s string, i int) string { return string(flip([]byte(s), i)) }

	for _, v := range Versions {
		t.Run(v, func(t *testing.T) {
			secret := NewTokenSecret()
			nonce := RandomBytes(16)
			ts := "1691762307382"
			digest := TokenDigest(secret, nonce, ts, v)
			if !VerifyTokenDigest(secret, nonce, ts, v, digest) {
				t.Fatal("valid digest rejected")
			}
			tests := []struct {
				name    string
				secret  []byte
				nonce   []byte
				ts      string
				version string
				digest  []byte
			}{
				{"secret first bit", flip(secret, 0), nonce, ts, v, digest},
				{"secret last byte", flip(secret, 15), nonce, ts, v, digest},
				{"nonce first byte", secret, flip(nonce, 0), ts, v, digest},
				{"nonce last byte", secret, flip(nonce, 15), ts, v, digest},
				{"timestamp last digit", secret, nonce, flipStr(ts, len(ts)-1), v, digest},
				{"timestamp first digit", secret, nonce, flipStr(ts, 0), v, digest},
				{"digest bit", secret, nonce, ts, v, flip(digest, 31)},
				{"digest truncated", secret, nonce, ts, v, digest[:31]},
				{"digest empty", secret, nonce, ts, v, nil},
				{"nonce short", secret, nonce[:15], ts, v, digest},
				{"secret empty", nil, nonce, ts, v, digest},
				{"version unknown", secret, nonce, ts, "3.4", digest},
			}
			for _, tt := range tests {
				if VerifyTokenDigest(tt.secret, tt.nonce, tt.ts, tt.version, tt.digest) {
					t.Errorf("%s: tampered input accepted", tt.name)
				}
			}
		})
	}
}

// TestVerifyTokenDigestVersionBinding shows that 3.2 and 3.3 digests bind the
// version while 3.0 and 3.1 digests do not.
func TestVerifyTokenDigestVersionBinding(t *testing.T) {
	secret := NewTokenSecret()
	nonce := RandomBytes(16)
	ts := "1691762307382"
	tests := []struct {
		signed, claimed string
		ok              bool
	}{
		{"3.3", "3.2", false}, // '3' ^ 1 == '2': a one-bit change
		{"3.2", "3.3", false},
		{"3.3", "3.1", false},
		{"3.2", "3.0", false},
		{"3.1", "3.2", false},
		{"3.0", "3.3", false},
		{"3.0", "3.1", true}, // same layout, the version is not in the MAC
		{"3.1", "3.0", true},
	}
	for _, tt := range tests {
		d := TokenDigest(secret, nonce, ts, tt.signed)
		if got := VerifyTokenDigest(secret, nonce, ts, tt.claimed, d); got != tt.ok {
			t.Errorf("signed %s, claimed %s: verify = %v, want %v", tt.signed, tt.claimed, got, tt.ok)
		}
	}
}

func TestNewTokenSecret(t *testing.T) {
	a, b := NewTokenSecret(), NewTokenSecret()
	if len(a) != TokenSecretSize || len(b) != TokenSecretSize {
		t.Fatalf("lengths %d, %d", len(a), len(b))
	}
	if bytes.Equal(a, b) {
		t.Fatal("two secrets are equal")
	}
}
