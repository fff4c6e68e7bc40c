package app

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mauth/mauth/client"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/testutil/browsertest"
	"github.com/mauth/mauth/internal/testutil/pgtest"
)

// consolePassword is the password of the console users of these tests.
const consolePassword = "correct horse battery"

// screenshotsEnv names the variable that makes the browser tests write the
// screenshots of docs/admin/ (off in CI, so a run does not dirty the tree).
const screenshotsEnv = "MAUTH_UPDATE_SCREENSHOTS"

// consoleApp starts an all-in-one server on a backend with a console
// admin "root" and returns it with the console's base URL.
func consoleApp(t *testing.T, backend string) (*running, string) {
	t.Helper()
	c := testConfig(t, RoleAll)
	c.Console.PasswordMemoryKiB = 1024 // fast Argon2id for tests
	if backend == "postgres" {
		c.DatabaseURL = pgtest.NewDatabase(t)
		c.ServerKey = base64.StdEncoding.EncodeToString(secretbox.GenerateKey())
	}
	r := start(t, c)
	if _, err := r.Console.CreateUser(context.Background(), "test", "root", consolePassword, domain.ConsoleRoleAdmin); err != nil {
		t.Fatal(err)
	}
	return r, "http://" + r.PrivateAddr().String()
}

// browser drives one console session in headless Chromium.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
	shot bool
}

func newBrowser(t *testing.T, base string, screenshots bool) *browser {
	return &browser{t: t, ctx: browsertest.New(t), base: base, shot: screenshots && os.Getenv(screenshotsEnv) == "1"}
}

// do runs steps, failing the test on an error.
func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatal(err)
	}
}

// text returns the text content of the first element matching sel,
// waiting for it to exist. It reads through the page's script context
// rather than DOM node ids, which a navigation started by a form (not by
// chromedp) can invalidate between finding a node and reading it.
func (b *browser) text(sel string) string {
	b.t.Helper()
	expr := `(() => { const e = document.querySelector(` + jsString(sel) + `); return e ? e.textContent.trim() || " " : null; })()`
	deadline := time.Now().Add(5 * time.Minute)
	for {
		v, err := chromedp.Run(b.ctx, chromedp.Poll[string](expr, chromedp.WithPollingTimeout(time.Until(deadline))))
		if err == nil {
			return strings.TrimSpace(v)
		}
		if time.Now().After(deadline) || b.ctx.Err() != nil {
			b.t.Fatalf("text of %s: %v", sel, err)
		}
	}
}

// waitText waits until the element's text is want. The page may reload
// meanwhile (the activation page polls for the phone and reloads), which
// interrupts a poll; the wait then polls the new page.
func (b *browser) waitText(sel, want string) {
	b.t.Helper()
	expr := `(() => { const e = document.querySelector(` + jsString(sel) + `); return !!e && e.textContent.trim() === ` + jsString(want) + `; })()`
	deadline := time.Now().Add(5 * time.Minute)
	for {
		_, err := chromedp.Run(b.ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(time.Until(deadline))))
		if err == nil {
			return
		}
		if time.Now().After(deadline) || b.ctx.Err() != nil {
			b.t.Fatalf("waiting for %s to read %q: %v", sel, want, err)
		}
	}
}

func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// open navigates to a console path.
func (b *browser) open(path string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.base + path))
}

// screenshot writes docs/admin/<name>.png when screenshots are on.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	if !b.shot {
		return
	}
	// A form's redirect may still be loading: shoot the loaded page.
	b.waitStable(`document.readyState === "complete" && document.body !== null && document.body.scrollWidth > 0`)
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatal(err)
	}
	dir := filepath.Join("..", "..", "docs", "admin")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// signIn signs in through the sign-in form.
func (b *browser) signIn(user, password string) {
	b.t.Helper()
	b.open("/admin/")
	b.do(chromedp.WaitVisible("#signin-form"))
	b.screenshot("signin")
	b.do(chromedp.SendKeys("#username", user), chromedp.SendKeys("#password", password),
		chromedp.Click("#signin"), chromedp.WaitVisible("#whoami"))
}

