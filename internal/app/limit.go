package app

import (
	"net/http"
	"runtime"
	"strconv"
)

// DefaultMaxInFlight is the per-CPU number of requests each HTTP surface
// serves at once when Config.MaxInFlight is 0.
const DefaultMaxInFlight = 64

// limitRetryAfter is the Retry-After (seconds) of a refused request.
const limitRetryAfter = 1

// overloadBody is the PowerAuth-style error answer of a refused request.
const overloadBody = `{"status":"ERROR","responseObject":{"code":"ERROR_GENERIC","message":"The server is busy, retry later."}}`

// maxInFlight returns the effective concurrency limit (0: unlimited).
func (c Config) maxInFlight() int {
	switch {
	case c.MaxInFlight < 0:
		return 0
	case c.MaxInFlight == 0:
		return DefaultMaxInFlight * runtime.GOMAXPROCS(0)
	}
	return c.MaxInFlight
}

// limitInFlight answers 503 with Retry-After when max requests are
// already being served, instead of queueing without bound: under overload
// clients get a fast, retryable refusal and the server's memory and
// goroutines stay bounded. max <= 0 returns h unchanged.
func limitInFlight(h http.Handler, max int) http.Handler {
	if max <= 0 || h == nil {
		return h
	}
	sem := make(chan struct{}, max)
	retry := strconv.Itoa(limitRetryAfter)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case sem <- struct{}{}:
		default:
			w.Header().Set("Retry-After", retry)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(overloadBody))
			return
		}
		defer func() { <-sem }()
		h.ServeHTTP(w, r)
	})
}

// limit puts the in-flight limit in front of both HTTP surfaces.
func (a *App) limit() {
	n := a.cfg.maxInFlight()
	a.Public = limitInFlight(a.Public, n)
	a.Private = limitInFlight(a.Private, n)
}
