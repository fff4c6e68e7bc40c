package coreclient_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/api/public"
	"github.com/mauth/mauth/internal/coreclient"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/protocol"
)

// TestErrorParity checks that business errors reach the enrollment layer
// with the same code, message and recovery PUK index in both modes.
func TestErrorParity(t *testing.T) {
	f := newFixture(t)
	a := f.createApp(t, "errors")
	ctx := context.Background()
	const unknownID = "00000000-0000-4000-8000-000000000000"

	// An active activation with a recovery code, for the recovery cases.
	d := newDevice(t)
	req, env := encrypt(t, f.svc, a, protocol.Version32, protocol.SharedInfo1ActivationLayer2, nil, d.layer2(t))
	kx, err := f.svc.CreateActivation(ctx, service.CreateActivationInput{UserID: "dave", ApplicationKey: a.key, GenerateRecoveryCodes: true, Request: req})
	if err != nil {
		t.Fatal(err)
	}
	d.finishKeyExchange(t, env, kx.Response)
	if _, err := f.svc.CommitActivation(ctx, d.id, "", ""); err != nil {
		t.Fatal(err)
	}
	wrongPUK := "0000000000"
	if d.puk == wrongPUK {
		wrongPUK = "1111111111"
	}

	cases := []struct {
		name string
		code string
		call func(core public.Core) error
	}{
		{"lookup unknown application key", service.CodeInvalidApplication, func(core public.Core) error {
			_, _, err := core.LookupApplicationByKey(ctx, "AAAAAAAAAAAAAAAAAAAAAA==")
			return err
		}},
		{"prepare unknown activation code", "", func(core public.Core) error {
			req, _ := encrypt(t, core, a, protocol.Version32, protocol.SharedInfo1ActivationLayer2, nil, newDevice(t).layer2(t))
			_, err := core.PrepareActivation(ctx, service.PrepareActivationInput{ActivationCode: "AAAAA-AAAAA-AAAAA-AAAAA", ApplicationKey: a.key, Request: req})
			return err
		}},
		{"create activation with an unknown application key", service.CodeInvalidApplication, func(core public.Core) error {
			req, _ := encrypt(t, core, a, protocol.Version32, protocol.SharedInfo1ActivationLayer2, nil, newDevice(t).layer2(t))
			_, err := core.CreateActivation(ctx, service.CreateActivationInput{UserID: "eve", ApplicationKey: "AAAAAAAAAAAAAAAAAAAAAA==", Request: req})
			return err
		}},
		{"recovery with a wrong PUK", service.CodeRecovery, func(core public.Core) error {
			req, _ := encrypt(t, core, a, protocol.Version32, protocol.SharedInfo1ActivationLayer2, nil, newDevice(t).layer2(t))
			_, err := core.CreateActivationWithRecoveryCode(ctx, service.RecoveryActivationInput{RecoveryCode: d.recoveryCode, PUK: wrongPUK, ApplicationKey: a.key, Request: req})
			return err
		}},
		{"commit unknown activation", service.CodeActivationNotFound, func(core public.Core) error {
			_, err := core.CommitActivation(ctx, unknownID, "", "")
			return err
		}},
		{"commit active activation", service.CodeActivationIncorrectState, func(core public.Core) error {
			_, err := core.CommitActivation(ctx, d.id, "", "")
			return err
		}},
		{"remove unknown activation", service.CodeActivationNotFound, func(core public.Core) error {
			_, err := core.RemoveActivation(ctx, unknownID, "", false)
			return err
		}},
		{"rename unknown activation", service.CodeActivationNotFound, func(core public.Core) error {
			_, err := core.UpdateActivationName(ctx, unknownID, "x", "")
			return err
		}},
		{"token timestamp too old", service.CodeTokenTimestampTooOld, func(core public.Core) error {
			in := tokenInput("token", protocol.RandomBytes(16), protocol.Version32)
			in.Timestamp = time.Now().Add(-24 * time.Hour).UnixMilli()
			_, err := core.ValidateToken(ctx, in)
			return err
		}},
		{"token timestamp in the future", service.CodeTokenTimestampTooInFuture, func(core public.Core) error {
			in := tokenInput("token", protocol.RandomBytes(16), protocol.Version32)
			in.Timestamp = time.Now().Add(24 * time.Hour).UnixMilli()
			_, err := core.ValidateToken(ctx, in)
			return err
		}},
		{"vault unlock with one factor", service.CodeInvalidSignature, func(core public.Core) error {
			_, err := core.UnlockVault(ctx, service.VaultUnlockInput{
				ActivationID: d.id, ApplicationKey: a.key, SignedData: "x", Signature: "y", SignatureType: protocol.SignaturePossession, SignatureVersion: "3.2",
				Request: service.EciesRequest{EphemeralPublicKey: "a", EncryptedData: "b", Mac: "c"},
			})
			return err
		}},
		{"token for an unknown activation", "", func(core public.Core) error {
			req, _ := encrypt(t, core, a, protocol.Version32, protocol.SharedInfo1TokenCreate, d, []byte("{}"))
			_, err := core.CreateToken(ctx, service.CreateTokenInput{ActivationID: unknownID, ApplicationKey: a.key, SignatureType: protocol.SignaturePossession, Request: req})
			return err
		}},
		{"decryptor with an unknown application key", "", func(core public.Core) error {
			req, _ := encrypt(t, core, a, protocol.Version32, protocol.SharedInfo1GenericApplication, nil, []byte("{}"))
			_, err := core.EciesDecryptor(ctx, service.EciesDecryptorInput{ApplicationKey: "AAAAAAAAAAAAAAAAAAAAAA==", EphemeralPublicKey: req.EphemeralPublicKey, Nonce: req.Nonce, Timestamp: req.Timestamp, ProtocolVersion: "3.2"})
			return err
		}},
		{"replayed ECIES request", "", func(core public.Core) error {
			req, _ := encrypt(t, core, a, protocol.Version32, protocol.SharedInfo1TokenCreate, d, []byte("{}"))
			in := service.CreateTokenInput{ActivationID: d.id, ApplicationKey: a.key, SignatureType: protocol.SignaturePossession, Request: req}
			if _, err := core.CreateToken(ctx, in); err != nil {
				return errors.New("first request failed: " + err.Error())
			}
			_, err := core.CreateToken(ctx, in)
			return err
		}},
		{"upgrade of a version 3 activation", service.CodeActivationIncorrectState, func(core public.Core) error {
			req, _ := encrypt(t, core, a, protocol.Version32, protocol.SharedInfo1Upgrade, d, []byte("{}"))
			_, err := core.StartUpgrade(ctx, service.StartUpgradeInput{ActivationID: d.id, ApplicationKey: a.key, Request: req})
			return err
		}},
		{"commit upgrade of a version 3 activation", service.CodeActivationIncorrectState, func(core public.Core) error {
			_, err := core.CommitUpgrade(ctx, d.id, a.key)
			return err
		}},
		{"confirm recovery code of an unknown activation", "", func(core public.Core) error {
			req, _ := encrypt(t, core, a, protocol.Version32, protocol.SharedInfo1RecoveryConfirm, d, []byte(`{"recoveryCode":"`+d.recoveryCode+`"}`))
			_, err := core.ConfirmRecoveryCode(ctx, service.ConfirmRecoveryCodeInput{ActivationID: unknownID, ApplicationKey: a.key, Request: req})
			return err
		}},
		{"malformed temporary key request", service.CodeInvalidRequest, func(core public.Core) error {
			_, err := core.CreateTemporaryKey(ctx, "not.a.jwt")
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			direct := serviceError(t, "direct", tc.call(f.svc))
			remote := serviceError(t, "remote", tc.call(f.client))
			if tc.code != "" && direct.Code != tc.code {
				t.Errorf("direct code %s, want %s", direct.Code, tc.code)
			}
			if remote.Code != direct.Code || remote.Message != direct.Message {
				t.Errorf("remote %s %q, direct %s %q", remote.Code, remote.Message, direct.Code, direct.Message)
			}
			if (remote.CurrentRecoveryPukIndex == nil) != (direct.CurrentRecoveryPukIndex == nil) ||
				(remote.CurrentRecoveryPukIndex != nil && *remote.CurrentRecoveryPukIndex != *direct.CurrentRecoveryPukIndex) {
				t.Errorf("recovery PUK index: remote %v, direct %v", remote.CurrentRecoveryPukIndex, direct.CurrentRecoveryPukIndex)
			}
		})
	}
}

