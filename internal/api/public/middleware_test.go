package public

import (
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/mauth/mauth/internal/api/render"
	"github.com/mauth/mauth/internal/deviceauth"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/protocol"
)

func TestCoreErrorMapping(t *testing.T) {
	idx := 3
	tests := []struct {
		name       string
		err        error
		f          render.APIError
		ecies      bool
		wantStatus int
		wantCode   string
		wantIndex  *int
		internal   bool
	}{
		{"business error takes the endpoint's class", service.Errorf(service.CodeActivationNotFound, "x"), failActivation, false, 400, CodeActivation, nil, false},
		{"temporary key", service.Errorf(service.CodeMissingTemporaryKey, "x"), failActivation, false, 400, CodeTemporaryKey, nil, false},
		{"recovery with index", &service.Error{Code: service.CodeRecovery, Message: "x", CurrentRecoveryPukIndex: &idx}, failActivation, false, 400, CodeRecovery, &idx, false},
		{"decryption failure of a core-decrypted request", service.Errorf(service.CodeDecryptionFailed, "replay"), failSecureVault, true, 400, CodeEncryption, nil, false},
		{"decryption failure elsewhere keeps the class", service.Errorf(service.CodeDecryptionFailed, "x"), failActivation, false, 400, CodeActivation, nil, false},
		{"auth endpoint", service.Errorf(service.CodeInvalidRequest, "x"), failSignature, false, 401, CodeAuthentication, nil, false},
		{"core refuses our credentials", service.Errorf(service.CodeAuthentication, "x"), failActivation, false, 0, "", nil, true},
		{"internal failure", errors.New("database down"), failActivation, false, 0, "", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.ecies {
				err = eciesCoreError(tc.err, tc.f)
			} else {
				err = coreError(tc.err, tc.f)
			}
			var ae *render.APIError
			if tc.internal {
				if err == nil {
					t.Fatal("got no error, want an internal error")
				}
				// An internal error is answered 500 ERR0000 without detail.
				rec := httptest.NewRecorder()
				render.Error(rec, httptest.NewRequest(http.MethodPost, "/", nil), nil, err)
				if rec.Code != 500 || !strings.Contains(rec.Body.String(), `"code":"ERR0000"`) {
					t.Fatalf("got %v answered %d %s, want an internal error", err, rec.Code, rec.Body.String())
				}
				return
			}
			if !errors.As(err, &ae) || ae.Status != tc.wantStatus || ae.Code != tc.wantCode {
				t.Fatalf("got %v, want %d %s", err, tc.wantStatus, tc.wantCode)
			}
			if (ae.PukIndex == nil) != (tc.wantIndex == nil) || (ae.PukIndex != nil && *ae.PukIndex != *tc.wantIndex) {
				t.Fatalf("puk index %v, want %v", ae.PukIndex, tc.wantIndex)
			}
			if !errors.Is(err, tc.err) {
				t.Fatal("cause lost")
			}
		})
	}
	if coreError(nil, failActivation) != nil {
		t.Fatal("nil error mapped")
	}
}

// echoAuth answers the Auth and the body the handler saw.
func echoAuth(t *testing.T) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := deviceauth.AuthFromContext(r.Context())
		if !ok {
			t.Error("no Auth in context")
		}
		body, _ := io.ReadAll(r.Body)
		render.OK(w, map[string]any{"activationId": a.ActivationID, "userId": a.UserID, "type": a.SignatureType, "method": a.Method, "body": string(body), "version": a.Version, "token": a.TokenID, "roles": a.Roles})
	})
}

func signatureHeader(actID string, t protocol.SignatureType, version string) (string, *protocol.AuthorizationHeader) {
	h := protocol.AuthorizationHeader{
		Version: version, ActivationID: actID, ApplicationKey: base64.StdEncoding.EncodeToString(protocol.RandomBytes(16)),
		Nonce: base64.StdEncoding.EncodeToString(protocol.RandomBytes(16)), SignatureType: t,
		Signature: base64.StdEncoding.EncodeToString(protocol.RandomBytes(16 * len(t.Factors()))),
	}
	return h.String(), &h
}

