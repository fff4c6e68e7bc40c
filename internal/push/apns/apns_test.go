package apns_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/internal/push/apns"
	"github.com/mauth/mauth/internal/push/provider"
	"github.com/mauth/mauth/internal/push/pushtest"
)

const (
	keyID  = "ABC123DEFG"
	teamID = "TEAM123456"
	topic  = "com.example.bank"
	token  = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
)

var t0 = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)

type rig struct {
	client *apns.Client
	fake   *pushtest.APNs
	clock  *pushtest.Clock
	p8     []byte
}

func newRig(t *testing.T) rig {
	t.Helper()
	p8, pub := pushtest.NewAPNsKey(t)
	clock := pushtest.NewClock(t0)
	fake := pushtest.NewAPNs(t, pushtest.APNsConfig{Key: pub, KeyID: keyID, TeamID: teamID, Topic: topic})
	fake.SetClock(clock.Now)
	c, err := apns.New(apns.Config{
		KeyP8: p8, KeyID: keyID, TeamID: teamID, Topic: topic,
		DevelopmentURL: fake.URL(), ProductionURL: fake.URL(),
		HTTPClient: fake.Client(), Now: clock.Now,
	})
	require.NoError(t, err)
	return rig{client: c, fake: fake, clock: clock, p8: p8}
}

func send(t *testing.T, c *apns.Client, tok string, m provider.Message) provider.Result {
	t.Helper()
	res, err := c.Send(context.Background(), provider.Target{Token: tok}, m)
	require.NoError(t, err)
	return res
}

// TestAPNsOutcomes: every answer class of Apple maps to its outcome.
func TestAPNsOutcomes(t *testing.T) {
	retryAt := t0.Add(90 * time.Second).UTC().Format(http.TimeFormat)
	cases := []struct {
		name       string
		answer     *pushtest.APNsResponse
		token      string
		want       provider.Outcome
		reason     string
		retryAfter time.Duration
	}{
		{name: "delivered", want: provider.Delivered},
		{name: "BadDeviceToken", answer: &pushtest.APNsResponse{Status: 400, Reason: "BadDeviceToken"}, want: provider.InvalidToken, reason: "BadDeviceToken"},
		{name: "malformed token refused by Apple", token: "not-hex", want: provider.InvalidToken, reason: "BadDeviceToken"},
		{name: "DeviceTokenNotForTopic", answer: &pushtest.APNsResponse{Status: 400, Reason: "DeviceTokenNotForTopic"}, want: provider.InvalidToken, reason: "DeviceTokenNotForTopic"},
		{name: "Unregistered 410", answer: &pushtest.APNsResponse{Status: 410, Reason: "Unregistered", Timestamp: t0.UnixMilli()}, want: provider.InvalidToken, reason: "Unregistered"},
		{name: "ExpiredToken 410", answer: &pushtest.APNsResponse{Status: 410, Reason: "ExpiredToken"}, want: provider.InvalidToken, reason: "ExpiredToken"},
		{name: "429 Retry-After seconds", answer: &pushtest.APNsResponse{Status: 429, Reason: "TooManyRequests", RetryAfter: "120"}, want: provider.Transient, reason: "TooManyRequests", retryAfter: 120 * time.Second},
		{name: "503 Retry-After date", answer: &pushtest.APNsResponse{Status: 503, Reason: "ServiceUnavailable", RetryAfter: retryAt}, want: provider.Transient, reason: "ServiceUnavailable", retryAfter: 90 * time.Second},
		{name: "500", answer: &pushtest.APNsResponse{Status: 500, Reason: "InternalServerError"}, want: provider.Transient, reason: "InternalServerError"},
		{name: "503 Shutdown", answer: &pushtest.APNsResponse{Status: 503, Reason: "Shutdown"}, want: provider.Transient, reason: "Shutdown"},
		{name: "TopicDisallowed", answer: &pushtest.APNsResponse{Status: 400, Reason: "TopicDisallowed"}, want: provider.Failed, reason: "TopicDisallowed"},
		{name: "InvalidProviderToken", answer: &pushtest.APNsResponse{Status: 403, Reason: "InvalidProviderToken"}, want: provider.Failed, reason: "InvalidProviderToken"},
		{name: "BadMessageId", answer: &pushtest.APNsResponse{Status: 400, Reason: "BadMessageId"}, want: provider.Failed, reason: "BadMessageId"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			tok := token
			if tc.token != "" {
				tok = tc.token
			}
			if tc.answer != nil {
				r.fake.RespondTo(tok, *tc.answer)
			}
			res := send(t, r.client, tok, provider.Message{Title: "t", Body: "b"})
			require.Equal(t, tc.want, res.Outcome, "result %+v", res)
			require.Equal(t, tc.reason, res.Reason)
			require.Equal(t, tc.retryAfter, res.RetryAfter)
			if tc.want == provider.Delivered {
				require.NotEmpty(t, res.ID)
				require.Equal(t, 200, res.StatusCode)
			}
			require.Empty(t, r.fake.Rejections())
		})
	}
}

