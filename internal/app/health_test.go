package app

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/mauth/mauth/client"
	"github.com/mauth/mauth/internal/api/render"
	"github.com/mauth/mauth/internal/store"
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
