package crashtest

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/mauth/mauth/client"
	"github.com/mauth/mauth/internal/coreclient"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/testutil/pgtest"
	"github.com/mauth/mauth/protocol"
)

// TestTwoNodesOneDatabase runs two `mauth serve` processes on one
// PostgreSQL database with the same server key, as behind a load
// balancer. Both nodes keep their application rows cached for an hour, so
// only cache coherence can make a change through one node apply on the
// other:
//
//   - a signature sent to both nodes at once is accepted exactly once;
//   - after node B unsupports the application version through its private
//     API, node A refuses the next signature with that version (node A
//     had the version cached as supported).
func TestTwoNodesOneDatabase(t *testing.T) {
	bin, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	dsn := pgtest.NewDatabase(t)
	keyFile := filepath.Join(t.TempDir(), "server.key")
	if err := os.WriteFile(keyFile, []byte(base64.StdEncoding.EncodeToString(secretbox.GenerateKey())+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"--database", dsn, "--server-key-file", keyFile}
	env := []string{"MAUTH_SERVICE_APPLICATION_CACHE_TTL=1h"}
	// One after the other: the first migrates the database.
	nodeA := startEnv(t, bin, args, env)
	t.Cleanup(func() { nodeA.kill(t) })
	nodeB := startEnv(t, bin, args, env)
	t.Cleanup(func() { nodeB.kill(t) })

	ctx := context.Background()
	hc := &http.Client{Timeout: waitLimit}
	ccA, err := coreclient.New(coreclient.Options{BaseURL: nodeA.privateURL, HTTPClient: hc, Timeout: waitLimit})
	if err != nil {
		t.Fatal(err)
	}
	const appName = "multinode"
	if _, err := ccA.CreateApplication(ctx, appName); err != nil {
		t.Fatal(err)
	}
	detail, err := ccA.ApplicationDetail(ctx, appName)
	if err != nil || len(detail.Versions) == 0 {
		t.Fatalf("application detail: %v", err)
	}
	version := detail.Versions[0]
	devices := map[string]*client.Client{}
	for name, url := range map[string]string{"A": nodeA.publicURL, "B": nodeB.publicURL} {
		cfg := client.Config{BaseURL: url, HTTPClient: hc}
		if err := cfg.FromSDKConfig(version.MobileSdkConfig); err != nil {
			t.Fatal(err)
		}
		if devices[name], err = client.New(cfg); err != nil {
			t.Fatal(err)
		}
	}
	// A device activated through node A.
	init, err := ccA.InitActivation(ctx, coreclient.InitActivationRequest{UserID: "multinode-user", ApplicationID: appName})
	if err != nil {
		t.Fatal(err)
	}
	res, err := devices["A"].ActivateWithCode(ctx, init.ActivationCode, pin, client.ActivationOptions{Name: "multinode"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ccA.CommitActivation(ctx, init.ActivationID, "", ""); err != nil {
		t.Fatal(err)
	}
	dev := res.Device
	f := client.PossessionKnowledge(pin)

	// Both nodes verify (and cache the keys and the application rows).
	for _, node := range []string{"A", "B", "A", "B"} {
		if err := devices[node].ValidateSignature(ctx, dev, f, []byte(`{"warm":"`+node+`"}`)); err != nil {
			t.Fatalf("signature through node %s: %v", node, err)
		}
	}

	// One signed request sent to both nodes at once: accepted exactly once.
	const rounds = 10
	for i := range rounds {
		body := []byte(`{"round":` + strconv.Itoa(i) + `}`)
		hdr, err := devices["A"].SignatureHeader(dev, f, http.MethodPost, "/pa/signature/validate", body)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		codes := make([]int, 2)
		for j, url := range []string{nodeA.publicURL, nodeB.publicURL} {
			wg.Go(func() {
				codes[j] = postSigned(ctx, t, hc, url, hdr, body)
			})
		}
		wg.Wait()
		accepted := 0
		for _, c := range codes {
			switch c {
			case http.StatusOK:
				accepted++
			case http.StatusUnauthorized:
			default:
				t.Fatalf("round %d: HTTP %v", i, codes)
			}
		}
		if accepted != 1 {
			t.Fatalf("round %d: one signature sent to two nodes accepted %d times (HTTP %v)", i, accepted, codes)
		}
	}
	// The counter moved on by one per round on both nodes.
	for _, node := range []string{"B", "A"} {
		if err := devices[node].ValidateSignature(ctx, dev, f, []byte(`{"after":"`+node+`"}`)); err != nil {
			t.Fatalf("signature through node %s after the rounds: %v", node, err)
		}
	}

	// Node B unsupports the version; node A refuses the next signature.
	var unsupported map[string]any
	if err := privateCall(ctx, hc, nodeB.privateURL, "application/version/unsupport",
		map[string]any{"applicationId": appName, "applicationVersionId": version.ApplicationVersionID}, &unsupported); err != nil {
		t.Fatal(err)
	}
	for _, node := range []string{"A", "B"} {
		err := devices[node].ValidateSignature(ctx, dev, f, []byte(`{"unsupported":"`+node+`"}`))
		var apiErr *client.APIError
		if !errors.As(err, &apiErr) || apiErr.HTTPStatus != http.StatusUnauthorized {
			t.Fatalf("node %s: a signature with a version unsupported through node B: %v, want HTTP 401", node, err)
		}
	}
	st, err := ccA.ActivationStatus(ctx, init.ActivationID)
	if err != nil {
		t.Fatal(err)
	}
	if st.ActivationStatus != domain.ActivationActive {
		t.Fatalf("activation status after the refusals: %+v", st)
	}
}

// postSigned posts body with the signature header hdr to the public API
// of base and returns the HTTP status.
func postSigned(ctx context.Context, t *testing.T, hc *http.Client, base, hdr string, body []byte) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/pa/v3/signature/validate", bytes.NewReader(body))
	if err != nil {
		t.Error(err)
		return 0
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(protocol.HeaderAuthorization, hdr)
	res, err := hc.Do(req)
	if err != nil {
		t.Error(fmt.Errorf("post to %s: %w", base, err))
		return 0
	}
	_ = res.Body.Close()
	return res.StatusCode
}