// TestConsoleOperatorFlow runs the operator's whole flow in a browser on
// both backends: sign in, create an application, start an activation whose
// QR string the Go device client uses, commit it, block it (the device's
// signature is refused), unblock it (it signs again), and create and
// cancel an operation.
func TestConsoleOperatorFlow(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			r, base := consoleApp(t, backend)
			ctx := context.Background()
			b := newBrowser(t, base, backend == "sqlite")
			b.signIn("root", consolePassword)
			if got := b.text("#whoami"); !strings.Contains(got, "root") {
				t.Fatalf("whoami = %q", got)
			}

			// Create an application.
			b.open("/admin/applications")
			b.do(chromedp.SendKeys("#application-name", "mobile-banking"), chromedp.Submit("#create-application"),
				chromedp.WaitVisible("#versions"))
			b.screenshot("application")
			sdkConfig := b.text(".sdk-config")

			// An operation template for later.
			b.open("/admin/templates")
			b.do(chromedp.SendKeys("#template-name", "payment"), chromedp.SendKeys("#template-type", "authorize_payment"),
				chromedp.SendKeys("#template-data", "A1*A${amount}${currency}"), chromedp.Submit("#create-template"),
				chromedp.WaitVisible("#templates"))
			b.screenshot("templates")

			// New activation: the page shows the QR code and waits for the phone.
			b.open("/admin/activations/new")
			b.do(chromedp.SendKeys("#new-activation-user", "alice"), chromedp.Click("#new-activation-submit"),
				chromedp.WaitVisible("#activation-qr-image"))
			b.waitText("#activation-status", "CREATED")
			b.screenshot("activation-new")
			qr := b.text("#activation-qr")
			activationID := b.text("#activation-id")

			// The phone scans the QR string.
			cfg := client.Config{BaseURL: "http://" + r.PublicAddr().String(), HTTPClient: &http.Client{Timeout: testTimeout}}
			if err := cfg.FromSDKConfig(sdkConfig); err != nil {
				t.Fatal(err)
			}
			phone, err := client.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			res, err := phone.ActivateWithCode(ctx, qr, "1234", client.ActivationOptions{Name: "Alice's phone", Platform: "android", DeviceInfo: "Pixel 9"})
			if err != nil {
				t.Fatalf("activate from the QR string: %v", err)
			}
			if res.Device.ActivationID != activationID {
				t.Fatalf("the phone activated %s, the page shows %s", res.Device.ActivationID, activationID)
			}
			// The page refreshes by itself when the phone has scanned it.
			b.waitText("#activation-status", "PENDING_COMMIT")
			b.do(chromedp.Click("#commit"))
			b.waitText("#activation-status", "ACTIVE")
			b.screenshot("activation")
			sign := func() error {
				return phone.ValidateSignature(ctx, res.Device, client.PossessionKnowledge("1234"), []byte("payload"))
			}
			if err := sign(); err != nil {
				t.Fatalf("signature of the active device: %v", err)
			}

			// Block with a reason: the device's next signature is refused.
			b.do(chromedp.SendKeys("#block-reason", "LOST_PHONE"), chromedp.Click("#block"))
			b.waitText("#activation-status", "BLOCKED")
			if got := b.text("#blocked-reason"); got != "LOST_PHONE" {
				t.Fatalf("blocked reason = %q", got)
			}
			if err := sign(); err == nil {
				t.Fatal("a blocked device's signature was accepted")
			}
			b.do(chromedp.Click("#unblock"))
			b.waitText("#activation-status", "ACTIVE")
			if err := sign(); err != nil {
				t.Fatalf("signature after unblock: %v", err)
			}

			// An operation for the user appears in the list; cancel it.
			b.open("/admin/operations?userId=alice")
			b.do(chromedp.SendKeys("#operation-params", "amount=100\ncurrency=EUR"), chromedp.Click("#create-operation-submit"))
			b.waitText("#operation-status", "PENDING")
			opID := b.text("#operation-id")
			if got := b.text("#operation-data"); got != "A1*A100EUR" {
				t.Fatalf("operation data = %q", got)
			}
			b.open("/admin/operations?userId=alice")
			b.do(chromedp.WaitVisible("#operations"))
			if list := b.text("#operations"); !strings.Contains(list, "payment") || !strings.Contains(list, "PENDING") {
				t.Fatalf("operations list: %q", list)
			}
			b.screenshot("operations")
			b.open("/admin/operations/" + opID)
			// Accept the confirmation the page asks for.
			b.do(chromedp.Evaluate[chromedp.Void]("window.confirm = () => true; undefined"), chromedp.Click("#cancel-operation"))
			b.waitText("#operation-status", "CANCELED")
			b.screenshot("operation")

			// The pages the operator also uses render.
			b.open("/admin/dashboard")
			b.do(chromedp.WaitVisible("#activation-counts"))
			if got := b.text("#activation-counts"); !strings.Contains(got, "ACTIVE1") {
				t.Fatalf("dashboard activation counts: %q", got)
			}
			b.screenshot("dashboard")
			b.open("/admin/activations?userId=alice")
			b.do(chromedp.WaitVisible("#activations"))
			b.screenshot("activations")
			b.open("/admin/applications")
			b.do(chromedp.WaitVisible("#applications"))
			b.screenshot("applications")
			b.open("/admin/integrations")
			b.do(chromedp.SendKeys("#integration-name", "core-banking"), chromedp.Submit("#create-integration"),
				chromedp.WaitVisible("#integration-created"))
			if secret := b.text("#client-secret"); len(secret) < 16 {
				t.Fatalf("integration secret shown: %q", secret)
			}
			b.screenshot("integrations")
			b.open("/admin/users")
			b.do(chromedp.WaitVisible("#users"))
			b.screenshot("users")
			b.open("/admin/push")
			b.do(chromedp.WaitVisible("#push-state")) // its screenshot: TestConsoleBrowserPushAndPreview

			// Every action is in the audit log with the console user as the actor.
			b.open("/admin/audit?actor=console:root")
			b.do(chromedp.WaitVisible("#audit"))
			b.screenshot("audit")
			log := b.text("#audit")
			for _, action := range []string{"APPLICATION_CREATED", "TEMPLATE_CREATED", "ACTIVATION_INITIATED", "ACTIVATION_COMMIT",
				"ACTIVATION_BLOCK", "ACTIVATION_UNBLOCK", "OPERATION_CREATED", "OPERATION_CANCELED", "INTEGRATION_CREATED", "CONSOLE_SIGNED_IN"} {
				if !strings.Contains(log, "action="+action) {
					t.Errorf("audit log lacks %s:\n%s", action, log)
				}
			}
			// The core's own records name the console user too.
			hist, err := r.Store.ListActivationHistory(ctx, activationID, time.Time{}, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			var blockedBy string
			for _, h := range hist {
				if h.Status == domain.ActivationBlocked {
					blockedBy = h.ExternalUserID
				}
			}
			if blockedBy != "console:root" {
				t.Fatalf("activation history names %q as the one who blocked, want console:root", blockedBy)
			}

			// Phone-sized window: the dashboard still renders its figures.
			b.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(base+"/admin/dashboard"),
				chromedp.WaitVisible("#activation-counts"))
			b.screenshot("dashboard-phone")
		})
	}
}

