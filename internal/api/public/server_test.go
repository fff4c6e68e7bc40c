package public

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/idp"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/protocol"
)

// layer1 builds an encrypted layer-1 request of the stub's application.
func layer1(t *testing.T, core *stubCore, typ string, identity map[string]any, custom map[string]any) ([]byte, map[string]string, *protocol.EciesEnvelope) {
	t.Helper()
	l2, _ := core.encryptApp(t, "3.2", []byte(`{"devicePublicKey":"x"}`))
	pt, err := json.Marshal(map[string]any{"type": typ, "identityAttributes": identity, "customAttributes": custom, "activationData": l2})
	if err != nil {
		t.Fatal(err)
	}
	req, env := core.encryptApp(t, "3.2", pt)
	body, _ := req.Marshal()
	return body, map[string]string{protocol.HeaderEncryption: protocol.EncryptionHeader{ApplicationKey: core.appKey, Version: "3.2"}.String()}, env
}

// openLayer1 decrypts a layer-1 response.
func openLayer1(t *testing.T, a answer, env *protocol.EciesEnvelope) layer1Response {
	t.Helper()
	if a.status != 200 {
		t.Fatalf("HTTP %d %s", a.status, a.raw)
	}
	resp, err := protocol.ParseEncryptedResponse(a.raw, "3.2")
	if err != nil {
		t.Fatal(err)
	}
	pt, err := env.DecryptResponse(resp)
	if err != nil {
		t.Fatal(err)
	}
	checkPlaintext(t, "ActivationLayer1Response", pt)
	var out layer1Response
	if err := json.Unmarshal(pt, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func keyExchange(id string, status domain.ActivationStatus) service.KeyExchangeResult {
	ts := int64(1700000000000)
	return service.KeyExchangeResult{
		Activation: service.ActivationDetail{Activation: domain.Activation{ActivationID: id, UserID: "u-9", Status: status}, ApplicationName: "app"},
		Response:   &service.EciesResponse{EncryptedData: "ZW5j", Mac: "bWFj", Nonce: "bm9uY2U=", Timestamp: &ts},
	}
}

func TestActivationCreateCustom(t *testing.T) {
	var gotAttrs map[string]any
	var idpErr error
	provider := idp.ProviderFunc(func(_ context.Context, a map[string]any) (string, error) {
		gotAttrs = a
		if idpErr != nil {
			return "", idpErr
		}
		return "user-from-idp", nil
	})
	var stages []string
	userInfo := func(_ context.Context, req UserInfoRequest) (map[string]any, error) {
		stages = append(stages, req.Stage)
		return map[string]any{"sub": req.UserID, "name": "Alice"}, nil
	}
	newServer := func(opts Options) (*stubCore, http.Handler) {
		core := newStubCore(t)
		core.createAct = func(in service.CreateActivationInput) (service.KeyExchangeResult, error) {
			if in.UserID != "user-from-idp" || in.ApplicationKey != core.appKey || !in.GenerateRecoveryCodes || in.Request.ProtocolVersion != "3.2" || in.Request.Timestamp == nil {
				t.Errorf("create input %+v", in)
			}
			return keyExchange("act-1", domain.ActivationPendingCommit), nil
		}
		return core, checked(t, New(core, opts))
	}

	t.Run("auto-committed", func(t *testing.T) {
		core, h := newServer(Options{IdentityProvider: provider, UserInfo: userInfo})
		body, hdr, env := layer1(t, core, "CUSTOM", map[string]any{"username": "alice", "password": "pw"}, map[string]any{"k": "v"})
		out := openLayer1(t, serve(t, h, http.MethodPost, "/pa/v3/activation/create", hdr, body), env)
		if gotAttrs["username"] != "alice" || gotAttrs["password"] != "pw" {
			t.Fatalf("provider got %v", gotAttrs)
		}
		if out.ActivationData.EncryptedData != "ZW5j" || out.ActivationData.Mac != "bWFj" || *out.ActivationData.Nonce != "bm9uY2U=" || *out.ActivationData.Timestamp != 1700000000000 {
			t.Fatalf("activation data %+v", out.ActivationData)
		}
		if out.CustomAttributes["k"] != "v" || out.UserInfo["name"] != "Alice" || out.UserInfo["sub"] != "u-9" {
			t.Fatalf("layer 1 response %+v", out)
		}
		if !slices.Contains(core.called(), "CommitActivation act-1") || !slices.Equal(stages, []string{UserInfoStageCustom}) {
			t.Fatalf("calls %v, stages %v", core.called(), stages)
		}
	})
	t.Run("DIRECT goes to the provider too", func(t *testing.T) {
		core, h := newServer(Options{IdentityProvider: provider})
		body, hdr, env := layer1(t, core, "DIRECT", map[string]any{"method": "legacy", "login": "a"}, nil)
		out := openLayer1(t, serve(t, h, http.MethodPost, "/pa/v3/activation/create", hdr, body), env)
		if gotAttrs["method"] != "legacy" || out.UserInfo != nil || out.CustomAttributes == nil {
			t.Fatalf("provider got %v, response %+v", gotAttrs, out)
		}
	})
	t.Run("auto-commit disabled", func(t *testing.T) {
		core, h := newServer(Options{IdentityProvider: provider, DisableAutoCommit: true})
		body, hdr, env := layer1(t, core, "CUSTOM", map[string]any{"username": "alice"}, nil)
		openLayer1(t, serve(t, h, http.MethodPost, "/pa/v3/activation/create", hdr, body), env)
		if slices.ContainsFunc(core.called(), func(c string) bool { return strings.HasPrefix(c, "CommitActivation") }) {
			t.Fatalf("committed: %v", core.called())
		}
	})
	for name, err := range map[string]error{
		"invalid credentials": fmt.Errorf("%w: no", idp.ErrInvalidCredentials),
		"provider down":       fmt.Errorf("%w: timeout", idp.ErrUnavailable),
		"provider bug":        errors.New("unexpected"),
	} {
		t.Run(name, func(t *testing.T) {
			idpErr = err
			defer func() { idpErr = nil }()
			core, h := newServer(Options{IdentityProvider: provider})
			body, hdr, _ := layer1(t, core, "CUSTOM", map[string]any{"username": "alice"}, nil)
			serve(t, h, http.MethodPost, "/pa/v3/activation/create", hdr, body).want(t, 400, CodeActivation)
			if slices.Contains(core.called(), "CreateActivation") {
				t.Fatal("activation created")
			}
		})
	}
	t.Run("no provider", func(t *testing.T) {
		core, h := newServer(Options{})
		body, hdr, _ := layer1(t, core, "CUSTOM", map[string]any{"username": "alice"}, nil)
		serve(t, h, http.MethodPost, "/pa/v3/activation/create", hdr, body).want(t, 400, CodeActivation)
	})
	t.Run("commit fails", func(t *testing.T) {
		core, h := newServer(Options{IdentityProvider: provider})
		core.commitErr = service.Errorf(service.CodeActivationIncorrectState, "x")
		body, hdr, _ := layer1(t, core, "CUSTOM", map[string]any{"username": "alice"}, nil)
		serve(t, h, http.MethodPost, "/pa/v3/activation/create", hdr, body).want(t, 400, CodeActivation)
	})
}

func TestActivationCreateCodeAndRecovery(t *testing.T) {
	core := newStubCore(t)
	h := checked(t, New(core, Options{}))
	core.prepareAct = func(in service.PrepareActivationInput) (service.KeyExchangeResult, error) {
		if in.ActivationCode != "AAAAA-AAAAA-AAAAA-AAAAA" || !in.GenerateRecoveryCodes || in.ApplicationKey != core.appKey {
			t.Errorf("prepare input %+v", in)
		}
		return keyExchange("act-code", domain.ActivationPendingCommit), nil
	}
	body, hdr, env := layer1(t, core, "CODE", map[string]any{"code": "AAAAA-AAAAA-AAAAA-AAAAA"}, nil)
	out := openLayer1(t, serve(t, h, http.MethodPost, "/pa/v3/activation/create", hdr, body), env)
	if out.ActivationData.Mac != "bWFj" || out.UserInfo != nil {
		t.Fatalf("response %+v", out)
	}
	if slices.ContainsFunc(core.called(), func(c string) bool { return strings.HasPrefix(c, "CommitActivation") }) {
		t.Fatal("code activation committed by the enrollment server")
	}

	idx := 2
	core.recoveryAct = func(in service.RecoveryActivationInput) (service.KeyExchangeResult, error) {
		if in.RecoveryCode != "AAAAA-AAAAA-AAAAA-AAAAA" || in.PUK != "0123456789" {
			t.Errorf("recovery input %+v", in)
		}
		return service.KeyExchangeResult{}, &service.Error{Code: service.CodeRecovery, Message: "wrong PUK", CurrentRecoveryPukIndex: &idx}
	}
	body, hdr, _ = layer1(t, core, "RECOVERY", map[string]any{"recoveryCode": "AAAAA-AAAAA-AAAAA-AAAAA", "puk": "0123456789"}, nil)
	a := serve(t, h, http.MethodPost, "/pa/v3/activation/create", hdr, body)
	a.want(t, 400, CodeRecovery)
	if obj := a.body["responseObject"].(map[string]any); obj["currentRecoveryPukIndex"] != float64(2) || obj["message"] != "POWER_AUTH_RECOVERY_INVALID" {
		t.Fatalf("recovery error %v", obj)
	}

	core.recoveryAct = func(service.RecoveryActivationInput) (service.KeyExchangeResult, error) {
		return keyExchange("act-rec", domain.ActivationPendingCommit), nil
	}
	body, hdr, env = layer1(t, core, "RECOVERY", map[string]any{"recoveryCode": "AAAAA-AAAAA-AAAAA-AAAAA", "puk": "0123456789"}, nil)
	openLayer1(t, serve(t, h, http.MethodPost, "/pa/v3/activation/create", hdr, body), env)
	if !slices.Contains(core.called(), "CommitActivation act-rec") {
		t.Fatalf("recovery activation not committed: %v", core.called())
	}
	for name, identity := range map[string]map[string]any{
		"code missing":     {"other": "x"},
		"puk missing":      {"recoveryCode": "AAAAA-AAAAA-AAAAA-AAAAA"},
		"code not string":  {"code": 12},
		"code too long":    {"code": strings.Repeat("A", 300)},
		"empty identities": {},
	} {
		t.Run(name, func(t *testing.T) {
			typ := "CODE"
			if name == "puk missing" {
				typ = "RECOVERY"
			}
			body, hdr, _ := layer1(t, core, typ, identity, nil)
			serve(t, h, http.MethodPost, "/pa/v3/activation/create", hdr, body).want(t, 400, CodeActivation)
		})
	}
}

func TestServerStatusAndRouting(t *testing.T) {
	now := time.UnixMilli(1700000000123)
	s := New(newStubCore(t), Options{Now: func() time.Time { return now }, ApplicationName: "bank", ApplicationVersion: "9.9"})
	h := checked(t, s)
	for _, m := range []string{http.MethodPost, http.MethodGet} {
		a := serve(t, h, m, "/pa/v3/status", nil, []byte(`{"requestObject":{}}`))
		a.want(t, 200, "")
		obj := a.body["responseObject"].(map[string]any)
		app := obj["application"].(map[string]any)
		if obj["serverTime"] != float64(1700000000123) || app["name"] != "bank" || app["version"] != "9.9" {
			t.Fatalf("status %v", obj)
		}
	}
	a := serve(t, h, http.MethodGet, "/pa/v3/token/create", nil, nil)
	a.want(t, http.StatusMethodNotAllowed, CodeHTTPRequest)
	serve(t, h, http.MethodPost, "/pa/v3/unknown", nil, nil).want(t, http.StatusNotFound, "ERROR_NOT_FOUND")
	// The contract checker's router ignores a trailing slash, so this
	// path outside the document goes to the server directly.
	serve(t, s.Handler(), http.MethodPost, "/pa/v3/activation/create/", nil, nil).want(t, http.StatusNotFound, "ERROR_NOT_FOUND")
}

func TestActivationStatusUnknown(t *testing.T) {
	core := newStubCore(t)
	core.Core = statusCore{}
	h := checked(t, New(core, Options{}))
	id := uuid.NewString()
	a := serve(t, h, http.MethodPost, "/pa/v3/activation/status", nil, []byte(`{"requestObject":{"activationId":"`+id+`","challenge":"AAAAAAAAAAAAAAAAAAAAAA=="}}`))
	a.want(t, 200, "")
	obj := a.body["responseObject"].(map[string]any)
	if obj["activationId"] != id || obj["encryptedStatusBlob"] == "" || obj["nonce"] == nil {
		t.Fatalf("status %v", obj)
	}
	if _, ok := obj["customObject"]; !ok {
		t.Fatal("customObject missing")
	}
	// 3.0: no challenge, no nonce.
	a = serve(t, h, http.MethodPost, "/pa/v3/activation/status", nil, []byte(`{"requestObject":{"activationId":"`+id+`"}}`))
	if obj := a.body["responseObject"].(map[string]any); obj["nonce"] != nil {
		t.Fatalf("3.0 status %v", obj)
	}
}

// statusCore answers GetActivationStatus like the core for an unknown id.
type statusCore struct{ Core }

func (statusCore) GetActivationStatus(_ context.Context, _ string, challenge []byte) (service.ActivationStatusResult, error) {
	out := service.ActivationStatusResult{EncryptedStatusBlob: protocol.RandomBytes(32)}
	if challenge != nil {
		out.EncryptedStatusBlobNonce = protocol.RandomBytes(16)
	}
	return out, nil
}
