package metrics

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/teststore"
)

// newOperation stores a PENDING operation of a new application through st.
func newOperation(t *testing.T, st store.Store, id string) domain.Operation {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	op := domain.Operation{ID: id, UserID: "alice", OperationType: "login", TemplateName: "login", Data: "A2",
		Status: domain.OperationPending, SignatureTypes: []string{"possession_knowledge"}, MaxFailureCount: 3,
		Created: now, Expires: now.Add(time.Minute)}
	require.NoError(t, st.InTx(ctx, func(tx store.Tx) error {
		app := domain.Application{Name: "app-" + id}
		if err := tx.CreateApplication(ctx, &app); err != nil {
			return err
		}
		op.ApplicationIDs = []int64{app.ID}
		return tx.CreateOperation(ctx, &op)
	}))
	return op
}

// update locks the operation, applies change and writes it; fail makes
// the transaction roll back afterwards.
func update(st store.Store, id string, change func(op *domain.Operation), fail bool) error {
	ctx := context.Background()
	return st.InTx(ctx, func(tx store.Tx) error {
		op, err := tx.GetOperationForUpdate(ctx, id)
		if err != nil {
			return err
		}
		change(&op)
		if err := tx.UpdateOperation(ctx, &op); err != nil {
			return err
		}
		if fail {
			return errors.New("rolled back")
		}
		return nil
	})
}

func TestOperationTransitionsAndFailures(t *testing.T) {
	m := New()
	st := m.WrapStore(teststore.SQLite(t))
	transitions := func() map[string]float64 { return samples(t, m, "mauth_operation_transitions_total") }

	op := newOperation(t, st, "op-1")
	require.Equal(t, map[string]float64{"NONE,PENDING": 1}, transitions())

	// A failed attempt raises the failure count without a transition.
	require.NoError(t, update(st, op.ID, func(op *domain.Operation) { op.FailureCount++ }, false))
	require.Equal(t, 1.0, samples(t, m, "mauth_operation_approval_failures_total")[""])
	require.Equal(t, map[string]float64{"NONE,PENDING": 1}, transitions())

	// A rolled-back change counts nothing.
	require.Error(t, update(st, op.ID, func(op *domain.Operation) {
		op.FailureCount++
		op.Status = domain.OperationApproved
	}, true))
	require.Equal(t, map[string]float64{"NONE,PENDING": 1}, transitions())
	require.Equal(t, 1.0, samples(t, m, "mauth_operation_approval_failures_total")[""])

	// The failed attempt that reaches the limit is both.
	require.NoError(t, update(st, op.ID, func(op *domain.Operation) {
		op.FailureCount += 2
		op.Status = domain.OperationFailed
	}, false))
	require.Equal(t, map[string]float64{"NONE,PENDING": 1, "PENDING,FAILED": 1}, transitions())
	require.Equal(t, 3.0, samples(t, m, "mauth_operation_approval_failures_total")[""])

	// A write without a read in the transaction comes from UNKNOWN; a
	// rewrite of the same status is no transition.
	other := newOperation(t, st, "op-2")
	ctx := context.Background()
	require.NoError(t, st.InTx(ctx, func(tx store.Tx) error {
		o := other
		o.Status = domain.OperationCanceled
		return tx.UpdateOperation(ctx, &o)
	}))
	require.NoError(t, update(st, other.ID, func(op *domain.Operation) { op.StatusReason = "again" }, false))
	require.Equal(t, map[string]float64{"NONE,PENDING": 2, "PENDING,FAILED": 1, "UNKNOWN,CANCELED": 1}, transitions())

	// Expiry by the job reads the operations with ListExpiredOperationsForUpdate.
	third := newOperation(t, st, "op-3")
	require.NoError(t, st.InTx(ctx, func(tx store.Tx) error {
		ops, err := tx.ListExpiredOperationsForUpdate(ctx, third.Expires.Add(time.Second), 10)
		if err != nil {
			return err
		}
		require.Len(t, ops, 1)
		ops[0].Status = domain.OperationExpired
		return tx.UpdateOperation(ctx, &ops[0])
	}))
	require.Equal(t, map[string]float64{"NONE,PENDING": 3, "PENDING,FAILED": 1, "UNKNOWN,CANCELED": 1, "PENDING,EXPIRED": 1}, transitions())
	require.Equal(t, 3.0, samples(t, m, "mauth_operation_approval_failures_total")[""])
}

// samples gathers m and returns the samples of the metric family name,
// keyed by their label values joined with commas (in label name order).
func samples(t *testing.T, m *Metrics, name string) map[string]float64 {
	t.Helper()
	fams, err := m.Registry().Gather()
	require.NoError(t, err)
	out := map[string]float64{}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, s := range f.GetMetric() {
			var vals []string
			for _, l := range s.GetLabel() {
				vals = append(vals, l.GetValue())
			}
			switch {
			case s.GetCounter() != nil:
				out[strings.Join(vals, ",")] = s.GetCounter().GetValue()
			case s.GetGauge() != nil:
				out[strings.Join(vals, ",")] = s.GetGauge().GetValue()
			}
		}
	}
	return out
}

// fakeOutbox answers CountQueuedCallbackEvents.
type fakeOutbox struct {
	n   int64
	err error
	ctx context.Context
}

func (f *fakeOutbox) CountQueuedCallbackEvents(ctx context.Context) (int64, error) {
	f.ctx = ctx
	return f.n, f.err
}

func TestOutboxDepth(t *testing.T) {
	m := New()
	fake := &fakeOutbox{n: 7}
	var errs []error
	m.RegisterOutbox(fake, 0, func(err error) { errs = append(errs, err) })
	require.Equal(t, 7.0, gauge(t, m, "mauth_callback_outbox_depth"))
	deadline, ok := fake.ctx.Deadline()
	require.True(t, ok, "the count has a deadline")
	require.LessOrEqual(t, time.Until(deadline), DefaultOutboxTimeout)

	// A failing count leaves the gauge out of the scrape and reports the error.
	fake.err = errors.New("database down")
	fams, err := m.Registry().Gather()
	require.NoError(t, err, "the rest of the scrape still works")
	for _, f := range fams {
		require.NotEqual(t, "mauth_callback_outbox_depth", f.GetName())
	}
	require.Len(t, errs, 1)

	// On a real store the gauge counts PENDING and PROCESSING events.
	onStore := New()
	onStore.RegisterOutbox(teststore.SQLite(t), time.Second, nil)
	require.Equal(t, 0.0, gauge(t, onStore, "mauth_callback_outbox_depth"))
}

// gauge gathers m and returns the value of the unlabelled gauge name.
func gauge(t *testing.T, m *Metrics, name string) float64 {
	t.Helper()
	fams, err := m.Registry().Gather()
	require.NoError(t, err)
	for _, f := range fams {
		if f.GetName() == name {
			require.Len(t, f.GetMetric(), 1)
			return f.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no %s in the scrape", name)
	return 0
}

func TestCallbackDeliveryResults(t *testing.T) {
	m := New()
	for _, r := range []string{CallbackDelivered, CallbackDelivered, CallbackFailed, "bogus", ""} {
		m.CallbackDelivery(r)
	}
	require.Equal(t, map[string]float64{CallbackDelivered: 2, CallbackFailed: 1, CallbackGaveUp: 0},
		samples(t, m, "mauth_callback_deliveries_total"), "zeros are exported; unknown results add no series")
}
