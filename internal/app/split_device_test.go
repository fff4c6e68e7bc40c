package app

import (
	"context"
	"encoding/base64"
	"net/http"
	"testing"

	"github.com/mauth/mauth/client"
	"github.com/mauth/mauth/internal/coreclient"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/testutil/pgtest"
	"github.com/mauth/mauth/protocol"
)

// userAgentTransport sends every request with a fixed User-Agent, as the
// PowerAuth networking library of a mobile SDK does.
type userAgentTransport struct{ ua string }

func (u userAgentTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("User-Agent", u.ua)
	return http.DefaultTransport.RoundTrip(r)
}

// TestSplitDeploymentStoresDeviceInfo activates a device through an
// enrollment server in front of a core (SQLite and PostgreSQL cores): the
// enrollment server forwards the device's User-Agent to the core, which
// stores the device information parsed from it, not the enrollment
// server's own User-Agent.
func TestSplitDeploymentStoresDeviceInfo(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testSplitDeploymentStoresDeviceInfo(t, testConfig(t, RoleCore)) })
	t.Run("postgres", func(t *testing.T) {
		c := testConfig(t, RoleCore)
		c.DatabaseURL = pgtest.NewDatabase(t)
		c.ServerKey = base64.StdEncoding.EncodeToString(secretbox.GenerateKey())
		testSplitDeploymentStoresDeviceInfo(t, c)
	})
}

func testSplitDeploymentStoresDeviceInfo(t *testing.T, cc Config) {
	ctx := context.Background()
	core := start(t, cc)
	admin := core.admin(t)
	integ, err := admin.CreateIntegration(ctx, "enrollment")
	if err != nil {
		t.Fatal(err)
	}
	ec := testConfig(t, RoleEnrollment)
	ec.CoreURL = "http://" + core.PrivateAddr().String()
	ec.CoreClientToken, ec.CoreClientSecret = integ.ClientToken, integ.ClientSecret
	enr := start(t, ec)

	const ua = "PowerAuthNetworking/1.1.7 (en; cellular) com.wultra.app.Mobile-Token.wultra_test/2.0.0 (Apple; iOS/16.6.1; iphone12,3)"
	if _, err := admin.CreateApplication(ctx, "split-device"); err != nil {
		t.Fatal(err)
	}
	d, err := admin.ApplicationDetail(ctx, "split-device")
	if err != nil {
		t.Fatal(err)
	}
	cfg := client.Config{BaseURL: "http://" + enr.PublicAddr().String(), Version: protocol.Version33, HTTPClient: &http.Client{Transport: userAgentTransport{ua}}}
	if err := cfg.FromSDKConfig(d.Versions[0].MobileSdkConfig); err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	init, err := admin.InitActivation(ctx, coreclient.InitActivationRequest{UserID: "alice", ApplicationID: "split-device"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.ActivateWithCode(ctx, init.ActivationCode+"#"+init.ActivationSignature, "1234", client.ActivationOptions{Name: "phone"})
	if err != nil {
		t.Fatalf("activate: %v", err)
	}
	a, err := core.Store.GetActivation(ctx, res.Device.ActivationID)
	if err != nil {
		t.Fatal(err)
	}
	if a.UserAgent != ua {
		t.Fatalf("the core stored the User-Agent %q, want the device's %q", a.UserAgent, ua)
	}
	if a.Device.Model != "iphone12,3" || a.Device.OS != "iOS" || a.Device.OSVersion != "16.6.1" || a.Device.OSMajor != 16 || a.Device.AppVersion != "2.0.0" {
		t.Fatalf("device info parsed in the core: %+v", a.Device)
	}
}
