package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

func testTransactions(t *testing.T, s store.Store) {
	ctx := context.Background()

	t.Run("error rolls back", func(t *testing.T) {
		boom := errors.New("boom")
		a := domain.Application{Name: "rolled-back"}
		err := s.InTx(ctx, func(tx store.Tx) error {
			if err := tx.CreateApplication(ctx, &a); err != nil {
				return err
			}
			return boom
		})
		require.ErrorIs(t, err, boom)
		_, err = s.GetApplicationByName(ctx, "rolled-back")
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	t.Run("panic rolls back", func(t *testing.T) {
		require.PanicsWithValue(t, "boom", func() {
			_ = s.InTx(ctx, func(tx store.Tx) error {
				if err := tx.CreateApplication(ctx, &domain.Application{Name: "panicked"}); err != nil {
					return err
				}
				panic("boom")
			})
		})
		_, err := s.GetApplicationByName(ctx, "panicked")
		require.ErrorIs(t, err, store.ErrNotFound)
		newApp(t, s) // the store still accepts writes
	})

	t.Run("expected errors keep the transaction usable", func(t *testing.T) {
		existing := newApp(t, s)
		inTx(t, s, func(ctx context.Context, tx store.Tx) error {
			if err := tx.CreateApplication(ctx, &domain.Application{Name: existing.Name}); !errors.Is(err, store.ErrAlreadyExists) {
				t.Errorf("create duplicate: got %v, want ErrAlreadyExists", err)
			}
			if _, err := tx.GetActivation(ctx, uid()); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("get missing: got %v, want ErrNotFound", err)
			}
			return tx.CreateApplication(ctx, &domain.Application{Name: "after-errors"})
		})
		_, err := s.GetApplicationByName(ctx, "after-errors")
		require.NoError(t, err)
	})

	t.Run("isolation", func(t *testing.T) {
		inTx(t, s, func(ctx context.Context, tx store.Tx) error {
			a := domain.Application{Name: "uncommitted"}
			if err := tx.CreateApplication(ctx, &a); err != nil {
				return err
			}
			if _, err := tx.GetApplicationByName(ctx, "uncommitted"); err != nil {
				t.Errorf("a transaction sees its own writes: %v", err)
			}
			if _, err := s.GetApplicationByName(ctx, "uncommitted"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("others do not see uncommitted writes: got %v", err)
			}
			return nil
		})
		_, err := s.GetApplicationByName(ctx, "uncommitted")
		require.NoError(t, err, "visible after commit")
	})

	t.Run("view is a snapshot", func(t *testing.T) {
		err := s.View(ctx, func(r store.Reader) error {
			before, err := r.ListApplications(ctx)
			if err != nil {
				return err
			}
			newApp(t, s) // committed by another transaction meanwhile
			after, err := r.ListApplications(ctx)
			if err != nil {
				return err
			}
			require.Equal(t, before, after)
			return nil
		})
		require.NoError(t, err)
	})

	t.Run("view returns the error of fn", func(t *testing.T) {
		boom := errors.New("boom")
		require.ErrorIs(t, s.View(ctx, func(store.Reader) error { return boom }), boom)
	})

	t.Run("canceled context", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		err := s.InTx(cctx, func(tx store.Tx) error { return nil })
		require.ErrorIs(t, err, context.Canceled)
		err = s.View(cctx, func(store.Reader) error { return nil })
		require.ErrorIs(t, err, context.Canceled)
	})
}
