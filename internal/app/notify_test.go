package app

import (
	"context"
	"sync"
	"testing"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/push"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/teststore"
)

type fakeDevices struct{ devices []push.Device }

func (f fakeDevices) Devices(_ context.Context, app, user string) ([]push.Device, error) {
	var out []push.Device
	for _, d := range f.devices {
		if d.ApplicationID == app && d.UserID == user {
			out = append(out, d)
		}
	}
	return out, nil
}

// A created operation reaches the push sender for each registered device
// of its user in the operation's applications, resolved by name.
func TestPushNotifierMapsOperation(t *testing.T) {
	ctx := context.Background()
	st := teststore.SQLite(t)
	var sent []push.Device
	var mu sync.Mutex
	sender := push.SenderFunc(func(_ context.Context, d push.Device, _ push.Message) error {
		mu.Lock()
		sent = append(sent, d)
		mu.Unlock()
		return nil
	})
	devices := fakeDevices{devices: []push.Device{
		{ActivationID: "a1", UserID: "alice", ApplicationID: "bank", Platform: push.PlatformAPNs, Token: "t1"},
		{ActivationID: "a2", UserID: "bob", ApplicationID: "bank", Platform: push.PlatformFCM, Token: "t2"},
	}}
	p := newPushNotifier(st, nil)
	p.n = push.NewNotifier(devices, sender, nil)
	var appID int64
	if err := st.InTx(ctx, func(tx store.Tx) error {
		a := domain.Application{Name: "bank"}
		err := tx.CreateApplication(ctx, &a)
		appID = a.ID
		return err
	}); err != nil {
		t.Fatal(err)
	}
	p.OperationCreated(ctx, domain.Operation{ID: "op1", UserID: "alice", ApplicationIDs: []int64{appID}, OperationType: "payment"})
	if len(sent) != 1 || sent[0].ActivationID != "a1" {
		t.Fatalf("sent to %+v, want alice's device a1 only", sent)
	}
	// A claimable operation (no user) is announced to nobody.
	p.OperationCreated(ctx, domain.Operation{ID: "op2", ApplicationIDs: []int64{appID}})
	if len(sent) != 1 {
		t.Fatalf("user-less operation was pushed: %+v", sent)
	}
}
