package bench

import (
	"context"
	"strings"
	"testing"

	"github.com/mauth/mauth/internal/testutil/pgtest"
)

// TestRunPushSmall runs the push workload at a small size on each
// backend: the campaign reaches every registered device exactly once
// (the fake counts distinct tokens and repeats) and the report carries
// the rate, the fake's ceiling, the ratio and the memory figures.
func TestRunPushSmall(t *testing.T) {
	for _, tc := range []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{"sqlite", func(*testing.T) string { return "" }},
		{"postgres", func(t *testing.T) string { return pgtest.NewDatabase(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const devices = 1500 // more than one campaign batch and dispatcher claim
			rep, err := RunPush(context.Background(), PushOptions{DatabaseURL: tc.dsn(t), Devices: devices, CeilingRequests: 200})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Backend != tc.name || rep.Devices != devices {
				t.Fatalf("report of %s with %d devices", rep.Backend, rep.Devices)
			}
			if rep.Sent != devices || rep.Failed != 0 || rep.Delivered != devices || rep.Duplicates != 0 {
				t.Fatalf("every device exactly once: sent %d failed %d delivered %d duplicates %d; notes %v", rep.Sent, rep.Failed, rep.Delivered, rep.Duplicates, rep.Notes)
			}
			for _, n := range rep.Notes {
				if strings.HasPrefix(n, "the fake ") {
					t.Errorf("note: %s", n)
				}
			}
			if rep.Rate <= 0 || rep.Ceiling <= 0 || rep.Ratio <= 0 || rep.PeakRSSKiB <= 0 || rep.RSSBeforeKiB <= 0 {
				t.Fatalf("figures missing: %+v", rep)
			}
		})
	}
}
