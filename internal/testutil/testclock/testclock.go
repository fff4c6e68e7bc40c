// Package testclock is a clock for tests: the wall clock plus an offset
// that a test can move forward, shared by servers and simulated devices.
// A test can also stop it, so that what depends on the time passing (a
// TOTP step) cannot change however slow the machine is.
package testclock

import (
	"sync"
	"time"
)

// Clock is real time plus an adjustable offset. The zero value is ready.
type Clock struct {
	mu     sync.Mutex
	offset time.Duration
	// stopped: Now returns at until Start.
	stopped bool
	at      time.Time
}

// Now returns the wall clock plus the offset (the stopped time while the
// clock is stopped).
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return c.at
	}
	return time.Now().Add(c.offset)
}

// Advance moves the clock forward (or back, for a negative d), also while
// it is stopped.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.at = c.at.Add(d)
	c.mu.Unlock()
}

// Stop freezes the clock at its current reading until Start.
func (c *Clock) Stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.stopped {
		c.at, c.stopped = time.Now().Add(c.offset), true
	}
}

// Start lets a stopped clock run again from the reading it shows: the
// stopped time is not made up, so the clock never jumps.
func (c *Clock) Start() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		c.offset, c.stopped = time.Until(c.at), false
	}
}
