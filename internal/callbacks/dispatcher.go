package callbacks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/netguard"
	"github.com/mauth/mauth/internal/store"
)

// Defaults of Config (the reference server's where it has one).
const (
	DefaultPollInterval      = 3 * time.Second
	DefaultBatchSize         = 100
	DefaultWorkers           = 4
	DefaultConnectTimeout    = 5 * time.Second
	DefaultResponseTimeout   = 60 * time.Second
	DefaultBackoffMultiplier = 1.5
	DefaultMaxBackoff        = 32 * time.Second
	DefaultPurgeInterval     = time.Hour
	// purgeBatch bounds one retention purge statement.
	purgeBatch = 1000
	// maxResponseDrain is how much of a receiver's answer is read (and
	// discarded) so the connection can be reused.
	maxResponseDrain = 64 << 10
)

// Config tunes a Dispatcher. Zero values take the defaults.
type Config struct {
	// PollInterval is the pause between claims when the last found less
	// than a full batch.
	PollInterval time.Duration
	// BatchSize is the number of events claimed at once.
	BatchSize int
	// Workers is the number of concurrent deliveries.
	Workers int
	// ConnectTimeout bounds connecting to a receiver.
	ConnectTimeout time.Duration
	// ResponseTimeout bounds a whole delivery request.
	ResponseTimeout time.Duration
	// RerunAfter is how long a claimed event stays with its dispatcher
	// before another may take it over (default: connect + response
	// timeout + 10 s).
	RerunAfter time.Duration
	// BackoffMultiplier grows the delay between retries.
	BackoffMultiplier float64
	// MaxBackoff caps the delay between retries.
	MaxBackoff time.Duration
	// PurgeInterval is how often events past their retention are deleted.
	PurgeInterval time.Duration
	// Now is the clock (tests); nil is time.Now.
	Now func() time.Time
	// Logger receives delivery outcomes (never payloads or secrets).
	Logger *slog.Logger
	// Observe, when set, is told every delivery outcome once it is
	// recorded in the outbox (metrics). It runs on the delivery
	// goroutines, so it must be safe for concurrent use and not block.
	Observe func(DeliveryResult)
}

