package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mauth/mauth/client"
	"github.com/mauth/mauth/internal/callbacks"
)

// callbackReceiver is the bank's callback endpoint: it verifies the
// X-Mauth-Signature header of every request and records the payloads.
type callbackReceiver struct {
	secrets []string
	mu      sync.Mutex
	got     []map[string]any
	bad     []string
}

func (r *callbackReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	verified := false
	for _, s := range r.secrets {
		if callbacks.VerifySignature(s, req.Header.Get(callbacks.SignatureHeader), body, 5*time.Minute) == nil {
			verified = true
		}
	}
	var p map[string]any
	if !verified || json.Unmarshal(body, &p) != nil {
		r.bad = append(r.bad, string(body))
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	r.got = append(r.got, p)
	w.WriteHeader(http.StatusOK)
}

// payloads returns the verified payloads of a type for key=value.
func (r *callbackReceiver) payloads(typ, key, value string) []map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []map[string]any
	for _, p := range r.got {
		if p["type"] == typ && p[key] == value {
			out = append(out, p)
		}
	}
	return out
}

// callbacks is issue 5 acceptance 1's callback receipt: the bank
// registers an operation and an activation callback through the private
// API, a device is activated and approves a payment with the Go client,
// the dispatcher delivers the outbox, and the bank's receiver gets the
// APPROVED operation event and the activation's status changes, each
// request signed with the secret callback/create returned.
func (o *opsFixture) callbacks(t *testing.T) {
	ctx := context.Background()
	recv := &callbackReceiver{}
	srv := httptest.NewServer(recv)
	t.Cleanup(srv.Close)
	opCB := o.e.private(t, "application/callback/create", map[string]any{
		"applicationId": o.app.name, "name": "bank-operations", "type": "OPERATION_STATUS_CHANGE",
		"callbackUrl": srv.URL + "/operations", "attributes": []string{"status", "userId", "data", "failureCount"},
	})
	actCB := o.e.private(t, "application/callback/create", map[string]any{
		"applicationId": o.app.name, "name": "bank-activations", "type": "ACTIVATION_STATUS_CHANGE",
		"callbackUrl": srv.URL + "/activations", "attributes": []string{"activationStatus", "userId"},
	})
	opSecret, _ := opCB["signingSecret"].(string)
	actSecret, _ := actCB["signingSecret"].(string)
	if opSecret == "" || actSecret == "" || opSecret == actSecret {
		t.Fatalf("signing secrets %q %q", opSecret, actSecret)
	}
	recv.mu.Lock()
	recv.secrets = []string{opSecret, actSecret}
	recv.mu.Unlock()
	t.Cleanup(func() {
		for _, cb := range []map[string]any{opCB, actCB} {
			o.e.private(t, "application/callback/remove", map[string]any{"id": cb["id"]})
		}
	})

	user := o.user("callback")
	c, d, tok := o.device(t, user)
	created := o.payment(t, user)
	id := created["id"].(string)
	op, err := c.OperationDetail(ctx, tok, id, "en")
	if err != nil {
		t.Fatalf("detail: %v", err)
	}
	if err := c.AuthorizeOperation(ctx, d, client.PossessionKnowledge(pin), client.Approval{ID: id, Data: op.Data}); err != nil {
		t.Fatalf("authorize: %v", err)
	}
	o.wantBank(t, id, "APPROVED", 0)

	// Deliver everything due: each round claims due events; failed
	// deliveries would be rescheduled into the future, so this ends.
	disp := callbacks.New(o.e.svc, callbacks.Config{Now: o.e.clock.Now, Workers: 4})
	for round := 0; ; round++ {
		n, err := disp.RunOnce(ctx)
		if err != nil {
			t.Fatalf("dispatch: %v", err)
		}
		if n == 0 {
			break
		}
		if round > 100 {
			t.Fatalf("dispatcher keeps finding events")
		}
	}
	if len(recv.bad) != 0 {
		t.Fatalf("requests with a bad signature or body: %q", recv.bad)
	}
	var statuses []string
	for _, p := range recv.payloads("OPERATION", "operationId", id) {
		statuses = append(statuses, p["status"].(string))
		if p["userId"] != user || p["data"] != op.Data {
			t.Fatalf("operation payload: %v", p)
		}
	}
	if !slices.Equal(statuses, []string{"PENDING", "APPROVED"}) {
		t.Fatalf("operation events %v, want PENDING then APPROVED", statuses)
	}
	var states []string
	for _, p := range recv.payloads("ACTIVATION", "activationId", d.ActivationID) {
		states = append(states, p["activationStatus"].(string))
		if p["userId"] != user {
			t.Fatalf("activation payload: %v", p)
		}
	}
	if !slices.Equal(states, []string{"CREATED", "PENDING_COMMIT", "ACTIVE"}) {
		t.Fatalf("activation events %v, want CREATED, PENDING_COMMIT, ACTIVE", states)
	}
}
