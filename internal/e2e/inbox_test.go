package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/mauth/mauth/client"
	apiinbox "github.com/mauth/mauth/internal/api/inbox"
	pushinbox "github.com/mauth/mauth/internal/push/inbox"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/apicontract"
	"github.com/mauth/mauth/internal/testutil/teststore"
	"github.com/mauth/mauth/openapi"
	"github.com/mauth/mauth/protocol"
	"github.com/mauth/mauth/wire"
)

// arrival is one call of the inbox notifier.
type arrival struct{ app, user, id string }

// recordingNotifier records the inbox notifications.
type recordingNotifier struct {
	mu  sync.Mutex
	got []arrival
}

func (n *recordingNotifier) InboxMessageArrived(_ context.Context, app, user, id string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.got = append(n.got, arrival{app, user, id})
	return nil
}

func (n *recordingNotifier) arrivals() []arrival {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.got)
}

// inboxBank is the bank's side of the inbox: the push server API on its
// own server, validated against openapi/inbox.yaml, with integration
// authentication over the core (as internal/app wires it).
type inboxBank struct {
	e        *env
	url      string
	contract *apicontract.Checker
	notifier *recordingNotifier
	user     string // HTTP Basic credentials of the calls
	pass     string
}

// newInboxBank serves the push server's inbox API over st.
func newInboxBank(t *testing.T, e *env, st store.Store) *inboxBank {
	t.Helper()
	b := &inboxBank{e: e, contract: apicontract.New(t, "openapi/inbox.yaml", openapi.Inbox), notifier: &recordingNotifier{}, user: e.basicUser, pass: e.basicPass}
	svc := pushinbox.New(pushinbox.Options{Store: st, Now: e.clock.Now, Notifier: b.notifier})
	h := apiinbox.NewPrivate(apiinbox.PrivateOptions{Inbox: svc, Authenticate: func(ctx context.Context, token, secret string) (pushinbox.Scope, bool) {
		p, ok := e.svc.Authenticate(ctx, token, secret)
		return pushinbox.Scope{All: p.Admin(), ApplicationIDs: p.Applications}, ok
	}}).Handler()
	srv := httptest.NewServer(b.contract.Wrap(h))
	t.Cleanup(srv.Close)
	b.url = srv.URL
	return b
}

// as returns the bank calling with other credentials.
func (b *inboxBank) as(user, pass string) *inboxBank {
	c := *b
	c.user, c.pass = user, pass
	return &c
}

// call sends a request (a POST body is wrapped in requestObject) and
// returns the status and the decoded answer.
func (b *inboxBank) call(t *testing.T, method, path string, query url.Values, req any) (int, map[string]any) {
	t.Helper()
	var body io.Reader
	if req != nil {
		raw, err := json.Marshal(map[string]any{"requestObject": req})
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(raw)
	}
	u := b.url + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	hr, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	hr.Header.Set("Content-Type", "application/json")
	if b.user != "" {
		hr.SetBasicAuth(b.user, b.pass)
	}
	return b.e.send(t, hr)
}

// ok requires a 200 OK answer and returns it.
func (b *inboxBank) ok(t *testing.T, method, path string, query url.Values, req any) map[string]any {
	t.Helper()
	status, body := b.call(t, method, path, query, req)
	if status != http.StatusOK || body["status"] != "OK" {
		t.Fatalf("%s %s: HTTP %d %v", method, path, status, body)
	}
	return body
}

// fail requires an error answer with the status and code.
func (b *inboxBank) fail(t *testing.T, method, path string, query url.Values, req any, status int, code string) map[string]any {
	t.Helper()
	got, body := b.call(t, method, path, query, req)
	if got != status || errorCode(body) != code || body["status"] != "ERROR" {
		t.Fatalf("%s %s: got HTTP %d %v, want %d %s", method, path, got, body, status, code)
	}
	obj, _ := body["responseObject"].(map[string]any)
	return obj
}

// post posts a message and returns its detail.
func (b *inboxBank) post(t *testing.T, user, typ string, notify bool, apps ...string) map[string]any {
	t.Helper()
	b.e.clock.Advance(time.Second) // newest first: each message a second after the last
	body := b.ok(t, http.MethodPost, apiinbox.MessagesPath, nil, map[string]any{
		"userId": user, "type": typ, "subject": "Subject of " + user, "summary": "A summary for " + user,
		"body": "The body <b>of</b> the message for " + user, "applications": apps, "notify": notify,
	})
	m, _ := body["responseObject"].(map[string]any)
	return m
}

