package cloud

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	cloudsvc "github.com/mauth/mauth/internal/cloud"
)

// registrationBody is the shape of POST /v2/registrations.
type registrationBody struct {
	UserID string   `json:"userId"`
	AppID  string   `json:"appId"`
	Flags  []string `json:"flags"`
	Expire int64    `json:"timestampRegistrationExpire"`
}

// TestDecode: one JSON object of known fields is accepted; anything else
// is a 400 ERROR_REQUEST naming the problem.
func TestDecode(t *testing.T) {
	for _, c := range []struct {
		body, want string
		emptyOK    bool
	}{
		{`{"userId":"a","flags":[]}`, "", false},
		{``, "", true},
		{` `, "must be a JSON object", false},
		{`{"userId":"a","x":1}`, `unknown field "x"`, false},
		{`{"userId":5}`, "userId - wrong type", false},
		{`{"userId":"a"} {}`, "one JSON object", false},
		{`[1]`, "must be a JSON object", false},
		{`{"userId":"` + strings.Repeat("a", MaxBodyBytes) + `"}`, "at most", false},
	} {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(c.body))
		var dst registrationBody
		err := decode(r, &dst, c.emptyOK)
		if c.want == "" {
			if err != nil {
				t.Errorf("%.40q: %v", c.body, err)
			}
			continue
		}
		var ce *cloudsvc.Error
		if !errors.As(err, &ce) || ce.Status != 400 || ce.Code != cloudsvc.CodeRequest || !strings.Contains(ce.Message, c.want) {
			t.Errorf("%.40q: %v, want 400 ERROR_REQUEST with %q", c.body, err, c.want)
		}
	}
}

// FuzzDecode: no request body makes decode panic or fail with anything
// but a 400 ERROR_REQUEST.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"userId":"a","appId":"b","flags":["x"],"timestampRegistrationExpire":1}`, `{}`, `null`, `{"userId":null}`, `{"flags":{}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		var dst registrationBody
		err := decode(r, &dst, false)
		var ce *cloudsvc.Error
		if err != nil && (!errors.As(err, &ce) || ce.Status != 400 || ce.Code != cloudsvc.CodeRequest) {
			t.Fatalf("%q: %v", body, err)
		}
	})
}
