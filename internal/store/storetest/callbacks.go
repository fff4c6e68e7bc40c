package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

func testCallbackURLs(t *testing.T, s store.Store) {
	ctx := context.Background()
	app, other := newApp(t, s), newApp(t, s)
	full := domain.CallbackURL{
		ID: uid(), ApplicationID: app.ID, Name: "status", URL: "https://example.test/hook",
		Type: domain.CallbackActivationStatusChange, Attributes: []string{"userId", "activationStatus"},
		Authentication: []byte(`{"httpBasic":{"enabled":true}}`), MaxAttempts: 3,
		InitialBackoff: 2 * time.Second, RetentionPeriod: 30 * 24 * time.Hour, Enabled: true,
		Created: at(time.Second), LastUpdated: at(time.Minute),
	}
	minimal := domain.CallbackURL{
		ID: uid(), ApplicationID: app.ID, Name: "ops", URL: "https://example.test/ops",
		Type: domain.CallbackOperationStatusChange, Created: base,
	}
	elsewhere := domain.CallbackURL{ID: uid(), ApplicationID: other.ID, Name: "x", URL: "https://example.test/x", Type: domain.CallbackActivationStatusChange, Enabled: true, Created: base}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, cb := range []*domain.CallbackURL{&full, &minimal, &elsewhere} {
			if err := tx.CreateCallbackURL(ctx, cb); err != nil {
				return err
			}
		}
		return nil
	})
	for _, want := range []domain.CallbackURL{full, minimal} {
		got, err := s.GetCallbackURL(ctx, want.ID)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
	list, err := s.ListCallbackURLs(ctx, app.ID)
	require.NoError(t, err)
	require.Equal(t, []domain.CallbackURL{minimal, full}, list, "ordered by creation")

	for _, tc := range []struct {
		name string
		fn   func(ctx context.Context, tx store.Tx) error
		want error
	}{
		{"duplicate id", func(ctx context.Context, tx store.Tx) error {
			dup := minimal
			return tx.CreateCallbackURL(ctx, &dup)
		}, store.ErrAlreadyExists},
		{"missing application", func(ctx context.Context, tx store.Tx) error {
			cb := minimal
			cb.ID, cb.ApplicationID = uid(), 1<<40
			return tx.CreateCallbackURL(ctx, &cb)
		}, store.ErrConflict},
		{"update missing", func(ctx context.Context, tx store.Tx) error {
			cb := minimal
			cb.ID = uid()
			return tx.UpdateCallbackURL(ctx, &cb)
		}, store.ErrNotFound},
		{"delete missing", func(ctx context.Context, tx store.Tx) error { return tx.DeleteCallbackURL(ctx, uid()) }, store.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) { require.ErrorIs(t, txErr(s, tc.fn), tc.want) })
	}
	_, err = s.GetCallbackURL(ctx, uid())
	require.ErrorIs(t, err, store.ErrNotFound)

	t.Run("update", func(t *testing.T) {
		upd := full
		upd.Name, upd.URL, upd.Attributes, upd.Authentication = "renamed", "https://example.test/v2", nil, nil
		upd.MaxAttempts, upd.InitialBackoff, upd.RetentionPeriod, upd.Enabled = 0, 0, 0, false
		upd.LastUpdated = at(time.Hour)
		inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateCallbackURL(ctx, &upd) })
		got, err := s.GetCallbackURL(ctx, full.ID)
		require.NoError(t, err)
		require.Equal(t, upd, got)
	})

	t.Run("delete", func(t *testing.T) {
		inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteCallbackURL(ctx, minimal.ID) })
		list, err := s.ListCallbackURLs(ctx, app.ID)
		require.NoError(t, err)
		require.Len(t, list, 1)
		require.Equal(t, full.ID, list[0].ID)
	})
}
