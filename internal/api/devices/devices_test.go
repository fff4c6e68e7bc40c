package devices_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mauth/mauth/client"
	"github.com/mauth/mauth/internal/api/devices"
	"github.com/mauth/mauth/internal/api/public"
	"github.com/mauth/mauth/internal/api/render"
	"github.com/mauth/mauth/internal/app"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/internal/service/servicetest"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/apicontract"
	"github.com/mauth/mauth/internal/testutil/teststore"
	"github.com/mauth/mauth/openapi"
	"github.com/mauth/mauth/protocol"
)

const (
	pin         = "9562"
	testTimeout = 5 * time.Minute
)

// env is the core on a real database with the public API and the device
// API mounted as `mauth serve` mounts them, behind the OpenAPI checker.
type env struct {
	svc *service.Service
	url string
}

func newEnv(t *testing.T, st store.Store) *env {
	t.Helper()
	e := &env{svc: servicetest.New(t, servicetest.Options{Store: st}).Service}
	pub := public.New(e.svc, public.Options{})
	mux := http.NewServeMux()
	mux.Handle("/", pub.Handler())
	app.MountDevices(mux, e.svc, devices.Options{Middleware: pub.Middleware()})
	// As in `mauth serve`: the whole public surface records the caller's
	// IP and user agent for the audit log.
	srv := httptest.NewServer(apicontract.New(t, "openapi/public.yaml", openapi.Public).Wrap(render.WithRequestInfo("public-api", mux)))
	t.Cleanup(srv.Close)
	e.url = srv.URL
	return e
}

// phone is an activated device with its client.
type phone struct {
	c *client.Client
	d *client.Device
}

