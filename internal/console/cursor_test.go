package console

import (
	"strings"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/store"
)

func TestCursorRoundTrip(t *testing.T) {
	c := store.ActivationCursor{Created: time.UnixMilli(1767225600123).UTC(), ActivationID: "0000abcd-0000-4000-8000-000000000001"}
	got, err := decodeCursor(encodeCursor(c))
	if err != nil || got != c {
		t.Fatalf("decodeCursor(encodeCursor(%v)) = %v, %v", c, got, err)
	}
	for _, bad := range []string{"", ".", "123", "abc.def", "1.", strings.Repeat("1", 300) + ".x"} {
		if _, err := decodeCursor(bad); err == nil {
			t.Errorf("decodeCursor(%q) accepted", bad)
		}
	}
}

// FuzzDecodeCursor feeds the page cursor of the activations list, which
// comes from the query string, to its parser: it never panics, and what it
// accepts encodes back to an equivalent cursor.
func FuzzDecodeCursor(f *testing.F) {
	f.Add("1767225600123.0000abcd-0000-4000-8000-000000000001")
	f.Add("-1.x")
	f.Add("9223372036854775807.z")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := decodeCursor(s)
		if err != nil {
			return
		}
		again, err := decodeCursor(encodeCursor(c))
		if err != nil || again != c {
			t.Fatalf("cursor %q: round trip %v -> %v, %v", s, c, again, err)
		}
	})
}

// FuzzAuditQuery feeds the audit page's filters from the query string to
// their parsers: a refusal is a 400, never a panic.
func FuzzAuditQuery(f *testing.F) {
	f.Add("2026-01-05", "2026-01-05T10:00:00Z", "17")
	f.Add("", "", "")
	f.Add("2026-13-45", "x", "-1")
	f.Fuzz(func(t *testing.T, from, to, _ string) {
		for _, v := range []string{from, to} {
			if _, err := parseTime("from", v, false); err != nil {
				if ce, ok := err.(*Error); !ok || ce.Status != 400 {
					t.Fatalf("parseTime(%q): %v", v, err)
				}
			}
		}
	})
}
