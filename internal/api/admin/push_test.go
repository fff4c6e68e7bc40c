package admin

import (
	"strings"
	"testing"

	"github.com/mauth/mauth/internal/console"
)

// TestCampaignPageRefresh checks the no-JS fallback of a campaign's live
// progress: the page asks browsers without script to reload only while
// the send runs, and the script's poll URL is on the page.
func TestCampaignPageRefresh(t *testing.T) {
	pages, err := parsePages()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		status  string
		pending int64
		refresh bool
	}{
		{"CREATED", 0, false}, {"SENDING", 0, true}, {"SENT", 2, true}, {"SENT", 0, false}, {"CANCELED", 0, false},
	} {
		data := campaignPage{Campaign: console.Campaign{ID: 4, Application: "bank", Title: "<b>t</b>", Status: tc.status, Pending: tc.pending, Total: 3}}
		var b strings.Builder
		if err := pages["campaign"].ExecuteTemplate(&b, "layout", page{Title: "x", Data: data, Refresh: data.LiveRefresh()}); err != nil {
			t.Fatal(err)
		}
		html := b.String()
		if got := strings.Contains(html, `<noscript><meta http-equiv="refresh" content="3"></noscript>`); got != tc.refresh {
			t.Errorf("%s/%d: refresh %v, want %v", tc.status, tc.pending, got, tc.refresh)
		}
		if !strings.Contains(html, `data-campaign-poll="/admin/push/campaigns/4/status"`) || strings.Contains(html, "<b>t</b>") {
			t.Errorf("%s: campaign page:\n%s", tc.status, html)
		}
	}
}

// TestUserLines checks the parsing of the campaign users textarea.
func TestUserLines(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
	}{
		{"alice\nbob", "alice|bob"},
		{" alice \r\n\r\nbob,carol;alice\n", "alice|bob|carol"},
		{"\n \n", ""},
	} {
		if got := strings.Join(userLines(tc.in), "|"); got != tc.want {
			t.Errorf("userLines(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzUserLines checks that any textarea gives trimmed, non-empty,
// distinct user ids.
func FuzzUserLines(f *testing.F) {
	f.Add("alice\nbob")
	f.Add(" a ,b;\r\n\x00c ")
	f.Fuzz(func(t *testing.T, in string) {
		seen := map[string]bool{}
		for _, u := range userLines(in) {
			if u == "" || u != strings.TrimSpace(u) || seen[u] {
				t.Fatalf("userLines(%q) gave %q", in, u)
			}
			seen[u] = true
		}
	})
}

// FuzzSampleParams checks that any sample parameter text gives trimmed,
// non-empty names.
func FuzzSampleParams(f *testing.F) {
	f.Add("amount=100\ncurrency=EUR")
	f.Add("=x\n a = b = c \n\n")
	f.Fuzz(func(t *testing.T, in string) {
		for k, v := range sampleParams(in) {
			if k == "" || k != strings.TrimSpace(k) || v != strings.TrimSpace(v) {
				t.Fatalf("sampleParams(%q) gave %q=%q", in, k, v)
			}
		}
	})
}