func (c *Config) fillDefaults() {
	if c.PollInterval <= 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.BatchSize <= 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.Workers <= 0 {
		c.Workers = DefaultWorkers
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.ResponseTimeout <= 0 {
		c.ResponseTimeout = DefaultResponseTimeout
	}
	if c.RerunAfter <= 0 {
		c.RerunAfter = c.ConnectTimeout + c.ResponseTimeout + 10*time.Second
	}
	if c.BackoffMultiplier < 1 {
		c.BackoffMultiplier = DefaultBackoffMultiplier
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = DefaultMaxBackoff
	}
	if c.PurgeInterval <= 0 {
		c.PurgeInterval = DefaultPurgeInterval
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// newClient returns the HTTP client of deliveries and token requests: it
// connects only to addresses policy allows (checked on every connection,
// see netguard), never through a proxy from the environment (the proxy,
// not mauth, would choose the address), and does not follow redirects.
func newClient(c Config, policy *netguard.Policy) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.DialContext = policy.DialContext(&net.Dialer{Timeout: c.ConnectTimeout, KeepAlive: 30 * time.Second})
	tr.TLSHandshakeTimeout = c.ConnectTimeout
	return &http.Client{
		Transport: tr,
		Timeout:   c.ConnectTimeout + c.ResponseTimeout,
		// A signed event goes only where the bank configured it.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Dispatcher delivers callback events. Run one per mauth node.
type Dispatcher struct {
	reg    *Registry
	st     store.Store
	cfg    Config
	client *http.Client
	tokens *tokenCache
	wake   chan struct{}

	mu        sync.Mutex
	lastPurge time.Time
}

// Source is where a dispatcher finds its events and their callbacks: the
// store of the outbox and the callback registry (the core service is one).
type Source interface {
	// Store returns the store of the outbox.
	Store() store.Store
	// Callbacks returns the registry of the callbacks.
	Callbacks() *Registry
}

// New returns a dispatcher of the events in src's store, delivered to the
// callbacks src's registry keeps. It reaches only the addresses the
// registry's policy allows (Registry.Policy).
func New(src Source, cfg Config) *Dispatcher {
	st, reg := src.Store(), src.Callbacks()
	cfg.fillDefaults()
	client := newClient(cfg, reg.Policy())
	return &Dispatcher{
		reg: reg, st: st, cfg: cfg, client: client,
		tokens: newTokenCache(client, cfg.Now),
		wake:   make(chan struct{}, 1),
	}
}

// now is the dispatcher clock in UTC with the database's precision.
func (d *Dispatcher) now() time.Time { return d.cfg.Now().UTC().Truncate(time.Millisecond) }

// Start runs the dispatcher in the background until ctx ends; the
// returned function waits for it to stop.
func (d *Dispatcher) Start(ctx context.Context) (wait func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = d.Run(ctx)
	}()
	return func() { <-done }
}

// Wake makes a running dispatcher poll now instead of at its next tick.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers events until ctx ends, then returns nil. Errors of single
// rounds are logged and retried at the next poll.
func (d *Dispatcher) Run(ctx context.Context) error {
	for {
		n, err := d.RunOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			d.cfg.Logger.WarnContext(ctx, "callback dispatch round failed", "error", err)
		}
		if _, err := d.purgeIfDue(ctx); err != nil && ctx.Err() == nil {
			d.cfg.Logger.WarnContext(ctx, "callback event purge failed", "error", err)
		}
		if n >= d.cfg.BatchSize {
			continue
		}
		t := time.NewTimer(d.cfg.PollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-d.wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// RunOnce claims one batch of due events, delivers them (concurrently,
// at most Workers at a time) and records the outcomes. It returns the
// number of events claimed. When ctx ends mid-delivery the unfinished
// events are handed back (PENDING, attempt not counted).
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	lease := uuid.NewString()
	var events []domain.CallbackEvent
	err := d.st.InTx(ctx, func(tx store.Tx) error {
		now := d.now()
		var err error
		events, err = tx.ClaimCallbackEvents(ctx, now, now.Add(d.cfg.RerunAfter), lease, d.cfg.BatchSize)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("claim callback events: %w", err)
	}
	targets := newTargetCache(d.reg, d.st)
	sem := make(chan struct{}, d.cfg.Workers)
	var wg sync.WaitGroup
	for _, e := range events {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			d.deliver(ctx, targets, e, lease)
		}()
	}
	wg.Wait()
	return len(events), nil
}

// targetCache loads each callback's target once per round.
type targetCache struct {
	reg *Registry
	st  store.Store
	mu  sync.Mutex
	m   map[string]*targetEntry
}

type targetEntry struct {
	once sync.Once
	t    Target
	err  error
}

func newTargetCache(reg *Registry, st store.Store) *targetCache {
	return &targetCache{reg: reg, st: st, m: map[string]*targetEntry{}}
}

func (c *targetCache) get(ctx context.Context, id string) (Target, error) {
	c.mu.Lock()
	e, ok := c.m[id]
	if !ok {
		e = &targetEntry{}
		c.m[id] = e
	}
	c.mu.Unlock()
	e.once.Do(func() { e.t, e.err = c.reg.Target(ctx, c.st, id) })
	return e.t, e.err
}

// deliver sends one claimed event and records the outcome.
func (d *Dispatcher) deliver(ctx context.Context, targets *targetCache, e domain.CallbackEvent, lease string) {
	log := d.cfg.Logger.With("event", e.ID, "callback", e.CallbackID)
	t, err := targets.get(ctx, e.CallbackID)
	switch {
	case ctx.Err() != nil:
		d.release(ctx, e, lease, log)
		return
	case errors.Is(err, store.ErrNotFound):
		log.WarnContext(ctx, "callback event dropped: callback no longer exists")
		d.finish(ctx, e, lease, domain.CallbackEventFailed, false, DefaultRetentionPeriod, 0, ResultGaveUp, log)
		return
	case err != nil:
		log.WarnContext(ctx, "callback target cannot be loaded", "error", err)
		d.failAttempt(ctx, e, lease, Target{MaxAttempts: DefaultMaxAttempts,
			InitialBackoff: DefaultInitialBackoff, RetentionPeriod: DefaultRetentionPeriod}, log)
		return
	case !t.Callback.Enabled:
		log.InfoContext(ctx, "callback event dropped: callback removed")
		d.finish(ctx, e, lease, domain.CallbackEventFailed, false, t.RetentionPeriod, 0, ResultGaveUp, log)
		return
	}
	status, err := d.send(ctx, t, e)
	switch {
	case ctx.Err() != nil:
		d.release(ctx, e, lease, log)
	case err != nil:
		log.WarnContext(ctx, "callback delivery failed", "attempt", e.Attempts+1, "error", err)
		d.failAttempt(ctx, e, lease, t, log)
	case status/100 == 2:
		log.DebugContext(ctx, "callback delivered", "attempt", e.Attempts+1, "status", status)
		d.finish(ctx, e, lease, domain.CallbackEventCompleted, true, t.RetentionPeriod, 0, ResultDelivered, log)
	default:
		log.WarnContext(ctx, "callback refused", "attempt", e.Attempts+1, "status", status)
		d.failAttempt(ctx, e, lease, t, log)
	}
}

// send POSTs the event and returns the receiver's status code.
func (d *Dispatcher) send(ctx context.Context, t Target, e domain.CallbackEvent) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, d.cfg.ConnectTimeout+d.cfg.ResponseTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.Callback.URL, bytes.NewReader(e.Payload))
	if err != nil {
		return 0, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "mauth-callbacks")
	req.Header.Set("Idempotency-Key", e.IdempotencyKey)
	req.Header.Set(SignatureHeader, Sign(t.SigningSecret, d.cfg.Now(), e.Payload))
	var oauth *OAuth2
	if a := t.Auth; a != nil {
		if a.Certificate != nil && a.Certificate.Enabled {
			return 0, errors.New("certificate (mTLS) authentication of callbacks is not supported")
		}
		if b := a.HTTPBasic; b != nil && b.Enabled {
			pw := ""
			if b.Password != nil {
				pw = *b.Password
			}
			req.SetBasicAuth(b.Username, pw)
		}
		if o := a.OAuth2; o != nil && o.Enabled {
			tok, err := d.tokens.token(ctx, o)
			if err != nil {
				return 0, err
			}
			req.Header.Set("Authorization", "Bearer "+tok)
			oauth = o
		}
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("post: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseDrain))
	_ = resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized && oauth != nil {
		d.tokens.invalidate(oauth)
	}
	return resp.StatusCode, nil
}

// failAttempt counts a failed attempt: a retry after the back-off, or
// FAILED when the attempts are used up.
func (d *Dispatcher) failAttempt(ctx context.Context, e domain.CallbackEvent, lease string, t Target, log *slog.Logger) {
	if e.Attempts+1 >= t.MaxAttempts {
		log.WarnContext(ctx, "callback event failed for good", "attempts", e.Attempts+1)
		d.finish(ctx, e, lease, domain.CallbackEventFailed, true, t.RetentionPeriod, 0, ResultGaveUp, log)
		return
	}
	wait := Backoff(t.InitialBackoff, d.cfg.BackoffMultiplier, d.cfg.MaxBackoff, e.Attempts+1)
	d.finish(ctx, e, lease, domain.CallbackEventPending, true, t.RetentionPeriod, wait, ResultFailed, log)
}

// release hands an event back after the dispatcher was stopped mid-way;
// the attempt does not count.
func (d *Dispatcher) release(ctx context.Context, e domain.CallbackEvent, lease string, log *slog.Logger) {
	d.finish(context.WithoutCancel(ctx), e, lease, domain.CallbackEventPending, false, 0, 0, "", log)
}

// finish records an outcome under the claim's lease. counted adds an
// attempt; a final status starts the retention period; a PENDING one is
// due after wait. Once recorded, a non-empty result goes to Observe.
func (d *Dispatcher) finish(ctx context.Context, e domain.CallbackEvent, lease string, status domain.CallbackEventStatus, counted bool, retention, wait time.Duration, result DeliveryResult, log *slog.Logger) {
	now := d.now()
	e.Status, e.DeleteAfter = status, time.Time{}
	if counted {
		e.Attempts++
		e.LastCall = now
	}
	if status.Final() {
		e.DeleteAfter = now.Add(retention)
	} else {
		e.NextCall = now.Add(wait)
	}
	err := d.st.InTx(ctx, func(tx store.Tx) error {
		ev := e
		return tx.FinishCallbackEvent(ctx, &ev, lease)
	})
	if errors.Is(err, store.ErrConflict) {
		log.InfoContext(ctx, "callback event was taken over by another dispatcher")
		return
	}
	if err != nil {
		// The claim expires and the event is delivered again.
		log.WarnContext(ctx, "callback outcome cannot be recorded", "error", err)
		return
	}
	if result != "" && d.cfg.Observe != nil {
		d.cfg.Observe(result)
	}
}

// Purge deletes the final events whose retention period has passed and
// returns how many.
func (d *Dispatcher) Purge(ctx context.Context) (int64, error) {
	var total int64
	for {
		var n int64
		err := d.st.InTx(ctx, func(tx store.Tx) error {
			var err error
			n, err = tx.DeleteExpiredCallbackEvents(ctx, d.now(), purgeBatch)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("purge callback events: %w", err)
		}
		total += n
		if n < purgeBatch {
			return total, nil
		}
	}
}

// purgeIfDue runs Purge at most once per PurgeInterval.
func (d *Dispatcher) purgeIfDue(ctx context.Context) (int64, error) {
	d.mu.Lock()
	now := d.now()
	due := d.lastPurge.IsZero() || now.Sub(d.lastPurge) >= d.cfg.PurgeInterval
	if due {
		d.lastPurge = now
	}
	d.mu.Unlock()
	if !due {
		return 0, nil
	}
	return d.Purge(ctx)
}
