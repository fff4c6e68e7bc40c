package mtoken

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/api/public"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/internal/testutil/apicontract"
	"github.com/mauth/mauth/openapi"
	"github.com/mauth/mauth/protocol"
	"github.com/mauth/mauth/wire"
)

// The device every test request comes from.
const (
	testUser       = "alice"
	testApp        = "bank"
	testActivation = "5b7b8f4c-3c0e-4e8a-9d43-7f8d1b1e2a10"
	testTokenID    = "0f3c6f5e-7f4b-4c1e-9a57-2d6b8e9c1a23"
)

// goodSignature is the 3.1+ (Base64) signature value the fake core
// accepts for a factor combination; other values are invalid.
func goodSignature(typ protocol.SignatureType) string {
	return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 16*len(typ.Factors())))
}

// badSignature is a well-formed signature the fake core rejects.
func badSignature(typ protocol.SignatureType) string {
	return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{2}, 16*len(typ.Factors())))
}

// fakeCore is the core behind the request guards: signatures whose value
// is goodSignature and tokens of testTokenID are valid (with the factor
// combination of the signature header or tokenType); ECIES secrets are
// derived for real from a master key and a fixed transport key. down
// makes every call fail like an unreachable database.
type fakeCore struct {
	public.Core
	master       *protocol.PrivateKey
	appKey       string
	appSecret    string
	transportKey []byte
	flags        []string
	tokenType    protocol.SignatureType
	down         bool
}

func newFakeCore(t *testing.T) *fakeCore {
	t.Helper()
	k, err := protocol.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	return &fakeCore{
		master:       k,
		appKey:       base64.StdEncoding.EncodeToString(protocol.RandomBytes(16)),
		appSecret:    base64.StdEncoding.EncodeToString(protocol.RandomBytes(16)),
		transportKey: protocol.RandomBytes(16),
		tokenType:    protocol.SignaturePossession,
	}
}

func (c *fakeCore) VerifySignature(_ context.Context, in service.VerifySignatureInput) (service.VerifySignatureResult, error) {
	if c.down {
		return service.VerifySignatureResult{}, errors.New("database down")
	}
	return service.VerifySignatureResult{
		SignatureValid: in.Signature == goodSignature(in.SignatureType) && in.ActivationID == testActivation,
		ActivationID:   in.ActivationID, UserID: testUser, ApplicationID: testApp,
		SignatureType: in.SignatureType, ActivationFlags: c.flags,
	}, nil
}

func (c *fakeCore) ValidateToken(_ context.Context, in service.ValidateTokenInput) (service.ValidateTokenResult, error) {
	if c.down {
		return service.ValidateTokenResult{}, errors.New("database down")
	}
	return service.ValidateTokenResult{
		TokenValid: in.TokenID == testTokenID, ActivationID: testActivation, UserID: testUser, ApplicationID: testApp,
		SignatureType: c.tokenType, ActivationFlags: c.flags,
	}, nil
}

