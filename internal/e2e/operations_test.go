package e2e

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mauth/mauth/client"
	apiinbox "github.com/mauth/mauth/internal/api/inbox"
	apimobileutil "github.com/mauth/mauth/internal/api/mobileutil"
	"github.com/mauth/mauth/internal/api/mtoken"
	"github.com/mauth/mauth/internal/api/public"
	apipush "github.com/mauth/mauth/internal/api/push"
	"github.com/mauth/mauth/internal/api/render"
	"github.com/mauth/mauth/internal/app"
	"github.com/mauth/mauth/internal/mobileutil"
	"github.com/mauth/mauth/internal/oidc"
	"github.com/mauth/mauth/internal/push"
	pushinbox "github.com/mauth/mauth/internal/push/inbox"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/teststore"
	"github.com/mauth/mauth/protocol"
)

// mountMobile serves the Standard RESTful API, the Mobile Token API,
// activation spawn, push registration and the mobile utility services'
// /app/init on one listener (as the
// all-in-one deployment does) and points the environment's devices at it.
func mountMobile(t *testing.T, e *env, st store.Store) {
	t.Helper()
	mw := public.NewMiddleware(e.svc, public.MiddlewareOptions{Now: e.clock.Now})
	mux := http.NewServeMux()
	act := app.NewOIDCActivator(e.svc, oidc.Options{HTTPClient: &http.Client{Timeout: testTimeout}})
	mux.Handle("/pa/", public.New(e.svc, public.Options{Now: e.clock.Now, OIDC: act}).Handler())
	mtoken.New(mtoken.Options{
		Middleware:  mw,
		Operations:  mtoken.ServiceOperations{Service: e.svc},
		Activations: e.svc,
		Now:         e.clock.Now,
	}).Register(mux)
	apipush.New(apipush.Options{Middleware: mw, Registrar: push.NewRegistry(st, e.clock.Now)}).Register(mux)
	apiinbox.NewPublic(apiinbox.PublicOptions{Middleware: mw, Inbox: pushinbox.New(pushinbox.Options{Store: st, Now: e.clock.Now})}).Register(mux)
	box, err := secretbox.New(secretbox.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	e.mobileUtil = mobileutil.New(st, box, mobileutil.Options{Now: e.clock.Now})
	apimobileutil.New(e.mobileUtil, nil).RegisterPublic(mux)
	mountSelfService(mux, e, mw, act)
	srv := httptest.NewServer(e.publicAPI.Wrap(render.WithRequestInfo("public-api", mux)))
	t.Cleanup(srv.Close)
	e.publicURL = srv.URL
}

// TestOperationsEndToEnd runs the approval scenarios with the Go device
// client on every backend.
func TestOperationsEndToEnd(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		e := newEnv(t, st, InProcess)
		mountMobile(t, e, st)
		app := e.newApp(t, "ops-app")
		e.private(t, "operation/template/create", map[string]any{
			"templateName": "payment-2fa", "operationType": "payment", "dataTemplate": "A1*A${amount}${currency}*I${iban}",
			"signatureType": []string{"POSSESSION_KNOWLEDGE", "POSSESSION_BIOMETRY"}, "maxFailureCount": 3, "expiration": 300,
		})
		e.private(t, "operation/template/create", map[string]any{
			"templateName": "login-1fa", "operationType": "login", "dataTemplate": "A2*T${channel}",
			"signatureType": []string{"POSSESSION"}, "maxFailureCount": 5, "expiration": 300, "riskFlags": "XF",
		})
		o := &opsFixture{e: e, app: app}
		t.Run("approve", o.approve)
		t.Run("reject", o.reject)
		t.Run("wrong-pin-until-failed", o.wrongPIN)
		t.Run("data-differs-by-one-byte", o.dataDiffers)
		t.Run("claim", o.claim)
		t.Run("parallel-approvals", o.parallel)
		t.Run("push-registration", func(t *testing.T) { o.push(t, st) })
		t.Run("spawn", o.spawn)
		t.Run("bad-input", o.badInput)
		t.Run("callbacks", o.callbacks)
		t.Run("proximity-totp", o.proximity)
		t.Run("number-matching", o.numberMatching)
		t.Run("offline-qr", o.offline)
		// Expiry moves the shared clock: keep it last.
		t.Run("expiry", o.expiry)
	})
}

type opsFixture struct {
	e   *env
	app *testApp
	mu  sync.Mutex
	n   int
}

