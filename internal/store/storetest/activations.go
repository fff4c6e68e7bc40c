package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

func testActivations(t *testing.T, s store.Store) {
	ctx := context.Background()
	app := newApp(t, s)
	kp := newKeyPair(t, s, app.ID, base)

	full := activation(app.ID, "user-full")
	full.ActivationCode = "AAAAA-BBBBB-CCCCC-DDDDD"
	full.ActivationSignature = []byte{0x30, 0x44, 0x02}
	full.Status = domain.ActivationPendingCommit
	full.OtpHash = "$argon2i$v=19$m=16,t=1,p=1$c2FsdA$aGFzaA"
	full.OtpValidation = domain.OtpValidationOnCommit
	full.CommitPhase = domain.CommitPhaseOnKeyExchange
	full.BlockedReason = "NOT_SPECIFIED"
	full.Counter = 42
	full.Flags = []string{"A", "B"}
	full.ExternalID = "ext-1"
	full.Protocol = domain.ProtocolFIDO2
	full.FailedAttempts = 2
	full.MaxFailedAttempts = 7
	full.MasterKeyPairID = kp.ID
	full.LastUsed = at(time.Minute)
	full.LastChange = at(2 * time.Minute)
	full.Version = 2
	full.MaxProtocolVersion = "3.3"
	full.SignatureDigests = append(make16(1), make16(2)...)
	full.PossessionFailedAttempts = 6
	full.PossessionLastFailure = at(3 * time.Minute)
	full.Platform, full.DeviceInfo = "android", "samsung SM-A047F"
	full.UserAgent = "PowerAuthNetworking/1.2.1 (uk; wifi) com.bank.app/1.0.0 (samsung; Android/13; SM-A047F)"
	full.Device = domain.DeviceDetails{
		Manufacturer: "samsung", Model: "SM-A047F", OS: "Android", OSVersion: "13", OSMajor: 13,
		AppID: "com.bank.app", AppVersion: "1.0.0", SDKName: "PowerAuthNetworking", SDKVersion: "1.2.1",
	}

	minimal := domain.Activation{
		ActivationID: uid(), ApplicationID: app.ID, UserID: "user-min", Status: domain.ActivationCreated,
		Protocol: domain.ProtocolPowerAuth, MaxFailedAttempts: 5, Created: base, ActivationExpire: at(time.Minute), Version: 3,
	}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateActivation(ctx, &full); err != nil {
			return err
		}
		return tx.CreateActivation(ctx, &minimal)
	})

	for _, want := range []domain.Activation{full, minimal} {
		got, err := s.GetActivation(ctx, want.ActivationID)
		require.NoError(t, err)
		require.Equal(t, want, got, "every field round-trips; unset fields stay zero/nil")
	}
	got, err := s.GetActivationByCode(ctx, full.ActivationCode)
	require.NoError(t, err)
	require.Equal(t, full.ActivationID, got.ActivationID)

	t.Run("errors", func(t *testing.T) {
		_, err := s.GetActivation(ctx, uid())
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = s.GetActivationByCode(ctx, "ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ")
		require.ErrorIs(t, err, store.ErrNotFound)
		for _, tc := range []struct {
			name string
			fn   func(ctx context.Context, tx store.Tx) error
			want error
		}{
			{"duplicate id", func(ctx context.Context, tx store.Tx) error {
				dup := activation(app.ID, "other")
				dup.ActivationID = full.ActivationID
				return tx.CreateActivation(ctx, &dup)
			}, store.ErrAlreadyExists},
			{"missing application", func(ctx context.Context, tx store.Tx) error {
				a := activation(1<<40, "u")
				return tx.CreateActivation(ctx, &a)
			}, store.ErrConflict},
			{"missing key pair", func(ctx context.Context, tx store.Tx) error {
				a := activation(app.ID, "u")
				a.MasterKeyPairID = 1 << 40
				return tx.CreateActivation(ctx, &a)
			}, store.ErrConflict},
			{"get for update missing", func(ctx context.Context, tx store.Tx) error {
				_, err := tx.GetActivationForUpdate(ctx, uid())
				return err
			}, store.ErrNotFound},
			{"update missing", func(ctx context.Context, tx store.Tx) error {
				a := activation(app.ID, "u")
				return tx.UpdateActivation(ctx, &a)
			}, store.ErrNotFound},
			{"delete missing", func(ctx context.Context, tx store.Tx) error {
				return tx.DeleteActivation(ctx, uid())
			}, store.ErrNotFound},
		} {
			t.Run(tc.name, func(t *testing.T) { require.ErrorIs(t, txErr(s, tc.fn), tc.want) })
		}
	})

	t.Run("update", func(t *testing.T) {
		var updated domain.Activation
		inTx(t, s, func(ctx context.Context, tx store.Tx) error {
			a, err := tx.GetActivationForUpdate(ctx, minimal.ActivationID)
			if err != nil {
				return err
			}
			require.Equal(t, minimal, a)
			a.Status = domain.ActivationActive
			a.Name = "renamed"
			a.Counter = 9
			a.CtrData = make16(9)
			a.DevicePublicKey = []byte{1, 2, 3}
			a.Flags = []string{"F"}
			a.LastUsed = at(time.Hour)
			a.LastChange = at(time.Hour)
			a.BlockedReason = "x"
			a.MaxProtocolVersion = "3.1"
			a.SignatureDigests = make16(3)
			a.PossessionFailedAttempts = 2
			a.PossessionLastFailure = at(2 * time.Hour)
			if err := tx.UpdateActivation(ctx, &a); err != nil {
				return err
			}
			updated = a
			return nil
		})
		require.Equal(t, int64(1), updated.Revision, "every update bumps the revision")
		got, err := s.GetActivation(ctx, minimal.ActivationID)
		require.NoError(t, err)
		require.Equal(t, updated, got)

		// Clearing optional fields stores NULLs that read back as zero values.
		updated.Name, updated.BlockedReason, updated.CtrData, updated.Flags, updated.LastUsed = "", "", nil, nil, time.Time{}
		updated.MaxProtocolVersion, updated.SignatureDigests, updated.PossessionFailedAttempts, updated.PossessionLastFailure = "", nil, 0, time.Time{}
		inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateActivation(ctx, &updated) })
		require.Equal(t, int64(2), updated.Revision)
		got, err = s.GetActivation(ctx, minimal.ActivationID)
		require.NoError(t, err)
		require.Equal(t, updated, got)
	})
}

