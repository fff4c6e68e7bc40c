package e2e

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	apimobileutil "github.com/mauth/mauth/internal/api/mobileutil"
	"github.com/mauth/mauth/internal/mobileutil"
)

// mobileUtilityContract calls GET /app/init and /app/init/public-key as a
// mobile app does, with their error answers, and verifies the signatures
// with the published key.
func mobileUtilityContract(t *testing.T, e *env) {
	ctx := context.Background()
	if _, err := e.mobileUtil.CreateApp(ctx, "contract-mu", "Contract"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.mobileUtil.CreateVersionRule(ctx, "contract-mu", mobileutil.VersionRule{Platform: "ANDROID", SuggestedVersion: "2.0.0"}); err != nil {
		t.Fatal(err)
	}
	get := func(path, challenge string) (int, []byte, http.Header) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, e.publicURL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if challenge != "" {
			req.Header.Set(apimobileutil.HeaderChallenge, challenge)
		}
		resp, err := e.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, b, resp.Header
	}
	raw := make([]byte, 16)
	_, _ = rand.Read(raw)
	ch := base64.StdEncoding.EncodeToString(raw)
	code, body, _ := get("/app/init/public-key?appName=contract-mu", "")
	var pk struct {
		PublicKey []byte `json:"publicKey"`
	}
	if code != http.StatusOK || json.Unmarshal(body, &pk) != nil {
		t.Fatalf("public key: HTTP %d %s", code, body)
	}
	for _, tc := range []struct {
		path, challenge string
		code            int
		signed          bool
	}{
		{"/app/init?appName=contract-mu&appVersion=1.0.0&osVersion=34&platform=ANDROID", ch, http.StatusOK, true},
		{"/app/init/public-key?appName=contract-mu", ch, http.StatusOK, true},
		{"/app/init?appName=contract-mu", "", http.StatusForbidden, false},
		{"/app/init?appName=nope", ch, http.StatusNotFound, false},
		{"/app/init?appName=contract-mu&platform=PALM", ch, http.StatusBadRequest, true},
		{"/app/init", ch, http.StatusBadRequest, false},
		{"/app/init/public-key?appName=nope", ch, http.StatusNotFound, false},
		{"/app/init/public-key", "", http.StatusBadRequest, false},
	} {
		code, body, h := get(tc.path, tc.challenge)
		if code != tc.code {
			t.Fatalf("%s: HTTP %d %s, want %d", tc.path, code, body, tc.code)
		}
		sig := h.Get(apimobileutil.HeaderSignature)
		if (sig != "") != tc.signed {
			t.Fatalf("%s: signature %q, signed %v", tc.path, sig, tc.signed)
		}
		if tc.signed {
			der, err := base64.StdEncoding.DecodeString(sig)
			if err != nil || !mobileutil.Verify(pk.PublicKey, tc.challenge, body, der) {
				t.Fatalf("%s: the signature does not verify", tc.path)
			}
		}
	}
}
