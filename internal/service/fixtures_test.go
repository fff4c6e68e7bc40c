package service

import (
	"context"
	"testing"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/testclock"
	"github.com/mauth/mauth/internal/testutil/teststore"
	"github.com/mauth/mauth/protocol"
)

// testClock is the shared test clock: real time plus an offset tests advance.
type testClock = testclock.Clock

// newTestService builds a Service on st with a fast Argon2 setting.
func newTestService(t testing.TB, st store.Store, cfg Config) (*Service, *testClock) {
	t.Helper()
	box, err := secretbox.New(secretbox.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RecoveryPUKHashMemoryKiB == 0 {
		cfg.RecoveryPUKHashMemoryKiB = 64
	}
	clock := &testClock{}
	svc, err := New(st, box, cfg, WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	return svc, clock
}

// newSQLiteService is newTestService on a fresh SQLite database.
func newSQLiteService(t testing.TB) (*Service, *testClock) {
	return newTestService(t, teststore.SQLite(t), Config{})
}

// testApp is an application created through the service, with what a
// device needs to talk to it.
type testApp struct {
	App     domain.Application
	Version domain.ApplicationVersion
	Master  *protocol.PublicKey
}

func createTestApp(t testing.TB, svc *Service) testApp {
	t.Helper()
	ctx := context.Background()
	app, err := svc.CreateApplication(ctx, "app-"+protocol.GenerateActivationCode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := svc.GetApplicationDetail(ctx, app.Name)
	if err != nil {
		t.Fatal(err)
	}
	master, err := protocol.ParsePublicKey(d.MasterPublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return testApp{App: app, Version: d.Versions[0], Master: master}
}