// testActivationCodes checks that an activation code is unique among
// CREATED and PENDING_COMMIT activations only.
func testActivationCodes(t *testing.T, s store.Store) {
	ctx := context.Background()
	app := newApp(t, s)
	const code = "ABCDE-FGHIJ-KLMNO-PQRST"
	first := newActivation(t, s, app.ID, "u1", func(a *domain.Activation) {
		a.ActivationCode, a.Status = code, domain.ActivationCreated
	})

	for _, st := range []domain.ActivationStatus{domain.ActivationCreated, domain.ActivationPendingCommit} {
		t.Run("duplicate while "+st.String(), func(t *testing.T) {
			inTx(t, s, func(ctx context.Context, tx store.Tx) error {
				a, err := tx.GetActivationForUpdate(ctx, first.ActivationID)
				if err != nil {
					return err
				}
				a.Status = st
				return tx.UpdateActivation(ctx, &a)
			})
			dup := activation(app.ID, "u2")
			dup.ActivationCode, dup.Status = code, domain.ActivationCreated
			err := txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.CreateActivation(ctx, &dup) })
			require.ErrorIs(t, err, store.ErrAlreadyExists)
			got, err := s.GetActivationByCode(ctx, code)
			require.NoError(t, err)
			require.Equal(t, first.ActivationID, got.ActivationID)
		})
	}

	t.Run("reusable once active", func(t *testing.T) {
		inTx(t, s, func(ctx context.Context, tx store.Tx) error {
			a, err := tx.GetActivationForUpdate(ctx, first.ActivationID)
			if err != nil {
				return err
			}
			a.Status = domain.ActivationActive
			return tx.UpdateActivation(ctx, &a)
		})
		_, err := s.GetActivationByCode(ctx, code)
		require.ErrorIs(t, err, store.ErrNotFound, "an ACTIVE activation is not found by code")
		second := newActivation(t, s, app.ID, "u2", func(a *domain.Activation) {
			a.ActivationCode, a.Status = code, domain.ActivationCreated
		})
		got, err := s.GetActivationByCode(ctx, code)
		require.NoError(t, err)
		require.Equal(t, second.ActivationID, got.ActivationID)
	})

	t.Run("many activations without code", func(t *testing.T) {
		for range 3 {
			newActivation(t, s, app.ID, "nocode", func(a *domain.Activation) { a.Status = domain.ActivationCreated })
		}
	})
}

