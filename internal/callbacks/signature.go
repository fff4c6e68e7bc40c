package callbacks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader is the header carrying the HMAC signature of a callback.
const SignatureHeader = "X-Mauth-Signature"

// Errors of VerifySignature.
var (
	// ErrSignatureFormat is a missing or malformed signature header.
	ErrSignatureFormat = errors.New("callbacks: malformed signature header")
	// ErrSignatureMismatch is a signature that does not match the body.
	ErrSignatureMismatch = errors.New("callbacks: signature mismatch")
	// ErrSignatureTimestamp is a signature timestamp outside the tolerance.
	ErrSignatureTimestamp = errors.New("callbacks: signature timestamp outside tolerance")
)

// maxSignatureHeader bounds the header a receiver parses.
const maxSignatureHeader = 4096

// signatureMAC returns HMAC-SHA256(secret, t + "." + body).
func signatureMAC(secret string, t int64, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(t, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Sign returns the X-Mauth-Signature header value for body sent at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := t.Unix()
	return "t=" + strconv.FormatInt(ts, 10) + ",v1=" + hex.EncodeToString(signatureMAC(secret, ts, body))
}

// VerifySignature checks an X-Mauth-Signature header against the raw
// request body: the HMAC must match (compared in constant time) and the
// timestamp must be within tolerance of the current time (tolerance ≤ 0
// skips the time check; 5 minutes is a sensible value). Receivers should
// also deduplicate by the Idempotency-Key header, as events may arrive
// more than once.
func VerifySignature(secret, header string, body []byte, tolerance time.Duration) error {
	return VerifySignatureAt(secret, header, body, tolerance, time.Now())
}

// VerifySignatureAt is VerifySignature at the time now.
func VerifySignatureAt(secret, header string, body []byte, tolerance time.Duration, now time.Time) error {
	ts, sigs, err := parseSignatureHeader(header)
	if err != nil {
		return err
	}
	want := signatureMAC(secret, ts, body)
	match := false
	for _, s := range sigs {
		if hmac.Equal(want, s) {
			match = true
		}
	}
	if !match {
		return ErrSignatureMismatch
	}
	if tolerance > 0 {
		d := now.Sub(time.Unix(ts, 0))
		if d < 0 {
			d = -d
		}
		if d > tolerance {
			return ErrSignatureTimestamp
		}
	}
	return nil
}

// parseSignatureHeader splits "t=<unix>,v1=<hex>[,v1=<hex>…]"; unknown
// keys are ignored so the scheme can grow.
func parseSignatureHeader(h string) (int64, [][]byte, error) {
	if h == "" || len(h) > maxSignatureHeader {
		return 0, nil, ErrSignatureFormat
	}
	var (
		ts    int64
		hasTS bool
		sigs  [][]byte
	)
	for part := range strings.SplitSeq(h, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return 0, nil, ErrSignatureFormat
		}
		switch k {
		case "t":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 || hasTS {
				return 0, nil, ErrSignatureFormat
			}
			ts, hasTS = n, true
		case "v1":
			b, err := hex.DecodeString(v)
			if err != nil || len(b) != sha256.Size {
				return 0, nil, ErrSignatureFormat
			}
			sigs = append(sigs, b)
		}
	}
	if !hasTS || len(sigs) == 0 {
		return 0, nil, ErrSignatureFormat
	}
	return ts, sigs, nil
}
