package push

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/push/provider"
	"github.com/mauth/mauth/internal/push/pushtest"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/teststore"
)

const (
	testKeyID  = "ABC123DEFG"
	testTeamID = "TEAM123456"
	testTopic  = "com.example.bank"
	tokA       = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
	tokB       = "b1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
)

// countingObserver records the deliveries the dispatcher reports.
type countingObserver struct {
	mu       sync.Mutex
	outcomes map[string]int
	breaker  []int
}

func (o *countingObserver) Delivery(p, outcome string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.outcomes[p+"/"+outcome]++
}
func (o *countingObserver) ProviderLatency(string, time.Duration) {}
func (o *countingObserver) BreakerState(_, _ string, s int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.breaker = append(o.breaker, s)
}
func (o *countingObserver) count(k string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.outcomes[k]
}

type rig struct {
	st    store.Store
	svc   *Service
	fake  *pushtest.APNs
	clock *pushtest.Clock
	obs   *countingObserver
	app   domain.Application
	p8    []byte
	cfg   Config
	box   *secretbox.Box
}

func newRig(t testing.TB, st store.Store) *rig {
	t.Helper()
	ctx := context.Background()
	p8, pub := pushtest.NewAPNsKey(t)
	clk := pushtest.NewClock(time.Now().UTC().Truncate(time.Second))
	fake := pushtest.NewAPNs(t, pushtest.APNsConfig{Key: pub, KeyID: testKeyID, TeamID: testTeamID, Topic: testTopic})
	fake.SetClock(clk.Now)
	box, err := secretbox.New(secretbox.GenerateKey())
	require.NoError(t, err)
	app := domain.Application{Name: "push-app-" + strings.ReplaceAll(t.Name(), "/", "-")}
	require.NoError(t, st.InTx(ctx, func(tx store.Tx) error { return tx.CreateApplication(ctx, &app) }))
	obs := &countingObserver{outcomes: map[string]int{}}
	cfg := Config{
		APNsDevelopmentURL: fake.URL(), APNsProductionURL: fake.URL(), HTTPClient: fake.Client(), Now: clk.Now,
		BreakerFailures: 2, BreakerOpenFor: time.Minute, MaxAttempts: 5, Observer: obs,
	}
	r := &rig{st: st, svc: NewService(st, box, cfg), fake: fake, clock: clk, obs: obs, app: app, p8: p8, cfg: cfg, box: box}
	require.NoError(t, r.svc.SetAPNs(ctx, app.Name, APNsCredentials{PrivateKey: p8, KeyID: testKeyID, TeamID: testTeamID, Bundle: testTopic}))
	return r
}

func (r *rig) device(t *testing.T, id, user, token string, status domain.ActivationStatus) {
	t.Helper()
	newActivation(t, r.st, r.app.ID, id, user, status)
	require.NoError(t, r.svc.CreateDevice(context.Background(), DeviceRequest{AppID: r.app.Name, ActivationIDs: []string{id}, Platform: "ios", Token: token}))
}

func (r *rig) messages(t *testing.T, activationID string) []domain.PushMessage {
	t.Helper()
	ms, err := r.st.ListPushMessages(context.Background(), activationID, 0)
	require.NoError(t, err)
	return ms
}

