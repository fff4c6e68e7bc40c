package app

import (
	"context"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/push/pushtest"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/testutil/apicontract"
	"github.com/mauth/mauth/internal/testutil/pgtest"
	"github.com/mauth/mauth/internal/testutil/testclock"
	"github.com/mauth/mauth/openapi"
)

// TestConsoleBrowserPushAndPreview drives the push page and the template
// preview in a browser on both backends: the APNs key pasted into the
// credentials form, a campaign created, users added from the textarea,
// sent live and followed by the page's script until the fake APNs got the
// message; then a template's Mobile Token preview follows the sample
// parameters typed into the edit page (script under the strict CSP).
func TestConsoleBrowserPushAndPreview(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			c := testConfig(t, RoleAll)
			c.Console.PasswordMemoryKiB = 1024
			if backend == "postgres" {
				c.DatabaseURL = pgtest.NewDatabase(t)
				c.ServerKey = base64.StdEncoding.EncodeToString(secretbox.GenerateKey())
			}
			ctx := context.Background()
			p8, pub := pushtest.NewAPNsKey(t)
			fake := pushtest.NewAPNs(t, pushtest.APNsConfig{Key: pub, KeyID: pushKeyID, TeamID: pushTeamID, Topic: pushTopic})
			clk := &testclock.Clock{}
			fake.SetClock(clk.Now)
			r := startPushApp(t, c, fake, clk, apicontract.New(t, "openapi/pushserver.yaml", openapi.PushServer))
			e := &pushEnv{running: r, fake: fake}
			e.user, e.pass = r.credentials(t)
			if _, err := r.Console.CreateUser(ctx, "test", "root", consolePassword, domain.ConsoleRoleAdmin); err != nil {
				t.Fatal(err)
			}
			dev, _ := activateDevice(t, r.admin(t), "http://"+r.PublicAddr().String(), pushApp, "3.3")

			b := newBrowser(t, "http://"+r.PrivateAddr().String(), backend == "sqlite")
			b.signIn("root", consolePassword)
			b.open("/admin/push")
			b.do(chromedp.WaitVisible("#push-state"), chromedp.Evaluate[chromedp.Void](
				`document.querySelectorAll("details").forEach(d => d.open = true); undefined`))
			b.do(chromedp.SetValue("#push-apns-key", string(p8)), chromedp.SendKeys("#push-apns-keyid", pushKeyID),
				chromedp.SendKeys("#push-apns-teamid", pushTeamID), chromedp.SendKeys("#push-apns-bundle", pushTopic),
				chromedp.Click("#push-apns-submit"))
			b.waitText("#push-app-"+pushApp+" .muted", pushTopic+" · key "+pushKeyID+" · team "+pushTeamID)
			tok := pushToken(5)
			e.ok(t, http.MethodPost, "/push/device/create", map[string]any{"requestObject": map[string]any{
				"appId": pushApp, "token": tok, "platform": "ios", "activationId": dev.ActivationID}})

			// A campaign: create, add users, send live; the page follows it.
			b.do(chromedp.SendKeys("#new-campaign-title", "Hello"), chromedp.SendKeys("#new-campaign-body", "New rates from Monday"),
				chromedp.Click("#new-campaign-submit"), chromedp.WaitVisible("#campaign-users-text"))
			b.do(chromedp.SetValue("#campaign-users-text", "alice\nbob\ncarol"), chromedp.Click("#campaign-users-submit"),
				chromedp.WaitVisible("#campaign-added"))
			if got := b.text("#campaign-added"); got != "3 users added." {
				t.Fatalf("users added: %q", got)
			}
			b.do(chromedp.Evaluate[chromedp.Void]("window.confirm = () => true; undefined"), chromedp.Click("#campaign-send"))
			b.waitText("#campaign-status", "SENT")
			b.waitText("#campaign-sent", "1")
			// The script reloads the page when the send is over: the
			// screenshot waits for the reloaded page.
			b.waitStable(`document.readyState === "complete" && !document.getElementById("campaign-live") && !!document.getElementById("campaign-sent")`)
			b.screenshot("campaign")
			waitFor(t, "the fake APNs to get the campaign", func() bool { return len(received(fake, tok)) > 0 })
			b.open("/admin/push")
			b.do(chromedp.WaitVisible("#campaigns"))
			b.screenshot("push")

			// The Mobile Token preview follows the sample parameters.
			b.open("/admin/templates")
			b.do(chromedp.SendKeys("#template-name", "pay"), chromedp.SendKeys("#template-type", "payment"),
				chromedp.SendKeys("#template-data", "A1*A${amount}${currency}"), chromedp.Submit("#create-template"),
				chromedp.WaitVisible("#templates"))
			tpl, err := r.Store.GetOperationTemplateByName(ctx, "pay")
			if err != nil {
				t.Fatal(err)
			}
			b.open("/admin/templates/" + strconv.FormatInt(tpl.ID, 10))
			b.waitText("#preview-title", "Confirm Payment")
			b.do(chromedp.SendKeys("#preview-params", "amount=1250.50\ncurrency=EUR\niban=CZ6508000000192000145399\nnote=Rent for May"))
			b.waitText("#preview-message", "Please confirm the payment of 1250.50 EUR to account CZ6508000000192000145399.")
			if got := b.text("#preview-data"); !strings.HasPrefix(got, "A1*A1250.50") {
				t.Fatalf("preview data: %q", got)
			}
			b.screenshot("template-preview")
		})
	}
}

// waitStable waits until the script expression is true on the page,
// polling again when a reload interrupts the poll.
func (b *browser) waitStable(expr string) {
	b.t.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for {
		ok, err := chromedp.Run(b.ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(time.Until(deadline))))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) || b.ctx.Err() != nil {
			b.t.Fatalf("waiting for %s: %v", expr, err)
		}
	}
}
