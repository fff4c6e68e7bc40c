package passphrase

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzCheckPIN: any input gives WrongInput exactly when it is not 4 to
// 100 decimal digits, never panics, and the result does not depend on
// anything but the input and the year.
func FuzzCheckPIN(f *testing.F) {
	for _, s := range []string{"1234", "9562", "29022000", "0229", "010127", "asdf", "", strings.Repeat("9", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, pin string) {
		r := CheckPINAt(pin, now)
		digits := len(pin) >= MinPINLength && len(pin) <= MaxPINLength && strings.Trim(pin, "0123456789") == ""
		if r.Valid() != digits {
			t.Fatalf("%q: valid %v, digits %v", pin, r.Valid(), digits)
		}
		if !r.Valid() && r.Issues != WrongInput {
			t.Fatalf("%q: %v besides WrongInput", pin, r.Issues)
		}
		if r.Length != len(pin) || r.Warnings()&^(r.Issues|WrongInput) != 0 {
			t.Fatalf("%q: %+v warns about an issue it does not have", pin, r)
		}
		if again := CheckPINAt(pin, now); again != r {
			t.Fatalf("%q: %v then %v", pin, r, again)
		}
		if r.Issues.Has(PossiblyDate) && len(pin) != 4 && len(pin) != 6 && len(pin) != 8 {
			t.Fatalf("%q: a date of %d digits", pin, len(pin))
		}
	})
}

// FuzzCheckPassword: any input is rated or WrongPassword, never panics,
// and the rating follows from the guesses.
func FuzzCheckPassword(f *testing.F) {
	for _, s := range []string{"qwerty", "ap,wu92nbSm;#/", "correct horse battery staple", "", "\xff", "Pässwört€", "1234"} {
		f.Add(s, "")
	}
	f.Add("zdenek.novotny81", "zdenek.novotny")
	f.Fuzz(func(t *testing.T, password, userInput string) {
		r := CheckPassword(password, userInput)
		wrong := password == "" || len(password) > MaxPasswordLength || !utf8.ValidString(password)
		if (r.Strength == WrongPassword) != wrong {
			t.Fatalf("%q: %v, wrong input %v", password, r.Strength, wrong)
		}
		if !wrong && (r.Strength != StrengthFor(r.Log10Guesses) || r.Log10Guesses < 0) {
			t.Fatalf("%q: %v from log10 guesses %v", password, r.Strength, r.Log10Guesses)
		}
	})
}
