package mobileutil

import (
	"regexp"
	"strconv"
	"strings"
)

// Patterns of the versions the app sends.
var (
	appVersionPattern = regexp.MustCompile(`^\d+\.\d+\.\d+(-.*)?$`)
	osVersionPattern  = regexp.MustCompile(`^(\d+\.\d+\.\d+(-.*)?|\d+)$`)
)

// ValidAppVersion reports whether v is MAJOR.MINOR.PATCH with an optional
// -qualifier.
func ValidAppVersion(v string) bool {
	return len(v) <= maxVersionLength && appVersionPattern.MatchString(v)
}

// ValidOSVersion reports whether v is MAJOR.MINOR.PATCH (optional
// -qualifier) or a single number.
func ValidOSVersion(v string) bool {
	return len(v) <= maxVersionLength && osVersionPattern.MatchString(v)
}

// maxVersionLength bounds the versions read from requests.
const maxVersionLength = 64

// version is a parsed MAJOR.MINOR.PATCH[-qualifier].
type version struct {
	nums      [3]int64
	qualifier string
}

// parseVersion reads a version; missing parts are zero and a part that is
// not a number ends the numeric parts (it becomes the qualifier).
func parseVersion(s string) version {
	var v version
	main, qual, _ := strings.Cut(s, "-")
	v.qualifier = qual
	for i, p := range strings.SplitN(main, ".", 3) {
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			if v.qualifier == "" {
				v.qualifier = p
			}
			break
		}
		v.nums[i] = n
	}
	return v
}

// compareVersions orders versions: numerically by MAJOR, MINOR, PATCH,
// and a version with a qualifier (a pre-release) before the release.
func compareVersions(a, b string) int {
	va, vb := parseVersion(a), parseVersion(b)
	for i := range va.nums {
		switch {
		case va.nums[i] < vb.nums[i]:
			return -1
		case va.nums[i] > vb.nums[i]:
			return 1
		}
	}
	switch {
	case va.qualifier == vb.qualifier:
		return 0
	case va.qualifier == "":
		return 1
	case vb.qualifier == "":
		return -1
	}
	return strings.Compare(va.qualifier, vb.qualifier)
}

// majorVersion is the first number of an OS version.
func majorVersion(s string) int {
	head, _, _ := strings.Cut(s, ".")
	head, _, _ = strings.Cut(head, "-")
	n, err := strconv.Atoi(head)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// ParseAcceptLanguage returns the two-letter languages of an
// Accept-Language header, most preferred first (q=0 and "*" left out).
func ParseAcceptLanguage(h string) []string {
	type lang struct {
		code string
		q    float64
		pos  int
	}
	var langs []lang
	for i, part := range strings.Split(h, ",") {
		if i >= 32 {
			break
		}
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if p := strings.TrimSpace(params); strings.HasPrefix(p, "q=") {
			f, err := strconv.ParseFloat(p[2:], 64)
			if err != nil {
				continue
			}
			q = f
		}
		code, _, _ := strings.Cut(strings.TrimSpace(tag), "-")
		code = strings.ToLower(code)
		if q <= 0 || len(code) != 2 || code[0] < 'a' || code[0] > 'z' || code[1] < 'a' || code[1] > 'z' {
			continue
		}
		langs = append(langs, lang{code, q, i})
	}
	// Stable by q, descending.
	for i := 1; i < len(langs); i++ {
		for j := i; j > 0 && langs[j].q > langs[j-1].q; j-- {
			langs[j], langs[j-1] = langs[j-1], langs[j]
		}
	}
	out := make([]string, 0, len(langs))
	for _, l := range langs {
		out = append(out, l.code)
	}
	return out
}