// ids lists the ids of a page of messages.
func pageIDs(t *testing.T, body map[string]any) []string {
	t.Helper()
	items, ok := body["responseObject"].([]any)
	if !ok {
		t.Fatalf("no list in %v", body)
	}
	out := []string{}
	for _, it := range items {
		m, _ := it.(map[string]any)
		id, _ := m["id"].(string)
		out = append(out, id)
	}
	return out
}

func wantIDs(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
}

func phoneIDs(ms []client.InboxMessage) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

// TestInboxEndToEnd posts messages through the push server API and reads
// them with the Go device client through the phone's inbox API, on every
// backend: scoping by user and application for devices and integrations,
// paging, read state, the optional notification and bad input.
func TestInboxEndToEnd(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		e := newEnv(t, st, InProcess)
		mountMobile(t, e, st)
		bank := newInboxBank(t, e, st)
		appA, appB := e.newApp(t, "inbox-a"), e.newApp(t, "inbox-b")
		fa, fb := &opsFixture{e: e, app: appA}, &opsFixture{e: e, app: appB}
		aliceA, _, aliceATok := fa.device(t, "alice")
		aliceB, _, aliceBTok := fb.device(t, "alice")
		bobA, _, bobATok := fa.device(t, "bob")
		ctx := context.Background()

		m1 := bank.post(t, "alice", "text", true, "inbox-a")
		m2 := bank.post(t, "alice", "HTML", false, "inbox-b", "inbox-a", "inbox-a")
		m3 := bank.post(t, "alice", "text", false, "inbox-b")
		m4 := bank.post(t, "bob", "text", false, "inbox-a")
		id := func(m map[string]any) string { s, _ := m["id"].(string); return s }

		t.Run("posted", func(t *testing.T) {
			if _, err := uuid.Parse(id(m1)); err != nil {
				t.Fatalf("id %v is no UUID", m1["id"])
			}
			if m2["type"] != "html" || m2["read"] != false || m2["timestampRead"] != nil || m2["userId"] != "alice" {
				t.Fatalf("posted: %v", m2)
			}
			if apps, _ := m2["applications"].([]any); len(apps) != 2 || apps[0] != "inbox-a" || apps[1] != "inbox-b" {
				t.Fatalf("applications %v, want [inbox-a inbox-b]", m2["applications"])
			}
			if got := bank.notifier.arrivals(); !slices.Equal(got, []arrival{{"inbox-a", "alice", id(m1)}}) {
				t.Fatalf("notifications %v: only the message posted with notify", got)
			}
			// Each post is in the audit log with the integration as the actor.
			items, _ := e.private(t, "audit/list", map[string]any{"userId": "alice"})["items"].([]any)
			posts := 0
			for _, it := range items {
				m, _ := it.(map[string]any)
				if d, _ := m["details"].(map[string]any); d["action"] == "inbox message created" {
					posts++
					if m["actor"] != "push-api:"+e.basicUser || m["type"] != "ADMIN_CHANGE" {
						t.Fatalf("audit entry %v", m)
					}
				}
			}
			if posts != 3 {
				t.Fatalf("%d audit entries of alice's posts, want 3: %v", posts, items)
			}
		})

		t.Run("phone", func(t *testing.T) {
			n, err := aliceA.InboxCount(ctx, aliceATok)
			if err != nil || n != 2 {
				t.Fatalf("count %d %v, want 2", n, err)
			}
			pg, err := aliceA.InboxList(ctx, aliceATok, 0, 0, false)
			if err != nil || pg.Page != 0 || pg.Size != 20 {
				t.Fatalf("list: %+v %v", pg, err)
			}
			wantIDs(t, "alice in A", phoneIDs(pg.ResponseObject), id(m2), id(m1))
			pg, err = aliceA.InboxList(ctx, aliceATok, 1, 1, false)
			if err != nil || pg.Page != 1 || pg.Size != 1 {
				t.Fatalf("second page: %+v %v", pg, err)
			}
			wantIDs(t, "second page of one", phoneIDs(pg.ResponseObject), id(m1))
			d, err := aliceA.InboxDetail(ctx, aliceATok, id(m1))
			if err != nil || d.Body != "The body <b>of</b> the message for alice" || d.Read || d.Type != "text" || d.TimestampCreated.IsZero() {
				t.Fatalf("detail: %+v %v", d, err)
			}

			// Another application's or user's message, an unknown id and a
			// malformed one all answer the same.
			for _, other := range []string{id(m3), id(m4), uuid.NewString(), "not-a-uuid"} {
				_, err := aliceA.InboxDetail(ctx, aliceATok, other)
				wantAPIError(t, err, http.StatusBadRequest, apiinbox.CodeInboxFailed)
				wantAPIError(t, aliceA.InboxRead(ctx, aliceATok, other), http.StatusBadRequest, apiinbox.CodeInboxFailed)
			}
			if d := bank.ok(t, http.MethodGet, apiinbox.DetailPath, url.Values{"id": {id(m4)}}, nil)["responseObject"].(map[string]any); d["read"] != false {
				t.Fatalf("bob's message was marked read by alice: %v", d)
			}

			if err := aliceA.InboxRead(ctx, aliceATok, id(m1)); err != nil {
				t.Fatalf("read: %v", err)
			}
			if err := aliceA.InboxRead(ctx, aliceATok, id(m1)); err != nil {
				t.Fatalf("read again: %v", err)
			}
			if n, err := aliceA.InboxCount(ctx, aliceATok); err != nil || n != 1 {
				t.Fatalf("count after read %d %v, want 1", n, err)
			}
			pg, err = aliceA.InboxList(ctx, aliceATok, 0, 10, true)
			if err != nil {
				t.Fatal(err)
			}
			wantIDs(t, "only unread", phoneIDs(pg.ResponseObject), id(m2))
			if err := aliceA.InboxReadAll(ctx, aliceATok); err != nil {
				t.Fatalf("read all: %v", err)
			}
			if n, err := aliceA.InboxCount(ctx, aliceATok); err != nil || n != 0 {
				t.Fatalf("count after read-all %d %v, want 0", n, err)
			}
			// m2 is shared with B and read there too; m3 is B's only.
			if n, err := aliceB.InboxCount(ctx, aliceBTok); err != nil || n != 1 {
				t.Fatalf("count in B %d %v, want 1", n, err)
			}
			if n, err := bobA.InboxCount(ctx, bobATok); err != nil || n != 1 {
				t.Fatalf("bob's count %d %v, want 1", n, err)
			}
			pg, err = bobA.InboxList(ctx, bobATok, 0, 0, false)
			if err != nil {
				t.Fatal(err)
			}
			wantIDs(t, "bob", phoneIDs(pg.ResponseObject), id(m4))
		})

		t.Run("phone-bad-input", func(t *testing.T) {
			_, err := aliceA.InboxList(ctx, aliceATok, 0, -1, false)
			wantAPIError(t, err, http.StatusBadRequest, apiinbox.CodeInvalidRequest)
			_, err = aliceA.InboxList(ctx, aliceATok, 0, pushinbox.MaxPageSize+1, false)
			wantAPIError(t, err, http.StatusBadRequest, apiinbox.CodeInvalidRequest)
			_, err = aliceA.InboxDetail(ctx, aliceATok, "")
			wantAPIError(t, err, http.StatusBadRequest, apiinbox.CodeInvalidRequest)
			hdr := map[string]string{protocol.HeaderToken: aliceA.TokenHeader(aliceATok)}
			e.publicRaw(t, http.MethodPost, wire.InboxListPath, hdr, []byte(`{"requestObject":{"page":"first"}}`)).wantError(t, http.StatusBadRequest, apiinbox.CodeInvalidRequest)
			e.publicRaw(t, http.MethodPost, wire.InboxCountPath, nil, []byte(`{}`)).wantError(t, http.StatusUnauthorized, "POWERAUTH_AUTH_FAIL")
			if r := e.publicRaw(t, http.MethodGet, wire.InboxCountPath, nil, nil); r.status != http.StatusMethodNotAllowed {
				t.Fatalf("GET count: HTTP %d", r.status)
			}
		})

		t.Run("bank", func(t *testing.T) {
			list := func(q url.Values) []string { return pageIDs(t, bank.ok(t, http.MethodGet, apiinbox.ListPath, q, nil)) }
			wantIDs(t, "every application", list(url.Values{"userId": {"alice"}}), id(m3), id(m2), id(m1))
			wantIDs(t, "application A", list(url.Values{"userId": {"alice"}, "applications": {"inbox-a"}}), id(m2), id(m1))
			wantIDs(t, "unread", list(url.Values{"userId": {"alice"}, "onlyUnread": {"true"}}), id(m3))
			wantIDs(t, "paged", list(url.Values{"userId": {"alice"}, "page": {"1"}, "size": {"2"}}), id(m1))
			pg := bank.ok(t, http.MethodGet, apiinbox.ListPath, url.Values{"userId": {"alice"}, "page": {"1"}, "size": {"2"}}, nil)
			if pg["page"] != float64(1) || pg["size"] != float64(2) {
				t.Fatalf("page fields: %v", pg)
			}
			cnt := bank.ok(t, http.MethodGet, apiinbox.CountPath, url.Values{"userId": {"alice"}, "appId": {"inbox-b"}}, nil)
			if obj := cnt["responseObject"].(map[string]any); obj["countUnread"] != float64(1) {
				t.Fatalf("count: %v", cnt)
			}
			r := bank.ok(t, http.MethodPost, apiinbox.ReadPath, nil, map[string]any{"inboxId": id(m3)})["responseObject"].(map[string]any)
			if r["read"] != true || r["timestampRead"] == nil || r["body"] == "" {
				t.Fatalf("read: %v", r)
			}
			bank.ok(t, http.MethodPost, apiinbox.ReadAllPath, nil, map[string]any{"userId": "bob", "appId": "inbox-a"})
			if n, err := bobA.InboxCount(ctx, bobATok); err != nil || n != 0 {
				t.Fatalf("bob's count after read-all %d %v", n, err)
			}
		})

		t.Run("bank-bad-input", func(t *testing.T) {
			valid := func() map[string]any {
				return map[string]any{"userId": "alice", "type": "text", "subject": "12345678", "summary": "12345678", "body": "12345678", "applications": []string{"inbox-a"}}
			}
			for _, tc := range []struct {
				name  string
				field string
				value any
			}{
				{"short subject", "subject", "1234567"},
				{"long summary", "summary", strings.Repeat("s", 256)},
				{"unknown type", "type", "pdf"},
				{"blank user", "userId", "  "},
				{"no applications", "applications", []string{}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					req := valid()
					req[tc.field] = tc.value
					obj := bank.fail(t, http.MethodPost, apiinbox.MessagesPath, nil, req, http.StatusBadRequest, apiinbox.CodeRequest)
					vs, _ := obj["violations"].([]any)
					if len(vs) != 1 || vs[0].(map[string]any)["fieldName"] != tc.field {
						t.Fatalf("violations %v, want one of %s", obj["violations"], tc.field)
					}
				})
			}
			req := valid()
			req["applications"] = []string{"inbox-a", "no-such-app"}
			bank.fail(t, http.MethodPost, apiinbox.MessagesPath, nil, req, http.StatusBadRequest, apiinbox.CodeAppNotFound)
			req["subject"] = 42
			bank.fail(t, http.MethodPost, apiinbox.MessagesPath, nil, req, http.StatusBadRequest, apiinbox.CodeRequest)
			bank.fail(t, http.MethodGet, apiinbox.DetailPath, url.Values{"id": {uuid.NewString()}}, nil, http.StatusBadRequest, apiinbox.CodeMessageNotFound)
			bank.fail(t, http.MethodPost, apiinbox.ReadPath, nil, map[string]any{"inboxId": "nope"}, http.StatusBadRequest, apiinbox.CodeMessageNotFound)
			bank.fail(t, http.MethodGet, apiinbox.ListPath, url.Values{"userId": {"alice"}, "page": {"first"}}, nil, http.StatusBadRequest, apiinbox.CodeRequest)
			bank.fail(t, http.MethodGet, apiinbox.ListPath, url.Values{"userId": {"alice"}, "size": {"100000"}}, nil, http.StatusBadRequest, apiinbox.CodeRequest)
			bank.fail(t, http.MethodGet, apiinbox.ListPath, url.Values{"userId": {"alice"}, "applications": {"no-such-app"}}, nil, http.StatusBadRequest, apiinbox.CodeAppNotFound)
			bank.fail(t, http.MethodGet, apiinbox.ListPath, url.Values{}, nil, http.StatusBadRequest, apiinbox.CodeRequest)
			bank.fail(t, http.MethodGet, apiinbox.CountPath, url.Values{"userId": {"alice"}}, nil, http.StatusBadRequest, apiinbox.CodeRequest)
			bank.fail(t, http.MethodPost, apiinbox.ReadAllPath, nil, map[string]any{"userId": "alice"}, http.StatusBadRequest, apiinbox.CodeRequest)
			bank.as("", "").fail(t, http.MethodGet, apiinbox.ListPath, url.Values{"userId": {"alice"}}, nil, http.StatusUnauthorized, apiinbox.CodeAuthentication)
			bank.as(e.basicUser, "wrong").fail(t, http.MethodPost, apiinbox.MessagesPath, nil, valid(), http.StatusUnauthorized, apiinbox.CodeAuthentication)
			if status, _ := bank.call(t, http.MethodDelete, apiinbox.MessagesPath, nil, nil); status != http.StatusMethodNotAllowed {
				t.Fatalf("DELETE: HTTP %d", status)
			}
		})

		t.Run("scoped-integration", func(t *testing.T) {
			integ, err := e.svc.CreateIntegrationWith(ctx, service.IntegrationInput{Name: "inbox-b-only", Role: "APPLICATION", Applications: []string{"inbox-b"}})
			if err != nil {
				t.Fatal(err)
			}
			scoped := bank.as(integ.ClientToken, integ.ClientSecret)
			req := map[string]any{"userId": "alice", "type": "text", "subject": "12345678", "summary": "12345678", "body": "12345678", "applications": []string{"inbox-a"}}
			scoped.fail(t, http.MethodPost, apiinbox.MessagesPath, nil, req, http.StatusBadRequest, apiinbox.CodeAppNotFound)
			req["applications"] = []string{"inbox-b"}
			e.clock.Advance(time.Second)
			m5 := scoped.ok(t, http.MethodPost, apiinbox.MessagesPath, nil, req)["responseObject"].(map[string]any)
			// A message of A only is as unknown as a missing one; one shared with B is visible.
			scoped.fail(t, http.MethodGet, apiinbox.DetailPath, url.Values{"id": {id(m1)}}, nil, http.StatusBadRequest, apiinbox.CodeMessageNotFound)
			scoped.fail(t, http.MethodPost, apiinbox.ReadPath, nil, map[string]any{"inboxId": id(m4)}, http.StatusBadRequest, apiinbox.CodeMessageNotFound)
			scoped.ok(t, http.MethodGet, apiinbox.DetailPath, url.Values{"id": {id(m2)}}, nil)
			wantIDs(t, "scoped list", pageIDs(t, scoped.ok(t, http.MethodGet, apiinbox.ListPath, url.Values{"userId": {"alice"}}, nil)), id(m5), id(m3), id(m2))
			scoped.fail(t, http.MethodGet, apiinbox.ListPath, url.Values{"userId": {"alice"}, "applications": {"inbox-a"}}, nil, http.StatusBadRequest, apiinbox.CodeAppNotFound)
			scoped.fail(t, http.MethodGet, apiinbox.CountPath, url.Values{"userId": {"bob"}, "appId": {"inbox-a"}}, nil, http.StatusBadRequest, apiinbox.CodeAppNotFound)
			scoped.fail(t, http.MethodPost, apiinbox.ReadAllPath, nil, map[string]any{"userId": "bob", "appId": "inbox-a"}, http.StatusBadRequest, apiinbox.CodeAppNotFound)
			scoped.ok(t, http.MethodPost, apiinbox.ReadAllPath, nil, map[string]any{"userId": "alice", "appId": "inbox-b"})
			if n, err := aliceB.InboxCount(ctx, aliceBTok); err != nil || n != 0 {
				t.Fatalf("count in B after read-all %d %v", n, err)
			}
		})

		if t.Failed() {
			return
		}
		if missing := bank.contract.Unexercised(); len(missing) > 0 {
			t.Errorf("operations of openapi/inbox.yaml no test exercises: %s", strings.Join(missing, ", "))
		}
	})
}

// inbox reads a posted message with every endpoint of the phone's inbox
// API (for the contract run).
func (o *opsFixture) inbox(t *testing.T, st store.Store) {
	ctx := context.Background()
	user := o.user("inbox")
	c, _, tok := o.device(t, user)
	bank := newInboxBank(t, o.e, st)
	m := bank.post(t, user, "text", false, o.app.name)
	id, _ := m["id"].(string)
	if n, err := c.InboxCount(ctx, tok); err != nil || n != 1 {
		t.Fatalf("count %d %v", n, err)
	}
	pg, err := c.InboxList(ctx, tok, 0, 5, true)
	if err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "list", phoneIDs(pg.ResponseObject), id)
	if d, err := c.InboxDetail(ctx, tok, id); err != nil || d.ID != id {
		t.Fatalf("detail %+v %v", d, err)
	}
	if err := c.InboxRead(ctx, tok, id); err != nil {
		t.Fatal(err)
	}
	if err := c.InboxReadAll(ctx, tok); err != nil {
		t.Fatal(err)
	}
	_, err = c.InboxDetail(ctx, tok, uuid.NewString())
	wantAPIError(t, err, http.StatusBadRequest, apiinbox.CodeInboxFailed)
}
