package protocol

import (
	"bytes"
	"testing"
)

func TestParsePublicKeyForms(t *testing.T) {
	k, err := GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	p := k.Public()
	for name, raw := range map[string][]byte{"uncompressed": p.Uncompressed(), "compressed": p.Compressed()} {
		got, err := ParsePublicKey(raw)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !got.Equal(p) {
			t.Fatalf("%s: different point", name)
		}
		if !bytes.Equal(got.Bytes(), raw) {
			t.Fatalf("%s: Bytes() must return the exact received bytes", name)
		}
	}
}

func TestParsePublicKeyRejectsInvalid(t *testing.T) {
	k, _ := GenerateKeyPair()
	offCurve := k.Public().Uncompressed()
	offCurve[64] ^= 1
	badPrefix := k.Public().Compressed()
	badPrefix[0] = 0x05
	infinity := []byte{0x00}
	for name, raw := range map[string][]byte{
		"off curve":   offCurve,
		"bad prefix":  badPrefix,
		"infinity":    infinity,
		"empty":       nil,
		"truncated":   k.Public().Uncompressed()[:64],
		"x too large": append([]byte{0x02}, bytes.Repeat([]byte{0xFF}, 32)...),
	} {
		if _, err := ParsePublicKey(raw); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestParsePrivateKeyJavaEncodings(t *testing.T) {
	k, _ := GenerateKeyPair()
	s := k.Bytes()
	for name, raw := range map[string][]byte{
		"plain 32":         s,
		"java signed 33":   append([]byte{0}, s...),
		"short (stripped)": bytes.TrimLeft(append([]byte{0, 0}, s...), "\x00"),
	} {
		got, err := ParsePrivateKey(raw)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !got.Public().Equal(k.Public()) {
			t.Fatalf("%s: different key", name)
		}
	}
	// A scalar of 31 bytes is padded, not misread.
	short := make([]byte, 32)
	short[31] = 7
	if k, err := ParsePrivateKey(short[1:]); err != nil || !bytes.Equal(k.Bytes(), short) {
		t.Fatalf("short scalar: %v", err)
	}
	for name, raw := range map[string][]byte{
		"zero":          make([]byte, 32),
		"33 no zero":    append([]byte{1}, s...),
		"too long":      make([]byte, 34),
		"empty":         nil,
		"order or more": bytes.Repeat([]byte{0xFF}, 32),
	} {
		if _, err := ParsePrivateKey(raw); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestECDSAEncodings(t *testing.T) {
	k, _ := GenerateKeyPair()
	msg := []byte("W65WE-3T7VI-7FBS2-A4OYA")
	der, err := k.SignDER(msg)
	if err != nil {
		t.Fatal(err)
	}
	jose, err := k.SignJOSE(msg)
	if err != nil {
		t.Fatal(err)
	}
	p := k.Public()
	if !p.VerifyDER(msg, der) || !p.VerifyJOSE(msg, jose) {
		t.Fatal("signature does not verify")
	}
	if p.VerifyDER(msg, jose) || p.VerifyJOSE(msg, der) || p.VerifyJOSE(msg, jose[:63]) {
		t.Fatal("wrong encoding accepted")
	}
	if p.VerifyDER([]byte("other"), der) || p.VerifyJOSE([]byte("other"), jose) {
		t.Fatal("signature verifies other data")
	}
}

func TestVaultKeyWrap(t *testing.T) {
	ks := testKeys(t)
	w, err := WrapVaultKey(ks.Transport, ks.Vault)
	if err != nil {
		t.Fatal(err)
	}
	if len(w) != 32 {
		t.Fatalf("wrapped vault key is %d bytes, want 32", len(w))
	}
	got, err := UnwrapVaultKey(ks.Transport, w)
	if err != nil || !bytes.Equal(got, ks.Vault) {
		t.Fatalf("unwrap: %v", err)
	}
	// A wrong transport key must never yield the vault key (it usually
	// fails on padding; when padding happens to be valid the value differs).
	if got, err := UnwrapVaultKey(ks.Vault, w); err == nil && bytes.Equal(got, ks.Vault) {
		t.Fatal("wrong key recovered the vault key")
	}
	dev, _ := GenerateKeyPair()
	c, err := EncryptDevicePrivateKey(ks.Vault, dev)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecryptDevicePrivateKey(ks.Vault, c)
	if err != nil || !back.Public().Equal(dev.Public()) {
		t.Fatalf("device key round trip: %v", err)
	}
}

func TestPKCS7(t *testing.T) {
	key, iv := RandomBytes(16), RandomBytes(16)
	for n := 0; n <= 48; n++ {
		pt := RandomBytes(n)
		ct, err := EncryptCBC(key, iv, pt)
		if err != nil {
			t.Fatal(err)
		}
		if len(ct) != (n/16+1)*16 {
			t.Fatalf("len %d: ciphertext %d", n, len(ct))
		}
		got, err := DecryptCBC(key, iv, ct)
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("len %d: round trip: %v", n, err)
		}
	}
	// Bad padding values are rejected.
	for _, last := range []byte{0, 17, 255} {
		block := make([]byte, 16)
		block[15] = last
		ct, _ := EncryptCBCNoPadding(key, iv, block)
		if _, err := DecryptCBC(key, iv, ct); err == nil {
			t.Errorf("padding byte %d accepted", last)
		}
	}
	block := bytes.Repeat([]byte{3}, 16)
	block[14] = 2
	ct, _ := EncryptCBCNoPadding(key, iv, block)
	if _, err := DecryptCBC(key, iv, ct); err == nil {
		t.Error("inconsistent padding accepted")
	}
	if _, err := DecryptCBC(key, iv, []byte{1, 2, 3}); err == nil {
		t.Error("partial block accepted")
	}
}

func TestKDFRejectsBadKeys(t *testing.T) {
	if _, err := KDF(make([]byte, 15), 1); err == nil {
		t.Fatal("15-byte key accepted")
	}
	if got := KDFX963SHA256([]byte("z"), []byte("i"), 70); len(got) != 70 {
		t.Fatalf("x963 length %d", len(got))
	}
}

// BenchmarkActivationKeyExchange measures the server side of an activation:
// parse the device's compressed key, make the server key pair, compute the
// master secret, derive every key and the fingerprint.
func BenchmarkActivationKeyExchange(b *testing.B) {
	dev, _ := GenerateKeyPair()
	devRaw := dev.Public().Compressed()
	b.ReportAllocs()
	for b.Loop() {
		devPub, err := ParsePublicKey(devRaw)
		if err != nil {
			b.Fatal(err)
		}
		srv, err := GenerateKeyPair()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := DeriveActivationKeysECDH(srv, devPub); err != nil {
			b.Fatal(err)
		}
		_ = ActivationFingerprint(devPub, "6ae8cd16-67a7-4840-8d37-33d9aab6ea51", srv.Public())
	}
}
