package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/mauth/mauth/internal/callbacks"
)

// Base paths of the surfaces the cloud workload drives, on the private
// listener.
const (
	cloudPrefix      = "/powerauth-cloud"
	testServerPrefix = "/powerauth-test-server"
)

// Step names of the cloud workload, in the order of the scenario.
const (
	stepRegistrationCreate = "registration-create"
	stepActivationCreate   = "ts-activation-create"
	stepRegistrationCommit = "registration-commit"
	stepTokenCreate        = "ts-token-create"
	stepOperationCreate    = "operation-create"
	stepOperationApprove   = "ts-operation-approve"
	stepOperationsPending  = "ts-operations-pending"
)

// CloudReport is the outcome of the cloud workload: the PowerAuth Cloud
// load-test scenario driven through the Cloud API and the Test Server.
type CloudReport struct {
	// Application and Users are the Cloud application and the number of
	// users registered (one registration each).
	Application string `json:"application"`
	Users       int    `json:"users"`
	// Pollers is how many users poll their pending operations (10 %).
	Pollers int `json:"pollers"`
	// Steps are every HTTP step of each phase: Name is the step, Mode the
	// phase ("registration", "saturation", "open-loop"; the pending list
	// is polled during the open loop).
	Steps []PhaseResult `json:"steps"`
	// Callbacks are the signed operation callbacks the loopback receiver
	// got: Expected is one APPROVED event per operation approved end to end.
	Callbacks CallbackStats `json:"callbacks"`
	// RatioToOperation is the cloud capacity (operations created through
	// the Cloud API and approved through the Test Server, per second)
	// divided by the operation workload's capacity in the same run.
	RatioToOperation float64 `json:"ratioToOperation,omitempty"`
}

// CallbackStats counts the callbacks of the cloud workload.
type CallbackStats struct {
	Expected int64 `json:"expected"`
	// Received counts distinct approved operations whose signed APPROVED
	// event arrived; Events counts every verified event (other statuses too).
	Received int64 `json:"received"`
	Events   int64 `json:"events"`
	// BadSignature counts requests refused because no signing secret
	// verifies them; Unknown counts APPROVED events of operations the
	// workload did not approve; Duplicates repeated APPROVED events.
	BadSignature int64 `json:"badSignature"`
	Unknown      int64 `json:"unknown"`
	Duplicates   int64 `json:"duplicates"`
	// Delivery latency from the approval's answer to the event's arrival.
	P50 float64 `json:"p50Ms"`
	P99 float64 `json:"p99Ms"`
}

// errNoCloud means the target serves no Cloud API or no Test Server, or
// the bench has no Cloud administrator credentials for it.
var errNoCloud = errors.New("bench: the target does not serve the Cloud API and the Test Server")

// cloudUser is one registered user of the cloud workload: its
// registration (the test server's device) and a token for the pending list.
type cloudUser struct {
	userID, registrationID string
	tokenID, tokenSecret   string
}

// cloudRun is the state of one cloud workload run.
type cloudRun struct {
	t     *target
	appID string
	// template is the run's operation template (templates are global).
	template string
	user     [2]string // the integration user (ROLE_USER) the scenario acts as
	recv     *signedCallbacks
	users    []*cloudUser
	report   *CloudReport
}

// steps records the latency and errors of each step of one phase.
type steps struct {
	mu   sync.Mutex
	recs map[string]*recorder
}

func newSteps() *steps { return &steps{recs: map[string]*recorder{}} }

// do runs one step and records it.
func (s *steps) do(name string, fn func() error) error {
	s.mu.Lock()
	r, ok := s.recs[name]
	if !ok {
		r = newRecorder()
		s.recs[name] = r
	}
	s.mu.Unlock()
	r.requests.Add(1)
	t0 := time.Now()
	err := fn()
	r.record(time.Since(t0), err)
	return err
}

// results are the steps' results over the phase's wall time, in scenario order.
func (s *steps) results(mode string, elapsed time.Duration) []PhaseResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []PhaseResult
	for _, name := range []string{stepRegistrationCreate, stepActivationCreate, stepRegistrationCommit, stepTokenCreate, stepOperationCreate, stepOperationApprove, stepOperationsPending} {
		if r, ok := s.recs[name]; ok {
			out = append(out, r.result(name, mode, elapsed))
		}
	}
	return out
}

