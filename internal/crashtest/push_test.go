package crashtest

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/mauth/mauth/client"
	"github.com/mauth/mauth/internal/coreclient"
	"github.com/mauth/mauth/internal/push/pushtest"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/testutil/pgtest"
)

// campaignDevices is the number of devices of the crash campaign: more than
// the dispatcher sends at once (16), so some are still unsent at the kill.
const campaignDevices = 40

// TestCampaignSurvivesKillSQLite is issue 13's campaign crash test on the
// real binary and SQLite: see runCampaignCrash.
func TestCampaignSurvivesKillSQLite(t *testing.T) {
	dir := t.TempDir()
	runCampaignCrash(t, []string{"--data-dir", dir}, "sqlite", "file:"+filepath.Join(dir, "mauth.db")+"?_pragma=busy_timeout(5000)")
}

// TestCampaignSurvivesKillPostgres is the same on PostgreSQL.
func TestCampaignSurvivesKillPostgres(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	keyFile := filepath.Join(t.TempDir(), "server.key")
	if err := os.WriteFile(keyFile, []byte(base64.StdEncoding.EncodeToString(secretbox.GenerateKey())+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	runCampaignCrash(t, []string{"--database", dsn, "--server-key-file", keyFile}, "pgx", dsn)
}

// holdingAPNs is an HTTP/2 APNs stand-in that records every notification
// (device token, apns-collapse-id) and, until release, holds every
// request unanswered.
type holdingAPNs struct {
	mu      sync.Mutex
	got     []apnsRequest
	held    map[string]bool
	release chan struct{}
	once    sync.Once
}

type apnsRequest struct{ token, collapse string }

func (h *holdingAPNs) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.URL.Path, "/3/device/")
	if !ok || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	_, _ = io.Copy(io.Discard, r.Body)
	h.mu.Lock()
	h.got = append(h.got, apnsRequest{token: token, collapse: r.Header.Get("apns-collapse-id")})
	select {
	case <-h.release:
		h.mu.Unlock()
	default:
		h.held[token] = true
		h.mu.Unlock()
		select {
		case <-h.release:
		case <-r.Context().Done():
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}

func (h *holdingAPNs) answer() { h.once.Do(func() { close(h.release) }) }

func (h *holdingAPNs) snapshot() ([]apnsRequest, map[string]bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	held := map[string]bool{}
	for k := range h.held {
		held[k] = true
	}
	return slices.Clone(h.got), held
}

// pushCall sends a push server API request (no envelope when body is
// nil) and decodes responseObject into out (when not nil).
func pushCall(ctx context.Context, hc *http.Client, method, url string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: HTTP %d %s", method, url, resp.StatusCode, raw)
	}
	if out == nil {
		return nil
	}
	var env struct {
		ResponseObject json.RawMessage `json:"responseObject"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return err
	}
	return json.Unmarshal(env.ResponseObject, out)
}

// runCampaignCrash runs `mauth serve` with APNs pointed at a holding
// stand-in, starts a campaign to campaignDevices devices, kills the server
// with SIGKILL while sends are in flight (held unanswered), restarts it on
// the same data and ports, and checks that every device got the campaign,
// that only the devices whose send was in flight at the kill got it twice,
// and that every send carried the campaign's collapse id.
func runCampaignCrash(t *testing.T, args []string, driver, dsn string) {
	bin, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	fake := &holdingAPNs{held: map[string]bool{}, release: make(chan struct{})}
	apnsSrv := httptest.NewUnstartedServer(fake)
	apnsSrv.EnableHTTP2 = true
	apnsSrv.StartTLS()
	defer apnsSrv.Close()
	defer fake.answer()
	dir := t.TempDir()
	caFile := filepath.Join(dir, "apns-ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: apnsSrv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "mauth.yaml")
	yaml := fmt.Sprintf("push:\n  apns_development_url: %s\n  apns_production_url: %s\n  ca_file: %s\n", apnsSrv.URL, apnsSrv.URL, caFile)
	if err := os.WriteFile(conf, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	args = append(slices.Clone(args), "--config", conf)

	srv := start(t, bin, args)
	t.Cleanup(func() { _ = srv.cmd.Process.Kill() })
	hc := &http.Client{Timeout: waitLimit}
	cc, err := coreclient.New(coreclient.Options{BaseURL: srv.privateURL, HTTPClient: hc, Timeout: waitLimit})
	if err != nil {
		t.Fatal(err)
	}
	const appName = "campaign-crash"
	if _, err := cc.CreateApplication(ctx, appName); err != nil {
		t.Fatal(err)
	}
	detail, err := cc.ApplicationDetail(ctx, appName)
	if err != nil || len(detail.Versions) == 0 {
		t.Fatalf("application detail: %v", err)
	}
	p8, _ := pushtest.NewAPNsKey(t)
	if err := pushCall(ctx, hc, http.MethodPost, srv.privateURL+"/admin/app/apns", map[string]any{"requestObject": map[string]any{
		"appId": appName, "bundle": "com.example.bank", "keyId": "ABC123DEFG", "teamId": "TEAM123456",
		"privateKeyBase64": base64.StdEncoding.EncodeToString(p8)}}, nil); err != nil {
		t.Fatal(err)
	}
	pc := client.Config{BaseURL: srv.publicURL, HTTPClient: hc}
	if err := pc.FromSDKConfig(detail.Versions[0].MobileSdkConfig); err != nil {
		t.Fatal(err)
	}
	dev, err := client.New(pc)
	if err != nil {
		t.Fatal(err)
	}
	var users []string
	for i := range campaignDevices {
		user := fmt.Sprintf("campaign-user-%02d", i)
		init, err := cc.InitActivation(ctx, coreclient.InitActivationRequest{UserID: user, ApplicationID: appName})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dev.ActivateWithCode(ctx, init.ActivationCode, pin, client.ActivationOptions{Name: "campaign"}); err != nil {
			t.Fatal(err)
		}
		if _, err := cc.CommitActivation(ctx, init.ActivationID, "", ""); err != nil {
			t.Fatal(err)
		}
		if err := pushCall(ctx, hc, http.MethodPost, srv.privateURL+"/push/device/create", map[string]any{"requestObject": map[string]any{
			"appId": appName, "platform": "apns", "token": fmt.Sprintf("%064x", i+1), "activationId": init.ActivationID}}, nil); err != nil {
			t.Fatal(err)
		}
		users = append(users, user)
	}
	var created struct {
		ID int64 `json:"id"`
	}
	if err := pushCall(ctx, hc, http.MethodPost, srv.privateURL+"/push/campaign/create", map[string]any{"requestObject": map[string]any{
		"appId": appName, "message": map[string]any{"title": "Campaign", "body": "Crash test"}}}, &created); err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(created.ID, 10)
	if err := pushCall(ctx, hc, http.MethodPost, srv.privateURL+"/push/campaign/"+id+"/user/add", map[string]any{"requestObject": users}, nil); err != nil {
		t.Fatal(err)
	}
	if err := pushCall(ctx, hc, http.MethodPost, srv.privateURL+"/push/campaign/send/live/"+id, nil, nil); err != nil {
		t.Fatal(err)
	}

	// Kill while sends are held in flight.
	waitFor(t, "no campaign send reached the provider", func() bool { _, held := fake.snapshot(); return len(held) > 0 })
	srv.kill(t)
	_, inFlight := fake.snapshot()
	fake.answer()
	t.Logf("killed with %d sends in flight", len(inFlight))

	// The claims of the dead node end after their lease (2 minutes), which
	// `mauth serve` has no setting to shorten: let it pass while the server
	// is down by moving the claimed messages' next attempt to the past.
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	res, err := db.ExecContext(ctx, `UPDATE pa_push_message SET timestamp_next = 0 WHERE status = 'PENDING' AND lease IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n < 1 {
		t.Fatal("no claimed message in the outbox after the kill: the kill was not mid-send")
	}
	_ = db.Close()

	restartArgs := append(slices.Clone(args), "--public-addr", hostOf(t, srv.publicURL), "--private-addr", hostOf(t, srv.privateURL))
	srv = start(t, bin, restartArgs)
	defer srv.kill(t)
	var detailObj struct {
		Status   string `json:"status"`
		Progress struct {
			Sent, Failed, Pending, Total int
		} `json:"progress"`
	}
	waitFor(t, "the campaign to finish after the restart", func() bool {
		if err := pushCall(ctx, hc, http.MethodGet, srv.privateURL+"/push/campaign/"+id+"/detail", nil, &detailObj); err != nil {
			t.Fatal(err)
		}
		return detailObj.Status == "SENT" && detailObj.Progress.Sent == campaignDevices
	})
	if detailObj.Progress.Total != campaignDevices || detailObj.Progress.Failed != 0 {
		t.Fatalf("progress %+v, want %d sent of %d", detailObj.Progress, campaignDevices, campaignDevices)
	}

	got, _ := fake.snapshot()
	count := map[string]int{}
	for _, r := range got {
		count[r.token]++
		if r.collapse != "campaign-"+id {
			t.Errorf("send to %s carried collapse id %q, want campaign-%s", r.token, r.collapse, id)
		}
	}
	if len(count) != campaignDevices {
		t.Fatalf("%d devices got the campaign, want %d", len(count), campaignDevices)
	}
	repeats := 0
	for tok, n := range count {
		if n > 1 {
			repeats++
			if !inFlight[tok] || n != 2 {
				t.Errorf("device %s got the campaign %d times (in flight at the kill: %v)", tok, n, inFlight[tok])
			}
		}
	}
	t.Logf("%d devices, %d sends in flight at the kill, %d repeated", campaignDevices, len(inFlight), repeats)
}
