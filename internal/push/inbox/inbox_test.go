package inbox

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/teststore"
)

// failingNotifier fails every notification and counts them.
type failingNotifier struct{ calls int }

func (n *failingNotifier) InboxMessageArrived(context.Context, string, string, string) error {
	n.calls++
	return errors.New("push provider down")
}

func newApp(t *testing.T, st store.Store, name string) domain.Application {
	t.Helper()
	a := domain.Application{Name: name}
	if err := st.InTx(context.Background(), func(tx store.Tx) error { return tx.CreateApplication(context.Background(), &a) }); err != nil {
		t.Fatal(err)
	}
	return a
}

func valid() NewMessage {
	return NewMessage{UserID: "alice", Type: "text", Subject: "Subject!", Summary: "Summary!", Body: "Body of it", Applications: []string{"bank"}}
}

// TestCreateValidation lists every invalid field of a message at once and
// stores nothing.
func TestCreateValidation(t *testing.T) {
	st := teststore.SQLite(t)
	newApp(t, st, "bank")
	svc := New(Options{Store: st})
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		mod    func(*NewMessage)
		fields []string
	}{
		{"blank user", func(m *NewMessage) { m.UserID = " " }, []string{"userId"}},
		{"long user", func(m *NewMessage) { m.UserID = strings.Repeat("u", MaxUserIDLength+1) }, []string{"userId"}},
		{"unknown type", func(m *NewMessage) { m.Type = "markdown" }, []string{"type"}},
		{"short texts", func(m *NewMessage) { m.Subject, m.Summary, m.Body = "short", "", "1234567" }, []string{"subject", "summary", "body"}},
		{"eight characters, not bytes", func(m *NewMessage) { m.Subject = "ééééééé" }, []string{"subject"}},
		{"long summary", func(m *NewMessage) { m.Summary = strings.Repeat("s", MaxSummaryLength+1) }, []string{"summary"}},
		{"long body", func(m *NewMessage) { m.Body = strings.Repeat("b", MaxBodyLength+1) }, []string{"body"}},
		{"invalid UTF-8", func(m *NewMessage) { m.Body = "valid text \xff" }, []string{"body"}},
		{"NUL", func(m *NewMessage) { m.Subject = "subject\x00x" }, []string{"subject"}},
		{"no applications", func(m *NewMessage) { m.Applications = nil }, []string{"applications"}},
		{"blank application", func(m *NewMessage) { m.Applications = []string{"bank", ""} }, []string{"applications"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := valid()
			tc.mod(&m)
			_, err := svc.Create(ctx, Scope{All: true}, m)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("got %v, want a ValidationError", err)
			}
			var got []string
			for _, v := range ve.Violations {
				got = append(got, v.Field)
			}
			if strings.Join(got, ",") != strings.Join(tc.fields, ",") {
				t.Fatalf("violations %v, want %v", got, tc.fields)
			}
		})
	}
	if n, err := st.CountInboxMessages(ctx, store.InboxFilter{UserID: "alice"}); err != nil || n != 0 {
		t.Fatalf("invalid messages were stored: %d %v", n, err)
	}
	m := valid()
	m.Subject = "éééééééé" // eight characters
	m.Type = "TEXT"
	got, err := svc.Create(ctx, Scope{All: true}, m)
	if err != nil || got.Type != domain.InboxTypeText {
		t.Fatalf("valid message: %+v %v", got, err)
	}
}

// TestScope: applications and messages outside the scope are not found,
// and a device scope sees only its user's messages.
func TestScope(t *testing.T) {
	st := teststore.SQLite(t)
	a, b := newApp(t, st, "a"), newApp(t, st, "b")
	now := time.UnixMilli(1_700_000_000_000).UTC()
	svc := New(Options{Store: st, Now: func() time.Time { return now }})
	ctx := context.Background()
	post := func(user string, apps ...string) Message {
		t.Helper()
		m := valid()
		m.UserID, m.Applications = user, apps
		out, err := svc.Create(ctx, Scope{All: true}, m)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	ma, mb, bob := post("alice", "a"), post("alice", "b"), post("bob", "a")
	onlyB := Scope{ApplicationIDs: []int64{b.ID}}
	if _, err := svc.Detail(ctx, onlyB, ma.ID); !errors.Is(err, ErrMessageNotFound) {
		t.Fatalf("message of a in scope b: %v", err)
	}
	if _, err := svc.Detail(ctx, onlyB, mb.ID); err != nil {
		t.Fatalf("message of b in scope b: %v", err)
	}
	if _, err := svc.Create(ctx, onlyB, valid()); !errors.Is(err, ErrAppNotFound) {
		t.Fatalf("posting to an ungranted application: %v", err)
	}
	if _, err := svc.List(ctx, Scope{}, ListQuery{UserID: "alice"}); err != nil {
		t.Fatalf("empty scope: %v", err)
	}
	if l, _ := svc.List(ctx, Scope{}, ListQuery{UserID: "alice"}); len(l) != 0 {
		t.Fatalf("a scope without applications lists %d messages", len(l))
	}
	dev, err := svc.DeviceScope(ctx, "a", "alice")
	if err != nil || dev.UserID != "alice" || len(dev.ApplicationIDs) != 1 || dev.ApplicationIDs[0] != a.ID {
		t.Fatalf("device scope %+v %v", dev, err)
	}
	if _, err := svc.Read(ctx, dev, bob.ID); !errors.Is(err, ErrMessageNotFound) {
		t.Fatalf("alice reads bob's message: %v", err)
	}
	if _, err := svc.List(ctx, dev, ListQuery{UserID: "bob"}); !errors.Is(err, ErrMessageNotFound) {
		t.Fatalf("alice lists bob's messages: %v", err)
	}
	if _, err := svc.DeviceScope(ctx, "gone", "alice"); !errors.Is(err, ErrAppNotFound) {
		t.Fatalf("device scope of an unknown application: %v", err)
	}
	read, err := svc.Read(ctx, dev, ma.ID)
	if err != nil || !read.ReadAt.Equal(now) {
		t.Fatalf("read: %+v %v", read, err)
	}
}

// TestNotifyFailureDoesNotFailThePost: a failing notifier is logged, the
// message stays posted.
func TestNotifyFailureDoesNotFailThePost(t *testing.T) {
	st := teststore.SQLite(t)
	newApp(t, st, "bank")
	n := &failingNotifier{}
	svc := New(Options{Store: st, Notifier: n})
	m := valid()
	m.Notify = true
	out, err := svc.Create(context.Background(), Scope{All: true}, m)
	if err != nil || n.calls != 1 {
		t.Fatalf("post with a failing notifier: %v, %d calls", err, n.calls)
	}
	if _, err := svc.Detail(context.Background(), Scope{All: true}, out.ID); err != nil {
		t.Fatalf("the message is not stored: %v", err)
	}
	m.Notify = false
	if _, err := svc.Create(context.Background(), Scope{All: true}, m); err != nil || n.calls != 1 {
		t.Fatalf("post without notify: %v, %d calls", err, n.calls)
	}
}