func TestRequireSignature(t *testing.T) {
	actID := uuid.NewString()
	core := newStubCore(t)
	var got service.VerifySignatureInput
	valid := true
	var coreErr error
	core.verify = func(in service.VerifySignatureInput) (service.VerifySignatureResult, error) {
		got = in
		if coreErr != nil {
			return service.VerifySignatureResult{}, coreErr
		}
		return service.VerifySignatureResult{SignatureValid: valid, ActivationID: in.ActivationID, UserID: "u1", ApplicationID: "app", SignatureType: in.SignatureType, ApplicationRoles: []string{"R"}, ActivationStatus: domain.ActivationActive}, nil
	}
	mw := NewMiddleware(core, MiddlewareOptions{})
	h := Chain(echoAuth(t), mw.RequireSignature("/pa/test", protocol.SignaturePossession, protocol.SignaturePossessionKnowledge))

	t.Run("POST signs the exact body", func(t *testing.T) {
		hdr, parsed := signatureHeader(actID, protocol.SignaturePossessionKnowledge, "3.2")
		body := []byte(`{"a": 1}` + "\n")
		a := serve(t, h, http.MethodPost, "/x", map[string]string{protocol.HeaderAuthorization: hdr}, body)
		a.want(t, 200, "")
		nonce, _ := parsed.NonceBytes()
		if want := protocol.RequestData("POST", "/pa/test", nonce, body); got.Data != want {
			t.Fatalf("data %q, want %q", got.Data, want)
		}
		if got.ActivationID != actID || got.ApplicationKey != parsed.ApplicationKey || got.Signature != parsed.Signature || got.SignatureVersion != "3.2" || got.SignatureType != protocol.SignaturePossessionKnowledge || got.ForcedSignatureVersion != 0 {
			t.Fatalf("core input %+v", got)
		}
		obj := a.body["responseObject"].(map[string]any)
		if obj["activationId"] != actID || obj["userId"] != "u1" || obj["body"] != string(body) || obj["method"] != "signature" || obj["version"] != "3.2" {
			t.Fatalf("handler saw %v", obj)
		}
	})
	t.Run("GET signs the canonical query", func(t *testing.T) {
		hdr, parsed := signatureHeader(actID, protocol.SignaturePossession, "3.1")
		a := serve(t, h, http.MethodGet, "/x?b=2&a=z&a=y", map[string]string{protocol.HeaderAuthorization: hdr}, nil)
		a.want(t, 200, "")
		nonce, _ := parsed.NonceBytes()
		q := url.Values{"b": {"2"}, "a": {"z", "y"}}
		if want := protocol.RequestData("GET", "/pa/test", nonce, []byte(protocol.CanonicalQuery(q))); got.Data != want {
			t.Fatalf("data %q, want %q", got.Data, want)
		}
	})
	rejected := []struct {
		name       string
		header     string
		valid      bool
		coreErr    error
		wantStatus int
		wantCode   string
		coreCalled bool
	}{
		{"missing header", "", true, nil, 401, CodeAuthentication, false},
		{"malformed header", "PowerAuth pa_version=", true, nil, 401, CodeAuthentication, false},
		{"type not allowed", must(signatureHeader(actID, protocol.SignaturePossessionBiometry, "3.3")), true, nil, 401, CodeAuthentication, false},
		{"invalid signature", must(signatureHeader(actID, protocol.SignaturePossession, "3.3")), false, nil, 401, CodeAuthentication, true},
		{"core rejects input", must(signatureHeader(actID, protocol.SignaturePossession, "3.3")), true, service.Errorf(service.CodeInvalidRequest, "x"), 401, CodeAuthentication, true},
		{"core fails", must(signatureHeader(actID, protocol.SignaturePossession, "3.3")), true, errors.New("db: connection reset"), 500, service.CodeUnknown, true},
	}
	for _, tc := range rejected {
		t.Run(tc.name, func(t *testing.T) {
			valid, coreErr = tc.valid, tc.coreErr
			defer func() { valid, coreErr = true, nil }()
			before := len(core.called())
			headers := map[string]string{}
			if tc.header != "" {
				headers[protocol.HeaderAuthorization] = tc.header
			}
			a := serve(t, h, http.MethodPost, "/x", headers, []byte("{}"))
			a.want(t, tc.wantStatus, tc.wantCode)
			if strings.Contains(string(a.raw), "connection reset") {
				t.Fatal("internal detail leaked")
			}
			if called := len(core.called()) > before; called != tc.coreCalled {
				t.Fatalf("core called: %v", called)
			}
		})
	}
}

