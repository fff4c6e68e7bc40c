package service

import (
	"testing"
	"time"
)

func TestTOTPSHA256RFC6238Vectors(t *testing.T) {
	// RFC 6238 appendix B, SHA-256 column (32-byte ASCII seed, 30 s steps, 8 digits).
	seed := []byte("12345678901234567890123456789012")
	for _, tc := range []struct {
		unix int64
		want string
	}{
		{59, "46119246"},
		{1111111109, "68084774"},
		{1111111111, "67062674"},
		{1234567890, "91819424"},
		{2000000000, "90698825"},
		{20000000000, "77737706"},
	} {
		got, err := totpSHA256(seed, time.Unix(tc.unix, 0), 30*time.Second, 8)
		if err != nil || got != tc.want {
			t.Errorf("T=%d: %q %v, want %s", tc.unix, got, err, tc.want)
		}
	}
}

func TestTOTPSHA256Parameters(t *testing.T) {
	seed := []byte("seed")
	at := time.Unix(1700000000, 0)
	six, err := totpSHA256(seed, at, time.Minute, 6)
	if err != nil || len(six) != 6 {
		t.Fatalf("6 digits: %q %v", six, err)
	}
	eight, _ := totpSHA256(seed, at, time.Minute, 8)
	if eight[2:] != six {
		t.Fatalf("6 digits %q are not the tail of 8 digits %q", six, eight)
	}
	// The same step gives the same code, the next step another one.
	same, _ := totpSHA256(seed, at.Add(19*time.Second), time.Minute, 8)
	next, _ := totpSHA256(seed, at.Add(time.Minute), time.Minute, 8)
	if same != eight || next == eight {
		t.Fatalf("steps: %s %s %s", eight, same, next)
	}
	for name, f := range map[string]func() (string, error){
		"short step":  func() (string, error) { return totpSHA256(seed, at, 500*time.Millisecond, 8) },
		"zero digits": func() (string, error) { return totpSHA256(seed, at, time.Minute, 0) },
		"ten digits":  func() (string, error) { return totpSHA256(seed, at, time.Minute, 10) },
		"before 1970": func() (string, error) { return totpSHA256(seed, time.Unix(-100, 0), time.Minute, 8) },
	} {
		if _, err := f(); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}
