package bench

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mauth/mauth/internal/app"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/push"
	"github.com/mauth/mauth/internal/push/apns"
	"github.com/mauth/mauth/internal/push/provider"
	"github.com/mauth/mauth/internal/push/pushtest"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/store"
)

// PushOptions configure the push workload (mauth bench push).
type PushOptions struct {
	// DatabaseURL is empty or sqlite:PATH for SQLite (temp folder), or a
	// postgres:// URL.
	DatabaseURL string
	// SQLiteSynchronous as in Options.
	SQLiteSynchronous string
	// Devices is how many registered devices (one user each) the campaign
	// reaches (default 100,000).
	Devices int
	// CeilingRequests is how many requests measure the fake provider's
	// ceiling (default min(Devices, 50,000)).
	CeilingRequests int
	// Senders are the concurrent requests of the ceiling measurement
	// (default 64).
	Senders int
	// Workers and BatchSize override the dispatcher's (0: its defaults).
	Workers, BatchSize int
	// CPUProfile, when set, receives a CPU profile of the delivery.
	CPUProfile string
	// Progress receives progress lines and the summary (nil: silent).
	Progress io.Writer
}

// PushReport is the JSON result of the push workload.
type PushReport struct {
	Started    time.Time `json:"started"`
	Backend    string    `json:"backend"`
	GoMaxProcs int       `json:"gomaxprocs"`
	Devices    int       `json:"devices"`
	// LoadSeconds is the bulk insert of the activations and registrations.
	LoadSeconds float64 `json:"loadSeconds"`
	// Delivered is what the fake APNs accepted during the campaign; Sent
	// and Failed are the campaign's progress as the server recorded it.
	Delivered int64 `json:"delivered"`
	Sent      int64 `json:"sent"`
	Failed    int64 `json:"failed"`
	// DeliverySeconds runs from the live send to the last recorded
	// outcome; Rate is Sent / DeliverySeconds.
	DeliverySeconds float64 `json:"deliverySeconds"`
	Rate            float64 `json:"notificationsPerSecond"`
	// Ceiling is the fake APNs's own rate (pre-built requests over the
	// same kind of HTTP/2 connection, no database); Ratio is Rate / Ceiling.
	Ceiling float64 `json:"fakeCeilingPerSecond"`
	Ratio   float64 `json:"ratioToCeiling"`
	// PeakRSSKiB is VmHWM of the process; RSSBeforeKiB and RSSMaxKiB are
	// VmRSS when the live send starts and its maximum during delivery.
	PeakRSSKiB   int64 `json:"peakRssKiB"`
	RSSBeforeKiB int64 `json:"rssBeforeSendKiB"`
	RSSMaxKiB    int64 `json:"rssMaxDuringSendKiB"`
	// Duplicates counts devices the fake reached more than once (0 unless
	// a lease expired); only counted when Devices ≤ exactCheckLimit.
	Duplicates int64    `json:"duplicates"`
	Notes      []string `json:"notes"`
}

const (
	pushBenchKeyID  = "BENCHKEY01"
	pushBenchTeamID = "BENCHTEAM1"
	pushBenchTopic  = "io.mauth.bench"
	// exactCheckLimit bounds the runs where the fake records every token
	// so that exactly-once is checked device by device.
	exactCheckLimit = 20000
)

