package push

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/api/mtoken"
	"github.com/mauth/mauth/internal/api/public"
	pushsvc "github.com/mauth/mauth/internal/push"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/internal/testutil/apicontract"
	"github.com/mauth/mauth/openapi"
	"github.com/mauth/mauth/protocol"
)

const (
	testActivation = "5b7b8f4c-3c0e-4e8a-9d43-7f8d1b1e2a10"
	testTokenID    = "0f3c6f5e-7f4b-4c1e-9a57-2d6b8e9c1a23"
)

// validSignature is the (3.1+, Base64) signature value fakeCore accepts.
func validSignature(typ protocol.SignatureType) string {
	return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 16*len(typ.Factors())))
}

// fakeCore accepts validSignature and tokens of testTokenID for the test
// activation; tokenType is the factor combination its tokens were created with.
type fakeCore struct {
	public.Core
	tokenType protocol.SignatureType
}

func (c *fakeCore) VerifySignature(_ context.Context, in service.VerifySignatureInput) (service.VerifySignatureResult, error) {
	return service.VerifySignatureResult{
		SignatureValid: in.Signature == validSignature(in.SignatureType) && in.ActivationID == testActivation,
		ActivationID:   in.ActivationID, UserID: "alice", ApplicationID: "bank", SignatureType: in.SignatureType,
	}, nil
}

func (c *fakeCore) ValidateToken(_ context.Context, in service.ValidateTokenInput) (service.ValidateTokenResult, error) {
	return service.ValidateTokenResult{
		TokenValid: in.TokenID == testTokenID, ActivationID: testActivation, UserID: "alice", ApplicationID: "bank", SignatureType: c.tokenType,
	}, nil
}

// fakeRegistrar records registrations; tokens starting with "inactive"
// or "broken" fail like an activation that is not ACTIVE or a database error.
type fakeRegistrar struct {
	got []pushsvc.Registration
}

func (r *fakeRegistrar) Register(_ context.Context, reg pushsvc.Registration) error {
	switch {
	case strings.HasPrefix(reg.Token, "inactive"):
		return fmt.Errorf("register: %w", pushsvc.ErrInvalidActivation)
	case strings.HasPrefix(reg.Token, "broken"):
		return errors.New("database down")
	}
	r.got = append(r.got, reg)
	return nil
}

