package protocol

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Names of the three HTTP headers of the PowerAuth protocol.
const (
	// HeaderAuthorization carries a request signature.
	HeaderAuthorization = "X-PowerAuth-Authorization"
	// HeaderToken carries a MAC token digest.
	HeaderToken = "X-PowerAuth-Token"
	// HeaderEncryption carries the ECIES context of an encrypted request that is not signed.
	HeaderEncryption = "X-PowerAuth-Encryption"
)

// MaxHeaderLength is the longest header value the parsers accept, in bytes.
const MaxHeaderLength = 4096

// hdrPrefix starts the value of every protocol header.
const hdrPrefix = "PowerAuth"

// Sentinel errors of the header parsers. Every error returned by a parser is
// a *HeaderError that wraps exactly one of them, so callers can test with
// errors.Is and read the offending field with errors.As.
var (
	// ErrHeaderEmpty means the header value is empty or blank.
	ErrHeaderEmpty = errors.New("header is empty")
	// ErrHeaderTooLong means the value exceeds MaxHeaderLength bytes.
	ErrHeaderTooLong = errors.New("header is too long")
	// ErrHeaderMissingPrefix means the value does not start with "PowerAuth ".
	ErrHeaderMissingPrefix = errors.New("header does not start with \"PowerAuth \"")
	// ErrHeaderMalformed means the key="value" list cannot be parsed.
	ErrHeaderMalformed = errors.New("header is malformed")
	// ErrHeaderDuplicateField means a key occurs more than once.
	ErrHeaderDuplicateField = errors.New("duplicate header field")
	// ErrHeaderMissingField means a required key is absent.
	ErrHeaderMissingField = errors.New("missing header field")
	// ErrHeaderInvalidField means a key has a value of the wrong format.
	ErrHeaderInvalidField = errors.New("invalid header field")
)

// HeaderError describes why a header value was rejected. It never contains
// the rejected value itself, so it is safe to log and to return to a client.
type HeaderError struct {
	Header string // header name, e.g. HeaderAuthorization
	Field  string // offending key, empty for errors about the whole value
	Err    error  // one of the ErrHeader… sentinels
	Reason string // short human-readable detail, may be empty
}

// Error implements error.
func (e *HeaderError) Error() string {
	var b strings.Builder
	b.WriteString("protocol: ")
	b.WriteString(e.Header)
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	if e.Field != "" {
		b.WriteString(" ")
		b.WriteString(e.Field)
	}
	if e.Reason != "" {
		b.WriteString(": ")
		b.WriteString(e.Reason)
	}
	return b.String()
}

// Unwrap returns the sentinel error.
func (e *HeaderError) Unwrap() error { return e.Err }

func hdrErr(header, field string, err error, reason string) error {
	return &HeaderError{Header: header, Field: field, Err: err, Reason: reason}
}

// hdrField binds a known key of a header to the string that receives its value.
type hdrField struct {
	key  string
	dst  *string
	seen bool
}