func must(s string, _ *protocol.AuthorizationHeader) string { return s }

func TestRequireToken(t *testing.T) {
	core := newStubCore(t)
	actID := uuid.NewString()
	tokenType := protocol.SignaturePossessionKnowledge
	var coreErr error
	var got service.ValidateTokenInput
	core.validateToken = func(in service.ValidateTokenInput) (service.ValidateTokenResult, error) {
		got = in
		if coreErr != nil {
			return service.ValidateTokenResult{}, coreErr
		}
		return service.ValidateTokenResult{TokenValid: in.TokenDigest != "", ActivationID: actID, UserID: "u2", SignatureType: tokenType, ActivationStatus: domain.ActivationActive}, nil
	}
	mw := NewMiddleware(core, MiddlewareOptions{})
	h := Chain(echoAuth(t), mw.RequireToken(protocol.SignaturePossessionKnowledge, protocol.SignaturePossessionBiometry))
	tokenID := uuid.NewString()
	hdr := protocol.NewTokenHeader(tokenID, protocol.RandomBytes(16), "3.3", 1700000000000)

	a := serve(t, h, http.MethodPost, "/x", map[string]string{protocol.HeaderToken: hdr.String()}, []byte("{}"))
	a.want(t, 200, "")
	obj := a.body["responseObject"].(map[string]any)
	if obj["activationId"] != actID || obj["token"] != tokenID || obj["method"] != "token" || obj["type"] != string(tokenType) {
		t.Fatalf("handler saw %v", obj)
	}
	if got.TokenID != tokenID || got.TokenDigest != hdr.Digest || got.Nonce != hdr.Nonce || got.Timestamp != 1700000000000 || got.ProtocolVersion != "3.3" {
		t.Fatalf("core input %+v", got)
	}
	for name, tc := range map[string]struct {
		header  string
		typ     protocol.SignatureType
		coreErr error
		status  int
		code    string
	}{
		"missing":           {"", tokenType, nil, 401, CodeAuthentication},
		"malformed":         {"PowerAuth token_id=", tokenType, nil, 401, CodeAuthentication},
		"type not allowed":  {hdr.String(), protocol.SignaturePossession, nil, 401, CodeAuthentication},
		"timestamp too old": {hdr.String(), tokenType, service.Errorf(service.CodeTokenTimestampTooOld, "x"), 401, CodeAuthentication},
		"core fails":        {hdr.String(), tokenType, errors.New("boom"), 500, service.CodeUnknown},
	} {
		t.Run(name, func(t *testing.T) {
			tokenType, coreErr = tc.typ, tc.coreErr
			defer func() { tokenType, coreErr = protocol.SignaturePossessionKnowledge, nil }()
			headers := map[string]string{}
			if tc.header != "" {
				headers[protocol.HeaderToken] = tc.header
			}
			serve(t, h, http.MethodPost, "/x", headers, nil).want(t, tc.status, tc.code)
		})
	}
}

