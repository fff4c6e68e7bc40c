package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// testConsole runs the admin console checks, each on a fresh store.
func testConsole(t *testing.T, newStore Factory) {
	t.Run("Users", func(t *testing.T) { testConsoleUsers(t, newStore(t)) })
	t.Run("Sessions", func(t *testing.T) { testConsoleSessions(t, newStore(t)) })
	t.Run("ActivationPages", func(t *testing.T) { testConsoleActivationPages(t, newStore(t)) })
	t.Run("AuditPages", func(t *testing.T) { testConsoleAuditPages(t, newStore(t)) })
	t.Run("OperationCounts", func(t *testing.T) { testConsoleOperationCounts(t, newStore(t)) })
}

func testConsoleUsers(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := domain.ConsoleUser{Username: "alice", PasswordHash: "$argon2id$x", Role: domain.ConsoleRoleAdmin, Created: base}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateConsoleUser(ctx, &u) })
	require.NotZero(t, u.ID)

	dup := domain.ConsoleUser{Username: "alice", PasswordHash: "h", Role: domain.ConsoleRoleReadOnly, Created: base}
	err := txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.CreateConsoleUser(ctx, &dup) })
	require.ErrorIs(t, err, store.ErrAlreadyExists)

	got, err := s.GetConsoleUserByName(ctx, "alice")
	require.NoError(t, err)
	require.Equal(t, u, got)

	u.FailedAttempts, u.LockedUntil, u.LastSignIn, u.Role = 3, at(time.Minute), at(time.Second), domain.ConsoleRoleOperator
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateConsoleUser(ctx, &u) })
	got, err = s.GetConsoleUser(ctx, u.ID)
	require.NoError(t, err)
	require.Equal(t, u, got)

	bob := domain.ConsoleUser{Username: "bob", PasswordHash: "h", Role: domain.ConsoleRoleReadOnly, Created: base}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateConsoleUser(ctx, &bob) })
	all, err := s.ListConsoleUsers(ctx)
	require.NoError(t, err)
	require.Len(t, all, 2)
	require.Equal(t, "alice", all[0].Username)
	require.Equal(t, "bob", all[1].Username)

	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteConsoleUser(ctx, bob.ID) })
	_, err = s.GetConsoleUser(ctx, bob.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	err = txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteConsoleUser(ctx, bob.ID) })
	require.ErrorIs(t, err, store.ErrNotFound)
	err = txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateConsoleUser(ctx, &bob) })
	require.ErrorIs(t, err, store.ErrNotFound)
}

func testConsoleSessions(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := domain.ConsoleUser{Username: "carol", PasswordHash: "h", Role: domain.ConsoleRoleOperator, Created: base}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateConsoleUser(ctx, &u) })

	old := domain.ConsoleSession{IDHash: "aa", UserID: u.ID, Created: base, LastSeen: base}
	fresh := domain.ConsoleSession{IDHash: "bb", UserID: u.ID, Created: at(time.Hour), LastSeen: at(time.Hour)}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateConsoleSession(ctx, &old); err != nil {
			return err
		}
		return tx.CreateConsoleSession(ctx, &fresh)
	})
	err := txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.CreateConsoleSession(ctx, &old) })
	require.ErrorIs(t, err, store.ErrAlreadyExists)
	orphan := domain.ConsoleSession{IDHash: "cc", UserID: u.ID + 1000, Created: base, LastSeen: base}
	err = txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.CreateConsoleSession(ctx, &orphan) })
	require.ErrorIs(t, err, store.ErrConflict)

	got, err := s.GetConsoleSession(ctx, "aa")
	require.NoError(t, err)
	require.Equal(t, old, got)

	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.TouchConsoleSession(ctx, "aa", at(time.Minute))
	})
	got, err = s.GetConsoleSession(ctx, "aa")
	require.NoError(t, err)
	require.Equal(t, at(time.Minute), got.LastSeen)

	var n int64
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		n, err = tx.DeleteConsoleSessionsBefore(ctx, at(30*time.Minute), at(30*time.Minute))
		return err
	})
	require.EqualValues(t, 1, n)
	_, err = s.GetConsoleSession(ctx, "aa")
	require.ErrorIs(t, err, store.ErrNotFound)

	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteConsoleSession(ctx, "bb") })
	_, err = s.GetConsoleSession(ctx, "bb")
	require.ErrorIs(t, err, store.ErrNotFound)
	err = txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteConsoleSession(ctx, "bb") })
	require.ErrorIs(t, err, store.ErrNotFound)
	err = txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.TouchConsoleSession(ctx, "bb", base) })
	require.ErrorIs(t, err, store.ErrNotFound)

	// Deleting the user deletes its sessions.
	again := domain.ConsoleSession{IDHash: "dd", UserID: u.ID, Created: base, LastSeen: base}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateConsoleSession(ctx, &again) })
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteConsoleUser(ctx, u.ID) })
	_, err = s.GetConsoleSession(ctx, "dd")
	require.True(t, errors.Is(err, store.ErrNotFound), "session of a deleted user: %v", err)
}

