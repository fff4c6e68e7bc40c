package fcm_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/internal/push/fcm"
	"github.com/mauth/mauth/internal/push/provider"
	"github.com/mauth/mauth/internal/push/pushtest"
)

const (
	project = "mauth-bank"
	token   = "fcm-token:APA91bHun4MxP5egoKMwt2KZFBaFUH-1RYqx"
)

var t0 = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)

type rig struct {
	client *fcm.Client
	fake   *pushtest.FCM
	clock  *pushtest.Clock
}

func newRig(t *testing.T, mod ...func(*fcm.Config)) rig {
	t.Helper()
	clock := pushtest.NewClock(t0)
	fake := pushtest.NewFCM(t, project)
	fake.SetClock(clock.Now)
	cfg := fcm.Config{ServiceAccountJSON: fake.ServiceAccountJSON(), BaseURL: fake.URL(), HTTPClient: fake.Client(), Now: clock.Now}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := fcm.New(cfg)
	require.NoError(t, err)
	return rig{client: c, fake: fake, clock: clock}
}

func send(t *testing.T, c *fcm.Client, m provider.Message) provider.Result {
	t.Helper()
	res, err := c.Send(context.Background(), provider.Target{Token: token}, m)
	require.NoError(t, err)
	return res
}

// TestFCMOutcomes: every answer class of FCM maps to its outcome.
func TestFCMOutcomes(t *testing.T) {
	retryAt := t0.Add(45 * time.Second).UTC().Format(http.TimeFormat)
	cases := []struct {
		name       string
		answer     *pushtest.FCMResponse
		want       provider.Outcome
		reason     string
		retryAfter time.Duration
	}{
		{name: "delivered", want: provider.Delivered},
		{name: "UNREGISTERED", answer: &pushtest.FCMResponse{Status: 404, ErrorStatus: "NOT_FOUND", ErrorCode: "UNREGISTERED"}, want: provider.InvalidToken, reason: "UNREGISTERED"},
		{name: "INVALID_ARGUMENT", answer: &pushtest.FCMResponse{Status: 400, ErrorStatus: "INVALID_ARGUMENT", ErrorCode: "INVALID_ARGUMENT"}, want: provider.InvalidToken, reason: "INVALID_ARGUMENT"},
		{name: "INVALID_ARGUMENT status only", answer: &pushtest.FCMResponse{Status: 400, ErrorStatus: "INVALID_ARGUMENT"}, want: provider.InvalidToken, reason: "INVALID_ARGUMENT"},
		{name: "UNAVAILABLE Retry-After seconds", answer: &pushtest.FCMResponse{Status: 503, ErrorStatus: "UNAVAILABLE", ErrorCode: "UNAVAILABLE", RetryAfter: "30"}, want: provider.Transient, reason: "UNAVAILABLE", retryAfter: 30 * time.Second},
		{name: "INTERNAL", answer: &pushtest.FCMResponse{Status: 500, ErrorStatus: "INTERNAL", ErrorCode: "INTERNAL"}, want: provider.Transient, reason: "INTERNAL"},
		{name: "QUOTA_EXCEEDED Retry-After date", answer: &pushtest.FCMResponse{Status: 429, ErrorStatus: "RESOURCE_EXHAUSTED", ErrorCode: "QUOTA_EXCEEDED", RetryAfter: retryAt}, want: provider.Transient, reason: "QUOTA_EXCEEDED", retryAfter: 45 * time.Second},
		{name: "bare 502", answer: &pushtest.FCMResponse{Status: 502}, want: provider.Transient, reason: "Bad Gateway"},
		{name: "SENDER_ID_MISMATCH", answer: &pushtest.FCMResponse{Status: 403, ErrorStatus: "PERMISSION_DENIED", ErrorCode: "SENDER_ID_MISMATCH"}, want: provider.Failed, reason: "SENDER_ID_MISMATCH"},
		{name: "THIRD_PARTY_AUTH_ERROR", answer: &pushtest.FCMResponse{Status: 403, ErrorStatus: "PERMISSION_DENIED", ErrorCode: "THIRD_PARTY_AUTH_ERROR"}, want: provider.Failed, reason: "THIRD_PARTY_AUTH_ERROR"},
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
				require.True(t, strings.HasPrefix(res.ID, "projects/"+project+"/messages/"), res.ID)
			}
			require.Len(t, r.fake.Received(), 1)
			require.Empty(t, r.fake.Rejections())
		})
	}
}

