package callbacks

import (
	"math"
	"time"
)

// Backoff returns the delay before the retry that follows failed attempt
// number attempt (1-based): initial·multiplier^(attempt-1), capped at
// maxBackoff (when positive).
func Backoff(initial time.Duration, multiplier float64, maxBackoff time.Duration, attempt int64) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	if multiplier < 1 {
		multiplier = 1
	}
	d := float64(initial) * math.Pow(multiplier, float64(attempt-1))
	if maxBackoff > 0 && d > float64(maxBackoff) {
		return maxBackoff
	}
	if d > float64(math.MaxInt64) || math.IsInf(d, 0) || math.IsNaN(d) {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(d)
}