func testConsoleActivationPages(t *testing.T, s store.Store) {
	ctx := context.Background()
	app := newApp(t, s)
	var want []string // newest first
	for i := range 7 {
		a := newActivation(t, s, app.ID, fmt.Sprintf("user-%d", i%2), func(a *domain.Activation) {
			a.Created = at(time.Duration(i/2) * time.Second) // pairs share a timestamp: the id breaks the tie
			if i == 3 {
				a.Status, a.BlockedReason = domain.ActivationBlocked, "LOST"
			}
		})
		want = append(want, a.ActivationID)
	}
	all, err := s.PageActivations(ctx, store.ActivationPage{})
	require.NoError(t, err)
	require.Len(t, all, 7)
	for i := 1; i < len(all); i++ {
		prev, cur := all[i-1], all[i]
		require.True(t, prev.Created.After(cur.Created) || (prev.Created.Equal(cur.Created) && prev.ActivationID > cur.ActivationID),
			"order at %d", i)
	}
	// Keyset pages of 3 cover the same rows in the same order.
	var paged []string
	var cur store.ActivationCursor
	for {
		page, err := s.PageActivations(ctx, store.ActivationPage{After: cur, Limit: 3})
		require.NoError(t, err)
		for _, a := range page {
			paged = append(paged, a.ActivationID)
		}
		if len(page) < 3 {
			break
		}
		last := page[len(page)-1]
		cur = store.ActivationCursor{Created: last.Created, ActivationID: last.ActivationID}
	}
	require.Equal(t, ids(all), paged)
	require.ElementsMatch(t, want, paged)

	byUser, err := s.PageActivations(ctx, store.ActivationPage{UserID: "user-1"})
	require.NoError(t, err)
	require.Len(t, byUser, 3)
	blocked, err := s.PageActivations(ctx, store.ActivationPage{Statuses: []domain.ActivationStatus{domain.ActivationBlocked}})
	require.NoError(t, err)
	require.Len(t, blocked, 1)
	require.Equal(t, want[3], blocked[0].ActivationID)
	one, err := s.PageActivations(ctx, store.ActivationPage{ActivationID: want[5]})
	require.NoError(t, err)
	require.Equal(t, []string{want[5]}, ids(one))

	counts, err := s.CountActivationsByStatus(ctx)
	require.NoError(t, err)
	require.Equal(t, map[domain.ActivationStatus]int64{domain.ActivationActive: 6, domain.ActivationBlocked: 1}, counts)
}

