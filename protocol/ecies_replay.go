package protocol

import (
	"fmt"
	"time"
)

// Default ECIES request freshness limits for CheckRequestTimestamp. The
// future limit is the protocol's 60 s window. The reference server does not
// limit the age of a request; mauth does, so that the replay cache only has
// to remember keys for DefaultEciesMaxAge + DefaultEciesMaxFuture.
const (
	DefaultEciesMaxFuture = 60 * time.Second
	DefaultEciesMaxAge    = 5 * time.Minute
)

// CheckRequestTimestamp checks an ECIES request timestamp (ms since the
// epoch) against now: it fails with ErrEciesTimestampTooOld if ts is more
// than maxAge before now and with ErrEciesTimestampInFuture if it is more
// than maxFuture after now. Both bounds are inclusive. Only requests that
// carry a timestamp (3.2+) are checked; see EciesEnvelope.RequiresReplayCheck.
func CheckRequestTimestamp(ts int64, now time.Time, maxAge, maxFuture time.Duration) error {
	nowMs := now.UnixMilli()
	if ts > nowMs+maxFuture.Milliseconds() {
		return fmt.Errorf("%w: timestamp %d, now %d", ErrEciesTimestampInFuture, ts, nowMs)
	}
	if ts < nowMs-maxAge.Milliseconds() {
		return fmt.Errorf("%w: timestamp %d, now %d", ErrEciesTimestampTooOld, ts, nowMs)
	}
	return nil
}