func TestEncryptedApplicationScope(t *testing.T) {
	core := newStubCore(t)
	mw := NewMiddleware(core, MiddlewareOptions{})
	status := http.StatusOK
	h := Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ec, ok := EncryptionFromContext(r.Context())
		if !ok || ec.Scope != protocol.EciesScopeApplication || ec.ApplicationKey != core.appKey {
			t.Errorf("encryption context %+v", ec)
		}
		body, _ := io.ReadAll(r.Body)
		if status != http.StatusOK {
			render.ErrorResponse(w, status, render.ErrorObject{Code: "X", Message: "handler error"})
			return
		}
		render.JSON(w, status, map[string]string{"echo": string(body), "version": ec.Version})
	}), mw.Encrypted(protocol.EciesScopeApplication, protocol.SharedInfo1GenericApplication))

	for _, v := range protocol.Versions {
		if v == protocol.Version33 {
			continue // needs a temporary key; covered end to end
		}
		t.Run(v, func(t *testing.T) {
			req, env := core.encryptApp(t, v, []byte(`{"hello":"world"}`))
			body, _ := req.Marshal()
			hdr := protocol.EncryptionHeader{ApplicationKey: core.appKey, Version: v}.String()
			a := serve(t, h, http.MethodPost, "/x", map[string]string{protocol.HeaderEncryption: hdr}, body)
			if a.status != 200 {
				t.Fatalf("HTTP %d %s", a.status, a.raw)
			}
			resp, err := protocol.ParseEncryptedResponse(a.raw, v)
			if err != nil {
				t.Fatal(err)
			}
			pt, err := env.DecryptResponse(resp)
			if err != nil || string(pt) != `{"echo":"{\"hello\":\"world\"}","version":"`+v+`"}` {
				t.Fatalf("plaintext %s, %v", pt, err)
			}
		})
	}

	req, _ := core.encryptApp(t, "3.2", []byte(`{}`))
	body, _ := req.Marshal()
	hdr := map[string]string{protocol.HeaderEncryption: protocol.EncryptionHeader{ApplicationKey: core.appKey, Version: "3.2"}.String()}
	t.Run("handler errors pass through unencrypted", func(t *testing.T) {
		status = http.StatusConflict
		defer func() { status = http.StatusOK }()
		serve(t, h, http.MethodPost, "/x", hdr, body).want(t, http.StatusConflict, "X")
	})
	tamperedReq := *req
	tamperedReq.MAC = append([]byte(nil), req.MAC...)
	tamperedReq.MAC[0] ^= 1
	tamperedBody, _ := tamperedReq.Marshal()
	for name, tc := range map[string]struct {
		headers map[string]string
		body    []byte
		coreErr error
		status  int
		code    string
	}{
		"no header":          {nil, body, nil, 400, CodeEncryption},
		"bad header":         {map[string]string{protocol.HeaderEncryption: "PowerAuth x"}, body, nil, 400, CodeEncryption},
		"version mismatch":   {map[string]string{protocol.HeaderEncryption: protocol.EncryptionHeader{ApplicationKey: core.appKey, Version: "3.1"}.String()}, body, nil, 400, CodeEncryption},
		"tampered MAC":       {hdr, tamperedBody, nil, 400, CodeEncryption},
		"not a cryptogram":   {hdr, []byte(`{"x":1}`), nil, 400, CodeEncryption},
		"core: replay":       {hdr, body, service.Errorf(service.CodeDecryptionFailed, "replay"), 400, CodeEncryption},
		"core: unknown app":  {hdr, body, service.Errorf(service.CodeInvalidApplication, "x"), 400, CodeEncryption},
		"core: no temp key":  {hdr, body, service.Errorf(service.CodeMissingTemporaryKey, "x"), 400, CodeTemporaryKey},
		"core: failure":      {hdr, body, errors.New("boom"), 500, service.CodeUnknown},
		"activation_id here": {map[string]string{protocol.HeaderEncryption: protocol.EncryptionHeader{ApplicationKey: core.appKey, Version: "3.2", ActivationID: uuid.NewString()}.String()}, body, nil, 400, CodeEncryption},
	} {
		t.Run(name, func(t *testing.T) {
			core.decryptorErr = tc.coreErr
			defer func() { core.decryptorErr = nil }()
			serve(t, h, http.MethodPost, "/x", tc.headers, tc.body).want(t, tc.status, tc.code)
		})
	}
}