func TestRegister(t *testing.T) {
	core := &fakeCore{tokenType: protocol.SignaturePossession}
	reg := &fakeRegistrar{}
	mux := http.NewServeMux()
	New(Options{Middleware: public.NewMiddleware(core, public.MiddlewareOptions{}), Registrar: reg, MaxBodyBytes: 4096}).Register(mux)
	h := apicontract.New(t, "openapi/public.yaml", openapi.Public).Wrap(mux)
	appKey := base64.StdEncoding.EncodeToString(protocol.RandomBytes(16))
	signed := func(typ protocol.SignatureType, signature string) map[string]string {
		return map[string]string{protocol.HeaderAuthorization: protocol.AuthorizationHeader{
			Version: "3.2", ActivationID: testActivation, ApplicationKey: appKey,
			Nonce: base64.StdEncoding.EncodeToString(protocol.RandomBytes(16)), SignatureType: typ, Signature: signature,
		}.String()}
	}
	tok := func(id string) map[string]string {
		return map[string]string{protocol.HeaderToken: protocol.NewTokenHeader(id, protocol.RandomBytes(16), "3.2", time.Now().UnixMilli()).String()}
	}
	pk := protocol.SignaturePossessionKnowledge
	body := func(platform, token, environment string) string {
		return `{"requestObject":{"platform":"` + platform + `","token":"` + token + `","environment":"` + environment + `"}}`
	}
	tests := []struct {
		name    string
		method  string
		path    string
		headers map[string]string
		body    string
		status  int
		code    string
		want    *pushsvc.Registration
	}{
		{"signed apns", http.MethodPost, RegisterPath, signed(pk, validSignature(pk)), body("iOS", "t-1", "Development"), 200, "",
			&pushsvc.Registration{ActivationID: testActivation, Platform: pushsvc.PlatformAPNs, Token: "t-1", Environment: "development"}},
		{"token on the signed path", http.MethodPost, RegisterPath, tok(testTokenID), body("fcm", "t-2", "production"), 200, "",
			&pushsvc.Registration{ActivationID: testActivation, Platform: pushsvc.PlatformFCM, Token: "t-2"}},
		{"token", http.MethodPost, RegisterTokenPath, tok(testTokenID), body("huawei", "t-3", ""), 200, "",
			&pushsvc.Registration{ActivationID: testActivation, Platform: pushsvc.PlatformHMS, Token: "t-3"}},
		{"environment null", http.MethodPost, RegisterTokenPath, tok(testTokenID), `{"requestObject":{"platform":"apns","token":"t-4","environment":null}}`, 200, "",
			&pushsvc.Registration{ActivationID: testActivation, Platform: pushsvc.PlatformAPNs, Token: "t-4"}},
		{"invalid signature", http.MethodPost, RegisterPath, signed(pk, base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{2}, 32))), body("fcm", "t", ""), 401, mtoken.CodeAuthFail, nil},
		{"no authentication", http.MethodPost, RegisterPath, nil, body("fcm", "t", ""), 401, mtoken.CodeAuthFail, nil},
		{"signature on the token path", http.MethodPost, RegisterTokenPath, signed(pk, validSignature(pk)), body("fcm", "t", ""), 401, mtoken.CodeAuthFail, nil},
		{"unknown token", http.MethodPost, RegisterTokenPath, tok("7a1c2e3f-0000-4000-8000-000000000000"), body("fcm", "t", ""), 401, mtoken.CodeAuthFail, nil},
		{"unknown platform", http.MethodPost, RegisterTokenPath, tok(testTokenID), body("pager", "t", ""), 400, CodeInvalidRequest, nil},
		{"unknown environment", http.MethodPost, RegisterTokenPath, tok(testTokenID), body("apns", "t", "staging"), 400, CodeInvalidRequest, nil},
		{"missing token", http.MethodPost, RegisterTokenPath, tok(testTokenID), `{"requestObject":{"platform":"fcm"}}`, 400, CodeInvalidRequest, nil},
		{"missing request object", http.MethodPost, RegisterTokenPath, tok(testTokenID), `{}`, 400, CodeInvalidRequest, nil},
		{"not JSON", http.MethodPost, RegisterTokenPath, tok(testTokenID), `{"requestObject":`, 400, CodeInvalidRequest, nil},
		{"inactive activation", http.MethodPost, RegisterTokenPath, tok(testTokenID), body("fcm", "inactive-1", ""), 400, CodeInvalidActivation, nil},
		{"registry failure", http.MethodPost, RegisterTokenPath, tok(testTokenID), body("fcm", "broken-1", ""), 400, CodeRegistrationFailed, nil},
		{"body too large", http.MethodPost, RegisterTokenPath, tok(testTokenID), body("fcm", strings.Repeat("t", 5000), ""), 413, "ERROR_HTTP_REQUEST", nil},
		{"GET", http.MethodGet, RegisterPath, nil, "", 405, "ERROR_HTTP_REQUEST", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reg.got = nil
			var rd io.Reader
			if tc.body != "" {
				rd = strings.NewReader(tc.body)
			}
			r := httptest.NewRequest(tc.method, tc.path, rd)
			r.Header.Set("Content-Type", "application/json")
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			var env struct {
				Status         string `json:"status"`
				ResponseObject struct {
					Code string `json:"code"`
				} `json:"responseObject"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil {
				t.Fatalf("answer is not JSON: %s", w.Body)
			}
			if w.Code != tc.status || env.ResponseObject.Code != tc.code {
				t.Fatalf("HTTP %d %s, want %d %q", w.Code, w.Body, tc.status, tc.code)
			}
			if tc.want == nil {
				if len(reg.got) != 0 {
					t.Fatalf("registered %+v", reg.got)
				}
				return
			}
			if env.Status != "OK" || len(reg.got) != 1 || reg.got[0] != *tc.want {
				t.Fatalf("registered %+v, want %+v (answer %s)", reg.got, *tc.want, w.Body)
			}
		})
	}
}
