package callbacks_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/internal/callbacks"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/teststore"
)

// blockingReceiver records every request by Idempotency-Key and, while
// armed, blocks the request number blockAt until the client gives up.
type blockingReceiver struct {
	mu      sync.Mutex
	keys    []string
	blockAt int
	blocked chan struct{}
}

func (r *blockingReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	// Reading the body to the end lets the server notice the client
	// going away (and cancel the request context).
	_, _ = io.Copy(io.Discard, req.Body)
	r.mu.Lock()
	r.keys = append(r.keys, req.Header.Get("Idempotency-Key"))
	block := len(r.keys) == r.blockAt
	r.mu.Unlock()
	if block {
		close(r.blocked)
		<-req.Context().Done() // the dispatcher dies while we hold its request
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (r *blockingReceiver) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.keys...)
}

// TestDeliverySurvivesRestart is issue 5 acceptance 2: a dispatcher is
// killed while a receiver holds one of its requests, another node's claims
// are abandoned mid-delivery (a crash), and a new dispatcher on the same
// database delivers everything: the receiver sees every event at least
// once, and the events of each activation in order.
func TestDeliverySurvivesRestart(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		e := newEnv(t, st)
		recv := &blockingReceiver{blockAt: 5, blocked: make(chan struct{})}
		srv := httptest.NewServer(recv)
		defer srv.Close()
		cb := e.callback(t, srv.URL, 10, nil)

		// Every activation changes status twice through the service
		// (CREATED, REMOVED); two more events per activation are appended
		// to the outbox directly, so each activation has four in a row.
		const activations = 6
		var ids []string
		for i := range activations {
			ids = append(ids, e.activation(t, "user-"+string(rune('a'+i))))
		}
		for _, id := range ids {
			_, err := e.svc.RemoveActivation(ctx, id, "admin", false)
			require.NoError(t, err)
		}
		extra := appendEvents(t, st, cb.ID, ids, 2, e.clock.Now())
		all := e.events(t, cb.ID)
		require.Len(t, all, activations*2+extra)

		// Node 1 runs until the receiver holds its fifth request, then dies.
		ctx1, kill := context.WithCancel(ctx)
		wait := e.dispatcher(callbacks.Config{Workers: 2, BatchSize: 3, PollInterval: 5 * time.Millisecond, RerunAfter: time.Minute}).Start(ctx1)
		select {
		case <-recv.blocked:
		case <-time.After(5 * time.Minute): // a safety net only
			t.Fatal("receiver never got the fifth request")
		}
		kill()
		wait()

		// Node 2 claimed a batch and crashed before sending anything.
		require.NoError(t, st.InTx(ctx, func(tx store.Tx) error {
			now := e.clock.Now()
			crashed, err := tx.ClaimCallbackEvents(ctx, now, now.Add(time.Minute), "crashed-node", 4)
			if err == nil && len(crashed) == 0 {
				t.Error("nothing left for the crashed node to claim")
			}
			return err
		}))

		// A restarted node delivers the rest, the crashed node's claims
		// once they are stale.
		d := e.dispatcher(callbacks.Config{Workers: 2, BatchSize: 3, RerunAfter: time.Minute})
		for round := 0; ; round++ {
			require.Less(t, round, 200, "delivery does not converge")
			n, err := d.RunOnce(ctx)
			require.NoError(t, err)
			if n > 0 {
				continue
			}
			open := 0
			for _, ev := range e.events(t, cb.ID) {
				if !ev.Status.Final() {
					open++
				}
			}
			if open == 0 {
				break
			}
			e.clock.Advance(2 * time.Minute)
		}

		final := e.events(t, cb.ID)
		byKey := map[string]domain.CallbackEvent{}
		for _, ev := range final {
			require.Equal(t, domain.CallbackEventCompleted, ev.Status, "event %d", ev.ID)
			byKey[ev.IdempotencyKey] = ev
		}
		seen := recv.seen()
		// Every event at least once.
		got := map[string]bool{}
		for _, k := range seen {
			got[k] = true
		}
		for _, ev := range final {
			require.True(t, got[ev.IdempotencyKey], "event %d never received", ev.ID)
		}
		// In order per activation: collapsing repeated deliveries, each
		// activation's requests are its events in id order.
		perActivation := map[string][]int64{}
		for _, k := range seen {
			ev, ok := byKey[k]
			require.True(t, ok, "unknown idempotency key %q", k)
			s := perActivation[ev.OrderingKey]
			if len(s) > 0 && s[len(s)-1] == ev.ID {
				continue
			}
			perActivation[ev.OrderingKey] = append(s, ev.ID)
		}
		for _, id := range ids {
			var want []int64
			for _, ev := range final {
				if ev.OrderingKey == id {
					want = append(want, ev.ID)
				}
			}
			require.Equal(t, want, perActivation[id], "activation %s", id)
		}
		require.Greater(t, len(seen), len(final)-1, "at least once")
	})
}

// appendEvents adds n more events for every activation and returns how many.
func appendEvents(t *testing.T, st store.Store, callbackID string, ids []string, n int, now time.Time) int {
	t.Helper()
	count := 0
	require.NoError(t, st.InTx(context.Background(), func(tx store.Tx) error {
		for i := range n {
			for _, id := range ids {
				ev := domain.CallbackEvent{CallbackID: callbackID, OrderingKey: id,
					Payload: []byte(`{"type":"ACTIVATION","activationId":"` + id + `","seq":` + string(rune('0'+i)) + `}`),
					Status:  domain.CallbackEventPending, IdempotencyKey: id + "-extra-" + string(rune('0'+i)),
					Created: now, NextCall: now}
				if err := tx.CreateCallbackEvent(context.Background(), &ev); err != nil {
					return err
				}
				count++
			}
		}
		return nil
	}))
	return count
}
