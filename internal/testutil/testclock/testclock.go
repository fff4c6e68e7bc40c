// Package testclock is a clock for tests: the wall clock plus an offset
// that a test can move forward, shared by servers and simulated devices.
// A test can also stop it, so that what depends on the time passing (a
// TOTP step, a back-off) cannot change however slow the machine is; a
// stopped clock moves only when the test advances it.
package testclock

import (
	"sync"
	"time"
)

// Clock is a wall clock with an adjustable offset. Its zero value reads
// the wall clock.
type Clock struct {
	mu     sync.Mutex
	offset time.Duration
	// stopped: Now returns at plus the offset until Start.
	stopped bool
	at      time.Time
}

// Now returns the wall clock plus the offset (while the clock is stopped,
// the wall time it stopped at plus the offset).
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return c.at.Add(c.offset)
	}
	return time.Now().Add(c.offset)
}

// Advance moves the clock forward by d, stopped or not.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// Stop freezes the clock at its current reading: from now on only Advance
// moves it, until Start.
func (c *Clock) Stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.stopped {
		c.at, c.stopped = time.Now(), true
	}
}

// Start lets a stopped clock run again from the reading it shows: the
// stopped time is not made up, so the clock never jumps.
func (c *Clock) Start() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		c.offset, c.stopped = c.at.Add(c.offset).Sub(time.Now()), false
	}
}
