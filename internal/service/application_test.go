package service

import (
	"context"
	"testing"

	"github.com/mauth/mauth/protocol"
)

func TestCreateApplication(t *testing.T) {
	svc, _ := newSQLiteService(t)
	ctx := context.Background()
	ta := createTestApp(t, svc)
	if ta.Version.Name != DefaultVersionName || !ta.Version.Supported || len(ta.Version.ApplicationKey) != 24 || len(ta.Version.ApplicationSecret) != 24 {
		t.Fatalf("default version: %+v", ta.Version)
	}
	if _, err := svc.CreateApplication(ctx, ta.App.Name, nil); CodeOf(err) != CodeDuplicateApplication {
		t.Fatalf("duplicate: %v", err)
	}
	if _, err := svc.CreateApplication(ctx, " ", nil); CodeOf(err) != CodeInvalidRequest {
		t.Fatalf("blank name: %v", err)
	}
	// The master private key is usable: it signs what the public key verifies.
	mk, _, err := svc.masterKey(ctx, svc.store, ta.App)
	if err != nil {
		t.Fatal(err)
	}
	if !mk.Public().Equal(ta.Master) {
		t.Fatal("master key pair mismatch")
	}
	v2, err := svc.CreateApplicationVersion(ctx, ta.App.Name, "2.0")
	if err != nil || v2.ApplicationKey == ta.Version.ApplicationKey {
		t.Fatalf("version: %+v %v", v2, err)
	}
	if _, err := svc.CreateApplicationVersion(ctx, ta.App.Name, "2.0"); CodeOf(err) != CodeDuplicateApplication {
		t.Fatalf("duplicate version: %v", err)
	}
	if _, err := svc.CreateApplicationVersion(ctx, "nope", "2.0"); CodeOf(err) != CodeInvalidApplication {
		t.Fatalf("unknown app: %v", err)
	}
	v, err := svc.SetApplicationVersionSupported(ctx, ta.App.Name, "2.0", false)
	if err != nil || v.Supported {
		t.Fatalf("unsupport: %+v %v", v, err)
	}
	app, ver, err := svc.LookupApplicationByKey(ctx, v2.ApplicationKey)
	if err != nil || app.ID != ta.App.ID || ver.Supported {
		t.Fatalf("lookup: %v", err)
	}
	d, err := svc.GetApplicationDetail(ctx, ta.App.Name)
	if err != nil || len(d.Versions) != 2 {
		t.Fatalf("detail: %v", err)
	}
	cfg, err := protocol.ParseSDKConfig(d.SDKConfig(d.Versions[0]))
	if err != nil || !ta.Master.Equal(mustPub(t, cfg.MasterPublicKey)) {
		t.Fatalf("sdk config: %v", err)
	}
}

func mustPub(t testing.TB, b []byte) *protocol.PublicKey {
	t.Helper()
	k, err := protocol.ParsePublicKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestApplicationErrors(t *testing.T) {
	svc, _ := newSQLiteService(t)
	ctx := context.Background()
	ta := createTestApp(t, svc)
	other := createTestApp(t, svc)
	apps, err := svc.ListApplications(ctx)
	if err != nil || len(apps) != 2 || apps[0].Name != ta.App.Name || apps[1].Name != other.App.Name {
		t.Fatalf("list: %+v %v", apps, err)
	}
	// A version name is scoped to its application.
	if _, err := svc.SetApplicationVersionSupported(ctx, other.App.Name, DefaultVersionName, false); err != nil {
		t.Fatal(err)
	}
	d, _ := svc.GetApplicationDetail(ctx, ta.App.Name)
	if !d.Versions[0].Supported {
		t.Fatal("unsupporting another application's version changed this one")
	}
	v, err := svc.SetApplicationVersionSupported(ctx, other.App.Name, DefaultVersionName, true)
	if err != nil || !v.Supported {
		t.Fatalf("support: %+v %v", v, err)
	}
	for _, c := range []struct {
		name string
		err  error
		code string
	}{
		{"detail unknown", appErrOf(svc.GetApplicationDetail(ctx, "nope")), CodeInvalidApplication},
		{"detail empty", appErrOf(svc.GetApplicationDetail(ctx, "")), CodeNoApplicationID},
		{"lookup unknown key", appErrOf3(svc.LookupApplicationByKey(ctx, "AAAAAAAAAAAAAAAAAAAAAA==")), CodeInvalidApplication},
		{"support unknown version", appErrOf(svc.SetApplicationVersionSupported(ctx, ta.App.Name, "9.9", true)), CodeInvalidApplication},
		{"support unknown app", appErrOf(svc.SetApplicationVersionSupported(ctx, "nope", DefaultVersionName, true)), CodeInvalidApplication},
		{"version blank", appErrOf(svc.CreateApplicationVersion(ctx, ta.App.Name, "")), CodeInvalidRequest},
		{"version too long", appErrOf(svc.CreateApplicationVersion(ctx, ta.App.Name, string(make([]byte, maxNameLength+1)))), CodeInvalidRequest},
	} {
		if CodeOf(c.err) != c.code {
			t.Errorf("%s: %v, want %s", c.name, c.err, c.code)
		}
	}
}

func appErrOf3[A, B any](_ A, _ B, err error) error { return err }
