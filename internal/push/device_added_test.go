package push

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mauth/mauth/internal/domain"
)

// TestDeviceAddedMessage checks the new-device notice for names of every
// shape: the extras name the device, the texts fit the inbox limits (255
// characters of summary) and the body fits the APNs payload limit.
func TestDeviceAddedMessage(t *testing.T) {
	at := time.Date(2026, 12, 8, 1, 2, 3, 0, time.UTC)
	for _, tc := range []struct {
		name, platform     string
		wantName, wantPlat string
	}{
		{"Alice's phone", "ios", "Alice's phone", "ios"},
		{"", "", "unnamed device", "unknown"},
		{"  \x00\t", "android", "unnamed device", "android"},
		{"tab\tname\x7f", "hw", "tabname", "hw"},
		{strings.Repeat("\u00e9", 300), strings.Repeat("p", 300), strings.Repeat("\u00e9", maxNoticeName) + "…", strings.Repeat("p", 20) + "…"},
		{"bad \xff utf8", "ios", "bad  utf8", "ios"},
		{strings.Repeat("\"\\", 200), "ios", strings.Repeat("\"\\", maxNoticeName/2) + "…", "ios"},
	} {
		d := DeviceAdded{Activation: domain.Activation{ActivationID: "a-1", UserID: "alice", ApplicationID: 7, Name: tc.name, Platform: tc.platform}, At: at}
		ex := d.Extras()
		if ex["messageType"] != MessageTypeDeviceAdded || ex["activationId"] != "a-1" || ex["deviceName"] != tc.wantName ||
			ex["devicePlatform"] != tc.wantPlat || ex["activatedAt"] != "2026-12-08T01:02:03Z" {
			t.Errorf("%q: extras %v", tc.name, ex)
		}
		if err := (stored{Body: d.Body(), Priority: PriorityHigh}).validate(); err != nil {
			t.Errorf("%q: body refused: %v", tc.name, err)
		}
		m := d.InboxMessage(at)
		if m.Type != domain.InboxTypeText || m.UserID != "alice" || len(m.ApplicationIDs) != 1 || m.ApplicationIDs[0] != 7 ||
			utf8.RuneCountInString(m.Summary) > 255 || utf8.RuneCountInString(m.Subject) > 255 || !utf8.ValidString(m.Body) ||
			!strings.Contains(m.Summary, tc.wantName) || m.ID == "" || !m.Created.Equal(at) {
			t.Errorf("%q: inbox message %+v", tc.name, m)
		}
		if msg := d.Message(); msg.Extras["deviceName"] != tc.wantName || msg.Priority != PriorityHigh {
			t.Errorf("%q: logged message %+v", tc.name, msg)
		}
	}
}
