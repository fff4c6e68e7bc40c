package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// testOperations runs the operation and template checks, each on a fresh store.
func testOperations(t *testing.T, newStore Factory) {
	t.Run("Templates", func(t *testing.T) { testOperationTemplates(t, newStore(t)) })
	t.Run("RoundTrip", func(t *testing.T) { testOperationRoundTrip(t, newStore(t)) })
	t.Run("List", func(t *testing.T) { testOperationList(t, newStore(t)) })
	t.Run("LockedTransitions", func(t *testing.T) { testOperationLockedTransitions(t, newStore(t)) })
	t.Run("ExpiryWorkersDisjoint", func(t *testing.T) { testOperationExpiryWorkers(t, newStore(t)) })
}

func testOperationTemplates(t *testing.T, s store.Store) {
	ctx := context.Background()
	full := domain.OperationTemplate{
		Name: "payment", OperationType: "authorize_payment", DataTemplate: "A1*A${amount}${currency}*I${iban}",
		SignatureTypes: []string{"possession_knowledge", "possession_biometry"}, MaxFailureCount: 5,
		Expiration: 300 * time.Second, RiskFlags: "XFC", ProximityCheckEnabled: true, NumberMatchingEnabled: true,
	}
	minimal := domain.OperationTemplate{
		Name: "login", OperationType: "login", DataTemplate: "A2", SignatureTypes: []string{"possession"},
		MaxFailureCount: 1, Expiration: time.Second,
	}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateOperationTemplate(ctx, &full); err != nil {
			return err
		}
		return tx.CreateOperationTemplate(ctx, &minimal)
	})
	require.NotZero(t, full.ID)
	require.NotEqual(t, full.ID, minimal.ID)
	for _, want := range []domain.OperationTemplate{full, minimal} {
		got, err := s.GetOperationTemplate(ctx, want.ID)
		require.NoError(t, err)
		require.Equal(t, want, got)
		got, err = s.GetOperationTemplateByName(ctx, want.Name)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
	all, err := s.ListOperationTemplates(ctx)
	require.NoError(t, err)
	require.Equal(t, []domain.OperationTemplate{full, minimal}, all)

	dup := domain.OperationTemplate{Name: "payment", OperationType: "x", DataTemplate: "x", SignatureTypes: []string{"possession"}, MaxFailureCount: 1, Expiration: time.Second}
	err = txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.CreateOperationTemplate(ctx, &dup) })
	require.ErrorIs(t, err, store.ErrAlreadyExists)

	minimal.DataTemplate, minimal.RiskFlags, minimal.NumberMatchingEnabled = "A2*T${x}", "F", true
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateOperationTemplate(ctx, &minimal) })
	got, err := s.GetOperationTemplate(ctx, minimal.ID)
	require.NoError(t, err)
	require.Equal(t, minimal, got)

	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteOperationTemplate(ctx, minimal.ID) })
	_, err = s.GetOperationTemplate(ctx, minimal.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.GetOperationTemplateByName(ctx, "nope")
	require.ErrorIs(t, err, store.ErrNotFound)
	for _, fn := range []func(ctx context.Context, tx store.Tx) error{
		func(ctx context.Context, tx store.Tx) error { return tx.DeleteOperationTemplate(ctx, minimal.ID) },
		func(ctx context.Context, tx store.Tx) error { return tx.UpdateOperationTemplate(ctx, &minimal) },
	} {
		require.ErrorIs(t, txErr(s, fn), store.ErrNotFound)
	}
}

// operation returns a PENDING operation bound to apps.
func operation(user string, apps ...int64) domain.Operation {
	return domain.Operation{
		ID: uid(), UserID: user, ApplicationIDs: apps, OperationType: "login", TemplateName: "login",
		Data: "A2", Status: domain.OperationPending, SignatureTypes: []string{"possession_knowledge"},
		MaxFailureCount: 5, Created: base, Expires: at(5 * time.Minute),
	}
}

func newOperation(t testing.TB, s store.Store, op domain.Operation) domain.Operation {
	t.Helper()
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateOperation(ctx, &op) })
	return op
}

func testOperationRoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()
	app, other := newApp(t, s), newApp(t, s)
	full := domain.Operation{
		ID: uid(), UserID: "alice", ApplicationIDs: []int64{app.ID, other.ID}, ExternalID: "ext-1",
		ActivationFlag: "FLAG_A", ActivationID: uid(), OperationType: "authorize_payment", TemplateName: "payment",
		Data: `A1*A100.00EUR*I"quoted"`, Parameters: map[string]string{"amount": "100.00", "currency": "EUR"},
		AdditionalData: map[string]any{"channel": "web", "nested": map[string]any{"k": "v"}},
		Status:         domain.OperationPending, StatusReason: "", SignatureTypes: []string{"possession_knowledge", "possession_biometry"},
		FailureCount: 1, MaxFailureCount: 3, Created: base, Expires: at(time.Minute), RiskFlags: "XF",
		TotpSeedEncrypted: []byte("sealed-seed"), NumberMatching: "42",
	}
	minimal := operation("", app.ID)
	newOperation(t, s, full)
	newOperation(t, s, minimal)
	for _, want := range []domain.Operation{full, minimal} {
		got, err := s.GetOperation(ctx, want.ID)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
	_, err := s.GetOperation(ctx, uid())
	require.ErrorIs(t, err, store.ErrNotFound)
	err = txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.CreateOperation(ctx, &full) })
	require.ErrorIs(t, err, store.ErrAlreadyExists)
	bad := operation("bob", 1<<40)
	err = txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.CreateOperation(ctx, &bad) })
	require.Error(t, err, "unknown application")
	_, err = s.GetOperation(ctx, bad.ID)
	require.ErrorIs(t, err, store.ErrNotFound, "rolled back")

	// Update every mutable field; the creation time and applications stay.
	upd := full
	upd.UserID, upd.Status, upd.StatusReason, upd.FailureCount = "bob", domain.OperationCanceled, "FRAUD", 2
	upd.AdditionalData = map[string]any{"x": "y"}
	upd.Finalized, upd.Expires = at(30*time.Second), at(2*time.Minute)
	upd.Created = at(time.Hour) // ignored
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		locked, err := tx.GetOperationForUpdate(ctx, full.ID)
		require.Equal(t, full, locked)
		if err != nil {
			return err
		}
		return tx.UpdateOperation(ctx, &upd)
	})
	got, err := s.GetOperation(ctx, full.ID)
	require.NoError(t, err)
	upd.Created = full.Created
	require.Equal(t, upd, got)
	missing := operation("x", app.ID)
	require.ErrorIs(t, txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateOperation(ctx, &missing) }), store.ErrNotFound)
	require.ErrorIs(t, txErr(s, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.GetOperationForUpdate(ctx, missing.ID)
		return err
	}), store.ErrNotFound)

	// Deleting an application removes its bindings (and keeps the operation).
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteApplication(ctx, other.ID) })
	got, err = s.GetOperation(ctx, full.ID)
	require.NoError(t, err)
	require.Equal(t, []int64{app.ID}, got.ApplicationIDs)
}

func testOperationList(t *testing.T, s store.Store) {
	ctx := context.Background()
	app, other := newApp(t, s), newApp(t, s)
	var mine []domain.Operation // newest first
	for i := range 5 {
		op := operation("alice", app.ID)
		op.Created = at(time.Duration(i) * time.Second)
		if i%2 == 1 {
			op.Status = domain.OperationApproved
		}
		if i == 4 {
			op.ExternalID = "ext-4"
		}
		mine = append([]domain.Operation{newOperation(t, s, op)}, mine...)
	}
	elsewhere := operation("alice", other.ID)
	elsewhere.ExternalID = "ext-4"
	newOperation(t, s, elsewhere)
	newOperation(t, s, operation("bob", app.ID))

	list, err := s.ListOperations(ctx, store.OperationListFilter{UserID: "alice", ApplicationIDs: []int64{app.ID}})
	require.NoError(t, err)
	require.Equal(t, mine, list)
	page, err := s.ListOperations(ctx, store.OperationListFilter{UserID: "alice", ApplicationIDs: []int64{app.ID}, Limit: 2, Offset: 2})
	require.NoError(t, err)
	require.Equal(t, mine[2:4], page)
	pending, err := s.ListOperations(ctx, store.OperationListFilter{UserID: "alice", ApplicationIDs: []int64{app.ID},
		Statuses: []domain.OperationStatus{domain.OperationPending}})
	require.NoError(t, err)
	require.Equal(t, []domain.Operation{mine[0], mine[2], mine[4]}, pending)
	both, err := s.ListOperations(ctx, store.OperationListFilter{UserID: "alice", ApplicationIDs: []int64{app.ID, other.ID}})
	require.NoError(t, err)
	require.Len(t, both, 6)
	ext, err := s.ListOperations(ctx, store.OperationListFilter{ExternalID: "ext-4", ApplicationIDs: []int64{app.ID}})
	require.NoError(t, err)
	require.Equal(t, []domain.Operation{mine[0]}, ext)
	none, err := s.ListOperations(ctx, store.OperationListFilter{UserID: "carol"})
	require.NoError(t, err)
	require.Empty(t, none)
}