// TestFCMMapping checks the messages:send body field by field (§4.2).
func TestFCMMapping(t *testing.T) {
	badge := 2
	cases := []struct {
		name     string
		dataOnly bool
		msg      provider.Message
		want     string
	}{
		{
			name: "notification with every field",
			msg: provider.Message{
				Title: "Payment", TitleLocKey: "T_KEY", TitleLocArgs: []string{"a1", "a2"},
				Body: "Approve", BodyLocKey: "B_KEY", BodyLocArgs: []string{"b1"},
				Badge: &badge, Sound: "default", Icon: "ic_mtoken", Category: "OPERATION",
				CollapseKey: "op-42", ValidUntil: t0.Add(90 * time.Minute),
				Extras: map[string]any{"messageType": "mtoken.operationInit", "operationId": "op-42", "n": 5, "obj": map[string]any{"k": true}},
			},
			want: `{"message":{"token":"` + token + `","data":{"messageType":"mtoken.operationInit","operationId":"op-42","n":"5","obj":"{\"k\":true}"},
				"android":{"priority":"HIGH","collapse_key":"op-42","ttl":"5400s","notification":{"title":"Payment","title_loc_key":"T_KEY",
				"title_loc_args":["a1","a2"],"body":"Approve","body_loc_key":"B_KEY","body_loc_args":["b1"],"icon":"ic_mtoken",
				"sound":"default","tag":"OPERATION","notification_count":2}}}}`,
		},
		{
			name: "normal priority, past validUntil",
			msg:  provider.Message{Body: "b", Priority: provider.PriorityNormal, ValidUntil: t0.Add(-time.Minute)},
			want: `{"message":{"token":"` + token + `","android":{"priority":"NORMAL","ttl":"0s","notification":{"body":"b"}}}}`,
		},
		{
			name: "silent is data-only",
			msg:  provider.Message{Silent: true, Title: "hidden", Extras: map[string]any{"messageType": "mtoken.operationFinished"}},
			want: `{"message":{"token":"` + token + `","data":{"messageType":"mtoken.operationFinished"},"android":{"priority":"HIGH"}}}`,
		},
		{
			name:     "dataNotificationOnly",
			dataOnly: true,
			msg:      provider.Message{Title: "hidden", Extras: map[string]any{"a": "b"}},
			want:     `{"message":{"token":"` + token + `","data":{"a":"b"},"android":{"priority":"HIGH"}}}`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, func(c *fcm.Config) { c.DataOnly = tc.dataOnly })
			require.Equal(t, provider.Delivered, send(t, r.client, tc.msg).Outcome, "%v", r.fake.Rejections())
			got := r.fake.Received()
			require.Len(t, got, 1)
			require.Equal(t, "/v1/projects/"+project+"/messages:send", got[0].Path)
			require.JSONEq(t, tc.want, string(got[0].Body))
			require.True(t, strings.HasPrefix(got[0].Header.Get("Authorization"), "Bearer ya29."))
			require.Empty(t, r.fake.Rejections())
		})
	}
}

// TestFCMAccessTokenCached: one token serves until 5 minutes before it
// expires; then exactly one new grant.
func TestFCMAccessTokenCached(t *testing.T) {
	r := newRig(t)
	for range 5 {
		require.Equal(t, provider.Delivered, send(t, r.client, provider.Message{Body: "x"}).Outcome)
	}
	require.Equal(t, 1, r.fake.TokenRequests())
	r.clock.Advance(54*time.Minute + 59*time.Second)
	require.Equal(t, provider.Delivered, send(t, r.client, provider.Message{Body: "x"}).Outcome)
	require.Equal(t, 1, r.fake.TokenRequests())
	r.clock.Advance(time.Second)
	for range 3 {
		require.Equal(t, provider.Delivered, send(t, r.client, provider.Message{Body: "x"}).Outcome)
	}
	require.Equal(t, 2, r.fake.TokenRequests())
	require.Empty(t, r.fake.Rejections())
}

// TestFCMRevokedTokenRefetchedOnce: a 401 drops the cached token; the
// message is sent again with a new one.
func TestFCMRevokedTokenRefetchedOnce(t *testing.T) {
	r := newRig(t)
	require.Equal(t, provider.Delivered, send(t, r.client, provider.Message{Body: "x"}).Outcome)
	r.fake.RevokeTokens()
	res := send(t, r.client, provider.Message{Body: "y"})
	require.Equal(t, provider.Delivered, res.Outcome, "%+v", res)
	require.Equal(t, 2, r.fake.TokenRequests())
	require.Len(t, r.fake.Received(), 2)
}