// TestConsoleEscapesUserInput puts script payloads into a user id, an
// activation name and a template text and shows they render as text and
// run nothing.
func TestConsoleEscapesUserInput(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			r, base := consoleApp(t, backend)
			ctx := context.Background()
			const (
				script = `<script>window.__injected = "script"</script>`
				img    = `"><img src=x onerror="window.__injected='img'">`
			)
			b := newBrowser(t, base, false)
			b.signIn("root", consolePassword)
			b.open("/admin/applications")
			b.do(chromedp.SendKeys("#application-name", "app"), chromedp.Submit("#create-application"), chromedp.WaitVisible("#versions"))
			sdkConfig := b.text(".sdk-config")

			b.open("/admin/activations/new")
			b.do(chromedp.SetValue("#new-activation-user", script+img), chromedp.Click("#new-activation-submit"),
				chromedp.WaitVisible("#activation-qr-image"))
			qr := b.text("#activation-qr")
			cfg := client.Config{BaseURL: "http://" + r.PublicAddr().String(), HTTPClient: &http.Client{Timeout: testTimeout}}
			if err := cfg.FromSDKConfig(sdkConfig); err != nil {
				t.Fatal(err)
			}
			phone, err := client.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := phone.ActivateWithCode(ctx, qr, "1234", client.ActivationOptions{Name: img + script, DeviceInfo: script}); err != nil {
				t.Fatal(err)
			}
			b.waitText("#activation-status", "PENDING_COMMIT")
			if got := b.text("#activation-user"); got != script+img {
				t.Fatalf("user id rendered as %q", got)
			}
			if got := b.text("#activation-name"); got != img+script {
				t.Fatalf("activation name rendered as %q", got)
			}
			b.assertNothingRan()
			b.open("/admin/activations")
			b.do(chromedp.WaitVisible("#activations"))
			b.assertNothingRan()
			b.open("/admin/audit")
			b.do(chromedp.WaitVisible("#audit"))
			b.assertNothingRan()

			b.open("/admin/templates")
			b.do(chromedp.SetValue("#template-name", "t"+img), chromedp.SendKeys("#template-type", "login"),
				chromedp.SetValue("#template-data", "A2*"+script), chromedp.Submit("#create-template"), chromedp.WaitVisible("#templates"))
			if got := b.text("#templates"); !strings.Contains(got, "t"+img) || !strings.Contains(got, "A2*"+script) {
				t.Fatalf("templates rendered as %q", got)
			}
			b.assertNothingRan()
			// The edit page puts the texts into a heading and input values.
			href, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector("#templates a").getAttribute("href")`))
			if err != nil {
				t.Fatal(err)
			}
			b.open(href)
			if got := b.text("#template-title"); got != "t"+img {
				t.Fatalf("template title rendered as %q", got)
			}
			if got, err := chromedp.Run(b.ctx, chromedp.Value("#edit-template-data")); err != nil || got != "A2*"+script {
				t.Fatalf("template data field holds %q (%v)", got, err)
			}
			b.assertNothingRan()
		})
	}
}

// assertNothingRan fails when an injected payload ran in the page.
func (b *browser) assertNothingRan() {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`String(window.__injected)`))
	if err != nil {
		b.t.Fatal(err)
	}
	if v != "undefined" {
		b.t.Fatalf("injected code ran: window.__injected = %q", v)
	}
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll("script:not([src]), img[onerror]").length`))
	if err != nil {
		b.t.Fatal(err)
	}
	if n != 0 {
		b.t.Fatalf("the page holds %d injected elements", n)
	}
}