func TestCredentialsValidatedAndSealed(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		r := newRig(t, st)
		c, err := st.GetPushCredentials(ctx, r.app.ID)
		require.NoError(t, err)
		require.NotEmpty(t, c.APNsKey)
		require.False(t, bytes.Contains(c.APNsKey, []byte("PRIVATE KEY")), "the .p8 is sealed at rest")
		require.Equal(t, testKeyID, c.APNsKeyID)

		fake := pushtest.NewFCM(t, "proj-1")
		tests := []struct {
			name string
			set  func() error
			want string
		}{
			{"bad p8", func() error {
				return r.svc.SetAPNs(ctx, r.app.Name, APNsCredentials{PrivateKey: []byte("not a key"), KeyID: testKeyID, TeamID: testTeamID, Bundle: testTopic})
			}, "not PEM"},
			{"bad key id", func() error {
				return r.svc.SetAPNs(ctx, r.app.Name, APNsCredentials{PrivateKey: r.p8, KeyID: "short", TeamID: testTeamID, Bundle: testTopic})
			}, "key id"},
			{"bad environment", func() error {
				return r.svc.SetAPNs(ctx, r.app.Name, APNsCredentials{PrivateKey: r.p8, KeyID: testKeyID, TeamID: testTeamID, Bundle: testTopic, Environment: "staging"})
			}, "environment"},
			{"bad fcm json", func() error { return r.svc.SetFCM(ctx, r.app.Name, FCMCredentials{ServiceAccount: []byte("{")}) }, "fcm credentials"},
			{"empty hms secret", func() error { return r.svc.SetHMS(ctx, r.app.Name, HMSCredentials{ClientID: "1"}) }, "client secret"},
			{"unknown app", func() error {
				return r.svc.SetFCM(ctx, "nope", FCMCredentials{ServiceAccount: fake.ServiceAccountJSON()})
			}, "does not exist"},
		}
		for _, tc := range tests {
			err := tc.set()
			require.Error(t, err, tc.name)
			require.True(t, IsBadRequest(err), tc.name)
			require.Contains(t, err.Error(), tc.want, tc.name)
		}
		after, err := st.GetPushCredentials(ctx, r.app.ID)
		require.NoError(t, err)
		require.Equal(t, c, after, "refused credentials change nothing")

		require.NoError(t, r.svc.SetFCM(ctx, r.app.Name, FCMCredentials{ServiceAccount: fake.ServiceAccountJSON()}))
		require.NoError(t, r.svc.SetHMS(ctx, r.app.Name, HMSCredentials{ClientID: "10001", ClientSecret: "s3cret", ProjectID: "p"}))
		info, err := r.svc.App(ctx, r.app.Name)
		require.NoError(t, err)
		require.Equal(t, AppInfo{AppID: r.app.Name, APNs: true, FCM: true, HMS: true, APNsBundle: testTopic, APNsKeyID: testKeyID,
			APNsTeamID: testTeamID, FCMProjectID: "proj-1", HMSProjectID: "p"}, info)
		c, err = st.GetPushCredentials(ctx, r.app.ID)
		require.NoError(t, err)
		require.False(t, bytes.Contains(c.FCMKey, []byte("private_key")))
		require.False(t, bytes.Contains(c.HMSClientSecret, []byte("s3cret")))
		require.NoError(t, r.svc.RemoveCredentials(ctx, r.app.Name, PlatformFCM))
		info, err = r.svc.App(ctx, r.app.Name)
		require.NoError(t, err)
		require.False(t, info.FCM)
		require.True(t, info.APNs)
	})
}

// TestSetCredentialsAllOrNothing: several platforms are validated before
// any is stored, so one refused platform changes nothing; accepted ones
// are stored in one transaction with an audit entry each.
func TestSetCredentialsAllOrNothing(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		r := newRig(t, st)
		require.NoError(t, r.svc.RemoveCredentials(ctx, r.app.Name, PlatformAPNs))
		before, err := st.GetPushCredentials(ctx, r.app.ID)
		require.NoError(t, err)
		apns := &APNsCredentials{PrivateKey: r.p8, KeyID: testKeyID, TeamID: testTeamID, Bundle: testTopic}
		for _, c := range []Credentials{
			{APNs: apns, FCM: &FCMCredentials{ServiceAccount: []byte("{")}},
			{APNs: apns, HMS: &HMSCredentials{ClientID: "1"}},
			{},
		} {
			err := r.svc.SetCredentials(ctx, r.app.Name, c)
			require.Error(t, err)
			require.True(t, IsBadRequest(err), err.Error())
		}
		after, err := st.GetPushCredentials(ctx, r.app.ID)
		require.NoError(t, err)
		require.Equal(t, before, after, "a refused platform stores none")

		fake := pushtest.NewFCM(t, "proj-2")
		require.NoError(t, r.svc.SetCredentials(ctx, r.app.Name, Credentials{APNs: apns, FCM: &FCMCredentials{ServiceAccount: fake.ServiceAccountJSON()}}))
		info, err := r.svc.App(ctx, r.app.Name)
		require.NoError(t, err)
		require.True(t, info.APNs && info.FCM && !info.HMS, "%+v", info)
		entries, err := st.ListAuditEntries(ctx, store.AuditFilter{Type: domain.AuditAdminChange})
		require.NoError(t, err)
		actions := map[string]int{}
		for _, e := range entries {
			if e.Application == r.app.Name {
				actions[e.Details["action"]]++
			}
		}
		require.Equal(t, 2, actions["push.apns.set"], "the rig's and this one")
		require.Equal(t, 1, actions["push.fcm.set"])
	})
}

