package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

func testTokens(t *testing.T, s store.Store) {
	ctx := context.Background()
	app := newApp(t, s)
	a, b := newActivation(t, s, app.ID, "u"), newActivation(t, s, app.ID, "u")
	tok := func(act domain.Activation, created time.Duration) domain.Token {
		return domain.Token{ID: uid(), Secret: []byte("secret-" + uid()), ActivationID: act.ActivationID, SignatureType: "possession_biometry", Created: at(created)}
	}
	t1, t2, t3 := tok(a, time.Second), tok(a, 0), tok(b, 0)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, x := range []*domain.Token{&t1, &t2, &t3} {
			if err := tx.CreateToken(ctx, x); err != nil {
				return err
			}
		}
		return nil
	})
	got, err := s.GetToken(ctx, t1.ID)
	require.NoError(t, err)
	require.Equal(t, t1, got)
	list, err := s.ListTokens(ctx, a.ActivationID)
	require.NoError(t, err)
	require.Equal(t, []domain.Token{t2, t1}, list, "ordered by creation")

	dup := tok(b, 0)
	dup.ID = t1.ID
	require.ErrorIs(t, txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.CreateToken(ctx, &dup) }), store.ErrAlreadyExists)
	orphan := tok(domain.Activation{ActivationID: uid()}, 0)
	require.ErrorIs(t, txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.CreateToken(ctx, &orphan) }), store.ErrConflict)
	_, err = s.GetToken(ctx, uid())
	require.ErrorIs(t, err, store.ErrNotFound)

	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteToken(ctx, t3.ID) })
	_, err = s.GetToken(ctx, t3.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	require.ErrorIs(t, txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteToken(ctx, t3.ID) }), store.ErrNotFound)

	var n int64
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		n, err = tx.DeleteTokensByActivation(ctx, a.ActivationID)
		return err
	})
	require.Equal(t, int64(2), n)
	list, err = s.ListTokens(ctx, a.ActivationID)
	require.NoError(t, err)
	require.Empty(t, list)
}

