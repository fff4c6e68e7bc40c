package push

import (
	"sync"
	"time"
)

// breakerState is the state of a circuit breaker.
type breakerState int

// The breaker states (values of the breaker-state metric).
const (
	breakerClosed   breakerState = 0
	breakerOpen     breakerState = 1
	breakerHalfOpen breakerState = 2
)

type breakerKey struct {
	platform Platform
	app      int64
}

type breaker struct {
	state    breakerState
	failures int
	until    time.Time // open: when a probe may go
	probing  bool      // half-open: the probe is out
}

// breakers are the circuit breakers per provider and application: after
// threshold consecutive transient failures a breaker opens and refuses
// sends for openFor; then one probe goes through (half-open), whose
// success closes it and whose failure opens it again. Only transient
// failures (the provider down or throttling) count; a provider that
// answers, even with a refusal, is up.
type breakers struct {
	mu        sync.Mutex
	m         map[breakerKey]*breaker
	threshold int
	openFor   time.Duration
	changed   func(Platform, int64, breakerState)
}

func newBreakers(threshold int, openFor time.Duration, changed func(Platform, int64, breakerState)) *breakers {
	return &breakers{m: map[breakerKey]*breaker{}, threshold: threshold, openFor: openFor, changed: changed}
}

// allow tells whether a send may go now; when not, it returns when the
// breaker lets a probe through.
func (b *breakers) allow(p Platform, app int64, now time.Time) (bool, time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	br := b.m[breakerKey{p, app}]
	if br == nil {
		return true, time.Time{}
	}
	switch br.state {
	case breakerOpen:
		if now.Before(br.until) {
			return false, br.until
		}
		br.state, br.probing = breakerHalfOpen, true
		b.notify(p, app, breakerHalfOpen)
		return true, time.Time{}
	case breakerHalfOpen:
		if br.probing {
			return false, now.Add(b.openFor)
		}
		br.probing = true
		return true, time.Time{}
	}
	return true, time.Time{}
}

// record records the outcome of an allowed send (transient or not).
func (b *breakers) record(p Platform, app int64, transient bool, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	k := breakerKey{p, app}
	br := b.m[k]
	if br == nil {
		if !transient {
			return
		}
		br = &breaker{}
		b.m[k] = br
	}
	if !transient {
		if br.state != breakerClosed {
			b.notify(p, app, breakerClosed)
		}
		*br = breaker{}
		return
	}
	br.failures++
	if br.state == breakerHalfOpen || br.failures >= b.threshold {
		if br.state != breakerOpen {
			b.notify(p, app, breakerOpen)
		}
		br.state, br.until, br.probing = breakerOpen, now.Add(b.openFor), false
	}
}

// state returns the current state of a breaker (tests, metrics).
func (b *breakers) state(p Platform, app int64) breakerState {
	b.mu.Lock()
	defer b.mu.Unlock()
	if br := b.m[breakerKey{p, app}]; br != nil {
		return br.state
	}
	return breakerClosed
}

func (b *breakers) notify(p Platform, app int64, s breakerState) {
	if b.changed != nil {
		b.changed(p, app, s) // under the lock, so the observer sees the changes in order
	}
}