// RunPush runs the push workload: a campaign to Devices registered devices
// delivered by an in-process mauth to a fake APNs (TLS + HTTP/2) in the
// same process, and the fake's own ceiling measured just before.
func RunPush(ctx context.Context, o PushOptions) (*PushReport, error) {
	if o.Devices <= 0 {
		o.Devices = 100_000
	}
	if o.Devices > push.MaxCampaignUsers {
		return nil, fmt.Errorf("bench: at most %d devices (a campaign's users)", push.MaxCampaignUsers)
	}
	if o.CeilingRequests <= 0 {
		o.CeilingRequests = min(o.Devices, 50_000)
	}
	if o.Senders <= 0 {
		o.Senders = 64
	}
	out := o.Progress
	rep := &PushReport{Started: time.Now().UTC(), Backend: "sqlite", GoMaxProcs: runtime.GOMAXPROCS(0), Devices: o.Devices}
	if strings.HasPrefix(o.DatabaseURL, "postgres") {
		rep.Backend = "postgres"
	}
	p8, pub, err := pushtest.GenerateAPNsKey()
	if err != nil {
		return nil, err
	}
	fcfg := pushtest.APNsConfig{Key: pub, KeyID: pushBenchKeyID, TeamID: pushBenchTeamID, Topic: pushBenchTopic}
	logf(out, "mauth bench push: %s, %d devices\n", rep.Backend, o.Devices)

	// The fake's ceiling, on a fake of its own (Apple refuses a second
	// provider token within 20 minutes).
	ceil := pushtest.StartAPNs(fcfg)
	rep.Ceiling, err = fakeCeiling(ctx, ceil, p8, o.CeilingRequests, o.Senders)
	ceil.Close()
	if err != nil {
		return nil, err
	}
	logf(out, "  fake APNs ceiling   %9.1f/s  (%d pre-built requests, %d at once)\n", rep.Ceiling, o.CeilingRequests, o.Senders)

	fake := pushtest.StartAPNs(fcfg)
	defer fake.Close()
	exact := o.Devices <= exactCheckLimit
	fake.SetRecording(exact)
	a, stop, err := startPushServer(ctx, o, fake)
	if err != nil {
		return nil, err
	}
	defer stop()

	t0 := time.Now()
	appName, err := loadPushDevices(ctx, a.Store, o.Devices, out)
	if err != nil {
		return nil, err
	}
	if err := a.Push.CreateApplication(ctx, appName); err != nil {
		return nil, fmt.Errorf("bench: push application: %w", err)
	}
	if err := a.Push.SetAPNs(ctx, appName, push.APNsCredentials{PrivateKey: p8, KeyID: pushBenchKeyID, TeamID: pushBenchTeamID, Bundle: pushBenchTopic}); err != nil {
		return nil, fmt.Errorf("bench: APNs credentials: %w", err)
	}
	id, err := a.Push.CreateCampaign(ctx, appName, push.Body{Title: "Bench", Body: "A campaign message"})
	if err != nil {
		return nil, fmt.Errorf("bench: create campaign: %w", err)
	}
	users := make([]string, o.Devices)
	for i := range users {
		users[i] = benchPushUser(i)
	}
	if n, err := a.Push.AddCampaignUsers(ctx, id, users); err != nil || n != int64(o.Devices) {
		return nil, fmt.Errorf("bench: add %d campaign users: added %d: %v", o.Devices, n, err)
	}
	users = nil
	rep.LoadSeconds = time.Since(t0).Seconds()
	logf(out, "  loaded %d activations, registrations and campaign users in %.1fs\n", o.Devices, rep.LoadSeconds)

	runtime.GC()
	rep.RSSBeforeKiB = currentRSS()
	stopProfile, err := startProfile(o.CPUProfile)
	if err != nil {
		return nil, err
	}
	before := fake.Count()
	start := time.Now()
	if err := a.Push.SendCampaignLive(ctx, id); err != nil {
		stopProfile()
		return nil, fmt.Errorf("bench: send campaign: %w", err)
	}
	var c push.Campaign
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			stopProfile()
			return nil, ctx.Err()
		case <-tick.C:
		}
		rep.RSSMaxKiB = max(rep.RSSMaxKiB, currentRSS())
		if c, err = a.Push.Campaign(ctx, id); err != nil {
			stopProfile()
			return nil, fmt.Errorf("bench: campaign progress: %w", err)
		}
		p := c.Progress
		logf(out, "\r  delivering %d/%d sent, %d failed", p.Sent, o.Devices, p.Failed)
		if c.Status == domain.PushCampaignSent && p.Pending == 0 {
			break
		}
	}
	elapsed := time.Since(start)
	stopProfile()
	logf(out, "\r%-60s\r", "")
	rep.DeliverySeconds = elapsed.Seconds()
	rep.Sent, rep.Failed = c.Progress.Sent, c.Progress.Failed
	rep.Delivered = fake.Count() - before
	rep.Rate = float64(rep.Sent) / rep.DeliverySeconds
	if rep.Ceiling > 0 {
		rep.Ratio = rep.Rate / rep.Ceiling
	}
	rep.PeakRSSKiB = peakRSS()
	if exact {
		seen := make(map[string]int, o.Devices)
		for _, r := range fake.Received() {
			seen[r.Token]++
		}
		for _, n := range seen {
			rep.Duplicates += int64(n - 1)
		}
		if len(seen) != o.Devices {
			rep.Notes = append(rep.Notes, fmt.Sprintf("the fake reached %d distinct devices of %d", len(seen), o.Devices))
		}
	}
	if n := len(fake.Rejections()); n > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("the fake refused %d requests as malformed: %s", n, fake.Rejections()[0]))
	}
	rep.Notes = append(rep.Notes,
		"in-process: mauth (campaign queueing, outbox dispatcher, APNs client) and the fake APNs share the CPUs",
		"delivery: from the live send to the last outcome recorded in the database; rate = sent / that time",
		"ceiling: pre-built APNs requests straight to a fake of its own over one HTTP/2 connection, no database",
		"rss: VmRSS sampled every second during delivery, after the users were added; peak is VmHWM of the whole run")
	printPush(out, rep)
	if rep.Sent != int64(o.Devices) || rep.Delivered != int64(o.Devices) {
		return rep, fmt.Errorf("bench: %d devices, %d recorded sent, %d received by the fake", o.Devices, rep.Sent, rep.Delivered)
	}
	return rep, nil
}

