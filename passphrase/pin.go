package passphrase

import (
	"strings"
	"time"
)

// PIN length limits of the reference (Source/src_native/pin_tester.c,
// MAX_PIN_LENGTH; api.md §8): shorter or longer input is WrongInput.
const (
	MinPINLength = 4
	MaxPINLength = 100
)

// PINIssues is a set of issues found in a PIN. The empty set means the
// PIN passed every rule (the reference's Ok).
type PINIssues uint

// The issues, with the reference's names (WPM_PasscodeResult).
const (
	// NotUnique: too few distinct digits.
	NotUnique PINIssues = 1 << iota
	// RepeatingChars: repeated or mirrored groups of digits.
	RepeatingChars
	// HasPattern: arithmetic runs such as 1234 or 1357.
	HasPattern
	// PossiblyDate: the PIN reads as a date or a recent year.
	PossiblyDate
	// FrequentlyUsed: the PIN is among the most used PINs.
	FrequentlyUsed
	// WrongInput: not 4 to 100 decimal digits; no rule was applied.
	WrongInput
)

// issueNames are the stable names of the issues (JSON and the CLI), in
// the order the issues are listed.
var issueNames = []struct {
	issue PINIssues
	name  string
	text  string
}{
	{WrongInput, "WRONG_INPUT", "not 4 to 100 digits"},
	{FrequentlyUsed, "FREQUENTLY_USED", "one of the most frequently used PINs"},
	{NotUnique, "NOT_UNIQUE", "too few different digits"},
	{RepeatingChars, "REPEATING_CHARS", "repeating groups of digits"},
	{HasPattern, "HAS_PATTERN", "runs of digits with a constant step"},
	{PossiblyDate, "POSSIBLY_DATE", "looks like a date"},
}

// Has reports whether every issue of i is in the set.
func (s PINIssues) Has(i PINIssues) bool { return i != 0 && s&i == i }

