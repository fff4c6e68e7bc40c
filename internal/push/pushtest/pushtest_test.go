package pushtest_test

import (
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/internal/push/provider"
	"github.com/mauth/mauth/internal/push/pushtest"
)

const (
	keyID  = "ABC123DEFG"
	teamID = "TEAM123456"
	topic  = "com.example.bank"
	device = "0a0b0c0d"
)

func parseKey(t *testing.T, p8 []byte) *ecdsa.PrivateKey {
	b, _ := pem.Decode(p8)
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	require.NoError(t, err)
	return k.(*ecdsa.PrivateKey)
}

func unsigned(header, claims string) string {
	e := base64.RawURLEncoding
	return e.EncodeToString([]byte(header)) + "." + e.EncodeToString([]byte(claims))
}

// TestFakeAPNsVerifiesProviderToken: the fake accepts only an ES256 JWT
// signed by the right key with the right kid, iss and a fresh iat, over
// HTTP/2, with the right topic.
func TestFakeAPNsVerifiesProviderToken(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	p8, pub := pushtest.NewAPNsKey(t)
	key := parseKey(t, p8)
	other, _ := pushtest.NewAPNsKey(t)
	otherKey := parseKey(t, other)
	sign := func(k *ecdsa.PrivateKey, kid, iss string, iat int64) string {
		tok, err := provider.SignJWT(k, map[string]any{"kid": kid}, map[string]any{"iss": iss, "iat": iat})
		require.NoError(t, err)
		return tok
	}
	hs := unsigned(`{"alg":"HS256","kid":"`+keyID+`"}`, `{"iss":"`+teamID+`","iat":`+strconv.FormatInt(now.Unix(), 10)+`}`)
	mac := hmac.New(sha256.New, []byte("secret"))
	mac.Write([]byte(hs))
	hs += "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	none := unsigned(`{"alg":"none","kid":"`+keyID+`"}`, `{"iss":"`+teamID+`","iat":`+strconv.FormatInt(now.Unix(), 10)+`}`) + "."

	cases := []struct {
		name   string
		jwt    string
		topic  string
		http1  bool
		status int
		reason string
	}{
		{name: "valid", jwt: sign(key, keyID, teamID, now.Unix()), status: 200},
		{name: "alg none", jwt: none, status: 403, reason: "InvalidProviderToken"},
		{name: "alg HS256", jwt: hs, status: 403, reason: "InvalidProviderToken"},
		{name: "other key", jwt: sign(otherKey, keyID, teamID, now.Unix()), status: 403, reason: "InvalidProviderToken"},
		{name: "wrong kid", jwt: sign(key, "ZZZ123DEFG", teamID, now.Unix()), status: 403, reason: "InvalidProviderToken"},
		{name: "wrong iss", jwt: sign(key, keyID, "OTHERTEAM1", now.Unix()), status: 403, reason: "InvalidProviderToken"},
		{name: "iat over an hour old", jwt: sign(key, keyID, teamID, now.Add(-61*time.Minute).Unix()), status: 403, reason: "ExpiredProviderToken"},
		{name: "iat in the future", jwt: sign(key, keyID, teamID, now.Add(10*time.Minute).Unix()), status: 403, reason: "InvalidProviderToken"},
		{name: "no token", jwt: "", status: 403, reason: "MissingProviderToken"},
		{name: "wrong topic", jwt: sign(key, keyID, teamID, now.Unix()), topic: "com.other", status: 400, reason: "BadTopic"},
		{name: "HTTP/1.1", jwt: sign(key, keyID, teamID, now.Unix()), http1: true, status: 505},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := pushtest.NewAPNs(t, pushtest.APNsConfig{Key: pub, KeyID: keyID, TeamID: teamID, Topic: topic})
			f.SetClock(func() time.Time { return now })
			req, _ := http.NewRequest(http.MethodPost, f.URL()+"/3/device/"+device, strings.NewReader(`{"aps":{"alert":"x"}}`))
			if tc.jwt != "" {
				req.Header.Set("authorization", "bearer "+tc.jwt)
			}
			tp := tc.topic
			if tp == "" {
				tp = topic
			}
			req.Header.Set("apns-topic", tp)
			req.Header.Set("apns-push-type", "alert")
			hc := f.Client()
			if tc.http1 {
				hc = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: f.Server.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs}}}
			}
			resp, err := hc.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, tc.status, resp.StatusCode)
			if tc.status == 200 {
				require.Len(t, f.Received(), 1)
				require.Empty(t, f.Rejections())
				require.Equal(t, 2, resp.ProtoMajor)
			} else {
				require.Empty(t, f.Received())
				require.Len(t, f.Rejections(), 1)
				if tc.reason != "" {
					require.Contains(t, f.Rejections()[0], tc.reason)
				}
			}
		})
	}
}

// TestFakeAPNsRefreshRule: a second provider token younger than 20
// minutes than the first is refused as Apple does.
func TestFakeAPNsRefreshRule(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	p8, pub := pushtest.NewAPNsKey(t)
	key := parseKey(t, p8)
	f := pushtest.NewAPNs(t, pushtest.APNsConfig{Key: pub, KeyID: keyID, TeamID: teamID, Topic: topic})
	f.SetClock(func() time.Time { return now })
	post := func(iat time.Time) int {
		tok, err := provider.SignJWT(key, map[string]any{"kid": keyID}, map[string]any{"iss": teamID, "iat": iat.Unix()})
		require.NoError(t, err)
		req, _ := http.NewRequest(http.MethodPost, f.URL()+"/3/device/"+device, strings.NewReader(`{"aps":{}}`))
		req.Header.Set("authorization", "bearer "+tok)
		req.Header.Set("apns-topic", topic)
		req.Header.Set("apns-push-type", "alert")
		resp, err := f.Client().Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, 200, post(now.Add(-30*time.Minute)))
	require.Equal(t, 429, post(now.Add(-11*time.Minute)))
	require.Equal(t, 200, post(now.Add(-10*time.Minute)))
}
