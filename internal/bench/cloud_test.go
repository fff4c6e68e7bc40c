package bench

import (
	"context"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/testutil/pgtest"
)

// TestCloudWorkload runs the cloud workload at a small size on each
// backend, through HTTP only: every registration and every operation
// completes without errors, 10 % of the users (at least one) polled their
// pending operations, every approved operation's signed APPROVED callback
// reached the loopback receiver and no request failed its signature
// check. The phases are bounded by count (MaxRequests), so nothing depends
// on the machine's speed; the durations are only safety nets.
func TestCloudWorkload(t *testing.T) {
	for _, tc := range []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{"sqlite", func(*testing.T) string { return "" }},
		{"postgres", func(t *testing.T) string { return pgtest.NewDatabase(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) { testCloudWorkload(t, tc.dsn(t)) })
	}
}

func testCloudWorkload(t *testing.T, dsn string) {
	ctx := context.Background()
	const users, ops = 10, 24
	o := Options{DatabaseURL: dsn, Devices: users, Workers: 4, Duration: 10 * time.Minute, MaxRequests: ops, Load: 0.5}
	o.defaults()
	tg, err := startTarget(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.stop()
	rep := &Report{Capacity: map[string]float64{"operation": 1}, Ratios: map[string]float64{}}
	var phases []PhaseResult
	if err := tg.runCloud(ctx, o, func(p PhaseResult) { phases = append(phases, p) }, rep); err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"cloud-registration/saturation": users, "cloud/saturation": ops, "cloud/open-loop": ops, "cloud-pending/polling": ops}
	for _, p := range phases {
		k := p.Name + "/" + p.Mode
		if p.Errors != 0 || p.OK != want[k] {
			t.Errorf("%s: %d ok, %d errors %v; want %d ok", k, p.OK, p.Errors, p.ErrorKinds, want[k])
		}
		delete(want, k)
	}
	if len(want) != 0 {
		t.Errorf("phases missing: %v", want)
	}
	c := rep.Cloud
	if c == nil || c.Users != users || c.Pollers != 1 {
		t.Fatalf("cloud report %+v", c)
	}
	steps := map[string]int64{}
	for _, s := range c.Steps {
		if s.Errors != 0 {
			t.Errorf("step %s %s: %d errors %v", s.Name, s.Mode, s.Errors, s.ErrorKinds)
		}
		steps[s.Name] += s.OK
	}
	for name, n := range map[string]int64{stepRegistrationCreate: users, stepActivationCreate: users, stepRegistrationCommit: users, stepTokenCreate: users,
		stepOperationCreate: 2 * ops, stepOperationApprove: 2 * ops, stepOperationsPending: ops} {
		if steps[name] != n {
			t.Errorf("step %s: %d ok, want %d", name, steps[name], n)
		}
	}
	cb := c.Callbacks
	if cb.Expected != 2*ops || cb.Received != cb.Expected || cb.BadSignature != 0 || cb.Unknown != 0 || cb.Duplicates != 0 {
		t.Fatalf("callbacks %+v, want all %d approved operations received signed", cb, 2*ops)
	}
	if c.RatioToOperation <= 0 || rep.Ratios["cloud/operation"] != c.RatioToOperation || rep.Capacity["cloud"] <= 0 {
		t.Fatalf("cloud capacity and ratio missing: %+v %+v", rep.Capacity, rep.Ratios)
	}
}
