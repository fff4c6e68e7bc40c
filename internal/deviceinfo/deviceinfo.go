package deviceinfo

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mauth/mauth/internal/domain"
)

// MaxRawUserAgent is the number of bytes of a User-Agent that Clean keeps.
const MaxRawUserAgent = 1024

// maxField is the longest parsed field; a longer one makes the whole
// User-Agent unrecognised.
const maxField = 128

// Info is the parsed device information. Empty fields are unknown. The
// typed device attributes an activation stores are domain.DeviceDetails;
// Info adds what the parser learns beside them.
type Info struct {
	// Platform is the device platform, lower case: the activation's
	// platform attribute when the SDK sent one, otherwise derived from the
	// operating system of the User-Agent (ios, android, huawei).
	Platform string
	// DeviceDetails are the attributes stored with the activation:
	// manufacturer, model, OS and its version, app and SDK.
	domain.DeviceDetails
	// Language is the device language the SDK reported.
	Language string
	// Network is the connection type the SDK reported (wifi, cellular).
	Network string
	// FromUserAgent reports that the User-Agent was recognised.
	FromUserAgent bool
}

// Parse parses a User-Agent and the activation's platform and deviceInfo
// attributes. Nothing is rejected: what is not recognised is left empty.
func Parse(userAgent, platform, deviceInfo string) Info {
	in, ok := ParseUserAgent(userAgent)
	if !ok {
		in = Info{}
	}
	p := strings.ToLower(strings.TrimSpace(platform))
	if p != "" && p != "unknown" && cleanField(p) {
		in.Platform = p
	} else {
		in.Platform = platformOfOS(in.OS)
	}
	if in.Model == "" {
		d := strings.TrimSpace(deviceInfo)
		if appleModel.MatchString(d) {
			in.Manufacturer, in.Model = "Apple", d
			if in.Platform == "" {
				in.Platform = "ios"
			}
		}
	}
	return in
}

// appleModel is an Apple hardware identifier ("iPhone15,2"), which the
// iOS SDK sends as deviceInfo.
var appleModel = regexp.MustCompile(`^(?i:iphone|ipad|ipod|watch|appletv)[0-9]{1,3},[0-9]{1,3}$`)

// platformOfOS maps an operating system name to a platform.
func platformOfOS(os string) string {
	switch strings.ToLower(os) {
	case "ios", "ipados", "tvos", "watchos", "visionos":
		return "ios"
	case "android":
		return "android"
	case "harmonyos", "openharmony":
		return "huawei"
	}
	return ""
}

// networks are the connection types the networking library reports.
var networks = map[string]bool{"wifi": true, "cellular": true, "ethernet": true, "unknown": true, "none": true, "vpn": true, "bluetooth": true, "other": true}

// ParseUserAgent recognises the User-Agent of Wultra's PowerAuth
// networking libraries:
//
//	SDK/VER (LANG; NETWORK) APPID/APPVER (MAKER; OS/OSVER; MODEL)
//	SDK/VER (BRAND; LANG) APPID/APPVER
//
// (the second is what older Android releases send). It reports false for
// anything else.
func ParseUserAgent(ua string) (Info, bool) {
	parts, ok := tokenize(ua)
	if !ok {
		return Info{}, false
	}
	var in Info
	switch {
	case len(parts) == 4 && parts[0].product() && parts[1].comment(2) && parts[2].product() && parts[3].comment(3):
		in.Language, in.Network = parts[1].items[0], parts[1].items[1]
		if !networks[strings.ToLower(in.Network)] {
			return Info{}, false
		}
		os, ver, found := strings.Cut(parts[3].items[1], "/")
		if !found || os == "" || ver == "" || strings.Contains(ver, "/") {
			return Info{}, false
		}
		in.Manufacturer, in.OS, in.OSVersion, in.Model = parts[3].items[0], os, ver, parts[3].items[2]
	case len(parts) == 3 && parts[0].product() && parts[1].comment(2) && parts[2].product():
		in.Manufacturer, in.Language = parts[1].items[0], parts[1].items[1]
	default:
		return Info{}, false
	}
	in.SDKName, in.SDKVersion = parts[0].name, parts[0].version
	in.AppID, in.AppVersion = parts[2].name, parts[2].version
	for _, f := range []string{in.SDKName, in.SDKVersion, in.AppID, in.AppVersion, in.Language, in.Network, in.Manufacturer, in.OS, in.OSVersion, in.Model} {
		if !cleanField(f) {
			return Info{}, false
		}
	}
	in.OSMajor = major(in.OSVersion)
	in.Platform = platformOfOS(in.OS)
	in.FromUserAgent = true
	return in, true
}

// part is a product token (name/version) or a comment in parentheses.
type part struct {
	name, version string
	items         []string // of a comment, split at ';'
	isComment     bool
}

func (p part) product() bool { return !p.isComment && p.name != "" && p.version != "" }

func (p part) comment(n int) bool {
	if !p.isComment || len(p.items) != n {
		return false
	}
	for _, it := range p.items {
		if it == "" {
			return false
		}
	}
	return true
}

// tokenize splits a User-Agent into products and comments.
func tokenize(ua string) ([]part, bool) {
	if len(ua) > MaxRawUserAgent || !utf8.ValidString(ua) {
		return nil, false
	}
	var parts []part
	s := strings.TrimSpace(ua)
	for s != "" && len(parts) < 8 {
		if s[0] == '(' {
			end := strings.IndexByte(s, ')')
			if end < 0 || strings.ContainsAny(s[1:end], "()") {
				return nil, false
			}
			var items []string
			for _, it := range strings.Split(s[1:end], ";") {
				items = append(items, strings.TrimSpace(it))
			}
			parts = append(parts, part{items: items, isComment: true})
			s = strings.TrimSpace(s[end+1:])
			continue
		}
		end := strings.IndexAny(s, " (")
		if end < 0 {
			end = len(s)
		}
		name, version, found := strings.Cut(s[:end], "/")
		if !found || strings.Contains(version, "/") {
			return nil, false
		}
		parts = append(parts, part{name: name, version: version})
		s = strings.TrimSpace(s[end:])
	}
	if s != "" {
		return nil, false
	}
	return parts, true
}

// cleanField reports whether a parsed field is short, printable text.
func cleanField(f string) bool {
	if f == "" || len(f) > maxField {
		return f == ""
	}
	for _, r := range f {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// major returns the leading number of a version ("16.6.1" → 16); 0 when
// it has none or it is implausibly large.
func major(version string) int {
	end := 0
	for end < len(version) && end < 6 && version[end] >= '0' && version[end] <= '9' {
		end++
	}
	n, err := strconv.Atoi(version[:end])
	if err != nil {
		return 0
	}
	return n
}

// Clean returns the raw User-Agent as it is stored: valid UTF-8 without
// NUL or other control characters, at most MaxRawUserAgent bytes.
func Clean(ua string) string {
	ua = strings.ToValidUTF8(ua, "\uFFFD")
	ua = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, ua)
	if len(ua) <= MaxRawUserAgent {
		return ua
	}
	cut := MaxRawUserAgent
	for cut > 0 && !utf8.RuneStart(ua[cut]) {
		cut--
	}
	return ua[:cut]
}
