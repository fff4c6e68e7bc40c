package passphrase

import (
	"math"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn"
)

// MaxPasswordLength bounds the passwords CheckPassword rates, in bytes;
// longer input is WrongPassword. zxcvbn's matching grows much faster than
// the length (a random 100-byte password takes about 0.2 s, 256 bytes
// about 10 s on one core), so an unbounded input would let anyone who
// feeds the meter stall it. The reference has no limit; this one is
// mauth's, equal to the reference's longest PIN.
const MaxPasswordLength = 100

// Strength is a password's rating on the reference's five-level scale
// (WPM_PasswordResult / PasswordStrength).
type Strength int

// The levels, weakest first, and WrongInput.
const (
	VeryWeak Strength = iota
	Weak
	Moderate
	Good
	Strong
	// WrongPassword: empty, not UTF-8, or longer than MaxPasswordLength.
	WrongPassword
)

var strengthNames = [...]string{"VERY_WEAK", "WEAK", "MODERATE", "GOOD", "STRONG", "WRONG_INPUT"}

// String returns the stable name, such as "VERY_WEAK".
func (s Strength) String() string {
	if s < 0 || int(s) >= len(strengthNames) {
		return "UNKNOWN"
	}
	return strengthNames[s]
}

// PasswordResult is the outcome of CheckPassword.
type PasswordResult struct {
	// Strength is the rating.
	Strength Strength
	// Log10Guesses is the decimal logarithm of zxcvbn's estimated number
	// of guesses (0 for WrongPassword).
	Log10Guesses float64
}

// StrengthFor maps the decimal logarithm of the guesses to the scale:
// < 3 VeryWeak, < 6 Weak, < 8 Moderate, < 10 Good, else Strong (the
// reference's WPM_testPassword thresholds).
func StrengthFor(log10Guesses float64) Strength {
	switch {
	case log10Guesses < 3:
		return VeryWeak
	case log10Guesses < 6:
		return Weak
	case log10Guesses < 8:
		return Moderate
	case log10Guesses < 10:
		return Good
	}
	return Strong
}

// CheckPassword rates a password with zxcvbn. userInputs are words the
// password should not be built from (the user's name or login, the
// application's name); zxcvbn treats them as a dictionary of their own.
func CheckPassword(password string, userInputs ...string) PasswordResult {
	if password == "" || len(password) > MaxPasswordLength || !utf8.ValidString(password) {
		return PasswordResult{Strength: WrongPassword}
	}
	inputs := make([]string, 0, len(userInputs))
	for _, in := range userInputs {
		if in != "" && len(in) <= MaxPasswordLength && utf8.ValidString(in) {
			inputs = append(inputs, in)
		}
	}
	g := math.Log10(zxcvbn.PasswordStrength(password, inputs).Guesses)
	if math.IsNaN(g) || g < 0 {
		g = 0
	}
	return PasswordResult{Strength: StrengthFor(g), Log10Guesses: g}
}
