package push

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/testutil/teststore"
)

// BenchmarkOutboxDelivery queues b.N messages (one per device of 100
// devices, in batches of asynchronous sends) and measures the dispatcher
// draining the outbox to the fake APNs over TLS + HTTP/2: claim, send,
// record, on SQLite.
func BenchmarkOutboxDelivery(b *testing.B) {
	st := teststore.SQLite(b)
	r := newRig(b, st)
	ctx := context.Background()
	const devices = 100
	for i := range devices {
		id := fmt.Sprintf("act-%03d", i)
		newActivation(b, st, r.app.ID, id, "bench-user", domain.ActivationActive)
		tok := fmt.Sprintf("%064x", i+1)
		if err := r.svc.CreateDevice(ctx, DeviceRequest{AppID: r.app.Name, ActivationIDs: []string{id}, Platform: "apns", Token: tok}); err != nil {
			b.Fatal(err)
		}
	}
	r.fake.SetRecording(false)
	r.svc.cfg.Workers, r.svc.cfg.BatchSize = 64, 500
	b.ResetTimer()
	queued := 0
	for queued < b.N {
		if _, err := r.svc.Send(ctx, r.app.Name, []SendMessage{{UserID: "bench-user", Body: Body{Title: "bench"}}}, false); err != nil {
			b.Fatal(err)
		}
		queued += devices
	}
	start := time.Now()
	sent := 0
	for {
		n, err := r.svc.DispatchOnce(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			break
		}
		sent += n
	}
	b.ReportMetric(float64(sent)/time.Since(start).Seconds(), "notifications/s")
	if left, _ := st.CountPushMessages(ctx, domain.PushMessagePending); left != 0 {
		b.Fatalf("%d messages left PENDING", left)
	}
}
