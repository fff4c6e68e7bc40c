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

func testActivationHistory(t *testing.T, s store.Store) {
	ctx := context.Background()
	app := newApp(t, s)
	a, b := newActivation(t, s, app.ID, "u"), newActivation(t, s, app.ID, "u")
	h := []domain.ActivationHistory{
		{ActivationID: a.ActivationID, Status: domain.ActivationCreated, Created: at(0), ActivationVersion: 3},
		{ActivationID: a.ActivationID, Status: domain.ActivationActive, EventReason: domain.EventReasonOtpValueUpdate, ExternalUserID: "admin", ActivationName: "phone", Created: at(time.Minute), ActivationVersion: 3},
		{ActivationID: b.ActivationID, Status: domain.ActivationCreated, Created: at(time.Minute), ActivationVersion: 2},
		{ActivationID: a.ActivationID, Status: domain.ActivationBlocked, EventReason: domain.BlockedReasonMaxFailedAttempts, Created: at(2 * time.Minute), ActivationVersion: 3},
	}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		for i := range h {
			if err := tx.CreateActivationHistory(ctx, &h[i]); err != nil {
				return err
			}
		}
		return nil
	})
	require.Less(t, h[0].ID, h[1].ID)

	for _, tc := range []struct {
		name     string
		id       string
		from, to time.Time
		want     []domain.ActivationHistory
	}{
		{"all", a.ActivationID, time.Time{}, time.Time{}, []domain.ActivationHistory{h[0], h[1], h[3]}},
		{"other activation", b.ActivationID, time.Time{}, time.Time{}, []domain.ActivationHistory{h[2]}},
		{"from inclusive", a.ActivationID, at(time.Minute), time.Time{}, []domain.ActivationHistory{h[1], h[3]}},
		{"to inclusive", a.ActivationID, time.Time{}, at(time.Minute), []domain.ActivationHistory{h[0], h[1]}},
		{"range", a.ActivationID, at(time.Second), at(90 * time.Second), []domain.ActivationHistory{h[1]}},
		{"empty range", a.ActivationID, at(time.Hour), at(2 * time.Hour), nil},
		{"unknown activation", uid(), time.Time{}, time.Time{}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ListActivationHistory(ctx, tc.id, tc.from, tc.to)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
	err := txErr(s, func(ctx context.Context, tx store.Tx) error {
		return tx.CreateActivationHistory(ctx, &domain.ActivationHistory{ActivationID: uid(), Status: domain.ActivationActive, Created: base})
	})
	require.ErrorIs(t, err, store.ErrConflict, "history needs an existing activation")
}

func testSignatureAudits(t *testing.T, s store.Store) {
	ctx := context.Background()
	app, other := newApp(t, s), newApp(t, s)
	a := newActivation(t, s, app.ID, "alice")
	b := newActivation(t, s, other.ID, "alice")
	c := newActivation(t, s, app.ID, "bob")
	rec := func(act domain.Activation, created time.Duration, valid bool) domain.SignatureAudit {
		return domain.SignatureAudit{
			ActivationID: act.ActivationID, UserID: act.UserID, ApplicationID: act.ApplicationID,
			ActivationCounter: 7, ActivationCtrData: make16(7), ActivationStatus: domain.ActivationActive,
			Data: []byte("POST&L3BhL3NpZ25hdHVyZS92YWxpZGF0ZQ==&bm9uY2U=&Ym9keQ=="), SignatureType: "possession_knowledge",
			Signature: "12345678-87654321", SignatureVersion: "3.3", Valid: valid, Version: 3, Created: at(created),
		}
	}
	r := []domain.SignatureAudit{
		rec(a, 0, true),
		rec(a, time.Minute, false),
		rec(b, 2*time.Minute, true),
		rec(c, 3*time.Minute, true),
		rec(a, 4*time.Minute, true),
	}
	r[1].Note = "signature does not match"
	r[1].AdditionalInfo = map[string]string{"ip": "192.0.2.1", "reason": "mismatch"}
	r[1].SignatureMetadata = []byte(`{"method":"POST"}`)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		for i := range r {
			if err := tx.CreateSignatureAudit(ctx, &r[i]); err != nil {
				return err
			}
		}
		return nil
	})
	require.NotZero(t, r[0].ID)

	for _, tc := range []struct {
		name string
		f    store.SignatureAuditFilter
		want []domain.SignatureAudit
	}{
		{"user newest first", store.SignatureAuditFilter{UserID: "alice"}, []domain.SignatureAudit{r[4], r[2], r[1], r[0]}},
		{"user and application", store.SignatureAuditFilter{UserID: "alice", ApplicationID: app.ID}, []domain.SignatureAudit{r[4], r[1], r[0]}},
		{"activation", store.SignatureAuditFilter{ActivationID: c.ActivationID}, []domain.SignatureAudit{r[3]}},
		{"time range inclusive", store.SignatureAuditFilter{UserID: "alice", From: at(time.Minute), To: at(2 * time.Minute)}, []domain.SignatureAudit{r[2], r[1]}},
		{"limit", store.SignatureAuditFilter{UserID: "alice", Limit: 2}, []domain.SignatureAudit{r[4], r[2]}},
		{"everything", store.SignatureAuditFilter{}, []domain.SignatureAudit{r[4], r[3], r[2], r[1], r[0]}},
		{"nothing", store.SignatureAuditFilter{UserID: "nobody"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ListSignatureAudits(ctx, tc.f)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

// testSignatureAuditWithEntry: the signature audit record and the general
// audit entry of one attempt are written together, read back equal, and
// disappear together when the transaction fails.
func testSignatureAuditWithEntry(t *testing.T, s store.Store) {
	ctx := context.Background()
	app := newApp(t, s)
	act := newActivation(t, s, app.ID, "carol")
	pair := func(created time.Duration) (domain.SignatureAudit, domain.AuditEntry) {
		return domain.SignatureAudit{
				ActivationID: act.ActivationID, UserID: act.UserID, ApplicationID: act.ApplicationID,
				ActivationCounter: 3, ActivationCtrData: make16(3), ActivationStatus: domain.ActivationActive,
				AdditionalInfo: map[string]string{"k": "v"}, Data: []byte("POST&L3BhL3Y=&bm9uY2U=&Ym9keQ=="),
				SignatureType: "possession", Signature: "12345678", SignatureVersion: "3.3", Note: "n",
				Valid: true, Version: 3, Created: at(created),
			}, domain.AuditEntry{
				Created: at(created), Type: domain.AuditSignatureVerified, Actor: "device", ActivationID: act.ActivationID,
				UserID: act.UserID, Application: app.Name, IP: "192.0.2.7", UserAgent: "ua/1",
				Details: map[string]string{"signatureType": "possession"},
			}
	}
	r, e := pair(0)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateSignatureAuditWithEntry(ctx, &r, &e) })
	require.NotZero(t, r.ID)
	require.NotZero(t, e.ID)
	gotR, err := s.ListSignatureAudits(ctx, store.SignatureAuditFilter{ActivationID: act.ActivationID})
	require.NoError(t, err)
	require.Equal(t, []domain.SignatureAudit{r}, gotR)
	gotE, err := s.ListAuditEntries(ctx, store.AuditFilter{ActivationID: act.ActivationID})
	require.NoError(t, err)
	require.Equal(t, []domain.AuditEntry{e}, gotE)

	// A failing transaction keeps neither.
	r2, e2 := pair(time.Minute)
	err = s.InTx(ctx, func(tx store.Tx) error {
		if err := tx.CreateSignatureAuditWithEntry(ctx, &r2, &e2); err != nil {
			return err
		}
		return errors.New("abort")
	})
	require.EqualError(t, err, "abort")
	gotR, err = s.ListSignatureAudits(ctx, store.SignatureAuditFilter{ActivationID: act.ActivationID})
	require.NoError(t, err)
	require.Len(t, gotR, 1)
	gotE, err = s.ListAuditEntries(ctx, store.AuditFilter{ActivationID: act.ActivationID})
	require.NoError(t, err)
	require.Len(t, gotE, 1)
}

// testSwapActivationWithSignatureAudit: the optimistic write of a
// verification swaps the activation and appends both audit rows together,
// and writes nothing when the activation changed since it was read or is
// gone.
func testSwapActivationWithSignatureAudit(t *testing.T, s store.Store) {
	ctx := context.Background()
	app := newApp(t, s)
	act := newActivation(t, s, app.ID, "dave")
	records := func(a domain.Activation, created time.Duration) (domain.SignatureAudit, domain.AuditEntry) {
		return domain.SignatureAudit{
				ActivationID: a.ActivationID, UserID: a.UserID, ApplicationID: a.ApplicationID,
				ActivationCounter: a.Counter, ActivationCtrData: a.CtrData, ActivationStatus: a.Status,
				Data: []byte("POST&L3BhL3Y=&bm9uY2U=&Ym9keQ=="), SignatureType: "possession_knowledge",
				Signature: "12345678-87654321", SignatureVersion: "3.3", Note: "signature_ok", Valid: true, Version: 3,
				AdditionalInfo: map[string]string{"k": "v"}, Created: at(created),
			}, domain.AuditEntry{
				Created: at(created), Type: domain.AuditSignatureVerified, Actor: "device", ActivationID: a.ActivationID,
				UserID: a.UserID, Application: app.Name, IP: "192.0.2.9", UserAgent: "ua/2",
				Details: map[string]string{"signatureType": "possession_knowledge"},
			}
	}
	countAudits := func() (int, int) {
		sig, err := s.ListSignatureAudits(ctx, store.SignatureAuditFilter{ActivationID: act.ActivationID})
		require.NoError(t, err)
		entries, err := s.ListAuditEntries(ctx, store.AuditFilter{ActivationID: act.ActivationID})
		require.NoError(t, err)
		return len(sig), len(entries)
	}

	read, err := s.GetActivation(ctx, act.ActivationID)
	require.NoError(t, err)
	next := read
	next.Counter, next.CtrData, next.LastUsed, next.FailedAttempts = read.Counter+1, make16(9), at(time.Minute), 0
	next.MaxProtocolVersion, next.SignatureDigests = "3.3", append(make16(4), make16(5)...)
	next.Name = "not written" // only what a verification changes is written
	next.PossessionFailedAttempts = 9
	r, e := records(read, time.Minute)
	ok, err := s.SwapActivationWithSignatureAudit(ctx, &next, &r, &e)
	require.NoError(t, err)
	require.True(t, ok, "an unchanged activation is swapped")
	require.Equal(t, read.Revision+1, next.Revision)
	require.NotZero(t, r.ID)
	require.NotZero(t, e.ID)
	got, err := s.GetActivation(ctx, act.ActivationID)
	require.NoError(t, err)
	next.Name, next.PossessionFailedAttempts = read.Name, read.PossessionFailedAttempts
	require.Equal(t, next, got)
	sigs, err := s.ListSignatureAudits(ctx, store.SignatureAuditFilter{ActivationID: act.ActivationID})
	require.NoError(t, err)
	require.Equal(t, []domain.SignatureAudit{r}, sigs)
	entries, err := s.ListAuditEntries(ctx, store.AuditFilter{ActivationID: act.ActivationID})
	require.NoError(t, err)
	require.Equal(t, []domain.AuditEntry{e}, entries)

	// A second write decided on the old read loses: nothing is written.
	stale := read
	stale.Counter = read.Counter + 5
	r2, e2 := records(read, 2*time.Minute)
	ok, err = s.SwapActivationWithSignatureAudit(ctx, &stale, &r2, &e2)
	require.NoError(t, err)
	require.False(t, ok, "a changed activation is not swapped")
	got, err = s.GetActivation(ctx, act.ActivationID)
	require.NoError(t, err)
	require.Equal(t, next, got, "the activation is as the first swap left it")
	nSig, nEntries := countAudits()
	require.Equal(t, 1, nSig)
	require.Equal(t, 1, nEntries)

	// A missing activation is not swapped either.
	gone := activation(app.ID, "nobody")
	r3, e3 := records(gone, 3*time.Minute)
	ok, err = s.SwapActivationWithSignatureAudit(ctx, &gone, &r3, &e3)
	require.NoError(t, err)
	require.False(t, ok)
}

// testActivationSigningState: the cheap read returns exactly the fields a
// verification needs, equal to the full read's, and zero for the rest.
func testActivationSigningState(t *testing.T, s store.Store) {
	ctx := context.Background()
	app := newApp(t, s)
	full := newActivation(t, s, app.ID, "erin", func(a *domain.Activation) {
		a.Counter, a.CtrData, a.FailedAttempts, a.BlockedReason = 7, make16(7), 2, "NOT_BLOCKED_YET"
		a.Flags = []string{"A", "B"}
		a.MaxProtocolVersion, a.SignatureDigests = "3.2", append(make16(7), make16(8)...)
		a.PossessionFailedAttempts, a.PossessionLastFailure = 3, at(time.Minute)
	})
	full, err := s.GetActivation(ctx, full.ActivationID)
	require.NoError(t, err)
	got, err := s.GetActivationSigningState(ctx, full.ActivationID)
	require.NoError(t, err)
	want := domain.Activation{
		ActivationID: full.ActivationID, ApplicationID: full.ApplicationID, UserID: full.UserID,
		Status: full.Status, BlockedReason: full.BlockedReason, Counter: full.Counter, CtrData: full.CtrData,
		DevicePublicKey: full.DevicePublicKey, Flags: full.Flags, FailedAttempts: full.FailedAttempts,
		MaxFailedAttempts: full.MaxFailedAttempts, ServerPrivateKeyEncrypted: full.ServerPrivateKeyEncrypted,
		Version: full.Version, MaxProtocolVersion: full.MaxProtocolVersion, SignatureDigests: full.SignatureDigests,
		PossessionFailedAttempts: full.PossessionFailedAttempts, PossessionLastFailure: full.PossessionLastFailure,
		Revision: full.Revision,
	}
	require.Equal(t, want, got)
	_, err = s.GetActivationSigningState(ctx, uid())
	require.ErrorIs(t, err, store.ErrNotFound)
}