func testIntegrations(t *testing.T, s store.Store) {
	ctx := context.Background()
	i1 := domain.Integration{ID: uid(), Name: "b-edge", ClientToken: uid(), ClientSecret: uid(), Role: domain.IntegrationApplication}
	i2 := domain.Integration{ID: uid(), Name: "a-admin", ClientToken: uid(), ClientSecret: uid(), Role: domain.IntegrationAdmin}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateIntegration(ctx, &i1); err != nil {
			return err
		}
		return tx.CreateIntegration(ctx, &i2)
	})
	got, err := s.GetIntegration(ctx, i1.ID)
	require.NoError(t, err)
	require.Equal(t, i1, got)
	got, err = s.GetIntegrationByClientToken(ctx, i2.ClientToken)
	require.NoError(t, err)
	require.Equal(t, i2, got)
	list, err := s.ListIntegrations(ctx)
	require.NoError(t, err)
	require.Equal(t, []domain.Integration{i2, i1}, list, "ordered by name")

	for _, tc := range []struct {
		name string
		fn   func(ctx context.Context, tx store.Tx) error
		want error
	}{
		{"duplicate id", func(ctx context.Context, tx store.Tx) error {
			return tx.CreateIntegration(ctx, &domain.Integration{ID: i1.ID, Name: "x", ClientToken: uid(), ClientSecret: "s", Role: domain.IntegrationAdmin})
		}, store.ErrAlreadyExists},
		{"duplicate client token", func(ctx context.Context, tx store.Tx) error {
			return tx.CreateIntegration(ctx, &domain.Integration{ID: uid(), Name: "x", ClientToken: i1.ClientToken, ClientSecret: "s", Role: domain.IntegrationAdmin})
		}, store.ErrAlreadyExists},
		{"update to duplicate client token", func(ctx context.Context, tx store.Tx) error {
			return tx.UpdateIntegration(ctx, &domain.Integration{ID: i2.ID, Name: "x", ClientToken: i1.ClientToken, ClientSecret: "s", Role: domain.IntegrationAdmin})
		}, store.ErrAlreadyExists},
		{"update missing", func(ctx context.Context, tx store.Tx) error {
			return tx.UpdateIntegration(ctx, &domain.Integration{ID: uid(), Name: "x", ClientToken: uid(), ClientSecret: "s", Role: domain.IntegrationAdmin})
		}, store.ErrNotFound},
		{"delete missing", func(ctx context.Context, tx store.Tx) error { return tx.DeleteIntegration(ctx, uid()) }, store.ErrNotFound},
		{"unknown role", func(ctx context.Context, tx store.Tx) error {
			return tx.CreateIntegration(ctx, &domain.Integration{ID: uid(), Name: "x", ClientToken: uid(), ClientSecret: "s", Role: "ROOT"})
		}, nil},
		{"empty role", func(ctx context.Context, tx store.Tx) error {
			return tx.CreateIntegration(ctx, &domain.Integration{ID: uid(), Name: "x", ClientToken: uid(), ClientSecret: "s"})
		}, nil},
	} {
		if tc.want == nil { // the schema refuses a role outside ADMIN and APPLICATION
			t.Run(tc.name, func(t *testing.T) { require.Error(t, txErr(s, tc.fn)) })
			continue
		}
		t.Run(tc.name, func(t *testing.T) { require.ErrorIs(t, txErr(s, tc.fn), tc.want) })
	}
	_, err = s.GetIntegrationByClientToken(ctx, uid())
	require.ErrorIs(t, err, store.ErrNotFound)

	i1.Name, i1.ClientSecret = "renamed", uid()
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateIntegration(ctx, &i1) })
	got, err = s.GetIntegration(ctx, i1.ID)
	require.NoError(t, err)
	require.Equal(t, i1, got)

	// The secret is replaced only while it still holds the expected value.
	require.ErrorIs(t, txErr(s, func(ctx context.Context, tx store.Tx) error {
		return tx.ReplaceIntegrationSecret(ctx, i1.ID, "stale", "new")
	}), store.ErrNotFound)
	require.ErrorIs(t, txErr(s, func(ctx context.Context, tx store.Tx) error {
		return tx.ReplaceIntegrationSecret(ctx, uid(), i1.ClientSecret, "new")
	}), store.ErrNotFound)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.ReplaceIntegrationSecret(ctx, i1.ID, i1.ClientSecret, "hashed")
	})
	i1.ClientSecret = "hashed"
	got, err = s.GetIntegration(ctx, i1.ID)
	require.NoError(t, err)
	require.Equal(t, i1, got, "only the secret changes")

	// Grants: idempotent, ordered, removed with the integration or the application.
	a1, a2 := newApp(t, s), newApp(t, s)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, id := range []int64{a2.ID, a1.ID, a2.ID} {
			if err := tx.GrantIntegrationApplication(ctx, i1.ID, id); err != nil {
				return err
			}
		}
		return tx.GrantIntegrationApplication(ctx, i2.ID, a1.ID)
	})
	apps, err := s.ListIntegrationApplications(ctx, i1.ID)
	require.NoError(t, err)
	require.Equal(t, []int64{a1.ID, a2.ID}, apps)
	apps, err = s.ListIntegrationApplications(ctx, uid())
	require.NoError(t, err)
	require.Empty(t, apps)
	require.ErrorIs(t, txErr(s, func(ctx context.Context, tx store.Tx) error {
		return tx.GrantIntegrationApplication(ctx, uid(), a1.ID)
	}), store.ErrConflict, "unknown integration")
	require.ErrorIs(t, txErr(s, func(ctx context.Context, tx store.Tx) error {
		return tx.GrantIntegrationApplication(ctx, i1.ID, a2.ID+1000)
	}), store.ErrConflict, "unknown application")
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.RevokeIntegrationApplication(ctx, i1.ID, a2.ID)
	})
	require.ErrorIs(t, txErr(s, func(ctx context.Context, tx store.Tx) error {
		return tx.RevokeIntegrationApplication(ctx, i1.ID, a2.ID)
	}), store.ErrNotFound)
	apps, err = s.ListIntegrationApplications(ctx, i1.ID)
	require.NoError(t, err)
	require.Equal(t, []int64{a1.ID}, apps)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteApplication(ctx, a1.ID) })
	apps, err = s.ListIntegrationApplications(ctx, i2.ID)
	require.NoError(t, err)
	require.Empty(t, apps, "deleting an application deletes its grants")

	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.GrantIntegrationApplication(ctx, i1.ID, a2.ID) })
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteIntegration(ctx, i1.ID) })
	_, err = s.GetIntegration(ctx, i1.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	apps, err = s.ListIntegrationApplications(ctx, i1.ID)
	require.NoError(t, err)
	require.Empty(t, apps, "deleting an integration deletes its grants")
}

