package app

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/mauth/mauth/internal/api/pushserver"
	"github.com/mauth/mauth/internal/api/render"
	"github.com/mauth/mauth/internal/buildinfo"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/push"
	"github.com/mauth/mauth/internal/push/apns"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/internal/store"
)

// PushConfig configures push delivery (the push server). Empty endpoints
// are the providers' public ones.
type PushConfig struct {
	// APNsEnvironment is the APNs environment of applications that set
	// none: development (default) or production.
	APNsEnvironment string
	// APNsDevelopmentURL and APNsProductionURL override Apple's hosts.
	APNsDevelopmentURL, APNsProductionURL string
	// FCMURL and FCMTokenURL override Google's send and token endpoints.
	FCMURL, FCMTokenURL string
	// FCMDataOnly sends FCM messages without a notification block.
	FCMDataOnly bool
	// HMSURL and HMSTokenURL override Huawei's send and token endpoints.
	HMSURL, HMSTokenURL string
	// CAFile is a PEM file of CA certificates trusted for the provider
	// connections besides the system roots.
	CAFile string
	// Workers and BatchSize are the dispatcher's messages sent at once
	// and claimed per round (0: the push service's defaults).
	Workers, BatchSize int
}

// providerClient returns the HTTP client of the provider connections: the
// tests' override, else one trusting the system roots plus CAFile (nil:
// each provider client's default).
func (a *App) providerClient() (*http.Client, error) {
	if a.cfg.push.httpClient != nil || a.cfg.Push.CAFile == "" {
		return a.cfg.push.httpClient, nil
	}
	pem, err := os.ReadFile(a.cfg.Push.CAFile)
	if err != nil {
		return nil, fmt.Errorf("push CA file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("push CA file %s: no PEM certificate", a.cfg.Push.CAFile)
	}
	return apns.NewHTTPClient(pool), nil
}

// pushOverrides are what tests change in the push service beyond
// PushConfig (a client trusting the fake providers, a clock, the poll
// interval and breaker settings).
type pushOverrides struct {
	httpClient      *http.Client
	now             func() time.Time
	pollInterval    time.Duration
	breakerFailures int
	breakerOpenFor  time.Duration
	retryBase       time.Duration
}

// pushConfig builds the push service's configuration.
func (a *App) pushConfig() (push.Config, error) {
	c, o := a.cfg.Push, a.cfg.push
	m := a.Metrics()
	hc, err := a.providerClient()
	if err != nil {
		return push.Config{}, err
	}
	return push.Config{
		APNsDevelopmentURL: c.APNsDevelopmentURL, APNsProductionURL: c.APNsProductionURL,
		FCMBaseURL: c.FCMURL, FCMTokenURL: c.FCMTokenURL, HMSBaseURL: c.HMSURL, HMSTokenURL: c.HMSTokenURL,
		APNsDefaultEnvironment: c.APNsEnvironment, FCMDataOnly: c.FCMDataOnly,
		HTTPClient: hc, Now: o.now, Logger: a.log, PollInterval: o.pollInterval,
		Workers: c.Workers, BatchSize: c.BatchSize,
		BreakerFailures: o.breakerFailures, BreakerOpenFor: o.breakerOpenFor, RetryBase: o.retryBase,
		Observer: m.PushObserver(),
	}, nil
}

// pushStore is the core's store with push delivery attached: inside the
// transaction that creates an operation or finishes it (approve, reject,
// cancel, expire, fail) it queues the Mobile Token push for the user's
// devices in the push outbox, and inside the transaction that removes an
// activation it deletes the activation's push registration. So a push is
// queued exactly when its change commits, and survives a restart. Devices
// of applications without push credentials go to the logging sender after
// commit (the default when no provider is configured).
//
// When an activation becomes ACTIVE (leaving CREATED or PENDING_COMMIT:
// commit, auto-commit, OIDC activation, recovery, status update) and
// notifyNewDevice is set, the same transaction writes the new-device notice
// (mauth.device.added) to the user's other ACTIVE devices in the
// application: an inbox message and a push message (push.EnqueueDeviceAdded).
type pushStore struct {
	store.Store
	svc             *push.Service
	fallback        push.Sender
	log             *slog.Logger
	notifyNewDevice bool
}

func newPushStore(st store.Store, svc *push.Service, log *slog.Logger, notifyNewDevice bool) *pushStore {
	return &pushStore{Store: st, svc: svc, fallback: push.LogSender{Logger: log}, log: log, notifyNewDevice: notifyNewDevice}
}

type logged struct {
	devices []push.Device
	msg     push.Message
}

// InTx implements store.Store.
func (s *pushStore) InTx(ctx context.Context, fn func(tx store.Tx) error) error {
	var (
		fallback []logged
		queued   bool
	)
	err := s.Store.InTx(ctx, func(tx store.Tx) error {
		ptx := &pushTx{Tx: tx, s: s}
		err := fn(ptx)
		fallback, queued = ptx.fallback, ptx.queued // the last attempt wins
		return err
	})
	if err != nil {
		return err
	}
	if queued {
		s.svc.Wake()
	}
	for _, l := range fallback {
		for _, d := range l.devices {
			if err := s.fallback.Send(ctx, d, l.msg); err != nil {
				s.log.WarnContext(ctx, "push message not sent", "activationId", d.ActivationID, "error", err)
			}
		}
	}
	return nil
}

type pushTx struct {
	store.Tx
	s        *pushStore
	fallback []logged
	queued   bool
	// seen are the statuses of the activations read for update in this
	// transaction, before any write (so a transition needs no extra read).
	seen map[string]domain.ActivationStatus
}

// CreateActivation implements store.Tx, noting the status written; an
// activation created ACTIVE is announced like one that becomes ACTIVE.
func (t *pushTx) CreateActivation(ctx context.Context, a *domain.Activation) error {
	if err := t.Tx.CreateActivation(ctx, a); err != nil {
		return err
	}
	t.note(a.ActivationID, a.Status)
	if t.s.notifyNewDevice && a.Status == domain.ActivationActive {
		return t.deviceAdded(ctx, *a)
	}
	return nil
}

// GetActivationForUpdate implements store.Tx, noting the status read.
func (t *pushTx) GetActivationForUpdate(ctx context.Context, activationID string) (domain.Activation, error) {
	a, err := t.Tx.GetActivationForUpdate(ctx, activationID)
	if err == nil {
		t.note(a.ActivationID, a.Status)
	}
	return a, err
}

func (t *pushTx) note(id string, s domain.ActivationStatus) {
	if t.seen == nil {
		t.seen = map[string]domain.ActivationStatus{}
	}
	t.seen[id] = s
}

// previous returns the status of an activation before this write.
func (t *pushTx) previous(ctx context.Context, id string) (domain.ActivationStatus, error) {
	if s, ok := t.seen[id]; ok {
		return s, nil
	}
	a, err := t.Tx.GetActivation(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("activation before update: %w", err)
	}
	return a.Status, nil
}

func (t *pushTx) enqueue(ctx context.Context, op domain.Operation) error {
	devices, err := t.s.svc.EnqueueOperation(ctx, t.Tx, op)
	if err != nil {
		return err
	}
	t.queued = true
	if len(devices) > 0 {
		t.fallback = append(t.fallback, logged{devices: devices, msg: push.LegacyMessage(op)})
	}
	return nil
}

// CreateOperation implements store.Tx: a created operation is announced,
// unless it is created silently (the Cloud API's silent: true).
func (t *pushTx) CreateOperation(ctx context.Context, op *domain.Operation) error {
	if err := t.Tx.CreateOperation(ctx, op); err != nil {
		return err
	}
	if op.Status != domain.OperationPending || silentOperation(ctx) {
		return nil
	}
	return t.enqueue(ctx, *op)
}

// UpdateOperation implements store.Tx: an operation leaving PENDING is
// announced as finished.
func (t *pushTx) UpdateOperation(ctx context.Context, op *domain.Operation) error {
	before, err := t.Tx.GetOperation(ctx, op.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	found := err == nil
	if err := t.Tx.UpdateOperation(ctx, op); err != nil {
		return err
	}
	if found && before.Status == domain.OperationPending && op.Status != domain.OperationPending {
		return t.enqueue(ctx, *op)
	}
	return nil
}

// UpdateActivation implements store.Tx: a removed activation loses its
// push registration; an activation becoming ACTIVE is announced to the
// user's other devices.
func (t *pushTx) UpdateActivation(ctx context.Context, a *domain.Activation) error {
	return t.update(ctx, a, t.Tx.UpdateActivation)
}

// CompareAndSwapActivation implements store.Tx like UpdateActivation.
func (t *pushTx) CompareAndSwapActivation(ctx context.Context, a *domain.Activation) error {
	return t.update(ctx, a, t.Tx.CompareAndSwapActivation)
}

func (t *pushTx) update(ctx context.Context, a *domain.Activation, write func(context.Context, *domain.Activation) error) error {
	var before domain.ActivationStatus
	if t.s.notifyNewDevice && a.Status == domain.ActivationActive {
		var err error
		if before, err = t.previous(ctx, a.ActivationID); err != nil {
			return err
		}
	}
	if err := write(ctx, a); err != nil {
		return err
	}
	t.note(a.ActivationID, a.Status)
	if before == domain.ActivationCreated || before == domain.ActivationPendingCommit {
		return t.deviceAdded(ctx, *a)
	}
	return t.removed(ctx, a)
}

// deviceAdded queues the new-device notice of an activation that just
// became ACTIVE.
func (t *pushTx) deviceAdded(ctx context.Context, a domain.Activation) error {
	at := a.LastChange
	if at.IsZero() {
		at = time.Now()
	}
	n := push.DeviceAdded{Activation: a, At: at}
	devices, queued, err := t.s.svc.EnqueueDeviceAdded(ctx, t.Tx, n)
	if err != nil {
		return err
	}
	t.queued = t.queued || queued
	if len(devices) > 0 {
		t.fallback = append(t.fallback, logged{devices: devices, msg: n.Message()})
	}
	return nil
}

func (t *pushTx) removed(ctx context.Context, a *domain.Activation) error {
	if a.Status != domain.ActivationRemoved {
		return nil
	}
	return push.RemoveActivation(ctx, t.Tx, a.ActivationID)
}

// pushAccess authorises the push server API with the private API's
// integration credentials (HTTP Basic client token : client secret): an
// ADMIN integration may call everything, an APPLICATION integration may
// register devices and send messages of the applications it is granted,
// and only an ADMIN may manage applications and their provider
// credentials. Without RestrictAccess every call is allowed, as on
// /rest/v3.
type pushAccess struct {
	svc      *service.Service
	restrict bool
}

var (
	errPushAuthentication = &render.APIError{Status: http.StatusUnauthorized, Code: service.CodeAuthentication, Message: "Authentication failed"}
	errPushAccessDenied   = &render.APIError{Status: http.StatusForbidden, Code: service.CodeAccessDenied, Message: "Access denied"}
)

// Check implements pushserver.Access.
func (p pushAccess) Check(r *http.Request, appID string, adminOnly bool) error {
	if !p.restrict {
		return nil
	}
	token, secret, ok := r.BasicAuth()
	var pr service.Principal
	if ok {
		pr, ok = p.svc.Authenticate(r.Context(), token, secret)
	}
	if !ok {
		return errPushAuthentication
	}
	if pr.Admin() {
		return nil
	}
	if adminOnly || appID == "" {
		if appID == "" && !adminOnly {
			return nil // status and device status name no application
		}
		return errPushAccessDenied
	}
	app, err := p.svc.Store().GetApplicationByName(r.Context(), appID)
	if err != nil || !pr.MayActOn([]int64{app.ID}) {
		return errPushAccessDenied
	}
	return nil
}

// withPushServer adds the push server API (/push/..., /admin/app/...) to
// the private listener's handler.
func (a *App) withPushServer(private http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", private)
	pushserver.New(pushserver.Options{
		Push: a.Push, Access: pushAccess{svc: a.Service, restrict: a.cfg.RestrictAccess},
		Logger: a.log, Version: buildinfo.Version,
	}).Register(mux)
	return render.WithRequestInfo("push-server-api", mux)
}
