package callbacks_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/internal/callbacks"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/teststore"
)

func ptr[T any](v T) *T { return &v }

func TestDeliveryHeadersAndBasicAuth(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, teststore.SQLite(t))
	rec := &recorder{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	cb := e.callback(t, srv.URL+"/hook", 1, &service.CallbackAuthentication{
		HTTPBasic: &service.CallbackHTTPBasic{Enabled: true, Username: "bank", Password: ptr("pa:ss")},
	})
	id := e.activation(t, "alice")
	d := e.dispatcher(callbacks.Config{})
	n, err := d.RunOnce(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)

	got := rec.requests()
	require.Len(t, got, 1)
	evs := e.events(t, cb.ID)
	require.Len(t, evs, 1)
	require.Equal(t, domain.CallbackEventCompleted, evs[0].Status)
	require.EqualValues(t, 1, evs[0].Attempts)
	require.False(t, evs[0].DeleteAfter.IsZero())

	h := got[0].header
	require.Equal(t, "application/json", h.Get("Content-Type"))
	require.Equal(t, evs[0].IdempotencyKey, h.Get("Idempotency-Key"))
	user, pass, ok := (&http.Request{Header: h}).BasicAuth()
	require.True(t, ok)
	require.Equal(t, "bank", user)
	require.Equal(t, "pa:ss", pass)
	secret, err := e.svc.CallbackSigningSecret(ctx, cb.ID)
	require.NoError(t, err)
	require.NoError(t, callbacks.VerifySignatureAt(secret, h.Get(callbacks.SignatureHeader), got[0].body, time.Minute, e.clock.Now()))
	var body map[string]any
	require.NoError(t, json.Unmarshal(got[0].body, &body))
	require.Equal(t, map[string]any{"type": "ACTIVATION", "activationId": id, "activationStatus": "CREATED"}, body)

	n, err = d.RunOnce(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "a completed event is not sent again")
}

func TestRetriesWithBackoffThenFailed(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		e := newEnv(t, st)
		rec := &recorder{status: http.StatusServiceUnavailable}
		srv := httptest.NewServer(rec)
		defer srv.Close()
		cb := e.callback(t, srv.URL, 3, nil)
		id := e.activation(t, "bob")
		_, err := e.svc.RemoveActivation(ctx, id, "admin", false)
		require.NoError(t, err)
		obs := &observer{}
		d := e.dispatcher(callbacks.Config{BackoffMultiplier: 2, MaxBackoff: time.Hour, Observe: obs.observe})

		// Attempt 1 fails: retry after the initial back-off (2 s default).
		start := e.clock.Now().UTC().Truncate(time.Millisecond)
		n, err := d.RunOnce(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n, "only the first event of the activation is in flight")
		first := e.events(t, cb.ID)[0]
		require.Equal(t, domain.CallbackEventPending, first.Status)
		require.EqualValues(t, 1, first.Attempts)
		require.GreaterOrEqual(t, first.NextCall.Sub(start), 2*time.Second)
		require.Less(t, first.NextCall.Sub(start), 3*time.Second)

		n, err = d.RunOnce(ctx)
		require.NoError(t, err)
		require.Zero(t, n, "not due before the back-off")
		e.clock.Advance(2 * time.Second)
		_, err = d.RunOnce(ctx)
		require.NoError(t, err)
		second := e.events(t, cb.ID)[0]
		require.EqualValues(t, 2, second.Attempts)
		require.Equal(t, 4*time.Second, second.NextCall.Sub(second.LastCall), "initial × multiplier")

		e.clock.Advance(4 * time.Second)
		_, err = d.RunOnce(ctx)
		require.NoError(t, err)
		evs := e.events(t, cb.ID)
		require.Equal(t, domain.CallbackEventFailed, evs[0].Status, "FAILED after maxAttempts")
		require.EqualValues(t, 3, evs[0].Attempts)
		require.Equal(t, domain.CallbackEventPending, evs[1].Status)
		require.Equal(t, map[callbacks.DeliveryResult]int{callbacks.ResultFailed: 2, callbacks.ResultGaveUp: 1}, obs.counts())

		got := rec.requests()
		require.Len(t, got, 3)
		for _, r := range got {
			require.Equal(t, evs[0].IdempotencyKey, r.header.Get("Idempotency-Key"), "same key on every retry")
		}

		// The failed event releases the next one of the activation.
		rec.mu.Lock()
		rec.status = http.StatusNoContent
		rec.mu.Unlock()
		n, err = d.RunOnce(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		require.Equal(t, domain.CallbackEventCompleted, e.events(t, cb.ID)[1].Status)
		require.Equal(t, map[callbacks.DeliveryResult]int{callbacks.ResultFailed: 2, callbacks.ResultGaveUp: 1, callbacks.ResultDelivered: 1}, obs.counts())

		// Retention purge.
		e.clock.Advance(service.DefaultCallbackRetentionPeriod + time.Hour)
		purged, err := d.Purge(ctx)
		require.NoError(t, err)
		require.EqualValues(t, 2, purged)
		require.Empty(t, e.events(t, cb.ID))
	})
}