// cloudCall sends a Cloud API request (plain JSON, HTTP Basic of user) and
// decodes a 200 answer into resp (when not nil).
func (t *target) cloudCall(ctx context.Context, user [2]string, method, path string, req, resp any) error {
	var body io.Reader
	if req != nil {
		b, err := json.Marshal(req)
		if err != nil {
			return fmt.Errorf("bench: cloud %s %s: encode: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	hr, err := http.NewRequestWithContext(ctx, method, t.privateURL+cloudPrefix+path, body)
	if err != nil {
		return fmt.Errorf("bench: cloud %s %s: %w", method, path, err)
	}
	if req != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	hr.SetBasicAuth(user[0], user[1])
	return t.doJSON(hr, fmt.Sprintf("cloud %s %s", method, path), resp)
}

// testServerCall sends {"requestObject": req} to a Test Server endpoint
// (with the private API credentials) and decodes the responseObject.
func (t *target) testServerCall(ctx context.Context, endpoint string, req, resp any) error {
	b, err := json.Marshal(map[string]any{"requestObject": req})
	if err != nil {
		return fmt.Errorf("bench: test server %s: encode: %w", endpoint, err)
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, t.privateURL+testServerPrefix+"/"+endpoint, bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("bench: test server %s: %w", endpoint, err)
	}
	hr.Header.Set("Content-Type", "application/json")
	if t.creds[0] != "" {
		hr.SetBasicAuth(t.creds[0], t.creds[1])
	}
	var env struct {
		Status         string          `json:"status"`
		ResponseObject json.RawMessage `json:"responseObject"`
	}
	if err := t.doJSON(hr, "test server "+endpoint, &env); err != nil {
		return err
	}
	if env.Status != "OK" {
		return fmt.Errorf("bench: test server %s: answer status %q", endpoint, env.Status)
	}
	if resp == nil || len(env.ResponseObject) == 0 {
		return nil
	}
	if err := json.Unmarshal(env.ResponseObject, resp); err != nil {
		return fmt.Errorf("bench: test server %s: decode response object: %w", endpoint, err)
	}
	return nil
}

// doJSON sends hr and decodes a 200 answer's JSON into resp (when not nil).
func (t *target) doJSON(hr *http.Request, what string, resp any) error {
	res, err := t.http.Do(hr)
	if err != nil {
		return fmt.Errorf("bench: %s: %w", what, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("bench: %s: read answer: %w", what, err)
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("bench: %s: %w", what, &httpError{status: res.StatusCode, body: string(raw)})
	}
	if resp == nil {
		return nil
	}
	if err := json.Unmarshal(raw, resp); err != nil {
		return fmt.Errorf("bench: %s: decode answer: %w", what, err)
	}
	return nil
}

// setupCloud prepares the scenario through the Cloud admin API, as a
// bank's administrator would: an application, an integration user granted
// it (and the application granted to the administrator too, as the
// reference load test does), a template with English texts, an operation
// callback to the loopback receiver, and the application's configuration
// in the Test Server.
func (t *target) setupCloud(ctx context.Context) (*cloudRun, error) {
	if t.cloudAdmin[0] == "" {
		return nil, fmt.Errorf("%w: no Cloud administrator credentials", errNoCloud)
	}
	admin := t.cloudAdmin
	run := &cloudRun{t: t, appID: fmt.Sprintf("bench-cloud-%d", time.Now().UnixNano()), report: &CloudReport{}}
	run.report.Application = run.appID
	var app struct {
		MobileSDKConfig string `json:"mobileSdkConfig"`
	}
	err := t.cloudCall(ctx, admin, http.MethodPost, "/admin/applications", map[string]any{"id": run.appID, "roles": []string{}}, &app)
	var he *httpError
	if errors.As(err, &he) && he.status == http.StatusNotFound {
		return nil, fmt.Errorf("%w: %w", errNoCloud, err)
	}
	if err != nil {
		return nil, err
	}
	if app.MobileSDKConfig == "" {
		return nil, errors.New("bench: the Cloud application has no mobileSdkConfig")
	}
	if err := t.cloudCall(ctx, admin, http.MethodPost, "/admin/users/"+url.PathEscape(admin[0])+"/applications/"+url.PathEscape(run.appID), nil, nil); err != nil {
		return nil, err
	}
	var u struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := t.cloudCall(ctx, admin, http.MethodPost, "/admin/users", map[string]any{"username": run.appID + "-backend"}, &u); err != nil {
		return nil, err
	}
	run.user = [2]string{u.Username, u.Password}
	if err := t.cloudCall(ctx, admin, http.MethodPost, "/admin/users/"+url.PathEscape(u.Username)+"/applications/"+url.PathEscape(run.appID), nil, nil); err != nil {
		return nil, err
	}
	run.template = run.appID + "-payment"
	tpl := map[string]any{"name": run.template, "operationType": "payment", "dataTemplate": "A1*A${amount}${currency}*I${iban}",
		"signatureType": []string{"POSSESSION_KNOWLEDGE"}, "maxFailureCount": 3, "expiration": 300}
	if err := t.cloudCall(ctx, admin, http.MethodPost, "/admin/templates", tpl, nil); err != nil {
		return nil, err
	}
	if err := t.cloudCall(ctx, admin, http.MethodPut, "/admin/templates/"+url.PathEscape(run.template)+"/localizations/en", map[string]string{"title": "Payment", "summary": "Pay ${amount} ${currency} to ${iban}"}, nil); err != nil {
		return nil, err
	}
	recv, err := newSignedCallbacks()
	if err != nil {
		return nil, err
	}
	var cb struct {
		SigningSecret string `json:"signingSecret"`
	}
	if err := t.cloudCall(ctx, run.user, http.MethodPost, "/v2/admin/applications/"+url.PathEscape(run.appID)+"/callbacks",
		map[string]any{"name": "bench", "type": "OPERATION_STATUS_CHANGE", "callbackUrl": recv.url + "/operations"}, &cb); err != nil {
		recv.close()
		return nil, err
	}
	if cb.SigningSecret == "" {
		recv.close()
		return nil, errors.New("bench: the callback has no signing secret")
	}
	recv.secret = cb.SigningSecret
	run.recv = recv
	err = t.testServerCall(ctx, "application/config", map[string]any{"applicationId": run.appID, "applicationName": run.appID, "mobileSdkConfig": app.MobileSDKConfig}, nil)
	if errors.As(err, &he) && he.status == http.StatusNotFound {
		recv.close()
		return nil, fmt.Errorf("%w: %w", errNoCloud, err)
	}
	if err != nil {
		recv.close()
		return nil, err
	}
	return run, nil
}

// register is one registration of the scenario: the bank creates it
// (Cloud), the test server's device runs the key exchange, the bank
// commits it (Cloud), and the device gets a token for the pending list.
func (c *cloudRun) register(ctx context.Context, s *steps, user string) (*cloudUser, error) {
	t := c.t
	var reg struct {
		RegistrationID string `json:"registrationId"`
		ActivationCode string `json:"activationCode"`
	}
	if err := s.do(stepRegistrationCreate, func() error {
		return t.cloudCall(ctx, c.user, http.MethodPost, "/v2/registrations", map[string]any{"userId": user, "appId": c.appID}, &reg)
	}); err != nil {
		return nil, err
	}
	var act struct {
		ActivationID string `json:"activationId"`
	}
	if err := s.do(stepActivationCreate, func() error {
		return t.testServerCall(ctx, "activation/create", map[string]any{"applicationId": c.appID, "activationName": "bench", "password": benchPIN, "activationCode": reg.ActivationCode}, &act)
	}); err != nil {
		return nil, err
	}
	if act.ActivationID != reg.RegistrationID {
		return nil, fmt.Errorf("bench: the test server activated %q, the registration is %q", act.ActivationID, reg.RegistrationID)
	}
	if err := s.do(stepRegistrationCommit, func() error {
		return t.cloudCall(ctx, c.user, http.MethodPost, "/v2/registrations/"+url.PathEscape(reg.RegistrationID)+"/commit", map[string]any{"externalUserId": nil}, nil)
	}); err != nil {
		return nil, err
	}
	var tok struct {
		TokenID     string `json:"tokenId"`
		TokenSecret string `json:"tokenSecret"`
	}
	if err := s.do(stepTokenCreate, func() error {
		return t.testServerCall(ctx, "token/create", map[string]any{"activationId": reg.RegistrationID, "applicationId": c.appID, "password": benchPIN, "signatureType": "POSSESSION"}, &tok)
	}); err != nil {
		return nil, err
	}
	return &cloudUser{userID: user, registrationID: reg.RegistrationID, tokenID: tok.TokenID, tokenSecret: tok.TokenSecret}, nil
}

// registrationOp registers the seq-th user of the run.
func (c *cloudRun) registrationOp(s *steps) op {
	var mu sync.Mutex
	return func(ctx context.Context, seq uint64) error {
		u, err := c.register(ctx, s, fmt.Sprintf("%s-user-%d", c.appID, seq))
		if err != nil {
			return err
		}
		mu.Lock()
		c.users = append(c.users, u)
		mu.Unlock()
		return nil
	}
}

// operationOp is one operation of the scenario: the bank creates it for a
// user (Cloud API, exclusively taken from pool) and the user's device
// approves exactly its data (Test Server → Mobile Token API). The approved
// operation is expected back as a signed APPROVED callback.
func (c *cloudRun) operationOp(pool chan *cloudUser, s *steps) op {
	return func(ctx context.Context, seq uint64) error {
		var u *cloudUser
		select {
		case u = <-pool:
			defer func() { pool <- u }()
		case <-ctx.Done():
			return ctx.Err()
		}
		var op struct {
			OperationID string `json:"operationId"`
			Data        string `json:"data"`
		}
		if err := s.do(stepOperationCreate, func() error {
			return c.t.cloudCall(ctx, c.user, http.MethodPost, "/v2/operations", map[string]any{"userId": u.userID, "template": c.template, "language": "en", "silent": true,
				"parameters": map[string]string{"amount": fmt.Sprintf("%d.%02d", 1+seq%5000, seq%100), "currency": "EUR", "iban": benchIBAN}}, &op)
		}); err != nil {
			return err
		}
		if op.OperationID == "" || op.Data == "" {
			return fmt.Errorf("bench: the Cloud operation has no id or data")
		}
		c.recv.expect(op.OperationID)
		if err := s.do(stepOperationApprove, func() error {
			return c.t.testServerCall(ctx, "operations/approve", map[string]any{"activationId": u.registrationID, "applicationId": c.appID,
				"operationId": op.OperationID, "operationData": op.Data, "password": benchPIN, "signatureType": "POSSESSION_KNOWLEDGE"}, nil)
		}); err != nil {
			c.recv.forget(op.OperationID)
			return err
		}
		c.recv.approved(op.OperationID)
		return nil
	}
}

// pendingOp lists the pending operations of one of the polling users
// through the Test Server (token digest → Mobile Token API list).
func (c *cloudRun) pendingOp(pollers []*cloudUser, s *steps) op {
	return func(ctx context.Context, seq uint64) error {
		u := pollers[seq%uint64(len(pollers))]
		return s.do(stepOperationsPending, func() error {
			return c.t.testServerCall(ctx, "operations/pending", map[string]any{"activationId": u.registrationID, "tokenId": u.tokenID, "tokenSecret": u.tokenSecret}, nil)
		})
	}
}

// signedCallbacks is the bank's callback endpoint on loopback: it
// accepts only requests signed with the callback's secret and records when
// each operation's APPROVED event arrived.
type signedCallbacks struct {
	url    string
	secret string
	srv    *http.Server
	done   chan struct{}

	mu sync.Mutex
	// pending are operations created and not yet approved (their events
	// may be sent before the approval answer arrives); approvedAt are the
	// approved operations by approval time; got the arrived APPROVED events.
	pending    map[string]bool
	approvedAt map[string]time.Time
	got        map[string]time.Time
	early      map[string]time.Time
	delivery   []time.Duration
	stats      CallbackStats
	changed    chan struct{}
}

func newSignedCallbacks() (*signedCallbacks, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("bench: callback receiver: %w", err)
	}
	r := &signedCallbacks{url: "http://" + ln.Addr().String(), done: make(chan struct{}), pending: map[string]bool{},
		approvedAt: map[string]time.Time{}, got: map[string]time.Time{}, early: map[string]time.Time{}, changed: make(chan struct{}, 1)}
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: time.Minute}
	go func() { defer close(r.done); _ = r.srv.Serve(ln) }()
	return r, nil
}

func (r *signedCallbacks) close() {
	_ = r.srv.Close()
	<-r.done
}

// ServeHTTP verifies the signature and records an APPROVED event.
func (r *signedCallbacks) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil || callbacks.VerifySignature(r.secret, req.Header.Get(callbacks.SignatureHeader), body, time.Hour) != nil {
		r.stats.BadSignature++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var p struct {
		Type        string `json:"type"`
		OperationID string `json:"operationId"`
		Status      string `json:"status"`
	}
	if json.Unmarshal(body, &p) != nil || p.Type != "OPERATION" {
		r.stats.BadSignature++
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	r.stats.Events++
	if p.Status == "APPROVED" {
		switch {
		case !r.pending[p.OperationID] && r.approvedAt[p.OperationID].IsZero():
			r.stats.Unknown++
		case !r.got[p.OperationID].IsZero() || !r.early[p.OperationID].IsZero():
			r.stats.Duplicates++
		case r.approvedAt[p.OperationID].IsZero():
			// Sent before the approval's answer reached the bench.
			r.early[p.OperationID] = now
		default:
			r.got[p.OperationID] = now
			r.delivery = append(r.delivery, now.Sub(r.approvedAt[p.OperationID]))
		}
		select {
		case r.changed <- struct{}{}:
		default:
		}
	}
	w.WriteHeader(http.StatusOK)
}

// expect registers a created operation before it is approved.
func (r *signedCallbacks) expect(id string) {
	r.mu.Lock()
	r.pending[id] = true
	r.mu.Unlock()
}

// forget drops an operation whose approval failed.
func (r *signedCallbacks) forget(id string) {
	r.mu.Lock()
	delete(r.pending, id)
	r.mu.Unlock()
}

// approved records an operation's approval answer.
func (r *signedCallbacks) approved(id string) {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.pending, id)
	r.approvedAt[id] = now
	if at, ok := r.early[id]; ok {
		delete(r.early, id)
		r.got[id] = at
		r.delivery = append(r.delivery, 0)
	}
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

// wait returns the statistics once every approved operation's event
// arrived, or when ctx ends (a safety net against lost callbacks).
func (r *signedCallbacks) wait(ctx context.Context) CallbackStats {
	for {
		r.mu.Lock()
		complete := len(r.got) >= len(r.approvedAt)
		r.mu.Unlock()
		if complete {
			break
		}
		select {
		case <-r.changed:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.stats
	s.Expected = int64(len(r.approvedAt))
	s.Received = int64(len(r.got))
	if n := len(r.delivery); n > 0 {
		d := slices.Clone(r.delivery)
		slices.Sort(d)
		pct := func(p float64) float64 { return float64(d[min(int(p*float64(n)), n-1)].Microseconds()) / 1000 }
		s.P50, s.P99 = pct(0.5), pct(0.99)
	}
	return s
}

// runCloud runs the cloud workload: registrations of the users (closed
// loop), operations created through the Cloud API and approved through the
// Test Server saturated (the cloud capacity) and then open-loop at Load ×
// that capacity while 10 % of the users poll their pending operations
// (one request in flight each), and finally waits for every approved operation's signed
// callback. add records each end-to-end phase in the report.
func (t *target) runCloud(ctx context.Context, o Options, add func(PhaseResult), rep *Report) error {
	run, err := t.setupCloud(ctx)
	if err != nil {
		return err
	}
	defer run.recv.close()
	out := o.Progress
	drain := 2 * time.Minute
	cr := run.report

	// Registrations: one per user, defined by count.
	users := o.Devices
	regSteps := newSteps()
	reg := closedLoop(ctx, out, "cloud-registration", max(2, o.Workers/2), 24*time.Hour, int64(users), run.registrationOp(regSteps))
	add(reg)
	rep.Capacity["cloud-registration"] = reg.Throughput
	cr.Steps = append(cr.Steps, regSteps.results("registration", time.Duration(reg.Seconds*float64(time.Second)))...)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if len(run.users) == 0 {
		return fmt.Errorf("bench: cloud: no registration succeeded: %v", reg.ErrorKinds)
	}
	cr.Users = len(run.users)
	pool := make(chan *cloudUser, len(run.users))
	for _, u := range run.users {
		pool <- u
	}
	pollers := run.users[:max(1, len(run.users)/10)]
	cr.Pollers = len(pollers)

	satSteps := newSteps()
	stopProfile, err := startCPUProfile(o.CloudCPUProfile)
	if err != nil {
		return err
	}
	sat := closedLoop(ctx, out, "cloud", min(o.Workers, len(run.users)), o.Duration, o.MaxRequests, run.operationOp(pool, satSteps))
	stopProfile()
	add(sat)
	rep.Capacity["cloud"] = sat.Throughput
	cr.Steps = append(cr.Steps, satSteps.results("saturation", time.Duration(sat.Seconds*float64(time.Second)))...)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if sat.Throughput > 0 {
		rate := sat.Throughput * o.Load
		olSteps := newSteps()
		var poll PhaseResult
		var wg sync.WaitGroup
		wg.Go(func() {
			// The polling users keep one list request each in flight
			// (round robin over them), asking again as soon as an answer
			// arrived: the test server serialises the requests of one
			// device, so a fixed rate would only queue behind its lock.
			poll = closedLoop(ctx, nil, "cloud-pending", len(pollers), o.Duration, o.MaxRequests, run.pendingOp(pollers, olSteps))
			poll.Mode, poll.CPUCores, poll.CPUPerOpUs = "polling", 0, 0
		})
		ol := openLoop(ctx, out, "cloud", rate, o.Duration, inFlightPerDevice*len(run.users), o.MaxRequests, drain, run.operationOp(pool, olSteps))
		wg.Wait()
		add(ol)
		add(poll)
		cr.Steps = append(cr.Steps, olSteps.results("open-loop", time.Duration(ol.Seconds*float64(time.Second)))...)
	}
	waitCtx, cancel := context.WithTimeout(ctx, drain)
	defer cancel()
	cr.Callbacks = run.recv.wait(waitCtx)
	if c := rep.Capacity["operation"]; c > 0 {
		cr.RatioToOperation = rep.Capacity["cloud"] / c
		rep.Ratios["cloud/operation"] = cr.RatioToOperation
	}
	rep.Cloud = cr
	return ctx.Err()
}

// printCloud prints the cloud workload's steps and callbacks.
func printCloud(out io.Writer, c *CloudReport) {
	if out == nil || c == nil {
		return
	}
	fmt.Fprintf(out, "\ncloud scenario: application %s, %d users, %d polling\n", c.Application, c.Users, c.Pollers)
	fmt.Fprintf(out, "%-22s %-12s %10s %10s %10s %8s\n", "step", "phase", "rate/s", "p50 ms", "p99 ms", "errors")
	for _, s := range c.Steps {
		fmt.Fprintf(out, "%-22s %-12s %10.1f %10.2f %10.2f %8d %s\n", s.Name, s.Mode, s.Throughput, s.P50, s.P99, s.Errors, kinds(s.ErrorKinds))
	}
	cb := c.Callbacks
	fmt.Fprintf(out, "callbacks: %d of %d approved operations received signed (%d events, %d bad signatures, %d unknown, %d duplicates), delivery p50 %.2f ms p99 %.2f ms\n",
		cb.Received, cb.Expected, cb.Events, cb.BadSignature, cb.Unknown, cb.Duplicates, cb.P50, cb.P99)
	if c.RatioToOperation > 0 {
		fmt.Fprintf(out, "cloud ÷ operation capacity: %.2f (target ≥ 0.5)\n", c.RatioToOperation)
	}
}

// cloudNotes explain the cloud workload in the report.
const cloudNote = "cloud: the Cloud load-test scenario through HTTP only: Cloud admin API (application, integration user, template, callback) → per user POST /v2/registrations + Test Server activation/create + /v2/registrations/{id}/commit + Test Server token/create → POST /v2/operations (Cloud, HTTP Basic of the integration user) + Test Server operations/approve, saturated then open-loop at --load × capacity while 10% of the users (at least one) poll Test Server operations/pending, one request in flight each; every approval's signed OPERATION callback is awaited at a loopback receiver"