// TestAPNsTransportFailureIsTransient: no answer at all is worth a retry.
func TestAPNsTransportFailureIsTransient(t *testing.T) {
	r := newRig(t)
	r.fake.Server.Close()
	res := send(t, r.client, token, provider.Message{Title: "t"})
	require.Equal(t, provider.Transient, res.Outcome)
	require.Equal(t, 0, res.StatusCode)
}

// TestAPNsMapping checks the payload and headers field by field (§4.2).
func TestAPNsMapping(t *testing.T) {
	badge := 3
	validUntil := t0.Add(2 * time.Hour)
	cases := []struct {
		name    string
		msg     provider.Message
		payload string
		headers map[string]string
	}{
		{
			name: "alert with every field",
			msg: provider.Message{
				Title: "Payment", TitleLocKey: "T_KEY", TitleLocArgs: []string{"a1", "a2"},
				Body: "Approve 100 EUR", BodyLocKey: "B_KEY", BodyLocArgs: []string{"b1"},
				Badge: &badge, Sound: "default", Icon: "ignored-on-ios", Category: "OPERATION",
				CollapseKey: "thread-7", CollapseID: "op-42", ValidUntil: validUntil,
				Extras: map[string]any{"messageType": "mtoken.operationInit", "operationId": "op-42", "n": 5},
			},
			payload: `{"aps":{"alert":{"title":"Payment","title-loc-key":"T_KEY","title-loc-args":["a1","a2"],
				"body":"Approve 100 EUR","loc-key":"B_KEY","loc-args":["b1"]},"badge":3,"sound":"default",
				"category":"OPERATION","thread-id":"thread-7"},
				"messageType":"mtoken.operationInit","operationId":"op-42","n":5}`,
			headers: map[string]string{"apns-topic": topic, "apns-push-type": "alert", "apns-priority": "10",
				"apns-expiration": "1796644800", "apns-collapse-id": "op-42", "content-type": "application/json"},
		},
		{
			name:    "normal priority, nothing optional",
			msg:     provider.Message{Body: "hi", Priority: provider.PriorityNormal},
			payload: `{"aps":{"alert":{"body":"hi"}}}`,
			headers: map[string]string{"apns-topic": topic, "apns-push-type": "alert", "apns-priority": "5",
				"apns-expiration": "", "apns-collapse-id": ""},
		},
		{
			name:    "silent",
			msg:     provider.Message{Silent: true, Title: "not shown", Sound: "x", Extras: map[string]any{"messageType": "mtoken.operationFinished", "aps": "cannot override"}},
			payload: `{"aps":{"content-available":1},"messageType":"mtoken.operationFinished"}`,
			headers: map[string]string{"apns-topic": topic, "apns-push-type": "background", "apns-priority": "5"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			res := send(t, r.client, token, tc.msg)
			require.Equal(t, provider.Delivered, res.Outcome, "%+v %v", res, r.fake.Rejections())
			got := r.fake.Received()
			require.Len(t, got, 1)
			require.Equal(t, "/3/device/"+token, got[0].Path)
			require.JSONEq(t, tc.payload, string(got[0].Body))
			for k, v := range tc.headers {
				require.Equal(t, v, got[0].Header.Get(k), k)
			}
			require.True(t, strings.HasPrefix(got[0].Header.Get("authorization"), "bearer "))
		})
	}
}

