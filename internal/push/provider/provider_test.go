package provider_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/internal/push/provider"
	"github.com/mauth/mauth/internal/push/pushtest"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"-5", 0},
		{"120", 120 * time.Second},
		{" 7 ", 7 * time.Second},
		{"99999999999", 365 * 24 * time.Hour},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"Monday, 07-Dec-26 10:00:30 GMT", 30 * time.Second}, // RFC 850
		{"Mon Dec  7 10:01:00 2026", time.Minute},            // asctime
		{"soon", 0},
		{"1.5", 0},
	} {
		require.Equal(t, tc.want, provider.ParseRetryAfter(tc.in, now), tc.in)
	}
}

func TestTokenCache(t *testing.T) {
	clock := pushtest.NewClock(time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC))
	var fetches atomic.Int32
	fail := false
	c := provider.NewTokenCache(func(context.Context) (provider.Token, error) {
		if fail {
			return provider.Token{}, errors.New("down")
		}
		n := fetches.Add(1)
		return provider.Token{Value: string(rune('a' + n)), Expiry: clock.Now().Add(time.Hour)}, nil
	}, clock.Now, 5*time.Minute)

	// Concurrent first callers share one fetch.
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			v, err := c.Token(context.Background())
			require.NoError(t, err)
			require.Equal(t, "b", v)
		})
	}
	wg.Wait()
	require.EqualValues(t, 1, fetches.Load())

	clock.Advance(55*time.Minute - time.Nanosecond)
	v, _ := c.Token(context.Background())
	require.Equal(t, "b", v)
	clock.Advance(time.Nanosecond)
	v, _ = c.Token(context.Background())
	require.Equal(t, "c", v)

	// Invalidate only drops the named token.
	c.Invalidate("b")
	v, _ = c.Token(context.Background())
	require.Equal(t, "c", v)
	c.Invalidate("c")
	fail = true
	_, err := c.Token(context.Background())
	require.Error(t, err)
	fail = false
	v, _ = c.Token(context.Background())
	require.Equal(t, "d", v)
	require.EqualValues(t, 3, fetches.Load())
}

func TestOutcomeString(t *testing.T) {
	require.Equal(t, "delivered", provider.Delivered.String())
	require.Equal(t, "invalid_token", provider.InvalidToken.String())
	require.Equal(t, "transient", provider.Transient.String())
	require.Equal(t, "failed", provider.Failed.String())
}
