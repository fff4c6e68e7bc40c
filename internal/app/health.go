package app

import (
	"context"
	"net/http"
	"time"

	"github.com/mauth/mauth/internal/api/render"
	"github.com/mauth/mauth/internal/callbacks"
	"github.com/mauth/mauth/internal/coreclient"
	"github.com/mauth/mauth/internal/metrics"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/openapi"
)

// Paths of the health and metrics endpoints.
const (
	LivePath    = "/health/live"
	ReadyPath   = "/health/ready"
	MetricsPath = "/metrics"
)

// readyTimeout bounds each readiness check (a variable: tests lift it).
var readyTimeout = 2 * time.Second

// outboxScrapeTimeout bounds the callback outbox count of one scrape (a
// variable: tests lift it).
var outboxScrapeTimeout = time.Second

// callbackDispatcher returns the callback dispatcher of Serve, its
// outcomes counted by the metrics.
func (a *App) callbackDispatcher() *callbacks.Dispatcher {
	cfg := a.cfg.callbacks
	cfg.Logger = a.log
	m := a.Metrics()
	cfg.Observe = func(r callbacks.DeliveryResult) { m.CallbackDelivery(string(r)) }
	return callbacks.New(a.Service, cfg)
}

// observe returns st wrapped so that the metrics see signature
// verifications, activation and operation transitions and failed
// operation approvals (creating the registry).
func (a *App) observe(st store.Store) store.Store {
	return a.Metrics().WrapStore(st)
}

// Metrics returns the app's metrics registry.
func (a *App) Metrics() *metrics.Metrics {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.metrics == nil {
		a.metrics = metrics.New()
	}
	return a.metrics
}

// instrument adds the operational endpoints and middleware to the
// surfaces: GET /health/live and /health/ready on every listener,
// GET /metrics and /openapi/private.yaml on the private listener only,
// GET /openapi/public.yaml on both, and on every request a
// request id, an access log line and the HTTP metrics.
func (a *App) instrument() {
	m := a.Metrics()
	if a.Store != nil {
		m.RegisterPools(a.Store)
		m.RegisterOutbox(a.Store, outboxScrapeTimeout, func(err error) {
			a.log.Warn("metrics: cannot count the callback outbox", "error", err)
		})
		m.RegisterPushQueue(a.Store, outboxScrapeTimeout, func(err error) {
			a.log.Warn("metrics: cannot count the push outbox", "error", err)
		})
	}
	wrap := func(api string, h http.Handler, withMetrics bool) http.Handler {
		mux := http.NewServeMux()
		mux.HandleFunc("GET "+LivePath, a.live)
		mux.HandleFunc("GET "+ReadyPath, a.ready)
		if withMetrics {
			mux.Handle("GET "+MetricsPath, m.Handler())
		}
		// The OpenAPI documents: the private one on the private listener only.
		mux.Handle("GET "+openapi.PublicPath, openapi.Handler(withMetrics))
		if withMetrics {
			mux.Handle("GET "+openapi.PrivatePath, openapi.Handler(true))
			mux.Handle("GET "+openapi.InboxPath, openapi.Handler(true))
			mux.Handle("GET "+openapi.PushServerPath, openapi.Handler(true))
			mux.Handle("GET "+openapi.CloudPath, openapi.Handler(true))
			mux.Handle("GET "+openapi.MobileUtilAdminPath, openapi.Handler(true))
			mux.Handle("GET "+openapi.TestServerPath, openapi.Handler(true))
		}
		mux.Handle("/", h)
		return render.AccessLog(a.log, api, m.Middleware(api, mux))
	}
	if a.Private != nil {
		a.Private = wrap("private", a.Private, true)
	}
	if a.Public != nil {
		a.Public = wrap("public", a.Public, false)
	}
}

// healthBody is the answer of the health endpoints.
type healthBody struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks,omitempty"`
}

// live answers 200 while the process serves HTTP.
func (a *App) live(w http.ResponseWriter, _ *http.Request) {
	render.JSON(w, http.StatusOK, healthBody{Status: "UP"})
}

// ready answers 200 when the dependencies answer: the database (reachable,
// no pending migrations) in the core roles, the core server in the
// enrollment role; else 503. Each check is bounded by readyTimeout and
// failure details go to the log only.
func (a *App) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	checks := map[string]string{}
	up := true
	if a.Store != nil {
		checks["database"] = "UP"
		if err := a.Store.Ping(ctx); err != nil {
			a.log.WarnContext(ctx, "readiness: database unreachable", "error", err)
			checks["database"], up = "DOWN", false
		} else if n, err := a.Store.PendingMigrations(ctx); err != nil {
			a.log.WarnContext(ctx, "readiness: cannot check migrations", "error", err)
			checks["database"], up = "DOWN", false
		} else if n > 0 {
			checks["database"], up = "MIGRATIONS_PENDING", false
		}
	}
	if cc, ok := a.Core.(*coreclient.Client); ok {
		checks["core"] = "UP"
		if _, err := cc.SystemStatus(ctx); err != nil {
			a.log.WarnContext(ctx, "readiness: core server unreachable", "error", err)
			checks["core"], up = "DOWN", false
		}
	}
	if !up {
		render.JSON(w, http.StatusServiceUnavailable, healthBody{Status: "DOWN", Checks: checks})
		return
	}
	render.JSON(w, http.StatusOK, healthBody{Status: "UP", Checks: checks})
}