// serviceError requires err to be a *service.Error.
func serviceError(t *testing.T, mode string, err error) *service.Error {
	t.Helper()
	var se *service.Error
	if !errors.As(err, &se) {
		t.Fatalf("%s: got %v (%T), want a *service.Error", mode, err, err)
	}
	return se
}

// TestTransportErrors checks what the client makes of failures that are
// not business errors: none of them may look like a *service.Error.
func TestTransportErrors(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)

	// A closed port: the core is unreachable.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + ln.Addr().String()
	ln.Close()

	answer := func(status int, body string) string {
		hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
		}))
		t.Cleanup(hs.Close)
		return hs.URL
	}
	release := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(hanging.Close)
	t.Cleanup(func() { close(release) })

	cases := []struct {
		name        string
		opts        coreclient.Options
		unavailable bool
		timeout     bool
		status      int
		unauthz     bool
		contains    string
	}{
		{name: "connection refused", opts: coreclient.Options{BaseURL: closedURL}, unavailable: true},
		{name: "timeout", opts: coreclient.Options{BaseURL: hanging.URL, Timeout: 50 * time.Millisecond}, unavailable: true, timeout: true},
		{name: "internal error", opts: coreclient.Options{BaseURL: answer(500, `{"status":"ERROR","responseObject":{"code":"ERR0000","message":"Unknown error occurred."}}`)}, unavailable: true, status: 500},
		{name: "bad gateway without JSON", opts: coreclient.Options{BaseURL: answer(502, `<html>`)}, unavailable: true, status: 502},
		{name: "wrong credentials", opts: coreclient.Options{BaseURL: f.url, ClientToken: f.token, ClientSecret: "wrong"}, unauthz: true},
		{name: "no credentials", opts: coreclient.Options{BaseURL: f.url}, unauthz: true},
		{name: "unknown method", opts: coreclient.Options{BaseURL: answer(404, `{"status":"ERROR","responseObject":{"code":"ERROR_NOT_FOUND","message":"Resource not found."}}`)}, contains: "does not serve"},
		{name: "not JSON", opts: coreclient.Options{BaseURL: answer(200, `hello`)}, contains: "without a JSON envelope"},
		{name: "malformed request", opts: coreclient.Options{BaseURL: answer(400, `{"status":"ERROR","responseObject":{"code":"ERROR_HTTP_REQUEST","message":"Request body is not valid JSON."}}`)}, contains: "malformed"},
		{name: "error without a code", opts: coreclient.Options{BaseURL: answer(400, `{"status":"ERROR","responseObject":{}}`)}, contains: "malformed error"},
		{name: "OK with a wrong shape", opts: coreclient.Options{BaseURL: answer(200, `{"status":"OK","responseObject":{"removed":"yes"}}`)}, contains: "decode answer"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := coreclient.New(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.RemoveToken(ctx, "token", "activation")
			if err == nil {
				t.Fatal("want an error")
			}
			var se *service.Error
			if errors.As(err, &se) {
				t.Fatalf("got a business error %v", se)
			}
			var ue *coreclient.UnavailableError
			if got := errors.As(err, &ue); got != tc.unavailable {
				t.Fatalf("unavailable = %v, want %v: %v", got, tc.unavailable, err)
			}
			if ue != nil {
				var marker interface{ Unavailable() bool }
				if !errors.As(err, &marker) || !marker.Unavailable() || ue.Timeout() != tc.timeout || ue.HTTPStatus != tc.status || ue.Method != "token/remove" {
					t.Fatalf("unavailable error %+v (timeout %v)", ue, ue.Timeout())
				}
			}
			if got := errors.Is(err, coreclient.ErrUnauthorized); got != tc.unauthz {
				t.Fatalf("unauthorized = %v, want %v: %v", got, tc.unauthz, err)
			}
			if tc.contains != "" && !strings.Contains(err.Error(), tc.contains) {
				t.Fatalf("error %q does not mention %q", err, tc.contains)
			}
		})
	}

	// The caller's context ends a call too.
	c, err := coreclient.New(coreclient.Options{BaseURL: hanging.URL})
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.RemoveToken(cctx, "t", "a"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled call: %v", err)
	}
}

