package private

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/internal/restv3"
	"github.com/mauth/mauth/internal/service"
)

// TestForwardedDeviceUserAgent: the device User-Agent an enrollment server
// forwards replaces the caller's own in what the core records, but only on
// a call authenticated by an integration; without access control (nobody
// authenticated) the header is ignored.
func TestForwardedDeviceUserAgent(t *testing.T) {
	const device = "PowerAuthNetworking/1.2.1 (uk; wifi) com.wultra.android.mtoken/1.0.0 (samsung; Android/13; SM-A047F)"
	lastUserAgent := func(t *testing.T, ts *testServer) any {
		t.Helper()
		items := ts.ok(t, "audit/list", map[string]any{"type": "ADMIN_CHANGE", "limit": 1})["items"].([]any)
		require.Len(t, items, 1)
		return items[0].(map[string]any)["userAgent"]
	}
	tests := []struct {
		name     string
		restrict bool
		forward  string
		want     string
	}{
		{"authenticated integration", true, device, device},
		{"authenticated, capped", true, strings.Repeat("x", 600), strings.Repeat("x", maxDeviceUserAgent)},
		{"authenticated, no header", true, "", "mauth-coreclient/test"},
		{"access not restricted: ignored", false, device, "mauth-coreclient/test"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServerWith(t, service.Config{}, Options{RestrictAccess: tt.restrict})
			if tt.restrict {
				integ, err := ts.svc.CreateIntegration(t.Context(), "enrollment")
				require.NoError(t, err)
				ts.Auth = &[2]string{integ.ClientToken, integ.ClientSecret}
			}
			ts.UserAgent = "mauth-coreclient/test"
			if tt.forward != "" {
				ts.Header = map[string]string{restv3.HeaderDeviceUserAgent: tt.forward}
			}
			ts.ok(t, "application/create", map[string]any{"applicationId": "ua-app-" + string(rune('a'+i))})
			require.Equal(t, tt.want, lastUserAgent(t, ts))
		})
	}
}
