package app

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/pgtest"
)

// TestConsoleApplicationSettings posts the application page's forms on
// both backends: a callback edited (its other settings kept, a bad URL
// refused), the recovery settings, and an APPLICATION integration allowed
// and revoked for the application; read-only users are refused and each
// change is audited with the console user as the actor.
func TestConsoleApplicationSettings(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			c := testConfig(t, RoleAll)
			if backend == "postgres" {
				c.DatabaseURL = pgtest.NewDatabase(t)
				c.ServerKey = base64.StdEncoding.EncodeToString(secretbox.GenerateKey())
			}
			c.Console.PasswordMemoryKiB = 1024
			c.CallbackAllowedDestinations = []string{"127.0.0.0/8"}
			runConsoleApplicationSettings(t, c)
		})
	}
}

func runConsoleApplicationSettings(t *testing.T, c Config) {
	r := start(t, c)
	ctx := context.Background()
	for _, u := range []struct {
		name string
		role domain.ConsoleRole
	}{{"root", domain.ConsoleRoleAdmin}, {"viewer", domain.ConsoleRoleReadOnly}} {
		if _, err := r.Console.CreateUser(ctx, "test", u.name, consolePassword, u.role); err != nil {
			t.Fatal(err)
		}
	}
	base := "http://" + r.PrivateAddr().String()
	s := signInHTTP(t, base, "root")
	viewer := signInHTTP(t, base, "viewer")
	s.mustPost("/admin/applications", url.Values{"name": {"bank"}})

	// Callback edit: name and URL change, the retry settings stay.
	page := s.mustPost("/admin/applications/bank/callbacks", url.Values{"name": {"core"}, "url": {"http://127.0.0.1:9/a"}})
	id := regexp.MustCompile(`/admin/applications/bank/callbacks/([^/"]+)/remove`).FindStringSubmatch(page)[1]
	before := mustCallbacks(t, r, "bank")
	var err error
	if len(before) != 1 {
		t.Fatalf("callbacks: %v", before)
	}
	page = s.mustPost("/admin/applications/bank/callbacks/"+id, url.Values{"name": {"core-2"}, "url": {"http://127.0.0.1:9/b"}})
	if !strings.Contains(page, "http://127.0.0.1:9/b") || !strings.Contains(page, `value="core-2"`) {
		t.Fatalf("edited callback not shown:\n%s", page)
	}
	after, _ := r.Service.ListCallbacks(ctx, "bank")
	if len(after) != 1 || after[0].URL != "http://127.0.0.1:9/b" || after[0].Name != "core-2" || after[0].MaxAttempts != before[0].MaxAttempts ||
		after[0].RetentionPeriod != before[0].RetentionPeriod || after[0].Type != before[0].Type {
		t.Fatalf("callback after edit: %+v (before %+v)", after, before)
	}
	if code, _ := s.post("/admin/applications/bank/callbacks/"+id, url.Values{"name": {"x"}, "url": {"not a url"}}); code != http.StatusBadRequest {
		t.Fatalf("callback with a bad URL: %d", code)
	}
	if code, _ := s.post("/admin/applications/bank/callbacks/no-such-id", url.Values{"name": {"x"}, "url": {"http://127.0.0.1:9/c"}}); code != http.StatusNotFound {
		t.Fatalf("unknown callback: %d", code)
	}
	if code, _ := viewer.post("/admin/applications/bank/callbacks/"+id, url.Values{"name": {"x"}, "url": {"http://127.0.0.1:9/c"}}); code != http.StatusForbidden {
		t.Fatalf("read-only user editing a callback: %d", code)
	}

	// Send a test event: the callback dispatcher delivers it to the URL.
	got := make(chan map[string]any, 4)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		select {
		case got <- body:
		default:
		}
	}))
	t.Cleanup(recv.Close)
	page = s.mustPost("/admin/applications/bank/callbacks", url.Values{"name": {"receiver"}, "url": {recv.URL + "/events"}})
	var recvID string
	for _, cb := range mustCallbacks(t, r, "bank") {
		if cb.Name == "receiver" {
			recvID = cb.ID
		}
	}
	page = s.mustPost("/admin/applications/bank/callbacks/"+recvID+"/test", url.Values{})
	if !strings.Contains(page, `id="callback-tested"`) {
		t.Fatalf("test event not confirmed:\n%s", page)
	}
	select {
	case body := <-got:
		if body["type"] != "TEST" || body["callbackId"] != recvID || body["applicationId"] != "bank" {
			t.Fatalf("test event body: %v", body)
		}
	case <-time.After(testTimeout):
		t.Fatal("the test event was not delivered")
	}
	if code, _ := s.post("/admin/applications/other-app/callbacks/"+recvID+"/test", url.Values{}); code != http.StatusNotFound {
		t.Fatalf("test event through another application: %d", code)
	}
	if code, _ := viewer.post("/admin/applications/bank/callbacks/"+recvID+"/test", url.Values{}); code != http.StatusForbidden {
		t.Fatalf("read-only user sending a test event: %d", code)
	}

	// Recovery settings.
	s.mustPost("/admin/applications/bank/recovery", url.Values{"activationRecovery": {"on"}, "postcard": {"on"}})
	rc, err := r.Service.GetRecoveryConfig(ctx, "bank")
	if err != nil || !rc.ActivationRecoveryEnabled || !rc.RecoveryPostcardEnabled || rc.AllowMultipleRecoveryCodes {
		t.Fatalf("recovery config: %+v %v", rc, err)
	}
	if page := s.get("/admin/applications/bank"); !strings.Contains(page, `id="recovery-activation" checked`) || !strings.Contains(page, `id="recovery-postcard-key"`) {
		t.Fatalf("recovery settings not shown:\n%s", page)
	}
	s.mustPost("/admin/applications/bank/recovery", url.Values{})
	if rc, _ = r.Service.GetRecoveryConfig(ctx, "bank"); rc.ActivationRecoveryEnabled || rc.RecoveryPostcardEnabled {
		t.Fatalf("recovery config after turning off: %+v", rc)
	}
	if code, _ := viewer.post("/admin/applications/bank/recovery", url.Values{"activationRecovery": {"on"}}); code != http.StatusForbidden {
		t.Fatalf("read-only user changing recovery: %d", code)
	}

	// Integrations allowed for the application.
	s.mustPost("/admin/applications", url.Values{"name": {"other"}})
	in, err := r.Service.CreateIntegrationWith(ctx, service.IntegrationInput{Name: "crm", Role: domain.IntegrationApplication, Applications: []string{"other"}})
	if err != nil {
		t.Fatal(err)
	}
	page = s.get("/admin/applications/bank")
	if !strings.Contains(page, "/admin/applications/bank/integrations/"+in.ID+"/grant") {
		t.Fatalf("integration not offered:\n%s", page)
	}
	s.mustPost("/admin/applications/bank/integrations/"+in.ID+"/grant", url.Values{})
	list, _ := r.Service.ListIntegrations(ctx)
	for _, x := range list {
		if x.ID == in.ID && strings.Join(x.Applications, ",") != "bank,other" {
			t.Fatalf("integration after grant: %+v", x)
		}
	}
	if code, _ := viewer.post("/admin/applications/bank/integrations/"+in.ID+"/revoke", url.Values{}); code != http.StatusForbidden {
		t.Fatalf("read-only user revoking: %d", code)
	}
	s.mustPost("/admin/applications/bank/integrations/"+in.ID+"/revoke", url.Values{})
	list, _ = r.Service.ListIntegrations(ctx)
	for _, x := range list {
		if x.ID == in.ID && strings.Join(x.Applications, ",") != "other" {
			t.Fatalf("integration after revoke: %+v", x)
		}
	}
	if code, _ := s.post("/admin/applications/bank/integrations/"+in.ID+"/explode", url.Values{}); code != http.StatusNotFound {
		t.Fatalf("unknown integration action: %d", code)
	}

	entries, err := r.Store.ListAuditEntries(ctx, store.AuditFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"CALLBACK_UPDATED": false, "CALLBACK_TEST_SENT": false, "RECOVERY_CONFIG_UPDATED": false, "INTEGRATION_APPLICATION_GRANTED": false, "INTEGRATION_APPLICATION_REVOKED": false}
	for _, en := range entries {
		if _, ok := want[en.Details["action"]]; ok && en.Actor == "console:root" {
			want[en.Details["action"]] = true
		}
	}
	for a, ok := range want {
		if !ok {
			t.Errorf("no audit entry %s by the console user", a)
		}
	}
}

