package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// testInbox checks the inbox messages: round trip with applications,
// filters by user, application and read state, ordering, paging, counting
// and marking messages read.
func testInbox(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b, c := newApp(t, s), newApp(t, s), newApp(t, s)
	msg := func(user string, created time.Duration, apps ...int64) domain.InboxMessage {
		return domain.InboxMessage{ID: uid(), UserID: user, Type: domain.InboxTypeText, Subject: "subject " + uid(),
			Summary: "summary", Body: "body <b>kept as is</b>", ApplicationIDs: apps, Created: at(created)}
	}
	m1 := msg("alice", 1*time.Second, a.ID)
	m2 := msg("alice", 2*time.Second, a.ID, b.ID)
	m3 := msg("alice", 3*time.Second, b.ID)
	m4 := msg("bob", 4*time.Second, a.ID)
	m2.Type = domain.InboxTypeHTML
	for _, m := range []*domain.InboxMessage{&m1, &m2, &m3, &m4} {
		inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateInboxMessage(ctx, m) })
	}

	got, err := s.GetInboxMessage(ctx, m2.ID)
	require.NoError(t, err)
	require.Equal(t, m2, got)
	require.False(t, got.Read())

	_, err = s.GetInboxMessage(ctx, uid())
	require.ErrorIs(t, err, store.ErrNotFound)

	t.Run("errors", func(t *testing.T) {
		dup := m1
		require.ErrorIs(t, txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.CreateInboxMessage(ctx, &dup) }), store.ErrAlreadyExists)
		bad := msg("alice", 0, a.ID, 1<<40)
		require.ErrorIs(t, txErr(s, func(ctx context.Context, tx store.Tx) error { return tx.CreateInboxMessage(ctx, &bad) }), store.ErrConflict)
		_, err := s.GetInboxMessage(ctx, bad.ID)
		require.ErrorIs(t, err, store.ErrNotFound, "a failed create leaves nothing behind")
		require.ErrorIs(t, txErr(s, func(ctx context.Context, tx store.Tx) error {
			_, err := tx.MarkInboxMessageRead(ctx, uid(), at(0))
			return err
		}), store.ErrNotFound)
	})

	list := func(f store.InboxFilter) []string {
		t.Helper()
		ms, err := s.ListInboxMessages(ctx, f)
		require.NoError(t, err)
		n, err := s.CountInboxMessages(ctx, store.InboxFilter{UserID: f.UserID, ApplicationIDs: f.ApplicationIDs, OnlyUnread: f.OnlyUnread})
		require.NoError(t, err)
		if f.Limit == 0 && f.Offset == 0 {
			require.EqualValues(t, len(ms), n, "count matches the list")
		}
		out := make([]string, len(ms))
		for i, m := range ms {
			out[i] = m.ID
			require.NotEmpty(t, m.ApplicationIDs, "applications are loaded")
		}
		return out
	}
	for _, tc := range []struct {
		name string
		f    store.InboxFilter
		want []string
	}{
		{"user, newest first", store.InboxFilter{UserID: "alice"}, []string{m3.ID, m2.ID, m1.ID}},
		{"one application", store.InboxFilter{UserID: "alice", ApplicationIDs: []int64{a.ID}}, []string{m2.ID, m1.ID}},
		{"two applications", store.InboxFilter{UserID: "alice", ApplicationIDs: []int64{a.ID, b.ID}}, []string{m3.ID, m2.ID, m1.ID}},
		{"application without messages", store.InboxFilter{UserID: "alice", ApplicationIDs: []int64{c.ID}}, []string{}},
		{"other user", store.InboxFilter{UserID: "bob"}, []string{m4.ID}},
		{"unknown user", store.InboxFilter{UserID: "carol"}, []string{}},
		{"first page", store.InboxFilter{UserID: "alice", Limit: 2}, []string{m3.ID, m2.ID}},
		{"second page", store.InboxFilter{UserID: "alice", Limit: 2, Offset: 2}, []string{m1.ID}},
	} {
		t.Run(tc.name, func(t *testing.T) { require.Equal(t, tc.want, list(tc.f)) })
	}

	// Read one, then read all of application b.
	var was bool
	inTx(t, s, func(ctx context.Context, tx store.Tx) (err error) {
		was, err = tx.MarkInboxMessageRead(ctx, m1.ID, at(10*time.Second))
		return err
	})
	require.True(t, was)
	inTx(t, s, func(ctx context.Context, tx store.Tx) (err error) {
		was, err = tx.MarkInboxMessageRead(ctx, m1.ID, at(20*time.Second))
		return err
	})
	require.False(t, was, "a read message stays read")
	got, err = s.GetInboxMessage(ctx, m1.ID)
	require.NoError(t, err)
	require.Equal(t, at(10*time.Second), got.ReadAt, "the first read time is kept")
	require.Equal(t, []string{m3.ID, m2.ID}, list(store.InboxFilter{UserID: "alice", OnlyUnread: true}))

	var n int64
	inTx(t, s, func(ctx context.Context, tx store.Tx) (err error) {
		n, err = tx.MarkInboxMessagesRead(ctx, store.InboxFilter{UserID: "alice", ApplicationIDs: []int64{b.ID}}, at(30*time.Second))
		return err
	})
	require.EqualValues(t, 2, n)
	require.Empty(t, list(store.InboxFilter{UserID: "alice", OnlyUnread: true}))
	require.Equal(t, []string{m4.ID}, list(store.InboxFilter{UserID: "bob", OnlyUnread: true}), "another user's messages stay unread")
	got, err = s.GetInboxMessage(ctx, m3.ID)
	require.NoError(t, err)
	require.Equal(t, at(30*time.Second), got.ReadAt)

	// Deleting an application unlinks it; a message of no application
	// is gone from every application's view.
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteApplication(ctx, b.ID) })
	got, err = s.GetInboxMessage(ctx, m2.ID)
	require.NoError(t, err)
	require.Equal(t, []int64{a.ID}, got.ApplicationIDs)
}