// TestAPNsEnvironmentChoosesHost: the device's environment wins, else
// the client's default.
func TestAPNsEnvironmentChoosesHost(t *testing.T) {
	p8, pub := pushtest.NewAPNsKey(t)
	cfg := pushtest.APNsConfig{Key: pub, KeyID: keyID, TeamID: teamID, Topic: topic}
	bodies := func(f *pushtest.APNs) (out []string) {
		for _, r := range f.Received() {
			var p struct {
				Aps struct {
					Alert struct{ Body string } `json:"alert"`
				} `json:"aps"`
			}
			require.NoError(t, json.Unmarshal(r.Body, &p))
			out = append(out, p.Aps.Alert.Body)
		}
		return out
	}
	for _, tc := range []struct{ defaultEnv, dev, prod []string }{
		{nil, []string{"/", "/development"}, []string{"/production"}},
		{[]string{apns.EnvironmentProduction}, []string{"production/development"}, []string{"production/", "production/production"}},
	} {
		defaultEnv := strings.Join(tc.defaultEnv, "")
		dev, prod := pushtest.NewAPNs(t, cfg), pushtest.NewAPNs(t, cfg)
		c, err := apns.New(apns.Config{KeyP8: p8, KeyID: keyID, TeamID: teamID, Topic: topic, Environment: defaultEnv,
			DevelopmentURL: dev.URL(), ProductionURL: prod.URL(), HTTPClient: dev.Client()})
		require.NoError(t, err)
		for _, env := range []string{"", apns.EnvironmentDevelopment, apns.EnvironmentProduction} {
			res, err := c.Send(context.Background(), provider.Target{Token: token, Environment: env}, provider.Message{Body: defaultEnv + "/" + env})
			require.NoError(t, err)
			require.Equal(t, provider.Delivered, res.Outcome, "%+v", res)
		}
		require.Equal(t, tc.dev, bodies(dev))
		require.Equal(t, tc.prod, bodies(prod))
	}
}

// TestAPNsProviderTokenLifetime: one JWT is reused until 50 minutes, then
// replaced; the fake verifies signature, kid, iss, iat and Apple's
// 20-minute refresh limit on every request.
func TestAPNsProviderTokenLifetime(t *testing.T) {
	r := newRig(t)
	step := func(d time.Duration, wantTokens int) {
		t.Helper()
		r.clock.Advance(d)
		for range 3 {
			require.Equal(t, provider.Delivered, send(t, r.client, token, provider.Message{Body: "x"}).Outcome, "%v", r.fake.Rejections())
		}
		require.Len(t, r.fake.ProviderTokens(), wantTokens)
	}
	step(0, 1)
	step(19*time.Minute, 1)
	step(30*time.Minute, 1)           // 49 min old
	step(time.Minute, 2)              // 50 min: refreshed
	step(apns.TokenRefreshAfter-1, 2) // reused again
	step(time.Second, 3)              // and replaced once more
	require.Empty(t, r.fake.Rejections())
}

// TestAPNsExpiredProviderToken: when Apple says the JWT expired, the
// client signs a new one and retries once, but only if the 20-minute rule
// allows a new token; otherwise the message fails with Apple's reason.
func TestAPNsExpiredProviderToken(t *testing.T) {
	r := newRig(t)
	fakeClock := pushtest.NewClock(t0.Add(65 * time.Minute)) // Apple's clock runs ahead
	r.fake.SetClock(fakeClock.Now)

	res := send(t, r.client, token, provider.Message{Body: "x"})
	require.Equal(t, provider.Failed, res.Outcome)
	require.Equal(t, "ExpiredProviderToken", res.Reason)
	require.Len(t, r.fake.ProviderTokens(), 1)

	r.clock.Advance(25 * time.Minute)
	res = send(t, r.client, token, provider.Message{Body: "x"})
	require.Equal(t, provider.Delivered, res.Outcome, "%+v", res)
	require.Len(t, r.fake.ProviderTokens(), 2)
	require.Len(t, r.fake.Received(), 1)
}

// TestAPNsWrongKeyRefused: the fake checks the signature with the public
// half of the right .p8; a client signing with another key is refused.
func TestAPNsWrongKeyRefused(t *testing.T) {
	r := newRig(t)
	other, _ := pushtest.NewAPNsKey(t)
	c, err := apns.New(apns.Config{KeyP8: other, KeyID: keyID, TeamID: teamID, Topic: topic,
		DevelopmentURL: r.fake.URL(), HTTPClient: r.fake.Client(), Now: r.clock.Now})
	require.NoError(t, err)
	res := send(t, c, token, provider.Message{Body: "x"})
	require.Equal(t, provider.Failed, res.Outcome)
	require.Equal(t, "InvalidProviderToken", res.Reason)
	require.Len(t, r.fake.Rejections(), 1)
	require.Contains(t, r.fake.Rejections()[0], "bad signature")
	require.Empty(t, r.fake.Received())
}

