package push

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/push/provider"
	"github.com/mauth/mauth/internal/store"
)

// Run delivers due outbox messages until ctx ends. Errors of single
// rounds are logged and retried at the next poll. Rounds are pipelined:
// the outcomes of one round are written while the next round is claimed
// and sent (its messages stay leased meanwhile, so nobody claims them
// again), at most one round's outcomes waiting.
func (s *Service) Run(ctx context.Context) {
	var recording chan struct{}
	settle := func() {
		if recording != nil {
			<-recording
			recording = nil
		}
	}
	defer settle()
	for {
		queued, err := s.QueueCampaignsOnce(ctx)
		if err != nil && ctx.Err() == nil {
			s.cfg.Logger.WarnContext(ctx, "push campaign step failed", "error", err)
		}
		n, record, err := s.dispatch(ctx)
		settle()
		if record != nil {
			done := make(chan struct{})
			go func() { defer close(done); record() }()
			recording = done
		}
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			s.cfg.Logger.WarnContext(ctx, "push dispatch round failed", "error", err)
		}
		if n >= s.cfg.BatchSize || queued > 0 {
			continue
		}
		settle()
		t := time.NewTimer(s.cfg.PollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-s.wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// DispatchOnce claims one batch of due messages, delivers them (at most
// Workers at a time) and records the outcomes; it returns how many it
// claimed.
func (s *Service) DispatchOnce(ctx context.Context) (int, error) {
	n, record, err := s.dispatch(ctx)
	if record != nil {
		record()
	}
	return n, err
}

// dispatch claims one batch of due messages and delivers them; record
// (nil when nothing was claimed) writes their outcomes.
func (s *Service) dispatch(ctx context.Context) (int, func(), error) {
	if err := ctx.Err(); err != nil {
		return 0, nil, err
	}
	lease := uuid.NewString()
	var rows []domain.PushMessage
	err := s.st.InTx(ctx, func(tx store.Tx) error {
		now := s.now()
		var err error
		rows, err = tx.ClaimPushMessages(ctx, now, now.Add(s.cfg.Lease), lease, s.cfg.BatchSize)
		return err
	})
	if err != nil {
		return 0, nil, fmt.Errorf("claim push messages: %w", err)
	}
	if len(rows) == 0 {
		return 0, nil, nil
	}
	outs := s.sendAll(ctx, rows, lease)
	return len(rows), func() { s.record(ctx, outs, lease) }, nil
}

// deliverAll delivers claimed rows and records the outcomes; done (when
// not nil) receives each row as recorded.
func (s *Service) deliverAll(ctx context.Context, rows []domain.PushMessage, lease string, done []domain.PushMessage) {
	if len(rows) == 0 {
		return
	}
	outs := s.sendAll(ctx, rows, lease)
	s.record(ctx, outs, lease)
	for i := range done {
		done[i] = outs[i].m
	}
}

// sendAll sends claimed rows (at most Workers at once, multiplexed over
// the providers' HTTP/2 connections) and returns their outcomes, not yet
// recorded.
func (s *Service) sendAll(ctx context.Context, rows []domain.PushMessage, lease string) []outcome {
	outs := make([]outcome, len(rows))
	clients := &roundClients{s: s, m: map[int64]*roundEntry{}}
	// One query checks the registrations of the whole round.
	ids := make([]int64, len(rows))
	for i, m := range rows {
		ids[i] = m.ID
	}
	ok, regErr := s.st.DeliverablePushMessages(ctx, ids)
	registered := make(map[int64]bool, len(ok))
	for _, id := range ok {
		registered[id] = true
	}
	sem := make(chan struct{}, s.cfg.Workers)
	var wg sync.WaitGroup
	for i, m := range rows {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			outs[i] = s.deliver(ctx, clients, m, lease, registered[m.ID], regErr)
		})
	}
	wg.Wait()
	return outs
}

