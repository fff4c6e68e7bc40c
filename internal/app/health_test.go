package app

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mauth/mauth/client"
	"github.com/mauth/mauth/internal/api/render"
	"github.com/mauth/mauth/internal/callbacks"
	"github.com/mauth/mauth/internal/metrics"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/pgtest"
)

// get fetches url and returns the status, the body and the headers.
func get(t *testing.T, url string, header map[string]string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// sample returns the value of the series of metric name carrying all the
// labels (name="value" pairs), and whether it exists.
func sample(t *testing.T, exposition, name string, labels ...string) (float64, bool) {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(exposition))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
next:
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		for _, l := range labels {
			if !strings.Contains(line, l) {
				continue next
			}
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", line, err)
		}
		return v, true
	}
	return 0, false
}

func TestHealthEndpointsOnBothListeners(t *testing.T) {
	r := start(t, testConfig(t, RoleAll))
	for _, addr := range []string{r.PublicAddr().String(), r.PrivateAddr().String()} {
		for _, path := range []string{LivePath, ReadyPath} {
			code, body, _ := get(t, "http://"+addr+path, nil)
			if code != http.StatusOK || !strings.Contains(body, `"status":"UP"`) {
				t.Errorf("GET %s%s: %d %s", addr, path, code, body)
			}
		}
	}
	// The ready answer names the database check.
	if _, body, _ := get(t, "http://"+r.PrivateAddr().String()+ReadyPath, nil); !strings.Contains(body, `"database":"UP"`) {
		t.Errorf("ready body %s", body)
	}
}

// fakeStore fails Ping or reports pending migrations.
type fakeStore struct {
	store.Store
	pingErr error
	pending int
}

func (f *fakeStore) Ping(context.Context) error                     { return f.pingErr }
func (f *fakeStore) PendingMigrations(context.Context) (int, error) { return f.pending, nil }

func TestReadinessChecks(t *testing.T) {
	tests := []struct {
		name   string
		st     *fakeStore
		code   int
		status string
	}{
		{"healthy", &fakeStore{}, http.StatusOK, "UP"},
		{"unreachable", &fakeStore{pingErr: errors.New("connection refused")}, http.StatusServiceUnavailable, "DOWN"},
		{"migrations pending", &fakeStore{pending: 2}, http.StatusServiceUnavailable, "MIGRATIONS_PENDING"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &App{Store: tt.st, log: slog.New(slog.DiscardHandler)}
			rec := httptest.NewRecorder()
			a.ready(rec, httptest.NewRequest(http.MethodGet, ReadyPath, nil))
			var body healthBody
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			if rec.Code != tt.code || body.Checks["database"] != tt.status {
				t.Fatalf("got %d %+v, want %d database=%s", rec.Code, body, tt.code, tt.status)
			}
			if strings.Contains(rec.Body.String(), "connection refused") {
				t.Fatal("the readiness answer leaks the error detail")
			}
		})
	}
}

func TestMetricsAfterFlow(t *testing.T) {
	r := start(t, testConfig(t, RoleAll))
	pubURL := "http://" + r.PublicAddr().String()
	privURL := "http://" + r.PrivateAddr().String()
	d, c := activateDevice(t, r.admin(t), pubURL, "metrics-app", "3.3")
	ctx := context.Background()
	if err := c.ValidateSignature(ctx, d, client.PossessionKnowledge("1234"), []byte("hello")); err != nil {
		t.Fatalf("valid signature: %v", err)
	}
	if err := c.ValidateSignature(ctx, d, client.PossessionKnowledge("9999"), []byte("hello")); err == nil {
		t.Fatal("a wrong PIN was accepted")
	}

	// /metrics is on the private listener only.
	if code, _, _ := get(t, pubURL+MetricsPath, nil); code != http.StatusNotFound {
		t.Fatalf("public /metrics: HTTP %d", code)
	}
	code, text, _ := get(t, privURL+MetricsPath, nil)
	if code != http.StatusOK {
		t.Fatalf("private /metrics: HTTP %d", code)
	}
	want := []struct {
		name   string
		labels []string
		value  float64
	}{
		{"mauth_signature_verifications_total", []string{`result="valid"`, `type="possession_knowledge"`}, 1},
		{"mauth_signature_verifications_total", []string{`result="invalid"`, `type="possession_knowledge"`}, 1},
		{"mauth_activation_transitions_total", []string{`from="NONE"`, `to="CREATED"`}, 1},
		{"mauth_activation_transitions_total", []string{`from="CREATED"`, `to="PENDING_COMMIT"`}, 1},
		{"mauth_activation_transitions_total", []string{`from="PENDING_COMMIT"`, `to="ACTIVE"`}, 1},
		{"mauth_http_requests_total", []string{`api="public"`, `route="/pa/v3/signature/validate"`, `code="200"`, `method="POST"`}, 1},
		{"mauth_http_requests_total", []string{`api="public"`, `route="/pa/v3/signature/validate"`, `code="401"`}, 1},
		{"mauth_http_requests_total", []string{`api="private"`, `route="POST /rest/v3/activation/init"`, `code="200"`}, 1},
		{"mauth_http_requests_total", []string{`api="public"`, `route="GET /metrics"`, `code="404"`}, 0},
		{"mauth_http_request_duration_seconds_count", []string{`api="private"`, `route="POST /rest/v3/activation/commit"`, `code="200"`}, 1},
		{"mauth_http_requests_total", []string{`api="public"`, `route="unmatched"`, `code="404"`}, 1},
	}
	for _, w := range want {
		got, ok := sample(t, text, w.name, w.labels...)
		if w.value == 0 {
			if ok {
				t.Errorf("%s%v exists", w.name, w.labels)
			}
			continue
		}
		if !ok || got != w.value {
			t.Errorf("%s%v = %v (present %v), want %v", w.name, w.labels, got, ok, w.value)
		}
	}
	if _, ok := sample(t, text, "mauth_db_pool_open_connections", `pool="write"`); !ok {
		t.Error("no database pool statistics")
	}
	if t.Failed() {
		t.Logf("exposition:\n%s", text)
	}
}

