package hms_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/internal/push/hms"
	"github.com/mauth/mauth/internal/push/provider"
	"github.com/mauth/mauth/internal/push/pushtest"
)

const (
	clientID = "104412345"
	secret   = "a3f9c2d1e0b8a7f6e5d4c3b2a1f0e9d8"
	project  = "388421841221234567"
	token    = "IQAAAACy0kYkAADtDx9fLqGbBBsTHGyRzW2-hms-token"
)

var t0 = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)

type rig struct {
	client *hms.Client
	fake   *pushtest.HMS
	clock  *pushtest.Clock
}

func newRig(t *testing.T, mod ...func(*hms.Config)) rig {
	t.Helper()
	clock := pushtest.NewClock(t0)
	fake := pushtest.NewHMS(t, clientID, secret, project)
	fake.SetClock(clock.Now)
	cfg := hms.Config{ClientID: clientID, ClientSecret: secret, ProjectID: project,
		BaseURL: fake.URL(), TokenURL: fake.TokenURL(), HTTPClient: fake.Client(), Now: clock.Now}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := hms.New(cfg)
	require.NoError(t, err)
	return rig{client: c, fake: fake, clock: clock}
}

func send(t *testing.T, c *hms.Client, m provider.Message) provider.Result {
	t.Helper()
	res, err := c.Send(context.Background(), provider.Target{Token: token}, m)
	require.NoError(t, err)
	return res
}

// TestHMSOutcomes: Push Kit's result codes map to the outcome classes.
func TestHMSOutcomes(t *testing.T) {
	retryAt := t0.Add(time.Minute).UTC().Format(http.TimeFormat)
	cases := []struct {
		name       string
		answer     *pushtest.HMSResponse
		want       provider.Outcome
		reason     string
		retryAfter time.Duration
	}{
		{name: "delivered", want: provider.Delivered},
		{name: "80300007 invalid token", answer: &pushtest.HMSResponse{Code: hms.CodeInvalidToken, Msg: "All the tokens are invalid"}, want: provider.InvalidToken, reason: "80300007 All the tokens are invalid"},
		{name: "80100000 the one token failed", answer: &pushtest.HMSResponse{Code: hms.CodePartialSuccess, Msg: `{"success":0,"failure":1}`}, want: provider.InvalidToken, reason: `80100000 {"success":0,"failure":1}`},
		{name: "503 flow control Retry-After seconds", answer: &pushtest.HMSResponse{Status: 503, Code: "80100017", Msg: "flow control", RetryAfter: "10"}, want: provider.Transient, reason: "80100017 flow control", retryAfter: 10 * time.Second},
		{name: "81000001 internal error", answer: &pushtest.HMSResponse{Status: 500, Code: hms.CodeInternalError, Msg: "System inner error"}, want: provider.Transient, reason: "81000001 System inner error"},
		{name: "429 Retry-After date", answer: &pushtest.HMSResponse{Status: 429, Code: "80100017", Msg: "too many", RetryAfter: retryAt}, want: provider.Transient, reason: "80100017 too many", retryAfter: time.Minute},
		{name: "80100003 bad message", answer: &pushtest.HMSResponse{Status: 400, Code: hms.CodeBadMessage, Msg: "Illegal payload"}, want: provider.Failed, reason: "80100003 Illegal payload"},
		{name: "80300002 no permission", answer: &pushtest.HMSResponse{Status: 403, Code: hms.CodeNoPermission, Msg: "no permission"}, want: provider.Failed, reason: "80300002 no permission"},
		{name: "80300008 too large", answer: &pushtest.HMSResponse{Status: 400, Code: hms.CodeTooLarge, Msg: "too large"}, want: provider.Failed, reason: "80300008 too large"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			if tc.answer != nil {
				r.fake.RespondTo(token, *tc.answer)
			}
			res := send(t, r.client, provider.Message{Title: "t", Body: "b"})
			require.Equal(t, tc.want, res.Outcome, "%+v", res)
			require.Equal(t, tc.reason, res.Reason)
			require.Equal(t, tc.retryAfter, res.RetryAfter)
			if tc.want == provider.Delivered {
				require.NotEmpty(t, res.ID)
			}
			require.Len(t, r.fake.Received(), 1)
			require.Empty(t, r.fake.Rejections())
		})
	}
}

