package passphrase

import (
	"strings"
	"testing"
)

func TestStrengthScale(t *testing.T) {
	tests := []struct {
		log  float64
		want Strength
	}{
		{0, VeryWeak}, {2.999, VeryWeak}, {3, Weak}, {5.999, Weak}, {6, Moderate}, {7.999, Moderate},
		{8, Good}, {9.999, Good}, {10, Strong}, {100, Strong},
	}
	for _, tc := range tests {
		if got := StrengthFor(tc.log); got != tc.want {
			t.Errorf("StrengthFor(%v) = %v, want %v", tc.log, got, tc.want)
		}
	}
	names := map[Strength]string{VeryWeak: "VERY_WEAK", Weak: "WEAK", Moderate: "MODERATE", Good: "GOOD", Strong: "STRONG", WrongPassword: "WRONG_INPUT", Strength(9): "UNKNOWN"}
	for s, n := range names {
		if s.String() != n {
			t.Errorf("%d.String() = %s, want %s", s, s, n)
		}
	}
}

// TestPasswordReferenceExamples: the reference's password examples
// (testPasswords and the dictionary tests of its iOS and Android suites).
// The reference runs zxcvbn-c; mauth runs the Go port of zxcvbn 4.4.2, so
// two ratings differ, and the table says which.
func TestPasswordReferenceExamples(t *testing.T) {
	tests := []struct {
		password  string
		reference string
		want      Strength
	}{
		{"12345678", "VERY_WEAK", VeryWeak},
		{"ap", "VERY_WEAK", VeryWeak},
		{"apwu", "WEAK", Weak},
		{"ap,wu92nbSm;#/", "STRONG", Strong},
		{"qwerty", "WEAK", VeryWeak},                     // zxcvbn 4.4.2 ranks it among the most common passwords
		{"apwunb", "GOOD", Moderate},                     // brute force: 10^6 guesses for 6 characters
		{"international", "WEAK or VERY_WEAK", VeryWeak}, // reference with its English dictionary: weak or very weak
		{"january", "WEAK or VERY_WEAK", VeryWeak},
		{"television", "WEAK or VERY_WEAK", VeryWeak},
		{"spolecnosti", "GOOD or STRONG", Good}, // reference without the Czech/Slovak dictionary: good or strong
		{"rozcestnik", "GOOD or STRONG", Strong},
	}
	for _, tc := range tests {
		got := CheckPassword(tc.password)
		if got.Strength != tc.want {
			t.Errorf("CheckPassword(%q) = %v (log10 guesses %.2f), want %v (reference %s)", tc.password, got.Strength, got.Log10Guesses, tc.want, tc.reference)
		}
		if StrengthFor(got.Log10Guesses) != got.Strength {
			t.Errorf("%q: strength %v does not follow from log10 guesses %.2f", tc.password, got.Strength, got.Log10Guesses)
		}
	}
}

func TestPasswordWrongInput(t *testing.T) {
	for _, pw := range []string{"", "\xff\xfe", "ok\x80", strings.Repeat("a", MaxPasswordLength+1)} {
		if got := CheckPassword(pw); got.Strength != WrongPassword || got.Log10Guesses != 0 {
			t.Errorf("CheckPassword(%q) = %+v, want WrongPassword", pw, got)
		}
	}
	// The longest accepted password is rated.
	long := strings.Repeat("correct horse battery staple ", 4)[:MaxPasswordLength]
	if got := CheckPassword(long); got.Strength != Strong {
		t.Errorf("a %d-byte password: %v, want Strong", len(long), got.Strength)
	}
}

// TestPasswordUserInputs: a password built from the user's own data is
// weaker; unusable inputs are ignored.
func TestPasswordUserInputs(t *testing.T) {
	const pw = "zdenek.novotny81"
	plain := CheckPassword(pw)
	with := CheckPassword(pw, "zdenek.novotny", "", "\xff", strings.Repeat("z", MaxPasswordLength+1))
	if plain.Strength < Good || with.Strength > Weak || with.Log10Guesses >= plain.Log10Guesses {
		t.Fatalf("without inputs %v (%.2f), with the user's name %v (%.2f)", plain.Strength, plain.Log10Guesses, with.Strength, with.Log10Guesses)
	}
}