// TestAPNsBadCredentials: a bad key or id is refused when the client is
// built, with an error naming the problem and not the key.
func TestAPNsBadCredentials(t *testing.T) {
	good, _ := pushtest.NewAPNsKey(t)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p384der, _ := x509.MarshalPKCS8PrivateKey(p384)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 1024)
	rsaDer, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	sec1, _ := x509.MarshalECPrivateKey(p256)
	pemOf := func(typ string, der []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}) }
	cases := []struct {
		name    string
		cfg     apns.Config
		problem string
	}{
		{"empty key", apns.Config{KeyID: keyID, TeamID: teamID, Topic: topic}, "the .p8 key is empty"},
		{"not PEM", apns.Config{KeyP8: []byte("MIGTAgEAMBMGByqGSM49AgEGCCqGSM49"), KeyID: keyID, TeamID: teamID, Topic: topic}, "not PEM"},
		{"SEC1 block", apns.Config{KeyP8: pemOf("EC PRIVATE KEY", sec1), KeyID: keyID, TeamID: teamID, Topic: topic}, `"EC PRIVATE KEY" block`},
		{"garbage DER", apns.Config{KeyP8: pemOf("PRIVATE KEY", []byte("garbage")), KeyID: keyID, TeamID: teamID, Topic: topic}, "not a PKCS#8 private key"},
		{"RSA key", apns.Config{KeyP8: pemOf("PRIVATE KEY", rsaDer), KeyID: keyID, TeamID: teamID, Topic: topic}, "not a P-256 ECDSA key"},
		{"P-384 key", apns.Config{KeyP8: pemOf("PRIVATE KEY", p384der), KeyID: keyID, TeamID: teamID, Topic: topic}, "not a P-256 ECDSA key"},
		{"key id", apns.Config{KeyP8: good, KeyID: "abc", TeamID: teamID, Topic: topic}, "key id"},
		{"team id", apns.Config{KeyP8: good, KeyID: keyID, TeamID: "", Topic: topic}, "team id"},
		{"topic", apns.Config{KeyP8: good, KeyID: keyID, TeamID: teamID}, "topic (bundle id) is empty"},
		{"environment", apns.Config{KeyP8: good, KeyID: keyID, TeamID: teamID, Topic: topic, Environment: "staging"}, "unknown environment"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := apns.New(tc.cfg)
			var ce *provider.CredentialError
			require.ErrorAs(t, err, &ce)
			require.Equal(t, "apns", ce.Provider)
			require.Contains(t, err.Error(), tc.problem)
			require.NotContains(t, err.Error(), "MIG")
		})
	}
}

// TestAPNsOversizePayload: a payload over 4 KB is refused before sending.
func TestAPNsOversizePayload(t *testing.T) {
	r := newRig(t)
	res, err := r.client.Send(context.Background(), provider.Target{Token: token},
		provider.Message{Body: "x", Extras: map[string]any{"blob": strings.Repeat("a", apns.MaxPayloadSize)}})
	require.ErrorIs(t, err, provider.ErrPayloadTooLarge)
	require.Equal(t, provider.Failed, res.Outcome)
	require.Empty(t, r.fake.Received())
	require.Empty(t, r.fake.Rejections())

	// Just under the limit goes through.
	base, err := apns.Payload(provider.Message{Body: "x", Extras: map[string]any{"blob": ""}})
	require.NoError(t, err)
	fill := strings.Repeat("a", apns.MaxPayloadSize-len(base))
	res = send(t, r.client, token, provider.Message{Body: "x", Extras: map[string]any{"blob": fill}})
	require.Equal(t, provider.Delivered, res.Outcome)
	require.Len(t, r.fake.Received()[0].Body, apns.MaxPayloadSize)

	_, err = r.client.Send(context.Background(), provider.Target{Token: token},
		provider.Message{Body: "x", CollapseID: strings.Repeat("c", 65)})
	require.True(t, errors.Is(err, provider.ErrInvalidMessage))
}
