package push

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/teststore"
)

func TestParsePlatform(t *testing.T) {
	tests := map[string]Platform{"apns": PlatformAPNs, "iOS": PlatformAPNs, "fcm": PlatformFCM, "android": PlatformFCM, " HMS ": PlatformHMS, "huawei": PlatformHMS}
	for in, want := range tests {
		if got, ok := ParsePlatform(in); !ok || got != want {
			t.Errorf("ParsePlatform(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "aps", "windows"} {
		if _, ok := ParsePlatform(bad); ok {
			t.Errorf("ParsePlatform(%q) accepted", bad)
		}
	}
	if _, ok := ParseEnvironment("staging"); ok {
		t.Error("ParseEnvironment accepted staging")
	}
}

type recorder struct {
	mu   sync.Mutex
	sent []Device
	fail string
}

func (r *recorder) Send(_ context.Context, d Device, m Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if d.ActivationID == r.fail {
		return errors.New("provider down")
	}
	if m.Extras["messageType"] != MessageTypeOperationCreated || m.Extras["operationId"] == "" {
		return errors.New("bad message")
	}
	r.sent = append(r.sent, d)
	return nil
}

// newActivation stores an activation of user in app with a status.
func newActivation(t testing.TB, st store.Store, appID int64, id, user string, status domain.ActivationStatus) {
	t.Helper()
	ctx := context.Background()
	err := st.InTx(ctx, func(tx store.Tx) error {
		mk := &domain.MasterKeyPair{ApplicationID: appID, Name: "k-" + id, PrivateKeyEncrypted: []byte{1}, PublicKey: []byte{2}, Created: time.Now()}
		if err := tx.CreateMasterKeyPair(ctx, mk); err != nil {
			return err
		}
		return tx.CreateActivation(ctx, &domain.Activation{
			ActivationID: id, ApplicationID: appID, UserID: user, Status: status, MasterKeyPairID: mk.ID,
			Created: time.Now(), ActivationExpire: time.Now().Add(time.Hour), MaxFailedAttempts: 5,
		})
	})
	if err != nil {
		t.Fatalf("create activation: %v", err)
	}
}

func TestRegistryAndNotifier(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		app := domain.Application{Name: "push-app"}
		if err := st.InTx(ctx, func(tx store.Tx) error { return tx.CreateApplication(ctx, &app) }); err != nil {
			t.Fatal(err)
		}
		newActivation(t, st, app.ID, "act-1", "alice", domain.ActivationActive)
		newActivation(t, st, app.ID, "act-2", "alice", domain.ActivationActive)
		newActivation(t, st, app.ID, "act-3", "alice", domain.ActivationBlocked)
		newActivation(t, st, app.ID, "act-4", "bob", domain.ActivationActive)
		reg := NewRegistry(st, nil)
		for _, r := range []Registration{
			{ActivationID: "act-1", Platform: PlatformAPNs, Token: "t1", Environment: EnvironmentProduction},
			{ActivationID: "act-2", Platform: PlatformFCM, Token: "t2"},
			{ActivationID: "act-4", Platform: PlatformFCM, Token: "t4"},
		} {
			if err := reg.Register(ctx, r); err != nil {
				t.Fatalf("register %s: %v", r.ActivationID, err)
			}
		}
		if err := reg.Register(ctx, Registration{ActivationID: "act-3", Platform: PlatformFCM, Token: "t3"}); !errors.Is(err, ErrInvalidActivation) {
			t.Fatalf("blocked activation: %v", err)
		}
		if err := reg.Register(ctx, Registration{ActivationID: "missing", Platform: PlatformFCM, Token: "t"}); !errors.Is(err, ErrInvalidActivation) {
			t.Fatalf("missing activation: %v", err)
		}
		// The token moves to its newest activation.
		if err := reg.Register(ctx, Registration{ActivationID: "act-2", Platform: PlatformFCM, Token: "t4"}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.GetPushDevice(ctx, "act-4"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("act-4 keeps a taken token: %v", err)
		}
		d, err := reg.Device(ctx, "act-1")
		if err != nil || d.Platform != PlatformAPNs || d.Environment != EnvironmentProduction || d.ApplicationID != "push-app" || d.UserID != "alice" {
			t.Fatalf("device: %+v %v", d, err)
		}
		rec := &recorder{}
		n := NewNotifier(reg, rec, nil)
		if err := n.OperationCreated(ctx, Operation{ID: "op", UserID: "alice", Applications: []string{"push-app", "unknown-app"}}); err != nil {
			t.Fatal(err)
		}
		if len(rec.sent) != 2 || rec.sent[0].ActivationID != "act-1" || rec.sent[1].ActivationID != "act-2" {
			t.Fatalf("sent: %+v", rec.sent)
		}
		rec.sent = nil
		if err := n.OperationCreated(ctx, Operation{ID: "op", UserID: "alice", Applications: []string{"push-app"}, ActivationID: "act-2"}); err != nil || len(rec.sent) != 1 {
			t.Fatalf("bound operation: %v %+v", err, rec.sent)
		}
		rec.sent, rec.fail = nil, "act-1"
		if err := n.OperationCreated(ctx, Operation{ID: "op", UserID: "alice", Applications: []string{"push-app"}}); err == nil || len(rec.sent) != 1 {
			t.Fatalf("failing device: %v %+v", err, rec.sent)
		}
		if err := n.OperationCreated(ctx, Operation{ID: "op", Applications: []string{"push-app"}}); err != nil {
			t.Fatalf("user-less operation: %v", err)
		}
		if LogSender.Send(LogSender{}, ctx, d, Message{}) != nil {
			t.Fatal("log sender failed")
		}
	})
}