func testActivationCompareAndSwap(t *testing.T, s store.Store) {
	ctx := context.Background()
	app := newApp(t, s)
	a := newActivation(t, s, app.ID, "u")
	read, err := s.GetActivation(ctx, a.ActivationID)
	require.NoError(t, err)

	fresh := read
	fresh.Counter = 1
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CompareAndSwapActivation(ctx, &fresh) })
	require.Equal(t, read.Revision+1, fresh.Revision)

	stale := read // still carries the old revision
	stale.Counter = 100
	err = txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.CompareAndSwapActivation(ctx, &stale) })
	require.ErrorIs(t, err, store.ErrConflict)
	got, err := s.GetActivation(ctx, a.ActivationID)
	require.NoError(t, err)
	require.Equal(t, fresh, got, "a failed compare-and-set writes nothing")

	// An unconditional update also moves the revision on, so an older copy
	// can no longer be swapped in.
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		cur, err := tx.GetActivationForUpdate(ctx, a.ActivationID)
		if err != nil {
			return err
		}
		cur.FailedAttempts++
		return tx.UpdateActivation(ctx, &cur)
	})
	fresh.Counter = 2
	err = txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.CompareAndSwapActivation(ctx, &fresh) })
	require.ErrorIs(t, err, store.ErrConflict)

	missing := activation(app.ID, "u")
	err = txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.CompareAndSwapActivation(ctx, &missing) })
	require.ErrorIs(t, err, store.ErrNotFound)
}