func TestOAuth2ClientCredentials(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, teststore.SQLite(t))
	var tokenCalls atomic.Int32
	tokenSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, secret, ok := r.BasicAuth()
		if !ok || id != "client" || secret != "s3cret" || r.FormValue("grant_type") != "client_credentials" || r.FormValue("scope") != "callbacks" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		n := tokenCalls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "tok" + string(rune('0'+n)), "token_type": "Bearer", "expires_in": 3600})
	}))
	defer tokenSrv.Close()
	var rejectNext atomic.Bool
	rec := &recorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rejectNext.CompareAndSwap(true, false) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		rec.ServeHTTP(w, r)
	}))
	defer srv.Close()
	cb := e.callback(t, srv.URL, 5, &service.CallbackAuthentication{OAuth2: &service.CallbackOAuth2{
		Enabled: true, ClientID: "client", ClientSecret: ptr("s3cret"), TokenURI: tokenSrv.URL, Scope: "callbacks",
	}})
	d := e.dispatcher(callbacks.Config{})
	e.activation(t, "a")
	e.activation(t, "b")
	_, err := d.RunOnce(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 1, tokenCalls.Load(), "the token is cached")
	got := rec.requests()
	require.Len(t, got, 2)
	for _, r := range got {
		require.Equal(t, "Bearer tok1", r.header.Get("Authorization"))
	}

	// A refused token is dropped and a new one fetched for the retry.
	rejectNext.Store(true)
	e.activation(t, "c")
	_, err = d.RunOnce(ctx)
	require.NoError(t, err)
	e.clock.Advance(time.Minute)
	_, err = d.RunOnce(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 2, tokenCalls.Load())
	got = rec.requests()
	require.Len(t, got, 3)
	require.Equal(t, "Bearer tok2", got[2].header.Get("Authorization"))
	for _, ev := range e.events(t, cb.ID) {
		require.Equal(t, domain.CallbackEventCompleted, ev.Status)
	}

	// A token endpoint that refuses counts as a failed attempt.
	bad := e.callback(t, srv.URL, 1, &service.CallbackAuthentication{OAuth2: &service.CallbackOAuth2{
		Enabled: true, ClientID: "client", ClientSecret: ptr("wrong"), TokenURI: tokenSrv.URL, Scope: "callbacks",
	}})
	e.activation(t, "d")
	_, err = d.RunOnce(ctx)
	require.NoError(t, err)
	evs := e.events(t, bad.ID)
	require.Len(t, evs, 1)
	require.Equal(t, domain.CallbackEventFailed, evs[0].Status)
	require.Len(t, rec.requests(), 4, "only the good callback's event went out")
}

func TestRemovedCallbackEventsDropped(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, teststore.SQLite(t))
	rec := &recorder{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	cb := e.callback(t, srv.URL, 3, nil)
	e.activation(t, "a")
	_, err := e.svc.RemoveCallback(ctx, cb.ID)
	require.NoError(t, err)
	obs := &observer{}
	_, err = e.dispatcher(callbacks.Config{Observe: obs.observe}).RunOnce(ctx)
	require.NoError(t, err)
	require.Empty(t, rec.requests())
	require.Equal(t, domain.CallbackEventFailed, e.events(t, cb.ID)[0].Status)
	require.Equal(t, map[callbacks.DeliveryResult]int{callbacks.ResultGaveUp: 1}, obs.counts(), "a dropped event is given up")
}