func TestRequestIDAndAccessLog(t *testing.T) {
	logs := &syncBuffer{}
	c := testConfig(t, RoleAll)
	c.Logger = slog.New(render.LogHandler(slog.NewJSONHandler(logs, nil)))
	r := start(t, c)
	pub := "http://" + r.PublicAddr().String()

	_, _, h := get(t, pub+"/pa/v3/status", map[string]string{render.RequestIDHeader: "abc-123.X"})
	if got := h.Get(render.RequestIDHeader); got != "abc-123.X" {
		t.Fatalf("echoed request id %q", got)
	}
	_, _, h = get(t, pub+"/pa/v3/status", map[string]string{render.RequestIDHeader: "bad id <script>"})
	generated := h.Get(render.RequestIDHeader)
	if len(generated) != 32 || strings.Contains(generated, "bad") {
		t.Fatalf("an invalid request id was not replaced: %q", generated)
	}
	// Credentials on the private API never reach the log.
	token, secret := r.credentials(t)
	req, _ := http.NewRequest(http.MethodPost, "http://"+r.PrivateAddr().String()+"/rest/v3/status", strings.NewReader(`{}`))
	req.SetBasicAuth(token, secret)
	req.Header.Set(render.RequestIDHeader, "priv-1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	type line struct {
		Msg       string `json:"msg"`
		RequestID string `json:"requestId"`
		API       string `json:"api"`
		Route     string `json:"route"`
		Status    int    `json:"status"`
	}
	var lines []line
	for _, raw := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var l line
		if err := json.Unmarshal([]byte(raw), &l); err != nil {
			t.Fatalf("log line %q: %v", raw, err)
		}
		if l.Msg == "http request" {
			lines = append(lines, l)
		}
	}
	want := []line{
		{"http request", "abc-123.X", "public", "/pa/v3/status", 200},
		{"http request", generated, "public", "/pa/v3/status", 200},
		{"http request", "priv-1", "private", "POST /rest/v3/status", 200},
	}
	if len(lines) != len(want) {
		t.Fatalf("access log lines %+v, want %+v", lines, want)
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("access log line %d = %+v, want %+v", i, lines[i], want[i])
		}
	}
	if strings.Contains(logs.String(), secret) || strings.Contains(logs.String(), "Basic ") {
		t.Fatal("credentials in the log")
	}
}

