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

func TestMAC(t *testing.T) {
	key := GenerateKey()
	b, err := New(key)
	if err != nil {
		t.Fatal(err)
	}
	same, _ := New(key)
	other, _ := New(GenerateKey())
	secret := []byte("client secret")
	m := b.MAC(secret, "pa_integration.client_secret:i1")
	if len(m) != 32 || bytes.Contains(m, secret) {
		t.Fatalf("mac %x", m)
	}
	if !bytes.Equal(m, same.MAC(secret, "pa_integration.client_secret:i1")) {
		t.Fatal("the same key and input give another MAC")
	}
	for name, x := range map[string][]byte{
		"other record": b.MAC(secret, "pa_integration.client_secret:i2"),
		"other secret": b.MAC([]byte("client secreT"), "pa_integration.client_secret:i1"),
		"other key":    other.MAC(secret, "pa_integration.client_secret:i1"),
		// context and data are framed: moving bytes between them changes the MAC
		"shifted": b.MAC([]byte("1client secret"), "pa_integration.client_secret:i"),
	} {
		if bytes.Equal(m, x) {
			t.Fatalf("%s: same MAC", name)
		}
	}
	if b.KeyID() != same.KeyID() || b.KeyID() == other.KeyID() || len(b.KeyID()) != 8 {
		t.Fatalf("key ids %s %s %s", b.KeyID(), same.KeyID(), other.KeyID())
	}
}
