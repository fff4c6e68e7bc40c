package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/mauth/mauth/client"
	"github.com/mauth/mauth/internal/api/devices"
	apioidc "github.com/mauth/mauth/internal/api/oidc"
	"github.com/mauth/mauth/internal/app"
	"github.com/mauth/mauth/internal/deviceauth"
	"github.com/mauth/mauth/internal/oidc"
	"github.com/mauth/mauth/internal/oidc/oidctest"
	"github.com/mauth/mauth/protocol"
)

// mountSelfService mounts /api/config/oidc and the user's own devices API
// next to the Mobile Token API, as `mauth serve` does.
func mountSelfService(mux *http.ServeMux, e *env, mw deviceauth.Guards, act *oidc.Activator) {
	app.MountOIDCConfig(mux, act, apioidc.Options{Middleware: mw})
	app.MountDevices(mux, e.svc, devices.Options{Middleware: mw, Now: e.clock.Now})
}

// myDevices lists, pages the activity of, blocks and removes the user's
// devices through the contract checker.
func (o *opsFixture) myDevices(t *testing.T) {
	ctx := context.Background()
	user := o.user("mine")
	c, a, tok := o.device(t, user)
	_, b, _ := o.device(t, user)
	list, err := c.ListDevices(ctx, tok)
	if err != nil || len(list) != 2 {
		t.Fatalf("devices %+v, %v", list, err)
	}
	acts, _, err := c.ListActivity(ctx, tok, 10, "")
	if err != nil || len(acts) == 0 {
		t.Fatalf("activity %+v, %v", acts, err)
	}
	_, _, err = c.ListActivity(ctx, tok, 500, "")
	wantAPIError(t, err, http.StatusBadRequest, devices.CodeInvalidRequest)
	wantAPIError(t, c.BlockDevice(ctx, a, client.Possession, b.ActivationID), http.StatusUnauthorized, "POWERAUTH_AUTH_FAIL")
	wantAPIError(t, c.RemoveDevice(ctx, a, client.PossessionKnowledge(pin), "0c6bd1f0-0000-4000-8000-000000000000"), http.StatusNotFound, devices.CodeNotFound)
	if err := c.BlockDevice(ctx, a, client.PossessionKnowledge(pin), b.ActivationID); err != nil {
		t.Fatalf("block: %v", err)
	}
	if err := c.RemoveDevice(ctx, a, client.PossessionKnowledge(pin), b.ActivationID); err != nil {
		t.Fatalf("remove: %v", err)
	}
	if st := o.e.coreStatus(t, b.ActivationID); st["activationStatus"] != "REMOVED" {
		t.Fatalf("removed device %v", st)
	}
}

// oidcActivation fetches the provider configuration (its plaintexts
// checked against the document) and activates with a code of the real
// example OP.
func (o *opsFixture) oidcActivation(t *testing.T) {
	ctx := context.Background()
	op := oidctest.New(t)
	const redirect = "https://bank.example/e2e/callback"
	op.RegisterClient("mauth-e2e", "e2e-secret", redirect)
	raw, _ := json.Marshal(map[string]any{
		"providerId": "e2e-idp", "clientId": "mauth-e2e", "clientSecret": "e2e-secret",
		"issuerUri": op.Issuer, "redirectUri": redirect, "pkceEnabled": true,
	})
	o.e.private(t, "application/config/create", map[string]any{"applicationId": o.app.name, "key": oidc.ConfigKey, "values": []json.RawMessage{raw}})
	version := protocol.Version33
	p := plaintexts{doc: o.e.publicAPI.Doc()}
	out := p.exchange(t, "oidcConfig", []byte(`{"providerId":"e2e-idp"}`), func(pt []byte) ([]byte, error) {
		req, env := o.e.cryptogram(t, o.app, version, nil, protocol.SharedInfo1GenericApplication, pt, o.e.clock.Now())
		hdr := map[string]string{protocol.HeaderEncryption: encryptionHeader(o.app, version, "")}
		return openAnswer(t, o.e.publicRaw(t, http.MethodPost, "/api/config/oidc", hdr, mustMarshal(t, req)), version, env)
	})
	shown, _ := json.Marshal(out)
	if obj, _ := out["responseObject"].(map[string]any); obj["authorizeUri"] != op.Issuer+"/auth" || strings.Contains(string(shown), "e2e-secret") {
		t.Fatalf("oidc config %v", out)
	}
	c := o.e.device(t, o.app, version)
	cfg, err := c.OIDCConfig(ctx, "e2e-idp")
	if err != nil {
		t.Fatalf("oidc config: %v", err)
	}
	_, err = c.OIDCConfig(ctx, "nope")
	wantAPIError(t, err, http.StatusBadRequest, apioidc.CodeConfiguration)
	ar := oidctest.AuthRequest{Nonce: "e2e-nonce", Verifier: oauth2.GenerateVerifier()}
	conf := oauth2.Config{ClientID: cfg.ClientID, RedirectURL: cfg.RedirectURI, Scopes: strings.Fields(cfg.Scopes), Endpoint: oauth2.Endpoint{AuthURL: cfg.AuthorizeURI}}
	code := op.Login(t, oidctest.AuthCodeURL(conf, ar))
	res, err := c.ActivateWithOIDC(ctx, client.OIDCIdentity{ProviderID: "e2e-idp", Code: code, Nonce: ar.Nonce, CodeVerifier: ar.Verifier}, pin, client.ActivationOptions{})
	if err != nil {
		t.Fatalf("oidc activation: %v", err)
	}
	if st := o.e.coreStatus(t, res.Device.ActivationID); st["userId"] != oidctest.UserID || st["activationStatus"] != "ACTIVE" {
		t.Fatalf("oidc activation in the core: %v", st)
	}
}
