package bench

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/testutil/pgtest"
)

// TestRunSmall runs a tiny bench end to end on each backend: every phase
// completes without errors and the report is consistent. Nothing depends
// on the machine's speed: every saturation worker completes at least one
// call (so each phase measures something however slow the machine is),
// and a phase starts at most MaxRequests = inFlightPerDevice × Devices
// calls, the open-loop generator's bound of calls in flight, so it never
// has to drop an arrival (dropped arrivals count as errors) whatever the
// stalls.
func TestRunSmall(t *testing.T) {
	// Two batches of seeded activations, small ones.
	defer func(n int) { seedBatch = n }(seedBatch)
	seedBatch = 1000
	for _, tc := range []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{"sqlite", func(*testing.T) string { return "" }},
		{"postgres", func(t *testing.T) string { return pgtest.NewDatabase(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := Run(context.Background(), Options{DatabaseURL: tc.dsn(t), Devices: 4, Workers: 2, Duration: 300 * time.Millisecond, MaxRequests: inFlightPerDevice * 4, Load: 0.5,
				SeedActivations: seedBatch + 500})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Backend != tc.name || rep.Target != "in-process" {
				t.Fatalf("report of %s/%s", rep.Backend, rep.Target)
			}
			seen := map[string]bool{}
			for _, p := range rep.Phases {
				seen[p.Name] = true
				if p.Errors != 0 {
					t.Errorf("%s %s: %d errors %v", p.Name, p.Mode, p.Errors, p.ErrorKinds)
				}
				if p.OK == 0 {
					t.Errorf("%s %s: nothing succeeded", p.Name, p.Mode)
				}
				if runtime.GOOS == "linux" && p.Mode == "saturation" && (p.CPUCores <= 0 || p.CPUPerOpUs <= 0) {
					t.Errorf("%s %s: CPU use not measured: %+v", p.Name, p.Mode, p)
				}
			}
			for _, n := range []string{"verify", "token", "activation", "operation", "db-rmw", "crypto-verify", "crypto-activation", "generator-activation", "crypto-token", "cloud-registration", "cloud", "cloud-pending"} {
				if !seen[n] {
					t.Errorf("phase %s missing", n)
				}
			}
			if rep.Cloud == nil || rep.Cloud.Callbacks.Expected == 0 || rep.Cloud.Callbacks.Received != rep.Cloud.Callbacks.Expected || rep.Cloud.Callbacks.BadSignature != 0 {
				t.Errorf("cloud callbacks: %+v", rep.Cloud)
			}
			if rep.GeneratorSignUs <= 0 {
				t.Errorf("generator signing time not measured")
			}
			if rep.DBBound <= 0 || rep.CryptoBound <= 0 || rep.Ratios["verify/db-rmw"] <= 0 || rep.PeakRSSKiB <= 0 ||
				rep.Capacity["operation"] <= 0 || rep.Ratios["operation/db-rmw"] <= 0 || rep.Ratios["operation/crypto-verify"] <= 0 ||
				rep.Capacity["cloud"] <= 0 || rep.Ratios["cloud/operation"] <= 0 {
				t.Fatalf("bounds, ratios or RSS missing: %+v", rep)
			}
			if rep.ActivationCryptoBound <= 0 || rep.TokenBound <= 0 || rep.Ratios["activation/crypto-activation"] <= 0 || rep.Ratios["token/token-bound"] <= 0 {
				t.Fatalf("activation or token bound missing: %+v", rep)
			}
			// The seed: two batches loaded, and a seeded user's list on its index.
			sd := rep.Seed
			if sd == nil || sd.Activations != seedBatch+500 || sd.History != 3*sd.Activations || sd.Signatures != sd.Activations || sd.Audit != sd.Activations {
				t.Fatalf("seed: %+v", sd)
			}
			if plan := strings.Join(sd.ListPlan, "\n"); !strings.Contains(plan, "pa_activation_user_created_idx") {
				t.Fatalf("the seeded user's activation list is not on the user index:\n%s", plan)
			}
		})
	}
}