// Names returns the stable names of the issues in the set, such as
// "FREQUENTLY_USED" (empty for none).
func (s PINIssues) Names() []string {
	var out []string
	for _, n := range issueNames {
		if s&n.issue != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

// Describe returns a short English description of each issue in the set.
func (s PINIssues) Describe() []string {
	var out []string
	for _, n := range issueNames {
		if s&n.issue != 0 {
			out = append(out, n.text)
		}
	}
	return out
}

// String joins the names with "|", or returns "OK" for the empty set.
func (s PINIssues) String() string {
	if s == 0 {
		return "OK"
	}
	return strings.Join(s.Names(), "|")
}

// ParsePINIssue returns the issue of a stable name.
func ParsePINIssue(name string) (PINIssues, bool) {
	for _, n := range issueNames {
		if n.name == name {
			return n.issue, true
		}
	}
	return 0, false
}

// Policy returns the issues that make a PIN of the given length weak
// under the reference's recommended warning policy (its integration
// tutorial, "Testing PIN Codes"): up to 4 digits FrequentlyUsed and
// NotUnique, up to 6 also RepeatingChars, longer PINs also HasPattern.
// PossiblyDate is never part of it.
func Policy(length int) PINIssues {
	switch {
	case length <= 4:
		return FrequentlyUsed | NotUnique
	case length <= 6:
		return FrequentlyUsed | NotUnique | RepeatingChars
	default:
		return FrequentlyUsed | NotUnique | RepeatingChars | HasPattern
	}
}

// PINResult is the outcome of CheckPIN.
type PINResult struct {
	// Issues are all the issues found (WrongInput alone for bad input).
	Issues PINIssues
	// Length is the PIN's length in bytes.
	Length int
}

// Valid reports whether the input was a PIN the rules could test.
func (r PINResult) Valid() bool { return r.Issues&WrongInput == 0 }

// Warnings are the issues the recommended policy warns about; for
// invalid input, WrongInput.
func (r PINResult) Warnings() PINIssues {
	if !r.Valid() {
		return WrongInput
	}
	return r.Issues & Policy(r.Length)
}

// Weak reports whether the recommended policy warns about the PIN (or the
// input is not a PIN).
func (r PINResult) Weak() bool { return r.Warnings() != 0 }

// CheckPIN tests a PIN against every rule, reading dates relative to the
// current local year.
func CheckPIN(pin string) PINResult { return CheckPINAt(pin, time.Now()) }

// CheckPINAt is CheckPIN with the current time given: the date rule
// considers the 90 years up to now's year.
func CheckPINAt(pin string, now time.Time) PINResult {
	r := PINResult{Length: len(pin)}
	if len(pin) < MinPINLength || len(pin) > MaxPINLength {
		r.Issues = WrongInput
		return r
	}
	d := make([]int, len(pin))
	for i := 0; i < len(pin); i++ {
		c := pin[i]
		if c < '0' || c > '9' {
			r.Issues = WrongInput
			return r
		}
		d[i] = int(c - '0')
	}
	if frequentSet[pin] {
		r.Issues |= FrequentlyUsed
	}
	distinct := distinctDigits(d)
	need := 3 // distinct digits; 4 for PINs longer than 7 digits
	if len(d) > 7 {
		need = 4
	}
	if distinct < need {
		r.Issues |= NotUnique
	}
	if patternDigits(d) > allowedPatternDigits(len(d)) {
		r.Issues |= HasPattern
	}
	if repeatedDigits(d) > distinct {
		r.Issues |= RepeatingChars
	}
	if possiblyDate(d, now.Year()) {
		r.Issues |= PossiblyDate
	}
	return r
}

// distinctDigits counts the different digits of d.
func distinctDigits(d []int) int {
	var seen [10]bool
	n := 0
	for _, x := range d {
		if !seen[x] {
			seen[x] = true
			n++
		}
	}
	return n
}

// allowedPatternDigits is how many digits arithmetic runs may cover in a
// PIN of length n before it HasPattern.
func allowedPatternDigits(n int) int {
	switch {
	case n <= 5:
		return 2
	case n <= 6:
		return 3
	case n <= 8:
		return 4
	default:
		return n / 2
	}
}

// patternDigits sums the lengths of the arithmetic runs of d. A run starts
// at a pair of digits, whose difference is the step, and goes on while the
// next digit continues the step; a digit equal to its predecessor that
// breaks the step does not end the run but is counted with it when the
// run has at least three stepped digits. After a run the scan resumes one
// digit past the digit that ended it, as the reference does.
func patternDigits(d []int) int {
	total := 0
	for i := 0; i+2 < len(d); {
		step := d[i+1] - d[i]
		run, repeats := 0, 0
		j := i + 2
	scan:
		for ; j < len(d); j++ {
			switch diff := d[j] - d[j-1]; {
			case diff == step && run == 0:
				run = 3
			case diff == step:
				run++
			case diff == 0:
				repeats++
			default:
				break scan
			}
		}
		if run > 0 {
			run += repeats
		}
		if run >= 3 {
			total += run
			i = j + 1
		} else {
			i++
		}
	}
	return total
}

// repeatedDigits counts the digits covered by recurring groups: for each
// group length from 2 to half the PIN, each group (scanning from the
// start) is looked for later in the PIN, as it is or mirrored; every
// occurrence adds the group length, and the group itself once more when
// it recurs. The scan of a length stops at the first group seen before,
// and a recurring group is skipped over as a whole.
func repeatedDigits(d []int) int {
	n := len(d)
	total := 0
	type group struct{ start, length int }
	var tested []group
	for length := 2; length <= n/2; length++ {
		for start := 0; start+length <= n-length; {
			g := d[start : start+length]
			seen := false
			for _, t := range tested {
				if t.length == length && equalDigits(g, d[t.start:t.start+length]) {
					seen = true
					break
				}
			}
			if seen {
				break
			}
			tested = append(tested, group{start, length})
			found := false
			for s := start + length; s+length <= n; {
				if other := d[s : s+length]; equalDigits(g, other) || mirroredDigits(g, other) {
					total += length
					s += length
					found = true
				} else {
					s++
				}
			}
			if found {
				total += length
				start += length
			} else {
				start++
			}
		}
	}
	return total
}

func equalDigits(a, b []int) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// mirroredDigits reports whether b is a reversed.
func mirroredDigits(a, b []int) bool {
	for i := range a {
		if a[i] != b[len(b)-1-i] {
			return false
		}
	}
	return true
}

// yearWindow is how many years back a year counts as a possible birth
// year (the reference: years from the current one minus 90 up to the
// current one).
const yearWindow = 90

// possiblyDate applies the date rule for PINs of 4, 6 and 8 digits.
func possiblyDate(d []int, thisYear int) bool {
	num := func(i, n int) int {
		v := 0
		for _, x := range d[i : i+n] {
			v = v*10 + x
		}
		return v
	}
	recent := func(y int) bool { return y >= thisYear-yearWindow && y <= thisYear }
	switch len(d) {
	case 4:
		a, b := num(0, 2), num(2, 2)
		// Day and month without a year: 29 February is someone's birthday.
		return validDate(a, b, 2000) || validDate(b, a, 2000) || recent(num(0, 4))
	case 6:
		a, b, y := num(0, 2), num(2, 2), century(num(4, 2), thisYear)
		return recent(y) && (validDate(a, b, y) || validDate(b, a, y))
	case 8:
		a, b, y := num(0, 2), num(2, 2), num(4, 4)
		return recent(y) && (validDate(a, b, y) || validDate(b, a, y))
	}
	return false
}

// century reads a two-digit year as the latest year up to thisYear that
// ends in those digits (the 100-year window ending this year).
func century(yy, thisYear int) int {
	y := thisYear - thisYear%100 + yy
	if y > thisYear {
		y -= 100
	}
	return y
}

// validDate reports whether day.month.year is a calendar date.
func validDate(day, month, year int) bool {
	if month < 1 || month > 12 || day < 1 {
		return false
	}
	return day <= time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