func TestDispatcherOutcomeClasses(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		r := newRig(t, st)
		r.device(t, "act-ok", "alice", tokA, domain.ActivationActive)
		r.device(t, "act-bad", "bob", tokB, domain.ActivationActive)

		// Delivered (synchronous send): the fake receives the mapped message.
		res, err := r.svc.Send(ctx, r.app.Name, []SendMessage{{UserID: "alice", Body: Body{Title: "Hi", Body: "There", Extras: map[string]any{"k": "v"}}}}, true)
		require.NoError(t, err)
		require.Equal(t, SendResult{APNs: Counts{Sent: 1, Total: 1}}, res)
		got := r.fake.Received()
		require.Len(t, got, 1)
		var payload map[string]any
		require.NoError(t, json.Unmarshal(got[0].Body, &payload))
		require.Equal(t, map[string]any{"alert": map[string]any{"title": "Hi", "body": "There"}}, payload["aps"])
		require.Equal(t, "v", payload["k"])
		require.Equal(t, testTopic, got[0].Header.Get("apns-topic"))
		require.Equal(t, domain.PushMessageSent, r.messages(t, "act-ok")[0].Status)

		// Invalid token: FAILED and the registration removed.
		r.fake.RespondTo(tokB, pushtest.APNsResponse{Status: 410, Reason: "Unregistered"})
		res, err = r.svc.Send(ctx, r.app.Name, []SendMessage{{UserID: "bob", Body: Body{Title: "x"}}}, true)
		require.NoError(t, err)
		require.Equal(t, SendResult{APNs: Counts{Failed: 1, Total: 1}}, res)
		bad := r.messages(t, "act-bad")
		require.Equal(t, domain.PushMessageFailed, bad[0].Status)
		require.Contains(t, bad[0].Reason, "Unregistered")
		_, err = st.GetPushDevice(ctx, "act-bad")
		require.ErrorIs(t, err, store.ErrNotFound)
		require.Equal(t, 1, r.obs.count("apns/invalid_token"))

		// Transient with Retry-After: PENDING until then, then delivered.
		r.fake.Queue(pushtest.APNsResponse{Status: 503, Reason: "ServiceUnavailable", RetryAfter: "120"})
		res, err = r.svc.Send(ctx, r.app.Name, []SendMessage{{UserID: "alice", Body: Body{Title: "retry"}}}, true)
		require.NoError(t, err)
		require.Equal(t, SendResult{APNs: Counts{Pending: 1, Total: 1}}, res)
		m := r.messages(t, "act-ok")[1]
		require.Equal(t, domain.PushMessagePending, m.Status)
		require.Equal(t, r.svc.now().Add(120*time.Second), m.Next, "Retry-After is honoured")
		n, err := r.svc.DispatchOnce(ctx)
		require.NoError(t, err)
		require.Zero(t, n, "not due before Retry-After")
		r.clock.Advance(120 * time.Second)
		n, err = r.svc.DispatchOnce(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		m = r.messages(t, "act-ok")[1]
		require.Equal(t, domain.PushMessageSent, m.Status)
		require.Equal(t, 2, m.Attempts)

		// Another refusal: FAILED with the provider's reason, registration kept.
		r.fake.Queue(pushtest.APNsResponse{Status: 400, Reason: "BadMessageId"})
		res, err = r.svc.Send(ctx, r.app.Name, []SendMessage{{UserID: "alice", Body: Body{Title: "refused"}}}, true)
		require.NoError(t, err)
		require.Equal(t, SendResult{APNs: Counts{Failed: 1, Total: 1}}, res)
		require.Contains(t, r.messages(t, "act-ok")[2].Reason, "BadMessageId")
		_, err = st.GetPushDevice(ctx, "act-ok")
		require.NoError(t, err)
	})
}

