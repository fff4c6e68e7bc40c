// Package metrics holds mauth's Prometheus metrics: one registry per App,
// HTTP request counts and latencies per API, route pattern and status,
// signature verifications, activation state transitions and database pool
// statistics. It is served on the private listener only.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mauth/mauth/internal/api/render"
)

// Metrics is one registry with mauth's collectors. Safe for concurrent use.
type Metrics struct {
	reg         *prometheus.Registry
	requests    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	signatures  *prometheus.CounterVec
	transitions *prometheus.CounterVec
}

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
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.latency, m.signatures, m.transitions,
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