// device activates a new device of user and gives it a possession token.
func (o *opsFixture) device(t *testing.T, user string) (*client.Client, *client.Device, *client.Token) {
	t.Helper()
	c := o.e.device(t, o.app, protocol.Version33)
	d := activateWithCode(t, o.e, c, o.app, user)
	tok, err := c.CreateToken(context.Background(), d, client.Possession)
	if err != nil {
		t.Fatalf("create token: %v", err)
	}
	return c, d, tok
}

// user returns a fresh user id.
func (o *opsFixture) user(prefix string) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.n++
	return prefix + "-" + strings.Repeat("x", o.n%3) + "-" + string(rune('a'+o.n%26)) + time.Now().Format("150405.000000")
}

// payment creates a payment operation for user via the private API.
func (o *opsFixture) payment(t *testing.T, user string) map[string]any {
	t.Helper()
	req := map[string]any{
		"applications": []string{o.app.name}, "templateName": "payment-2fa",
		"parameters": map[string]string{"amount": "1234.5", "currency": "CZK", "iban": "CZ6508000000192000145399"},
	}
	if user != "" {
		req["userId"] = user
	}
	return o.e.private(t, "operation/create", req)
}

func (o *opsFixture) bank(t *testing.T, id string) map[string]any {
	t.Helper()
	return o.e.private(t, "operation/detail", map[string]any{"operationId": id})
}

func (o *opsFixture) wantBank(t *testing.T, id, status string, failures int) map[string]any {
	t.Helper()
	op := o.bank(t, id)
	if op["status"] != status || op["failureCount"] != float64(failures) {
		t.Fatalf("bank sees %s with %v failures, want %s with %d", op["status"], op["failureCount"], status, failures)
	}
	return op
}

func findOp(ops []client.Operation, id string) *client.Operation {
	for i := range ops {
		if ops[i].ID == id {
			return &ops[i]
		}
	}
	return nil
}

func (o *opsFixture) approve(t *testing.T) {
	ctx := context.Background()
	user := o.user("approve")
	c, d, tok := o.device(t, user)
	created := o.payment(t, user)
	id := created["id"].(string)

	ops, err := c.ListOperations(ctx, tok, "cs-CZ,cs;q=0.9,en;q=0.5")
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	op := findOp(ops, id)
	if op == nil || len(ops) != 1 {
		t.Fatalf("list: %+v, want operation %s", ops, id)
	}
	if op.Name != "payment" || op.Status != "PENDING" || op.Data != created["data"] || op.Data != "A1*A1234.5CZK*ICZ6508000000192000145399" {
		t.Fatalf("operation: %+v", op)
	}
	if op.AllowedSignatureType.Type != "2FA" || !slices.Equal(op.AllowedSignatureType.Variants, []string{"possession_knowledge", "possession_biometry"}) {
		t.Fatalf("allowed signature type: %+v", op.AllowedSignatureType)
	}
	if op.FormData.Title != "Potvrzení platby" || !strings.Contains(op.FormData.Message, "1234.5 CZK") || !strings.Contains(op.FormData.Message, "CZ6508000000192000145399") {
		t.Fatalf("czech form data: %+v", op.FormData)
	}
	if len(op.FormData.Attributes) != 2 {
		t.Fatalf("attributes: %+v", op.FormData.Attributes)
	}
	amt, acct := op.FormData.Attributes[0], op.FormData.Attributes[1]
	if amt.Type != "AMOUNT" || amt.Label != "Částka" || amt.Amount != "1234.5" || amt.Currency != "CZK" ||
		amt.AmountFormatted != "1\u00a0234,50" || amt.CurrencyFormatted != "Kč" {
		t.Fatalf("amount attribute: %+v", amt)
	}
	if acct.Type != "KEY_VALUE" || acct.Value != "CZ6508000000192000145399" {
		t.Fatalf("account attribute: %+v", acct)
	}
	en, err := c.OperationDetail(ctx, tok, id, "en-US")
	if err != nil {
		t.Fatalf("detail: %v", err)
	}
	if en.FormData.Title != "Confirm Payment" || en.FormData.Attributes[0].AmountFormatted != "1,234.50" || en.FormData.ResultTexts == nil {
		t.Fatalf("english detail: %+v", en.FormData)
	}

	if err := c.AuthorizeOperation(ctx, d, client.PossessionKnowledge(pin), client.Approval{ID: id, Data: op.Data}); err != nil {
		t.Fatalf("authorize: %v", err)
	}
	bank := o.wantBank(t, id, "APPROVED", 0)
	if bank["userId"] != user {
		t.Fatalf("bank: user %v", bank["userId"])
	}
	extra, _ := bank["additionalData"].(map[string]any)
	if extra["activationId"] != d.ActivationID || extra["authFactor"] != "POSSESSION_KNOWLEDGE" {
		t.Fatalf("additional data: %v", extra)
	}
	if ops, err := c.ListOperations(ctx, tok, ""); err != nil || len(ops) != 0 {
		t.Fatalf("list after approval: %v %v", ops, err)
	}
	hist, err := c.OperationHistory(ctx, d, client.PossessionKnowledge(pin), "en")
	if err != nil {
		t.Fatalf("history: %v", err)
	}
	if h := findOp(hist, id); h == nil || h.Status != "APPROVED" {
		t.Fatalf("history: %+v", hist)
	}
	err = c.AuthorizeOperation(ctx, d, client.PossessionKnowledge(pin), client.Approval{ID: id, Data: op.Data})
	wantAPIError(t, err, http.StatusBadRequest, mtoken.CodeOperationAlreadyFinished)
	wantSynced(t, c, d)

	// A 1FA login operation with risk flags: UI extensions, possession approval.
	login := o.e.private(t, "operation/create", map[string]any{
		"userId": user, "applications": []string{o.app.name}, "templateName": "login-1fa",
		"parameters": map[string]string{"channel": "internet banking"},
	})
	lop, err := c.OperationDetail(ctx, tok, login["id"].(string), "")
	if err != nil {
		t.Fatalf("login detail: %v", err)
	}
	if lop.AllowedSignatureType.Type != "1FA" || lop.FormData.Title != "Confirm Login" || lop.UI["flipButtons"] != true || lop.UI["preApprovalScreen"] == nil {
		t.Fatalf("login operation: %+v", lop)
	}
	if err := c.AuthorizeOperation(ctx, d, client.Possession, client.Approval{ID: lop.ID, Data: lop.Data}); err != nil {
		t.Fatalf("authorize login: %v", err)
	}
	o.wantBank(t, lop.ID, "APPROVED", 0)
}

