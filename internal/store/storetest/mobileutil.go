package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// testMobileUtil is the contract of the mobile utility services' tables:
// apps, domains, certificates (with the expiry purge), version rules and
// localized texts.
func testMobileUtil(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.UnixMilli(1_700_000_000_000).UTC()
	app := domain.MobileApp{Name: "bank-app", DisplayName: "Bank", SignPrivateKeyEncrypted: []byte{1, 2, 3}, SignPublicKey: []byte{4, 5}, Created: now}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateMobileApp(ctx, &app) })
	require.NotZero(t, app.ID)
	dup := domain.MobileApp{Name: "bank-app", DisplayName: "x", SignPrivateKeyEncrypted: []byte{1}, SignPublicKey: []byte{1}, Created: now}
	err := s.InTx(ctx, func(tx store.Tx) error { return tx.CreateMobileApp(ctx, &dup) })
	require.ErrorIs(t, err, store.ErrAlreadyExists)
	other := domain.MobileApp{Name: "another", DisplayName: "Other", SignPrivateKeyEncrypted: []byte{9}, SignPublicKey: []byte{8}, Created: now}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateMobileApp(ctx, &other) })

	got, err := s.GetMobileApp(ctx, "bank-app")
	require.NoError(t, err)
	require.Equal(t, app, got)
	_, err = s.GetMobileApp(ctx, "nope")
	require.ErrorIs(t, err, store.ErrNotFound)
	apps, err := s.ListMobileApps(ctx)
	require.NoError(t, err)
	require.Equal(t, []domain.MobileApp{other, app}, apps, "ordered by name")

	// Domains and certificates.
	var d1, d1again, d2 int64
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		if d1, err = tx.EnsureMobileDomain(ctx, app.ID, "api.example.com"); err != nil {
			return err
		}
		if d1again, err = tx.EnsureMobileDomain(ctx, app.ID, "api.example.com"); err != nil {
			return err
		}
		d2, err = tx.EnsureMobileDomain(ctx, app.ID, "a.example.com")
		return err
	})
	require.Equal(t, d1, d1again, "an existing domain keeps its id")
	require.NotEqual(t, d1, d2)
	certs := []domain.MobileCertificate{
		{DomainID: d1, PEM: "pem-old", Fingerprint: "fp-old", Expires: now.Add(-time.Hour), Created: now},
		{DomainID: d1, PEM: "pem-new", Fingerprint: "fp-new", Expires: now.Add(24 * time.Hour), Created: now},
		{DomainID: d2, PEM: "pem-a", Fingerprint: "fp-a", Expires: now.Add(48 * time.Hour), Created: now},
	}
	for i := range certs {
		inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateMobileCertificate(ctx, &certs[i]) })
		require.NotZero(t, certs[i].ID)
	}
	again := certs[1]
	err = s.InTx(ctx, func(tx store.Tx) error { return tx.CreateMobileCertificate(ctx, &again) })
	require.ErrorIs(t, err, store.ErrAlreadyExists, "a fingerprint once per domain")
	list, err := s.ListMobileCertificates(ctx, app.ID)
	require.NoError(t, err)
	require.Len(t, list, 3)
	require.Equal(t, []string{"fp-a", "fp-old", "fp-new"}, []string{list[0].Fingerprint, list[1].Fingerprint, list[2].Fingerprint}, "ordered by domain, expiry")
	require.Equal(t, "a.example.com", list[0].Domain)
	require.True(t, certs[1].Expires.Equal(list[2].Expires))
	none, err := s.ListMobileCertificates(ctx, other.ID)
	require.NoError(t, err)
	require.Empty(t, none)

	// The purge removes what expired before now, and only that.
	var n int64
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		n, err = tx.DeleteExpiredMobileCertificates(ctx, now)
		return err
	})
	require.EqualValues(t, 1, n)
	list, err = s.ListMobileCertificates(ctx, app.ID)
	require.NoError(t, err)
	require.Len(t, list, 2)

	err = s.InTx(ctx, func(tx store.Tx) error { return tx.DeleteMobileCertificate(ctx, other.ID, "api.example.com", "fp-new") })
	require.ErrorIs(t, err, store.ErrNotFound, "another app's certificate")
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.DeleteMobileCertificate(ctx, app.ID, "api.example.com", "fp-new")
	})
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.DeleteMobileDomain(ctx, app.ID, "a.example.com")
	})
	err = s.InTx(ctx, func(tx store.Tx) error { return tx.DeleteMobileDomain(ctx, app.ID, "a.example.com") })
	require.ErrorIs(t, err, store.ErrNotFound)
	list, err = s.ListMobileCertificates(ctx, app.ID)
	require.NoError(t, err)
	require.Empty(t, list)
	domains, err := s.ListMobileDomains(ctx, app.ID)
	require.NoError(t, err)
	require.Equal(t, []domain.MobileDomain{{ID: d1, AppID: app.ID, Domain: "api.example.com"}}, domains)

	// Version rules: one per platform and major OS version, the generic one included.
	major := 14
	rules := []domain.MobileVersionRule{
		{AppID: app.ID, Platform: domain.MobilePlatformIOS, SuggestedVersion: "2.0.0", RequiredVersion: "1.0.0", MessageKey: "update"},
		{AppID: app.ID, Platform: domain.MobilePlatformIOS, MajorOSVersion: &major, RequiredVersion: "3.0.0"},
		{AppID: app.ID, Platform: domain.MobilePlatformAndroid, SuggestedVersion: "2.0.0"},
	}
	for i := range rules {
		inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateMobileVersionRule(ctx, &rules[i]) })
	}
	for _, r := range rules[:2] {
		dup := r
		err = s.InTx(ctx, func(tx store.Tx) error { return tx.CreateMobileVersionRule(ctx, &dup) })
		require.ErrorIs(t, err, store.ErrAlreadyExists)
	}
	gotRules, err := s.ListMobileVersionRules(ctx, app.ID)
	require.NoError(t, err)
	require.Equal(t, rules, gotRules)
	r, err := s.GetMobileVersionRule(ctx, app.ID, rules[1].ID)
	require.NoError(t, err)
	require.Equal(t, rules[1], r)
	_, err = s.GetMobileVersionRule(ctx, other.ID, rules[1].ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.DeleteMobileVersionRule(ctx, app.ID, rules[1].ID)
	})
	err = s.InTx(ctx, func(tx store.Tx) error { return tx.DeleteMobileVersionRule(ctx, app.ID, rules[1].ID) })
	require.ErrorIs(t, err, store.ErrNotFound)

	// Localized texts.
	for _, tx := range []domain.LocalizedText{{Key: "update", Language: "en", Text: "Please update"}, {Key: "update", Language: "cs", Text: "Aktualizujte"}} {
		inTx(t, s, func(ctx context.Context, t store.Tx) error { return t.PutLocalizedText(ctx, tx) })
	}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.PutLocalizedText(ctx, domain.LocalizedText{Key: "update", Language: "en", Text: "Update now"})
	})
	text, err := s.GetLocalizedText(ctx, "update", "en")
	require.NoError(t, err)
	require.Equal(t, "Update now", text.Text, "put replaces")
	texts, err := s.ListLocalizedTexts(ctx)
	require.NoError(t, err)
	require.Equal(t, []domain.LocalizedText{{Key: "update", Language: "cs", Text: "Aktualizujte"}, {Key: "update", Language: "en", Text: "Update now"}}, texts)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteLocalizedText(ctx, "update", "cs") })
	_, err = s.GetLocalizedText(ctx, "update", "cs")
	require.ErrorIs(t, err, store.ErrNotFound)
}