func TestNewValidatesOptions(t *testing.T) {
	cases := []struct {
		name string
		opts coreclient.Options
		ok   bool
		base string
	}{
		{"plain", coreclient.Options{BaseURL: "http://127.0.0.1:8081"}, true, "http://127.0.0.1:8081"},
		{"trailing API path", coreclient.Options{BaseURL: "https://core.example/rest/v3/"}, true, "https://core.example"},
		{"with credentials", coreclient.Options{BaseURL: "http://core:8081", ClientToken: "t", ClientSecret: "s"}, true, "http://core:8081"},
		{"empty", coreclient.Options{}, false, ""},
		{"relative", coreclient.Options{BaseURL: "core:8081"}, false, ""},
		{"other scheme", coreclient.Options{BaseURL: "ftp://core"}, false, ""},
		{"token without secret", coreclient.Options{BaseURL: "http://core", ClientToken: "t"}, false, ""},
		{"negative timeout", coreclient.Options{BaseURL: "http://core", Timeout: -time.Second}, false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := coreclient.New(tc.opts)
			if (err == nil) != tc.ok {
				t.Fatalf("New: %v, want ok %v", err, tc.ok)
			}
			if tc.ok && c.BaseURL() != tc.base {
				t.Fatalf("base URL %q, want %q", c.BaseURL(), tc.base)
			}
		})
	}
}