func (o *opsFixture) reject(t *testing.T) {
	ctx := context.Background()
	user := o.user("reject")
	c, d, _ := o.device(t, user)
	id := o.payment(t, user)["id"].(string)
	if err := c.RejectOperation(ctx, d, client.Possession, id, "INCORRECT_DATA"); err != nil {
		t.Fatalf("reject: %v", err)
	}
	bank := o.wantBank(t, id, "REJECTED", 0)
	if extra, _ := bank["additionalData"].(map[string]any); extra["rejectReason"] != "INCORRECT_DATA" {
		t.Fatalf("additional data: %v", extra)
	}
	err := c.RejectOperation(ctx, d, client.Possession, id, "")
	wantAPIError(t, err, http.StatusBadRequest, mtoken.CodeOperationAlreadyFinished)
	// Cancel needs a possession signature only.
	err = c.RejectOperation(ctx, d, client.PossessionKnowledge(pin), id, "")
	wantAPIError(t, err, http.StatusUnauthorized, mtoken.CodeAuthFail)
}

func (o *opsFixture) wrongPIN(t *testing.T) {
	ctx := context.Background()
	user := o.user("wrongpin")
	c, d, tok := o.device(t, user)
	id := o.payment(t, user)["id"].(string)
	op, err := c.OperationDetail(ctx, tok, id, "")
	if err != nil {
		t.Fatalf("detail: %v", err)
	}
	for i := 1; i <= 3; i++ {
		err := c.AuthorizeOperation(ctx, d, client.PossessionKnowledge(wrongPIN), client.Approval{ID: id, Data: op.Data})
		wantAPIError(t, err, http.StatusUnauthorized, mtoken.CodeAuthFail)
		status := "PENDING"
		if i == 3 {
			status = "FAILED"
		}
		o.wantBank(t, id, status, i)
	}
	err = c.AuthorizeOperation(ctx, d, client.PossessionKnowledge(pin), client.Approval{ID: id, Data: op.Data})
	wantAPIError(t, err, http.StatusBadRequest, mtoken.CodeOperationAlreadyFailed)
	o.wantBank(t, id, "FAILED", 3)
}

func (o *opsFixture) dataDiffers(t *testing.T) {
	ctx := context.Background()
	user := o.user("data")
	c, d, tok := o.device(t, user)
	id := o.payment(t, user)["id"].(string)
	op, err := c.OperationDetail(ctx, tok, id, "")
	if err != nil {
		t.Fatalf("detail: %v", err)
	}
	b := []byte(op.Data)
	b[len(b)-1] ^= 1
	err = c.AuthorizeOperation(ctx, d, client.PossessionKnowledge(pin), client.Approval{ID: id, Data: string(b)})
	wantAPIError(t, err, http.StatusUnauthorized, mtoken.CodeOperationFailed)
	o.wantBank(t, id, "PENDING", 1)
	if err := c.AuthorizeOperation(ctx, d, client.PossessionKnowledge(pin), client.Approval{ID: id, Data: op.Data}); err != nil {
		t.Fatalf("authorize with the right data: %v", err)
	}
	o.wantBank(t, id, "APPROVED", 1)
}