func TestBreakerKeepsMessagesPendingAndRestartDelivers(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		r := newRig(t, st)
		r.device(t, "act-1", "alice", tokA, domain.ActivationActive)
		r.fake.Queue(
			pushtest.APNsResponse{Status: 503, Reason: "ServiceUnavailable"},
			pushtest.APNsResponse{Status: 503, Reason: "ServiceUnavailable"},
		)
		for range 3 {
			_, err := r.svc.Send(ctx, r.app.Name, []SendMessage{{UserID: "alice", Body: Body{Title: "down"}}}, false)
			require.NoError(t, err)
		}
		// One by one, so the failures come in order: two 503s open the
		// breaker; the third message is held without calling the provider.
		r.svc.cfg.BatchSize = 1
		for range 3 {
			n, err := r.svc.DispatchOnce(ctx)
			require.NoError(t, err)
			require.Equal(t, 1, n)
		}
		require.Equal(t, breakerOpen, r.svc.breakers.state(PlatformAPNs, r.app.ID))
		require.Equal(t, int64(2), r.fake.Count(), "the open breaker stops calling the provider")
		require.Equal(t, 1, r.obs.count("apns/breaker_open"))
		for _, m := range r.messages(t, "act-1") {
			require.Equal(t, domain.PushMessagePending, m.Status)
		}

		// A restart: a new service on the same database (fresh breakers),
		// after the back-off, delivers every PENDING message (25 minutes
		// later: Apple refuses a new provider token within 20 minutes).
		r.clock.Advance(25 * time.Minute)
		restarted := NewService(st, r.box, r.cfg)
		for {
			n, err := restarted.DispatchOnce(ctx)
			require.NoError(t, err)
			if n == 0 {
				break
			}
		}
		for _, m := range r.messages(t, "act-1") {
			require.Equal(t, domain.PushMessageSent, m.Status, "message %d", m.ID)
		}
		require.Equal(t, int64(5), r.fake.Count())
	})
}

func TestBreakerHalfOpenProbe(t *testing.T) {
	var states []breakerState
	b := newBreakers(2, time.Minute, func(_ Platform, _ int64, s breakerState) { states = append(states, s) })
	t0 := time.Unix(1000, 0)
	ok, _ := b.allow(PlatformFCM, 1, t0)
	require.True(t, ok)
	b.record(PlatformFCM, 1, true, t0)
	b.record(PlatformFCM, 1, true, t0)
	ok, until := b.allow(PlatformFCM, 1, t0.Add(time.Second))
	require.False(t, ok)
	require.Equal(t, t0.Add(time.Minute), until)
	ok, _ = b.allow(PlatformFCM, 2, t0)
	require.True(t, ok, "breakers are per application")
	ok, _ = b.allow(PlatformFCM, 1, t0.Add(time.Minute))
	require.True(t, ok, "one probe after the open period")
	ok, _ = b.allow(PlatformFCM, 1, t0.Add(time.Minute))
	require.False(t, ok, "only one probe at a time")
	b.record(PlatformFCM, 1, true, t0.Add(time.Minute))
	require.Equal(t, breakerOpen, b.state(PlatformFCM, 1), "a failed probe opens it again")
	ok, _ = b.allow(PlatformFCM, 1, t0.Add(2*time.Minute))
	require.True(t, ok)
	b.record(PlatformFCM, 1, false, t0.Add(2*time.Minute))
	require.Equal(t, breakerClosed, b.state(PlatformFCM, 1))
	require.Equal(t, []breakerState{breakerOpen, breakerHalfOpen, breakerOpen, breakerHalfOpen, breakerClosed}, states)
}

func TestSendRefusesBadInputStoringNothing(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		r := newRig(t, st)
		r.device(t, "act-1", "alice", tokA, domain.ActivationActive)
		big := strings.Repeat("x", 5000)
		tests := []struct {
			name string
			app  string
			msg  SendMessage
			want error
		}{
			{"oversize payload", r.app.Name, SendMessage{UserID: "alice", Body: Body{Body: big}}, nil},
			{"no user", r.app.Name, SendMessage{Body: Body{Title: "x"}}, nil},
			{"bad priority", r.app.Name, SendMessage{UserID: "alice", Priority: "LOW"}, nil},
			{"unknown app", "nope", SendMessage{UserID: "alice"}, ErrUnknownApplication},
		}
		for _, tc := range tests {
			_, err := r.svc.Send(ctx, tc.app, []SendMessage{{UserID: "alice", Body: Body{Title: "ok"}}, tc.msg}, false)
			require.Error(t, err, tc.name)
			require.True(t, IsBadRequest(err), tc.name)
			if tc.want != nil {
				require.ErrorIs(t, err, tc.want)
			}
		}
		require.Empty(t, r.messages(t, "act-1"), "nothing stored half-way")

		require.NoError(t, r.svc.RemoveCredentials(ctx, r.app.Name, PlatformAPNs))
		_, err := r.svc.Send(ctx, r.app.Name, []SendMessage{{UserID: "alice"}}, false)
		require.ErrorIs(t, err, ErrNotConfigured)

		for _, bad := range []DeviceRequest{
			{AppID: r.app.Name, ActivationIDs: []string{"act-1"}, Platform: "windows", Token: tokA},
			{AppID: r.app.Name, ActivationIDs: []string{"act-1"}, Platform: "apns", Token: ""},
			{AppID: r.app.Name, ActivationIDs: []string{"act-1"}, Platform: "apns", Token: "a b"},
			{AppID: r.app.Name, ActivationIDs: []string{"act-1"}, Platform: "apns", Token: tokA, Environment: "staging"},
		} {
			err := r.svc.CreateDevice(ctx, bad)
			require.True(t, IsBadRequest(err), "%+v: %v", bad, err)
		}
		require.ErrorIs(t, r.svc.CreateDevice(ctx, DeviceRequest{AppID: r.app.Name, ActivationIDs: []string{"missing"}, Platform: "fcm", Token: "t"}), ErrActivationRemoved)
	})
}