func testListActivations(t *testing.T, s store.Store) {
	ctx := context.Background()
	app, other := newApp(t, s), newApp(t, s)
	mk := func(appID int64, user string, created time.Duration, st domain.ActivationStatus, p domain.ActivationProtocol) domain.Activation {
		return newActivation(t, s, appID, user, func(a *domain.Activation) {
			a.Created, a.Status, a.Protocol = at(created), st, p
		})
	}
	a0 := mk(app.ID, "alice", 0, domain.ActivationActive, domain.ProtocolPowerAuth)
	a1 := mk(app.ID, "alice", 1*time.Second, domain.ActivationBlocked, domain.ProtocolPowerAuth)
	a2 := mk(other.ID, "alice", 2*time.Second, domain.ActivationActive, domain.ProtocolFIDO2)
	a3 := mk(app.ID, "alice", 3*time.Second, domain.ActivationRemoved, domain.ProtocolPowerAuth)
	a4 := mk(app.ID, "alice", 4*time.Second, domain.ActivationCreated, domain.ProtocolFIDO2)
	mk(app.ID, "bob", 5*time.Second, domain.ActivationActive, domain.ProtocolPowerAuth)

	for _, tc := range []struct {
		name string
		f    store.ActivationListFilter
		want []domain.Activation
	}{
		{"all of user newest first", store.ActivationListFilter{UserID: "alice"}, []domain.Activation{a4, a3, a2, a1, a0}},
		{"by application", store.ActivationListFilter{UserID: "alice", ApplicationID: app.ID}, []domain.Activation{a4, a3, a1, a0}},
		{"by statuses", store.ActivationListFilter{UserID: "alice", Statuses: []domain.ActivationStatus{domain.ActivationActive, domain.ActivationBlocked}}, []domain.Activation{a2, a1, a0}},
		{"by protocol", store.ActivationListFilter{UserID: "alice", Protocols: []domain.ActivationProtocol{domain.ProtocolFIDO2}}, []domain.Activation{a4, a2}},
		{"combined", store.ActivationListFilter{UserID: "alice", ApplicationID: app.ID, Statuses: []domain.ActivationStatus{domain.ActivationCreated, domain.ActivationActive}, Protocols: []domain.ActivationProtocol{domain.ProtocolPowerAuth}}, []domain.Activation{a0}},
		{"first page", store.ActivationListFilter{UserID: "alice", Limit: 2}, []domain.Activation{a4, a3}},
		{"second page", store.ActivationListFilter{UserID: "alice", Limit: 2, Offset: 2}, []domain.Activation{a2, a1}},
		{"last page", store.ActivationListFilter{UserID: "alice", Limit: 2, Offset: 4}, []domain.Activation{a0}},
		{"past the end", store.ActivationListFilter{UserID: "alice", Limit: 2, Offset: 6}, nil},
		{"offset without limit", store.ActivationListFilter{UserID: "alice", Offset: 3}, []domain.Activation{a1, a0}},
		{"unknown user", store.ActivationListFilter{UserID: "carol"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ListActivations(ctx, tc.f)
			require.NoError(t, err)
			require.Equal(t, ids(tc.want), ids(got))
		})
	}
}

func testLookupActivations(t *testing.T, s store.Store) {
	ctx := context.Background()
	app, other := newApp(t, s), newApp(t, s)
	mk := func(appID int64, user string, created time.Duration, lastUsed time.Time, st domain.ActivationStatus, flags ...string) domain.Activation {
		return newActivation(t, s, appID, user, func(a *domain.Activation) {
			a.Created, a.LastUsed, a.Status, a.Flags = at(created), lastUsed, st, flags
		})
	}
	a0 := mk(app.ID, "u1", 0, at(time.Hour), domain.ActivationActive, "VIP")
	a1 := mk(app.ID, "u2", time.Second, at(2*time.Hour), domain.ActivationBlocked)
	a2 := mk(other.ID, "u1", 2*time.Second, time.Time{}, domain.ActivationActive, "X", "VIP")
	a3 := mk(other.ID, "u3", 3*time.Second, at(3*time.Hour), domain.ActivationActive, "X")

	for _, tc := range []struct {
		name string
		f    store.ActivationLookup
		want []domain.Activation
	}{
		{"users", store.ActivationLookup{UserIDs: []string{"u1", "u2"}}, []domain.Activation{a2, a1, a0}},
		{"applications", store.ActivationLookup{UserIDs: []string{"u1", "u2", "u3"}, ApplicationIDs: []int64{other.ID}}, []domain.Activation{a3, a2}},
		{"last used after (inclusive)", store.ActivationLookup{LastUsedAfter: at(2 * time.Hour)}, []domain.Activation{a3, a1}},
		{"last used before (exclusive)", store.ActivationLookup{LastUsedBefore: at(2 * time.Hour)}, []domain.Activation{a0}},
		{"last used range", store.ActivationLookup{LastUsedAfter: at(time.Hour), LastUsedBefore: at(3 * time.Hour)}, []domain.Activation{a1, a0}},
		{"status", store.ActivationLookup{Statuses: []domain.ActivationStatus{domain.ActivationBlocked}}, []domain.Activation{a1}},
		{"any flag", store.ActivationLookup{Flags: []string{"VIP", "NOPE"}}, []domain.Activation{a2, a0}},
		{"flag and user", store.ActivationLookup{UserIDs: []string{"u3"}, Flags: []string{"X"}}, []domain.Activation{a3}},
		{"flag with limit", store.ActivationLookup{Flags: []string{"X", "VIP"}, Limit: 2}, []domain.Activation{a3, a2}},
		{"limit", store.ActivationLookup{Limit: 1}, []domain.Activation{a3}},
		{"nothing matches", store.ActivationLookup{UserIDs: []string{"nobody"}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.LookupActivations(ctx, tc.f)
			require.NoError(t, err)
			require.Equal(t, ids(tc.want), ids(got))
		})
	}
}

