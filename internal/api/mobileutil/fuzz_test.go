package mobileutil

import (
	"bytes"
	"encoding/base64"
	"net/http/httptest"
	"testing"

	mu "github.com/mauth/mauth/internal/mobileutil"
)

// FuzzInitQuery feeds arbitrary query strings and headers to the parser of
// GET /app/init: a request it accepts has an application name and
// versions and a platform of the documented forms.
func FuzzInitQuery(f *testing.F) {
	f.Add("appName=bank-app&appVersion=1.2.3&osVersion=14.5.1&platform=IOS", "cs-CZ,en;q=0.5")
	f.Add("appName=a&osVersion=31&platform=ANDROID", "")
	f.Add("appName=%00&appVersion=1.2.3-%FF", "*")
	f.Fuzz(func(t *testing.T, query, lang string) {
		r := httptest.NewRequest("GET", "/app/init", nil)
		r.URL.RawQuery = query
		r.Header.Set("Accept-Language", lang)
		req, err := InitQuery(r)
		if err != nil {
			return
		}
		if req.AppName == "" || mu.CheckInitRequest(req) != nil {
			t.Fatalf("accepted %+v", req)
		}
	})
}

// FuzzValidChallenge feeds arbitrary challenge headers: an accepted one is
// the Base64 of 16 to 32 bytes.
func FuzzValidChallenge(f *testing.F) {
	f.Add("AAAAAAAAAAAAAAAAAAAAAA==")
	f.Add("not base64")
	f.Fuzz(func(t *testing.T, h string) {
		if !ValidChallenge(h) {
			return
		}
		b, err := base64.StdEncoding.DecodeString(h)
		if err != nil || len(b) < MinChallengeBytes || len(b) > MaxChallengeBytes {
			t.Fatalf("accepted %q", h)
		}
	})
}

// FuzzDecodeAdminBody feeds arbitrary bodies to the admin request decoder:
// no panic, and an error is always the ERROR_REQUEST answer.
func FuzzDecodeAdminBody(f *testing.F) {
	f.Add([]byte(`{"platform":"IOS","majorOsVersion":14,"requiredVersion":"1.0.0"}`))
	f.Add([]byte(`{"majorOsVersion":1e99}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var v struct {
			Platform       string `json:"platform"`
			MajorOSVersion *int   `json:"majorOsVersion"`
		}
		err := DecodeAdminBody(bytes.NewReader(body), &v)
		if err == nil {
			return
		}
		ae, ok := err.(interface{ ErrorCode() string })
		if !ok || ae.ErrorCode() != CodeRequest {
			t.Fatalf("error %v is not an ERROR_REQUEST answer", err)
		}
	})
}
