package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

func testSchema(t *testing.T, s store.Store) {
	ctx := context.Background()
	require.NoError(t, s.Ping(ctx))
	n, err := s.PendingMigrations(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "a migrated store has no pending migrations")
	require.NoError(t, s.Migrate(ctx), "migrating twice is a no-op")
	n, err = s.PendingMigrations(ctx)
	require.NoError(t, err)
	require.Zero(t, n)
}

func testApplications(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := domain.Application{Name: "mobile-banking", Roles: []string{"ROLE_ADMIN", "ROLE_USER"}, MinProtocolVersion: "3.2", AllowVersionDowngrade: true}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateApplication(ctx, &a) })
	require.NotZero(t, a.ID)
	b := domain.Application{Name: "no-roles"}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateApplication(ctx, &b) })
	require.Greater(t, b.ID, a.ID)

	got, err := s.GetApplication(ctx, a.ID)
	require.NoError(t, err)
	require.Equal(t, a, got)
	got, err = s.GetApplicationByName(ctx, "no-roles")
	require.NoError(t, err)
	require.Equal(t, b, got, "nil roles round-trip as nil, no protocol settings as zero values")

	all, err := s.ListApplications(ctx)
	require.NoError(t, err)
	require.Equal(t, []domain.Application{a, b}, all)

	t.Run("errors", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			fn   func(ctx context.Context, tx store.Tx) error
			want error
		}{
			{"create duplicate name", func(ctx context.Context, tx store.Tx) error {
				return tx.CreateApplication(ctx, &domain.Application{Name: a.Name})
			}, store.ErrAlreadyExists},
			{"update to duplicate name", func(ctx context.Context, tx store.Tx) error {
				return tx.UpdateApplication(ctx, &domain.Application{ID: b.ID, Name: a.Name})
			}, store.ErrAlreadyExists},
			{"update missing", func(ctx context.Context, tx store.Tx) error {
				return tx.UpdateApplication(ctx, &domain.Application{ID: 1 << 40, Name: "x"})
			}, store.ErrNotFound},
			{"delete missing", func(ctx context.Context, tx store.Tx) error {
				return tx.DeleteApplication(ctx, 1<<40)
			}, store.ErrNotFound},
			{"get for update missing", func(ctx context.Context, tx store.Tx) error {
				_, err := tx.GetApplicationForUpdate(ctx, 1<<40)
				return err
			}, store.ErrNotFound},
		} {
			t.Run(tc.name, func(t *testing.T) {
				require.ErrorIs(t, txErr(s, tc.fn), tc.want)
			})
		}
		_, err := s.GetApplication(ctx, 1<<40)
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = s.GetApplicationByName(ctx, "missing")
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	t.Run("update", func(t *testing.T) {
		inTx(t, s, func(ctx context.Context, tx store.Tx) error {
			cur, err := tx.GetApplicationForUpdate(ctx, b.ID)
			if err != nil {
				return err
			}
			cur.Name, cur.Roles = "renamed", []string{"ROLE_X"}
			cur.MinProtocolVersion, cur.AllowVersionDowngrade = "3.3", true
			return tx.UpdateApplication(ctx, &cur)
		})
		got, err := s.GetApplication(ctx, b.ID)
		require.NoError(t, err)
		require.Equal(t, domain.Application{ID: b.ID, Name: "renamed", Roles: []string{"ROLE_X"}, MinProtocolVersion: "3.3", AllowVersionDowngrade: true, Revision: 1}, got, "an update increments the revision")
		// The protocol settings go back to their defaults.
		inTx(t, s, func(ctx context.Context, tx store.Tx) error {
			got.MinProtocolVersion, got.AllowVersionDowngrade = "", false
			return tx.UpdateApplication(ctx, &got)
		})
		back, err := s.GetApplication(ctx, b.ID)
		require.NoError(t, err)
		require.Equal(t, got, back)
	})

	t.Run("delete", func(t *testing.T) {
		inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteApplication(ctx, b.ID) })
		_, err := s.GetApplication(ctx, b.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		all, err := s.ListApplications(ctx)
		require.NoError(t, err)
		require.Equal(t, []domain.Application{a}, all)
	})
}

