package app

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/domain"
)

// consoleHTTP is a signed-in console session over plain HTTP (the forms
// the pages post, without a browser).
type consoleHTTP struct {
	t    *testing.T
	base string
	hc   *http.Client
	csrf string
}

func signInHTTP(t *testing.T, base, user string) *consoleHTTP {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &consoleHTTP{t: t, base: base, hc: &http.Client{Jar: jar, Timeout: testTimeout}}
	resp, err := c.hc.PostForm(base+"/admin/signin", url.Values{"username": {user}, "password": {consolePassword}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(c.get("/admin/dashboard"))
	if m == nil {
		t.Fatal("no CSRF token in the dashboard")
	}
	c.csrf = m[1]
	return c
}

// get returns a page's HTML, failing on a status other than 200.
func (c *consoleHTTP) get(path string) string {
	c.t.Helper()
	resp, err := c.hc.Get(c.base + path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("GET %s: %d\n%s", path, resp.StatusCode, b)
	}
	return string(b)
}

// post submits a form and returns the status and body after redirects.
func (c *consoleHTTP) post(path string, form url.Values) (int, string) {
	c.t.Helper()
	form.Set("csrf", c.csrf)
	resp, err := c.hc.PostForm(c.base+path, form)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// mustPost posts a form that must succeed.
func (c *consoleHTTP) mustPost(path string, form url.Values) string {
	c.t.Helper()
	code, body := c.post(path, form)
	if code != http.StatusOK {
		c.t.Fatalf("POST %s: %d\n%s", path, code, body)
	}
	return body
}

// TestConsoleForms posts the forms of the pages the operator flow does not
// click through and checks the core's data after each: versions, callbacks,
// activation removal, templates, integrations and console users; and that
// the core's refusals are shown with their status.
func TestConsoleForms(t *testing.T) {
	c := testConfig(t, RoleAll)
	c.Console.PasswordMemoryKiB = 1024
	c.CallbackAllowedDestinations = []string{"127.0.0.0/8"} // the callback below points at loopback
	r := start(t, c)
	ctx := context.Background()
	if _, err := r.Console.CreateUser(ctx, "test", "root", consolePassword, domain.ConsoleRoleAdmin); err != nil {
		t.Fatal(err)
	}
	s := signInHTTP(t, "http://"+r.PrivateAddr().String(), "root")

	s.mustPost("/admin/applications", url.Values{"name": {"bank"}})
	s.mustPost("/admin/applications/bank/versions", url.Values{"version": {"2.0"}})
	s.mustPost("/admin/applications/bank/versions/2.0/unsupport", url.Values{})
	app, err := r.Store.GetApplicationByName(ctx, "bank")
	if err != nil {
		t.Fatal(err)
	}
	versions, err := r.Store.ListApplicationVersions(ctx, app.ID)
	if err != nil || len(versions) != 2 || versions[1].Name != "2.0" || versions[1].Supported {
		t.Fatalf("versions after create and unsupport: %+v %v", versions, err)
	}
	s.mustPost("/admin/applications/bank/versions/2.0/support", url.Values{})
	if versions, _ = r.Store.ListApplicationVersions(ctx, app.ID); !versions[1].Supported {
		t.Fatal("version not supported again")
	}
	if code, body := s.post("/admin/applications", url.Values{"name": {"bank"}}); code != http.StatusBadRequest || !strings.Contains(body, "error-message") {
		t.Fatalf("duplicate application: %d", code)
	}
	if code, _ := s.post("/admin/applications/bank/versions/2.0/explode", url.Values{}); code != http.StatusNotFound {
		t.Fatalf("unknown version action: %d", code)
	}
	// A SDK configuration QR image per version.
	resp, err := s.hc.Get(s.base + "/admin/applications/bank/versions/2.0/qr.png")
	if err != nil {
		t.Fatal(err)
	}
	png, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Content-Type") != "image/png" || !strings.HasPrefix(string(png), "\x89PNG") {
		t.Fatalf("version QR: %s %q", resp.Header.Get("Content-Type"), png[:min(8, len(png))])
	}

	// Callbacks: create, listed, remove.
	page := s.mustPost("/admin/applications/bank/callbacks", url.Values{"name": {"core"}, "url": {"http://127.0.0.1:9/callbacks"}})
	m := regexp.MustCompile(`/admin/applications/bank/callbacks/([^/"]+)/remove`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("created callback not listed:\n%s", page)
	}
	s.mustPost("/admin/applications/bank/callbacks/"+m[1]+"/remove", url.Values{})
	if cbs, _ := r.Store.ListCallbackURLs(ctx, app.ID); len(cbs) != 1 || cbs[0].Enabled {
		t.Fatalf("callbacks after remove: %+v", cbs)
	}

	// Remove an activation.
	page = s.mustPost("/admin/activations", url.Values{"application": {"bank"}, "userId": {"bob"}})
	id := regexp.MustCompile(`id="activation-id">([^<]+)<`).FindStringSubmatch(page)[1]
	s.mustPost("/admin/activations/"+id+"/remove", url.Values{})
	if a, _ := r.Store.GetActivation(ctx, id); a.Status != domain.ActivationRemoved {
		t.Fatalf("activation after remove: %v", a.Status)
	}
	if code, _ := s.post("/admin/activations/"+id+"/block", url.Values{"reason": {"X"}}); code != http.StatusBadRequest && code != http.StatusConflict {
		t.Fatalf("block a removed activation: %d", code)
	}

	// Templates: create, remove.
	s.mustPost("/admin/templates", url.Values{"name": {"login"}, "operationType": {"login"}, "dataTemplate": {"A2"},
		"signatureType": {"possession_knowledge"}, "maxFailureCount": {"3"}, "expiration": {"120"}})
	tpl, err := r.Store.GetOperationTemplateByName(ctx, "login")
	if err != nil || tpl.MaxFailureCount != 3 {
		t.Fatalf("template: %+v %v", tpl, err)
	}
	if code, _ := s.post("/admin/templates", url.Values{"name": {"x"}, "maxFailureCount": {"many"}, "expiration": {"1"}}); code != http.StatusBadRequest {
		t.Fatalf("template with a bad number: %d", code)
	}
	if page := s.get("/admin/templates/" + itoa(tpl.ID)); !strings.Contains(page, `value="120"`) || !strings.Contains(page, `value="possession_knowledge" checked`) {
		t.Fatalf("edit page does not show the template:\n%s", page)
	}
	s.mustPost("/admin/templates/"+itoa(tpl.ID), url.Values{"operationType": {"login"}, "dataTemplate": {"A2*R${reason}"},
		"signatureType": {"possession", "possession_biometry"}, "maxFailureCount": {"7"}, "expiration": {"60"}})
	if tpl, err = r.Store.GetOperationTemplate(ctx, tpl.ID); err != nil || tpl.MaxFailureCount != 7 || tpl.DataTemplate != "A2*R${reason}" ||
		tpl.Expiration != time.Minute || strings.Join(tpl.SignatureTypes, ",") != "possession,possession_biometry" {
		t.Fatalf("template after update: %+v %v", tpl, err)
	}
	s.mustPost("/admin/templates/"+itoa(tpl.ID)+"/remove", url.Values{})
	if _, err := r.Store.GetOperationTemplateByName(ctx, "login"); err == nil {
		t.Fatal("template not removed")
	}

	// Integrations: the secret is shown once; remove.
	page = s.mustPost("/admin/integrations", url.Values{"name": {"backend"}})
	if !strings.Contains(page, `id="client-secret"`) || strings.Contains(s.get("/admin/integrations"), `id="client-secret"`) {
		t.Fatal("integration secret not shown exactly once")
	}
	list, _ := r.Store.ListIntegrations(ctx)
	var integID string
	for _, in := range list {
		if in.Name == "backend" {
			integID = in.ID
		}
	}
	s.mustPost("/admin/integrations/"+integID+"/remove", url.Values{})
	if _, err := r.Store.GetIntegration(ctx, integID); err == nil {
		t.Fatal("integration not removed")
	}

	// Console users: an admin creates an operator, who cannot manage users; remove.
	s.mustPost("/admin/users", url.Values{"username": {"olga"}, "password": {consolePassword}, "role": {"operator"}})
	olga := signInHTTP(t, s.base, "olga")
	if code, _ := olga.post("/admin/users", url.Values{"username": {"eve"}, "password": {consolePassword}, "role": {"admin"}}); code != http.StatusForbidden {
		t.Fatalf("operator creating a user: %d", code)
	}
	olga.mustPost("/admin/applications", url.Values{"name": {"olga-app"}})
	u, err := r.Store.GetConsoleUserByName(ctx, "olga")
	if err != nil {
		t.Fatal(err)
	}
	s.mustPost("/admin/users/"+itoa(u.ID)+"/remove", url.Values{})
	if resp, err := olga.hc.Get(olga.base + "/admin/dashboard"); err != nil || !strings.HasSuffix(resp.Request.URL.Path, "/admin/signin") {
		t.Fatalf("removed user's session still works: %v", err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