// TestOperationWorkload runs the operation workload on a few devices on
// each backend and checks on the bank's side (private API) that every
// operation it created ended APPROVED by the device's activation with
// possession_knowledge, and that their number is the number of successful
// calls.
func TestOperationWorkload(t *testing.T) {
	for _, tc := range []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{"sqlite", func(*testing.T) string { return "" }},
		{"postgres", func(t *testing.T) string { return pgtest.NewDatabase(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) { testOperationWorkload(t, tc.dsn(t)) })
	}
}

func testOperationWorkload(t *testing.T, dsn string) {
	ctx := context.Background()
	o := Options{DatabaseURL: dsn}
	o.defaults()
	tg, err := startTarget(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.stop()
	if err := tg.setupApp(ctx); err != nil {
		t.Fatal(err)
	}
	devs, err := tg.provision(ctx, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Defined by count: 12 operations; the duration is only a safety net.
	res := closedLoop(ctx, nil, "operation", 2, 10*time.Minute, 12, tg.operationOp(newPool(devs)))
	if res.Errors != 0 || res.OK != 12 {
		t.Fatalf("operation workload: %d ok, %d errors %v", res.OK, res.Errors, res.ErrorKinds)
	}
	var total int64
	for _, d := range devs {
		var ops []struct {
			ID             string         `json:"id"`
			UserID         string         `json:"userId"`
			Status         string         `json:"status"`
			Data           string         `json:"data"`
			FailureCount   int64          `json:"failureCount"`
			AdditionalData map[string]any `json:"additionalData"`
		}
		if err := tg.privateCall(ctx, "operation/list", map[string]any{"userId": d.user, "applications": []string{tg.appName}, "pageSize": 1000}, &ops); err != nil {
			t.Fatal(err)
		}
		for _, op := range ops {
			if op.UserID != d.user || op.Status != "APPROVED" || op.FailureCount != 0 || !strings.HasSuffix(op.Data, "EUR*I"+benchIBAN) {
				t.Errorf("operation %s of %s: %+v, want APPROVED without failures", op.ID, d.user, op)
			}
			if op.AdditionalData["activationId"] != d.dev.ActivationID || op.AdditionalData["authFactor"] != "POSSESSION_KNOWLEDGE" {
				t.Errorf("operation %s approved with %v, want activation %s and POSSESSION_KNOWLEDGE", op.ID, op.AdditionalData, d.dev.ActivationID)
			}
		}
		total += int64(len(ops))
		if len(ops) > 0 {
			var detail struct {
				Status             string  `json:"status"`
				TimestampFinalized *string `json:"timestampFinalized"`
			}
			if err := tg.privateCall(ctx, "operation/detail", map[string]any{"operationId": ops[0].ID}, &detail); err != nil {
				t.Fatal(err)
			}
			if detail.Status != "APPROVED" || detail.TimestampFinalized == nil {
				t.Errorf("operation/detail of %s: %+v, want APPROVED and finalized", ops[0].ID, detail)
			}
		}
	}
	if total != res.OK {
		t.Fatalf("the bank sees %d operations, the workload approved %d", total, res.OK)
	}
}

// TestOverload drives signature verifications at twice the server's
// admission limit: the only errors are 503 (or 429), memory stays bounded
// and the goroutines return to the baseline afterwards.
func TestOverload(t *testing.T) {
	const limit = 4
	ctx := context.Background()
	baseline := runtime.NumGoroutine()
	o := Options{MaxInFlight: limit}
	o.defaults()
	tg, err := startTarget(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := tg.setupApp(ctx); err != nil {
		tg.stop()
		t.Fatal(err)
	}
	devs, err := tg.provisionRetrying(ctx, 4*limit)
	if err != nil {
		tg.stop()
		t.Fatal(err)
	}
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)

	op := tg.verifyOp(newPool(devs))
	// Capacity at the admission limit, then arrivals at twice that rate
	// (open loop: they do not slow down when the server does), then more
	// callers than the limit in a closed loop. No assertion depends on the
	// machine's speed: a phase's first calls find every admission slot free
	// (a slot is released before its answer is sent), so some calls
	// succeed in each phase however slow the machine is, and calls in
	// flight get minutes to finish, so a slow answer is never an error.
	capacity := closedLoop(ctx, nil, "verify", limit, time.Second, 4000, op)
	if capacity.OK == 0 || capacity.Throughput <= 0 {
		t.Fatalf("no capacity measured: %+v", capacity)
	}
	phases := []PhaseResult{
		openLoop(ctx, nil, "verify", 2*capacity.Throughput, 2*time.Second, 16*limit, 0, 2*time.Minute, op),
		closedLoop(ctx, nil, "verify", 4*limit, 2*time.Second, 4000, op),
	}
	for _, res := range phases {
		for kind, n := range res.ErrorKinds {
			// generator-full: arrivals this test's own generator could not
			// start (its bound of requests in flight), never sent.
			if kind != "HTTP 503" && kind != "HTTP 429" && kind != kindGeneratorFull {
				t.Errorf("overload (%s) produced %d errors of kind %s (only 503/429 allowed)", res.Mode, n, kind)
			}
		}
		if res.OK == 0 {
			t.Fatalf("no request succeeded under overload: %+v", res)
		}
		t.Logf("overload %s: %d ok, %d refused or dropped %v (capacity %.0f/s)", res.Mode, res.OK, res.Errors, res.ErrorKinds, capacity.Throughput)
	}

	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grow := int64(after.HeapInuse) - int64(before.HeapInuse); grow > 64<<20 {
		t.Errorf("heap grew by %d MiB under overload", grow>>20)
	}
	tg.http.CloseIdleConnections()
	tg.stop()
	// Wait for the goroutines to end (a generous deadline, only a safety net).
	deadline := time.Now().Add(2 * time.Minute)
	for runtime.NumGoroutine() > baseline+2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > baseline+2 {
		buf := make([]byte, 1<<16)
		t.Fatalf("goroutines: %d after the overload, %d before\n%s", n, baseline, buf[:runtime.Stack(buf, true)])
	}
}

// provisionRetrying provisions devices, retrying calls refused with 503
// by the admission limit.
func (t *target) provisionRetrying(ctx context.Context, n int) ([]*device, error) {
	var devs []*device
	for len(devs) < n {
		d, err := t.provision(ctx, 1, nil)
		if err != nil {
			if errorKind(err) == "HTTP 503" {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			return nil, err
		}
		devs = append(devs, d...)
	}
	return devs, nil
}

// TestClosedLoopIsDefinedByWork runs saturation phases whose duration ends
// before any call could complete, as on a very slow machine: every worker
// still completes a call (none is cut off), so the phase has a capacity;
// the request bound still applies.
func TestClosedLoopIsDefinedByWork(t *testing.T) {
	const workers = 3
	// Each call waits until all workers are inside one, so no call can
	// return before the (1 ns) phase is long over.
	var entered sync.WaitGroup
	entered.Add(workers)
	var calls atomic.Int64
	slow := func(ctx context.Context, _ uint64) error {
		if calls.Add(1) <= workers {
			entered.Done()
			entered.Wait()
		}
		return nil
	}
	res := closedLoop(context.Background(), nil, "slow", workers, time.Nanosecond, 0, slow)
	if res.OK != workers || res.Errors != 0 || res.Requests != workers || res.Throughput <= 0 {
		t.Fatalf("phase shorter than one call: %+v, want %d successful calls and a capacity", res, workers)
	}
	// The count bound holds even below one call per worker.
	calls.Store(0)
	res = closedLoop(context.Background(), nil, "bounded", workers, time.Nanosecond, 2, func(context.Context, uint64) error { calls.Add(1); return nil })
	if res.OK != 2 || calls.Load() != 2 {
		t.Fatalf("request bound 2: %+v after %d calls", res, calls.Load())
	}
}
