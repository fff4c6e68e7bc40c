package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// testApplicationRevision checks the application revision that keeps the
// nodes' application caches coherent: every kind of change of an
// application, its versions, roles, protocol settings or configuration
// increments it in the change's transaction (a rolled-back change does
// not), and the activation reads of signature verification return it in
// the same statement (Activation.ApplicationRevision).
func testApplicationRevision(t *testing.T, s store.Store) {
	ctx := context.Background()
	app, other := newApp(t, s), newApp(t, s)
	a := newActivation(t, s, app.ID, "user-rev")

	// stamps returns the stored revision of app and what each activation
	// read of verification returns with the activation.
	stamps := func() (stored int64, withActivation [3]int64) {
		t.Helper()
		got, err := s.GetApplication(ctx, app.ID)
		require.NoError(t, err)
		full, err := s.GetActivation(ctx, a.ActivationID)
		require.NoError(t, err)
		signing, err := s.GetActivationSigningState(ctx, a.ActivationID)
		require.NoError(t, err)
		var locked domain.Activation
		inTx(t, s, func(ctx context.Context, tx store.Tx) error {
			locked, err = tx.GetActivationForUpdate(ctx, a.ActivationID)
			return err
		})
		return got.Revision, [3]int64{full.ApplicationRevision, signing.ApplicationRevision, locked.ApplicationRevision}
	}
	rev, _ := stamps()
	otherRev := func() int64 {
		got, err := s.GetApplication(ctx, other.ID)
		require.NoError(t, err)
		return got.Revision
	}
	otherBefore := otherRev()

	v := domain.ApplicationVersion{ApplicationID: app.ID, Name: "rev", ApplicationKey: "cmV2a2V5", ApplicationSecret: "cmV2c2Vj", Supported: true}
	cfg := domain.ApplicationConfig{ApplicationID: app.ID, Key: "revision_test", Values: []byte(`["a"]`)}
	changes := []struct {
		name   string
		change func(ctx context.Context, tx store.Tx) error
	}{
		{"version created", func(ctx context.Context, tx store.Tx) error { return tx.CreateApplicationVersion(ctx, &v) }},
		{"version unsupported", func(ctx context.Context, tx store.Tx) error {
			v.Supported = false
			return tx.UpdateApplicationVersion(ctx, &v)
		}},
		{"roles changed", func(ctx context.Context, tx store.Tx) error {
			got, err := tx.GetApplicationForUpdate(ctx, app.ID)
			if err != nil {
				return err
			}
			got.Roles = []string{"ROLE_NEW"}
			if err := tx.UpdateApplication(ctx, &got); err != nil {
				return err
			}
			if got.Revision == 0 {
				t.Error("UpdateApplication does not return the new revision")
			}
			return nil
		}},
		{"protocol minimum changed", func(ctx context.Context, tx store.Tx) error {
			got, err := tx.GetApplicationForUpdate(ctx, app.ID)
			if err != nil {
				return err
			}
			got.MinProtocolVersion = "3.3"
			return tx.UpdateApplication(ctx, &got)
		}},
		{"configuration put", func(ctx context.Context, tx store.Tx) error { return tx.PutApplicationConfig(ctx, &cfg) }},
		{"configuration replaced", func(ctx context.Context, tx store.Tx) error {
			cfg.Values = []byte(`["b"]`)
			return tx.PutApplicationConfig(ctx, &cfg)
		}},
		{"configuration deleted", func(ctx context.Context, tx store.Tx) error {
			return tx.DeleteApplicationConfig(ctx, app.ID, cfg.Key)
		}},
		{"version deleted", func(ctx context.Context, tx store.Tx) error { return tx.DeleteApplicationVersion(ctx, v.ID) }},
	}
	for _, c := range changes {
		inTx(t, s, c.change)
		stored, withActivation := stamps()
		require.Greater(t, stored, rev, "%s: the revision is incremented", c.name)
		for i, got := range withActivation {
			require.Equal(t, stored, got, "%s: activation read %d returns the application revision", c.name, i)
		}
		rev = stored
	}
	require.Equal(t, otherBefore, otherRev(), "changes of one application leave another's revision alone")

	// A rolled-back change leaves the revision as it was.
	err := txErr(s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.PutApplicationConfig(ctx, &domain.ApplicationConfig{ApplicationID: app.ID, Key: "rolled_back", Values: []byte(`[]`)}); err != nil {
			return err
		}
		return store.ErrConflict
	})
	require.ErrorIs(t, err, store.ErrConflict)
	stored, _ := stamps()
	require.Equal(t, rev, stored, "a rolled-back change does not increment the revision")
}
