package secretbox

import (
	"bytes"
	"encoding/base64"
	"errors"
	"testing"
)

func TestSealOpen(t *testing.T) {
	b, err := New(GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("server private key bytes")
	c1 := b.Seal(secret, "pa_activation:a1")
	c2 := b.Seal(secret, "pa_activation:a2")
	if bytes.Contains(c1, secret) {
		t.Fatal("plaintext visible in ciphertext")
	}
	got, err := b.Open(c1, "pa_activation:a1")
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("open: %v", err)
	}
	// Swapping rows fails.
	if _, err := b.Open(c1, "pa_activation:a2"); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("swapped row: %v", err)
	}
	if _, err := b.Open(c2, "pa_activation:a1"); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("swapped row: %v", err)
	}
	// Another key fails.
	other, _ := New(GenerateKey())
	if _, err := other.Open(c1, "pa_activation:a1"); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("other key: %v", err)
	}
	// Any bit flip fails.
	for i := 0; i < len(c1); i++ {
		c := append([]byte(nil), c1...)
		c[i] ^= 0x40
		if _, err := b.Open(c, "pa_activation:a1"); err == nil {
			t.Fatalf("bit flip at %d accepted", i)
		}
	}
	for _, short := range [][]byte{nil, {1}, c1[:20]} {
		if _, err := b.Open(short, "pa_activation:a1"); err == nil {
			t.Fatal("short ciphertext accepted")
		}
	}
}

func TestParseKey(t *testing.T) {
	k := GenerateKey()
	got, err := ParseKey(" " + base64.StdEncoding.EncodeToString(k) + "\n")
	if err != nil || !bytes.Equal(got, k) {
		t.Fatalf("parse: %v", err)
	}
	for _, bad := range []string{"", "not base64!", base64.StdEncoding.EncodeToString(k[:16])} {
		if _, err := ParseKey(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := New(k[:16]); err == nil {
		t.Fatal("16-byte key accepted")
	}
}
