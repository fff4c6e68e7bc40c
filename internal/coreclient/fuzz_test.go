package coreclient

import (
	"errors"
	"testing"

	"github.com/mauth/mauth/internal/service"
)

// FuzzDecodeAnswer feeds arbitrary core answers to the decoder: it must
// never panic, and a business error must carry a code.
func FuzzDecodeAnswer(f *testing.F) {
	f.Add(200, []byte(`{"status":"OK","responseObject":{"removed":true}}`))
	f.Add(400, []byte(`{"status":"ERROR","responseObject":{"code":"ERR_RECOVERY","message":"m","currentRecoveryPukIndex":2}}`))
	f.Add(401, []byte(`{"status":"ERROR","responseObject":{"code":"ERR_AUTHENTICATION"}}`))
	f.Add(404, []byte(`{"status":"ERROR","responseObject":{"code":"ERROR_NOT_FOUND"}}`))
	f.Add(500, []byte(`<html>`))
	f.Add(200, []byte(`{"status":"OK","responseObject":null}`))
	f.Add(400, []byte(`{"status":"ERROR","responseObject":[]}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		var out struct {
			Removed bool `json:"removed"`
		}
		err := decodeAnswer("token/remove", status, body, &out)
		var se *service.Error
		if errors.As(err, &se) && se.Code == "" {
			t.Fatalf("business error without a code from %q", body)
		}
		if err == nil && (status != 200) {
			t.Fatalf("HTTP %d accepted as success", status)
		}
	})
}

// FuzzTemporaryKeyClaims feeds arbitrary JWTs to the claims reader.
func FuzzTemporaryKeyClaims(f *testing.F) {
	f.Add("eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJrIiwiZXhwX21zIjoxNzAwMDAwMDAwMDAwfQ.c2ln")
	f.Add("a.b.c")
	f.Add("")
	f.Add("eyJ9.e30.")
	f.Fuzz(func(t *testing.T, jwt string) {
		id, exp, err := temporaryKeyClaims(jwt)
		if err == nil && (id == "" || exp.IsZero()) {
			t.Fatalf("claims of %q accepted without subject or expiry", jwt)
		}
	})
}
