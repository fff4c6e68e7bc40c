package service

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"time"
)

// ProximityOTPLength is the number of digits of a proximity-check TOTP.
const ProximityOTPLength = 8

// totpSHA256 computes an RFC 6238 time-based one-time password with
// HMAC-SHA256: the moving factor is floor(unix seconds / step), the code
// the RFC 4226 dynamic truncation modulo 10^digits, zero-padded. step must
// be at least one second and digits between 1 and 9.
func totpSHA256(seed []byte, at time.Time, step time.Duration, digits int) (string, error) {
	if step < time.Second {
		return "", fmt.Errorf("totp: step %v is shorter than one second", step)
	}
	if digits < 1 || digits > 9 {
		return "", fmt.Errorf("totp: %d digits", digits)
	}
	secs := at.Unix()
	if secs < 0 {
		return "", fmt.Errorf("totp: time %v before the epoch", at)
	}
	counter := uint64(secs) / uint64(step/time.Second)
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	mac := hmac.New(sha256.New, seed)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	code := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, code%mod), nil
}