// privateCall POSTs requestObject to the private API method (HTTP Basic)
// and returns the responseObject, failing the test unless the status is OK.
func privateCall(t *testing.T, r *running, method string, requestObject any) map[string]any {
	t.Helper()
	token, secret := r.credentials(t)
	body, err := json.Marshal(map[string]any{"requestObject": requestObject})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, "http://"+r.PrivateAddr().String()+"/rest/v3/"+method, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(token, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var env struct {
		Status         string         `json:"status"`
		ResponseObject map[string]any `json:"responseObject"`
	}
	if err := json.Unmarshal(raw, &env); err != nil || resp.StatusCode != http.StatusOK || env.Status != "OK" {
		t.Fatalf("%s: HTTP %d %s (%v)", method, resp.StatusCode, raw, err)
	}
	return env.ResponseObject
}

// metricSeries is one expected sample of the exposition.
type metricSeries struct {
	name   string
	labels []string
	value  float64 // 0: the series must not exist
}

// checkSeries compares the exposition with want.
func checkSeries(t *testing.T, text string, want []metricSeries) {
	t.Helper()
	for _, w := range want {
		got, ok := sample(t, text, w.name, w.labels...)
		if w.value == 0 {
			if ok && got != 0 {
				t.Errorf("%s%v = %v, want absent or 0", w.name, w.labels, got)
			}
			continue
		}
		if !ok || got != w.value {
			t.Errorf("%s%v = %v (present %v), want %v", w.name, w.labels, got, ok, w.value)
		}
	}
	if t.Failed() {
		t.Logf("exposition:\n%s", text)
	}
}

// TestOperationAndCallbackMetrics drives operations through every final
// status and delivers their callback events to a receiver that fails once,
// then checks the operation, outbox and delivery series exactly.
func TestOperationAndCallbackMetrics(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testOperationAndCallbackMetrics(t, testConfig(t, RoleAll)) })
	t.Run("postgres", func(t *testing.T) {
		c := testConfig(t, RoleAll)
		c.DatabaseURL = pgtest.NewDatabase(t)
		c.ServerKey = base64.StdEncoding.EncodeToString(secretbox.GenerateKey())
		testOperationAndCallbackMetrics(t, c)
	})
}

