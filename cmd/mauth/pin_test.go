package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// executeIO runs mauth with stdin and returns stdout, stderr and the error.
func executeIO(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := newRootCommand()
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(t.Context())
	return out.String(), errOut.String(), err
}

// TestPINCheckCommand: `mauth pin check` lists the issues and exits 0
// (no warning), 1 (weak) or 2 (not a PIN).
func TestPINCheckCommand(t *testing.T) {
	t.Setenv(envPIN, "")
	tests := []struct {
		pin      string
		code     int
		verdict  string
		issues   []string // each must be listed
		warnings string
	}{
		{"1234", exitWeak, "weak", []string{"FREQUENTLY_USED", "HAS_PATTERN"}, "FREQUENTLY_USED (one of the most frequently used PINs)"},
		{"1122", exitWeak, "weak", []string{"FREQUENTLY_USED", "NOT_UNIQUE"}, "FREQUENTLY_USED (one of the most frequently used PINs), NOT_UNIQUE (too few different digits)"},
		{"692692", exitWeak, "weak", []string{"REPEATING_CHARS"}, "REPEATING_CHARS (repeating groups of digits)"},
		{"9562", 0, "ok", nil, "none"},
		{"1990", 0, "ok", []string{"POSSIBLY_DATE"}, "none"}, // a date is reported, not a warning
		{"1456", 0, "ok", []string{"HAS_PATTERN"}, "none"},   // a pattern in 4 digits is no warning
		{"12a4", exitWrongInput, "not a PIN", []string{"WRONG_INPUT"}, ""},
		{"123", exitWrongInput, "not a PIN", []string{"WRONG_INPUT"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.pin, func(t *testing.T) {
			out, _, err := executeIO(t, "", "pin", "check", tc.pin)
			if got := exitCodeOf(err); got != tc.code {
				t.Fatalf("exit code %d (%v), want %d\n%s", got, err, tc.code, out)
			}
			f := parseFields(out)
			if f["verdict"] != tc.verdict || f["warnings"] != tc.warnings {
				t.Fatalf("output %q, want verdict %q warnings %q", out, tc.verdict, tc.warnings)
			}
			for _, want := range tc.issues {
				if !strings.Contains(f["issues"], want) {
					t.Errorf("issues %q lack %s", f["issues"], want)
				}
			}
			if strings.Contains(out, tc.pin) && tc.pin != "123" {
				t.Errorf("the PIN is printed: %q", out)
			}

			out, _, err = executeIO(t, "", "pin", "check", "--json", tc.pin)
			if got := exitCodeOf(err); got != tc.code {
				t.Fatalf("--json: exit code %d, want %d", got, tc.code)
			}
			var rep pinReport
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("--json output %q: %v", out, err)
			}
			if rep.Weak != (tc.code != 0) || rep.Valid != (tc.code != exitWrongInput) || rep.Length != len(tc.pin) || rep.Issues == nil || rep.Warnings == nil {
				t.Fatalf("--json report %+v", rep)
			}
		})
	}

	// The PIN from stdin ("-" or no argument) and from MAUTH_PIN.
	if out, _, err := executeIO(t, "1111\n", "pin", "check", "-"); exitCodeOf(err) != exitWeak || parseFields(out)["verdict"] != "weak" {
		t.Fatalf("stdin: %v %q", err, out)
	}
	if out, _, err := executeIO(t, "9562\r\n", "pin", "check"); err != nil || parseFields(out)["verdict"] != "ok" {
		t.Fatalf("stdin without argument: %v %q", err, out)
	}
	t.Setenv(envPIN, "0000")
	if out, _, err := executeIO(t, "9562\n", "pin", "check"); exitCodeOf(err) != exitWeak || parseFields(out)["length"] != "4" {
		t.Fatalf("%s: %v %q", envPIN, err, out)
	}
	if _, _, err := executeIO(t, "", "pin", "check", "1", "2"); err == nil {
		t.Fatal("two PINs accepted")
	}
}