func testApplicationVersions(t *testing.T, s store.Store) {
	ctx := context.Background()
	app, other := newApp(t, s), newApp(t, s)
	v1 := domain.ApplicationVersion{ApplicationID: app.ID, Name: "1.0", ApplicationKey: "a2V5MQ==", ApplicationSecret: "c2VjMQ==", Supported: true}
	v2 := domain.ApplicationVersion{ApplicationID: app.ID, Name: "2.0", ApplicationKey: "a2V5Mg==", ApplicationSecret: "c2VjMg==", Supported: false}
	v3 := domain.ApplicationVersion{ApplicationID: other.ID, Name: "1.0", ApplicationKey: "a2V5Mw==", ApplicationSecret: "c2VjMw==", Supported: true}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, v := range []*domain.ApplicationVersion{&v1, &v2, &v3} {
			if err := tx.CreateApplicationVersion(ctx, v); err != nil {
				return err
			}
		}
		return nil
	})
	require.NotZero(t, v1.ID)

	got, err := s.GetApplicationVersion(ctx, v2.ID)
	require.NoError(t, err)
	require.Equal(t, v2, got)
	got, err = s.GetApplicationVersionByKey(ctx, "a2V5Mw==")
	require.NoError(t, err)
	require.Equal(t, v3, got)
	vs, err := s.ListApplicationVersions(ctx, app.ID)
	require.NoError(t, err)
	require.Equal(t, []domain.ApplicationVersion{v1, v2}, vs)
	vs, err = s.ListApplicationVersions(ctx, 1<<40)
	require.NoError(t, err)
	require.Empty(t, vs)

	for _, tc := range []struct {
		name string
		v    domain.ApplicationVersion
		want error
	}{
		{"duplicate key", domain.ApplicationVersion{ApplicationID: other.ID, Name: "9", ApplicationKey: v1.ApplicationKey, ApplicationSecret: "s"}, store.ErrAlreadyExists},
		{"duplicate name in application", domain.ApplicationVersion{ApplicationID: app.ID, Name: "1.0", ApplicationKey: "fresh", ApplicationSecret: "s"}, store.ErrAlreadyExists},
		{"missing application", domain.ApplicationVersion{ApplicationID: 1 << 40, Name: "1.0", ApplicationKey: "fresh2", ApplicationSecret: "s"}, store.ErrConflict},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.CreateApplicationVersion(ctx, &tc.v) })
			require.ErrorIs(t, err, tc.want)
		})
	}

	t.Run("unsupport and support", func(t *testing.T) {
		for _, supported := range []bool{false, true} {
			v1.Supported = supported
			inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateApplicationVersion(ctx, &v1) })
			got, err := s.GetApplicationVersion(ctx, v1.ID)
			require.NoError(t, err)
			require.Equal(t, supported, got.Supported)
		}
		err := txErr(s, func(ctx context.Context, tx store.Tx) error {
			return tx.UpdateApplicationVersion(ctx, &domain.ApplicationVersion{ID: 1 << 40, ApplicationID: app.ID, Name: "x", ApplicationKey: "y", ApplicationSecret: "z"})
		})
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	t.Run("delete", func(t *testing.T) {
		inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteApplicationVersion(ctx, v2.ID) })
		_, err := s.GetApplicationVersionByKey(ctx, v2.ApplicationKey)
		require.ErrorIs(t, err, store.ErrNotFound)
		err = txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteApplicationVersion(ctx, v2.ID) })
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}

func testMasterKeyPairs(t *testing.T, s store.Store) {
	ctx := context.Background()
	app, other := newApp(t, s), newApp(t, s)
	_, err := s.GetNewestMasterKeyPair(ctx, app.ID)
	require.ErrorIs(t, err, store.ErrNotFound, "no key pair yet")

	old := newKeyPair(t, s, app.ID, at(-time.Hour))
	newest := newKeyPair(t, s, app.ID, base)
	older := newKeyPair(t, s, app.ID, at(-2*time.Hour)) // inserted last, created first
	otherKP := newKeyPair(t, s, other.ID, at(time.Hour))

	got, err := s.GetMasterKeyPair(ctx, old.ID)
	require.NoError(t, err)
	require.Equal(t, old, got)
	got, err = s.GetNewestMasterKeyPair(ctx, app.ID)
	require.NoError(t, err)
	require.Equal(t, newest, got, "the newest by creation time wins, not the last inserted")
	list, err := s.ListMasterKeyPairs(ctx, app.ID)
	require.NoError(t, err)
	require.Equal(t, []domain.MasterKeyPair{newest, old, older}, list)
	got, err = s.GetNewestMasterKeyPair(ctx, other.ID)
	require.NoError(t, err)
	require.Equal(t, otherKP, got)

	tie := newKeyPair(t, s, app.ID, base)
	got, err = s.GetNewestMasterKeyPair(ctx, app.ID)
	require.NoError(t, err)
	require.Equal(t, tie, got, "equal creation times are broken by the higher id")

	t.Run("delete", func(t *testing.T) {
		inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteMasterKeyPair(ctx, tie.ID) })
		_, err := s.GetMasterKeyPair(ctx, tie.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		err = txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteMasterKeyPair(ctx, tie.ID) })
		require.ErrorIs(t, err, store.ErrNotFound)
	})
	t.Run("delete while referenced", func(t *testing.T) {
		newActivation(t, s, app.ID, "user", func(a *domain.Activation) { a.MasterKeyPairID = newest.ID })
		err := txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteMasterKeyPair(ctx, newest.ID) })
		require.ErrorIs(t, err, store.ErrConflict)
	})
	t.Run("missing application", func(t *testing.T) {
		err := txErr(s, func(ctx context.Context, tx store.Tx) error {
			return tx.CreateMasterKeyPair(ctx, &domain.MasterKeyPair{ApplicationID: 1 << 40, Name: "x", Created: base})
		})
		require.ErrorIs(t, err, store.ErrConflict)
	})
}

