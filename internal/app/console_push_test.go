package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/push/pushtest"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/apicontract"
	"github.com/mauth/mauth/internal/testutil/pgtest"
	"github.com/mauth/mauth/internal/testutil/testclock"
	"github.com/mauth/mauth/openapi"
)

// postMultipart submits a multipart form (a file upload) with the
// session's CSRF token and returns the status and body after redirects.
func (c *consoleHTTP) postMultipart(path string, fields map[string]string, fileField, fileName string, file []byte) (int, string) {
	c.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fields["csrf"] = c.csrf
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	if fileField != "" {
		fw, err := mw.CreateFormFile(fileField, fileName)
		if err != nil {
			c.t.Fatal(err)
		}
		_, _ = fw.Write(file)
	}
	_ = mw.Close()
	resp, err := c.hc.Post(c.base+path, mw.FormDataContentType(), &buf)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestConsolePush drives the console's push page over HTTP on both
// backends: APNs credentials uploaded as a .p8 file (a bad key refused
// with the push server's message, the key never shown back), HMS and FCM
// refusals, a campaign created, users added from the textarea, sent live
// to a registered device (the fake APNs receives it) with the JSON
// progress endpoint and the no-JS refresh, cancel, read-only refusals and
// the audit entries with the console user as the actor.
func TestConsolePush(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			c := testConfig(t, RoleAll)
			if backend == "postgres" {
				c.DatabaseURL = pgtest.NewDatabase(t)
				c.ServerKey = base64.StdEncoding.EncodeToString(secretbox.GenerateKey())
			}
			c.Console.PasswordMemoryKiB = 1024
			runConsolePush(t, c)
		})
	}
}

