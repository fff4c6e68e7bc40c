package metrics

import (
	"database/sql"

	"github.com/prometheus/client_golang/prometheus"
)

// PoolStatser is implemented by stores over database/sql: the pools by name
// (e.g. "write", "read").
type PoolStatser interface {
	PoolStats() map[string]sql.DBStats
}

// RegisterPools exports the pool statistics of st when it implements
// PoolStatser; it reports whether it did.
func (m *Metrics) RegisterPools(st any) bool {
	ps, ok := st.(PoolStatser)
	if !ok {
		return false
	}
	m.reg.MustRegister(&poolCollector{ps: ps})
	return true
}

type poolCollector struct{ ps PoolStatser }

var (
	poolOpen     = prometheus.NewDesc("mauth_db_pool_open_connections", "Open database connections.", []string{"pool"}, nil)
	poolInUse    = prometheus.NewDesc("mauth_db_pool_in_use_connections", "Database connections in use.", []string{"pool"}, nil)
	poolIdle     = prometheus.NewDesc("mauth_db_pool_idle_connections", "Idle database connections.", []string{"pool"}, nil)
	poolMaxOpen  = prometheus.NewDesc("mauth_db_pool_max_open_connections", "Maximum open database connections.", []string{"pool"}, nil)
	poolWait     = prometheus.NewDesc("mauth_db_pool_wait_total", "Connections waited for.", []string{"pool"}, nil)
	poolWaitSecs = prometheus.NewDesc("mauth_db_pool_wait_seconds_total", "Time spent waiting for connections.", []string{"pool"}, nil)
)

// Describe implements prometheus.Collector.
func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolOpen, poolInUse, poolIdle, poolMaxOpen, poolWait, poolWaitSecs} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	for name, s := range c.ps.PoolStats() {
		ch <- prometheus.MustNewConstMetric(poolOpen, prometheus.GaugeValue, float64(s.OpenConnections), name)
		ch <- prometheus.MustNewConstMetric(poolInUse, prometheus.GaugeValue, float64(s.InUse), name)
		ch <- prometheus.MustNewConstMetric(poolIdle, prometheus.GaugeValue, float64(s.Idle), name)
		ch <- prometheus.MustNewConstMetric(poolMaxOpen, prometheus.GaugeValue, float64(s.MaxOpenConnections), name)
		ch <- prometheus.MustNewConstMetric(poolWait, prometheus.CounterValue, float64(s.WaitCount), name)
		ch <- prometheus.MustNewConstMetric(poolWaitSecs, prometheus.CounterValue, s.WaitDuration.Seconds(), name)
	}
}
