package main

import (
	"os"
	"runtime/debug"
	"testing"
)

func TestTuneGC(t *testing.T) {
	prev := debug.SetGCPercent(100)
	defer debug.SetGCPercent(prev)
	tests := []struct {
		name  string
		gogc  string // "" = unset
		start int
		want  int
	}{
		{"unset: mauth's default", "", 100, defaultGCPercent},
		{"the operator's GOGC wins", "150", 150, 150},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("GOGC", tc.gogc) // restored when the test ends
			if tc.gogc == "" {
				if err := os.Unsetenv("GOGC"); err != nil {
					t.Fatal(err)
				}
			}
			debug.SetGCPercent(tc.start)
			tuneGC()
			if got := debug.SetGCPercent(tc.start); got != tc.want {
				t.Fatalf("GC percent %d, want %d", got, tc.want)
			}
		})
	}
}
