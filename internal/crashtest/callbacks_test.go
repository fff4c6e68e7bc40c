package crashtest

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	_ "modernc.org/sqlite"             // database/sql driver "sqlite"

	"github.com/mauth/mauth/client"
	"github.com/mauth/mauth/internal/callbacks"
	"github.com/mauth/mauth/internal/coreclient"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/testutil/pgtest"
)

// callbackActivations is the number of activations whose events queue.
const callbackActivations = 4

// TestCallbacksSurviveKillSQLite is issue 5 acceptance 2 on the real
// binary and SQLite: see runCallbackCrash.
func TestCallbacksSurviveKillSQLite(t *testing.T) {
	dir := t.TempDir()
	runCallbackCrash(t, []string{"--data-dir", dir}, "sqlite", "file:"+filepath.Join(dir, "mauth.db")+"?_pragma=busy_timeout(5000)")
}

// TestCallbacksSurviveKillPostgres is issue 5 acceptance 2 on the real
// binary and PostgreSQL.
func TestCallbacksSurviveKillPostgres(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	keyFile := filepath.Join(t.TempDir(), "server.key")
	if err := os.WriteFile(keyFile, []byte(base64.StdEncoding.EncodeToString(secretbox.GenerateKey())+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	runCallbackCrash(t, []string{"--database", dsn, "--server-key-file", keyFile}, "pgx", dsn)
}

// runCallbackCrash runs `mauth serve`, queues activation status events
// for a local receiver, kills the server with SIGKILL while the receiver
// holds deliveries, restarts it on the same data and ports, and checks
// that the receiver saw every event of the activation history at least
// once, in order per activation, correctly signed, with redeliveries
// under the same Idempotency-Key. Nothing depends on the machine's speed:
// the receiver holds every delivery until the kill, the kill waits for one
// to be held, and every wait is bounded only by waitLimit.
func runCallbackCrash(t *testing.T, args []string, driver, dsn string) {
	bin, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	ctx := context.Background()
	// The receiver is an httptest server on 127.0.0.1: allow loopback
	// callbacks (the default refuses them).
	conf := filepath.Join(t.TempDir(), "mauth.yaml")
	if err := os.WriteFile(conf, []byte("callbacks:\n  allowed_destinations: 127.0.0.0/8\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args = append(append([]string(nil), args...), "--config", conf)

	recv := newRecordingReceiver()
	rs := httptest.NewServer(recv)
	defer rs.Close()
	defer recv.answer()

	srv := start(t, bin, args)
	t.Cleanup(func() { _ = srv.cmd.Process.Kill() })
	hc := &http.Client{Timeout: waitLimit}
	cc, err := coreclient.New(coreclient.Options{BaseURL: srv.privateURL, HTTPClient: hc, Timeout: waitLimit})
	if err != nil {
		t.Fatal(err)
	}

	const appName = "callback-crash"
	if _, err := cc.CreateApplication(ctx, appName); err != nil {
		t.Fatal(err)
	}
	detail, err := cc.ApplicationDetail(ctx, appName)
	if err != nil || len(detail.Versions) == 0 {
		t.Fatalf("application detail: %v", err)
	}
	var created struct {
		ID            string `json:"id"`
		SigningSecret string `json:"signingSecret"`
	}
	err = privateCall(ctx, hc, srv.privateURL, "application/callback/create", map[string]any{
		"applicationId": appName, "name": "crash-receiver", "type": "ACTIVATION_STATUS_CHANGE",
		"callbackUrl": rs.URL, "attributes": []string{"activationStatus", "userId"},
		"maxAttempts": 10, "initialBackoff": "PT0.2S",
	}, &created)
	if err != nil {
		t.Fatal(err)
	}
	if created.SigningSecret == "" {
		t.Fatal("application/callback/create returned no signingSecret")
	}

	// Every activation goes CREATED → PENDING_COMMIT → ACTIVE → BLOCKED →
	// ACTIVE → REMOVED: six events queue per activation.
	pc := client.Config{BaseURL: srv.publicURL, HTTPClient: hc}
	if err := pc.FromSDKConfig(detail.Versions[0].MobileSdkConfig); err != nil {
		t.Fatal(err)
	}
	dev, err := client.New(pc)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, 0, callbackActivations)
	for i := range callbackActivations {
		init, err := cc.InitActivation(ctx, coreclient.InitActivationRequest{UserID: fmt.Sprintf("cb-user-%d", i), ApplicationID: appName})
		if err != nil {
			t.Fatal(err)
		}
		id := init.ActivationID
		if _, err := dev.ActivateWithCode(ctx, init.ActivationCode, pin, client.ActivationOptions{Name: "cb"}); err != nil {
			t.Fatal(err)
		}
		if _, err := cc.CommitActivation(ctx, id, "", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := cc.BlockActivation(ctx, id, "CRASH_TEST", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := cc.UnblockActivation(ctx, id, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := cc.RemoveActivation(ctx, id, "", false); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	want := map[string][]string{}
	for _, id := range ids {
		want[id] = statusChanges(t, ctx, hc, srv.privateURL, id)
		if len(want[id]) < 6 {
			t.Fatalf("activation %s: history has %d status changes %v, want at least 6", id, len(want[id]), want[id])
		}
	}
	t.Logf("setup done after %v", time.Since(began).Round(time.Millisecond))

	// Kill while the receiver holds at least one delivery (it holds every
	// one until then; a dispatch round waits for its deliveries, so more
	// may only come after the held ones end).
	waitFor(t, "the dispatcher delivered nothing to hold", func() bool { return recv.inFlight() > 0 })
	inFlight := recv.inFlight()
	srv.kill(t)
	recv.answer() // from now on every delivery is answered
	t.Logf("killed with %d deliveries in flight after %v", inFlight, time.Since(began).Round(time.Millisecond))

	// The dispatcher takes over abandoned PROCESSING events only after
	// its rerun period (connect + response timeout + 10 s = 75 s by
	// default) and `mauth serve` has no setting to shorten it: the test
	// lets that period pass while the server is down by moving the
	// events' rerun time to the past.
	if n := expireClaims(t, ctx, driver, dsn); n < 1 {
		t.Fatalf("no PROCESSING event in the outbox after the kill: the kill was not mid-delivery")
	}

	// Same data, same ports.
	restartArgs := append(slices.Clone(args), "--public-addr", hostOf(t, srv.publicURL), "--private-addr", hostOf(t, srv.privateURL))
	srv = start(t, bin, restartArgs)
	restarted := time.Now()

	deadline := restarted.Add(waitLimit)
	for seen, _ := recv.snapshot(); !complete(seen, want); seen, _ = recv.snapshot() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v the receiver has not seen every event: got %v, want %v", waitLimit, firstSeen(seen), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("every event seen %v after the restart (%v in all)", time.Since(restarted).Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
	srv.kill(t)

	seen, held := recv.snapshot()
	got := firstSeen(seen)
	for _, id := range ids {
		if !slices.Equal(got[id], want[id]) {
			t.Errorf("activation %s: first-seen events %v, want the history order %v", id, got[id], want[id])
		}
	}
	bodies := map[string][]byte{}
	count := map[string]int{}
	for _, d := range seen {
		if err := callbacks.VerifySignature(created.SigningSecret, d.signature, d.body, 5*time.Minute); err != nil {
			t.Errorf("delivery %s (%s): signature: %v", d.key, d.body, err)
		}
		if d.key == "" {
			t.Errorf("delivery without Idempotency-Key: %s", d.body)
			continue
		}
		if b, ok := bodies[d.key]; ok && !bytes.Equal(b, d.body) {
			t.Errorf("Idempotency-Key %s carried two bodies: %s and %s", d.key, b, d.body)
		}
		bodies[d.key] = d.body
		count[d.key]++
	}
	// A redelivery with a fresh key would add a distinct event.
	for _, id := range ids {
		if n := len(got[id]); n != len(want[id]) {
			t.Errorf("activation %s: %d distinct Idempotency-Keys, want %d", id, n, len(want[id]))
		}
	}
	// The held deliveries were never answered (the server was killed or
	// gave up on them): each came again, under the same key.
	for _, k := range held {
		if count[k] < 2 {
			t.Errorf("held delivery %s was seen %d times, want it redelivered with the same Idempotency-Key", k, count[k])
		}
	}
	t.Logf("%d deliveries of %d events, %d held at the kill", len(seen), len(bodies), len(held))
}

// privateCall sends {"requestObject": req} to the private API and decodes
// the responseObject into resp.
func privateCall(ctx context.Context, hc *http.Client, base, method string, req, resp any) error {
	body, err := json.Marshal(map[string]any{"requestObject": req})
	if err != nil {
		return err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/rest/v3/"+method, bytes.NewReader(body))
	if err != nil {
		return err
	}
	hr.Header.Set("Content-Type", "application/json")
	res, err := hc.Do(hr)
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	var env struct {
		Status         string          `json:"status"`
		ResponseObject json.RawMessage `json:"responseObject"`
	}
	if err := json.Unmarshal(raw, &env); err != nil || res.StatusCode != http.StatusOK || env.Status != "OK" {
		return fmt.Errorf("%s: HTTP %d: %s", method, res.StatusCode, raw)
	}
	if err := json.Unmarshal(env.ResponseObject, resp); err != nil {
		return fmt.Errorf("%s: decode: %w", method, err)
	}
	return nil
}

// statusChanges returns the activation's history as the statuses that
// produce callback events: entries repeating the previous status (such
// as a rename) produce none.
func statusChanges(t *testing.T, ctx context.Context, hc *http.Client, base, id string) []string {
	t.Helper()
	var h struct {
		Items []struct {
			Status string `json:"activationStatus"`
		} `json:"items"`
	}
	if err := privateCall(ctx, hc, base, "activation/history", map[string]any{"activationId": id}, &h); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, it := range h.Items {
		if len(out) == 0 || out[len(out)-1] != it.Status {
			out = append(out, it.Status)
		}
	}
	return out
}

// firstSeen returns per activation the statuses of the distinct events
// (by Idempotency-Key) in the order the receiver first saw them.
func firstSeen(seen []delivery) map[string][]string {
	out := map[string][]string{}
	keys := map[string]bool{}
	for _, d := range seen {
		if keys[d.key] {
			continue
		}
		keys[d.key] = true
		out[d.activationID] = append(out[d.activationID], d.status)
	}
	return out
}

// complete reports whether every activation has as many distinct events
// as its history has status changes.
func complete(seen []delivery, want map[string][]string) bool {
	got := firstSeen(seen)
	for id, w := range want {
		if len(got[id]) < len(w) {
			return false
		}
	}
	return true
}

// expireClaims moves the rerun time of the PROCESSING events (claims of
// the killed server) to the past and returns how many there were. The
// server must not be running.
func expireClaims(t *testing.T, ctx context.Context, driver, dsn string) int64 {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	res, err := db.ExecContext(ctx, `UPDATE pa_application_callback_event SET timestamp_rerun_after = 0 WHERE status = 'PROCESSING'`)
	if err != nil {
		t.Fatalf("expire callback claims: %v", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// hostOf returns host:port of a URL.
func hostOf(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}
