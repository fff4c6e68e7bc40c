package metrics

import (
	"context"
	"sync"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// WrapStore returns st observed by m: committed signature audit records
// count as signature verifications, committed activation and operation
// writes whose status changed count as state transitions, and operation
// writes that raised the failure count count as failed approvals. Events
// of a transaction that rolls back (or is retried) are not counted twice.
func (m *Metrics) WrapStore(st store.Store) store.Store {
	return &observedStore{Store: st, m: m}
}

type observedStore struct {
	store.Store
	m *Metrics
}

// eventKind says what an event observed.
type eventKind int

const (
	signatureEvent eventKind = iota
	activationEvent
	operationEvent
	approvalFailureEvent
)

// event is one observation waiting for its transaction to commit.
type event struct {
	kind       eventKind
	valid      bool
	factorType string
	from, to   string
	n          int64 // approvalFailureEvent: how many
}

// opState is what the transaction last read or wrote of an operation.
type opState struct {
	status   domain.OperationStatus
	failures int64
}

// SwapActivationWithSignatureAudit implements store.Store: a swapped
// activation is a committed signature verification (its status does not
// change, so it is no transition).
func (s *observedStore) SwapActivationWithSignatureAudit(ctx context.Context, a *domain.Activation, r *domain.SignatureAudit, e *domain.AuditEntry) (bool, error) {
	ok, err := s.Store.SwapActivationWithSignatureAudit(ctx, a, r, e)
	if err == nil && ok {
		s.m.SignatureVerified(r.Valid, r.SignatureType)
	}
	return ok, err
}

// InTx implements store.Store.
func (s *observedStore) InTx(ctx context.Context, fn func(tx store.Tx) error) error {
	var events []event
	err := s.Store.InTx(ctx, func(tx store.Tx) error {
		otx := &observedTx{Tx: tx, seen: map[string]domain.ActivationStatus{}, ops: map[string]opState{}}
		err := fn(otx)
		events = otx.events // the last attempt wins
		return err
	})
	if err != nil {
		return err
	}
	for _, e := range events {
		switch e.kind {
		case signatureEvent:
			s.m.SignatureVerified(e.valid, e.factorType)
		case activationEvent:
			s.m.ActivationTransition(e.from, e.to)
		case operationEvent:
			s.m.OperationTransition(e.from, e.to)
		case approvalFailureEvent:
			s.m.OperationApprovalFailed(e.n)
		}
	}
	return nil
}

type observedTx struct {
	store.Tx
	mu     sync.Mutex
	seen   map[string]domain.ActivationStatus
	ops    map[string]opState
	events []event
}

func (t *observedTx) add(e event) {
	t.mu.Lock()
	t.events = append(t.events, e)
	t.mu.Unlock()
}

func (t *observedTx) remember(a domain.Activation) {
	t.mu.Lock()
	t.seen[a.ActivationID] = a.Status
	t.mu.Unlock()
}

// GetActivationForUpdate implements store.Tx.
func (t *observedTx) GetActivationForUpdate(ctx context.Context, id string) (domain.Activation, error) {
	a, err := t.Tx.GetActivationForUpdate(ctx, id)
	if err == nil {
		t.remember(a)
	}
	return a, err
}

// GetActivation implements store.Tx.
func (t *observedTx) GetActivation(ctx context.Context, id string) (domain.Activation, error) {
	a, err := t.Tx.GetActivation(ctx, id)
	if err == nil {
		t.remember(a)
	}
	return a, err
}

// CreateActivation implements store.Tx.
func (t *observedTx) CreateActivation(ctx context.Context, a *domain.Activation) error {
	err := t.Tx.CreateActivation(ctx, a)
	if err == nil {
		t.add(event{kind: activationEvent, from: "NONE", to: a.Status.String()})
		t.remember(*a)
	}
	return err
}

// UpdateActivation implements store.Tx.
func (t *observedTx) UpdateActivation(ctx context.Context, a *domain.Activation) error {
	err := t.Tx.UpdateActivation(ctx, a)
	if err == nil {
		t.changed(*a)
	}
	return err
}

// CompareAndSwapActivation implements store.Tx.
func (t *observedTx) CompareAndSwapActivation(ctx context.Context, a *domain.Activation) error {
	err := t.Tx.CompareAndSwapActivation(ctx, a)
	if err == nil {
		t.changed(*a)
	}
	return err
}

// changed records a transition when the written status differs from the
// one read in this transaction (UNKNOWN when none was read).
func (t *observedTx) changed(a domain.Activation) {
	t.mu.Lock()
	prev, ok := t.seen[a.ActivationID]
	t.seen[a.ActivationID] = a.Status
	t.mu.Unlock()
	from := "UNKNOWN"
	if ok {
		if prev == a.Status {
			return
		}
		from = prev.String()
	}
	t.add(event{kind: activationEvent, from: from, to: a.Status.String()})
}

// CreateSignatureAudit implements store.Tx.
func (t *observedTx) CreateSignatureAudit(ctx context.Context, a *domain.SignatureAudit) error {
	err := t.Tx.CreateSignatureAudit(ctx, a)
	if err == nil {
		t.add(event{kind: signatureEvent, valid: a.Valid, factorType: a.SignatureType})
	}
	return err
}

// CreateSignatureAuditWithEntry implements store.Tx.
func (t *observedTx) CreateSignatureAuditWithEntry(ctx context.Context, a *domain.SignatureAudit, e *domain.AuditEntry) error {
	err := t.Tx.CreateSignatureAuditWithEntry(ctx, a, e)
	if err == nil {
		t.add(event{kind: signatureEvent, valid: a.Valid, factorType: a.SignatureType})
	}
	return err
}