// app creates an application and returns its SDK configuration.
func (e *env) app(t *testing.T, name string) string {
	t.Helper()
	ctx := context.Background()
	if _, err := e.svc.CreateApplication(ctx, name, nil); err != nil {
		t.Fatal(err)
	}
	d, err := e.svc.GetApplicationDetail(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	return d.SDKConfig(d.Versions[0])
}

// activate activates a committed device of the user in the application.
func (e *env) activate(t *testing.T, sdk, appName, user, name string) *phone {
	t.Helper()
	ctx := context.Background()
	cfg := client.Config{BaseURL: e.url, Version: protocol.Version33, HTTPClient: &http.Client{Timeout: testTimeout}}
	if err := cfg.FromSDKConfig(sdk); err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	init, err := e.svc.InitActivation(ctx, service.InitActivationInput{UserID: user, ApplicationID: appName})
	if err != nil {
		t.Fatalf("init: %v", err)
	}
	res, err := c.ActivateWithCode(ctx, init.ActivationCode, pin, client.ActivationOptions{Name: name, Platform: "android"})
	if err != nil {
		t.Fatalf("activate: %v", err)
	}
	if _, err := e.svc.CommitActivation(ctx, res.Device.ActivationID, "", ""); err != nil {
		t.Fatalf("commit: %v", err)
	}
	return &phone{c: c, d: res.Device}
}

// status is the activation's state in the core.
func (e *env) status(t *testing.T, id string) domain.Activation {
	t.Helper()
	st, err := e.svc.GetActivationStatus(context.Background(), id, nil)
	if err != nil {
		t.Fatal(err)
	}
	return st.Activation.Activation
}

func wantAPIError(t *testing.T, err error, status int, code string) {
	t.Helper()
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.HTTPStatus != status || ae.Code != code {
		t.Fatalf("got %v, want HTTP %d %s", err, status, code)
	}
}

// TestUserDevices: a user lists their devices from one of them, and
// blocks and removes another with a two-factor signature; other users'
// and other applications' devices are invisible (404), a token or a
// possession-only signature never changes a device.
func TestUserDevices(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		e := newEnv(t, st)
		ctx := context.Background()
		sdk, sdk2 := e.app(t, "bank"), e.app(t, "broker")
		a := e.activate(t, sdk, "bank", "alice", "alice phone")
		b := e.activate(t, sdk, "bank", "alice", "alice tablet")
		x := e.activate(t, sdk, "bank", "bob", "bob phone")
		other := e.activate(t, sdk2, "broker", "alice", "alice broker")
		tok, err := a.c.CreateToken(ctx, a.d, client.PossessionKnowledge(pin))
		if err != nil {
			t.Fatalf("token: %v", err)
		}

		list, err := a.c.ListDevices(ctx, tok)
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		got := map[string]client.UserDevice{}
		for _, d := range list {
			got[d.ActivationID] = d
		}
		if len(list) != 2 || !got[a.d.ActivationID].Current || got[b.d.ActivationID].Current {
			t.Fatalf("alice's devices in bank: %+v", list)
		}
		if d := got[b.d.ActivationID]; d.Name != "alice tablet" || d.Platform != "android" || d.Status != "ACTIVE" || d.Created == "" {
			t.Fatalf("tablet listed as %+v", d)
		}

		// Never a token or one factor; never another user's or application's device.
		_, err = a.c.ListDevices(ctx, nil)
		if err == nil {
			t.Fatal("list without a token")
		}
		wantAPIError(t, a.c.BlockDevice(ctx, a.d, client.Possession, b.d.ActivationID), http.StatusUnauthorized, "POWERAUTH_AUTH_FAIL")
		for _, target := range []string{x.d.ActivationID, other.d.ActivationID, "8b7c2f44-0000-4000-8000-000000000000"} {
			wantAPIError(t, a.c.BlockDevice(ctx, a.d, client.PossessionKnowledge(pin), target), http.StatusNotFound, devices.CodeNotFound)
			wantAPIError(t, a.c.RemoveDevice(ctx, a.d, client.PossessionKnowledge(pin), target), http.StatusNotFound, devices.CodeNotFound)
		}
		wantAPIError(t, a.c.BlockDevice(ctx, a.d, client.PossessionKnowledge(pin), a.d.ActivationID), http.StatusBadRequest, devices.CodeInvalidRequest)
		for _, p := range []*phone{b, x, other} {
			if s := e.status(t, p.d.ActivationID).Status; s != domain.ActivationActive {
				t.Fatalf("a refused request changed %s to %s", p.d.ActivationID, s)
			}
		}

		// Block, then remove, the tablet.
		if err := a.c.BlockDevice(ctx, a.d, client.PossessionKnowledge(pin), b.d.ActivationID); err != nil {
			t.Fatalf("block: %v", err)
		}
		if s := e.status(t, b.d.ActivationID); s.Status != domain.ActivationBlocked || s.BlockedReason != devices.BlockedReason {
			t.Fatalf("tablet after block: %s %s", s.Status, s.BlockedReason)
		}
		if err := b.c.ValidateSignature(ctx, b.d, client.PossessionKnowledge(pin), []byte(`{}`)); err == nil {
			t.Fatal("the blocked tablet still signs")
		}
		if err := a.c.RemoveDevice(ctx, a.d, client.PossessionBiometry, b.d.ActivationID); err != nil {
			t.Fatalf("remove: %v", err)
		}
		if s := e.status(t, b.d.ActivationID).Status; s != domain.ActivationRemoved {
			t.Fatalf("tablet after remove: %s", s)
		}
		wantAPIError(t, a.c.RemoveDevice(ctx, a.d, client.PossessionKnowledge(pin), b.d.ActivationID), http.StatusNotFound, devices.CodeNotFound)
		list, err = a.c.ListDevices(ctx, tok)
		if err != nil || len(list) != 1 || list[0].ActivationID != a.d.ActivationID {
			t.Fatalf("after remove: %+v, %v", list, err)
		}
	})
}

