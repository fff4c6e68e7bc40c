package passphrase

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// now fixes the date rule's current year for the tests: 2026, so the
// 90-year window is 1936-2026 and two-digit years read 1927-2026.
var now = time.Date(2026, time.December, 7, 12, 0, 0, 0, time.UTC)

// ruleCase is a PIN and whether a rule flags it.
type ruleCase struct {
	pin  string
	want bool
}

// ruleTables are each rule's cases: the reference's own examples
// (the iOS and Android test suites of github.com/wultra/passphrase-meter,
// PassMeterExampleTests.swift and PassMeterInstrumentedTest.kt) first,
// then edge cases of ours.
var ruleTables = []struct {
	rule  PINIssues
	cases []ruleCase
}{
	{FrequentlyUsed, []ruleCase{
		{"1111", true}, // reference
		{"1234", true}, {"0000", true}, {"2580", true}, {"4200", true}, {"123456", true},
		{"1234567891", true}, {"3141592654", true}, {"00700", true},
		{"9562", false}, // reference: an OK PIN
		{"12345678901", false}, {"1235", true}, {"1236", false}, {"01234", true}, {"012345", false},
	}},
	{NotUnique, []ruleCase{
		{"1112", true}, // reference
		{"9562", false},
		{"1122", true}, {"1123", false}, {"0000", true},
		// up to 7 digits 3 distinct digits suffice; from 8 digits 4 are needed
		{"1231231", false}, {"12312312", true}, {"12341234", false}, {"1212121", true},
		{strings.Repeat("9", 100), true}, {strings.Repeat("0123", 25), false}, {strings.Repeat("012", 33) + "0", true},
	}},
	{RepeatingChars, []ruleCase{
		{"1111", true}, // reference
		{"9562", false},
		{"692692", true}, {"12321", true}, {"1221", true}, {"1212", true}, {"123454321", true},
		{"1234", false}, {"1123", false}, {"9012", false}, {"120912", false}, {"12891289", true},
		{"123", false}, // not a PIN (WrongInput): no rule applies
	}},
	{HasPattern, []ruleCase{
		{"1357", true}, // reference
		{"9562", false},
		{"1234", true}, {"4556", true}, {"9630", true}, {"2580", true}, {"1456", true},
		{"1029", false}, {"5913", false},
		// up to 5 digits 2 digits of runs are allowed, 3 for 6 digits,
		// 4 for 7-8 digits, half the length beyond
		{"91357", true}, {"91375", false},
		{"913572", true}, {"913570", true}, {"913580", false}, {"914580", false},
		{"9135720", false}, {"91357208", false}, {"91234508", true},
		{"913579208", true}, {"9135752083", false}, {"1234567890", true},
	}},
	{PossiblyDate, []ruleCase{
		// reference: dates
		{"0304", true}, {"1012", true}, {"3101", true}, {"1998", true}, {"2005", true},
		{"150990", true}, {"241065", true}, {"16021998", true}, {"03122001", true},
		{"2901", true}, {"2802", true}, {"0101", true},
		// reference: no dates
		{"1313", false}, {"0028", false}, {"1287", false}, {"9752", false}, {"151590", false},
		{"001297", false}, {"41121987", false}, {"3002", false}, {"3102", false},
		// mmdd as well as ddmm
		{"1231", true}, {"0431", false}, {"3104", false}, {"3004", true},
		// leap days: a 4-digit day and month has no year, so 29 February counts
		{"2902", true}, {"0229", true}, {"3002", false}, {"0230", false},
		{"290296", true}, {"022996", true}, {"290297", false}, {"290200", true}, {"290201", false},
		{"29021996", true}, {"02291996", true}, {"29021997", false}, {"29022000", true}, {"29022024", true},
		{"29021900", false}, // not a leap year (and out of the window)
		// the 90-year window of years: 1936-2026
		{"1936", true}, {"1935", false}, {"2026", true}, {"2027", false},
		{"01011936", true}, {"31121935", false}, {"31122026", true}, {"01012027", false},
		// two-digit years in the 100 years up to 2026: "26" is 2026, "27" 1927
		{"010126", true}, {"010127", false}, {"010136", true}, {"010135", false}, {"311299", true}, {"010100", true},
		// only 4, 6 and 8 digits can be dates
		{"01011", false}, {"0101199", false}, {"010119900", false},
	}},
}