func testOperationAndCallbackMetrics(t *testing.T, c Config) {
	// The service clock starts an hour behind, so that moving it to the
	// present expires an operation; callback events stay due at once.
	var offset atomic.Int64
	offset.Store(int64(-time.Hour))
	c.serviceOptions = []service.Option{service.WithClock(func() time.Time { return time.Now().Add(time.Duration(offset.Load())) })}
	c.callbacks.PollInterval = 10 * time.Millisecond
	c.CallbackAllowedDestinations = []string{"127.0.0.0/8"} // the receiver is an httptest server
	// The receiver holds deliveries for as long as the test needs: the
	// dispatcher must not give up on them (a failure more) however slow
	// the machine is.
	c.callbacks.ResponseTimeout = testTimeout

	// The receiver refuses the first request and holds the others until
	// release, so that no event completes before the outbox is measured.
	var calls atomic.Int64
	release := make(chan struct{})
	var releaseOnce sync.Once
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.Copy(io.Discard, req.Body)
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		select {
		case <-release:
			w.WriteHeader(http.StatusOK)
		case <-req.Context().Done():
		}
	}))
	t.Cleanup(receiver.Close)
	t.Cleanup(func() { releaseOnce.Do(func() { close(release) }) }) // runs before receiver.Close

	r := start(t, c)
	ctx := context.Background()
	const appName = "ops-metrics"
	if _, err := r.admin(t).CreateApplication(ctx, appName); err != nil {
		t.Fatal(err)
	}
	privateCall(t, r, "operation/template/create", map[string]any{
		"templateName": "payment", "operationType": "payment", "dataTemplate": "A1*R${ref}",
		"signatureType": []string{"POSSESSION_KNOWLEDGE"}, "maxFailureCount": 2, "expiration": 300,
	})
	privateCall(t, r, "application/callback/create", map[string]any{
		"applicationId": appName, "name": "ops", "type": "OPERATION_STATUS_CHANGE", "callbackUrl": receiver.URL,
		"maxAttempts": 3, "initialBackoff": "PT0.01S",
	})
	create := func() (id, data string) {
		op := privateCall(t, r, "operation/create", map[string]any{
			"userId": "alice", "applications": []string{appName}, "templateName": "payment", "parameters": map[string]string{"ref": "42"},
		})
		id, _ = op["id"].(string)
		data, _ = op["data"].(string)
		if id == "" || data == "" || op["status"] != "PENDING" {
			t.Fatalf("created operation %v", op)
		}
		return id, data
	}
	wantStatus := func(op map[string]any, status string) {
		t.Helper()
		if got := op["status"]; got != status {
			if inner, ok := op["operation"].(map[string]any); !ok || inner["status"] != status {
				t.Fatalf("operation %v, want status %s", op, status)
			}
		}
	}

	// Approved after one failed attempt (3 events).
	id, data := create()
	wantStatus(privateCall(t, r, "operation/approve/fail", map[string]any{"operationId": id}), "PENDING")
	wantStatus(privateCall(t, r, "operation/approve", map[string]any{
		"operationId": id, "userId": "alice", "applicationId": appName, "data": data, "signatureType": "POSSESSION_KNOWLEDGE",
	}), "APPROVED")
	// Rejected (2 events).
	id, _ = create()
	wantStatus(privateCall(t, r, "operation/reject", map[string]any{"operationId": id, "userId": "alice", "applicationId": appName}), "REJECTED")
	// Canceled (2 events).
	id, _ = create()
	wantStatus(privateCall(t, r, "operation/cancel", map[string]any{"operationId": id, "statusReason": "TEST"}), "CANCELED")
	// Failed at the second failed attempt (3 events).
	id, _ = create()
	wantStatus(privateCall(t, r, "operation/approve/fail", map[string]any{"operationId": id}), "PENDING")
	wantStatus(privateCall(t, r, "operation/approve/fail", map[string]any{"operationId": id}), "FAILED")
	// Expired (2 events): the clock moves past its expiry.
	id, _ = create()
	offset.Store(0)
	wantStatus(privateCall(t, r, "operation/detail", map[string]any{"operationId": id}), "EXPIRED")
	const events = 12

	queued, err := r.Store.CountQueuedCallbackEvents(ctx)
	if err != nil || queued != events {
		t.Fatalf("queued callback events %d (%v), want %d", queued, err, events)
	}
	metricsURL := "http://" + r.PrivateAddr().String() + MetricsPath
	_, text, _ := get(t, metricsURL, nil)
	checkSeries(t, text, []metricSeries{
		{"mauth_callback_outbox_depth", nil, events},
		{"mauth_callback_deliveries_total", []string{`result="delivered"`}, 0},
		{"mauth_callback_deliveries_total", []string{`result="gave_up"`}, 0},
	})

	// Release the receiver and wait until every event is delivered (a
	// generous deadline, only a safety net).
	releaseOnce.Do(func() { close(release) })
	for deadline := time.Now().Add(testTimeout); ; {
		_, text, _ = get(t, metricsURL, nil)
		delivered, _ := sample(t, text, "mauth_callback_deliveries_total", `result="delivered"`)
		depth, ok := sample(t, text, "mauth_callback_outbox_depth")
		if delivered == events && depth == 0 && ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("callbacks not delivered: delivered %v, depth %v\n%s", delivered, depth, text)
		}
		time.Sleep(10 * time.Millisecond)
	}
	checkSeries(t, text, []metricSeries{
		{"mauth_operation_transitions_total", []string{`from="NONE"`, `to="PENDING"`}, 5},
		{"mauth_operation_transitions_total", []string{`from="PENDING"`, `to="APPROVED"`}, 1},
		{"mauth_operation_transitions_total", []string{`from="PENDING"`, `to="REJECTED"`}, 1},
		{"mauth_operation_transitions_total", []string{`from="PENDING"`, `to="CANCELED"`}, 1},
		{"mauth_operation_transitions_total", []string{`from="PENDING"`, `to="FAILED"`}, 1},
		{"mauth_operation_transitions_total", []string{`from="PENDING"`, `to="EXPIRED"`}, 1},
		{"mauth_operation_transitions_total", []string{`from="UNKNOWN"`}, 0},
		{"mauth_operation_transitions_total", []string{`from="PENDING"`, `to="PENDING"`}, 0},
		{"mauth_operation_approval_failures_total", nil, 3},
		{"mauth_callback_outbox_depth", nil, 0},
		{"mauth_callback_deliveries_total", []string{`result="delivered"`}, events},
		{"mauth_callback_deliveries_total", []string{`result="failed"`}, 1},
		{"mauth_callback_deliveries_total", []string{`result="gave_up"`}, 0},
	})
	if n := calls.Load(); n != events+1 {
		t.Errorf("the receiver got %d requests, want %d", n, events+1)
	}
}

// TestCallbackResultLabels keeps the dispatcher's results and the metric's
// label values in step (the app passes one as the other).
func TestCallbackResultLabels(t *testing.T) {
	pairs := []struct {
		result callbacks.DeliveryResult
		label  string
	}{
		{callbacks.ResultDelivered, metrics.CallbackDelivered},
		{callbacks.ResultFailed, metrics.CallbackFailed},
		{callbacks.ResultGaveUp, metrics.CallbackGaveUp},
	}
	for _, p := range pairs {
		if string(p.result) != p.label {
			t.Errorf("dispatcher result %q is exported as %q", p.result, p.label)
		}
	}
}
