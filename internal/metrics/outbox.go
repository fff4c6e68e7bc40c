package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// OutboxCounter counts the callback events waiting for delivery
// (implemented by every store.Store).
type OutboxCounter interface {
	CountQueuedCallbackEvents(ctx context.Context) (int64, error)
}

// DefaultOutboxTimeout bounds the outbox count of one scrape.
const DefaultOutboxTimeout = 2 * time.Second

// RegisterOutbox exports mauth_callback_outbox_depth, read from oc at
// every scrape with one COUNT query bounded by timeout (≤ 0:
// DefaultOutboxTimeout). When the query fails the scrape goes on without
// the gauge and onError (when set) receives the error.
func (m *Metrics) RegisterOutbox(oc OutboxCounter, timeout time.Duration, onError func(error)) {
	if timeout <= 0 {
		timeout = DefaultOutboxTimeout
	}
	m.reg.MustRegister(&outboxCollector{oc: oc, timeout: timeout, onError: onError})
}

var outboxDepth = prometheus.NewDesc("mauth_callback_outbox_depth",
	"Callback events waiting for delivery (PENDING or PROCESSING), read from the database at scrape time.", nil, nil)

type outboxCollector struct {
	oc      OutboxCounter
	timeout time.Duration
	onError func(error)
}

// Describe implements prometheus.Collector.
func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) { ch <- outboxDepth }

// Collect implements prometheus.Collector.
func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	n, err := c.oc.CountQueuedCallbackEvents(ctx)
	if err != nil {
		if c.onError != nil {
			c.onError(err)
		}
		return
	}
	ch <- prometheus.MustNewConstMetric(outboxDepth, prometheus.GaugeValue, float64(n))
}
