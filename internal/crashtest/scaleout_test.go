package crashtest

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/mauth/mauth/client"
	"github.com/mauth/mauth/internal/app"
	"github.com/mauth/mauth/internal/coreclient"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/internal/testutil/pgtest"
	"github.com/mauth/mauth/protocol"
)

// scaleNodes is the number of `mauth serve` processes of
// TestThreeNodesOneDatabase.
const scaleNodes = 3

// router is a load balancer inside the test's HTTP client: every request
// goes to a node picked at random among the live ones, or to the pinned
// node. Requests name the host "lb"; the router rewrites it.
type router struct {
	mu     sync.Mutex
	rng    *rand.Rand
	hosts  []string // host:port per node; "" while the node is down
	pinned int      // -1: random
	served []hop    // requests of the pinned phases, in order
}

// hop is one request the router sent: the path and the node.
type hop struct {
	path string
	node int
}

func newRouter(seed uint64, hosts []string) *router {
	return &router{rng: rand.New(rand.NewPCG(seed, 99)), hosts: append([]string(nil), hosts...), pinned: -1}
}

// RoundTrip implements http.RoundTripper.
func (r *router) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	node := r.pinned
	if node < 0 {
		var live []int
		for i, h := range r.hosts {
			if h != "" {
				live = append(live, i)
			}
		}
		if len(live) == 0 {
			r.mu.Unlock()
			return nil, errors.New("router: no live node")
		}
		node = live[r.rng.IntN(len(live))]
	} else {
		r.served = append(r.served, hop{path: req.URL.Path, node: node})
	}
	host := r.hosts[node]
	r.mu.Unlock()
	if host == "" {
		return nil, fmt.Errorf("router: node %d is down", node)
	}
	out := req.Clone(req.Context())
	out.URL.Host = host
	out.Host = host
	return http.DefaultTransport.RoundTrip(out)
}

// set replaces the address of node i ("" = down).
func (r *router) set(i int, host string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hosts[i] = host
}

// pin sends every request to node i (-1: random again) and clears the log.
func (r *router) pin(i int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pinned = i
	r.served = nil
}

// hops returns the requests sent while pinned.
func (r *router) hops() []hop {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]hop(nil), r.served...)
}

// cluster is the running nodes of one database.
type cluster struct {
	t     *testing.T
	bin   string
	args  []string
	env   []string
	nodes []*server
	pub   *router // public API, random node
	priv  *router // private API, random node
	seed  uint64
}

func (c *cluster) hosts() (pub, priv []string) {
	for _, n := range c.nodes {
		pub = append(pub, hostOf(c.t, n.publicURL))
		priv = append(priv, hostOf(c.t, n.privateURL))
	}
	return pub, priv
}

// kill stops node i with SIGKILL; the routers skip it from now on.
func (c *cluster) kill(i int) {
	c.nodes[i].kill(c.t)
	c.pub.set(i, "")
	c.priv.set(i, "")
}

// restart starts node i again (new ports) and routes to it.
func (c *cluster) restart(i int) {
	n := startEnv(c.t, c.bin, c.args, c.env)
	c.t.Cleanup(func() { n.kill(c.t) })
	c.nodes[i] = n
	c.pub.set(i, hostOf(c.t, n.publicURL))
	c.priv.set(i, hostOf(c.t, n.privateURL))
}

