// Package testclock is a clock for tests: the wall clock plus an offset
// that a test can move forward, shared by servers and simulated devices.
package testclock

import (
	"sync"
	"time"
)

// Clock is real time plus an adjustable offset. The zero value is ready.
type Clock struct {
	mu     sync.Mutex
	offset time.Duration
}

// Now returns the wall clock plus the offset.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// Advance moves the clock forward (or back, for a negative d).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}
