package service

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/teststore"
)

// errInjected is the failure a faultStore injects.
var errInjected = errors.New("injected write failure")

// faultStore wraps a store: while failAudit (failOutbox) is set, the
// audit insert (the callback-outbox insert) of every transaction fails.
type faultStore struct {
	store.Store
	failAudit, failOutbox atomic.Bool
}

func (f *faultStore) InTx(ctx context.Context, fn func(tx store.Tx) error) error {
	return f.Store.InTx(ctx, func(tx store.Tx) error {
		return fn(faultTx{Tx: tx, audit: f.failAudit.Load(), outbox: f.failOutbox.Load()})
	})
}

type faultTx struct {
	store.Tx
	audit, outbox bool
}

func (t faultTx) CreateAuditEntry(ctx context.Context, e *domain.AuditEntry) error {
	if t.audit {
		return errInjected
	}
	return t.Tx.CreateAuditEntry(ctx, e)
}

func (t faultTx) CreateCallbackEvent(ctx context.Context, e *domain.CallbackEvent) error {
	if t.outbox {
		return errInjected
	}
	return t.Tx.CreateCallbackEvent(ctx, e)
}

// adminActions returns the actions of the ADMIN_CHANGE audit entries.
func adminActions(t *testing.T, svc *Service) map[string]int {
	t.Helper()
	entries, err := svc.ListAuditLog(context.Background(), AuditQuery{Type: domain.AuditAdminChange})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, e := range entries {
		out[e.Details["action"]]++
	}
	return out
}

// TestFailingAuditWriteRollsBackTheChange shows that an administrative
// change and its audit record commit together: when the record cannot be
// written, the change fails and leaves nothing behind (both backends).
func TestFailingAuditWriteRollsBackTheChange(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		fs := &faultStore{Store: st}
		svc, _ := newTestService(t, fs, Config{})
		ctx := context.Background()
		ta := createTestApp(t, svc)
		cb, err := svc.CreateCallback(ctx, CallbackInput{ApplicationName: ta.App.Name, Name: "status",
			Type: domain.CallbackActivationStatusChange, URL: "https://hooks.example.com/activation"})
		if err != nil {
			t.Fatal(err)
		}
		integ, err := svc.CreateIntegrationWith(ctx, IntegrationInput{Name: "scoped", Role: domain.IntegrationApplication, Applications: []string{ta.App.Name}})
		if err != nil {
			t.Fatal(err)
		}
		active := actActive(t, svc, ta).result.Activation.ActivationID
		other := createTestApp(t, svc).App.Name
		before := adminActions(t, svc)
		eventsBefore := countEvents(t, st, active)

		fs.failAudit.Store(true)
		mustFail := func(what string, err error) {
			t.Helper()
			if !errors.Is(err, errInjected) {
				t.Fatalf("%s with a failing audit write: %v, want the injected error", what, err)
			}
		}
		_, err = svc.CreateApplication(ctx, "lost-app", nil)
		mustFail("CreateApplication", err)
		_, err = svc.CreateIntegration(ctx, "lost-integration")
		mustFail("CreateIntegration", err)
		_, err = svc.GrantIntegrationApplications(ctx, integ.ID, []string{other})
		mustFail("GrantIntegrationApplications", err)
		removed, err := svc.RemoveIntegration(ctx, integ.ID)
		mustFail("RemoveIntegration", err)
		if removed {
			t.Fatal("RemoveIntegration reported a removal it rolled back")
		}
		_, err = svc.CreateCallback(ctx, CallbackInput{ApplicationName: ta.App.Name, Name: "lost",
			Type: domain.CallbackOperationStatusChange, URL: "https://hooks.example.com/lost"})
		mustFail("CreateCallback", err)
		_, err = svc.UpdateCallback(ctx, cb.ID, CallbackInput{ApplicationName: ta.App.Name, Name: "renamed",
			Type: domain.CallbackActivationStatusChange, URL: "https://hooks.example.com/renamed"})
		mustFail("UpdateCallback", err)
		_, err = svc.RemoveCallback(ctx, cb.ID)
		mustFail("RemoveCallback", err)
		_, err = svc.BlockActivation(ctx, active, "NOT_SPECIFIED", "admin")
		mustFail("BlockActivation", err)
		fs.failAudit.Store(false)

		apps, err := svc.ListApplications(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range apps {
			if a.Name == "lost-app" {
				t.Fatal("CreateApplication left its application behind")
			}
		}
		integs, err := svc.ListIntegrations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, i := range integs {
			if i.Name == "lost-integration" {
				t.Fatal("CreateIntegration left its integration behind")
			}
			if i.ID == integ.ID {
				found = true
				if len(i.Applications) != 1 || i.Applications[0] != ta.App.Name {
					t.Fatalf("GrantIntegrationApplications left its grant behind: %v", i.Applications)
				}
			}
		}
		if !found {
			t.Fatal("RemoveIntegration removed the integration although its audit write failed")
		}
		cbs, err := svc.ListCallbacks(ctx, ta.App.Name)
		if err != nil {
			t.Fatal(err)
		}
		if len(cbs) != 1 || cbs[0].ID != cb.ID || cbs[0].Name != "status" || cbs[0].URL != cb.URL {
			t.Fatalf("callbacks after failed create/update/remove: %+v", cbs)
		}
		if a := actGet(t, svc, active); a.Status != domain.ActivationActive {
			t.Fatalf("activation %s after a failed block, want ACTIVE", a.Status)
		}
		if n := countEvents(t, st, active); n != eventsBefore {
			t.Fatalf("%d callback events of the activation after a failed block, want %d", n, eventsBefore)
		}
		after := adminActions(t, svc)
		for action, n := range after {
			if n != before[action] {
				t.Fatalf("audit action %s: %d entries after the failed changes, %d before", action, n, before[action])
			}
		}
	})
}