func TestPINRules(t *testing.T) {
	for _, table := range ruleTables {
		t.Run(table.rule.String(), func(t *testing.T) {
			for _, tc := range table.cases {
				got := CheckPINAt(tc.pin, now)
				if got.Issues.Has(table.rule) != tc.want {
					t.Errorf("CheckPIN(%q) = %v, want %v: %v", tc.pin, got.Issues, table.rule, tc.want)
				}
			}
		})
	}
}

// TestPINReferenceResults: the reference's examples with every issue
// they have, so no rule fires where it should not.
func TestPINReferenceResults(t *testing.T) {
	tests := []struct {
		pin  string
		want PINIssues
	}{
		{"9562", 0},
		{"1111", FrequentlyUsed | NotUnique | RepeatingChars | HasPattern | PossiblyDate},
		{"1357", FrequentlyUsed | HasPattern},
		{"1990", PossiblyDate},
		{"1112", FrequentlyUsed | NotUnique | HasPattern | PossiblyDate},
		{"1456", HasPattern}, // the reference tutorial's example
		{"692692", RepeatingChars},
		{"asdf", WrongInput},
	}
	for _, tc := range tests {
		if got := CheckPINAt(tc.pin, now).Issues; got != tc.want {
			t.Errorf("CheckPIN(%q) = %v, want %v", tc.pin, got, tc.want)
		}
	}
}

func TestPINWrongInput(t *testing.T) {
	bad := []string{
		"", "1", "123", "asdf", "12a4", " 1234", "1234 ", "1234\n", "-1234", "+1234", "12.34", "1e10",
		"１２３４",       // full-width digits
		"١٢٣٤",       // Arabic-Indic digits
		"12\x0034",   // NUL inside
		"\xff\xfe12", // not UTF-8
		strings.Repeat("1", 101), strings.Repeat("5", 1000),
	}
	for _, pin := range bad {
		got := CheckPINAt(pin, now)
		if got.Issues != WrongInput || got.Valid() || !got.Weak() || got.Warnings() != WrongInput {
			t.Errorf("CheckPIN(%q) = %+v, want WrongInput only", pin, got)
		}
	}
}

// TestPINLengths: every length from 4 to 100 is a PIN the rules test.
func TestPINLengths(t *testing.T) {
	const digits = "5820619473"
	for n := MinPINLength; n <= MaxPINLength; n++ {
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteByte(digits[(i*7+i/10)%10])
		}
		pin := b.String()
		got := CheckPINAt(pin, now)
		if !got.Valid() || got.Length != n {
			t.Errorf("length %d: %+v, want a valid result", n, got)
		}
		if all := CheckPINAt(strings.Repeat("7", n), now); !all.Issues.Has(NotUnique|RepeatingChars|HasPattern) || !all.Weak() {
			t.Errorf("%d sevens: %v, want NotUnique, RepeatingChars and HasPattern, weak", n, all.Issues)
		}
	}
}

func TestPolicy(t *testing.T) {
	tests := []struct {
		length int
		want   PINIssues
	}{
		{4, FrequentlyUsed | NotUnique},
		{5, FrequentlyUsed | NotUnique | RepeatingChars},
		{6, FrequentlyUsed | NotUnique | RepeatingChars},
		{7, FrequentlyUsed | NotUnique | RepeatingChars | HasPattern},
		{100, FrequentlyUsed | NotUnique | RepeatingChars | HasPattern},
	}
	for _, tc := range tests {
		if got := Policy(tc.length); got != tc.want {
			t.Errorf("Policy(%d) = %v, want %v", tc.length, got, tc.want)
		}
		if Policy(tc.length).Has(PossiblyDate) {
			t.Errorf("Policy(%d) warns about dates", tc.length)
		}
	}
	weak := []struct {
		pin  string
		weak bool
		warn PINIssues
	}{
		{"1357", true, FrequentlyUsed},   // the pattern alone would not count at 4 digits
		{"1456", false, 0},               // pattern at 4 digits: no warning
		{"1990", false, 0},               // a date is only a hint
		{"692692", true, RepeatingChars}, // 6 digits: repetition counts
		{"913572", false, 0},             // 6 digits: a pattern does not
		{"9135702", false, 0},            // 7 digits, runs within the allowance
		{"91234508", true, HasPattern},   // 8 digits: patterns count
		{"9562", false, 0},
		{"1111", true, FrequentlyUsed | NotUnique},
	}
	for _, tc := range weak {
		r := CheckPINAt(tc.pin, now)
		if r.Weak() != tc.weak || r.Warnings() != tc.warn {
			t.Errorf("%s: weak %v warnings %v, want %v %v (issues %v)", tc.pin, r.Weak(), r.Warnings(), tc.weak, tc.warn, r.Issues)
		}
	}
}