// TestPasswordCheckCommand: `mauth password check` rates on the five-level
// scale and exits 0, 1 (WEAK or VERY_WEAK) or 2 (unusable input).
func TestPasswordCheckCommand(t *testing.T) {
	t.Setenv(envPassword, "")
	tests := []struct {
		args     []string
		code     int
		strength string
	}{
		{[]string{"qwerty"}, exitWeak, "VERY_WEAK"},
		{[]string{"apwu"}, exitWeak, "WEAK"},
		{[]string{"apwunb"}, 0, "MODERATE"},
		{[]string{"ap,wu92nbSm;#/"}, 0, "STRONG"},
		{[]string{"zdenek.novotny81"}, 0, "STRONG"},
		{[]string{"--user-input", "zdenek.novotny", "zdenek.novotny81"}, exitWeak, "WEAK"},
		{[]string{strings.Repeat("x", 101)}, exitWrongInput, "WRONG_INPUT"},
	}
	for _, tc := range tests {
		out, _, err := executeIO(t, "", append([]string{"password", "check"}, tc.args...)...)
		if got := exitCodeOf(err); got != tc.code || parseFields(out)["strength"] != tc.strength {
			t.Errorf("%v: exit %d output %q, want %d %s", tc.args, got, out, tc.code, tc.strength)
		}
		out, _, err = executeIO(t, "", append([]string{"password", "check", "--json"}, tc.args...)...)
		var rep passwordReport
		if jerr := json.Unmarshal([]byte(out), &rep); jerr != nil || rep.Strength != tc.strength || rep.Weak != (tc.code == exitWeak) || exitCodeOf(err) != tc.code {
			t.Errorf("%v --json: %q %v", tc.args, out, err)
		}
	}
	if out, _, err := executeIO(t, "", "password", "check"); exitCodeOf(err) != exitWrongInput || !strings.Contains(out, "WRONG_INPUT") {
		t.Fatalf("empty stdin: %v %q", err, out)
	}
}

// exitCodeOf is the exit code main gives an error (0 for none).
func exitCodeOf(err error) int {
	if err == nil {
		return 0
	}
	return exitCode(err)
}

// TestDeviceActivateWarnsOnWeakPIN: the simulated device warns about a
// weak PIN on stderr, naming the issues, and still activates; a good PIN
// gets no warning.
func TestDeviceActivateWarnsOnWeakPIN(t *testing.T) {
	testServer(t)
	dir := t.TempDir()
	sdk := run(t, "app", "create", "bank")["mobile SDK config"]
	tests := []struct {
		pin  string
		want string // "" for no warning
	}{
		{"1234", "warning: weak PIN: one of the most frequently used PINs"},
		{"11112222", "warning: weak PIN: one of the most frequently used PINs; too few different digits"},
		{"password", "warning: weak PIN: not 4 to 100 digits, and as a password VERY_WEAK"},
		{"9562", ""},
		{"1990", ""}, // a possible date is no warning
		{"ap,wu92nbSm;#/", ""},
	}
	for i, tc := range tests {
		act := run(t, "activation", "init", "--app", "bank", "--user", "u"+tc.pin)
		state := filepath.Join(dir, "s"+string(rune('a'+i))+".json")
		out, errOut, err := executeIO(t, "", "device", "activate", "--state", state, "--sdk-config", sdk, "--code", act["activation code"], "--pin", tc.pin)
		if err != nil {
			t.Fatalf("%s: activate: %v\n%s", tc.pin, err, errOut)
		}
		if parseFields(out)["status"] != "PENDING_COMMIT" {
			t.Fatalf("%s: activation output %q", tc.pin, out)
		}
		if tc.want == "" && strings.Contains(errOut, "warning") || tc.want != "" && !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: stderr %q, want %q", tc.pin, errOut, tc.want)
		}
	}
}