// countEvents counts the callback events of an activation or operation.
func countEvents(t *testing.T, st store.Store, orderingKey string) int {
	t.Helper()
	events, err := st.ListCallbackEvents(context.Background(), store.CallbackEventFilter{OrderingKey: orderingKey})
	if err != nil {
		t.Fatal(err)
	}
	return len(events)
}

// TestFailingOutboxWriteRollsBackTheChange shows that a status change and
// its callback event commit together: when the event cannot be enqueued,
// the change fails and leaves nothing behind (both backends).
func TestFailingOutboxWriteRollsBackTheChange(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		fs := &faultStore{Store: st}
		svc, _ := newTestService(t, fs, Config{})
		ctx := context.Background()
		ta := createTestApp(t, svc)
		if _, err := svc.CreateCallback(ctx, CallbackInput{ApplicationName: ta.App.Name, Name: "status",
			Type: domain.CallbackActivationStatusChange, URL: "https://hooks.example.com/activation"}); err != nil {
			t.Fatal(err)
		}
		active := actActive(t, svc, ta).result.Activation.ActivationID
		history := len(actHistory(t, svc, active))
		events := countEvents(t, st, active)
		if events == 0 {
			t.Fatal("the set-up enqueued no callback event")
		}
		audits, err := svc.ListAuditLog(ctx, AuditQuery{ActivationID: active})
		if err != nil {
			t.Fatal(err)
		}

		fs.failOutbox.Store(true)
		if _, err := svc.BlockActivation(ctx, active, "NOT_SPECIFIED", "admin"); !errors.Is(err, errInjected) {
			t.Fatalf("BlockActivation with a failing outbox: %v, want the injected error", err)
		}
		fs.failOutbox.Store(false)

		if a := actGet(t, svc, active); a.Status != domain.ActivationActive {
			t.Fatalf("activation %s after a failed block, want ACTIVE", a.Status)
		}
		if n := len(actHistory(t, svc, active)); n != history {
			t.Fatalf("%d history entries after a failed block, want %d", n, history)
		}
		if n := countEvents(t, st, active); n != events {
			t.Fatalf("%d callback events after a failed block, want %d", n, events)
		}
		after, err := svc.ListAuditLog(ctx, AuditQuery{ActivationID: active})
		if err != nil {
			t.Fatal(err)
		}
		if len(after) != len(audits) {
			t.Fatalf("%d audit entries after a failed block, want %d", len(after), len(audits))
		}
	})
}
