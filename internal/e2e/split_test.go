package e2e

import (
	"testing"

	"github.com/mauth/mauth/internal/api/public"
	"github.com/mauth/mauth/internal/coreclient"
)

// splitDeployment is the split deployment (`mauth serve --role enrollment
// --core-url …`): the public API reaches the core through its private REST
// API over HTTP, authenticated with an integration's Basic credentials.
func splitDeployment(t testing.TB, env CoreEnv) public.Core {
	t.Helper()
	c, err := coreclient.New(coreclient.Options{BaseURL: env.PrivateURL, ClientToken: env.ClientToken, ClientSecret: env.ClientSecret, Timeout: testTimeout})
	if err != nil {
		t.Fatalf("core client: %v", err)
	}
	return c
}

// TestEndToEndSplit runs every end-to-end scenario with the enrollment
// layer calling the core over HTTP.
func TestEndToEndSplit(t *testing.T) { runSuite(t, splitDeployment) }
