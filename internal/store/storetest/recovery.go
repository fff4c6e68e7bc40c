package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

func testRecoveryCodes(t *testing.T, s store.Store) {
	ctx := context.Background()
	app, other := newApp(t, s), newApp(t, s)
	act := newActivation(t, s, app.ID, "alice")
	mk := func(appID int64, code, user, activationID string, st domain.RecoveryCodeStatus) domain.RecoveryCode {
		return domain.RecoveryCode{Code: code, ApplicationID: appID, UserID: user, ActivationID: activationID, Status: st, MaxFailedAttempts: 10, Created: base}
	}
	c := []domain.RecoveryCode{
		mk(app.ID, "AAAAA-AAAAA-AAAAA-AAAAA", "alice", act.ActivationID, domain.RecoveryCodeActive),
		mk(app.ID, "BBBBB-BBBBB-BBBBB-BBBBB", "alice", "", domain.RecoveryCodeCreated),
		mk(other.ID, "AAAAA-AAAAA-AAAAA-AAAAA", "bob", "", domain.RecoveryCodeRevoked),
		mk(app.ID, "CCCCC-CCCCC-CCCCC-CCCCC", "bob", "", domain.RecoveryCodeBlocked),
	}
	c[0].FailedAttempts, c[0].LastUsed, c[0].LastChange = 1, at(time.Minute), at(time.Hour)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		for i := range c {
			if err := tx.CreateRecoveryCode(ctx, &c[i]); err != nil {
				return err
			}
		}
		return nil
	})
	got, err := s.GetRecoveryCode(ctx, c[0].ID)
	require.NoError(t, err)
	require.Equal(t, c[0], got)
	_, err = s.GetRecoveryCode(ctx, 1<<40)
	require.ErrorIs(t, err, store.ErrNotFound)

	for _, tc := range []struct {
		name string
		f    store.RecoveryCodeFilter
		want []domain.RecoveryCode
	}{
		{"code in application", store.RecoveryCodeFilter{ApplicationID: app.ID, Code: "AAAAA-AAAAA-AAAAA-AAAAA"}, []domain.RecoveryCode{c[0]}},
		{"code anywhere", store.RecoveryCodeFilter{Code: "AAAAA-AAAAA-AAAAA-AAAAA"}, []domain.RecoveryCode{c[0], c[2]}},
		{"user", store.RecoveryCodeFilter{UserID: "alice"}, []domain.RecoveryCode{c[0], c[1]}},
		{"user and application", store.RecoveryCodeFilter{UserID: "bob", ApplicationID: app.ID}, []domain.RecoveryCode{c[3]}},
		{"activation", store.RecoveryCodeFilter{ActivationID: act.ActivationID}, []domain.RecoveryCode{c[0]}},
		{"statuses", store.RecoveryCodeFilter{Statuses: []domain.RecoveryCodeStatus{domain.RecoveryCodeCreated, domain.RecoveryCodeBlocked}}, []domain.RecoveryCode{c[1], c[3]}},
		{"all", store.RecoveryCodeFilter{}, c},
		{"none", store.RecoveryCodeFilter{UserID: "carol"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ListRecoveryCodes(ctx, tc.f)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}

	t.Run("update", func(t *testing.T) {
		var upd domain.RecoveryCode
		inTx(t, s, func(ctx context.Context, tx store.Tx) error {
			rc, err := tx.GetRecoveryCodeForUpdate(ctx, c[1].ID)
			if err != nil {
				return err
			}
			rc.Status, rc.FailedAttempts, rc.ActivationID, rc.LastChange = domain.RecoveryCodeActive, 3, act.ActivationID, at(time.Hour)
			upd = rc
			return tx.UpdateRecoveryCode(ctx, &rc)
		})
		got, err := s.GetRecoveryCode(ctx, c[1].ID)
		require.NoError(t, err)
		require.Equal(t, upd, got)
		err = txErr(s, func(ctx context.Context, tx store.Tx) error {
			missing := c[1]
			missing.ID = 1 << 40
			return tx.UpdateRecoveryCode(ctx, &missing)
		})
		require.ErrorIs(t, err, store.ErrNotFound)
		err = txErr(s, func(ctx context.Context, tx store.Tx) error {
			_, err := tx.GetRecoveryCodeForUpdate(ctx, 1<<40)
			return err
		})
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	t.Run("references", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			rc   domain.RecoveryCode
		}{
			{"missing application", mk(1<<40, "X", "u", "", domain.RecoveryCodeCreated)},
			{"missing activation", mk(app.ID, "X", "u", uid(), domain.RecoveryCodeCreated)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.CreateRecoveryCode(ctx, &tc.rc) })
				require.ErrorIs(t, err, store.ErrConflict)
			})
		}
	})

	t.Run("delete", func(t *testing.T) {
		puk := domain.RecoveryPUK{RecoveryCodeID: c[3].ID, PUK: []byte("hash"), Index: 1, Status: domain.RecoveryPukValid}
		inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateRecoveryPUK(ctx, &puk) })
		inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteRecoveryCode(ctx, c[3].ID) })
		_, err := s.GetRecoveryCode(ctx, c[3].ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		puks, err := s.ListRecoveryPUKs(ctx, c[3].ID)
		require.NoError(t, err)
		require.Empty(t, puks, "PUKs go with their code")
		require.ErrorIs(t, txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteRecoveryCode(ctx, c[3].ID) }), store.ErrNotFound)
	})
}

