package protocol

import (
	"errors"
	"strings"
	"testing"
)

func TestRecoveryCodeAndPUKs(t *testing.T) {
	code, puks, err := NewRecoveryCode(3)
	if err != nil {
		t.Fatal(err)
	}
	if err := ValidateActivationCode(code); err != nil {
		t.Fatalf("recovery code %q: %v", code, err)
	}
	if len(puks) != 3 {
		t.Fatalf("%d PUKs", len(puks))
	}
	for i, p := range puks {
		if p.Index != i+1 || len(p.PUK) != 10 {
			t.Fatalf("puk %d: %+v", i, p)
		}
		if _, err := NormalizePUK(p.PUK); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRecoveryDerivationIsDeterministic(t *testing.T) {
	secret, nonce := RandomBytes(16), RandomBytes(32)
	a, err := DeriveRecoverySeed(secret, nonce)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := DeriveRecoverySeed(secret, nonce)
	if a.Code != b.Code || string(a.PUKBaseKey) != string(b.PUKBaseKey) {
		t.Fatal("derivation is not deterministic")
	}
	// The same secret: what a printing service recomputes from the nonce and indexes.
	p1, _ := DerivePUK(a.PUKBaseKey, 42)
	p2, _ := DerivePUK(b.PUKBaseKey, 42)
	p3, _ := DerivePUK(b.PUKBaseKey, 43)
	if p1 != p2 || p1 == p3 {
		t.Fatalf("puk derivation: %s %s %s", p1, p2, p3)
	}
	other, _ := DeriveRecoverySeed(secret, RandomBytes(32))
	if other.Code == a.Code {
		t.Fatal("different nonce, same code")
	}
	if _, err := DeriveRecoverySeed(secret, RandomBytes(31)); err == nil {
		t.Fatal("short nonce accepted")
	}
}

func TestNormalizePUK(t *testing.T) {
	for in, want := range map[string]string{"0123456789": "0123456789", "01234-56789": "0123456789", " 9999999999 ": "9999999999"} {
		if got, err := NormalizePUK(in); err != nil || got != want {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "123456789", "12345678901", "12345a7890", strings.Repeat("1", 100)} {
		if _, err := NormalizePUK(bad); !errors.Is(err, ErrInvalidPUK) {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseRecoveryQRString(t *testing.T) {
	code, _, _ := NewRecoveryCode(1)
	for _, in := range []string{code, "R:" + code, "R:" + strings.ToLower(code)} {
		if got, err := ParseRecoveryQRString(in); err != nil || got != code {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	if _, err := ParseRecoveryQRString("R:" + code + "#MEUCIQ=="); err == nil {
		t.Error("signature accepted on a recovery code")
	}
}
