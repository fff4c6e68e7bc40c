package cloud

import (
	"sync"
	"time"
)

// limiter counts wrong passwords per user name and per client IP in a
// fixed window: once a key reaches its limit, logins for it are refused
// until the window that started with its first failure ends. It lives in
// memory, so each node of a cluster counts on its own.
type limiter struct {
	mu             sync.Mutex
	maxUser, maxIP int
	window         time.Duration
	users, ips     map[string]*failures
}

type failures struct {
	count int
	start time.Time
}

// maxTrackedKeys bounds the memory of the limiter; past it, expired
// entries are dropped, and when none are, the oldest window is.
const maxTrackedKeys = 100_000

func newLimiter(maxUser, maxIP int, window time.Duration) *limiter {
	return &limiter{maxUser: maxUser, maxIP: maxIP, window: window, users: map[string]*failures{}, ips: map[string]*failures{}}
}

// over reports how long key stays refused (0, false when it is not).
func (l *limiter) over(m map[string]*failures, key string, limit int, now time.Time) (time.Duration, bool) {
	f, ok := m[key]
	if !ok {
		return 0, false
	}
	end := f.start.Add(l.window)
	if !now.Before(end) {
		delete(m, key)
		return 0, false
	}
	if f.count < limit {
		return 0, false
	}
	return end.Sub(now), true
}

// limited reports whether a login of user from ip is refused, and for how long.
func (l *limiter) limited(user, ip string, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if d, ok := l.over(l.users, user, l.maxUser, now); ok {
		return d, true
	}
	if ip != "" {
		if d, ok := l.over(l.ips, ip, l.maxIP, now); ok {
			return d, true
		}
	}
	return 0, false
}

// fail records a wrong password of user from ip.
func (l *limiter) fail(user, ip string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.count(l.users, user, now)
	if ip != "" {
		l.count(l.ips, ip, now)
	}
}

func (l *limiter) count(m map[string]*failures, key string, now time.Time) {
	f, ok := m[key]
	if ok && !now.Before(f.start.Add(l.window)) {
		ok = false
	}
	if !ok {
		if len(m) >= maxTrackedKeys {
			l.evict(m, now)
		}
		f = &failures{start: now}
		m[key] = f
	}
	f.count++
}

// evict drops the expired windows of m, or the oldest when none expired.
func (l *limiter) evict(m map[string]*failures, now time.Time) {
	var oldest string
	for k, f := range m {
		if !now.Before(f.start.Add(l.window)) {
			delete(m, k)
			continue
		}
		if oldest == "" || f.start.Before(m[oldest].start) {
			oldest = k
		}
	}
	if len(m) >= maxTrackedKeys && oldest != "" {
		delete(m, oldest)
	}
}

// succeed forgets the failures of user after a right password (the IP's
// failures stay: one good account does not excuse guessing others).
func (l *limiter) succeed(user string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.users, user)
}
