package devices

import (
	"testing"
	"time"

	"github.com/mauth/mauth/internal/domain"
)

func TestCursor(t *testing.T) {
	at := time.Date(2026, 12, 8, 1, 2, 3, 456000000, time.UTC)
	c := cursor{at: at, id: 42}
	back, err := parseCursor(c.String())
	if err != nil || !back.at.Equal(at) || back.id != 42 {
		t.Fatalf("round trip %q: %+v, %v", c.String(), back, err)
	}
	tests := []struct {
		name string
		e    domain.AuditEntry
		want bool
	}{
		{"older", domain.AuditEntry{Created: at.Add(-time.Millisecond), ID: 99}, true},
		{"same instant, lower id", domain.AuditEntry{Created: at, ID: 41}, true},
		{"same instant, the cursor", domain.AuditEntry{Created: at, ID: 42}, false},
		{"same instant, higher id", domain.AuditEntry{Created: at, ID: 43}, false},
		{"newer", domain.AuditEntry{Created: at.Add(time.Millisecond), ID: 1}, false},
	}
	for _, tc := range tests {
		if got := c.after(tc.e); got != tc.want {
			t.Errorf("%s: after = %v", tc.name, got)
		}
	}
	if !(cursor{at: at, id: -1}).after(domain.AuditEntry{Created: at, ID: 7}) {
		t.Error("a fresh cursor excludes entries of its instant")
	}
	for _, bad := range []string{"", "x", "2026-12-08T01:02:03Z", "2026-12-08T01:02:03Z~", "2026-12-08T01:02:03Z~-1", "yesterday~1", "2026-12-08T01:02:03Z~1~2"} {
		if _, err := parseCursor(bad); err == nil {
			t.Errorf("parseCursor(%q) accepted", bad)
		}
	}
}

// FuzzParseCursor: the cursor of the activity list is device input; it
// never panics, and what it accepts prints back to an equal cursor.
func FuzzParseCursor(f *testing.F) {
	f.Add("2026-12-08T01:02:03.456Z~42")
	f.Add("2026-12-08T01:02:03Z~0")
	f.Add("~")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := parseCursor(s)
		if err != nil {
			return
		}
		back, err := parseCursor(c.String())
		if err != nil || !back.at.Equal(c.at) || back.id != c.id {
			t.Fatalf("%q → %q → %+v, %v", s, c.String(), back, err)
		}
	})
}
