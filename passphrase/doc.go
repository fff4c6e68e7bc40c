// Package passphrase is mauth's passphrase meter: it warns about weak PINs
// and passwords before they protect a device's knowledge factor. PINs
// never reach the server (they only encrypt the knowledge key on the
// device), so the checks run where the PIN is typed: in a mobile app, in a
// Go program, or in mauth's own device simulator (`mauth device activate`,
// `mauth pin check`).
//
// The package imports only the standard library and the zxcvbn port
// github.com/trustelem/zxcvbn (an import rule in internal/archtest keeps
// it so), so any Go program may use it.
//
// # PINs
//
// [CheckPIN] finds the issues of a PIN of 4 to 100 decimal digits
// (anything else is [WrongInput]). The rules and their thresholds are those
// of Wultra's Passphrase Meter (github.com/wultra/passphrase-meter,
// Source/src_native/pin_tester.c, the library behind the PowerAuth mobile
// SDKs' PIN check); the code here is mauth's own:
//
//   - [FrequentlyUsed]: the PIN is in the reference's list of 220 most
//     used PINs of 4 to 10 digits ("1234", "0000", "2580", "123456", …).
//   - [NotUnique]: fewer than 3 distinct digits (PINs of up to 7 digits)
//     or fewer than 4 (longer PINs).
//   - [HasPattern]: arithmetic runs of 3 or more digits (a constant step,
//     such as 1234, 1357, 9630 or 555; a repeated digit inside a run counts
//     towards it, as in 4556) cover more digits than allowed: 2 for PINs of
//     up to 5 digits, 3 for 6 digits, 4 for 7-8 digits, half the length for
//     longer PINs.
//   - [RepeatingChars]: groups of two or more digits that recur later in
//     the PIN, as they are or mirrored (692692, 12321), cover more digits
//     than the PIN has distinct digits.
//   - [PossiblyDate]: a 4-digit PIN is a day and month (ddmm or mmdd, 29
//     February included) or a year of the last 90 years; a 6-digit PIN is
//     ddmmyy or mmddyy and an 8-digit PIN ddmmyyyy or mmddyyyy, a valid
//     calendar date (leap years respected) in the last 90 years. A
//     two-digit year is read in the 100 years up to the current one (in
//     2026, "27" is 1927 and "26" is 2026).
//
// The date rule needs the current year: [CheckPIN] uses the local clock,
// [CheckPINAt] takes the time.
//
// Not every issue makes a PIN weak. [PINResult.Weak] applies the
// reference's recommended warning policy ([Policy]): PINs of up to 4
// digits are weak when frequently used or not unique, PINs of 5-6 digits
// also when repeating, longer PINs also when they contain a pattern. A
// possible date is a mild hint ("is this your birthday?"), never a reason
// to refuse.
//
// # Passwords
//
// [CheckPassword] rates a password on the reference's five-level scale
// from the number of guesses zxcvbn estimates: with g = log10(guesses),
// g < 3 is [VeryWeak], g < 6 [Weak], g < 8 [Moderate], g < 10 [Good] and
// anything above [Strong] (Source/src_native/wultra_pass_meter.c,
// WPM_testPassword, which converts zxcvbn-c's entropy in bits to the same
// decimal logarithm). The reference uses zxcvbn-c with optional language
// dictionaries; the Go port uses zxcvbn 4.4.2's English lists, so a few
// ratings differ (the tests list the reference's own examples and which of
// them agree).
package passphrase