func TestEncryptedActivationScopeAfterSignature(t *testing.T) {
	core := newStubCore(t)
	actID := uuid.NewString()
	core.verify = func(in service.VerifySignatureInput) (service.VerifySignatureResult, error) {
		return service.VerifySignatureResult{SignatureValid: true, ActivationID: in.ActivationID, SignatureType: in.SignatureType}, nil
	}
	mw := NewMiddleware(core, MiddlewareOptions{})
	h := Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		render.OK(w, map[string]string{"got": string(body)})
	}), mw.RequireSignature("/pa/rename"), mw.Encrypted(protocol.EciesScopeActivation, protocol.SharedInfo1GenericActivation))

	req, env := core.encryptAct(t, "3.2", actID, []byte(`{"activationName":"x"}`))
	body, _ := req.Marshal()
	sig := protocol.AuthorizationHeader{Version: "3.2", ActivationID: actID, ApplicationKey: core.appKey, Nonce: base64.StdEncoding.EncodeToString(protocol.RandomBytes(16)),
		SignatureType: protocol.SignaturePossessionKnowledge, Signature: base64.StdEncoding.EncodeToString(protocol.RandomBytes(32))}
	a := serve(t, h, http.MethodPost, "/x", map[string]string{protocol.HeaderAuthorization: sig.String()}, body)
	if a.status != 200 {
		t.Fatalf("HTTP %d %s", a.status, a.raw)
	}
	resp, err := protocol.ParseEncryptedResponse(a.raw, "3.2")
	if err != nil {
		t.Fatal(err)
	}
	pt, err := env.DecryptResponse(resp)
	if err != nil || !strings.Contains(string(pt), `"got":"{\"activationName\":\"x\"}"`) {
		t.Fatalf("plaintext %s, %v", pt, err)
	}
	// An encryption header naming another activation than the signature.
	other := protocol.EncryptionHeader{ApplicationKey: core.appKey, Version: "3.2", ActivationID: uuid.NewString()}.String()
	req, _ = core.encryptAct(t, "3.2", actID, []byte(`{}`))
	body, _ = req.Marshal()
	serve(t, h, http.MethodPost, "/x", map[string]string{protocol.HeaderAuthorization: sig.String(), protocol.HeaderEncryption: other}, body).want(t, 400, CodeEncryption)
}

func TestEncryptedPanicsOnWiringMistake(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	NewMiddleware(newStubCore(t), MiddlewareOptions{}).Encrypted(protocol.EciesScopeActivation, protocol.SharedInfo1GenericApplication)
}

func TestBodyLimit(t *testing.T) {
	core := newStubCore(t)
	h := checked(t, New(core, Options{MaxBodyBytes: 64}))
	serve(t, h, http.MethodPost, "/pa/v3/activation/status", nil, []byte(strings.Repeat("x", 65))).want(t, http.StatusRequestEntityTooLarge, CodeHTTPRequest)
	hdr, _ := signatureHeader(uuid.NewString(), protocol.SignaturePossession, "3.3")
	serve(t, h, http.MethodPost, "/pa/v3/signature/validate", map[string]string{protocol.HeaderAuthorization: hdr}, []byte(strings.Repeat("x", 65))).
		want(t, http.StatusRequestEntityTooLarge, CodeHTTPRequest)
	if slices.Contains(core.called(), "VerifySignature") {
		t.Fatal("oversized request reached the core")
	}
}

func TestChainOrder(t *testing.T) {
	var order []string
	mk := func(name string) func(http.Handler) http.Handler {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				order = append(order, name)
				next.ServeHTTP(w, r)
			})
		}
	}
	h := Chain(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { order = append(order, "handler") }), mk("a"), mk("b"))
	serve(t, h, http.MethodGet, "/", nil, nil)
	if strings.Join(order, ",") != "a,b,handler" {
		t.Fatalf("order %v", order)
	}
}