func testExpiredActivations(t *testing.T, s store.Store) {
	app := newApp(t, s)
	mk := func(st domain.ActivationStatus, expire time.Duration) domain.Activation {
		return newActivation(t, s, app.ID, "u", func(a *domain.Activation) { a.Status, a.ActivationExpire = st, at(expire) })
	}
	e1 := mk(domain.ActivationCreated, -3*time.Minute)
	e2 := mk(domain.ActivationPendingCommit, -2*time.Minute)
	e3 := mk(domain.ActivationCreated, -1*time.Minute)
	mk(domain.ActivationCreated, 0)               // expires exactly now: not yet
	mk(domain.ActivationCreated, time.Minute)     // in the future
	mk(domain.ActivationActive, -time.Hour)       // finished
	mk(domain.ActivationRemoved, -time.Hour)      // finished
	mk(domain.ActivationBlocked, -30*time.Minute) // finished

	var got []domain.Activation
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		got, err = tx.ListExpiredActivationsForUpdate(ctx, base, 0)
		return err
	})
	require.Equal(t, ids([]domain.Activation{e1, e2, e3}), ids(got), "oldest expiry first")

	// The expiry job: take a batch, remove it, repeat until empty.
	batches := 0
	for {
		n := 0
		inTx(t, s, func(ctx context.Context, tx store.Tx) error {
			batch, err := tx.ListExpiredActivationsForUpdate(ctx, base, 2)
			if err != nil {
				return err
			}
			n = len(batch)
			for _, a := range batch {
				a.Status = domain.ActivationRemoved
				if err := tx.UpdateActivation(ctx, &a); err != nil {
					return err
				}
			}
			return nil
		})
		if n == 0 {
			break
		}
		require.LessOrEqual(t, n, 2)
		batches++
	}
	require.Equal(t, 2, batches)
	for _, a := range []domain.Activation{e1, e2, e3} {
		got, err := s.GetActivation(context.Background(), a.ActivationID)
		require.NoError(t, err)
		require.Equal(t, domain.ActivationRemoved, got.Status)
	}
}

// testActivationDelete checks the cascade of a hard delete.
func testActivationDelete(t *testing.T, s store.Store) {
	ctx := context.Background()
	app := newApp(t, s)
	a := newActivation(t, s, app.ID, "u")
	tok := domain.Token{ID: uid(), Secret: []byte("secret"), ActivationID: a.ActivationID, SignatureType: "possession", Created: base}
	h := domain.ActivationHistory{ActivationID: a.ActivationID, Status: domain.ActivationActive, Created: base, ActivationVersion: 3}
	rc := domain.RecoveryCode{Code: "R-" + uid(), ApplicationID: app.ID, UserID: "u", ActivationID: a.ActivationID, Status: domain.RecoveryCodeActive, MaxFailedAttempts: 10, Created: base}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateToken(ctx, &tok); err != nil {
			return err
		}
		if err := tx.CreateActivationHistory(ctx, &h); err != nil {
			return err
		}
		return tx.CreateRecoveryCode(ctx, &rc)
	})
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteActivation(ctx, a.ActivationID) })

	_, err := s.GetActivation(ctx, a.ActivationID)
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.GetToken(ctx, tok.ID)
	require.ErrorIs(t, err, store.ErrNotFound, "tokens go with the activation")
	hist, err := s.ListActivationHistory(ctx, a.ActivationID, time.Time{}, time.Time{})
	require.NoError(t, err)
	require.Empty(t, hist, "history goes with the activation")
	got, err := s.GetRecoveryCode(ctx, rc.ID)
	require.NoError(t, err)
	require.Empty(t, got.ActivationID, "recovery codes stay, detached")
}