func printPush(out io.Writer, r *PushReport) {
	logf(out, "  campaign delivered  %9.1f/s  (%d sent, %d failed in %.2fs; the fake received %d)\n", r.Rate, r.Sent, r.Failed, r.DeliverySeconds, r.Delivered)
	logf(out, "  ratio to the fake's ceiling %.2f\n", r.Ratio)
	logf(out, "  rss %.1f MiB before the send, at most %.1f MiB during it; peak %.1f MiB\n", float64(r.RSSBeforeKiB)/1024, float64(r.RSSMaxKiB)/1024, float64(r.PeakRSSKiB)/1024)
}

func benchPushUser(i int) string { return fmt.Sprintf("push-user-%07d", i) }

// startPushServer starts mauth in this process (push dispatcher on)
// sending APNs to the fake, trusted through a CA file.
func startPushServer(ctx context.Context, o PushOptions, fake *pushtest.APNs) (*app.App, func(), error) {
	dir, err := os.MkdirTemp("", "mauth-bench-push-*")
	if err != nil {
		return nil, nil, fmt.Errorf("bench: temp folder: %w", err)
	}
	ca := filepath.Join(dir, "fake-apns-ca.pem")
	if err := os.WriteFile(ca, fake.CertificatePEM(), 0o600); err != nil {
		_ = os.RemoveAll(dir)
		return nil, nil, fmt.Errorf("bench: CA file: %w", err)
	}
	cfg := app.DefaultConfig()
	cfg.DataDir = dir
	cfg.DatabaseURL = o.DatabaseURL
	cfg.SQLiteSynchronous = o.SQLiteSynchronous
	cfg.PublicAddr, cfg.PrivateAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.RestrictAccess = true
	cfg.Out = io.Discard
	cfg.Push.APNsDevelopmentURL, cfg.Push.APNsProductionURL = fake.URL(), fake.URL()
	cfg.Push.CAFile = ca
	cfg.Push.Workers, cfg.Push.BatchSize = o.Workers, o.BatchSize
	if o.DatabaseURL != "" && !strings.HasPrefix(o.DatabaseURL, "sqlite:") {
		cfg.ServerKey = base64.StdEncoding.EncodeToString(secretbox.GenerateKey())
	}
	a, err := app.New(ctx, cfg)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, nil, fmt.Errorf("bench: start mauth: %w", err)
	}
	if err := a.Listen(ctx); err != nil {
		_ = a.Close()
		_ = os.RemoveAll(dir)
		return nil, nil, fmt.Errorf("bench: listen: %w", err)
	}
	srvCtx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() { defer close(served); _ = a.Serve(srvCtx) }()
	return a, func() {
		cancel()
		<-served
		_ = a.Close()
		_ = os.RemoveAll(dir)
	}, nil
}