// TestUserActivity: the user's signatures, device and operation changes in
// the application, newest first, paged, with the request's IP; other
// users' and other applications' events are left out.
func TestUserActivity(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		e := newEnv(t, st)
		ctx := context.Background()
		sdk, sdk2 := e.app(t, "bank"), e.app(t, "broker")
		a := e.activate(t, sdk, "bank", "alice", "alice phone")
		b := e.activate(t, sdk, "bank", "alice", "alice tablet")
		x := e.activate(t, sdk, "bank", "bob", "bob phone")
		other := e.activate(t, sdk2, "broker", "alice", "alice broker")
		if err := a.c.ValidateSignature(ctx, a.d, client.PossessionKnowledge(pin), []byte(`{"login":1}`)); err != nil {
			t.Fatalf("signature: %v", err)
		}
		if err := a.c.ValidateSignature(ctx, a.d, client.PossessionKnowledge("0000"), []byte(`{"login":2}`)); err == nil {
			t.Fatal("wrong PIN accepted")
		}
		for _, p := range []*phone{x, other} {
			if err := p.c.ValidateSignature(ctx, p.d, client.PossessionKnowledge(pin), []byte(`{}`)); err != nil {
				t.Fatalf("signature: %v", err)
			}
		}
		if err := a.c.BlockDevice(ctx, a.d, client.PossessionKnowledge(pin), b.d.ActivationID); err != nil {
			t.Fatalf("block: %v", err)
		}
		tok, err := a.c.CreateToken(ctx, a.d, client.PossessionKnowledge(pin))
		if err != nil {
			t.Fatalf("token: %v", err)
		}

		all, next, err := a.c.ListActivity(ctx, tok, 100, "")
		if err != nil || next != "" {
			t.Fatalf("activity: %v (next %q)", err, next)
		}
		var failed, blocked, okSigs int
		for i, act := range all {
			if act.ActivationID != a.d.ActivationID && act.ActivationID != b.d.ActivationID {
				t.Fatalf("activity of another user or application: %+v", act)
			}
			if i > 0 && parseTime(t, act.Timestamp).After(parseTime(t, all[i-1].Timestamp)) {
				t.Fatalf("not newest first: %s after %s", act.Timestamp, all[i-1].Timestamp)
			}
			switch {
			case act.Kind == "SIGNATURE" && act.Result == "FAILED":
				failed++
				if act.IP != "127.0.0.1" || act.DeviceName != "alice phone" {
					t.Fatalf("failed signature recorded as %+v", act)
				}
			case act.Kind == "SIGNATURE" && act.Result == "OK":
				okSigs++
			case act.Kind == "DEVICE" && act.Result == "BLOCKED":
				blocked++
				if act.ActivationID != b.d.ActivationID || act.DeviceName != "alice tablet" {
					t.Fatalf("block recorded as %+v", act)
				}
			}
		}
		// Signatures: validate, block, token create.
		if failed != 1 || blocked != 1 || okSigs != 3 {
			t.Fatalf("activity: %d failed, %d blocked, %d signatures; want 1, 1, 3: %+v", failed, blocked, okSigs, all)
		}

		// Paged by 2: the same events in the same order.
		var paged []client.Activity
		before := ""
		for range len(all) {
			page, n, err := a.c.ListActivity(ctx, tok, 2, before)
			if err != nil {
				t.Fatalf("page: %v", err)
			}
			paged = append(paged, page...)
			if n == "" {
				break
			}
			before = n
		}
		if len(paged) != len(all) {
			t.Fatalf("paged %d events, listed %d", len(paged), len(all))
		}
		for i := range all {
			if paged[i] != all[i] {
				t.Fatalf("page item %d %+v, want %+v", i, paged[i], all[i])
			}
		}
		_, _, err = a.c.ListActivity(ctx, tok, 101, "")
		wantAPIError(t, err, http.StatusBadRequest, devices.CodeInvalidRequest)
		_, _, err = a.c.ListActivity(ctx, tok, 0, "yesterday")
		wantAPIError(t, err, http.StatusBadRequest, devices.CodeInvalidRequest)
	})
}

func parseTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("timestamp %q: %v", s, err)
	}
	return v
}