func testRecoveryPUKs(t *testing.T, s store.Store) {
	ctx := context.Background()
	app := newApp(t, s)
	rc := domain.RecoveryCode{Code: "PPPPP-PPPPP-PPPPP-PPPPP", ApplicationID: app.ID, UserID: "u", Status: domain.RecoveryCodeCreated, MaxFailedAttempts: 10, Created: base}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateRecoveryCode(ctx, &rc) })
	p := make([]domain.RecoveryPUK, 3)
	for i := range p {
		// Inserted in reverse index order to check ordering by index.
		p[i] = domain.RecoveryPUK{RecoveryCodeID: rc.ID, PUK: []byte{byte(i), 0xAA}, Index: int64(3 - i), Status: domain.RecoveryPukValid}
	}
	p[0].LastChange = at(time.Minute)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		for i := range p {
			if err := tx.CreateRecoveryPUK(ctx, &p[i]); err != nil {
				return err
			}
		}
		return nil
	})
	list, err := s.ListRecoveryPUKs(ctx, rc.ID)
	require.NoError(t, err)
	require.Equal(t, []domain.RecoveryPUK{p[2], p[1], p[0]}, list)
	got, err := s.GetRecoveryPUK(ctx, rc.ID, 3)
	require.NoError(t, err)
	require.Equal(t, p[0], got)
	_, err = s.GetRecoveryPUK(ctx, rc.ID, 4)
	require.ErrorIs(t, err, store.ErrNotFound)

	dup := domain.RecoveryPUK{RecoveryCodeID: rc.ID, PUK: []byte("x"), Index: 2, Status: domain.RecoveryPukValid}
	require.ErrorIs(t, txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.CreateRecoveryPUK(ctx, &dup) }), store.ErrAlreadyExists)
	orphan := domain.RecoveryPUK{RecoveryCodeID: 1 << 40, PUK: []byte("x"), Index: 1, Status: domain.RecoveryPukValid}
	require.ErrorIs(t, txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.CreateRecoveryPUK(ctx, &orphan) }), store.ErrConflict)

	used := p[2]
	used.Status, used.LastChange = domain.RecoveryPukUsed, at(time.Hour)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateRecoveryPUK(ctx, &used) })
	got, err = s.GetRecoveryPUK(ctx, rc.ID, 1)
	require.NoError(t, err)
	require.Equal(t, used, got)
	missing := used
	missing.ID = 1 << 40
	require.ErrorIs(t, txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateRecoveryPUK(ctx, &missing) }), store.ErrNotFound)
}

func testRecoveryConfigs(t *testing.T, s store.Store) {
	ctx := context.Background()
	app := newApp(t, s)
	_, err := s.GetRecoveryConfig(ctx, app.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	rc := domain.RecoveryConfig{
		ApplicationID: app.ID, ActivationRecoveryEnabled: true, RecoveryPostcardEnabled: true,
		AllowMultipleRecoveryCodes: false, PostcardPrivateKeyEncrypted: []byte("enc"),
		PostcardPublicKey: []byte("pub"), RemotePostcardPublicKey: []byte("remote"),
	}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateRecoveryConfig(ctx, &rc) })
	got, err := s.GetRecoveryConfig(ctx, app.ID)
	require.NoError(t, err)
	require.Equal(t, rc, got)

	dup := domain.RecoveryConfig{ApplicationID: app.ID}
	require.ErrorIs(t, txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.CreateRecoveryConfig(ctx, &dup) }), store.ErrAlreadyExists)
	orphan := domain.RecoveryConfig{ApplicationID: 1 << 40}
	require.ErrorIs(t, txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.CreateRecoveryConfig(ctx, &orphan) }), store.ErrConflict)

	rc.ActivationRecoveryEnabled, rc.AllowMultipleRecoveryCodes, rc.RemotePostcardPublicKey = false, true, nil
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateRecoveryConfig(ctx, &rc) })
	got, err = s.GetRecoveryConfig(ctx, app.ID)
	require.NoError(t, err)
	require.Equal(t, rc, got)
	missing := rc
	missing.ID = 1 << 40
	require.ErrorIs(t, txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateRecoveryConfig(ctx, &missing) }), store.ErrNotFound)

	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteRecoveryConfig(ctx, app.ID) })
	_, err = s.GetRecoveryConfig(ctx, app.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	require.ErrorIs(t, txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteRecoveryConfig(ctx, app.ID) }), store.ErrNotFound)
}
