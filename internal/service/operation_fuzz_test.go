package service

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzFillTemplate checks that template filling never panics, that a
// filled template has no placeholder whose parameter exists, and that
// every substituted value is JSON-escaped.
func FuzzFillTemplate(f *testing.F) {
	f.Add("A1*A${amount}${currency}*I${iban}", "amount", `100"\`)
	f.Add("${", "x", "y")
	f.Add("${x}${x}${}", "x", "\n\u2028<>&")
	f.Add("no placeholders", "", "")
	f.Fuzz(func(t *testing.T, tmpl, key, value string) {
		params := map[string]string{key: value}
		out, err := fillTemplate(tmpl, params)
		if err != nil {
			if CodeOf(err) != CodeInvalidRequest {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if strings.Contains(tmpl, "${"+key+"}") && strings.Contains(value, "\"") && !strings.Contains(out, `\"`) {
			t.Fatalf("value not escaped: %q", out)
		}
		if !utf8.ValidString(value) {
			return // JSON carries valid UTF-8 only; invalid bytes become U+FFFD
		}
		var back string
		if err := json.Unmarshal([]byte(`"`+jsonEscape(value)+`"`), &back); err != nil || back != value {
			t.Fatalf("escape of %q does not round-trip: %q %v", value, back, err)
		}
	})
}
