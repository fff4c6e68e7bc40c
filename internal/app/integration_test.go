package app

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/mauth/mauth/client"
	"github.com/mauth/mauth/internal/coreclient"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/pgtest"
	"github.com/mauth/mauth/protocol"
)

// TestStartUpUpgradesSealedIntegrationSecrets stores an integration the
// way servers before hashing did (its secret sealed with the server key)
// and starts the server on that database, SQLite and PostgreSQL: the
// start-up replaces the sealed secret by its hash, and the old credentials
// keep working through the private API.
func TestStartUpUpgradesSealedIntegrationSecrets(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		c := testConfig(t, RoleCore)
		key := secretbox.GenerateKey()
		if err := os.WriteFile(filepath.Join(c.DataDir, "server.key"), []byte(base64.StdEncoding.EncodeToString(key)), 0o600); err != nil {
			t.Fatal(err)
		}
		testStartUpUpgrade(t, c, key)
	})
	t.Run("postgres", func(t *testing.T) {
		c := testConfig(t, RoleCore)
		c.DatabaseURL = pgtest.NewDatabase(t)
		key := secretbox.GenerateKey()
		c.ServerKey = base64.StdEncoding.EncodeToString(key)
		testStartUpUpgrade(t, c, key)
	})
}

func testStartUpUpgrade(t *testing.T, c Config, key []byte) {
	ctx := context.Background()
	box, err := secretbox.New(key)
	if err != nil {
		t.Fatal(err)
	}
	st, err := OpenStore(ctx, c, true)
	if err != nil {
		t.Fatal(err)
	}
	id, token, secret := uuid.NewString(), uuid.NewString(), uuid.NewString()
	row := domain.Integration{ID: id, Name: "from-before", ClientToken: token, Role: domain.IntegrationAdmin,
		ClientSecret: base64.StdEncoding.EncodeToString(box.Seal([]byte(secret), "pa_integration.client_secret:"+id))}
	if err := st.InTx(ctx, func(tx store.Tx) error { return tx.CreateIntegration(ctx, &row) }); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	r := start(t, c)
	if strings.Contains(r.out.String(), "client secret:") {
		t.Fatalf("a database with an integration got bootstrap credentials:\n%s", r.out)
	}
	got, err := r.Store.GetIntegration(ctx, id)
	if err != nil || !strings.HasPrefix(got.ClientSecret, "mac1:") || strings.Contains(got.ClientSecret, secret) {
		t.Fatalf("after start-up the row holds %q (%v)", got.ClientSecret, err)
	}
	admin, err := coreclient.New(coreclient.Options{BaseURL: "http://" + r.PrivateAddr().String(), ClientToken: token, ClientSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	list, err := admin.ListIntegrations(ctx)
	if err != nil || len(list) != 1 || list[0].Role != "ADMIN" || list[0].ClientSecret != nil {
		t.Fatalf("list with the old credentials: %+v %v", list, err)
	}
}

// TestSplitDeploymentWithScopedIntegration runs an enrollment server with
// the credentials of an integration with role APPLICATION: its own
// application's devices activate and sign as usual; another application's
// device is refused by the core and gets a client error, not a 5xx.
func TestSplitDeploymentWithScopedIntegration(t *testing.T) {
	ctx := context.Background()
	core := start(t, testConfig(t, RoleCore))
	admin := core.admin(t)
	for _, name := range []string{"scoped-own", "scoped-other"} {
		if _, err := admin.CreateApplication(ctx, name); err != nil {
			t.Fatal(err)
		}
	}
	integ, err := admin.CreateIntegrationWith(ctx, "enrollment-own", "", []string{"scoped-own"})
	if err != nil || integ.Role != "APPLICATION" {
		t.Fatalf("scoped integration %+v %v", integ, err)
	}
	ec := testConfig(t, RoleEnrollment)
	ec.CoreURL = "http://" + core.PrivateAddr().String()
	ec.CoreClientToken, ec.CoreClientSecret = integ.ClientToken, integ.ClientSecret
	enr := start(t, ec)
	publicURL := "http://" + enr.PublicAddr().String()

	dev, c := activateDeviceOf(t, admin, publicURL, "scoped-own", protocol.Version33)
	if err := c.ValidateSignature(ctx, dev, client.PossessionKnowledge("1234"), []byte(`{"amount":1}`)); err != nil {
		t.Fatalf("2FA signature through the scoped enrollment server: %v", err)
	}
	if _, err := c.CreateToken(ctx, dev, client.PossessionKnowledge("1234")); err != nil {
		t.Fatalf("token: %v", err)
	}

	d, err := admin.ApplicationDetail(ctx, "scoped-other")
	if err != nil {
		t.Fatal(err)
	}
	cfg := client.Config{BaseURL: publicURL, Version: protocol.Version33}
	if err := cfg.FromSDKConfig(d.Versions[0].MobileSdkConfig); err != nil {
		t.Fatal(err)
	}
	other, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	init, err := admin.InitActivation(ctx, coreclient.InitActivationRequest{UserID: "bob", ApplicationID: "scoped-other"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = other.ActivateWithCode(ctx, init.ActivationCode+"#"+init.ActivationSignature, "1234", client.ActivationOptions{Name: "phone"})
	var api *client.APIError
	if !errors.As(err, &api) || api.HTTPStatus < 400 || api.HTTPStatus >= 500 || api.HTTPStatus == http.StatusTooManyRequests {
		t.Fatalf("activation of another application through the scoped enrollment server: %v", err)
	}
	if st, err := admin.ActivationStatus(ctx, init.ActivationID); err != nil || st.ActivationStatus != domain.ActivationCreated {
		t.Fatalf("the refused activation changed: %+v %v", st, err)
	}
	// The public status of another application's activation looks like
	// that of an unknown one (a random blob), as with an ADMIN integration.
	for _, id := range []string{init.ActivationID, uuid.NewString()} {
		resp, err := http.Post(publicURL+"/pa/v3/activation/status", "application/json",
			strings.NewReader(`{"requestObject":{"activationId":"`+id+`","challenge":"AAAAAAAAAAAAAAAAAAAAAA=="}}`))
		if err != nil {
			t.Fatal(err)
		}
		var out struct {
			ResponseObject struct {
				EncryptedStatusBlob, Nonce string
			}
		}
		err = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		blob, _ := base64.StdEncoding.DecodeString(out.ResponseObject.EncryptedStatusBlob)
		if err != nil || resp.StatusCode != http.StatusOK || len(blob) != protocol.StatusBlobSize || out.ResponseObject.Nonce == "" {
			t.Fatalf("status of %s: HTTP %d %+v %v", id, resp.StatusCode, out, err)
		}
	}
}