// loadPushDevices creates an application with n active activations (user
// push-user-i each) and their APNs registrations, in transactions of
// loadBatch rows, and returns the application's name.
func loadPushDevices(ctx context.Context, st store.Store, n int, out io.Writer) (string, error) {
	const loadBatch = 1000
	now := time.Now().UTC().Truncate(time.Millisecond)
	appl := domain.Application{Name: fmt.Sprintf("bench-push-%d", now.UnixNano())}
	var mk domain.MasterKeyPair
	err := st.InTx(ctx, func(tx store.Tx) error {
		if err := tx.CreateApplication(ctx, &appl); err != nil {
			return err
		}
		mk = domain.MasterKeyPair{ApplicationID: appl.ID, Name: "bench", PrivateKeyEncrypted: []byte{1}, PublicKey: []byte{2}, Created: now}
		return tx.CreateMasterKeyPair(ctx, &mk)
	})
	if err != nil {
		return "", fmt.Errorf("bench: push application: %w", err)
	}
	for lo := 0; lo < n; lo += loadBatch {
		err := st.InTx(ctx, func(tx store.Tx) error {
			for i := lo; i < min(n, lo+loadBatch); i++ {
				act := fmt.Sprintf("bench-push-act-%07d", i)
				if err := tx.CreateActivation(ctx, &domain.Activation{
					ActivationID: act, ApplicationID: appl.ID, UserID: benchPushUser(i), Status: domain.ActivationActive,
					MasterKeyPairID: mk.ID, Created: now, ActivationExpire: now.Add(time.Hour), MaxFailedAttempts: 5,
				}); err != nil {
					return err
				}
				if err := tx.AddPushDevice(ctx, &domain.PushDevice{
					ActivationID: act, ApplicationID: appl.ID, UserID: benchPushUser(i), Platform: string(push.PlatformAPNs),
					Token: fmt.Sprintf("%064x", i+1), Created: now, LastRegistered: now,
				}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return "", fmt.Errorf("bench: load push devices: %w", err)
		}
		logf(out, "\r  loading devices %d/%d", min(n, lo+loadBatch), n)
	}
	logf(out, "\r%-60s\r", "")
	return appl.Name, nil
}

// fakeCeiling sends n pre-built requests (a signed provider token, the
// mapped payload) to the fake from senders goroutines over one HTTP/2
// client and returns the accepted requests per second.
func fakeCeiling(ctx context.Context, fake *pushtest.APNs, p8 []byte, n, senders int) (float64, error) {
	blk, _ := pem.Decode(p8)
	if blk == nil {
		return 0, errors.New("bench: APNs key is not PEM")
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return 0, fmt.Errorf("bench: APNs key: %w", err)
	}
	key, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return 0, errors.New("bench: APNs key is not ECDSA")
	}
	jwt, err := provider.SignJWT(key, map[string]any{"kid": pushBenchKeyID}, map[string]any{"iss": pushBenchTeamID, "iat": time.Now().Unix()})
	if err != nil {
		return 0, err
	}
	payload, err := apns.Payload(provider.Message{Title: "Bench", Body: "A campaign message", CollapseKey: "campaign-1"})
	if err != nil {
		return 0, err
	}
	hc := fake.Client()
	var next atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for range senders {
		wg.Go(func() {
			for i := next.Add(1); i <= int64(n) && ctx.Err() == nil; i = next.Add(1) {
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, fmt.Sprintf("%s/3/device/%064x", fake.URL(), i), bytes.NewReader(payload))
				if err != nil {
					failed.Store(err)
					return
				}
				req.Header.Set("authorization", "bearer "+jwt)
				req.Header.Set("apns-topic", pushBenchTopic)
				req.Header.Set("apns-push-type", "alert")
				resp, err := hc.Do(req)
				if err != nil {
					failed.Store(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					failed.Store(fmt.Errorf("fake APNs answered %d", resp.StatusCode))
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err, _ := failed.Load().(error); err != nil {
		return 0, fmt.Errorf("bench: fake ceiling: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return float64(n) / elapsed.Seconds(), nil
}

// startProfile starts a CPU profile into path ("" : none) and returns its stop.
func startProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("bench: CPU profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("bench: CPU profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