// TestHMSMapping checks the messages:send body field by field.
func TestHMSMapping(t *testing.T) {
	badge := 4
	cases := []struct {
		name      string
		noProject bool
		msg       provider.Message
		path      string
		want      string
	}{
		{
			name: "notification with every field",
			msg: provider.Message{
				Title: "Payment", TitleLocKey: "T_KEY", TitleLocArgs: []string{"a1"},
				Body: "Approve", BodyLocKey: "B_KEY", BodyLocArgs: []string{"b1", "b2"},
				Badge: &badge, Sound: "default", Icon: "ic_mtoken", Category: "OPERATION",
				CollapseKey: "7", ValidUntil: t0.Add(time.Hour),
				Extras: map[string]any{"messageType": "mtoken.operationInit", "operationId": "op-42"},
			},
			path: "/v2/" + project + "/messages:send",
			want: `{"validate_only":false,"message":{"token":["` + token + `"],
				"data":"{\"messageType\":\"mtoken.operationInit\",\"operationId\":\"op-42\"}",
				"android":{"urgency":"HIGH","collapse_key":7,"ttl":"3600s","notification":{"title":"Payment",
				"title_loc_key":"T_KEY","title_loc_args":["a1"],"body":"Approve","body_loc_key":"B_KEY","body_loc_args":["b1","b2"],
				"icon":"ic_mtoken","sound":"default","tag":"OPERATION","badge":{"set_num":4},"click_action":{"type":3}}}}}`,
		},
		{
			name:      "v1 path, normal priority, non-numeric collapse key left out",
			noProject: true,
			msg:       provider.Message{Body: "b", Priority: provider.PriorityNormal, CollapseKey: "thread"},
			path:      "/v1/" + clientID + "/messages:send",
			want: `{"validate_only":false,"message":{"token":["` + token + `"],
				"android":{"urgency":"NORMAL","notification":{"body":"b","click_action":{"type":3}}}}}`,
		},
		{
			name: "silent is a data message",
			msg:  provider.Message{Silent: true, Title: "hidden", Extras: map[string]any{"messageType": "mtoken.operationFinished"}},
			path: "/v2/" + project + "/messages:send",
			want: `{"validate_only":false,"message":{"token":["` + token + `"],
				"data":"{\"messageType\":\"mtoken.operationFinished\"}","android":{"urgency":"HIGH"}}}`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, func(c *hms.Config) {
				if tc.noProject {
					c.ProjectID = ""
				}
			})
			require.Equal(t, provider.Delivered, send(t, r.client, tc.msg).Outcome, "%v", r.fake.Rejections())
			got := r.fake.Received()
			require.Len(t, got, 1)
			require.Equal(t, tc.path, got[0].Path)
			require.JSONEq(t, tc.want, string(got[0].Body))
			require.Empty(t, r.fake.Rejections())
		})
	}
}

// TestHMSAccessTokenCached: one token until 5 minutes before expiry.
func TestHMSAccessTokenCached(t *testing.T) {
	r := newRig(t)
	for range 4 {
		require.Equal(t, provider.Delivered, send(t, r.client, provider.Message{Body: "x"}).Outcome)
	}
	require.Equal(t, 1, r.fake.TokenRequests())
	r.clock.Advance(55*time.Minute - time.Second)
	require.Equal(t, provider.Delivered, send(t, r.client, provider.Message{Body: "x"}).Outcome)
	require.Equal(t, 1, r.fake.TokenRequests())
	r.clock.Advance(time.Second)
	require.Equal(t, provider.Delivered, send(t, r.client, provider.Message{Body: "x"}).Outcome)
	require.Equal(t, 2, r.fake.TokenRequests())
}

// TestHMSExpiredTokenRefetchedOnce: 80200003 drops the cached token and
// the message goes out with a new one.
func TestHMSExpiredTokenRefetchedOnce(t *testing.T) {
	r := newRig(t)
	require.Equal(t, provider.Delivered, send(t, r.client, provider.Message{Body: "x"}).Outcome)
	r.fake.RevokeTokens()
	require.Equal(t, provider.Delivered, send(t, r.client, provider.Message{Body: "y"}).Outcome)
	require.Equal(t, 2, r.fake.TokenRequests())
}

// TestHMSWrongSecret: the token endpoint refuses; the message fails with
// the endpoint's answer and the secret appears nowhere.
func TestHMSWrongSecret(t *testing.T) {
	r := newRig(t, func(c *hms.Config) { c.ClientSecret = "wrong-secret-value" })
	res := send(t, r.client, provider.Message{Body: "x"})
	require.Equal(t, provider.Failed, res.Outcome)
	require.Equal(t, "access token refused: 1101", res.Reason)
	require.NotContains(t, res.Reason, "wrong-secret-value")
	require.Empty(t, r.fake.Received())
}

// TestHMSBadCredentials: empty id or secret is refused when built.
func TestHMSBadCredentials(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cfg     hms.Config
		problem string
	}{
		{"no client id", hms.Config{ClientSecret: secret}, "client id is empty"},
		{"no secret", hms.Config{ClientID: clientID}, "client secret is empty"},
		{"blank secret", hms.Config{ClientID: clientID, ClientSecret: "  "}, "client secret is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := hms.New(tc.cfg)
			var ce *provider.CredentialError
			require.ErrorAs(t, err, &ce)
			require.Equal(t, "hms", ce.Provider)
			require.Contains(t, err.Error(), tc.problem)
		})
	}
}

// TestHMSOversizePayload: a payload over 4 KB is refused before sending.
func TestHMSOversizePayload(t *testing.T) {
	r := newRig(t)
	res, err := r.client.Send(context.Background(), provider.Target{Token: token},
		provider.Message{Body: "x", Extras: map[string]any{"blob": strings.Repeat("a", hms.MaxPayloadSize)}})
	require.ErrorIs(t, err, provider.ErrPayloadTooLarge)
	require.Equal(t, provider.Failed, res.Outcome)
	require.Empty(t, r.fake.Received())
	require.Equal(t, 0, r.fake.TokenRequests())
}

// TestHMSTransportFailureIsTransient: no answer from Push Kit (or from its
// token endpoint) is worth a retry.
func TestHMSTransportFailureIsTransient(t *testing.T) {
	r := newRig(t, func(c *hms.Config) { c.BaseURL = "https://127.0.0.1:1" })
	res := send(t, r.client, provider.Message{Body: "x"})
	require.Equal(t, provider.Transient, res.Outcome, "%+v", res)
	require.Equal(t, 1, r.fake.TokenRequests())

	r = newRig(t, func(c *hms.Config) { c.TokenURL = "https://127.0.0.1:1/oauth2/v3/token" })
	res = send(t, r.client, provider.Message{Body: "x"})
	require.Equal(t, provider.Transient, res.Outcome, "%+v", res)
	require.Empty(t, r.fake.Received())
}