// deliver sends one claimed message and records its outcome.
// registered tells whether the message's device still holds the token
// it was queued for and its activation may get it (regErr: unknown).
func (s *Service) deliver(ctx context.Context, rc *roundClients, m domain.PushMessage, lease string, registered bool, regErr error) outcome {
	p := Platform(m.Platform)
	fail := func(reason string) outcome {
		s.observe(p, "failed")
		return s.finish(ctx, m, lease, domain.PushMessageFailed, reason, time.Time{}, false)
	}
	if regErr != nil {
		return s.retry(ctx, m, lease, "database: "+regErr.Error(), 0)
	}
	if !registered {
		return fail("registration removed or activation not deliverable")
	}
	var body stored
	if err := json.Unmarshal(m.Body, &body); err != nil {
		return fail("stored message is not readable")
	}
	clients, err := rc.get(ctx, m.ApplicationID)
	if errors.Is(err, store.ErrNotFound) {
		return fail("no push credentials")
	}
	if err != nil {
		return fail("credentials unusable: " + err.Error())
	}
	sender := clients.sender(p)
	if sender == nil {
		return fail("no push credentials for " + string(p))
	}
	env, ok := resolveEnvironment(clients.apnsEnv, m.Environment)
	if p == PlatformAPNs && !ok {
		return fail("device environment development while the application uses production")
	}
	if allowed, until := s.breakers.allow(p, m.ApplicationID, s.now()); !allowed {
		s.observe(p, "breaker_open")
		m.Attempts-- // a held message did not try
		return s.finish(ctx, m, lease, domain.PushMessagePending, "circuit breaker open", until, false)
	}
	start := time.Now()
	res, err := sender.Send(ctx, provider.Target{Token: m.Token, Environment: env}, body.providerMessage())
	if s.cfg.Observer != nil {
		s.cfg.Observer.ProviderLatency(string(p), time.Since(start))
	}
	if ctx.Err() != nil {
		// Shutting down: hand the message back untried.
		m.Attempts--
		return s.finish(ctx, m, lease, domain.PushMessagePending, "interrupted", s.now(), false)
	}
	s.breakers.record(p, m.ApplicationID, err == nil && res.Outcome == provider.Transient, s.now())
	if err != nil {
		return fail(err.Error())
	}
	switch res.Outcome {
	case provider.Delivered:
		s.observe(p, "sent")
		return s.finish(ctx, m, lease, domain.PushMessageSent, "", time.Time{}, false)
	case provider.InvalidToken:
		s.observe(p, "invalid_token")
		return s.finish(ctx, m, lease, domain.PushMessageFailed, "invalid token: "+res.Reason, time.Time{}, true)
	case provider.Transient:
		return s.retry(ctx, m, lease, res.Reason, res.RetryAfter)
	default:
		return fail(res.Reason)
	}
}

// roundClients looks each application's provider clients up once per
// dispatcher round.
type roundClients struct {
	s  *Service
	mu sync.Mutex
	m  map[int64]*roundEntry
}

type roundEntry struct {
	once sync.Once
	c    *appClients
	err  error
}

func (r *roundClients) get(ctx context.Context, appID int64) (*appClients, error) {
	r.mu.Lock()
	e, ok := r.m[appID]
	if !ok {
		e = &roundEntry{}
		r.m[appID] = e
	}
	r.mu.Unlock()
	e.once.Do(func() { e.c, e.err = r.s.clientsFor(ctx, appID) })
	return e.c, e.err
}

// retry keeps a message PENDING for another attempt after a back-off
// (the provider's Retry-After when longer), or fails it when it has had
// MaxAttempts.
func (s *Service) retry(ctx context.Context, m domain.PushMessage, lease, reason string, retryAfter time.Duration) outcome {
	p := Platform(m.Platform)
	if m.Attempts >= s.cfg.MaxAttempts {
		s.observe(p, "failed")
		return s.finish(ctx, m, lease, domain.PushMessageFailed, fmt.Sprintf("gave up after %d attempts: %s", m.Attempts, reason), time.Time{}, false)
	}
	s.observe(p, "retry")
	wait := s.backoff(m.Attempts)
	if retryAfter > wait {
		wait = retryAfter
	}
	return s.finish(ctx, m, lease, domain.PushMessagePending, reason, s.now().Add(wait), false)
}

