package public

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/protocol"
)

// stubCore is a Core for handler tests: ECIES secrets are derived for real
// from a master key (and, in activation scope, a fixed transport key);
// everything else is what the test sets. Calls the test did not expect hit
// the nil embedded interface and fail the request.
type stubCore struct {
	Core

	master       *protocol.PrivateKey
	appKey       string
	appSecret    string
	transportKey []byte

	mu            sync.Mutex
	decryptorErr  error
	verify        func(service.VerifySignatureInput) (service.VerifySignatureResult, error)
	validateToken func(service.ValidateTokenInput) (service.ValidateTokenResult, error)
	createAct     func(service.CreateActivationInput) (service.KeyExchangeResult, error)
	recoveryAct   func(service.RecoveryActivationInput) (service.KeyExchangeResult, error)
	prepareAct    func(service.PrepareActivationInput) (service.KeyExchangeResult, error)
	commitErr     error
	calls         []string
}

func newStubCore(t *testing.T) *stubCore {
	t.Helper()
	k, err := protocol.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	return &stubCore{
		master:       k,
		appKey:       base64.StdEncoding.EncodeToString(protocol.RandomBytes(16)),
		appSecret:    base64.StdEncoding.EncodeToString(protocol.RandomBytes(16)),
		transportKey: protocol.RandomBytes(16),
	}
}

func (c *stubCore) record(call string) {
	c.mu.Lock()
	c.calls = append(c.calls, call)
	c.mu.Unlock()
}

func (c *stubCore) called() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.calls...)
}

func (c *stubCore) EciesDecryptor(_ context.Context, in service.EciesDecryptorInput) (protocol.EciesSecrets, error) {
	c.record("EciesDecryptor")
	if c.decryptorErr != nil {
		return protocol.EciesSecrets{}, c.decryptorErr
	}
	ectx := protocol.EciesContext{Version: in.ProtocolVersion, SharedInfo1: protocol.SharedInfo1GenericApplication, ApplicationKey: in.ApplicationKey, ApplicationSecret: c.appSecret}
	if in.ActivationID != "" {
		ectx.SharedInfo1, ectx.ActivationID, ectx.TransportKey = protocol.SharedInfo1GenericActivation, in.ActivationID, c.transportKey
	}
	eph, _ := base64.StdEncoding.DecodeString(in.EphemeralPublicKey)
	var nonce []byte
	if in.Nonce != "" {
		nonce, _ = base64.StdEncoding.DecodeString(in.Nonce)
	}
	var ts int64
	if in.Timestamp != nil {
		ts = *in.Timestamp
	}
	env, err := protocol.NewServerEciesEnvelope(c.master, ectx, eph, nonce, ts)
	if err != nil {
		return protocol.EciesSecrets{}, service.Wrap(service.CodeDecryptionFailed, "Decryption failed.", err)
	}
	return env.Secrets(), nil
}

func (c *stubCore) VerifySignature(_ context.Context, in service.VerifySignatureInput) (service.VerifySignatureResult, error) {
	c.record("VerifySignature")
	return c.verify(in)
}

func (c *stubCore) ValidateToken(_ context.Context, in service.ValidateTokenInput) (service.ValidateTokenResult, error) {
	c.record("ValidateToken")
	return c.validateToken(in)
}

func (c *stubCore) CreateActivation(_ context.Context, in service.CreateActivationInput) (service.KeyExchangeResult, error) {
	c.record("CreateActivation")
	return c.createAct(in)
}

func (c *stubCore) CreateActivationWithRecoveryCode(_ context.Context, in service.RecoveryActivationInput) (service.KeyExchangeResult, error) {
	c.record("CreateActivationWithRecoveryCode")
	return c.recoveryAct(in)
}

func (c *stubCore) PrepareActivation(_ context.Context, in service.PrepareActivationInput) (service.KeyExchangeResult, error) {
	c.record("PrepareActivation")
	return c.prepareAct(in)
}

func (c *stubCore) CommitActivation(_ context.Context, activationID, _, _ string) (domain.Activation, error) {
	c.record("CommitActivation " + activationID)
	return domain.Activation{ActivationID: activationID}, c.commitErr
}

// encryptApp encrypts plaintext for the stub's application scope.
func (c *stubCore) encryptApp(t *testing.T, version string, plaintext []byte) (*protocol.EncryptedRequest, *protocol.EciesEnvelope) {
	t.Helper()
	req, env, err := protocol.EncryptRequest(c.master.Public(), protocol.EciesContext{
		Version: version, SharedInfo1: protocol.SharedInfo1GenericApplication, ApplicationKey: c.appKey, ApplicationSecret: c.appSecret,
	}, plaintext, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return req, env
}

// encryptAct encrypts plaintext for the stub's activation scope.
func (c *stubCore) encryptAct(t *testing.T, version, activationID string, plaintext []byte) (*protocol.EncryptedRequest, *protocol.EciesEnvelope) {
	t.Helper()
	req, env, err := protocol.EncryptRequest(c.master.Public(), protocol.EciesContext{
		Version: version, SharedInfo1: protocol.SharedInfo1GenericActivation, ApplicationKey: c.appKey, ApplicationSecret: c.appSecret,
		ActivationID: activationID, TransportKey: c.transportKey,
	}, plaintext, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return req, env
}

// answer is a recorded HTTP answer.
type answer struct {
	status int
	raw    []byte
	body   map[string]any
}

func (a answer) code() string {
	obj, _ := a.body["responseObject"].(map[string]any)
	s, _ := obj["code"].(string)
	return s
}

func (a answer) want(t *testing.T, status int, code string) {
	t.Helper()
	if a.status != status || a.code() != code {
		t.Fatalf("got HTTP %d %s, want %d %s", a.status, a.raw, status, code)
	}
}

// serve sends one request to h.
func serve(t *testing.T, h http.Handler, method, target string, headers map[string]string, body []byte) answer {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	r := httptest.NewRequest(method, target, rd)
	if body != nil {
		r.Header.Set("Content-Type", "application/json") // as the SDKs send
	}
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	a := answer{status: w.Code, raw: w.Body.Bytes()}
	_ = json.Unmarshal(a.raw, &a.body)
	return a
}