// TestConsoleSessionSecurity checks CSRF, sign-out, cross-origin requests
// and that the console is absent from the public listener.
func TestConsoleSessionSecurity(t *testing.T) {
	r, base := consoleApp(t, "sqlite")
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: testTimeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(path string, form url.Values, hdr map[string]string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	get := func(path string) *http.Response {
		t.Helper()
		resp, err := hc.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}

	resp := post("/admin/signin", url.Values{"username": {"root"}, "password": {"wrong password!!"}}, nil)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", resp.StatusCode)
	}
	resp = post("/admin/signin", url.Values{"username": {"root"}, "password": {consolePassword}}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", resp.StatusCode)
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "mauth_console" {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Secure {
		t.Fatalf("session cookie %+v (plain HTTP: not Secure)", cookie)
	}
	page := get("/admin/dashboard")
	if page.StatusCode != http.StatusOK {
		t.Fatalf("dashboard: %d", page.StatusCode)
	}
	for k, want := range map[string]string{"X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"} {
		if got := page.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if csp := page.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}

	// The CSRF token of the session, as the page's forms carry it.
	token := r.consoleCSRF(t, cookie.Value)
	app := url.Values{"name": {"csrf-app"}}
	if resp := post("/admin/applications", app, nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("POST without a CSRF token: %d, want 403", resp.StatusCode)
	}
	app.Set("csrf", "wrong"+token)
	if resp := post("/admin/applications", app, nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("POST with a wrong CSRF token: %d, want 403", resp.StatusCode)
	}
	app.Set("csrf", token)
	if resp := post("/admin/applications", app, map[string]string{"Sec-Fetch-Site": "cross-site"}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site POST with the token: %d, want 403", resp.StatusCode)
	}
	if _, err := r.Store.GetApplicationByName(context.Background(), "csrf-app"); err == nil {
		t.Fatal("a refused POST created the application")
	}
	if resp := post("/admin/applications", app, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST with the token: %d, want 303", resp.StatusCode)
	}

	// The audit log's CSV export holds the change just made, by its actor.
	csvResp, err := hc.Get(base + "/admin/audit.csv?actor=console:root")
	if err != nil {
		t.Fatal(err)
	}
	csvBody, _ := io.ReadAll(csvResp.Body)
	csvResp.Body.Close()
	if csvResp.StatusCode != http.StatusOK || csvResp.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
		!strings.HasPrefix(string(csvBody), "id,time,type,actor,") || !strings.Contains(string(csvBody), "action=APPLICATION_CREATED") {
		t.Fatalf("audit CSV: %d %s\n%s", csvResp.StatusCode, csvResp.Header.Get("Content-Type"), csvBody)
	}

	// A read-only user reads but changes nothing, even with its token.
	if _, err := r.Console.CreateUser(context.Background(), "test", "viewer", consolePassword, domain.ConsoleRoleReadOnly); err != nil {
		t.Fatal(err)
	}
	viewerID, viewer, err := r.Console.SignIn(context.Background(), "viewer", consolePassword)
	if err != nil {
		t.Fatal(err)
	}
	ro := &http.Client{Timeout: testTimeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range []struct {
		method, path string
		want         int
	}{{http.MethodGet, "/admin/applications", http.StatusOK}, {http.MethodPost, "/admin/applications", http.StatusForbidden},
		{http.MethodPost, "/admin/users", http.StatusForbidden}} {
		body := url.Values{"name": {"ro-app"}, "username": {"x"}, "password": {consolePassword}, "role": {"admin"}, "csrf": {viewer.CSRFToken()}}
		req, _ := http.NewRequest(tc.method, base+tc.path, strings.NewReader(body.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: "mauth_console", Value: viewerID})
		resp, err := ro.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Fatalf("read-only %s %s: %d, want %d", tc.method, tc.path, resp.StatusCode, tc.want)
		}
	}

	// Sign out: the old cookie is refused from now on.
	if resp := post("/admin/signout", url.Values{"csrf": {token}}, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out: %d", resp.StatusCode)
	}
	old := &http.Client{Timeout: testTimeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest(http.MethodGet, base+"/admin/dashboard", nil)
	req.AddCookie(&http.Cookie{Name: "mauth_console", Value: cookie.Value})
	resp, err = old.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/signin" {
		t.Fatalf("old session after sign-out: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	req, _ = http.NewRequest(http.MethodPost, base+"/admin/applications", strings.NewReader(url.Values{"name": {"x"}, "csrf": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "mauth_console", Value: cookie.Value})
	if resp, err = old.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("POST with the old session: %d, want 403", resp.StatusCode)
	}

	// The public listener has no console.
	for _, path := range []string{"/admin/", "/admin/signin", "/admin/static/console.css"} {
		resp, err := old.Get("http://" + r.PublicAddr().String() + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("public %s: %d, want 404", path, resp.StatusCode)
		}
	}
}

// consoleCSRF returns the CSRF token of a session: the console renders it
// into every form, so it is read from a page.
func (r *running) consoleCSRF(t *testing.T, session string) string {
	t.Helper()
	p, err := r.Console.Authenticate(context.Background(), session)
	if err != nil {
		t.Fatal(err)
	}
	return p.CSRFToken()
}

// TestConsoleActivationOTP starts activations with an OTP: checked at the
// key exchange (the phone sends it) and at commit (the operator enters it;
// a wrong one is refused and the activation stays PENDING_COMMIT).
func TestConsoleActivationOTP(t *testing.T) {
	r, base := consoleApp(t, "sqlite")
	ctx := context.Background()
	b := newBrowser(t, base, false)
	b.signIn("root", consolePassword)
	b.open("/admin/applications")
	b.do(chromedp.SendKeys("#application-name", "otp-app"), chromedp.Submit("#create-application"), chromedp.WaitVisible("#versions"))
	cfg := client.Config{BaseURL: "http://" + r.PublicAddr().String(), HTTPClient: &http.Client{Timeout: testTimeout}}
	if err := cfg.FromSDKConfig(b.text(".sdk-config")); err != nil {
		t.Fatal(err)
	}
	phone, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	newActivation := func(user, phase string) string {
		b.open("/admin/activations/new")
		b.do(chromedp.SendKeys("#new-activation-user", user), chromedp.SendKeys("#new-activation-otp", "24680"),
			chromedp.Click(`input[name=otpPhase][value=`+phase+`]`), chromedp.Click("#new-activation-submit"),
			chromedp.WaitVisible("#activation-qr-image"))
		return b.text("#activation-qr")
	}

	// Key exchange: without the OTP the phone is refused; with it the
	// activation is committed at once.
	qr := newActivation("kx-user", "KEY_EXCHANGE")
	if _, err := phone.ActivateWithCode(ctx, qr, "1234", client.ActivationOptions{}); err == nil {
		t.Fatal("activation without the OTP accepted")
	}
	if _, err := phone.ActivateWithCode(ctx, qr, "1234", client.ActivationOptions{OTP: "24680"}); err != nil {
		t.Fatalf("activation with the OTP: %v", err)
	}
	b.waitText("#activation-status", "ACTIVE")

	// Commit: the operator enters the OTP; a wrong one is refused.
	qr = newActivation("commit-user", "COMMIT")
	if _, err := phone.ActivateWithCode(ctx, qr, "1234", client.ActivationOptions{}); err != nil {
		t.Fatal(err)
	}
	b.waitText("#activation-status", "PENDING_COMMIT")
	page := b.text("#activation-id")
	b.do(chromedp.SendKeys("#commit-otp", "11111"), chromedp.Click("#commit"), chromedp.WaitVisible("#error-message"))
	b.open("/admin/activations/" + page)
	b.waitText("#activation-status", "PENDING_COMMIT")
	b.do(chromedp.SendKeys("#commit-otp", "24680"), chromedp.Click("#commit"))
	b.waitText("#activation-status", "ACTIVE")
}
