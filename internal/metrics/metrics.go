// Package metrics holds mauth's Prometheus metrics: one registry per App,
// HTTP request counts and latencies per API, route pattern and status,
// signature verifications, activation and operation state transitions,
// failed operation approvals, callback deliveries, the callback outbox
// depth and database pool statistics. It is served on the private
// listener only.
package metrics

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mauth/mauth/internal/api/render"
)

// Metrics is one registry with mauth's collectors. Safe for concurrent use.
type Metrics struct {
	reg                  *prometheus.Registry
	requests             *prometheus.CounterVec
	latency              *prometheus.HistogramVec
	signatures           *prometheus.CounterVec
	transitions          *prometheus.CounterVec
	operationTransitions *prometheus.CounterVec
	approvalFailures     prometheus.Counter
	callbackDeliveries   *prometheus.CounterVec
	pushOnce             sync.Once
	push                 *PushObserver
}

// Results of a callback delivery attempt (the result label of
// mauth_callback_deliveries_total).
const (
	// CallbackDelivered: the receiver answered 2xx.
	CallbackDelivered = "delivered"
	// CallbackFailed: the attempt failed and the event waits for a retry.
	CallbackFailed = "failed"
	// CallbackGaveUp: the event failed for good (its attempts are used
	// up, or its callback was removed).
	CallbackGaveUp = "gave_up"
)

// New returns a registry with the Go runtime and process collectors and
// mauth's own metrics.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mauth_http_requests_total",
			Help: "HTTP requests by API, route pattern, method and status code.",
		}, []string{"api", "route", "method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "mauth_http_request_duration_seconds",
			Help:    "HTTP request latency by API, route pattern and status code.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"api", "route", "code"}),
		signatures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mauth_signature_verifications_total",
			Help: "Signature verifications by result (valid, invalid) and factor type.",
		}, []string{"result", "type"}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mauth_activation_transitions_total",
			Help: "Activation state transitions (from NONE when created; UNKNOWN when the previous state was not read in the same transaction).",
		}, []string{"from", "to"}),
		operationTransitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mauth_operation_transitions_total",
			Help: "Operation status transitions (from NONE when created; UNKNOWN when the previous status was not read in the same transaction).",
		}, []string{"from", "to"}),
		approvalFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mauth_operation_approval_failures_total",
			Help: "Failed operation approval attempts (each one counts against the operation's maximum failure count).",
		}),
		callbackDeliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mauth_callback_deliveries_total",
			Help: "Callback event delivery outcomes: delivered, failed (will retry) and gave_up (failed for good).",
		}, []string{"result"}),
	}
	for _, r := range []string{CallbackDelivered, CallbackFailed, CallbackGaveUp} {
		m.callbackDeliveries.WithLabelValues(r) // export zeros
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.latency, m.signatures, m.transitions,
		m.operationTransitions, m.approvalFailures, m.callbackDeliveries,
	)
	return m
}

// Registry returns the registry, for extra collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Middleware counts and times the requests of one API. The route label is
// the ServeMux pattern that matched (so path wildcards and unknown paths do
// not create new series); requests no pattern matched are "unmatched".
func (m *Metrics) Middleware(api string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &render.StatusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		route := r.Pattern
		if route == "" || route == "/" {
			route = "unmatched"
		}
		code := strconv.Itoa(rec.StatusCode())
		m.requests.WithLabelValues(api, route, methodLabel(r.Method), code).Inc()
		m.latency.WithLabelValues(api, route, code).Observe(time.Since(start).Seconds())
	})
}

// methodLabel bounds the method label to the standard methods.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}

// SignatureVerified counts one signature verification.
func (m *Metrics) SignatureVerified(valid bool, factorType string) {
	result := "invalid"
	if valid {
		result = "valid"
	}
	if factorType == "" {
		factorType = "unknown"
	}
	m.signatures.WithLabelValues(result, factorType).Inc()
}

// ActivationTransition counts one activation state change.
func (m *Metrics) ActivationTransition(from, to string) {
	m.transitions.WithLabelValues(from, to).Inc()
}

// OperationTransition counts one operation status change.
func (m *Metrics) OperationTransition(from, to string) {
	m.operationTransitions.WithLabelValues(from, to).Inc()
}

// OperationApprovalFailed counts n failed operation approval attempts.
func (m *Metrics) OperationApprovalFailed(n int64) {
	m.approvalFailures.Add(float64(n))
}

// CallbackDelivery counts one callback delivery outcome: CallbackDelivered,
// CallbackFailed or CallbackGaveUp (other values are ignored, so the label
// stays bounded).
func (m *Metrics) CallbackDelivery(result string) {
	switch result {
	case CallbackDelivered, CallbackFailed, CallbackGaveUp:
		m.callbackDeliveries.WithLabelValues(result).Inc()
	}
}