func (o *opsFixture) claim(t *testing.T) {
	ctx := context.Background()
	user := o.user("claim")
	c, d, tok := o.device(t, user)
	id := o.payment(t, "")["id"].(string)
	if ops, err := c.ListOperations(ctx, tok, ""); err != nil || findOp(ops, id) != nil {
		t.Fatalf("an unclaimed operation is listed: %v %v", ops, err)
	}
	_, err := c.OperationDetail(ctx, tok, id, "")
	wantAPIError(t, err, http.StatusBadRequest, mtoken.CodeInvalidOperation)
	op, err := c.ClaimOperation(ctx, tok, id, "en")
	if err != nil {
		t.Fatalf("claim: %v", err)
	}
	if op.ID != id || op.Status != "PENDING" || op.FormData.Title != "Confirm Payment" {
		t.Fatalf("claimed: %+v", op)
	}
	if bank := o.bank(t, id); bank["userId"] != user {
		t.Fatalf("bank sees user %v", bank["userId"])
	}
	// Another user cannot take it over.
	oc, _, otok := o.device(t, o.user("claim-other"))
	_, err = oc.ClaimOperation(ctx, otok, id, "")
	wantAPIError(t, err, http.StatusBadRequest, mtoken.CodeInvalidOperation)
	if err := c.AuthorizeOperation(ctx, d, client.PossessionBiometry, client.Approval{ID: id, Data: op.Data}); err != nil {
		t.Fatalf("authorize claimed: %v", err)
	}
	o.wantBank(t, id, "APPROVED", 0)
}

// parallel sends 32 approvals of one operation at once, each from its own
// device of the user: exactly one wins.
func (o *opsFixture) parallel(t *testing.T) {
	ctx := context.Background()
	user := o.user("parallel")
	const n = 32
	type dev struct {
		c *client.Client
		d *client.Device
	}
	devs := make([]dev, n)
	for i := range devs {
		c := o.e.device(t, o.app, protocol.Version33)
		devs[i] = dev{c, activateWithCode(t, o.e, c, o.app, user)}
	}
	created := o.payment(t, user)
	id, data := created["id"].(string), created["data"].(string)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range devs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = devs[i].c.AuthorizeOperation(ctx, devs[i].d, client.PossessionKnowledge(pin), client.Approval{ID: id, Data: data})
		}(i)
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
			continue
		}
		wantAPIError(t, err, http.StatusBadRequest, mtoken.CodeOperationAlreadyFinished)
	}
	if ok != 1 {
		t.Fatalf("%d approvals succeeded, want exactly 1", ok)
	}
	o.wantBank(t, id, "APPROVED", 0)
}

func (o *opsFixture) push(t *testing.T, st store.Store) {
	ctx := context.Background()
	c, d, tok := o.device(t, o.user("push"))
	if err := c.RegisterPush(ctx, tok, client.PushRegistration{Platform: "ios", Token: "apns-token-1", Environment: "production"}); err != nil {
		t.Fatalf("register: %v", err)
	}
	got, err := st.GetPushDevice(ctx, d.ActivationID)
	if err != nil {
		t.Fatalf("stored registration: %v", err)
	}
	if got.Platform != "apns" || got.Token != "apns-token-1" || got.Environment != "production" {
		t.Fatalf("stored: %+v", got)
	}
	if err := c.RegisterPushSigned(ctx, d, client.PossessionKnowledge(pin), client.PushRegistration{Platform: "fcm", Token: "fcm-token-2"}); err != nil {
		t.Fatalf("register signed: %v", err)
	}
	if got, err = st.GetPushDevice(ctx, d.ActivationID); err != nil || got.Platform != "fcm" || got.Token != "fcm-token-2" || got.Environment != "" {
		t.Fatalf("updated: %+v %v", got, err)
	}
	err = c.RegisterPush(ctx, tok, client.PushRegistration{Platform: "carrier-pigeon", Token: "x"})
	wantAPIError(t, err, http.StatusBadRequest, apipush.CodeInvalidRequest)
	err = c.RegisterPush(ctx, tok, client.PushRegistration{Platform: "fcm"})
	wantAPIError(t, err, http.StatusBadRequest, apipush.CodeInvalidRequest)
	r := o.e.publicRaw(t, http.MethodPost, apipush.RegisterTokenPath, nil, []byte(`{"requestObject":{"platform":"fcm","token":"t"}}`))
	r.wantError(t, http.StatusUnauthorized, mtoken.CodeAuthFail)
}

