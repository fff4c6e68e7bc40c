package push

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/push/apns"
	"github.com/mauth/mauth/internal/push/fcm"
	"github.com/mauth/mauth/internal/push/hms"
	"github.com/mauth/mauth/internal/push/provider"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/store"
)

// Config configures the push Service. Zero values take the defaults.
type Config struct {
	// APNsDevelopmentURL and APNsProductionURL override Apple's hosts;
	// FCMBaseURL, FCMTokenURL, HMSBaseURL and HMSTokenURL the Google and
	// Huawei endpoints (tests point them at local fakes).
	APNsDevelopmentURL, APNsProductionURL string
	FCMBaseURL, FCMTokenURL               string
	HMSBaseURL, HMSTokenURL               string
	// APNsDefaultEnvironment is the environment of applications that set
	// none (default development, as the reference).
	APNsDefaultEnvironment string
	// FCMDataOnly sends FCM messages without a notification block.
	FCMDataOnly bool
	// HTTPClient sends the provider requests (default: an HTTP/2 client
	// for APNs and a plain one for FCM/HMS).
	HTTPClient *http.Client
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger logs failures (never tokens or secrets).
	Logger *slog.Logger
	// BatchSize is how many messages a dispatcher round claims (default 500);
	// Workers how many it sends at once (default 64; HTTP/2 multiplexes
	// them over one connection per provider host).
	BatchSize, Workers int
	// PollInterval is how often the dispatcher looks for due messages
	// when not woken (default 1s).
	PollInterval time.Duration
	// Lease is how long a claimed message stays reserved for its
	// dispatcher (default 2m); a dispatcher that vanished frees it then.
	Lease time.Duration
	// MaxAttempts bounds the delivery attempts of one message (default 10).
	MaxAttempts int
	// RetryBase and RetryMax bound the exponential back-off after a
	// transient failure (defaults 2s and 10m); a provider's Retry-After
	// wins when longer.
	RetryBase, RetryMax time.Duration
	// BreakerFailures consecutive transient failures of a provider for an
	// application open its circuit breaker (default 5); it stays open for
	// BreakerOpenFor (default 30s), then lets one probe through.
	BreakerFailures int
	BreakerOpenFor  time.Duration
	// CampaignBatch is how many users one step of a campaign's live send
	// queues (default CampaignBatch).
	CampaignBatch int
	// Observer is told about deliveries (metrics); nil for none.
	Observer Observer
}

// Observer is told about push deliveries (the metrics implement it).
type Observer interface {
	// Delivery counts one attempt: the provider ("apns", "fcm", "hms") and
	// the outcome ("sent", "invalid_token", "retry", "failed",
	// "breaker_open").
	Delivery(provider, outcome string)
	// ProviderLatency is the duration of one provider call.
	ProviderLatency(provider string, d time.Duration)
	// BreakerState reports a breaker's new state (0 closed, 1 open, 2
	// half-open) for a provider and application (its internal id).
	BreakerState(provider, application string, state int)
}

func (c *Config) defaults() {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.APNsDefaultEnvironment == "" {
		c.APNsDefaultEnvironment = EnvironmentDevelopment
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 500
	}
	if c.Workers <= 0 {
		c.Workers = 64
	}
	if c.PollInterval <= 0 {
		c.PollInterval = time.Second
	}
	if c.Lease <= 0 {
		c.Lease = 2 * time.Minute
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 10
	}
	if c.RetryBase <= 0 {
		c.RetryBase = 2 * time.Second
	}
	if c.RetryMax <= 0 {
		c.RetryMax = 10 * time.Minute
	}
	if c.CampaignBatch <= 0 {
		c.CampaignBatch = CampaignBatch
	}
	if c.BreakerFailures <= 0 {
		c.BreakerFailures = 5
	}
	if c.BreakerOpenFor <= 0 {
		c.BreakerOpenFor = 30 * time.Second
	}
}

// Service is the push server: provider credentials, the message outbox
// and its dispatcher, the device registrations of the push server API.
// It is safe for concurrent use; several nodes may share one database.
type Service struct {
	st       store.Store
	box      *secretbox.Box
	cfg      Config
	wake     chan struct{}
	mu       sync.Mutex
	clients  map[int64]*appClients
	breakers *breakers
}

