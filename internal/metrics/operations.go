package metrics

import (
	"context"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// rememberOp records the status and failure count of an operation the
// transaction read or wrote.
func (t *observedTx) rememberOp(op domain.Operation) {
	t.mu.Lock()
	t.ops[op.ID] = opState{status: op.Status, failures: op.FailureCount}
	t.mu.Unlock()
}

// GetOperation implements store.Tx.
func (t *observedTx) GetOperation(ctx context.Context, id string) (domain.Operation, error) {
	op, err := t.Tx.GetOperation(ctx, id)
	if err == nil {
		t.rememberOp(op)
	}
	return op, err
}

// GetOperationForUpdate implements store.Tx.
func (t *observedTx) GetOperationForUpdate(ctx context.Context, id string) (domain.Operation, error) {
	op, err := t.Tx.GetOperationForUpdate(ctx, id)
	if err == nil {
		t.rememberOp(op)
	}
	return op, err
}

// ListOperations implements store.Tx.
func (t *observedTx) ListOperations(ctx context.Context, f store.OperationListFilter) ([]domain.Operation, error) {
	ops, err := t.Tx.ListOperations(ctx, f)
	for _, op := range ops {
		t.rememberOp(op)
	}
	return ops, err
}

// ListExpiredOperationsForUpdate implements store.Tx.
func (t *observedTx) ListExpiredOperationsForUpdate(ctx context.Context, now time.Time, limit int) ([]domain.Operation, error) {
	ops, err := t.Tx.ListExpiredOperationsForUpdate(ctx, now, limit)
	for _, op := range ops {
		t.rememberOp(op)
	}
	return ops, err
}

// CreateOperation implements store.Tx.
func (t *observedTx) CreateOperation(ctx context.Context, op *domain.Operation) error {
	err := t.Tx.CreateOperation(ctx, op)
	if err == nil {
		t.add(event{kind: operationEvent, from: "NONE", to: op.Status.String()})
		t.rememberOp(*op)
	}
	return err
}

// UpdateOperation implements store.Tx. A status different from the one
// read in this transaction is a transition (from UNKNOWN when none was
// read); a failure count above the one read counts failed approvals.
func (t *observedTx) UpdateOperation(ctx context.Context, op *domain.Operation) error {
	err := t.Tx.UpdateOperation(ctx, op)
	if err != nil {
		return err
	}
	t.mu.Lock()
	prev, ok := t.ops[op.ID]
	t.ops[op.ID] = opState{status: op.Status, failures: op.FailureCount}
	t.mu.Unlock()
	switch {
	case !ok:
		t.add(event{kind: operationEvent, from: "UNKNOWN", to: op.Status.String()})
	case prev.status != op.Status:
		t.add(event{kind: operationEvent, from: prev.status.String(), to: op.Status.String()})
	}
	if ok && op.FailureCount > prev.failures {
		t.add(event{kind: approvalFailureEvent, n: op.FailureCount - prev.failures})
	}
	return nil
}