func runConsolePush(t *testing.T, c Config) {
	ctx := context.Background()
	p8, pub := pushtest.NewAPNsKey(t)
	fake := pushtest.NewAPNs(t, pushtest.APNsConfig{Key: pub, KeyID: pushKeyID, TeamID: pushTeamID, Topic: pushTopic})
	clk := &testclock.Clock{}
	fake.SetClock(clk.Now)
	contract := apicontract.New(t, "openapi/pushserver.yaml", openapi.PushServer)
	r := startPushApp(t, c, fake, clk, contract)
	e := &pushEnv{running: r, fake: fake, p8: p8, clk: clk, contract: contract, cfg: c}
	e.user, e.pass = r.credentials(t)
	admin := r.admin(t)
	pubURL := "http://" + r.PublicAddr().String()
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

	// alice's phone of the application, registered for push.
	dev, _ := activateDevice(t, admin, pubURL, pushApp, "3.3")
	if page := s.get("/admin/push"); !strings.Contains(page, `id="push-app-`+pushApp+`"`) || !strings.Contains(page, `id="push-apns"`) {
		t.Fatalf("push page lacks the application or the APNs form:\n%s", page)
	}

	// A key that cannot sign is refused with the push server's reason.
	bad := []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
	apnsFields := func() map[string]string {
		return map[string]string{"application": pushApp, "keyId": pushKeyID, "teamId": pushTeamID, "bundle": pushTopic, "environment": "development"}
	}
	if code, body := s.postMultipart("/admin/push/credentials/apns", apnsFields(), "keyFile", "AuthKey.p8", bad); code != http.StatusBadRequest ||
		!strings.Contains(body, ".p8 key") {
		t.Fatalf("bad .p8 key: %d\n%s", code, body)
	}
	if code, _ := s.post("/admin/push/credentials/hms", url.Values{"application": {pushApp}, "clientId": {"1"}}); code != http.StatusBadRequest {
		t.Fatalf("HMS without a secret: %d", code)
	}
	if code, _ := s.post("/admin/push/credentials/fcm", url.Values{"application": {pushApp}, "serviceAccount": {`{"type":"service_account"}`}}); code != http.StatusBadRequest {
		t.Fatalf("FCM with an incomplete service account: %d", code)
	}
	if code, _ := s.post("/admin/push/credentials/wap", url.Values{"application": {pushApp}}); code != http.StatusNotFound {
		t.Fatalf("unknown platform: %d", code)
	}
	// A read-only user cannot set credentials; a POST without the CSRF token is refused.
	viewer := signInHTTP(t, base, "viewer")
	if code, _ := viewer.post("/admin/push/credentials/hms", url.Values{"application": {pushApp}, "clientId": {"1"}, "clientSecret": {"s"}}); code != http.StatusForbidden {
		t.Fatalf("read-only user setting credentials: %d", code)
	}
	if resp, err := s.hc.PostForm(base+"/admin/push/campaigns", url.Values{"application": {pushApp}, "title": {"x"}, "body": {"y"}}); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("campaign without CSRF token: %v %v", resp.StatusCode, err)
	}

	// The .p8 upload: stored, listed without the key.
	if code, body := s.postMultipart("/admin/push/credentials/apns", apnsFields(), "keyFile", "AuthKey.p8", p8); code != http.StatusOK {
		t.Fatalf("APNs credentials: %d\n%s", code, body)
	}
	page := s.get("/admin/push")
	if !strings.Contains(page, "key "+pushKeyID) || !strings.Contains(page, pushTopic) || strings.Contains(page, string(p8[len(p8)-60:len(p8)-40])) {
		t.Fatalf("push page after APNs credentials:\n%s", page)
	}
	tok := pushToken(3)
	e.ok(t, http.MethodPost, "/push/device/create", map[string]any{"requestObject": map[string]any{
		"appId": pushApp, "token": tok, "platform": "ios", "activationId": dev.ActivationID}})

	// A campaign: create (title escaped), users from the textarea, send live.
	page = s.mustPost("/admin/push/campaigns", url.Values{"application": {pushApp}, "title": {"<b>News</b>"}, "body": {"Rates"}})
	m := regexp.MustCompile(`action="/admin/push/campaigns/(\d+)/users"`).FindStringSubmatch(page)
	if m == nil || strings.Contains(page, "<b>News</b>") || !strings.Contains(page, "&lt;b&gt;News&lt;/b&gt;") {
		t.Fatalf("campaign page:\n%s", page)
	}
	cid := m[1]
	page = s.mustPost("/admin/push/campaigns/"+cid+"/users", url.Values{"users": {"alice\nnobody-1\r\n\nnobody-2\nalice"}})
	if !strings.Contains(page, `id="campaign-added">3 users added`) {
		t.Fatalf("users added:\n%s", page)
	}
	if code, _ := s.post("/admin/push/campaigns/"+cid+"/users", url.Values{"users": {"\n \n"}}); code != http.StatusBadRequest {
		t.Fatalf("empty user list: %d", code)
	}
	s.mustPost("/admin/push/campaigns/"+cid+"/send", url.Values{})
	status := func() map[string]any {
		var out map[string]any
		if err := json.Unmarshal([]byte(s.get("/admin/push/campaigns/"+cid+"/status")), &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	waitFor(t, "the campaign to be sent", func() bool {
		st := status()
		return st["status"] == "SENT" && st["sent"] == 1.0 && st["total"] == 1.0 && st["running"] == false && st["percent"] == 100.0
	})
	got := received(fake, tok)
	if len(got) == 0 || got[len(got)-1]["aps"].(map[string]any)["alert"].(map[string]any)["title"] != "<b>News</b>" {
		t.Fatalf("campaign message: %v", got)
	}
	page = s.get("/admin/push/campaigns/" + cid)
	if !strings.Contains(page, `id="campaign-sent">1<`) || strings.Contains(page, `id="campaign-send"`) || strings.Contains(page, "http-equiv=\"refresh\"") {
		t.Fatalf("sent campaign page:\n%s", page)
	}
	if code, _ := s.post("/admin/push/campaigns/"+cid+"/send", url.Values{}); code != http.StatusBadRequest {
		t.Fatalf("second live send: %d", code)
	}

	// A second campaign being sent shows the no-JS refresh; cancel stops it.
	page = s.mustPost("/admin/push/campaigns", url.Values{"application": {pushApp}, "title": {"Later"}, "body": {"x"}})
	cid2 := regexp.MustCompile(`action="/admin/push/campaigns/(\d+)/users"`).FindStringSubmatch(page)[1]
	if code, _ := viewer.post("/admin/push/campaigns/"+cid2+"/cancel", url.Values{}); code != http.StatusForbidden {
		t.Fatalf("read-only user cancelling: %d", code)
	}
	s.mustPost("/admin/push/campaigns/"+cid2+"/cancel", url.Values{})
	if st := s.get("/admin/push/campaigns/" + cid2 + "/status"); !strings.Contains(st, `"status":"CANCELED"`) {
		t.Fatalf("cancelled campaign: %s", st)
	}
	if code, _ := s.post("/admin/push/campaigns/999999/send", url.Values{}); code != http.StatusNotFound {
		t.Fatalf("unknown campaign: %d", code)
	}
	if page := s.get("/admin/push"); !strings.Contains(page, `href="/admin/push/campaigns/`+cid+`"`) || !strings.Contains(page, "CANCELED") {
		t.Fatalf("campaign list:\n%s", page)
	}

	// Remove the APNs credentials.
	s.mustPost("/admin/push/credentials/apns/remove", url.Values{"application": {pushApp}})
	if page := s.get("/admin/push"); strings.Contains(page, "key "+pushKeyID) {
		t.Fatal("APNs credentials still listed after remove")
	}

	// Every action is audited with the console user as the actor.
	entries, err := r.Store.ListAuditEntries(ctx, store.AuditFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"PUSH_CREDENTIALS_SET": false, "PUSH_CAMPAIGN_CREATED": false, "PUSH_CAMPAIGN_USERS_ADDED": false,
		"PUSH_CAMPAIGN_SENT": false, "PUSH_CAMPAIGN_CANCELED": false, "PUSH_CREDENTIALS_REMOVED": false, "push.apns.set": false, "push.campaign.send": false}
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