func testApplicationConfigs(t *testing.T, s store.Store) {
	ctx := context.Background()
	app := newApp(t, s)
	c1 := domain.ApplicationConfig{ApplicationID: app.ID, Key: "oauth2_providers", Values: []byte(`[{"providerId":"p"}]`)}
	c2 := domain.ApplicationConfig{ApplicationID: app.ID, Key: "fido2_aaguids_allowed", Values: []byte(`["a","b"]`)}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.PutApplicationConfig(ctx, &c1); err != nil {
			return err
		}
		return tx.PutApplicationConfig(ctx, &c2)
	})
	require.NotZero(t, c1.ID)

	got, err := s.GetApplicationConfig(ctx, app.ID, "oauth2_providers")
	require.NoError(t, err)
	require.Equal(t, c1, got)
	list, err := s.ListApplicationConfigs(ctx, app.ID)
	require.NoError(t, err)
	require.Equal(t, []domain.ApplicationConfig{c2, c1}, list, "ordered by key")

	replaced := domain.ApplicationConfig{ApplicationID: app.ID, Key: "oauth2_providers", Values: []byte(`[]`)}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.PutApplicationConfig(ctx, &replaced) })
	require.Equal(t, c1.ID, replaced.ID, "put on an existing key replaces the row")
	got, err = s.GetApplicationConfig(ctx, app.ID, "oauth2_providers")
	require.NoError(t, err)
	require.Equal(t, replaced, got)

	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.DeleteApplicationConfig(ctx, app.ID, "oauth2_providers")
	})
	_, err = s.GetApplicationConfig(ctx, app.ID, "oauth2_providers")
	require.ErrorIs(t, err, store.ErrNotFound)
	err = txErr(s, func(ctx context.Context, tx store.Tx) error {
		return tx.DeleteApplicationConfig(ctx, app.ID, "oauth2_providers")
	})
	require.ErrorIs(t, err, store.ErrNotFound)
	err = txErr(s, func(ctx context.Context, tx store.Tx) error {
		return tx.PutApplicationConfig(ctx, &domain.ApplicationConfig{ApplicationID: 1 << 40, Key: "k", Values: []byte("[]")})
	})
	require.ErrorIs(t, err, store.ErrConflict)
}

// testApplicationDelete checks what deleting an application takes with it
// and what blocks it.
func testApplicationDelete(t *testing.T, s store.Store) {
	ctx := context.Background()
	app := newApp(t, s)
	kp := newKeyPair(t, s, app.ID, base)
	v := domain.ApplicationVersion{ApplicationID: app.ID, Name: "1", ApplicationKey: "k-" + uid(), ApplicationSecret: "s", Supported: true}
	cfg := domain.ApplicationConfig{ApplicationID: app.ID, Key: "k", Values: []byte("[]")}
	cb := domain.CallbackURL{ID: uid(), ApplicationID: app.ID, Name: "cb", URL: "https://example.test/cb", Type: domain.CallbackActivationStatusChange, Enabled: true, Created: base}
	rc := domain.RecoveryConfig{ApplicationID: app.ID, ActivationRecoveryEnabled: true}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateApplicationVersion(ctx, &v); err != nil {
			return err
		}
		if err := tx.PutApplicationConfig(ctx, &cfg); err != nil {
			return err
		}
		if err := tx.CreateCallbackURL(ctx, &cb); err != nil {
			return err
		}
		return tx.CreateRecoveryConfig(ctx, &rc)
	})

	act := newActivation(t, s, app.ID, "u", func(a *domain.Activation) { a.MasterKeyPairID = kp.ID })
	err := txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteApplication(ctx, app.ID) })
	require.ErrorIs(t, err, store.ErrConflict, "an application with activations cannot be deleted")

	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteActivation(ctx, act.ActivationID) })
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteApplication(ctx, app.ID) })

	_, err = s.GetMasterKeyPair(ctx, kp.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.GetApplicationVersion(ctx, v.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.GetApplicationConfig(ctx, app.ID, "k")
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.GetCallbackURL(ctx, cb.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.GetRecoveryConfig(ctx, app.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
}
