package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// eciesJSONObject parses data as exactly one JSON object and returns its
// members by exact (case-sensitive) name. It rejects invalid UTF-8,
// duplicate names and trailing data, which encoding/json alone accepts.
func eciesJSONObject(data []byte) (map[string]json.RawMessage, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("invalid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("not a JSON object")
	}
	members := make(map[string]json.RawMessage)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("invalid JSON: %w", err)
		}
		name, ok := tok.(string)
		if !ok {
			return nil, errors.New("invalid JSON object key")
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("invalid JSON value of %q: %w", name, err)
		}
		if _, dup := members[name]; dup {
			return nil, fmt.Errorf("duplicate JSON member %q", name)
		}
		members[name] = raw
	}
	if tok, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	} else if d, ok := tok.(json.Delim); !ok || d != '}' {
		return nil, errors.New("invalid JSON object end")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after JSON object")
	}
	return members, nil
}

// eciesJSONNull reports whether raw is absent or the JSON literal null.
func eciesJSONNull(raw json.RawMessage) bool {
	return raw == nil || string(raw) == "null"
}

// eciesJSONString returns a string member; present is false for an absent
// or null member. Any other non-string value is an error.
func eciesJSONString(members map[string]json.RawMessage, name string) (s string, present bool, err error) {
	raw := members[name]
	if eciesJSONNull(raw) {
		return "", false, nil
	}
	if raw[0] != '"' {
		return "", false, fmt.Errorf("%s: not a string", name)
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false, fmt.Errorf("%s: %w", name, err)
	}
	return s, true, nil
}

// eciesJSONInt returns an integer member; present is false for an absent or
// null member. Strings, fractions, exponents and out-of-range values are errors.
func eciesJSONInt(members map[string]json.RawMessage, name string) (n int64, present bool, err error) {
	raw := members[name]
	if eciesJSONNull(raw) {
		return 0, false, nil
	}
	for _, c := range raw {
		if (c < '0' || c > '9') && c != '-' {
			return 0, false, fmt.Errorf("%s: not an integer", name)
		}
	}
	if err := json.Unmarshal(raw, &n); err != nil {
		return 0, false, fmt.Errorf("%s: %w", name, err)
	}
	return n, true, nil
}

// eciesValidUUID reports whether s has the 8-4-4-4-12 hexadecimal UUID
// layout (either letter case).
func eciesValidUUID(s string) bool {
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
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}
