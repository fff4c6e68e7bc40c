package render

import (
	"strings"
	"testing"
)

func TestValidRequestID(t *testing.T) {
	tests := []struct {
		id string
		ok bool
	}{
		{"abc-123", true},
		{"a.b_c:d", true},
		{strings.Repeat("a", 128), true},
		{strings.Repeat("a", 129), false},
		{"", false},
		{"has space", false},
		{"new\nline", false},
		{"quote\"", false},
		{"ünïcode", false},
	}
	for _, tt := range tests {
		if got := ValidRequestID(tt.id); got != tt.ok {
			t.Errorf("ValidRequestID(%q) = %v, want %v", tt.id, got, tt.ok)
		}
	}
}

func FuzzValidRequestID(f *testing.F) {
	f.Add("abc-123")
	f.Add("bad id")
	f.Fuzz(func(t *testing.T, id string) {
		if !ValidRequestID(id) {
			return
		}
		if len(id) > maxRequestIDLen || strings.ContainsAny(id, " \r\n\t\"<>") {
			t.Fatalf("accepted %q", id)
		}
	})
}