// testDeviceFilters: ListActivations and LookupActivations filter by
// platform, major OS version and OS version prefix (00007_device_info).
func testDeviceFilters(t *testing.T, s store.Store) {
	ctx := context.Background()
	app, other := newApp(t, s), newApp(t, s)
	mk := func(appID int64, user string, created time.Duration, platform, os, version string, major int) domain.Activation {
		return newActivation(t, s, appID, user, func(a *domain.Activation) {
			a.Created, a.Platform = at(created), platform
			a.Device = domain.DeviceDetails{OS: os, OSVersion: version, OSMajor: major}
		})
	}
	i166 := mk(app.ID, "u1", 0, "ios", "iOS", "16.6.1", 16)
	i1660 := mk(app.ID, "u1", time.Second, "ios", "iOS", "16.60", 16)
	i17 := mk(app.ID, "u2", 2*time.Second, "ios", "iOS", "17.1", 17)
	a13 := mk(app.ID, "u1", 3*time.Second, "android", "Android", "13", 13)
	raw := mk(app.ID, "u1", 4*time.Second, "unknown", "", "", 0)
	o166 := mk(other.ID, "u1", 5*time.Second, "ios", "iOS", "16.6", 16)
	odd := mk(other.ID, "u3", 6*time.Second, "ios", "iOS", "16_6", 16)

	for _, tc := range []struct {
		name string
		f    store.DeviceFilter
		want []domain.Activation
	}{
		{"platform", store.DeviceFilter{Platforms: []string{"android", "unknown"}}, []domain.Activation{raw, a13}},
		{"major", store.DeviceFilter{OSMajor: 16}, []domain.Activation{odd, o166, i1660, i166}},
		{"prefix matches whole components", store.DeviceFilter{OSVersionPrefix: "16.6"}, []domain.Activation{o166, i166}},
		{"prefix is not a pattern", store.DeviceFilter{OSVersionPrefix: "16_6"}, []domain.Activation{odd}},
		{"prefix percent", store.DeviceFilter{OSVersionPrefix: "%"}, nil},
		{"exact version", store.DeviceFilter{OSVersionPrefix: "17.1"}, []domain.Activation{i17}},
		{"platform and major", store.DeviceFilter{Platforms: []string{"ios"}, OSMajor: 17}, []domain.Activation{i17}},
		{"no match", store.DeviceFilter{Platforms: []string{"android"}, OSMajor: 16}, nil},
	} {
		t.Run("lookup "+tc.name, func(t *testing.T) {
			got, err := s.LookupActivations(ctx, store.ActivationLookup{Device: tc.f})
			require.NoError(t, err)
			require.Equal(t, ids(tc.want), ids(got))
		})
	}
	got, err := s.LookupActivations(ctx, store.ActivationLookup{ApplicationIDs: []int64{app.ID}, Device: store.DeviceFilter{Platforms: []string{"ios"}, OSVersionPrefix: "16"}})
	require.NoError(t, err)
	require.Equal(t, ids([]domain.Activation{i1660, i166}), ids(got), "within one application")
	list, err := s.ListActivations(ctx, store.ActivationListFilter{UserID: "u1", Device: store.DeviceFilter{Platforms: []string{"ios"}, OSMajor: 16}})
	require.NoError(t, err)
	require.Equal(t, ids([]domain.Activation{o166, i1660, i166}), ids(list), "a user's list")
}