func testConsoleAuditPages(t *testing.T, s store.Store) {
	ctx := context.Background()
	// audit_log may hold entries of earlier tests (a backend may hand out
	// one database to several tests and keep its audit log): this test's
	// entries lie in a time range of their own and carry unique names.
	tag := uid()
	from := at(1000 * time.Hour)
	var entries []domain.AuditEntry
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		for i := range 6 {
			e := domain.AuditEntry{Created: from.Add(time.Duration(i) * time.Second), Type: domain.AuditAdminChange,
				Actor: fmt.Sprintf("console:%s-%d", tag, i%2), ActivationID: fmt.Sprintf("%s-act-%d", tag, i%3),
				Details: map[string]string{"operationId": fmt.Sprintf("%s_op_%d", tag, i)}}
			if err := tx.CreateAuditEntry(ctx, &e); err != nil {
				return err
			}
			entries = append(entries, e)
		}
		return nil
	})
	first, err := s.PageAuditEntries(ctx, store.AuditPage{From: from, Limit: 4})
	require.NoError(t, err)
	require.Len(t, first, 4)
	require.Equal(t, entries[5].ID, first[0].ID)
	rest, err := s.PageAuditEntries(ctx, store.AuditPage{From: from, Limit: 4, BeforeID: first[3].ID})
	require.NoError(t, err)
	require.Len(t, rest, 2)
	require.Equal(t, entries[0].ID, rest[1].ID)

	byActor, err := s.PageAuditEntries(ctx, store.AuditPage{Actor: "console:" + tag + "-1"})
	require.NoError(t, err)
	require.Len(t, byActor, 3)
	byAct, err := s.PageAuditEntries(ctx, store.AuditPage{ActivationID: tag + "-act-0"})
	require.NoError(t, err)
	require.Len(t, byAct, 2)
	// "_" and "%" in the operation id are matched literally, not as LIKE wildcards.
	byOp, err := s.PageAuditEntries(ctx, store.AuditPage{OperationID: tag + "_op_1"})
	require.NoError(t, err)
	require.Len(t, byOp, 1)
	require.Equal(t, entries[1].ID, byOp[0].ID)
	none, err := s.PageAuditEntries(ctx, store.AuditPage{OperationID: tag + "_op%"})
	require.NoError(t, err)
	require.Empty(t, none)
	none, err = s.PageAuditEntries(ctx, store.AuditPage{OperationID: tag + "_op_"})
	require.NoError(t, err)
	require.Empty(t, none)
	inRange, err := s.PageAuditEntries(ctx, store.AuditPage{From: from.Add(2 * time.Second), To: from.Add(3 * time.Second)})
	require.NoError(t, err)
	require.Len(t, inRange, 2)
}

func testConsoleOperationCounts(t *testing.T, s store.Store) {
	ctx := context.Background()
	app := newApp(t, s)
	mk := func(status domain.OperationStatus, created time.Time) {
		op := domain.Operation{ID: uid(), UserID: "u", ApplicationIDs: []int64{app.ID}, OperationType: "login", TemplateName: "login",
			Data: "A2", Status: status, SignatureTypes: []string{"possession"}, MaxFailureCount: 3, Created: created, Expires: created.Add(time.Hour)}
		if status == domain.OperationApproved {
			op.UserID, op.TemplateName = "v", "payment"
		}
		inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateOperation(ctx, &op) })
	}
	mk(domain.OperationPending, at(time.Hour))
	mk(domain.OperationPending, at(2*time.Hour))
	mk(domain.OperationApproved, at(2*time.Hour))
	mk(domain.OperationCanceled, at(-time.Hour)) // before the day
	counts, err := s.CountOperationsByStatus(ctx, base)
	require.NoError(t, err)
	require.Equal(t, map[domain.OperationStatus]int64{domain.OperationPending: 2, domain.OperationApproved: 1}, counts)

	// Keyset pages of 2 (two operations share a timestamp: the id breaks the tie).
	all, err := s.PageOperations(ctx, store.OperationPage{})
	require.NoError(t, err)
	require.Len(t, all, 4)
	require.Equal(t, []int64{app.ID}, all[0].ApplicationIDs)
	var paged []domain.Operation
	var cur store.PageCursor
	for {
		page, err := s.PageOperations(ctx, store.OperationPage{After: cur, Limit: 2})
		require.NoError(t, err)
		paged = append(paged, page...)
		if len(page) < 2 {
			break
		}
		last := page[len(page)-1]
		cur = store.PageCursor{Created: last.Created, ID: last.ID}
	}
	require.Equal(t, all, paged)
	for i := 1; i < len(all); i++ {
		require.True(t, all[i-1].Created.After(all[i].Created) || (all[i-1].Created.Equal(all[i].Created) && all[i-1].ID > all[i].ID))
	}
	filtered := func(f store.OperationPage) int {
		ops, err := s.PageOperations(ctx, f)
		require.NoError(t, err)
		return len(ops)
	}
	require.Equal(t, 3, filtered(store.OperationPage{UserID: "u"}))
	require.Equal(t, 1, filtered(store.OperationPage{TemplateName: "payment"}))
	require.Equal(t, 2, filtered(store.OperationPage{Statuses: []domain.OperationStatus{domain.OperationPending}}))
	require.Equal(t, 1, filtered(store.OperationPage{From: at(-2 * time.Hour), To: at(0)}))
}