// hdrScan parses value as `PowerAuth key="value", key="value" …` and stores the
// values of the known fields. Pairs may come in any order and be separated by
// commas and/or spaces and tabs; at least one separator is needed between two
// pairs. Values must be double-quoted and cannot contain a double quote. A
// duplicated key (known or not) is an error, unknown keys are otherwise
// ignored. Missing fields are not reported here: check hdrField.seen.
//
// The scan is a single pass over at most MaxHeaderLength bytes.
func hdrScan(header, value string, fields []hdrField) error {
	if len(value) > MaxHeaderLength {
		return hdrErr(header, "", ErrHeaderTooLong, fmt.Sprintf("more than %d bytes", MaxHeaderLength))
	}
	for i := 0; i < len(value); i++ {
		if c := value[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return hdrErr(header, "", ErrHeaderMalformed, "control character")
		}
	}
	s := strings.Trim(value, " \t")
	if s == "" {
		return hdrErr(header, "", ErrHeaderEmpty, "")
	}
	if !strings.HasPrefix(s, hdrPrefix) {
		return hdrErr(header, "", ErrHeaderMissingPrefix, "")
	}
	s = s[len(hdrPrefix):]
	if s != "" && s[0] != ' ' && s[0] != '\t' {
		return hdrErr(header, "", ErrHeaderMissingPrefix, "")
	}

	var seen map[string]struct{}
	i, n := 0, len(s)
	for first := true; ; first = false {
		sep := false
		for i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == ',') {
			i++
			sep = true
		}
		if i == n {
			return nil
		}
		if !first && !sep {
			return hdrErr(header, "", ErrHeaderMalformed, "missing separator between fields")
		}
		start := i
		for i < n && hdrIsWordChar(s[i]) {
			i++
		}
		if i == start {
			return hdrErr(header, "", ErrHeaderMalformed, "expected a field name")
		}
		key := s[start:i]
		if i == n || s[i] != '=' {
			return hdrErr(header, "", ErrHeaderMalformed, "expected '=' after a field name")
		}
		i++
		if i == n || s[i] != '"' {
			return hdrErr(header, "", ErrHeaderMalformed, "expected a quoted value")
		}
		i++
		end := strings.IndexByte(s[i:], '"')
		if end < 0 {
			return hdrErr(header, "", ErrHeaderMalformed, "unterminated quoted value")
		}
		val := s[i : i+end]
		i += end + 1

		if seen == nil {
			seen = make(map[string]struct{}, 8)
		}
		if _, dup := seen[key]; dup {
			return hdrErr(header, hdrSafeName(key), ErrHeaderDuplicateField, "")
		}
		seen[key] = struct{}{}
		for j := range fields {
			if fields[j].key == key {
				*fields[j].dst = val
				fields[j].seen = true
				break
			}
		}
	}
}

// hdrMissing returns an error for the first field that was not seen, if any.
func hdrMissing(header string, fields []hdrField) error {
	for _, f := range fields {
		if !f.seen {
			return hdrErr(header, f.key, ErrHeaderMissingField, "")
		}
	}
	return nil
}

// hdrSafeName shortens an untrusted key before it goes into an error message.
func hdrSafeName(key string) string {
	const max = 64
	if len(key) > max {
		return key[:max] + "…"
	}
	return key
}

func hdrIsWordChar(c byte) bool {
	return c == '_' || ('0' <= c && c <= '9') || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

// hdrIsUUID reports whether s matches, case-insensitively,
// ^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$.
func hdrIsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		case 14:
			if c < '1' || c > '5' {
				return false
			}
		case 19:
			switch c {
			case '8', '9', 'a', 'b', 'A', 'B':
			default:
				return false
			}
		default:
			if !hdrIsHex(c) {
				return false
			}
		}
	}
	return true
}

func hdrIsHex(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

// hdrDecodeB64 decodes canonical standard padded Base64 (pitfall 14). Line
// breaks and non-zero trailing bits are rejected, so that a value decodes
// only if it equals the encoding of its bytes.
func hdrDecodeB64(s string) ([]byte, bool) {
	if len(s) == 0 || len(s)%4 != 0 {
		return nil, false
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || base64.StdEncoding.EncodedLen(len(b)) != len(s) {
		return nil, false
	}
	return b, true
}

// hdrDecodeB64Len decodes s as canonical Base64 of exactly n bytes.
func hdrDecodeB64Len(s string, n int) ([]byte, bool) {
	if len(s) != base64.StdEncoding.EncodedLen(n) {
		return nil, false
	}
	b, ok := hdrDecodeB64(s)
	if !ok || len(b) != n {
		return nil, false
	}
	return b, true
}

// hdrIsDigits reports whether s is made of ASCII decimal digits only and has
// a length in [min, max].
func hdrIsDigits(s string, min, max int) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// hdrWriteField appends `key="value"` to b, preceded by ", " unless b ends
// with the header prefix.
func hdrWriteField(b *strings.Builder, key, value string) {
	if b.Len() > len(hdrPrefix)+1 {
		b.WriteString(", ")
	}
	b.WriteString(key)
	b.WriteString(`="`)
	b.WriteString(value)
	b.WriteByte('"')
}

// hdrBuilder returns a builder that already holds "PowerAuth ".
func hdrBuilder(size int) *strings.Builder {
	b := &strings.Builder{}
	b.Grow(size)
	b.WriteString(hdrPrefix)
	b.WriteByte(' ')
	return b
}
