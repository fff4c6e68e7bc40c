package protocol

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func TestActivationCodeKnownCodes(t *testing.T) {
	for _, c := range []string{"AAAAA-AAAAA-AAAAA-AAAAA", "MMMMM-MMMMM-MMMMM-MUTOA", "W65WE-3T7VI-7FBS2-A4OYA", "45AWJ-BVACS-SBWHS-ABANA"} {
		if err := ValidateActivationCode(c); err != nil {
			t.Errorf("%s: %v", c, err)
		}
	}
}

func TestActivationCodeGenerated(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		c := GenerateActivationCode()
		if err := ValidateActivationCode(c); err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		if seen[c] {
			t.Fatalf("duplicate code %s", c)
		}
		seen[c] = true
	}
}

func TestActivationCodeRejects(t *testing.T) {
	for name, c := range map[string]string{
		"checksum":        "AAAAA-AAAAA-AAAAA-AABAA",
		"trailing bits":   "AAAAA-AAAAA-AAAAA-AAAAB",
		"lowercase":       "w65we-3t7vi-7fbs2-a4oya",
		"digit 0":         "W65WE-3T7VI-7FBS2-A40YA",
		"missing dash":    "W65WE3T7VI-7FBS2-A4OYA-",
		"short":           "W65WE-3T7VI-7FBS2-A4OY",
		"long":            "W65WE-3T7VI-7FBS2-A4OYAA",
		"dash elsewhere":  "W65W-E3T7VI-7FBS2-A4OYA",
		"empty":           "",
		"non-ascii":       "W65WE-3T7VI-7FBS2-A4OYÄ",
		"v2 short id+otp": "7Z4X3-F66TL",
	} {
		if err := ValidateActivationCode(c); !errors.Is(err, ErrInvalidActivationCode) {
			t.Errorf("%s: %q: err %v", name, c, err)
		}
	}
}

func TestCorrectTypedActivationCode(t *testing.T) {
	if got := CorrectTypedActivationCode(" w65we-3t7vi-7fbs2-a40ya "); got != "W65WE-3T7VI-7FBS2-A4OYA" {
		t.Fatalf("got %q", got)
	}
	if got := CorrectTypedActivationCode("45awj-bvacs-sbwhs-abana"); ValidateActivationCode(got) != nil {
		t.Fatalf("corrected %q does not validate", got)
	}
	if got := CorrectTypedActivationCode("1111"); got != "IIII" {
		t.Fatalf("got %q", got)
	}
}

func TestActivationQRString(t *testing.T) {
	master, _ := GenerateKeyPair()
	other, _ := GenerateKeyPair()
	code := GenerateActivationCode()
	sig, err := SignActivationCode(master, code)
	if err != nil {
		t.Fatal(err)
	}
	qr := ActivationQRString(code, sig)
	gotCode, gotSig, err := ParseActivationQRString(qr, master.Public())
	if err != nil || gotCode != code || string(gotSig) != string(sig) {
		t.Fatalf("parse: %v", err)
	}
	if _, _, err := ParseActivationQRString(qr, other.Public()); !errors.Is(err, ErrInvalidActivationSignature) {
		t.Fatalf("wrong master key: %v", err)
	}
	if c, s, err := ParseActivationQRString(code, master.Public()); err != nil || c != code || s != nil {
		t.Fatalf("code without signature: %v", err)
	}
	if _, _, err := ParseActivationQRString(code+"#***", master.Public()); err == nil {
		t.Fatal("bad base64 signature accepted")
	}
	if _, _, err := ParseActivationQRString(strings.ToLower(code)+"#"+base64.StdEncoding.EncodeToString(sig), master.Public()); err != nil {
		t.Fatalf("typed lower-case code: %v", err)
	}
	// Signature over another code does not verify.
	sig2, _ := SignActivationCode(master, GenerateActivationCode())
	if _, _, err := ParseActivationQRString(ActivationQRString(code, sig2), master.Public()); !errors.Is(err, ErrInvalidActivationSignature) {
		t.Fatalf("signature of another code: %v", err)
	}
}

func TestCRC16ARC(t *testing.T) {
	// The CRC-16/ARC check value: CRC of ASCII "123456789" is 0xBB3D.
	if got := crc16ARC([]byte("123456789")); got != 0xBB3D {
		t.Fatalf("crc16 %04x", got)
	}
}

func FuzzParseActivationCode(f *testing.F) {
	for _, s := range []string{"AAAAA-AAAAA-AAAAA-AAAAA", "W65WE-3T7VI-7FBS2-A4OYA#MEUCIQ==", "w65we-3t7vi-7fbs2-a40ya", "R:45AWJ-BVACS-SBWHS-ABANA", "#", "-----"} {
		f.Add(s)
	}
	master, _ := GenerateKeyPair()
	f.Fuzz(func(t *testing.T, s string) {
		if err := ValidateActivationCode(s); err == nil {
			if len(s) != ActivationCodeLength {
				t.Fatalf("accepted %q of length %d", s, len(s))
			}
			// A valid code is a fixed point of correction and survives re-encoding.
			if CorrectTypedActivationCode(s) != s {
				t.Fatalf("valid code %q changes on correction", s)
			}
		}
		code, sig, err := ParseActivationQRString(s, master.Public())
		if err == nil {
			if ValidateActivationCode(code) != nil {
				t.Fatalf("parsed code %q is invalid", code)
			}
			if sig != nil {
				t.Fatalf("random signature verified for %q", s)
			}
		}
		if code, err := ParseRecoveryQRString(s); err == nil && ValidateActivationCode(code) != nil {
			t.Fatalf("recovery code %q is invalid", code)
		}
		_, _ = NormalizePUK(s)
	})
}