// appClients are the provider clients of one application, built from the
// credentials row as of Updated.
type appClients struct {
	updated time.Time
	apnsEnv string
	apns    provider.Sender
	fcm     provider.Sender
	hms     provider.Sender
}

// NewService returns a push service on st; box opens the sealed
// credentials.
func NewService(st store.Store, box *secretbox.Box, cfg Config) *Service {
	cfg.defaults()
	s := &Service{st: st, box: box, cfg: cfg, wake: make(chan struct{}, 1), clients: map[int64]*appClients{}}
	s.breakers = newBreakers(cfg.BreakerFailures, cfg.BreakerOpenFor, func(p Platform, app int64, state breakerState) {
		if cfg.Observer != nil {
			cfg.Observer.BreakerState(string(p), strconv.FormatInt(app, 10), int(state))
		}
	})
	return s
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Millisecond) }

// Wake makes the dispatcher look for due messages now.
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// clientsFor returns the provider clients of an application, rebuilding
// them when its credentials changed; nil when it has none.
func (s *Service) clientsFor(ctx context.Context, appID int64) (*appClients, error) {
	c, err := s.st.GetPushCredentials(ctx, appID)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	cached := s.clients[appID]
	s.mu.Unlock()
	if cached != nil && cached.updated.Equal(c.Updated) {
		return cached, nil
	}
	built, err := s.buildClients(c)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.clients[appID] = built
	s.mu.Unlock()
	return built, nil
}

func (s *Service) buildClients(c domain.PushCredentials) (*appClients, error) {
	out := &appClients{updated: c.Updated, apnsEnv: c.APNsEnvironment}
	if out.apnsEnv == "" {
		out.apnsEnv = s.cfg.APNsDefaultEnvironment
	}
	if len(c.APNsKey) > 0 {
		key, err := s.box.Open(c.APNsKey, secretContext("apns", c.ApplicationID))
		if err != nil {
			return nil, err
		}
		hc := s.cfg.HTTPClient
		if hc == nil {
			hc = apns.NewHTTPClient(nil)
		}
		cl, err := apns.New(apns.Config{KeyP8: key, KeyID: c.APNsKeyID, TeamID: c.APNsTeamID, Topic: c.APNsBundle,
			Environment: out.apnsEnv, DevelopmentURL: s.cfg.APNsDevelopmentURL, ProductionURL: s.cfg.APNsProductionURL,
			HTTPClient: hc, Now: s.cfg.Now})
		if err != nil {
			return nil, err
		}
		out.apns = cl
	}
	if len(c.FCMKey) > 0 {
		key, err := s.box.Open(c.FCMKey, secretContext("fcm", c.ApplicationID))
		if err != nil {
			return nil, err
		}
		cl, err := fcm.New(fcm.Config{ServiceAccountJSON: key, ProjectID: c.FCMProjectID, BaseURL: s.cfg.FCMBaseURL,
			TokenURL: s.cfg.FCMTokenURL, DataOnly: s.cfg.FCMDataOnly, HTTPClient: s.cfg.HTTPClient, Now: s.cfg.Now})
		if err != nil {
			return nil, err
		}
		out.fcm = cl
	}
	if len(c.HMSClientSecret) > 0 {
		secret, err := s.box.Open(c.HMSClientSecret, secretContext("hms", c.ApplicationID))
		if err != nil {
			return nil, err
		}
		cl, err := hms.New(hms.Config{ClientID: c.HMSClientID, ClientSecret: string(bytes.TrimSpace(secret)),
			ProjectID: c.HMSProjectID, BaseURL: s.cfg.HMSBaseURL, TokenURL: s.cfg.HMSTokenURL, HTTPClient: s.cfg.HTTPClient, Now: s.cfg.Now})
		if err != nil {
			return nil, err
		}
		out.hms = cl
	}
	return out, nil
}

func (c *appClients) sender(p Platform) provider.Sender {
	if c == nil {
		return nil
	}
	switch p {
	case PlatformAPNs:
		return c.apns
	case PlatformFCM:
		return c.fcm
	case PlatformHMS:
		return c.hms
	}
	return nil
}

// configured tells which platforms a credentials row configures.
func configured(c domain.PushCredentials, p Platform) bool {
	switch p {
	case PlatformAPNs:
		return len(c.APNsKey) > 0
	case PlatformFCM:
		return len(c.FCMKey) > 0
	case PlatformHMS:
		return len(c.HMSClientSecret) > 0
	}
	return false
}