func (o *opsFixture) spawn(t *testing.T) {
	ctx := context.Background()
	user := o.user("spawn")
	c, d, _ := o.device(t, user)
	second := o.e.newApp(t, "ops-second-"+strings.ReplaceAll(user, ".", ""))
	sp, err := c.RequestActivationCode(ctx, d, client.PossessionKnowledge(pin), second.name, "spawn-otp-42")
	if err != nil {
		t.Fatalf("spawn: %v", err)
	}
	c2 := o.e.device(t, second, protocol.Version33)
	_, err = c2.ActivateWithCode(ctx, sp.QR(), pin, client.ActivationOptions{Name: "second app", OTP: "wrong-otp"})
	if err == nil {
		t.Fatalf("activation with a wrong OTP succeeded")
	}
	res, err := c2.ActivateWithCode(ctx, sp.QR(), pin, client.ActivationOptions{Name: "second app", OTP: "spawn-otp-42"})
	if err != nil {
		t.Fatalf("activate spawned code: %v", err)
	}
	if res.Device.ActivationID != sp.ActivationID {
		t.Fatalf("activated %s, want %s", res.Device.ActivationID, sp.ActivationID)
	}
	st := o.e.coreStatus(t, sp.ActivationID)
	if st["activationStatus"] != "ACTIVE" || st["userId"] != user || st["applicationId"] != second.name {
		t.Fatalf("spawned activation: %v", st)
	}
	if err := c2.ValidateSignature(ctx, res.Device, client.PossessionKnowledge(pin), []byte("hello")); err != nil {
		t.Fatalf("spawned device signs: %v", err)
	}
	_, err = c.RequestActivationCode(ctx, d, client.PossessionKnowledge(pin), "no-such-app", "otp")
	wantAPIError(t, err, http.StatusBadRequest, mtoken.CodeInvalidApplication)
	_, err = c.RequestActivationCode(ctx, d, client.Possession, second.name, "otp")
	wantAPIError(t, err, http.StatusUnauthorized, mtoken.CodeAuthFail)
}

func (o *opsFixture) badInput(t *testing.T) {
	ctx := context.Background()
	c, d, tok := o.device(t, o.user("bad"))
	_, err := c.OperationDetail(ctx, tok, "00000000-0000-4000-8000-000000000000", "")
	wantAPIError(t, err, http.StatusBadRequest, mtoken.CodeInvalidOperation)
	_, err = c.OperationDetail(ctx, tok, "", "")
	wantAPIError(t, err, http.StatusBadRequest, mtoken.CodeInvalidRequest)
	err = c.AuthorizeOperation(ctx, d, client.PossessionKnowledge(pin), client.Approval{ID: "00000000-0000-4000-8000-000000000000", Data: "A1"})
	wantAPIError(t, err, http.StatusBadRequest, mtoken.CodeInvalidOperation)
	// History needs two factors.
	_, err = c.OperationHistory(ctx, d, client.Possession, "")
	wantAPIError(t, err, http.StatusUnauthorized, mtoken.CodeAuthFail)
	r := o.e.publicRaw(t, http.MethodPost, mtoken.OperationPrefix+"list", nil, []byte(`{}`))
	r.wantError(t, http.StatusUnauthorized, mtoken.CodeAuthFail)
	r = o.e.publicRaw(t, http.MethodGet, mtoken.OperationPrefix+"list", nil, nil)
	if r.status != http.StatusMethodNotAllowed {
		t.Fatalf("GET list: HTTP %d", r.status)
	}
}

func (o *opsFixture) expiry(t *testing.T) {
	ctx := context.Background()
	user := o.user("expiry")
	c, d, tok := o.device(t, user)
	created := o.payment(t, user)
	id := created["id"].(string)
	o.e.clock.Advance(301 * time.Second)
	if ops, err := c.ListOperations(ctx, tok, ""); err != nil || len(ops) != 0 {
		t.Fatalf("list after expiry: %v %v", ops, err)
	}
	err := c.AuthorizeOperation(ctx, d, client.PossessionKnowledge(pin), client.Approval{ID: id, Data: created["data"].(string)})
	wantAPIError(t, err, http.StatusBadRequest, mtoken.CodeOperationExpired)
	o.wantBank(t, id, "EXPIRED", 0)
}
