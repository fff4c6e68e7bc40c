package e2e

import (
	"context"
	"net/http"
	"reflect"
	"testing"

	"github.com/mauth/mauth/client"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/teststore"
	"github.com/mauth/mauth/protocol"
)

// userAgentTransport sends every request with the User-Agent of a mobile
// SDK's networking layer.
type userAgentTransport struct {
	ua   string
	next http.RoundTripper
}

func (u userAgentTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("User-Agent", u.ua)
	return u.next.RoundTrip(r)
}

// TestDeviceInfoThroughPublicAPI: a device activates through the public
// API (/pa/v3/activation/create) with the User-Agent the iOS SDK's
// networking layer sends; the bank sees the parsed device in the private
// API's activation/status and finds it by platform and OS version in
// activation/list. A device with an unknown User-Agent activates too, its
// User-Agent stored raw. In-process deployment, both backends.
func TestDeviceInfoThroughPublicAPI(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		e := newEnv(t, st, InProcess)
		app := e.newApp(t, "e2e-device-info")
		activate := func(ua string, opts client.ActivationOptions) string {
			t.Helper()
			qr, id := e.initActivation(t, app, "dora", nil)
			saved := e.http
			e.http = &http.Client{Timeout: testTimeout, Transport: userAgentTransport{ua: ua, next: http.DefaultTransport}}
			c := e.device(t, app, protocol.Version33)
			e.http = saved
			if _, err := c.ActivateWithCode(context.Background(), qr, "1234", opts); err != nil {
				t.Fatalf("activate: %v", err)
			}
			e.commit(t, id)
			return id
		}
		const iosUA = "PowerAuthNetworking/1.1.7 (en; wifi) com.wultra.app.MobileToken.wtest/2.0.0 (Apple; iOS/16.7.1; iphone10,6)"
		const oddUA = "BankApp/7 (custom build)"
		ios := activate(iosUA, client.ActivationOptions{Name: "phone", Platform: "ios", DeviceInfo: "iPhone10,6"})
		odd := activate(oddUA, client.ActivationOptions{Name: "other", Platform: "android", DeviceInfo: "Google Pixel 7"})

		s := e.coreStatus(t, ios)
		want := map[string]any{
			"manufacturer": "Apple", "model": "iphone10,6", "os": "iOS", "osVersion": "16.7.1", "osMajorVersion": float64(16),
			"appId": "com.wultra.app.MobileToken.wtest", "appVersion": "2.0.0", "sdkName": "PowerAuthNetworking", "sdkVersion": "1.1.7",
		}
		if !reflect.DeepEqual(s["device"], want) || s["userAgent"] != iosUA || s["platform"] != "ios" || s["deviceInfo"] != "iPhone10,6" {
			t.Fatalf("status: device %v, userAgent %v, platform %v, deviceInfo %v", s["device"], s["userAgent"], s["platform"], s["deviceInfo"])
		}
		s = e.coreStatus(t, odd)
		if _, has := s["device"]; has || s["userAgent"] != oddUA || s["deviceInfo"] != "Google Pixel 7" || s["activationStatus"] != "ACTIVE" {
			t.Fatalf("unknown User-Agent: %v", s)
		}
		list := e.private(t, "activation/list", map[string]any{"userId": "dora", "platforms": []string{"ios"}, "osVersionPrefix": "16.7"})
		items := list["activations"].([]any)
		if len(items) != 1 || items[0].(map[string]any)["activationId"] != ios {
			t.Fatalf("filter by platform and OS version: %v", items)
		}
		list = e.private(t, "activation/list", map[string]any{"userId": "dora", "osMajorVersion": 17})
		if items := list["activations"].([]any); len(items) != 0 {
			t.Fatalf("no device on iOS 17: %v", items)
		}
	})
}
