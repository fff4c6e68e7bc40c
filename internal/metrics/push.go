package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mauth/mauth/internal/domain"
)

// PushObserver counts push deliveries; it implements the push service's
// Observer. Its collectors are registered on first use:
// mauth_push_messages_total{provider,outcome} (outcomes sent,
// invalid_token, retry, failed, breaker_open; retries are the retry
// outcome), mauth_push_provider_duration_seconds{provider} and
// mauth_push_breaker_state{provider,application} (0 closed, 1 open, 2
// half-open).
type PushObserver struct {
	messages *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	breaker  *prometheus.GaugeVec
}

// PushObserver returns the registry's push observer.
func (m *Metrics) PushObserver() *PushObserver {
	m.pushOnce.Do(func() {
		m.push = &PushObserver{
			messages: prometheus.NewCounterVec(prometheus.CounterOpts{
				Name: "mauth_push_messages_total",
				Help: "Push delivery attempts by provider (apns, fcm, hms) and outcome: sent, invalid_token (registration removed), retry (transient, kept PENDING), failed, breaker_open (held while the circuit breaker is open).",
			}, []string{"provider", "outcome"}),
			latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
				Name:    "mauth_push_provider_duration_seconds",
				Help:    "Duration of push provider calls by provider.",
				Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
			}, []string{"provider"}),
			breaker: prometheus.NewGaugeVec(prometheus.GaugeOpts{
				Name: "mauth_push_breaker_state",
				Help: "Circuit breaker state per push provider and application id: 0 closed, 1 open, 2 half-open.",
			}, []string{"provider", "application"}),
		}
		m.reg.MustRegister(m.push.messages, m.push.latency, m.push.breaker)
	})
	return m.push
}

// Delivery implements the push Observer.
func (o *PushObserver) Delivery(provider, outcome string) {
	o.messages.WithLabelValues(provider, outcome).Inc()
}

// ProviderLatency implements the push Observer.
func (o *PushObserver) ProviderLatency(provider string, d time.Duration) {
	o.latency.WithLabelValues(provider).Observe(d.Seconds())
}

// BreakerState implements the push Observer.
func (o *PushObserver) BreakerState(provider, application string, state int) {
	o.breaker.WithLabelValues(provider, application).Set(float64(state))
}

// PushQueueCounter counts the push outbox (implemented by every store.Store).
type PushQueueCounter interface {
	CountPushMessages(ctx context.Context, status domain.PushMessageStatus) (int64, error)
}

var pushQueueDepth = prometheus.NewDesc("mauth_push_queue_depth",
	"Push messages waiting for delivery (PENDING), read from the database at scrape time.", nil, nil)

// RegisterPushQueue exports mauth_push_queue_depth, read at every scrape
// with one COUNT query bounded by timeout (≤ 0: DefaultOutboxTimeout).
func (m *Metrics) RegisterPushQueue(qc PushQueueCounter, timeout time.Duration, onError func(error)) {
	if timeout <= 0 {
		timeout = DefaultOutboxTimeout
	}
	m.reg.MustRegister(&pushQueueCollector{qc: qc, timeout: timeout, onError: onError})
}

type pushQueueCollector struct {
	qc      PushQueueCounter
	timeout time.Duration
	onError func(error)
}

// Describe implements prometheus.Collector.
func (c *pushQueueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- pushQueueDepth }

// Collect implements prometheus.Collector.
func (c *pushQueueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	n, err := c.qc.CountPushMessages(ctx, domain.PushMessagePending)
	if err != nil {
		if c.onError != nil {
			c.onError(err)
		}
		return
	}
	ch <- prometheus.MustNewConstMetric(pushQueueDepth, prometheus.GaugeValue, float64(n))
}
