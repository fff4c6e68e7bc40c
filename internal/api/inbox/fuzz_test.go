package inbox

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/mauth/mauth/internal/api/render"
	pushinbox "github.com/mauth/mauth/internal/push/inbox"
	"github.com/mauth/mauth/wire"
)

// FuzzDecodeObject feeds untrusted bodies to the phone API's request
// decoding: it never panics, and a refusal is a coded 4xx error.
func FuzzDecodeObject(f *testing.F) {
	for _, seed := range []string{``, `{}`, `{"requestObject":null}`, `{"requestObject":{"page":1,"size":5,"onlyUnread":true}}`,
		`{"requestObject":{"page":"x"}}`, `{"requestObject":[]}`, `[`, `{"requestObject":{"id":"0f3c6f5e-7f4b-4c1e-9a57-2d6b8e9c1a23"}}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, dst := range []any{&wire.InboxListRequest{}, &wire.InboxMessageRequest{}} {
			r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
			err := decodeObject(r, dst)
			var ce *render.APIError
			if err != nil && (!errors.As(err, &ce) || ce.Status != http.StatusBadRequest) {
				t.Fatalf("decode %q: %v is no 400 answer", body, err)
			}
		}
	})
}

// FuzzQuery feeds untrusted query strings to the push server API's list
// parameters: they never panic, and a refusal names the field.
func FuzzQuery(f *testing.F) {
	for _, seed := range []string{``, `page=0&size=20`, `page=-1`, `size=abc`, `page=99999999999999999999`, `onlyUnread=yes&page=1`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		var vs []pushinbox.Violation
		page, size := queryInt(q, "page", &vs), queryInt(q, "size", &vs)
		if page < 0 || size < 0 {
			t.Fatalf("%q: negative page %d or size %d accepted", raw, page, size)
		}
		for _, v := range vs {
			if v.Field != "page" && v.Field != "size" {
				t.Fatalf("%q: violation of %q", raw, v.Field)
			}
		}
	})
}