// TestFCMTokenEndpointRefusesForeignKey: the fake verifies the grant's
// RS256 signature with the service account's public key.
func TestFCMTokenEndpointRefusesForeignKey(t *testing.T) {
	r := newRig(t)
	var sa map[string]string
	require.NoError(t, json.Unmarshal(r.fake.ServiceAccountJSON(), &sa))
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	der, _ := x509.MarshalPKCS8PrivateKey(other)
	sa["private_key"] = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	b, _ := json.Marshal(sa)
	c, err := fcm.New(fcm.Config{ServiceAccountJSON: b, BaseURL: r.fake.URL(), HTTPClient: r.fake.Client(), Now: r.clock.Now})
	require.NoError(t, err)
	res := send(t, c, provider.Message{Body: "x"})
	require.Equal(t, provider.Failed, res.Outcome)
	require.Equal(t, "access token refused: invalid_grant", res.Reason)
	require.Equal(t, http.StatusBadRequest, res.StatusCode)
	require.Len(t, r.fake.Rejections(), 1)
	require.Contains(t, r.fake.Rejections()[0], "bad signature")
	require.Empty(t, r.fake.Received())
}

// TestFCMTokenEndpointDown: no token is a transient failure.
func TestFCMTokenEndpointDown(t *testing.T) {
	r := newRig(t, func(c *fcm.Config) { c.TokenURL = "https://127.0.0.1:1/token" })
	res := send(t, r.client, provider.Message{Body: "x"})
	require.Equal(t, provider.Transient, res.Outcome, "%+v", res)
	require.Empty(t, r.fake.Received())
}

// TestFCMBadCredentials: a bad service-account JSON is refused when the
// client is built, naming the problem and not the key.
func TestFCMBadCredentials(t *testing.T) {
	fake := pushtest.NewFCM(t, project)
	var good map[string]string
	require.NoError(t, json.Unmarshal(fake.ServiceAccountJSON(), &good))
	with := func(k, v string) []byte {
		m := map[string]string{}
		for a, b := range good {
			m[a] = b
		}
		if v == "-" {
			delete(m, k)
		} else {
			m[k] = v
		}
		b, _ := json.Marshal(m)
		return b
	}
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDer, _ := x509.MarshalPKCS8PrivateKey(ec)
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	smallDer := x509.MarshalPKCS1PrivateKey(small)
	cases := []struct {
		name    string
		json    []byte
		project string
		problem string
	}{
		{"empty", nil, "", "is empty"},
		{"not JSON", []byte("-----BEGIN PRIVATE KEY-----"), "", "not valid JSON"},
		{"wrong type", with("type", "authorized_user"), "", `type "authorized_user"`},
		{"no client_email", with("client_email", "-"), "", "no client_email"},
		{"no private_key", with("private_key", "-"), "", "no private_key"},
		{"key not PEM", with("private_key", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"), "", "not PEM"},
		{"EC key", with("private_key", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDer}))), "", "not an RSA key"},
		{"short RSA key", with("private_key", string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: smallDer}))), "", "shorter than 2048 bits"},
		{"no project", with("project_id", "-"), "", "no project id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := fcm.New(fcm.Config{ServiceAccountJSON: tc.json, ProjectID: tc.project})
			var ce *provider.CredentialError
			require.ErrorAs(t, err, &ce)
			require.Equal(t, "fcm", ce.Provider)
			require.Contains(t, err.Error(), tc.problem)
			require.NotContains(t, err.Error(), "MII")
		})
	}
	// A configured project id replaces a missing project_id.
	_, err := fcm.New(fcm.Config{ServiceAccountJSON: with("project_id", "-"), ProjectID: project})
	require.NoError(t, err)
}

// TestFCMOversizePayload: a payload over 4 KB is refused before sending.
func TestFCMOversizePayload(t *testing.T) {
	r := newRig(t)
	res, err := r.client.Send(context.Background(), provider.Target{Token: token},
		provider.Message{Body: "x", Extras: map[string]any{"blob": strings.Repeat("a", fcm.MaxPayloadSize)}})
	require.ErrorIs(t, err, provider.ErrPayloadTooLarge)
	require.Equal(t, provider.Failed, res.Outcome)
	require.Empty(t, r.fake.Received())
	require.Equal(t, 0, r.fake.TokenRequests())
}

// TestFCMTransportFailureIsTransient: no answer from FCM is worth a retry.
func TestFCMTransportFailureIsTransient(t *testing.T) {
	r := newRig(t, func(c *fcm.Config) { c.BaseURL = "https://127.0.0.1:1" })
	res := send(t, r.client, provider.Message{Body: "x"})
	require.Equal(t, provider.Transient, res.Outcome, "%+v", res)
	require.Equal(t, 0, res.StatusCode)
	require.Equal(t, 1, r.fake.TokenRequests())
}
