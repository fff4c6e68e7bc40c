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

// testCloud covers the Cloud API's tables: users (round trip, duplicate
// names, update, delete), application grants (idempotent, revoked, gone
// with the user or the application), localisations (upsert, per language)
// and signing keys (newest first).
func testCloud(t *testing.T, s store.Store) {
	ctx := context.Background()
	app1, app2 := newApp(t, s), newApp(t, s)
	bob := domain.CloudUser{Username: "bob-" + uid(), PasswordHash: "$argon2id$v=19$m=1,t=1,p=1$a$b", Role: domain.CloudRoleUser, Enabled: true, Created: at(0)}
	alice := domain.CloudUser{Username: "alice-" + uid(), PasswordHash: "h", Role: domain.CloudRoleAdmin, Enabled: false, Created: at(time.Second)}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateCloudUser(ctx, &bob); err != nil {
			return err
		}
		return tx.CreateCloudUser(ctx, &alice)
	})
	got, err := s.GetCloudUser(ctx, bob.Username)
	require.NoError(t, err)
	require.Equal(t, bob, got)
	all, err := s.ListCloudUsers(ctx)
	require.NoError(t, err)
	var mine []domain.CloudUser // a backend may hand out one database to several tests
	for _, u := range all {
		if u.Username == alice.Username || u.Username == bob.Username {
			mine = append(mine, u)
		}
	}
	require.Equal(t, []domain.CloudUser{alice, bob}, mine, "ordered by name")
	_, err = s.GetCloudUser(ctx, "nobody")
	require.ErrorIs(t, err, store.ErrNotFound)
	dup := bob
	require.ErrorIs(t, txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.CreateCloudUser(ctx, &dup) }), store.ErrAlreadyExists)

	bob.Enabled, bob.Role, bob.PasswordHash = false, domain.CloudRoleAdmin, "new-hash"
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateCloudUser(ctx, &bob) })
	got, err = s.GetCloudUser(ctx, bob.Username)
	require.NoError(t, err)
	require.Equal(t, bob, got)
	ghost := domain.CloudUser{Username: "ghost", Role: domain.CloudRoleUser}
	require.ErrorIs(t, txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateCloudUser(ctx, &ghost) }), store.ErrNotFound)

	// Grants: idempotent, listed ascending, revoked one by one.
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, id := range []int64{app2.ID, app1.ID, app2.ID} {
			if err := tx.GrantCloudUserApplication(ctx, bob.Username, id); err != nil {
				return err
			}
		}
		return tx.GrantCloudUserApplication(ctx, alice.Username, app1.ID)
	})
	apps, err := s.ListCloudUserApplications(ctx, bob.Username)
	require.NoError(t, err)
	require.Equal(t, []int64{app1.ID, app2.ID}, apps)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.RevokeCloudUserApplication(ctx, bob.Username, app1.ID)
	})
	require.ErrorIs(t, txErr(s, func(ctx context.Context, tx store.Tx) error {
		return tx.RevokeCloudUserApplication(ctx, bob.Username, app1.ID)
	}), store.ErrNotFound)
	apps, err = s.ListCloudUserApplications(ctx, bob.Username)
	require.NoError(t, err)
	require.Equal(t, []int64{app2.ID}, apps)
	// Deleting the application removes its grants.
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteApplication(ctx, app2.ID) })
	apps, err = s.ListCloudUserApplications(ctx, bob.Username)
	require.NoError(t, err)
	require.Empty(t, apps)
	// Deleting the user removes its grants.
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteCloudUser(ctx, alice.Username) })
	_, err = s.GetCloudUser(ctx, alice.Username)
	require.ErrorIs(t, err, store.ErrNotFound)
	apps, err = s.ListCloudUserApplications(ctx, alice.Username)
	require.NoError(t, err)
	require.Empty(t, apps)
	require.ErrorIs(t, txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteCloudUser(ctx, alice.Username) }), store.ErrNotFound)

	// Localisations: upsert per template and language.
	tpl := "payment-" + uid()
	en := domain.CloudLocalization{TemplateName: tpl, Language: "en", Title: "Payment", Summary: "Pay ${amount}"}
	cs := domain.CloudLocalization{TemplateName: tpl, Language: "cs", Title: "Platba", Summary: "Zaplaťte ${amount}"}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, l := range []*domain.CloudLocalization{&en, &cs} {
			if err := tx.PutCloudLocalization(ctx, l); err != nil {
				return err
			}
		}
		return nil
	})
	en.Summary = "Approve ${amount}"
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.PutCloudLocalization(ctx, &en) })
	gotL, err := s.GetCloudLocalization(ctx, tpl, "en")
	require.NoError(t, err)
	require.Equal(t, en, gotL)
	ls, err := s.ListCloudLocalizations(ctx, tpl)
	require.NoError(t, err)
	require.Equal(t, []domain.CloudLocalization{cs, en}, ls, "ordered by language")
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteCloudLocalization(ctx, tpl, "cs") })
	_, err = s.GetCloudLocalization(ctx, tpl, "cs")
	require.ErrorIs(t, err, store.ErrNotFound)

	// Signing keys: the newest is found, ids are unique.
	_, err = s.GetNewestCloudSigningKey(ctx)
	require.ErrorIs(t, err, store.ErrNotFound)
	k1 := domain.CloudSigningKey{ID: uid(), PrivateKeyEncrypted: []byte{1, 2, 3}, Created: at(0)}
	k2 := domain.CloudSigningKey{ID: uid(), PrivateKeyEncrypted: []byte{4, 5}, Created: at(5 * time.Second)}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateCloudSigningKey(ctx, &k2); err != nil {
			return err
		}
		return tx.CreateCloudSigningKey(ctx, &k1)
	})
	newest, err := s.GetNewestCloudSigningKey(ctx)
	require.NoError(t, err)
	require.Equal(t, k2, newest)
	gotK, err := s.GetCloudSigningKey(ctx, k1.ID)
	require.NoError(t, err)
	require.Equal(t, k1, gotK)
	err = txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.CreateCloudSigningKey(ctx, &k1) })
	require.True(t, errors.Is(err, store.ErrAlreadyExists), "duplicate key id: %v", err)
}
