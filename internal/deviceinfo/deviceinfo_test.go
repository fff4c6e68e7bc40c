package deviceinfo

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mauth/mauth/internal/domain"
)

// The User-Agents below are the ones Wultra's own server-side parser is
// tested with (com.wultra.core.http.common.headers.UserAgentTest): what the
// PowerAuth networking libraries of the current iOS and Android SDKs send,
// "PRODUCT/VER (LANG; NETWORK) APPID/APPVER (MAKER; OS/OSVER; MODEL)", as
// built by networking-android's UserAgent.libraryDefault. The "(BRAND;
// LANG)" form is what older networking-android releases send.
func TestParseUserAgent(t *testing.T) {
	tests := []struct {
		ua   string
		want Info
	}{
		{
			"PowerAuthNetworking/1.1.7 (en; cellular) com.wultra.app.Mobile-Token.wultra_test/2.0.0 (Apple; iOS/16.6.1; iphone12,3)",
			Info{Platform: "ios", DeviceDetails: domain.DeviceDetails{Manufacturer: "Apple", Model: "iphone12,3", OS: "iOS", OSVersion: "16.6.1", OSMajor: 16, AppID: "com.wultra.app.Mobile-Token.wultra_test", AppVersion: "2.0.0", SDKName: "PowerAuthNetworking", SDKVersion: "1.1.7"}, Language: "en", Network: "cellular", FromUserAgent: true},
		},
		{
			"PowerAuthNetworking/1.2.1 (uk; wifi) com.wultra.android.mtoken.gdnexttest/1.0.0-gdnexttest (samsung; Android/13; SM-A047F)",
			Info{Platform: "android", DeviceDetails: domain.DeviceDetails{Manufacturer: "samsung", Model: "SM-A047F", OS: "Android", OSVersion: "13", OSMajor: 13, AppID: "com.wultra.android.mtoken.gdnexttest", AppVersion: "1.0.0-gdnexttest", SDKName: "PowerAuthNetworking", SDKVersion: "1.2.1"}, Language: "uk", Network: "wifi", FromUserAgent: true},
		},
		{
			"PowerAuthNetworking/1.1.7 (en; unknown) com.wultra.app.MobileToken.wtest/2.0.0 (Apple; iOS/16.6.1; iphone10,6)",
			Info{Platform: "ios", DeviceDetails: domain.DeviceDetails{Manufacturer: "Apple", Model: "iphone10,6", OS: "iOS", OSVersion: "16.6.1", OSMajor: 16, AppID: "com.wultra.app.MobileToken.wtest", AppVersion: "2.0.0", SDKName: "PowerAuthNetworking", SDKVersion: "1.1.7"}, Language: "en", Network: "unknown", FromUserAgent: true},
		},
		{
			"PowerAuthNetworking/1.1.7 (en; wifi) com.wultra.app.MobileToken.wtest/2.0.0 (Apple; iOS/16.7.1; iphone10,6)",
			Info{Platform: "ios", DeviceDetails: domain.DeviceDetails{Manufacturer: "Apple", Model: "iphone10,6", OS: "iOS", OSVersion: "16.7.1", OSMajor: 16, AppID: "com.wultra.app.MobileToken.wtest", AppVersion: "2.0.0", SDKName: "PowerAuthNetworking", SDKVersion: "1.1.7"}, Language: "en", Network: "wifi", FromUserAgent: true},
		},
		{
			"PowerAuthNetworking/1.8.0 (en; wifi) com.bank.app/1.2.3 (Google; Android/14; Pixel 7)",
			Info{Platform: "android", DeviceDetails: domain.DeviceDetails{Manufacturer: "Google", Model: "Pixel 7", OS: "Android", OSVersion: "14", OSMajor: 14, AppID: "com.bank.app", AppVersion: "1.2.3", SDKName: "PowerAuthNetworking", SDKVersion: "1.8.0"}, Language: "en", Network: "wifi", FromUserAgent: true},
		},
		{
			"PowerAuthNetworking/1.0.3 (samsung; cs-CZ) com.bank.app/4.1",
			Info{DeviceDetails: domain.DeviceDetails{Manufacturer: "samsung", AppID: "com.bank.app", AppVersion: "4.1", SDKName: "PowerAuthNetworking", SDKVersion: "1.0.3"}, Language: "cs-CZ", FromUserAgent: true},
		},
	}
	for _, tt := range tests {
		got, ok := ParseUserAgent(tt.ua)
		if !ok || got != tt.want {
			t.Errorf("ParseUserAgent(%q) =\n %+v, %v; want\n %+v", tt.ua, got, ok, tt.want)
		}
	}
}

