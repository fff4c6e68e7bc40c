package callbacks

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSignatureRoundTrip(t *testing.T) {
	body := []byte(`{"type":"ACTIVATION","activationId":"a"}`)
	at := time.Unix(1_700_000_000, 0)
	h := Sign("secret", at, body)
	require.Equal(t, "t=1700000000,v1=", h[:16])
	for _, tc := range []struct {
		name      string
		secret    string
		header    string
		body      []byte
		tolerance time.Duration
		now       time.Time
		want      error
	}{
		{"valid", "secret", h, body, 5 * time.Minute, at.Add(time.Minute), nil},
		{"valid without time check", "secret", h, body, 0, at.Add(24 * time.Hour), nil},
		{"second v1 matches (rotation)", "secret", "t=1700000000,v1=" + hexZero + "," + h[len("t=1700000000,"):], body, time.Minute, at, nil},
		{"unknown key ignored", "secret", h + ",v0=zz", body, time.Minute, at, nil},
		{"wrong secret", "other", h, body, time.Minute, at, ErrSignatureMismatch},
		{"body changed", "secret", h, append([]byte{' '}, body...), time.Minute, at, ErrSignatureMismatch},
		{"too old", "secret", h, body, time.Minute, at.Add(2 * time.Minute), ErrSignatureTimestamp},
		{"too new", "secret", h, body, time.Minute, at.Add(-2 * time.Minute), ErrSignatureTimestamp},
		{"timestamp moved", "secret", "t=1700000001," + h[len("t=1700000000,"):], body, 0, at, ErrSignatureMismatch},
		{"empty", "secret", "", body, 0, at, ErrSignatureFormat},
		{"no signature", "secret", "t=1700000000", body, 0, at, ErrSignatureFormat},
		{"no timestamp", "secret", h[len("t=1700000000,"):], body, 0, at, ErrSignatureFormat},
		{"two timestamps", "secret", "t=1," + h, body, 0, at, ErrSignatureFormat},
		{"bad hex", "secret", "t=1700000000,v1=xyz", body, 0, at, ErrSignatureFormat},
		{"short mac", "secret", "t=1700000000,v1=abcd", body, 0, at, ErrSignatureFormat},
		{"negative time", "secret", "t=-1,v1=" + hexZero, body, 0, at, ErrSignatureFormat},
		{"no equals", "secret", "t1700000000", body, 0, at, ErrSignatureFormat},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.ErrorIs(t, VerifySignatureAt(tc.secret, tc.header, tc.body, tc.tolerance, tc.now), tc.want)
		})
	}
	require.NoError(t, VerifySignature("s", Sign("s", time.Now(), body), body, time.Minute))
}

const hexZero = "0000000000000000000000000000000000000000000000000000000000000000"

func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		initial    time.Duration
		multiplier float64
		max        time.Duration
		attempt    int64
		want       time.Duration
	}{
		{2 * time.Second, 1.5, 32 * time.Second, 1, 2 * time.Second},
		{2 * time.Second, 1.5, 32 * time.Second, 2, 3 * time.Second},
		{2 * time.Second, 1.5, 32 * time.Second, 3, 4500 * time.Millisecond},
		{2 * time.Second, 1.5, 32 * time.Second, 8, 32 * time.Second},
		{2 * time.Second, 1.5, 32 * time.Second, 1000, 32 * time.Second},
		{time.Second, 2, 0, 4, 8 * time.Second},
		{time.Second, 0.5, time.Minute, 3, time.Second},
		{time.Second, 2, time.Minute, 0, time.Second},
	} {
		require.Equal(t, tc.want, Backoff(tc.initial, tc.multiplier, tc.max, tc.attempt), "%+v", tc)
	}
}

func FuzzVerifySignature(f *testing.F) {
	body := []byte(`{"a":1}`)
	f.Add(Sign("k", time.Unix(1, 0), body), body)
	f.Add("t=1,v1=00", []byte{})
	f.Add("t=,v1=,=", []byte("x"))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		err := VerifySignatureAt("k", header, body, time.Minute, time.Unix(1, 0))
		if err == nil && Sign("k", time.Unix(1, 0), body) != header {
			// Accepted headers must carry the right MAC for their timestamp.
			ts, sigs, perr := parseSignatureHeader(header)
			require.NoError(t, perr)
			require.NotEmpty(t, sigs)
			require.LessOrEqual(t, ts, int64(61))
		}
	})
}
