package service

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/teststore"
	"github.com/mauth/mauth/protocol"
)

// startTestUpgrade runs upgrade/start as a device and returns CTR_DATA.
func startTestUpgrade(t testing.TB, svc *Service, ta encTestActivation) ([]byte, error) {
	t.Helper()
	req, env := encryptForServer(t, ta.ServerPub, ta.eciesContext(protocol.Version32, protocol.SharedInfo1Upgrade, ""), []byte("{}"), svc.Now())
	resp, err := svc.StartUpgrade(context.Background(), StartUpgradeInput{ActivationID: ta.ID, ApplicationKey: ta.App.Version.ApplicationKey, Request: req})
	if err != nil {
		return nil, err
	}
	var p struct{ CtrData string }
	if err := json.Unmarshal(decryptFromServer(t, env, resp), &p); err != nil {
		t.Fatal(err)
	}
	ctr, err := base64.StdEncoding.DecodeString(p.CtrData)
	if err != nil || len(ctr) != protocol.CtrDataSize {
		t.Fatalf("ctrData %q: %v", p.CtrData, err)
	}
	return ctr, nil
}

func TestActivationUpgrade(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		svc, _ := newTestService(t, st, Config{})
		ctx := context.Background()
		app := createTestApp(t, svc)
		ta := newEncTestActivation(t, svc, app, domain.ActivationActive, 2)

		// Commit before start: no counter yet.
		if _, err := svc.CommitUpgrade(ctx, ta.ID, app.Version.ApplicationKey); CodeOf(err) != CodeActivationIncorrectState {
			t.Fatalf("commit before start: %v", err)
		}
		ctr, err := startTestUpgrade(t, svc, ta)
		if err != nil {
			t.Fatal(err)
		}
		// Retries, also concurrent ones, get the same counter.
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				again, err := startTestUpgrade(t, svc, ta)
				if err != nil || string(again) != string(ctr) {
					t.Errorf("retry: %v", err)
				}
			})
		}
		wg.Wait()
		a, err := st.GetActivation(ctx, ta.ID)
		if err != nil || string(a.CtrData) != string(ctr) || a.Version != 2 {
			t.Fatalf("after start: %+v %v", a, err)
		}
		committed, err := svc.CommitUpgrade(ctx, ta.ID, app.Version.ApplicationKey)
		if err != nil || !committed {
			t.Fatalf("commit: %v %v", committed, err)
		}
		a, err = st.GetActivation(ctx, ta.ID)
		if err != nil || a.Version != 3 || string(a.CtrData) != string(ctr) {
			t.Fatalf("after commit: %+v %v", a, err)
		}
		hist, err := st.ListActivationHistory(ctx, ta.ID, time.Time{}, time.Time{})
		if err != nil || len(hist) != 1 || hist[0].EventReason != domain.EventReasonActivationVersionChanged || hist[0].ActivationVersion != 3 || hist[0].Status != domain.ActivationActive {
			t.Fatalf("history %+v: %v", hist, err)
		}
		// Version 3 activations are rejected.
		if _, err := startTestUpgrade(t, svc, ta); CodeOf(err) != CodeActivationIncorrectState {
			t.Fatalf("start on v3: %v", err)
		}
		if _, err := svc.CommitUpgrade(ctx, ta.ID, app.Version.ApplicationKey); CodeOf(err) != CodeActivationIncorrectState {
			t.Fatalf("commit on v3: %v", err)
		}
	})
}

func TestActivationUpgradeRejects(t *testing.T) {
	svc, _ := newSQLiteService(t)
	ctx := context.Background()
	app := createTestApp(t, svc)
	otherApp := createTestApp(t, svc)
	blocked := newEncTestActivation(t, svc, app, domain.ActivationBlocked, 2)
	ta := newEncTestActivation(t, svc, app, domain.ActivationActive, 2)

	if _, err := startTestUpgrade(t, svc, blocked); CodeOf(err) != CodeActivationIncorrectState {
		t.Fatalf("blocked: %v", err)
	}
	if _, err := svc.CommitUpgrade(ctx, blocked.ID, app.Version.ApplicationKey); CodeOf(err) != CodeActivationIncorrectState {
		t.Fatalf("commit blocked: %v", err)
	}
	req, _ := encryptForServer(t, ta.ServerPub, ta.eciesContext(protocol.Version32, protocol.SharedInfo1Upgrade, ""), []byte("{}"), svc.Now())
	if _, err := svc.StartUpgrade(ctx, StartUpgradeInput{ActivationID: ta.ID, ApplicationKey: otherApp.Version.ApplicationKey, Request: req}); CodeOf(err) != CodeInvalidApplication {
		t.Fatalf("other application: %v", err)
	}
	if _, err := svc.StartUpgrade(ctx, StartUpgradeInput{ActivationID: "9b7c8a1e-0000-4000-8000-000000000000", ApplicationKey: app.Version.ApplicationKey, Request: req}); CodeOf(err) != CodeActivationNotFound {
		t.Fatalf("unknown activation: %v", err)
	}
	wrong, _ := encryptForServer(t, ta.ServerPub, ta.eciesContext(protocol.Version32, protocol.SharedInfo1TokenCreate, ""), []byte("{}"), svc.Now())
	if _, err := svc.StartUpgrade(ctx, StartUpgradeInput{ActivationID: ta.ID, ApplicationKey: app.Version.ApplicationKey, Request: wrong}); CodeOf(err) != CodeDecryptionFailed {
		t.Fatalf("wrong use case: %v", err)
	}
	// A failed start leaves no counter behind.
	a, err := svc.store.GetActivation(ctx, ta.ID)
	if err != nil || len(a.CtrData) != 0 {
		t.Fatalf("counter after failures: %v", err)
	}
	if _, err := svc.CommitUpgrade(ctx, ta.ID, otherApp.Version.ApplicationKey); CodeOf(err) != CodeActivationIncorrectState {
		t.Fatalf("commit without start: %v", err)
	}
}
