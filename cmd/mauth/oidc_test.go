package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/mauth/mauth/internal/oidc"
	"github.com/mauth/mauth/internal/oidc/oidctest"
)

// TestDeviceOIDCActivation runs the OIDC activation through `mauth serve`
// (the real wiring of internal/app) against the real example OP: the
// simulated device fetches the provider configuration, the test user signs
// in at the OP, and the device activates with the code; the same code a
// second time is refused and creates nothing.
func TestDeviceOIDCActivation(t *testing.T) {
	a := testServer(t)
	op := oidctest.New(t)
	sdk := run(t, "app", "create", "bank")["mobile SDK config"]
	const redirect = "https://bank.example/oidc/callback"
	op.RegisterClient("mauth-cli-test", "cli-secret", redirect)
	raw, _ := json.Marshal(map[string]any{
		"providerId": "bank-idp", "clientId": "mauth-cli-test", "clientSecret": "cli-secret",
		"issuerUri": op.Issuer, "redirectUri": redirect, "pkceEnabled": true,
	})
	if _, err := a.Service.CreateApplicationConfig(context.Background(), "bank", oidc.ConfigKey, []json.RawMessage{raw}); err != nil {
		t.Fatalf("oauth2_providers: %v", err)
	}
	cfg := run(t, "device", "oidc-config", "--sdk-config", sdk, "--provider", "bank-idp")
	if cfg["client id"] != "mauth-cli-test" || cfg["authorize uri"] != op.Issuer+"/auth" || cfg["pkce"] != "true" || cfg["scopes"] != "openid" {
		t.Fatalf("oidc-config printed %v", cfg)
	}
	if strings.Contains(strings.Join(mapValues(cfg), " "), "cli-secret") {
		t.Fatal("the client secret reached the device")
	}
	fail(t, "APPLICATION_CONFIGURATION_ERROR", "device", "oidc-config", "--sdk-config", sdk, "--provider", "other")

	conf := oauth2.Config{ClientID: cfg["client id"], RedirectURL: cfg["redirect uri"], Scopes: strings.Fields(cfg["scopes"]), Endpoint: oauth2.Endpoint{AuthURL: cfg["authorize uri"]}}
	ar := oidctest.AuthRequest{Nonce: "cli-nonce-1", Verifier: oauth2.GenerateVerifier()}
	code := op.Login(t, oidctest.AuthCodeURL(conf, ar))
	dir := t.TempDir()
	args := func(state string) []string {
		return []string{"device", "activate", "--state", filepath.Join(dir, state), "--sdk-config", sdk, "--pin", "9562",
			"--oidc-provider", "bank-idp", "--oidc-code", code, "--oidc-nonce", ar.Nonce, "--oidc-code-verifier", ar.Verifier}
	}
	out := run(t, args("a.json")...)
	if out["status"] != "ACTIVE" {
		t.Fatalf("activation output %v (an OIDC activation is committed right away)", out)
	}
	if st := run(t, "activation", "status", out["activation id"]); st["user"] != oidctest.UserID {
		t.Fatalf("activation status %v, want the OP's user %s", st, oidctest.UserID)
	}
	fail(t, "ERR_ACTIVATION", args("b.json")...)
	fail(t, "--oidc-provider, --oidc-code and --oidc-nonce go together", "device", "activate", "--state", filepath.Join(dir, "c.json"),
		"--sdk-config", sdk, "--pin", "9562", "--oidc-provider", "bank-idp")
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
