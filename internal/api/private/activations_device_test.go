package private

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/teststore"
	"github.com/mauth/mauth/protocol"
)

// User-Agents of the PowerAuth networking libraries of the current iOS and
// Android SDKs (the samples of Wultra's own server-side parser test,
// com.wultra.core.http.common.headers.UserAgentTest).
const (
	uaIOS16     = "PowerAuthNetworking/1.1.7 (en; cellular) com.wultra.app.Mobile-Token.wultra_test/2.0.0 (Apple; iOS/16.6.1; iphone12,3)"
	uaAndroid13 = "PowerAuthNetworking/1.2.1 (uk; wifi) com.wultra.android.mtoken.gdnexttest/1.0.0-gdnexttest (samsung; Android/13; SM-A047F)"
	uaIOS17     = "PowerAuthNetworking/1.1.7 (en; wifi) com.wultra.app.MobileToken.wtest/2.0.0 (Apple; iOS/17.1; iphone15,2)"
	uaUnknown   = "Mozilla/5.0 (Linux; U; rare device) SomethingElse"
)

// TestActivationHTTPDeviceInfo: the key exchange stores the User-Agent and
// the device attributes parsed from it; activation/status and the lists
// show them; activation/list and activation/lookup filter by platform and
// OS version; an unknown User-Agent is stored raw and never rejected. On
// both backends.
func TestActivationHTTPDeviceInfo(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		ts := newTestServerOn(t, st, service.Config{RecoveryPUKHashMemoryKiB: 64}, Options{})
		app := ts.createApp(t)
		activate := func(ua, platform, deviceInfo string) string {
			t.Helper()
			init := actInitHTTP(t, ts, app, nil)
			p := newActHTTPDevice(t).payload("")
			p["platform"], p["deviceInfo"] = platform, deviceInfo
			body, _ := actEncryptHTTP(t, ts, app, protocol.Version32, p)
			ts.UserAgent = ua
			ts.ok(t, "activation/prepare", actMerge(body, map[string]any{"activationCode": init["activationCode"], "applicationKey": app.ApplicationKey}))
			ts.UserAgent = ""
			return init["activationId"].(string)
		}
		ios16 := activate(uaIOS16, "ios", "iPhone12,3")
		android13 := activate(uaAndroid13, "android", "samsung SM-A047F")
		ios17 := activate(uaIOS17, "ios", "iPhone15,2")
		unknown := activate(uaUnknown, "", "")

		s := ts.ok(t, "activation/status", map[string]any{"activationId": ios16})
		want := map[string]any{
			"manufacturer": "Apple", "model": "iphone12,3", "os": "iOS", "osVersion": "16.6.1", "osMajorVersion": float64(16),
			"appId": "com.wultra.app.Mobile-Token.wultra_test", "appVersion": "2.0.0", "sdkName": "PowerAuthNetworking", "sdkVersion": "1.1.7",
		}
		if !reflect.DeepEqual(s["device"], want) || s["userAgent"] != uaIOS16 || s["platform"] != "ios" || s["deviceInfo"] != "iPhone12,3" {
			t.Fatalf("status of the iOS device: device %v, userAgent %v, platform %v", s["device"], s["userAgent"], s["platform"])
		}
		s = ts.ok(t, "activation/status", map[string]any{"activationId": android13})
		if d, _ := s["device"].(map[string]any); d["manufacturer"] != "samsung" || d["model"] != "SM-A047F" || d["os"] != "Android" ||
			d["osMajorVersion"] != float64(13) || d["appVersion"] != "1.0.0-gdnexttest" {
			t.Fatalf("status of the Android device: %v", s["device"])
		}
		s = ts.ok(t, "activation/status", map[string]any{"activationId": unknown})
		if _, has := s["device"]; has || s["userAgent"] != uaUnknown || s["platform"] != "unknown" {
			t.Fatalf("unknown User-Agent: device %v, userAgent %v, platform %v", s["device"], s["userAgent"], s["platform"])
		}

		ids := func(ro map[string]any) []string {
			var out []string
			for _, it := range ro["activations"].([]any) {
				out = append(out, it.(map[string]any)["activationId"].(string))
			}
			return out
		}
		for _, tc := range []struct {
			name   string
			filter map[string]any
			want   []string
		}{
			{"platform, any letter case", map[string]any{"platforms": []string{"IOS"}}, []string{ios17, ios16}},
			{"platform and major OS version", map[string]any{"platforms": []string{"ios"}, "osMajorVersion": 16}, []string{ios16}},
			{"OS version prefix", map[string]any{"osVersionPrefix": "16.6"}, []string{ios16}},
			{"OS version prefix matches whole components", map[string]any{"osVersionPrefix": "1"}, nil},
			{"android", map[string]any{"platforms": []string{"android"}, "osMajorVersion": 13}, []string{android13}},
			{"raw platform", map[string]any{"platforms": []string{"unknown"}}, []string{unknown}},
			{"no filter", map[string]any{}, []string{unknown, ios17, android13, ios16}},
		} {
			list := ts.ok(t, "activation/list", actMerge(map[string]any{"userId": "alice", "applicationId": app.Name}, tc.filter))
			if got := ids(list); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("activation/list %s: %v, want %v", tc.name, got, tc.want)
			}
			look := ts.ok(t, "activation/lookup", actMerge(map[string]any{"userIds": []string{"alice"}, "applicationIds": []string{app.Name}}, tc.filter))
			if got := ids(look); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("activation/lookup %s: %v, want %v", tc.name, got, tc.want)
			}
		}
		list := ts.ok(t, "activation/list", map[string]any{"userId": "alice", "platforms": []string{"ios"}, "osMajorVersion": 17})
		item := list["activations"].([]any)[0].(map[string]any)
		if d, _ := item["device"].(map[string]any); item["userAgent"] != uaIOS17 || d["model"] != "iphone15,2" || d["osVersion"] != "17.1" {
			t.Fatalf("list item %v", item)
		}

		ts.fail(t, "activation/list", map[string]any{"userId": "alice", "osMajorVersion": 0}, http.StatusBadRequest, "ERR0024")
		ts.fail(t, "activation/list", map[string]any{"userId": "alice", "platforms": []string{" "}}, http.StatusBadRequest, "ERR0024")
		ts.fail(t, "activation/lookup", map[string]any{"userIds": []string{"alice"}, "osMajorVersion": -1}, http.StatusBadRequest, "ERR0024")
	})
}