// TestConsoleRecoveryCodesAndApprovalContext checks on both backends that
// an activation's page lists its recovery code and revokes it (read-only
// users refused, the revoke audited), and that an operation's page shows
// its approval context: the IP address and user agent of the requests
// that changed it.
func TestConsoleRecoveryCodesAndApprovalContext(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			c := testConfig(t, RoleAll)
			if backend == "postgres" {
				c.DatabaseURL = pgtest.NewDatabase(t)
				c.ServerKey = base64.StdEncoding.EncodeToString(secretbox.GenerateKey())
			}
			c.Console.PasswordMemoryKiB = 1024
			runConsoleRecoveryAndContext(t, c)
		})
	}
}

func runConsoleRecoveryAndContext(t *testing.T, c Config) {
	r := start(t, c)
	ctx := context.Background()
	for _, u := range []struct {
		name string
		role domain.ConsoleRole
	}{{"root", domain.ConsoleRoleAdmin}, {"viewer", domain.ConsoleRoleReadOnly}} {
		if _, err := r.Console.CreateUser(ctx, "test", u.name, consolePassword, u.role); err != nil {
			t.Fatal(err)
		}
	}
	base := "http://" + r.PrivateAddr().String()
	s := signInHTTP(t, base, "root")
	viewer := signInHTTP(t, base, "viewer")
	s.mustPost("/admin/applications", url.Values{"name": {"bank"}})
	s.mustPost("/admin/applications/bank/recovery", url.Values{"activationRecovery": {"on"}})
	dev, _ := activateDeviceOf(t, r.admin(t), "http://"+r.PublicAddr().String(), "bank", "3.3")

	page := s.get("/admin/activations/" + dev.ActivationID)
	m := regexp.MustCompile(`/admin/activations/` + dev.ActivationID + `/recovery-codes/(\d+)/revoke`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no revocable recovery code on the activation page:\n%s", page)
	}
	if code, _ := viewer.post("/admin/activations/"+dev.ActivationID+"/recovery-codes/"+m[1]+"/revoke", url.Values{}); code != http.StatusForbidden {
		t.Fatalf("read-only user revoking: %d", code)
	}
	if code, _ := s.post("/admin/activations/some-other-activation/recovery-codes/"+m[1]+"/revoke", url.Values{}); code != http.StatusNotFound &&
		code != http.StatusBadRequest {
		t.Fatalf("revoking through another activation: %d", code)
	}
	page = s.mustPost("/admin/activations/"+dev.ActivationID+"/recovery-codes/"+m[1]+"/revoke", url.Values{})
	if !strings.Contains(page, "REVOKED") || strings.Contains(page, "/recovery-codes/"+m[1]+"/revoke") {
		t.Fatalf("recovery code after revoke:\n%s", page)
	}
	codes, err := r.Service.LookupRecoveryCodes(ctx, service.RecoveryCodeLookup{ActivationID: dev.ActivationID})
	if err != nil || len(codes) != 1 || codes[0].Status != domain.RecoveryCodeRevoked {
		t.Fatalf("recovery codes after revoke: %+v %v", codes, err)
	}

	// An operation created and cancelled from the console: its page shows
	// the IP address and user agent of both requests.
	s.mustPost("/admin/templates", url.Values{"name": {"login"}, "operationType": {"login"}, "dataTemplate": {"A2"},
		"signatureType": {"possession_knowledge"}, "maxFailureCount": {"3"}, "expiration": {"300"}})
	page = s.mustPost("/admin/operations", url.Values{"userId": {"alice"}, "application": {"bank"}, "template": {"login"}})
	opID := regexp.MustCompile(`id="operation-id">([^<]+)<`).FindStringSubmatch(page)
	if opID == nil {
		t.Fatalf("no operation page:\n%s", page)
	}
	s.mustPost("/admin/operations/"+opID[1]+"/cancel", url.Values{})
	page = s.get("/admin/operations/" + opID[1])
	if !strings.Contains(page, `id="operation-context"`) || !strings.Contains(page, `<td class="ctx-ip">127.0.0.1</td>`) ||
		!strings.Contains(page, `<td class="ctx-ua">Go-http-client/1.1</td>`) {
		t.Fatalf("approval context not shown:\n%s", page)
	}

	entries, err := r.Store.ListAuditEntries(ctx, store.AuditFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, en := range entries {
		found = found || (en.Details["action"] == "RECOVERY_CODE_REVOKED" && en.Actor == "console:root")
	}
	if !found {
		t.Error("no audit entry RECOVERY_CODE_REVOKED by the console user")
	}
}

// TestConsoleTemplatePreview posts the template edit form to the preview
// endpoint on both backends: the whole page (the no-JS button) and the
// fragment the page's script fetches show the operation as the Mobile
// Token API renders it (title, message, formatted attributes), with the
// sample parameters escaped; a POST without the CSRF token is refused.
func TestConsoleTemplatePreview(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			c := testConfig(t, RoleAll)
			if backend == "postgres" {
				c.DatabaseURL = pgtest.NewDatabase(t)
				c.ServerKey = base64.StdEncoding.EncodeToString(secretbox.GenerateKey())
			}
			c.Console.PasswordMemoryKiB = 1024
			r := start(t, c)
			if _, err := r.Console.CreateUser(context.Background(), "test", "viewer", consolePassword, domain.ConsoleRoleReadOnly); err != nil {
				t.Fatal(err)
			}
			base := "http://" + r.PrivateAddr().String()
			s := signInHTTP(t, base, "viewer") // previewing changes nothing: read-only users may
			form := url.Values{"operationType": {"payment"}, "dataTemplate": {"A1*A${amount}${currency}*I${iban}"},
				"signatureType": {"possession_knowledge"}, "lang": {"en"}, "templateId": {"7"},
				"params": {"amount=1250.50\ncurrency=EUR\niban=<img src=x onerror=alert(1)>\nnote=rent"}}
			page := s.mustPost("/admin/templates/preview", form)
			for _, want := range []string{`id="preview-title">Confirm Payment<`, "Please confirm the payment of 1250.50 EUR to account &lt;img src=x onerror=alert(1)&gt;.",
				"<th>Amount</th><td>", "1,250.50", "<th>Note</th><td>rent</td>", `id="preview-data">A1*A1250.50EUR*I&lt;img`, `id="preview-factors">2FA (possession_knowledge)<`,
				`href="/admin/templates/7"`} {
				if !strings.Contains(page, want) {
					t.Fatalf("preview page lacks %q:\n%s", want, page)
				}
			}
			if strings.Contains(page, "<img src=x") {
				t.Fatal("sample parameter not escaped")
			}
			frag := s.mustPost("/admin/templates/preview?fragment=1", url.Values{"operationType": {"payment"}, "lang": {"cs"}, "params": {"amount=5\ncurrency=CZK\niban=CZ1"}})
			if !strings.HasPrefix(frag, `<div class="phone"`) || !strings.Contains(frag, "Potvrzení platby") || strings.Contains(frag, "<html") {
				t.Fatalf("preview fragment:\n%s", frag)
			}
			form.Del("csrf")
			if resp, err := s.hc.PostForm(base+"/admin/templates/preview", form); err != nil || resp.StatusCode != http.StatusForbidden {
				t.Fatalf("preview without CSRF token: %v", err)
			}
		})
	}
}

// mustCallbacks lists the callbacks of an application.
func mustCallbacks(t *testing.T, r *running, app string) []service.Callback {
	t.Helper()
	list, err := r.Service.ListCallbacks(context.Background(), app)
	if err != nil {
		t.Fatal(err)
	}
	return list
}