func TestParseUserAgentUnknownFormats(t *testing.T) {
	for _, ua := range []string{
		"",
		"okhttp/4.12.0",
		"Go-http-client/1.1",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
		"PowerAuthNetworking/1.8.0 (en; wifi) com.bank.app/1.2.3 (Apple; iOS; iphone15,2)",         // no OS version
		"PowerAuthNetworking/1.8.0 (en; satellite) com.bank.app/1.2.3 (Apple; iOS/17; iphone15,2)", // not a network
		"PowerAuthNetworking/1.8.0 (en; wifi) com.bank.app/1.2.3 (Apple; iOS/17; iphone15,2",       // unclosed
		"PowerAuthNetworking/1.8.0 (en; wifi) com.bank.app/1.2.3 (Apple; iOS/17\x00; iphone15,2)",  // control character
		"PowerAuthNetworking/1.8.0 (en; wifi) com.bank.app/1.2.3 (Apple; iOS/17; " + strings.Repeat("x", 200) + ")",
		"curl/8.5.0 (x86_64-pc-linux-gnu) libcurl/8.5.0",
	} {
		if got, ok := ParseUserAgent(ua); ok || got != (Info{}) {
			t.Errorf("ParseUserAgent(%q) = %+v, %v; want not recognised", ua, got, ok)
		}
	}
}

func TestParse(t *testing.T) {
	const iosUA = "PowerAuthNetworking/1.1.7 (en; wifi) com.wultra.app.MobileToken.wtest/2.0.0 (Apple; iOS/16.7.1; iphone10,6)"
	tests := []struct {
		name                           string
		ua, platform, deviceInfo       string
		wantPlatform, wantMaker, model string
		wantOS, wantOSVersion          string
		wantMajor                      int
	}{
		{"sdk user agent and platform", iosUA, "ios", "iPhone10,6", "ios", "Apple", "iphone10,6", "iOS", "16.7.1", 16},
		{"platform attribute wins", iosUA, "Android", "", "android", "Apple", "iphone10,6", "iOS", "16.7.1", 16},
		{"platform from the user agent", iosUA, "unknown", "", "ios", "Apple", "iphone10,6", "iOS", "16.7.1", 16},
		{"apple model from deviceInfo", "Go-http-client/1.1", "ios", "iPhone15,2", "ios", "Apple", "iPhone15,2", "", "", 0},
		{"apple model makes ios", "", "", "iPad13,4", "ios", "Apple", "iPad13,4", "", "", 0},
		{"free-text deviceInfo stays raw", "", "android", "Google Pixel 7", "android", "", "", "", "", 0},
		{"nothing known", "Mozilla/5.0", "", "", "", "", "", "", "", 0},
		{"huawei", "", "HUAWEI", "", "huawei", "", "", "", "", 0},
	}
	for _, tt := range tests {
		got := Parse(tt.ua, tt.platform, tt.deviceInfo)
		if got.Platform != tt.wantPlatform || got.Manufacturer != tt.wantMaker || got.Model != tt.model ||
			got.OS != tt.wantOS || got.OSVersion != tt.wantOSVersion || got.OSMajor != tt.wantMajor {
			t.Errorf("%s: Parse = %+v", tt.name, got)
		}
	}
}

func TestMajor(t *testing.T) {
	for v, want := range map[string]int{"16.6.1": 16, "13": 13, "17_1": 17, "": 0, "beta": 0, "9999999999": 999999, "0.9": 0} {
		if got := major(v); got != want {
			t.Errorf("major(%q) = %d, want %d", v, got, want)
		}
	}
}

func TestClean(t *testing.T) {
	if got := Clean("a\x00b\nc\xffd"); got != "abc\uFFFDd" {
		t.Errorf("Clean = %q", got)
	}
	long := strings.Repeat("é", MaxRawUserAgent)
	got := Clean(long)
	if len(got) > MaxRawUserAgent || !utf8.ValidString(got) || !strings.HasPrefix(long, got) {
		t.Errorf("Clean(long) = %d bytes, valid %v", len(got), utf8.ValidString(got))
	}
}

// FuzzParse checks that no input panics, that parsed fields are short
// printable text and that a recognised User-Agent round-trips its OS.
func FuzzParse(f *testing.F) {
	f.Add("PowerAuthNetworking/1.2.1 (uk; wifi) com.wultra.android.mtoken.gdnexttest/1.0.0-gdnexttest (samsung; Android/13; SM-A047F)", "android", "samsung SM-A047F")
	f.Add("PowerAuthNetworking/1.1.7 (en; cellular) com.wultra.app.Mobile-Token.wultra_test/2.0.0 (Apple; iOS/16.6.1; iphone12,3)", "ios", "iPhone12,3")
	f.Fuzz(func(t *testing.T, ua, platform, deviceInfo string) {
		in := Parse(ua, platform, deviceInfo)
		for _, field := range []string{in.Platform, in.Manufacturer, in.Model, in.OS, in.OSVersion, in.AppID, in.AppVersion, in.SDKName, in.SDKVersion, in.Language, in.Network} {
			if !cleanField(field) || !utf8.ValidString(field) {
				t.Fatalf("field %q of %+v is not clean", field, in)
			}
		}
		if in.OSMajor < 0 || in.OSMajor > 999999 {
			t.Fatalf("OSMajor %d", in.OSMajor)
		}
		if in.FromUserAgent && !strings.Contains(ua, in.OS+"/"+in.OSVersion) && in.OS != "" {
			t.Fatalf("OS %q/%q not in %q", in.OS, in.OSVersion, ua)
		}
		c := Clean(ua)
		if len(c) > MaxRawUserAgent || !utf8.ValidString(c) || strings.ContainsRune(c, 0) {
			t.Fatalf("Clean(%q) = %q", ua, c)
		}
	})
}