// deviceClient returns a device client whose requests go through r.
func deviceClient(t *testing.T, r http.RoundTripper, sdkConfig string) *client.Client {
	t.Helper()
	cfg := client.Config{BaseURL: "http://lb", HTTPClient: &http.Client{Transport: r, Timeout: waitLimit}}
	if err := cfg.FromSDKConfig(sdkConfig); err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// coreClient returns a private API client whose requests go through r.
func coreClient(t *testing.T, r http.RoundTripper) *coreclient.Client {
	t.Helper()
	cc, err := coreclient.New(coreclient.Options{BaseURL: "http://lb", HTTPClient: &http.Client{Transport: r, Timeout: waitLimit}, Timeout: waitLimit})
	if err != nil {
		t.Fatal(err)
	}
	return cc
}

// pinnedPair returns a router pinned to node i over the cluster's current
// addresses, for a device client and a private client.
func (c *cluster) pinned(i int) (pub, priv *router) {
	ph, qh := c.hosts()
	pub, priv = newRouter(c.seed, ph), newRouter(c.seed, qh)
	pub.pin(i)
	priv.pin(i)
	return pub, priv
}

// TestThreeNodesOneDatabase runs three `mauth serve` processes on one
// PostgreSQL database with the same server key and one population of
// devices spread over them at random by a load balancer in the test's
// HTTP client. Every node keeps its application rows cached for an hour
// and runs the callback dispatcher and the expiry jobs. In order:
//
//  1. load: workers activate devices and sign through random nodes; one
//     node is killed with SIGKILL mid-load (after a count of acknowledged
//     results) and started again; every activation and counter the
//     cluster acknowledged is in the database afterwards, and every
//     surviving device signs again through any node;
//  2. one signature header and one token digest sent to all three nodes at
//     once are each accepted exactly once;
//  3. block, unblock and remove through node A apply on B and C at the
//     next request; an application version unsupported through A is
//     refused by B and C, supported again through B accepted by A and C;
//  4. a token and a temporary key created through node A work on B and C;
//  5. activations expire while three expiry jobs run: each is removed once;
//  6. the callback events of phases 3 to 5 (a callback created before
//     them) reach a loopback receiver exactly once each although every
//     node runs a dispatcher.
//
// No step asserts how fast anything happens: load phases are counts of
// acknowledged results and every wait is bounded only by waitLimit.
func TestThreeNodesOneDatabase(t *testing.T) {
	bin, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	dsn := pgtest.NewDatabase(t)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "server.key")
	if err := os.WriteFile(keyFile, []byte(base64.StdEncoding.EncodeToString(secretbox.GenerateKey())+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "mauth.yaml")
	if err := os.WriteFile(conf, []byte("callbacks:\n  allowed_destinations: 127.0.0.0/8\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	seed := *flagSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (rerun with -args -crash.seed=%d)", seed, seed)
	c := &cluster{t: t, bin: bin, seed: seed,
		args: []string{"--database", dsn, "--server-key-file", keyFile, "--config", conf},
		env:  []string{"MAUTH_SERVICE_APPLICATION_CACHE_TTL=1h"}}
	// One after the other: the first migrates the database.
	for range scaleNodes {
		n := startEnv(t, bin, c.args, c.env)
		t.Cleanup(func() { n.kill(t) })
		c.nodes = append(c.nodes, n)
	}
	ph, qh := c.hosts()
	c.pub, c.priv = newRouter(seed, ph), newRouter(seed+1, qh)
	ctx := context.Background()
	cc := coreClient(t, c.priv)

	const appName = "scaleout"
	if _, err := cc.CreateApplication(ctx, appName); err != nil {
		t.Fatal(err)
	}
	detail, err := cc.ApplicationDetail(ctx, appName)
	if err != nil || len(detail.Versions) == 0 {
		t.Fatalf("application detail: %v", err)
	}
	version := detail.Versions[0]
	sdk := version.MobileSdkConfig

	// 1. Load over random nodes, one node killed and restarted mid-load.
	f := &fleet{appName: appName, sdkConfig: sdk, acked: map[string]*ackedDevice{}}
	lbClient := func() (*client.Client, *coreclient.Client, error) {
		return deviceClient(t, c.pub, sdk), coreClient(t, c.priv), nil
	}
	wctx, stop := context.WithCancel(ctx)
	t.Cleanup(stop)
	var wg sync.WaitGroup
	for i := range 4 {
		wrng := rand.New(rand.NewPCG(seed, uint64(i)+2))
		wg.Go(func() { f.workerWith(wctx, i, wrng, lbClient) })
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	victim := rng.IntN(scaleNodes)
	target := 30 + rng.IntN(60)
	waitFor(t, "the workers got no results acknowledged before the kill", func() bool { return f.acknowledged() >= target })
	c.kill(victim)
	f.mu.Lock()
	t.Logf("node %d killed after %d activations and %d verifications acknowledged", victim, f.activations, f.verifications)
	f.mu.Unlock()
	target = f.acknowledged() + 30
	waitFor(t, "the two remaining nodes acknowledged nothing", func() bool { return f.acknowledged() >= target })
	c.restart(victim)
	target = f.acknowledged() + 30
	waitFor(t, "the restarted cluster acknowledged nothing", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.activations+f.verifications >= target && f.activations > 0 && f.verifications > 0
	})
	stop()
	wg.Wait()
	checkAcknowledged(t, ctx, dsn, f)
	// Every acknowledged device signs again, through random nodes.
	lb := deviceClient(t, c.pub, sdk)
	for id, d := range f.acked {
		if _, err := lb.Status(ctx, d.dev); err != nil {
			t.Fatalf("activation %s: status after the load: %v", id, err)
		}
		if err := lb.ValidateSignature(ctx, d.dev, client.PossessionBiometry, []byte(`{"after":"load"}`)); err != nil {
			t.Fatalf("activation %s: signature after the load: %v", id, err)
		}
	}

	// The callback of phases 3 to 6 (through node C), with a receiver
	// that answers at once.
	recv := newRecordingReceiver()
	recv.answer()
	rs := newLoopbackServer(t, recv)
	var created struct {
		ID string `json:"id"`
	}
	if err := privateCall(ctx, &http.Client{Timeout: waitLimit}, c.nodes[2].privateURL, "application/callback/create", map[string]any{
		"applicationId": appName, "name": "scale-receiver", "type": "ACTIVATION_STATUS_CHANGE",
		"callbackUrl": rs, "attributes": []string{"activationStatus", "userId"},
	}, &created); err != nil {
		t.Fatal(err)
	}
	var tracked []string // activations whose events the receiver must see

	// Devices of the later phases, activated through node A.
	pubA, privA := c.pinned(0)
	devA := deviceClient(t, pubA, sdk)
	ccA := coreClient(t, privA)
	activate := func(user string) (string, *client.Device) {
		t.Helper()
		init, err := ccA.InitActivation(ctx, coreclient.InitActivationRequest{UserID: user, ApplicationID: appName})
		if err != nil {
			t.Fatal(err)
		}
		res, err := devA.ActivateWithCode(ctx, init.ActivationCode, pin, client.ActivationOptions{Name: user})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ccA.CommitActivation(ctx, init.ActivationID, "", ""); err != nil {
			t.Fatal(err)
		}
		tracked = append(tracked, init.ActivationID)
		return init.ActivationID, res.Device
	}
	nodeDevice := make([]*client.Client, scaleNodes)
	nodeCore := make([]*coreclient.Client, scaleNodes)
	for i := range scaleNodes {
		p, q := c.pinned(i)
		nodeDevice[i], nodeCore[i] = deviceClient(t, p, sdk), coreClient(t, q)
	}
	hc := &http.Client{Timeout: waitLimit}

	// 2. Exactly once: one signature header, one token digest, to all
	// nodes at once.
	_, once := activate("scale-once")
	for round := range 10 {
		body := []byte(`{"round":` + strconv.Itoa(round) + `}`)
		hdr, err := devA.SignatureHeader(once, client.PossessionKnowledge(pin), http.MethodPost, "/pa/signature/validate", body)
		if err != nil {
			t.Fatal(err)
		}
		codes := make([]int, scaleNodes)
		var rw sync.WaitGroup
		for i, n := range c.nodes {
			rw.Go(func() { codes[i] = postSigned(ctx, t, hc, n.publicURL, hdr, body) })
		}
		rw.Wait()
		if n := countStatus(t, codes, http.StatusOK, http.StatusUnauthorized); n != 1 {
			t.Fatalf("round %d: one signature sent to %d nodes accepted %d times (HTTP %v)", round, scaleNodes, n, codes)
		}
	}
	tok, err := devA.CreateToken(ctx, once, client.PossessionKnowledge(pin))
	if err != nil {
		t.Fatal(err)
	}
	for round := range 10 {
		th, err := protocol.ParseTokenHeader(devA.TokenHeader(tok))
		if err != nil {
			t.Fatal(err)
		}
		ts, err := strconv.ParseInt(th.Timestamp, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		in := service.ValidateTokenInput{TokenID: th.TokenID, TokenDigest: th.Digest, Nonce: th.Nonce, Timestamp: ts, ProtocolVersion: th.Version}
		valid := make([]bool, scaleNodes)
		var rw sync.WaitGroup
		for i := range scaleNodes {
			rw.Go(func() {
				res, err := nodeCore[i].ValidateToken(ctx, in)
				// A digest seen before is refused as a replay.
				if err != nil && service.CodeOf(err) != service.CodeInvalidRequest {
					t.Errorf("round %d: token/validate on node %d: %v", round, i, err)
				}
				valid[i] = err == nil && res.TokenValid
			})
		}
		rw.Wait()
		n := 0
		for _, v := range valid {
			if v {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("round %d: one token digest sent to %d nodes valid %d times (%v)", round, scaleNodes, n, valid)
		}
	}

	// 3. Changes through node A apply on B and C at the next request.
	lcID, lc := activate("scale-lifecycle")
	sign := func(node int, d *client.Device, what string) error {
		return nodeDevice[node].ValidateSignature(ctx, d, client.PossessionKnowledge(pin), []byte(`{"step":"`+what+`"}`))
	}
	for i := range scaleNodes {
		if err := sign(i, lc, "warm"); err != nil {
			t.Fatalf("node %d: signature before the block: %v", i, err)
		}
	}
	if _, err := nodeCore[0].BlockActivation(ctx, lcID, "SCALE_TEST", ""); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{1, 2} {
		if err := sign(i, lc, "blocked"); !isStatus(err, http.StatusUnauthorized) {
			t.Fatalf("node %d: signature of an activation blocked through node A: %v, want HTTP 401", i, err)
		}
		if st, err := nodeDevice[i].Status(ctx, lc); err != nil || st.State != client.StateBlocked {
			t.Fatalf("node %d: status of an activation blocked through node A: %+v, %v", i, st, err)
		}
	}
	if _, err := nodeCore[0].UnblockActivation(ctx, lcID, ""); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{1, 2} {
		if _, err := nodeDevice[i].Status(ctx, lc); err != nil {
			t.Fatal(err)
		}
		if err := sign(i, lc, "unblocked"); err != nil {
			t.Fatalf("node %d: signature of an activation unblocked through node A: %v", i, err)
		}
	}
	if _, err := nodeCore[0].RemoveActivation(ctx, lcID, "", false); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{1, 2} {
		if err := sign(i, lc, "removed"); !isStatus(err, http.StatusUnauthorized) {
			t.Fatalf("node %d: signature of an activation removed through node A: %v, want HTTP 401", i, err)
		}
		if st, err := nodeDevice[i].Status(ctx, lc); err != nil || st.State != client.StateRemoved {
			t.Fatalf("node %d: status of an activation removed through node A: %+v, %v", i, st, err)
		}
	}
	_, ver := activate("scale-version")
	for i := range scaleNodes {
		if err := sign(i, ver, "warm"); err != nil {
			t.Fatalf("node %d: signature before the unsupport: %v", i, err)
		}
	}
	var changed map[string]any
	vreq := map[string]any{"applicationId": appName, "applicationVersionId": version.ApplicationVersionID}
	if err := privateCall(ctx, hc, c.nodes[0].privateURL, "application/version/unsupport", vreq, &changed); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{1, 2} {
		if err := sign(i, ver, "unsupported"); !isStatus(err, http.StatusUnauthorized) {
			t.Fatalf("node %d: signature with a version unsupported through node A: %v, want HTTP 401", i, err)
		}
	}
	if err := privateCall(ctx, hc, c.nodes[1].privateURL, "application/version/support", vreq, &changed); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 2} {
		if _, err := nodeDevice[i].Status(ctx, ver); err != nil {
			t.Fatal(err)
		}
		if err := sign(i, ver, "supported"); err != nil {
			t.Fatalf("node %d: signature with a version supported again through node B: %v", i, err)
		}
	}

	// 4. A token and a temporary key created through node A work on B
	// and C: one client, its requests pinned to A and then to B and C.
	_, td := activate("scale-token")
	tr, _ := c.pinned(0)
	tc := deviceClient(t, tr, sdk)
	token, err := tc.CreateToken(ctx, td, client.PossessionKnowledge(pin)) // fetches the temporary key on A
	if err != nil {
		t.Fatal(err)
	}
	if h := tr.hops(); !hasHop(h, "/pa/v3/keystore/create", 0) || !hasHop(h, "/pa/v3/token/create", 0) {
		t.Fatalf("token creation did not go through node A: %v", h)
	}
	for _, i := range []int{1, 2} {
		tr.pin(i)
		d, err := tc.Detail(ctx, td, token)
		if err != nil {
			t.Fatalf("node %d: activation detail with a token and a temporary key from node A: %v", i, err)
		}
		if h := tr.hops(); len(h) != 1 || h[0] != (hop{path: "/pa/v3/activation/detail", node: i}) {
			t.Fatalf("node %d: the client fetched a new temporary key instead of using node A's: %v", i, h)
		}
		if d.ActivationID != td.ActivationID {
			t.Fatalf("node %d: detail of %s, want %s", i, d.ActivationID, td.ActivationID)
		}
	}

	// 5. Activations that expire while every node runs the expiry job.
	const expiring = 6
	var expired []string
	for i := range expiring {
		// The expiry must be in the future when the server reads it: a
		// request slower than the lead is refused and sent again.
		for attempt := 0; ; attempt++ {
			expiry := time.Now().Add(2 * time.Second)
			init, err := cc.InitActivation(ctx, coreclient.InitActivationRequest{UserID: fmt.Sprintf("scale-expiry-%d", i), ApplicationID: appName, TimestampActivationExpire: &expiry})
			if err != nil && service.CodeOf(err) == service.CodeInvalidRequest && attempt < 100 {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			expired = append(expired, init.ActivationID)
			break
		}
	}
	tracked = append(tracked, expired...)
	for _, id := range expired {
		waitFor(t, "an expired activation was never removed", func() bool {
			st, err := cc.ActivationStatus(ctx, id)
			return err == nil && st.ActivationStatus == domain.ActivationRemoved
		})
		if got := statusChanges(t, ctx, hc, c.nodes[rng.IntN(scaleNodes)].privateURL, id); len(got) != 2 || got[1] != domain.ActivationRemoved.String() {
			t.Fatalf("expired activation %s: history %v, want CREATED then REMOVED once", id, got)
		}
	}

	// 6. Every event of the tracked activations delivered exactly once.
	want := map[string][]string{}
	for _, id := range tracked {
		want[id] = statusChanges(t, ctx, hc, c.nodes[0].privateURL, id)
	}
	st, err := app.OpenStore(ctx, app.Config{DatabaseURL: dsn}, false)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	waitFor(t, "the receiver did not see every event", func() bool {
		seen, _ := recv.snapshot()
		if !complete(seen, want) {
			return false
		}
		n, err := st.CountQueuedCallbackEvents(ctx)
		return err == nil && n == 0
	})
	seen, _ := recv.snapshot()
	got := firstSeen(seen)
	count := map[string]int{}
	for _, d := range seen {
		count[d.key]++
	}
	for _, id := range tracked {
		if fmt.Sprint(got[id]) != fmt.Sprint(want[id]) {
			t.Errorf("activation %s: delivered events %v, want the history %v", id, got[id], want[id])
		}
	}
	for k, n := range count {
		if n != 1 {
			t.Errorf("event %s delivered %d times by %d dispatchers, want once", k, n, scaleNodes)
		}
	}
	t.Logf("%d events of %d activations delivered once each; %d activations, %d verifications acknowledged under load", len(count), len(tracked), f.activations, f.verifications)
}

// workerWith is fleet.worker with its own clients.
func (f *fleet) workerWith(ctx context.Context, id int, rng *rand.Rand, clients func() (*client.Client, *coreclient.Client, error)) {
	c, cc, err := clients()
	if err != nil {
		return
	}
	var mine []*ackedDevice
	for n := 0; ctx.Err() == nil; n++ {
		if len(mine) == 0 || rng.IntN(4) == 0 {
			init, err := cc.InitActivation(ctx, coreclient.InitActivationRequest{UserID: fmt.Sprintf("scale-%d-%d", id, n), ApplicationID: f.appName})
			if err != nil {
				continue
			}
			res, err := c.ActivateWithCode(ctx, init.ActivationCode, pin, client.ActivationOptions{Name: "scale"})
			if err != nil {
				continue
			}
			if _, err := cc.CommitActivation(ctx, init.ActivationID, "", ""); err != nil {
				continue
			}
			d := &ackedDevice{dev: res.Device}
			mine = append(mine, d)
			f.mu.Lock()
			f.acked[init.ActivationID] = d
			f.activations++
			f.mu.Unlock()
			continue
		}
		d := mine[rng.IntN(len(mine))]
		if err := c.ValidateSignature(ctx, d.dev, client.PossessionBiometry, []byte(`{"n":`+strconv.Itoa(n)+`}`)); err != nil {
			if isStatus(err, http.StatusUnauthorized) {
				_, _ = c.Status(ctx, d.dev)
			}
			continue
		}
		f.mu.Lock()
		d.ackedCount = d.dev.Counter
		f.verifications++
		f.mu.Unlock()
	}
}

// checkAcknowledged reads the database: every acknowledged activation is
// ACTIVE with a counter at or past the acknowledged one.
func checkAcknowledged(t *testing.T, ctx context.Context, dsn string, f *fleet) {
	t.Helper()
	st, err := app.OpenStore(ctx, app.Config{DatabaseURL: dsn}, false)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, d := range f.acked {
		a, err := st.GetActivation(ctx, id)
		if err != nil {
			t.Errorf("acknowledged activation %s lost: %v", id, err)
			continue
		}
		if a.Status != domain.ActivationActive {
			t.Errorf("acknowledged activation %s is %s, want ACTIVE", id, a.Status)
		}
		if uint64(a.Counter) < d.ackedCount {
			t.Errorf("activation %s: stored counter %d is behind the acknowledged %d", id, a.Counter, d.ackedCount)
		}
	}
	t.Logf("checked %d acknowledged activations, %d acknowledged verifications", len(f.acked), f.verifications)
}

// countStatus counts ok among codes and fails the test on a code that is
// neither ok nor refused.
func countStatus(t *testing.T, codes []int, ok, refused int) int {
	t.Helper()
	n := 0
	for _, c := range codes {
		switch c {
		case ok:
			n++
		case refused:
		default:
			t.Fatalf("unexpected HTTP status in %v", codes)
		}
	}
	return n
}

// isStatus reports whether err is an API answer with the HTTP status.
func isStatus(err error, status int) bool {
	var apiErr *client.APIError
	return errors.As(err, &apiErr) && apiErr.HTTPStatus == status
}

// hasHop reports whether h holds a request of path to node.
func hasHop(h []hop, path string, node int) bool {
	for _, x := range h {
		if x.path == path && x.node == node {
			return true
		}
	}
	return false
}

// newLoopbackServer serves h on 127.0.0.1 until the test ends and
// returns its URL.
func newLoopbackServer(t *testing.T, h http.Handler) string {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s.URL
}
