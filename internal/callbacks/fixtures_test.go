package callbacks_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/internal/callbacks"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/netguard"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/testclock"
)

// env is a core service on a store with a controllable clock.
type env struct {
	svc   *service.Service
	st    store.Store
	clock *testclock.Clock
	app   string
}

func newEnv(t *testing.T, st store.Store) *env {
	t.Helper()
	box, err := secretbox.New(secretbox.GenerateKey())
	require.NoError(t, err)
	clock := &testclock.Clock{}
	// The receivers are httptest servers on 127.0.0.1: allow loopback.
	svc, err := service.New(st, box, service.Config{RecoveryPUKHashMemoryKiB: 64}, service.WithClock(clock.Now),
		service.WithCallbackPolicy(netguard.MustNew("127.0.0.0/8")))
	require.NoError(t, err)
	var b [6]byte
	_, _ = rand.Read(b[:])
	app, err := svc.CreateApplication(context.Background(), "app-"+hex.EncodeToString(b[:]), nil)
	require.NoError(t, err)
	return &env{svc: svc, st: st, clock: clock, app: app.Name}
}

// callback registers an activation callback to url.
func (e *env) callback(t *testing.T, url string, maxAttempts int64, auth *service.CallbackAuthentication) service.Callback {
	t.Helper()
	cb, err := e.svc.CreateCallback(context.Background(), service.CallbackInput{
		ApplicationName: e.app, Name: "cb", Type: domain.CallbackActivationStatusChange, URL: url,
		Attributes: []string{"activationStatus"}, MaxAttempts: &maxAttempts, Authentication: auth,
	})
	require.NoError(t, err)
	return cb
}

// dispatcher returns a dispatcher on e's clock.
func (e *env) dispatcher(cfg callbacks.Config) *callbacks.Dispatcher {
	cfg.Now = e.clock.Now
	return callbacks.New(e.svc, cfg)
}

// activation creates a CREATED activation (one event per callback).
func (e *env) activation(t *testing.T, user string) string {
	t.Helper()
	a, err := e.svc.InitActivation(context.Background(), service.InitActivationInput{UserID: user, ApplicationID: e.app})
	require.NoError(t, err)
	return a.ActivationID
}

// events returns a callback's events in id order.
func (e *env) events(t *testing.T, callbackID string) []domain.CallbackEvent {
	t.Helper()
	evs, err := e.st.ListCallbackEvents(context.Background(), store.CallbackEventFilter{CallbackID: callbackID})
	require.NoError(t, err)
	return evs
}

// received is one request a receiver got.
type received struct {
	header http.Header
	body   []byte
}

// recorder is a callback receiver answering with status (200 when 0).
type recorder struct {
	mu     sync.Mutex
	got    []received
	status int
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.got = append(r.got, received{header: req.Header.Clone(), body: body})
	status := r.status
	r.mu.Unlock()
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
}

func (r *recorder) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// observer counts the results a dispatcher reports.
type observer struct {
	mu sync.Mutex
	n  map[callbacks.DeliveryResult]int
}

func (o *observer) observe(r callbacks.DeliveryResult) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.n == nil {
		o.n = map[callbacks.DeliveryResult]int{}
	}
	o.n[r]++
}

func (o *observer) counts() map[callbacks.DeliveryResult]int {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := map[callbacks.DeliveryResult]int{}
	for k, v := range o.n {
		out[k] = v
	}
	return out
}

// reset forgets the requests received so far.
func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = nil
}
