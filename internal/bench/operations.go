package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/mauth/mauth/protocol"
)

// Paths and resource ids of the operation workload.
const (
	// privatePrefix is the private (REST v3) API's path prefix.
	privatePrefix = "/rest/v3/"
	// authorizePath is the Mobile Token API's approval endpoint and
	// authorizeURIID the resource id its signature is computed over.
	authorizePath  = "/api/auth/token/app/operation/authorize"
	authorizeURIID = "/operation/authorize"
	// benchIBAN is the payee account of every bench payment.
	benchIBAN = "CZ6508000000192000145399"
)

// operationTemplate is the payment template the bench creates: two
// factors with the PIN, data bound to the amount, currency and account.
func operationTemplate(name string) map[string]any {
	return map[string]any{
		"templateName": name, "operationType": "payment", "dataTemplate": "A1*A${amount}${currency}*I${iban}",
		"signatureType": []string{"POSSESSION_KNOWLEDGE"}, "maxFailureCount": 3, "expiration": 300,
	}
}

// createdOperation is the part of an operation/create answer the device uses.
type createdOperation struct {
	ID     string `json:"id"`
	Data   string `json:"data"`
	Status string `json:"status"`
}

// privateCall sends {"requestObject": req} to a private API method and
// decodes the responseObject of an OK answer into resp (when not nil).
func (t *target) privateCall(ctx context.Context, method string, req, resp any) error {
	body, err := json.Marshal(map[string]any{"requestObject": req})
	if err != nil {
		return fmt.Errorf("bench: %s: encode request: %w", method, err)
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, t.privateURL+privatePrefix+method, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("bench: %s: %w", method, err)
	}
	hr.Header.Set("Content-Type", "application/json")
	if t.creds[0] != "" {
		hr.SetBasicAuth(t.creds[0], t.creds[1])
	}
	res, err := t.http.Do(hr)
	if err != nil {
		return fmt.Errorf("bench: %s: %w", method, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("bench: %s: read answer: %w", method, err)
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("bench: %s: %w", method, &httpError{status: res.StatusCode, body: string(raw)})
	}
	var env struct {
		Status         string          `json:"status"`
		ResponseObject json.RawMessage `json:"responseObject"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return fmt.Errorf("bench: %s: decode answer: %w", method, err)
	}
	if env.Status != "OK" {
		return fmt.Errorf("bench: %s: answer status %q", method, env.Status)
	}
	if resp == nil {
		return nil
	}
	if err := json.Unmarshal(env.ResponseObject, resp); err != nil {
		return fmt.Errorf("bench: %s: decode response object: %w", method, err)
	}
	return nil
}

// createPayment creates a pending payment operation for user through the
// private API, as the bank's back end does.
func (t *target) createPayment(ctx context.Context, user string, seq uint64) (createdOperation, error) {
	var op createdOperation
	err := t.privateCall(ctx, "operation/create", map[string]any{
		"userId": user, "applications": []string{t.appName}, "templateName": t.opTemplate,
		"parameters": map[string]string{"amount": fmt.Sprintf("%d.%02d", 1+seq%5000, seq%100), "currency": "EUR", "iban": benchIBAN},
	}, &op)
	if err == nil && (op.ID == "" || op.Data == "") {
		err = fmt.Errorf("bench: operation/create answered no id or data: %+v", op)
	}
	return op, err
}

// operationOp is one operation's life: the bank creates a payment for the
// device's user (private API) and the device approves exactly that data
// with a possession_knowledge signature over the approval request (Mobile
// Token API /operation/authorize).
func (t *target) operationOp(p pool) op {
	return func(ctx context.Context, seq uint64) error {
		return p.with(ctx, func(d *device) error {
			op, err := t.createPayment(ctx, d.user, seq)
			if err != nil {
				return err
			}
			return t.authorize(ctx, d, op)
		})
	}
}

// authorize approves op from the device: the signed body carries the
// operation id and the data the user was shown.
func (t *target) authorize(ctx context.Context, d *device, op createdOperation) error {
	body, err := json.Marshal(map[string]any{"requestObject": map[string]string{"id": op.ID, "data": op.Data}})
	if err != nil {
		return fmt.Errorf("bench: encode approval: %w", err)
	}
	ctr, counter := d.dev.CtrData, d.dev.Counter
	hdr, err := d.signatureHeader(t.version, t.appKey, t.appSecret, protocol.SignaturePossessionKnowledge, authorizeURIID, body)
	if err != nil {
		return err
	}
	err = t.post(ctx, authorizePath, body, protocol.HeaderAuthorization, hdr)
	var he *httpError
	if errors.As(err, &he) && (he.status == http.StatusServiceUnavailable || he.status == http.StatusTooManyRequests) {
		// Refused before the signature was checked: reuse the counter
		// (see verifyOp).
		d.dev.CtrData, d.dev.Counter = ctr, counter
	}
	return err
}

// errNoMobileTokenAPI means the target answers 404 on the approval endpoint.
var errNoMobileTokenAPI = errors.New("bench: the target does not serve the Mobile Token API")

// probeOperations runs one operation (create + approve) before the
// workload, retrying refusals of the admission limit (503, 429): a target
// whose approval endpoint answers 404 is reported as errNoMobileTokenAPI,
// any other failure as itself.
func (t *target) probeOperations(ctx context.Context, p pool) error {
	var err error
	for attempt := range 5 {
		if attempt > 0 {
			time.Sleep(200 * time.Millisecond)
		}
		err = p.with(ctx, func(d *device) error {
			op, err := t.createPayment(ctx, d.user, 0)
			if err != nil {
				return err
			}
			err = t.authorize(ctx, d, op)
			var he *httpError
			if errors.As(err, &he) && he.status == http.StatusNotFound {
				return fmt.Errorf("%w: %w", errNoMobileTokenAPI, err)
			}
			return err
		})
		if k := errorKind(err); k != "HTTP 503" && k != "HTTP 429" {
			break
		}
	}
	if err != nil && !errors.Is(err, errNoMobileTokenAPI) {
		return fmt.Errorf("bench: operation probe: %w", err)
	}
	return err
}
