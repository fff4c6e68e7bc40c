// Package testclock is a clock for tests: the wall clock plus an offset
// that a test can move forward, shared by servers and simulated devices.
// A frozen clock stands still until the test moves it, for tests whose
// outcome must not depend on how fast the machine runs.
package testclock

import (
	"sync"
	"time"
)

// Clock is real time plus an adjustable offset. The zero value is ready.
type Clock struct {
	mu     sync.Mutex
	offset time.Duration
	// frozen, when set, replaces the wall clock (see Freeze).
	frozen time.Time
}

// Now returns the wall clock (or the frozen time) plus the offset.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.frozen.IsZero() {
		return c.frozen.Add(c.offset)
	}
	return time.Now().Add(c.offset)
}

// Advance moves the clock forward (or back, for a negative d).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// Freeze stops the clock at its current reading: from now on only Advance
// moves it.
func (c *Clock) Freeze() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frozen.IsZero() {
		c.frozen = time.Now()
	}
}