// testOperationLockedTransitions has many transactions move one operation
// out of PENDING under its row lock: exactly one succeeds.
func testOperationLockedTransitions(t *testing.T, s store.Store) {
	const workers = 16
	ctx := context.Background()
	app := newApp(t, s)
	op := newOperation(t, s, operation("alice", app.ID))
	errWon := errors.New("already final")
	errs := parallel(workers, func(i int) error {
		return s.InTx(ctx, func(tx store.Tx) error {
			cur, err := tx.GetOperationForUpdate(ctx, op.ID)
			if err != nil {
				return err
			}
			if cur.Status != domain.OperationPending {
				return errWon
			}
			cur.Status, cur.FailureCount = domain.OperationApproved, int64(i)
			return tx.UpdateOperation(ctx, &cur)
		})
	})
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
		} else {
			require.ErrorIs(t, err, errWon)
		}
	}
	require.Equal(t, 1, won)
	got, err := s.GetOperation(ctx, op.ID)
	require.NoError(t, err)
	require.Equal(t, domain.OperationApproved, got.Status)
}

func testOperationExpiryWorkers(t *testing.T, s store.Store) {
	const workers, expired, batch = 4, 20, 3
	ctx := context.Background()
	app := newApp(t, s)
	now := at(time.Hour)
	for i := range expired {
		op := operation("expiry", app.ID)
		op.Expires = now.Add(-time.Duration(i+1) * time.Second)
		newOperation(t, s, op)
	}
	live := operation("expiry", app.ID)
	live.Expires = now.Add(time.Second)
	newOperation(t, s, live)
	done := operation("expiry", app.ID)
	done.Status, done.Expires = domain.OperationApproved, now.Add(-time.Hour)
	newOperation(t, s, done)

	counts := make([]int, workers)
	errs := parallel(workers, func(w int) error {
		for {
			n := 0
			err := s.InTx(ctx, func(tx store.Tx) error {
				found, err := tx.ListExpiredOperationsForUpdate(ctx, now, batch)
				if err != nil {
					return err
				}
				n = len(found)
				for _, op := range found {
					if op.Status != domain.OperationPending || !op.Expires.Before(now) {
						return errors.New("listed an operation that is not due")
					}
					op.Status, op.FailureCount = domain.OperationExpired, op.FailureCount+1
					if err := tx.UpdateOperation(ctx, &op); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil || n == 0 {
				return err
			}
			counts[w] += n
		}
	})
	for _, err := range errs {
		require.NoError(t, err)
	}
	total := 0
	for _, c := range counts {
		total += c
	}
	require.Equal(t, expired, total, "each expired operation processed once")
	all, err := s.ListOperations(ctx, store.OperationListFilter{UserID: "expiry"})
	require.NoError(t, err)
	for _, op := range all {
		switch op.ID {
		case live.ID:
			require.Equal(t, domain.OperationPending, op.Status)
		case done.ID:
			require.Equal(t, domain.OperationApproved, op.Status)
		default:
			require.Equal(t, domain.OperationExpired, op.Status)
			require.Equal(t, int64(1), op.FailureCount, "updated exactly once")
		}
	}
}
