package mobileutil

import (
	"slices"
	"testing"

	"github.com/mauth/mauth/internal/domain"
)

func intp(n int) *int { return &n }

// TestCheckVersionPrecedence is the precedence table of the version
// policy: the rule of the platform and major OS version wins over the
// platform's generic rule, the required version over the suggested one,
// and no rule means NOT_REQUIRED.
func TestCheckVersionPrecedence(t *testing.T) {
	rules := []domain.MobileVersionRule{
		{ID: 1, Platform: domain.MobilePlatformIOS, SuggestedVersion: "2.0.0", RequiredVersion: "1.5.0", MessageKey: "ios-generic"},
		{ID: 2, Platform: domain.MobilePlatformIOS, MajorOSVersion: intp(14), RequiredVersion: "3.0.0", MessageKey: "ios-14"},
		{ID: 3, Platform: domain.MobilePlatformIOS, MajorOSVersion: intp(17), SuggestedVersion: "1.0.0", MessageKey: "ios-17"},
		{ID: 4, Platform: domain.MobilePlatformAndroid, MajorOSVersion: intp(29), SuggestedVersion: "4.0.0", RequiredVersion: "3.0.0-beta"},
	}
	tests := []struct {
		name, platform, os, app string
		update, key             string
	}{
		{"generic rule: below required", "IOS", "16.1.0", "1.4.9", UpdateForced, "ios-generic"},
		{"generic rule: equal to required", "IOS", "16.1.0", "1.5.0", UpdateSuggested, "ios-generic"},
		{"generic rule: below suggested", "IOS", "16", "1.9.99", UpdateSuggested, "ios-generic"},
		{"generic rule: equal to suggested", "IOS", "16", "2.0.0", UpdateNotRequired, ""},
		{"generic rule: newer", "IOS", "16", "10.0.0", UpdateNotRequired, ""},
		{"generic rule: pre-release below the release", "IOS", "16", "2.0.0-rc1", UpdateSuggested, "ios-generic"},
		{"specific rule wins over generic: forced", "IOS", "14.8.1", "2.5.0", UpdateForced, "ios-14"},
		{"specific rule wins over generic: newer", "IOS", "14", "3.0.0", UpdateNotRequired, ""},
		{"specific rule is lenient where generic is not", "IOS", "17.0.0", "1.0.0", UpdateNotRequired, ""},
		{"specific rule suggests", "IOS", "17.2.1", "0.9.0", UpdateSuggested, "ios-17"},
		{"other platform: its own specific rule", "ANDROID", "29", "2.0.0", UpdateForced, ""},
		{"other platform: qualifier compares below release", "ANDROID", "29", "3.0.0-alpha", UpdateForced, ""},
		{"other platform: release above its qualifier", "ANDROID", "29", "3.0.0", UpdateSuggested, ""},
		{"other platform: no generic rule", "ANDROID", "30", "0.0.1", UpdateNotRequired, ""},
		{"numeric, not textual, comparison", "IOS", "16", "1.10.0", UpdateSuggested, "ios-generic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, key := CheckVersion(rules, tt.platform, tt.os, tt.app)
			if res.Update != tt.update || key != tt.key {
				t.Fatalf("CheckVersion(%s %s, app %s) = %s %q, want %s %q", tt.platform, tt.os, tt.app, res.Update, key, tt.update, tt.key)
			}
		})
	}
	t.Run("rule order does not matter", func(t *testing.T) {
		rev := slices.Clone(rules)
		slices.Reverse(rev)
		for _, tt := range tests {
			res, key := CheckVersion(rev, tt.platform, tt.os, tt.app)
			if res.Update != tt.update || key != tt.key {
				t.Errorf("%s: reversed rules give %s %q", tt.name, res.Update, key)
			}
		}
	})
	if res, _ := CheckVersion(nil, "IOS", "16", "1.0.0"); res.Update != UpdateNotRequired {
		t.Fatalf("no rules: %s", res.Update)
	}
}

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1.0.0", "1.0.0", 0},
		{"1.0.1", "1.0.0", 1},
		{"1.2.0", "1.10.0", -1},
		{"2.0.0", "10.0.0", -1},
		{"1.0.0-beta", "1.0.0", -1},
		{"1.0.0", "1.0.0-beta", 1},
		{"1.0.0-alpha", "1.0.0-beta", -1},
		{"1.0.0-beta", "1.0.0-beta", 0},
	}
	for _, tt := range tests {
		if got := compareVersions(tt.a, tt.b); got != tt.want {
			t.Errorf("compareVersions(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestVersionPatterns(t *testing.T) {
	for _, tt := range []struct {
		v       string
		app, os bool
	}{
		{"1.2.3", true, true},
		{"1.2.3-rc.1", true, true},
		{"31", false, true},
		{"14.5", false, false},
		{"", false, false},
		{"1.2.3.4", false, false},
		{"a.b.c", false, false},
		{"1.2.3\n", false, false},
	} {
		if got := ValidAppVersion(tt.v); got != tt.app {
			t.Errorf("ValidAppVersion(%q) = %v", tt.v, got)
		}
		if got := ValidOSVersion(tt.v); got != tt.os {
			t.Errorf("ValidOSVersion(%q) = %v", tt.v, got)
		}
	}
	for _, tt := range []struct {
		os   string
		want int
	}{{"14.8.1", 14}, {"31", 31}, {"17.0.0-beta", 17}} {
		if got := majorVersion(tt.os); got != tt.want {
			t.Errorf("majorVersion(%q) = %d, want %d", tt.os, got, tt.want)
		}
	}
}

func TestParseAcceptLanguage(t *testing.T) {
	for _, tt := range []struct {
		h    string
		want []string
	}{
		{"", []string{}},
		{"cs", []string{"cs"}},
		{"cs-CZ,cs;q=0.9,en;q=0.8", []string{"cs", "cs", "en"}},
		{"en;q=0.5, de", []string{"de", "en"}},
		{"*, fr;q=0", []string{}},
		{"x-klingon, EN-us", []string{"en"}},
		{"de;q=abc, it", []string{"it"}},
	} {
		if got := ParseAcceptLanguage(tt.h); !slices.Equal(got, tt.want) {
			t.Errorf("ParseAcceptLanguage(%q) = %v, want %v", tt.h, got, tt.want)
		}
	}
}

func TestCheckVersionRule(t *testing.T) {
	ok := VersionRule{Platform: "IOS", SuggestedVersion: "1.0.0"}
	if err := CheckVersionRule(ok); err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]VersionRule{
		"platform":        {Platform: "WINDOWS", SuggestedVersion: "1.0.0"},
		"no versions":     {Platform: "IOS"},
		"bad suggested":   {Platform: "IOS", SuggestedVersion: "1.0"},
		"bad required":    {Platform: "IOS", RequiredVersion: "x"},
		"negative major":  {Platform: "IOS", RequiredVersion: "1.0.0", MajorOSVersion: intp(-1)},
		"bad message key": {Platform: "IOS", RequiredVersion: "1.0.0", MessageKey: "a b"},
	} {
		if err := CheckVersionRule(r); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