// TestFrequentPINs: the list is the reference's 220 PINs of 4 to 10
// digits, each found by the rule.
func TestFrequentPINs(t *testing.T) {
	list := FrequentPINs()
	if len(list) != 220 {
		t.Fatalf("%d frequent PINs, want 220", len(list))
	}
	seen := map[string]bool{}
	for _, p := range list {
		if seen[p] {
			t.Errorf("%s listed twice", p)
		}
		seen[p] = true
		if len(p) < 4 || len(p) > 10 || strings.Trim(p, "0123456789") != "" {
			t.Errorf("%q is not a PIN of 4 to 10 digits", p)
		}
		if r := CheckPINAt(p, now); !r.Issues.Has(FrequentlyUsed) || !r.Weak() {
			t.Errorf("%s: %v, want FrequentlyUsed and weak", p, r.Issues)
		}
	}
	list[0] = "x"
	if FrequentPINs()[0] != "1234" {
		t.Error("FrequentPINs shares its array")
	}
}

// TestDateWindowFollowsTheClock: the window moves with the year given.
func TestDateWindowFollowsTheClock(t *testing.T) {
	at := func(y int) time.Time { return time.Date(y, time.January, 1, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		pin  string
		year int
		want bool
	}{
		{"1990", 2080, true}, {"1990", 2081, false}, {"2030", 2029, false}, {"2030", 2030, true},
		{"010130", 2029, false}, // 1930 then: out of the window
		{"010130", 2030, true},  // 2030
		{"010199", 2099, true},  // 2099
		{"010100", 2099, false}, // 2000: more than 90 years back
		{"010100", 2100, true},  // 2100
		{"29022100", 2100, false},
		{"29022000", 2089, true}, {"29022000", 2091, false},
	}
	for _, tc := range tests {
		if got := CheckPINAt(tc.pin, at(tc.year)).Issues.Has(PossiblyDate); got != tc.want {
			t.Errorf("%s in %d: date %v, want %v", tc.pin, tc.year, got, tc.want)
		}
	}
	// CheckPIN uses the clock: this year is a date, next century's is not.
	if !CheckPIN(time.Now().Format("2006")).Issues.Has(PossiblyDate) {
		t.Error("the current year is not a possible date")
	}
}

func TestPINIssueNames(t *testing.T) {
	all := WrongInput | FrequentlyUsed | NotUnique | RepeatingChars | HasPattern | PossiblyDate
	want := []string{"WRONG_INPUT", "FREQUENTLY_USED", "NOT_UNIQUE", "REPEATING_CHARS", "HAS_PATTERN", "POSSIBLY_DATE"}
	if got := all.Names(); !slices.Equal(got, want) {
		t.Fatalf("names %v, want %v", got, want)
	}
	if len(all.Describe()) != len(want) {
		t.Fatal("a description is missing")
	}
	for _, n := range want {
		i, ok := ParsePINIssue(n)
		if !ok || i.Names()[0] != n {
			t.Errorf("ParsePINIssue(%s) = %v %v", n, i, ok)
		}
	}
	if _, ok := ParsePINIssue("OK"); ok {
		t.Error("OK parsed as an issue")
	}
	if PINIssues(0).String() != "OK" || (NotUnique|HasPattern).String() != "NOT_UNIQUE|HAS_PATTERN" {
		t.Error("String")
	}
	if PINIssues(0).Has(0) {
		t.Error("the empty set has the empty issue")
	}
}
