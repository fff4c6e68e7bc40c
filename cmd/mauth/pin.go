package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mauth/mauth/passphrase"
)

// Exit codes of `mauth pin check` and `mauth password check`.
const (
	exitWeak       = 1 // the passphrase meter warns
	exitWrongInput = 2 // not a PIN (or an unusable password)
)

// exitError ends mauth with a given exit code (main reads it).
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// exitCode is the process exit code for a command's error.
func exitCode(err error) int {
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	return 1
}

// secretArg returns the secret from the argument, the environment variable
// env, or the first line of stdin, in that order.
func secretArg(cmd *cobra.Command, args []string, env, what string) (string, error) {
	if len(args) == 1 && args[0] != "-" {
		return args[0], nil
	}
	if v := os.Getenv(env); v != "" && len(args) == 0 {
		return v, nil
	}
	line, err := bufio.NewReader(io.LimitReader(cmd.InOrStdin(), 64<<10)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the %s from stdin: %w", what, err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func newPINCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "pin",
		Short: "Passphrase meter for PINs",
	}
	cmd.AddCommand(newPINCheckCommand())
	return cmd
}

// pinReport is the JSON output of `mauth pin check --json`.
type pinReport struct {
	Valid    bool     `json:"valid"`
	Length   int      `json:"length"`
	Issues   []string `json:"issues"`
	Warnings []string `json:"warnings"`
	Weak     bool     `json:"weak"`
}

func newPINCheckCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "check [PIN|-]",
		Short: "Check a PIN with the passphrase meter; exit 1 when weak, 2 when not a PIN",
		Long: `Check a PIN with the passphrase meter (the PIN rules of Wultra's Passphrase
Meter, see docs/mobile-services.md). The PIN comes from the argument, else the
` + envPIN + ` environment variable, else the first line of stdin ("-" reads stdin).

It prints every issue found and the warnings of the recommended policy:
PINs of up to 4 digits are weak when frequently used or not unique, of 5-6
digits also when repeating, longer ones also when they contain a pattern; a
possible date is reported but never makes a PIN weak.

Exit code: 0 when the policy does not warn, 1 when the PIN is weak, 2 when the
input is not 4 to 100 decimal digits.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pin, err := secretArg(cmd, args, envPIN, "PIN")
			if err != nil {
				return err
			}
			r := passphrase.CheckPIN(pin)
			if asJSON {
				rep := pinReport{Valid: r.Valid(), Length: r.Length, Issues: nonNil(r.Issues.Names()), Warnings: nonNil(r.Warnings().Names()), Weak: r.Weak()}
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				if err := enc.Encode(rep); err != nil {
					return err
				}
			} else {
				f := fields{w: cmd.OutOrStdout()}
				f.add("length", strconv.Itoa(r.Length))
				f.add("issues", describe(r.Issues))
				if r.Valid() {
					f.add("warnings", describe(r.Warnings()))
				}
				f.add("verdict", pinVerdict(r))
				if err := f.print(); err != nil {
					return err
				}
			}
			switch {
			case !r.Valid():
				return &exitError{exitWrongInput, "not a PIN: a PIN has 4 to 100 decimal digits"}
			case r.Weak():
				return &exitError{exitWeak, "weak PIN: " + strings.Join(r.Warnings().Describe(), "; ")}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

func pinVerdict(r passphrase.PINResult) string {
	switch {
	case !r.Valid():
		return "not a PIN"
	case r.Weak():
		return "weak"
	}
	return "ok"
}

// describe lists issues as "NAME (description), …", or "none".
func describe(s passphrase.PINIssues) string {
	if s == 0 {
		return "none"
	}
	names, texts := s.Names(), s.Describe()
	parts := make([]string, len(names))
	for i := range names {
		parts[i] = names[i] + " (" + texts[i] + ")"
	}
	return strings.Join(parts, ", ")
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// envPassword holds the password for `mauth password check`.
const envPassword = "MAUTH_PASSWORD"

func newPasswordCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "password",
		Short: "Passphrase meter for passwords",
	}
	cmd.AddCommand(newPasswordCheckCommand())
	return cmd
}

// passwordReport is the JSON output of `mauth password check --json`.
type passwordReport struct {
	Strength     string  `json:"strength"`
	Log10Guesses float64 `json:"log10Guesses"`
	Weak         bool    `json:"weak"`
}

func newPasswordCheckCommand() *cobra.Command {
	var (
		asJSON     bool
		userInputs []string
	)
	cmd := &cobra.Command{
		Use:   "check [PASSWORD|-]",
		Short: "Rate a password with the passphrase meter; exit 1 when weak, 2 when unusable",
		Long: `Rate a password on the five-level scale VERY_WEAK, WEAK, MODERATE, GOOD,
STRONG from zxcvbn's estimate of the guesses needed (docs/mobile-services.md).
The password comes from the argument, else the ` + envPassword + ` environment
variable, else the first line of stdin ("-" reads stdin). --user-input names
words the password should not be built from (the user's name or login).

Exit code: 0 for MODERATE or better, 1 for WEAK or VERY_WEAK, 2 when the input
is empty, not UTF-8 or longer than 100 bytes.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pw, err := secretArg(cmd, args, envPassword, "password")
			if err != nil {
				return err
			}
			r := passphrase.CheckPassword(pw, userInputs...)
			weak := r.Strength <= passphrase.Weak
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				if err := enc.Encode(passwordReport{Strength: r.Strength.String(), Log10Guesses: r.Log10Guesses, Weak: weak}); err != nil {
					return err
				}
			} else {
				f := fields{w: cmd.OutOrStdout()}
				f.add("strength", r.Strength.String())
				if r.Strength != passphrase.WrongPassword {
					f.add("log10 guesses", strconv.FormatFloat(r.Log10Guesses, 'f', 2, 64))
				}
				if err := f.print(); err != nil {
					return err
				}
			}
			switch {
			case r.Strength == passphrase.WrongPassword:
				return &exitError{exitWrongInput, fmt.Sprintf("not a usable password: empty, not UTF-8 or longer than %d bytes", passphrase.MaxPasswordLength)}
			case weak:
				return &exitError{exitWeak, "weak password: " + r.Strength.String()}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	cmd.Flags().StringArrayVar(&userInputs, "user-input", nil, "a word the password should not be built from (repeatable)")
	return cmd
}

// weakPINWarning is the warning `mauth device activate` prints for a weak
// PIN (empty when there is none). A PIN that is not 4 to 100 digits is a
// password: it is rated as one.
func weakPINWarning(pin string) string {
	r := passphrase.CheckPIN(pin)
	if r.Valid() {
		if !r.Weak() {
			return ""
		}
		return "warning: weak PIN: " + strings.Join(r.Warnings().Describe(), "; ") + " (see mauth pin check)"
	}
	if pr := passphrase.CheckPassword(pin); pr.Strength <= passphrase.Weak {
		return "warning: weak PIN: not 4 to 100 digits, and as a password " + pr.Strength.String() + " (see mauth password check)"
	}
	return ""
}