func testTemporaryKeys(t *testing.T, s store.Store) {
	ctx := context.Background()
	k1 := domain.TemporaryKey{ID: uid(), ApplicationKey: "appkey", ActivationID: uid(), PrivateKeyEncrypted: []byte("priv1"), PublicKey: []byte("pub1"), Expires: at(-time.Second)}
	k2 := domain.TemporaryKey{ID: uid(), ApplicationKey: "appkey", PrivateKeyEncrypted: []byte("priv2"), PublicKey: []byte("pub2"), Expires: base}
	k3 := domain.TemporaryKey{ID: uid(), ApplicationKey: "appkey", PrivateKeyEncrypted: []byte("priv3"), PublicKey: []byte("pub3"), Expires: at(time.Second)}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, k := range []*domain.TemporaryKey{&k1, &k2, &k3} {
			if err := tx.CreateTemporaryKey(ctx, k); err != nil {
				return err
			}
		}
		return nil
	})
	for _, k := range []domain.TemporaryKey{k1, k2, k3} {
		got, err := s.GetTemporaryKey(ctx, k.ID)
		require.NoError(t, err)
		require.Equal(t, k, got)
	}
	require.ErrorIs(t, txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.CreateTemporaryKey(ctx, &k1) }), store.ErrAlreadyExists)

	var n int64
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		n, err = tx.DeleteExpiredTemporaryKeys(ctx, base)
		return err
	})
	require.Equal(t, int64(2), n, "keys expiring at or before now are purged")
	_, err := s.GetTemporaryKey(ctx, k2.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.GetTemporaryKey(ctx, k3.ID)
	require.NoError(t, err)

	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteTemporaryKey(ctx, k3.ID) })
	_, err = s.GetTemporaryKey(ctx, k3.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	require.ErrorIs(t, txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteTemporaryKey(ctx, k3.ID) }), store.ErrNotFound)
}

func testUniqueValues(t *testing.T, s store.Store) {
	v := domain.UniqueValue{Type: domain.UniqueValueECIESActivationScope, Value: "bm9uY2U=&" + uid(), Expires: base}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.InsertUniqueValue(ctx, v) })

	replay := v
	replay.Expires = at(time.Hour)
	require.ErrorIs(t, txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.InsertUniqueValue(ctx, replay) }), store.ErrAlreadyExists)

	t.Run("same value in another cache", func(t *testing.T) {
		other := v
		other.Type = domain.UniqueValueMACToken
		inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.InsertUniqueValue(ctx, other) })
	})

	t.Run("replay does not spoil the transaction", func(t *testing.T) {
		fresh := domain.UniqueValue{Type: domain.UniqueValueMACToken, Value: uid(), Expires: at(time.Hour)}
		inTx(t, s, func(ctx context.Context, tx store.Tx) error {
			if err := tx.InsertUniqueValue(ctx, v); err == nil {
				t.Error("replay accepted")
			} else if !isAlreadyExists(err) {
				return err
			}
			return tx.InsertUniqueValue(ctx, fresh)
		})
		require.ErrorIs(t, txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.InsertUniqueValue(ctx, fresh) }), store.ErrAlreadyExists,
			"the value inserted after the replay was committed")
	})

	t.Run("purge", func(t *testing.T) {
		later := domain.UniqueValue{Type: domain.UniqueValueECIESApplicationScope, Value: uid(), Expires: at(time.Second)}
		inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.InsertUniqueValue(ctx, later) })
		var n int64
		inTx(t, s, func(ctx context.Context, tx store.Tx) error {
			var err error
			n, err = tx.DeleteExpiredUniqueValues(ctx, base)
			return err
		})
		require.Equal(t, int64(2), n, "both copies of v expire at base")
		inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.InsertUniqueValue(ctx, v) })
		require.ErrorIs(t, txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.InsertUniqueValue(ctx, later) }), store.ErrAlreadyExists,
			"unexpired values survive the purge")
	})
}