func TestPersonalSkipsInactiveAndOperationMessages(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		r := newRig(t, st)
		r.device(t, "act-active", "alice", tokA, domain.ActivationActive)
		r.device(t, "act-blocked", "alice", tokB, domain.ActivationBlocked)
		res, err := r.svc.Send(ctx, r.app.Name, []SendMessage{{UserID: "alice", Personal: true, Body: Body{Title: "p"}}}, true)
		require.NoError(t, err)
		require.Equal(t, SendResult{APNs: Counts{Sent: 1, Total: 1}}, res, "personal skips the BLOCKED activation")
		res, err = r.svc.Send(ctx, r.app.Name, []SendMessage{{UserID: "alice", Body: Body{Title: "np"}}}, true)
		require.NoError(t, err)
		require.Equal(t, SendResult{APNs: Counts{Sent: 2, Total: 2}}, res)

		op := domain.Operation{ID: "op-1", UserID: "alice", OperationType: "payment", ApplicationIDs: []int64{r.app.ID}, Status: domain.OperationPending}
		var fallback []Device
		require.NoError(t, st.InTx(ctx, func(tx store.Tx) (err error) {
			fallback, err = r.svc.EnqueueOperation(ctx, tx, op)
			return err
		}))
		require.Empty(t, fallback)
		n, err := r.svc.DispatchOnce(ctx) // one at a time: the fake sees them in order
		require.NoError(t, err)
		require.Equal(t, 1, n)
		op.Status = domain.OperationApproved
		require.NoError(t, st.InTx(ctx, func(tx store.Tx) (err error) {
			_, err = r.svc.EnqueueOperation(ctx, tx, op)
			return err
		}))
		for {
			n, err := r.svc.DispatchOnce(ctx)
			require.NoError(t, err)
			if n == 0 {
				break
			}
		}
		got := r.fake.Received()
		require.Len(t, got, 5)
		var initMsg, finished map[string]any
		require.NoError(t, json.Unmarshal(got[3].Body, &initMsg))
		require.NoError(t, json.Unmarshal(got[4].Body, &finished))
		require.Equal(t, "mtoken.operationInit", initMsg["messageType"])
		require.Equal(t, "op-1", initMsg["operationId"])
		require.Equal(t, "payment", initMsg["operationName"])
		require.Equal(t, "mtoken.operationFinished", finished["messageType"])
		require.Equal(t, "authentication.success", finished["mtokenOperationResult"])
		require.Equal(t, map[string]any{"content-available": float64(1), "thread-id": "mtoken-op-1"}, finished["aps"])
		require.Equal(t, "background", got[4].Header.Get("apns-push-type"))
		require.Equal(t, got[3].Header.Get("apns-collapse-id"), got[4].Header.Get("apns-collapse-id"))
		for _, rec := range got[3:] {
			require.Equal(t, tokA, rec.Token, "operation pushes go only to the ACTIVE activation")
		}
		require.Empty(t, r.fake.Rejections())
	})
}

func TestResolveEnvironment(t *testing.T) {
	for _, tc := range []struct{ base, dev, want string }{
		{"development", "", "development"}, {"production", "", "production"},
		{"development", "production", "production"}, {"production", "production", "production"},
		{"development", "development", "development"}, {"production", "development", ""},
	} {
		got, ok := resolveEnvironment(tc.base, tc.dev)
		require.Equal(t, tc.want, got, "%+v", tc)
		require.Equal(t, tc.want != "", ok)
	}
	var ce *provider.CredentialError
	require.False(t, errors.As(errors.New("x"), &ce))
}
