package testclock

import (
	"testing"
	"time"
)

func TestStopStart(t *testing.T) {
	var c Clock
	c.Advance(time.Hour)
	if d := time.Until(c.Now()); d < 59*time.Minute || d > 61*time.Minute {
		t.Fatalf("an hour ahead: %v", d)
	}
	c.Stop()
	stopped := c.Now()
	// However much real time passes, a stopped clock shows the same time.
	time.Sleep(2 * time.Millisecond) // real time passes (nothing to wait for)
	if got := c.Now(); !got.Equal(stopped) {
		t.Fatalf("stopped clock moved from %v to %v", stopped, got)
	}
	c.Advance(time.Second)
	if got := c.Now(); !got.Equal(stopped.Add(time.Second)) {
		t.Fatalf("advanced stopped clock %v, want %v", got, stopped.Add(time.Second))
	}
	c.Start()
	if got := c.Now(); got.Before(stopped.Add(time.Second)) {
		t.Fatalf("restarted clock went back: %v < %v", got, stopped.Add(time.Second))
	}
	if got, again := c.Now(), c.Now(); again.Before(got) {
		t.Fatalf("running clock went back")
	}
}