func (c *fakeCore) EciesDecryptor(_ context.Context, in service.EciesDecryptorInput) (protocol.EciesSecrets, error) {
	ectx := protocol.EciesContext{
		Version: in.ProtocolVersion, SharedInfo1: protocol.SharedInfo1GenericActivation, ApplicationKey: in.ApplicationKey,
		ApplicationSecret: c.appSecret, ActivationID: in.ActivationID, TransportKey: c.transportKey,
	}
	eph, _ := base64.StdEncoding.DecodeString(in.EphemeralPublicKey)
	nonce, _ := base64.StdEncoding.DecodeString(in.Nonce)
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

// signature returns a signature header of the test device.
func (c *fakeCore) signature(t testing.TB, typ protocol.SignatureType, signature string) string {
	t.Helper()
	return protocol.AuthorizationHeader{
		Version: "3.2", ActivationID: testActivation, ApplicationKey: c.appKey,
		Nonce: base64.StdEncoding.EncodeToString(protocol.RandomBytes(16)), SignatureType: typ, Signature: signature,
	}.String()
}

// token returns a token header of the test device.
func token(tokenID string) string {
	return protocol.NewTokenHeader(tokenID, protocol.RandomBytes(16), "3.2", time.Now().UnixMilli()).String()
}

// fakeOps is the core's operation service over a map.
type fakeOps struct {
	mu       sync.Mutex
	ops      map[string]Operation
	err      error
	failed   []string
	approved []ApproveRequest
	rejected []RejectRequest
}

func (f *fakeOps) all() ([]Operation, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	out := make([]Operation, 0, len(f.ops))
	for _, id := range []string{"pending", "payment-cs", "approved", "other-user", "unclaimed", "canceled", "expired", "failed", "flagged", "late"} {
		if op, ok := f.ops[id]; ok {
			out = append(out, op)
		}
	}
	return out, nil
}

func (f *fakeOps) PendingOperations(context.Context, ListQuery) ([]Operation, error) { return f.all() }

func (f *fakeOps) OperationHistory(context.Context, ListQuery) ([]Operation, error) { return f.all() }

func (f *fakeOps) OperationDetail(_ context.Context, id string) (Operation, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	op, ok := f.ops[id]
	if !ok {
		return Operation{}, service.Errorf(service.CodeOperationNotFound, "no operation %s", id)
	}
	return op, nil
}

func (f *fakeOps) ClaimOperation(_ context.Context, id, userID string) (Operation, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	op := f.ops[id]
	op.UserID = userID
	f.ops[id] = op
	return op, nil
}

func (f *fakeOps) ApproveOperation(_ context.Context, in ApproveRequest) (ActionResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	op := f.ops[in.OperationID]
	if in.Data != op.Data {
		op.FailureCount++
		f.ops[in.OperationID] = op
		return ActionResult{Result: ResultApprovalFailed, Operation: op}, nil
	}
	f.approved = append(f.approved, in)
	op.Status = StatusApproved
	f.ops[in.OperationID] = op
	return ActionResult{Result: ResultApproved, Operation: op}, nil
}

func (f *fakeOps) FailApproveOperation(_ context.Context, id, activationID string) (ActionResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failed = append(f.failed, id+" by "+activationID)
	return ActionResult{Result: ResultApprovalFailed, Operation: f.ops[id]}, nil
}

func (f *fakeOps) RejectOperation(_ context.Context, in RejectRequest) (ActionResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rejected = append(f.rejected, in)
	op := f.ops[in.OperationID]
	op.Status = StatusRejected
	f.ops[in.OperationID] = op
	return ActionResult{Result: ResultRejected, Operation: op}, nil
}

// fakeActivations answers activation spawn.
type fakeActivations struct {
	in []service.InitActivationInput
}

func (a *fakeActivations) InitActivation(_ context.Context, in service.InitActivationInput) (service.ActivationDetail, error) {
	if in.ApplicationID != "second-app" {
		return service.ActivationDetail{}, service.Errorf(service.CodeInvalidApplication, "no application %s", in.ApplicationID)
	}
	a.in = append(a.in, in)
	return service.ActivationDetail{Activation: domain.Activation{
		ActivationID: "9d2b8a1e-6c4f-4b7d-8e2a-1f3c5d7e9b01", UserID: in.UserID,
		ActivationCode: "AAAAA-AAAAA-AAAAA-AAAAA", ActivationSignature: []byte("signature"),
	}}, nil
}

// testOperations are operations in every state, with every attribute
// type the templates render.
func testOperations(now time.Time) map[string]Operation {
	base := Operation{
		UserID: testUser, Applications: []string{testApp}, OperationType: "rich", Data: "A1*A100CZK", Status: StatusPending,
		SignatureTypes: []string{"possession_knowledge", "possession_biometry"}, MaxFailureCount: 3,
		Created: now.Add(-time.Minute), Expires: now.Add(5 * time.Minute),
		Parameters: map[string]string{
			"amount": "100", "currency": "CZK", "iban": "CZ65", "note": "rent", "src": "10.5", "srcCur": "EUR", "dst": "262.5",
			"dstCur": "CZK", "thumb": "https://img/t.png", "orig": "https://img/o.png", "merchant": "Shop", "web": "https://shop",
		},
	}
	with := func(id string, f func(*Operation)) Operation {
		op := base
		op.ID = id
		if f != nil {
			f(&op)
		}
		return op
	}
	return map[string]Operation{
		"pending": with("pending", func(o *Operation) {
			o.ProximityCheck, o.NumberMatching, o.NumberMatchingOptions = true, true, []string{"12", "34", "56"}
		}),
		"payment-cs": with("payment-cs", func(o *Operation) {
			o.OperationType, o.SignatureTypes, o.RiskFlags = "payment", []string{"possession"}, "XCF"
		}),
		"approved":   with("approved", func(o *Operation) { o.Status, o.StatusReason = StatusApproved, "APPROVED_BY_USER" }),
		"other-user": with("other-user", func(o *Operation) { o.UserID = "bob" }),
		"unclaimed":  with("unclaimed", func(o *Operation) { o.UserID = "" }),
		"canceled":   with("canceled", func(o *Operation) { o.Status = StatusCanceled }),
		"expired":    with("expired", func(o *Operation) { o.Status = StatusExpired }),
		"failed":     with("failed", func(o *Operation) { o.Status = StatusFailed }),
		"flagged":    with("flagged", func(o *Operation) { o.ActivationFlag = "VIP" }),
		"late":       with("late", func(o *Operation) { o.Expires = now.Add(-time.Second) }),
	}
}

// richTemplates render every attribute type.
func richTemplates(t *testing.T) *Templates {
	t.Helper()
	tpl, err := ParseTemplates([]byte(`{"templates":[{"operationType":"rich","language":"en","title":"Pay ${amount}","message":"To ${iban}",
		"resultTexts":{"success":"Paid","failure":"Failed","reject":"Rejected"},
		"attributes":[
		{"id":"a","type":"AMOUNT","text":"Amount","params":{"amount":"amount","currency":"currency"}},
		{"id":"c","type":"AMOUNT_CONVERSION","text":"Rate","dynamic":true,"params":{"sourceAmount":"src","sourceCurrency":"srcCur","targetAmount":"dst","targetCurrency":"dstCur"}},
		{"id":"k","type":"KEY_VALUE","text":"Account","params":{"value":"iban"}},
		{"id":"n","type":"NOTE","text":"Note","params":{"note":"note"}},
		{"id":"h","type":"HEADING","text":"Details"},
		{"id":"w","type":"ALERT","text":"Alert","alertType":"INFO","title":"Check","message":"Account ${iban}"},
		{"id":"i","type":"IMAGE","text":"Receipt","params":{"thumbnailUrl":"thumb","originalUrl":"orig"}},
		{"id":"p","type":"PARTY_INFO","text":"Merchant","params":{"name":"merchant","websiteUrl":"web"}}],
		"ui":{"flipButtons":false,"postApprovalScreen":{"type":"GENERIC","payload":{"text":"${iban}"}}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

// mobileServer is the Mobile Token API over fakes, behind the contract
// checker of openapi/public.yaml.
type mobileServer struct {
	h    http.Handler
	core *fakeCore
	ops  *fakeOps
	acts *fakeActivations
}

func newMobileServer(t *testing.T) *mobileServer {
	t.Helper()
	now := time.Now()
	core := newFakeCore(t)
	m := &mobileServer{core: core, ops: &fakeOps{ops: testOperations(now)}, acts: &fakeActivations{}}
	mux := http.NewServeMux()
	New(Options{
		Middleware:   public.NewMiddleware(core, public.MiddlewareOptions{}),
		Operations:   m.ops,
		Activations:  m.acts,
		Templates:    richTemplates(t),
		MaxBodyBytes: 4096,
	}).Register(mux)
	m.h = apicontract.New(t, "openapi/public.yaml", openapi.Public).Wrap(mux)
	return m
}

// answer is a recorded answer.
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

// call sends a POST of body (JSON) with the headers.
func (m *mobileServer) call(t *testing.T, method, path string, headers map[string]string, body string) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, path, rd)
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	m.h.ServeHTTP(w, r)
	a := answer{status: w.Code, raw: w.Body.Bytes()}
	_ = json.Unmarshal(a.raw, &a.body)
	return a
}

func TestOperationEndpoints(t *testing.T) {
	m := newMobileServer(t)
	tok := func() map[string]string { return map[string]string{protocol.HeaderToken: token(testTokenID)} }
	signed := func(typ protocol.SignatureType) map[string]string {
		return map[string]string{protocol.HeaderAuthorization: m.core.signature(t, typ, goodSignature(typ))}
	}
	pk := protocol.SignaturePossessionKnowledge
	tests := []struct {
		name    string
		path    string
		headers map[string]string
		body    string
		status  int
		code    string // error code; "" for OK
	}{
		{"list", "list", tok(), `{"requestObject":{}}`, 200, ""},
		{"list without body", "list", tok(), "", 200, ""},
		{"list without token", "list", nil, `{}`, 401, CodeAuthFail},
		{"list with unknown token", "list", map[string]string{protocol.HeaderToken: token("7a1c2e3f-0000-4000-8000-000000000000")}, `{}`, 401, CodeAuthFail},
		{"list not JSON", "list", tok(), `{"requestObject":`, 400, CodeInvalidRequest},
		{"detail", "detail", tok(), `{"requestObject":{"id":"pending"}}`, 200, ""},
		{"detail of a finished operation", "detail", tok(), `{"requestObject":{"id":"approved"}}`, 200, ""},
		{"detail unknown", "detail", tok(), `{"requestObject":{"id":"nope"}}`, 400, CodeInvalidOperation},
		{"detail of another user", "detail", tok(), `{"requestObject":{"id":"other-user"}}`, 400, CodeInvalidOperation},
		{"detail unclaimed", "detail", tok(), `{"requestObject":{"id":"unclaimed"}}`, 400, CodeInvalidOperation},
		{"detail needs a flag", "detail", tok(), `{"requestObject":{"id":"flagged"}}`, 400, CodeRequiresActivationFlag},
		{"detail without id", "detail", tok(), `{"requestObject":{}}`, 400, CodeInvalidRequest},
		{"detail without request object", "detail", tok(), ``, 400, CodeInvalidRequest},
		{"claim", "detail/claim", tok(), `{"requestObject":{"id":"unclaimed"}}`, 200, ""},
		{"claim again", "detail/claim", tok(), `{"requestObject":{"id":"unclaimed"}}`, 200, ""},
		{"claim of another user's", "detail/claim", tok(), `{"requestObject":{"id":"other-user"}}`, 400, CodeInvalidOperation},
		{"history", "history", signed(pk), `{"requestObject":{}}`, 200, ""},
		{"history with one factor", "history", signed(protocol.SignaturePossession), `{}`, 401, CodeAuthFail},
		{"authorize wrong data", "authorize", signed(pk), `{"requestObject":{"id":"pending","data":"A1*A999CZK"}}`, 401, CodeOperationFailed},
		{"authorize bad signature", "authorize", map[string]string{protocol.HeaderAuthorization: m.core.signature(t, pk, badSignature(pk))}, `{"requestObject":{"id":"pending","data":"A1*A100CZK"}}`, 401, CodeAuthFail},
		{"authorize without data", "authorize", signed(pk), `{"requestObject":{"id":"pending"}}`, 400, CodeInvalidRequest},
		{"authorize approved", "authorize", signed(pk), `{"requestObject":{"id":"approved","data":"A1*A100CZK"}}`, 400, CodeOperationAlreadyFinished},
		{"authorize canceled", "authorize", signed(pk), `{"requestObject":{"id":"canceled","data":"A1*A100CZK"}}`, 400, CodeOperationAlreadyCanceled},
		{"authorize expired", "authorize", signed(pk), `{"requestObject":{"id":"expired","data":"A1*A100CZK"}}`, 400, CodeOperationExpired},
		{"authorize past expiry", "authorize", signed(pk), `{"requestObject":{"id":"late","data":"A1*A100CZK"}}`, 400, CodeOperationExpired},
		{"authorize failed", "authorize", signed(pk), `{"requestObject":{"id":"failed","data":"A1*A100CZK"}}`, 400, CodeOperationAlreadyFailed},
		{"authorize", "authorize", signed(pk), `{"requestObject":{"id":"pending","data":"A1*A100CZK","proximityCheck":{"otp":"12345678","type":"QR_CODE","timestampReceived":"2025-01-01T10:00:00Z","timestampSent":"2025-01-01T09:59:59Z"},"numberMatching":"34"}}`, 200, ""},
		{"cancel with a long reason", "cancel", signed(protocol.SignaturePossession), `{"requestObject":{"id":"payment-cs","reason":"` + strings.Repeat("R", 33) + `"}}`, 400, CodeInvalidRequest},
		{"cancel", "cancel", signed(protocol.SignaturePossession), `{"requestObject":{"id":"payment-cs","reason":"UNEXPECTED_OPERATION"}}`, 200, ""},
		{"cancel a rejected operation", "cancel", signed(protocol.SignaturePossession), `{"requestObject":{"id":"payment-cs"}}`, 400, CodeOperationAlreadyFinished},
		{"body too large", "list", tok(), `{"requestObject":{"x":"` + strings.Repeat("x", 5000) + `"}}`, 413, "ERROR_HTTP_REQUEST"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := m.call(t, http.MethodPost, OperationPrefix+tc.path, tc.headers, tc.body)
			if a.status != tc.status || a.code() != tc.code {
				t.Fatalf("HTTP %d %s, want %d %q", a.status, a.raw, tc.status, tc.code)
			}
			if tc.status == 200 && a.body["status"] != "OK" {
				t.Fatalf("answer %s", a.raw)
			}
		})
	}
	// The rejected signature of an authorize request asked the core to
	// count a failed approval of the operation it named, by the activation
	// its header named (the core decides whether it counts).
	if len(m.ops.failed) != 1 || m.ops.failed[0] != "pending by "+testActivation {
		t.Fatalf("failed approvals %v", m.ops.failed)
	}
	if len(m.ops.approved) != 1 || m.ops.approved[0].AdditionalData[AdditionalProximityOTP] != "12345678" || m.ops.approved[0].AdditionalData[AdditionalNumberMatching] != "34" {
		t.Fatalf("approvals %+v", m.ops.approved)
	}
	if len(m.ops.rejected) != 1 || m.ops.rejected[0].AdditionalData[AdditionalRejectReason] != "UNEXPECTED_OPERATION" {
		t.Fatalf("rejections %+v", m.ops.rejected)
	}
	if op := m.ops.ops["unclaimed"]; op.UserID != testUser {
		t.Fatalf("claim of a user-less operation did not assign it: %+v", op)
	}
}

func TestOperationListViews(t *testing.T) {
	m := newMobileServer(t)
	a := m.call(t, http.MethodPost, OperationPrefix+"list", map[string]string{protocol.HeaderToken: token(testTokenID), "Accept-Language": "cs"}, `{}`)
	if a.status != 200 {
		t.Fatalf("HTTP %d %s", a.status, a.raw)
	}
	ops, _ := a.body["responseObject"].([]any)
	ids := []string{}
	for _, o := range ops {
		ids = append(ids, o.(map[string]any)["id"].(string))
	}
	// PENDING, not expired and visible: the claimable one without a user too.
	if strings.Join(ids, ",") != "pending,payment-cs,unclaimed" {
		t.Fatalf("listed %v", ids)
	}
	first := ops[0].(map[string]any)
	attrs := first["formData"].(map[string]any)["attributes"].([]any)
	if len(attrs) != 8 || first["numberMatchingRequired"] != true || len(first["numberMatchingOptions"].([]any)) != 3 {
		t.Fatalf("rich operation %s", a.raw)
	}
	cs := ops[1].(map[string]any)
	if cs["formData"].(map[string]any)["title"] != "Potvrzení platby" || cs["allowedSignatureType"].(map[string]any)["type"] != "1FA" || cs["ui"].(map[string]any)["preApprovalScreen"] == nil {
		t.Fatalf("payment in Czech %v", cs)
	}
	h := m.call(t, http.MethodPost, OperationPrefix+"history", map[string]string{protocol.HeaderAuthorization: m.core.signature(t, protocol.SignaturePossessionBiometry, goodSignature(protocol.SignaturePossessionBiometry))}, `{}`)
	if hist, _ := h.body["responseObject"].([]any); h.status != 200 || len(hist) != 8 {
		t.Fatalf("history (every visible operation in every state): HTTP %d %s", h.status, h.raw)
	}
}

func TestMobileErrors(t *testing.T) {
	m := newMobileServer(t)
	if a := m.call(t, http.MethodGet, OperationPrefix+"list", nil, ""); a.status != http.StatusMethodNotAllowed || a.code() != "ERROR_HTTP_REQUEST" {
		t.Fatalf("GET list: HTTP %d %s", a.status, a.raw)
	}
	m.ops.err = errors.New("database down")
	if a := m.call(t, http.MethodPost, OperationPrefix+"list", map[string]string{protocol.HeaderToken: token(testTokenID)}, `{}`); a.status != 500 || a.code() != CodeGeneric {
		t.Fatalf("core failure: HTTP %d %s", a.status, a.raw)
	}
	m.ops.err = service.Errorf(service.CodeInvalidRequest, "bad")
	if a := m.call(t, http.MethodPost, OperationPrefix+"list", map[string]string{protocol.HeaderToken: token(testTokenID)}, `{}`); a.status != 400 || a.code() != CodeInvalidRequest {
		t.Fatalf("core business error: HTTP %d %s", a.status, a.raw)
	}
	m.core.down = true
	// A guard's own failure keeps the guard's code.
	if a := m.call(t, http.MethodPost, OperationPrefix+"list", map[string]string{protocol.HeaderToken: token(testTokenID)}, `{}`); a.status != 500 || a.code() != service.CodeUnknown {
		t.Fatalf("guard failure: HTTP %d %s", a.status, a.raw)
	}
}

func TestSpawn(t *testing.T) {
	m := newMobileServer(t)
	send := func(t *testing.T, typ protocol.SignatureType, plaintext string) (answer, *protocol.EciesEnvelope) {
		t.Helper()
		req, env, err := protocol.EncryptRequest(m.core.master.Public(), protocol.EciesContext{
			Version: "3.2", SharedInfo1: protocol.SharedInfo1GenericActivation, ApplicationKey: m.core.appKey,
			ApplicationSecret: m.core.appSecret, ActivationID: testActivation, TransportKey: m.core.transportKey,
		}, []byte(plaintext), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		body, _ := req.Marshal()
		hdr := protocol.AuthorizationHeader{
			Version: "3.2", ActivationID: testActivation, ApplicationKey: m.core.appKey,
			Nonce: base64.StdEncoding.EncodeToString(protocol.RandomBytes(16)), SignatureType: typ, Signature: goodSignature(typ),
		}
		return m.call(t, http.MethodPost, SpawnPath, map[string]string{protocol.HeaderAuthorization: hdr.String()}, string(body)), env
	}
	a, env := send(t, protocol.SignaturePossessionKnowledge, `{"requestObject":{"applicationId":"second-app","otp":"otp-1"}}`)
	if a.status != 200 {
		t.Fatalf("spawn: HTTP %d %s", a.status, a.raw)
	}
	resp, err := protocol.ParseEncryptedResponse(a.raw, "3.2")
	if err != nil {
		t.Fatal(err)
	}
	pt, err := env.DecryptResponse(resp)
	if err != nil {
		t.Fatal(err)
	}
	var out wire.SpawnedActivation
	if err := json.Unmarshal(pt, &out); err != nil || out.ActivationCode != "AAAAA-AAAAA-AAAAA-AAAAA" || !bytes.Equal(must64(t, out.ActivationSignature), []byte("signature")) {
		t.Fatalf("spawn answer %s: %v", pt, err)
	}
	if in := m.acts.in; len(in) != 1 || in[0].UserID != testUser || in[0].ActivationOTP != "otp-1" || in[0].CommitPhase == nil || *in[0].CommitPhase != domain.CommitPhaseOnKeyExchange {
		t.Fatalf("init input %+v", m.acts.in)
	}
	for name, tc := range map[string]struct {
		typ    protocol.SignatureType
		body   string
		status int
		code   string
	}{
		"unknown application": {protocol.SignaturePossessionKnowledge, `{"requestObject":{"applicationId":"nope","otp":"x"}}`, 400, CodeInvalidApplication},
		"no otp":              {protocol.SignaturePossessionBiometry, `{"requestObject":{"applicationId":"second-app"}}`, 400, CodeInvalidRequest},
		"one factor":          {protocol.SignaturePossession, `{"requestObject":{"applicationId":"second-app","otp":"x"}}`, 401, CodeAuthFail},
	} {
		t.Run(name, func(t *testing.T) {
			if a, _ := send(t, tc.typ, tc.body); a.status != tc.status || a.code() != tc.code {
				t.Fatalf("HTTP %d %s, want %d %s", a.status, a.raw, tc.status, tc.code)
			}
		})
	}
	hdr := map[string]string{protocol.HeaderAuthorization: m.core.signature(t, protocol.SignaturePossessionKnowledge, goodSignature(protocol.SignaturePossessionKnowledge))}
	if a := m.call(t, http.MethodPost, SpawnPath, hdr, `{"encryptedData":"AA=="}`); a.status != 400 || a.code() != "ERR_ENCRYPTION" {
		t.Fatalf("bad envelope: HTTP %d %s", a.status, a.raw)
	}
}

func must64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