// backoff is the wait after the n-th failed attempt: RetryBase doubled
// per attempt, at most RetryMax.
func (s *Service) backoff(n int) time.Duration {
	d := s.cfg.RetryBase
	for i := 1; i < n && d < s.cfg.RetryMax; i++ {
		d *= 2
	}
	return min(d, s.cfg.RetryMax)
}

func (s *Service) observe(p Platform, outcome string) {
	if s.cfg.Observer != nil {
		s.cfg.Observer.Delivery(string(p), outcome)
	}
}

// outcome is a delivery's result waiting to be recorded.
type outcome struct {
	m           domain.PushMessage
	removeToken bool // delete the registrations holding the (invalid) token
}

// finish prepares the record of a delivery outcome.
func (s *Service) finish(_ context.Context, m domain.PushMessage, _ string, status domain.PushMessageStatus, reason string, next time.Time, removeToken bool) outcome {
	now := s.now()
	m.Status, m.Reason = status, reason
	if len(m.Reason) > 1000 {
		m.Reason = m.Reason[:1000]
	}
	if status == domain.PushMessagePending {
		m.Next = next
	} else {
		m.Next, m.Finished = now, now
	}
	return outcome{m: m, removeToken: removeToken}
}

// record writes the outcomes of a round in one transaction (one commit,
// one fsync, for the whole round; the plain successes in one statement,
// finished at the time of the record); when that fails (a lease lost to
// another dispatcher, a database error) each outcome is written on its
// own, so one lost lease does not lose the others. An outcome that cannot
// be written keeps its claim and is retried when the lease ends.
func (s *Service) record(ctx context.Context, outs []outcome, lease string) {
	ctx = context.WithoutCancel(ctx) // what was sent is recorded, even at shutdown
	write := func(tx store.Tx, o *outcome) error {
		if err := tx.FinishPushMessage(ctx, &o.m, lease); err != nil {
			return err
		}
		if o.removeToken {
			if _, err := tx.DeletePushDevicesByToken(ctx, o.m.ApplicationID, o.m.Token); err != nil {
				return err
			}
		}
		return nil
	}
	err := s.st.InTx(ctx, func(tx store.Tx) error {
		// The plain successes (most of a round) in one statement.
		var sent []int64
		for i := range outs {
			o := &outs[i]
			if o.m.Status == domain.PushMessageSent && !o.removeToken {
				sent = append(sent, o.m.ID)
				continue
			}
			if err := write(tx, o); err != nil {
				return err
			}
		}
		if len(sent) == 0 {
			return nil
		}
		n, err := tx.FinishPushMessagesSent(ctx, sent, lease, s.now())
		if err != nil {
			return err
		}
		if n != int64(len(sent)) {
			return fmt.Errorf("finish push messages: %d of %d still under the lease: %w", n, len(sent), store.ErrConflict)
		}
		return nil
	})
	if err == nil || len(outs) == 1 {
		if err != nil {
			s.lost(ctx, &outs[0], err)
		}
		return
	}
	for i := range outs {
		if err := s.st.InTx(ctx, func(tx store.Tx) error { return write(tx, &outs[i]) }); err != nil {
			s.lost(ctx, &outs[i], err)
		}
	}
}

func (s *Service) lost(ctx context.Context, o *outcome, err error) {
	s.cfg.Logger.WarnContext(ctx, "push message outcome not recorded", "message", o.m.ID, "error", err)
	o.m.Status = domain.PushMessagePending
}

// resolveEnvironment picks the APNs environment of a device (as the
// reference): the application's (or the server's default) base, which
// the device's own overrides when it is production or the base is
// development; a development device of a production application cannot
// be reached (false).
func resolveEnvironment(base, device string) (string, bool) {
	switch {
	case device == "":
		return base, true
	case device == EnvironmentProduction || base == EnvironmentDevelopment:
		return device, true
	}
	return "", false
}
