package cloud

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/mauth/mauth/internal/domain"
)

// TestPushWithoutPushServer: without a push port every push endpoint
// answers 501 ERROR_NOT_IMPLEMENTED before looking at its input.
func TestPushWithoutPushServer(t *testing.T) {
	s := &Service{}
	admin := Principal{Username: "a", Role: domain.CloudRoleAdmin}
	ctx := context.Background()
	_, err1 := s.SetPushCredentials(ctx, admin, "app", PushCredentialsRequest{})
	_, err2 := s.GetPushSettings(ctx, admin, "app")
	err3 := s.RemovePushCredentials(ctx, admin, "app", "apns")
	err4 := s.SendMessage(ctx, admin, SendMessageRequest{UserID: "u", Title: "t"})
	for i, err := range []error{err1, err2, err3, err4} {
		var e *Error
		if !errors.As(err, &e) || e.Status != http.StatusNotImplemented || e.Code != CodeNotImplemented {
			t.Errorf("call %d: %v, want 501 %s", i+1, err, CodeNotImplemented)
		}
	}
}

// TestParsePushCredentials: the request form is checked field by field,
// the message names the field, and the secrets are decoded.
func TestParsePushCredentials(t *testing.T) {
	key := base64.StdEncoding.EncodeToString([]byte("KEY"))
	apns := func(f func(*APNsRequest)) PushCredentialsRequest {
		a := &APNsRequest{Bundle: "com.example", KeyID: "KID", TeamID: "TEAM", PrivateKeyBase64: key}
		f(a)
		return PushCredentialsRequest{APNs: a}
	}
	for _, c := range []struct {
		name string
		req  PushCredentialsRequest
		want string // "" = accepted
	}{
		{"apns", apns(func(*APNsRequest) {}), ""},
		{"apns production upper case", apns(func(a *APNsRequest) { a.Environment = "PRODUCTION" }), ""},
		{"apns unpadded key", apns(func(a *APNsRequest) { a.PrivateKeyBase64 = strings.TrimRight(key, "=") }), ""},
		{"nothing", PushCredentialsRequest{}, "at least one"},
		{"blank bundle", apns(func(a *APNsRequest) { a.Bundle = " " }), "apns.bundle"},
		{"blank team", apns(func(a *APNsRequest) { a.TeamID = "" }), "apns.teamId"},
		{"long key id", apns(func(a *APNsRequest) { a.KeyID = strings.Repeat("k", 256) }), "apns.keyId"},
		{"environment", apns(func(a *APNsRequest) { a.Environment = "staging" }), "apns.environment"},
		{"not Base64", apns(func(a *APNsRequest) { a.PrivateKeyBase64 = "@@" }), "apns.privateKeyBase64"},
		{"key too long", apns(func(a *APNsRequest) { a.PrivateKeyBase64 = strings.Repeat("A", maxPushKey+4) }), "apns.privateKeyBase64"},
		{"fcm", PushCredentialsRequest{FCM: &FCMRequest{PrivateKeyBase64: key}}, ""},
		{"fcm without key", PushCredentialsRequest{FCM: &FCMRequest{ProjectID: "p"}}, "fcm.privateKeyBase64"},
		{"hms", PushCredentialsRequest{HMS: &HMSRequest{ClientID: "1", ClientSecret: "s"}}, ""},
		{"hms without client", PushCredentialsRequest{HMS: &HMSRequest{ClientSecret: "s"}}, "hms.clientId"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := parsePushCredentials(c.req)
			if c.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if got.APNs != nil && string(got.APNs.PrivateKey) != "KEY" || got.FCM != nil && string(got.FCM.ServiceAccount) != "KEY" {
					t.Fatalf("decoded %+v", got)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeRequest || !strings.Contains(e.Message, c.want) {
				t.Fatalf("%v, want %s naming %q", err, CodeRequest, c.want)
			}
		})
	}
}

// FuzzParsePushCredentials: any request form is accepted with decoded
// secrets or refused with a 400 ERROR_REQUEST, never a panic.
func FuzzParsePushCredentials(f *testing.F) {
	f.Add("com.example", "KID", "TEAM", "development", "S0VZ", "p", "S0VZ", "1", "s")
	f.Add("", "", "", "", "", "", "", "", "")
	f.Add("b", "k", "t", "x", "@@", "", "====", "", "")
	f.Fuzz(func(t *testing.T, bundle, keyID, teamID, env, apnsKey, project, fcmKey, clientID, secret string) {
		req := PushCredentialsRequest{
			APNs: &APNsRequest{Bundle: bundle, KeyID: keyID, TeamID: teamID, Environment: env, PrivateKeyBase64: apnsKey},
			FCM:  &FCMRequest{ProjectID: project, PrivateKeyBase64: fcmKey},
			HMS:  &HMSRequest{ProjectID: project, ClientID: clientID, ClientSecret: secret},
		}
		got, err := parsePushCredentials(req)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Status != http.StatusBadRequest || e.Code != CodeRequest {
				t.Fatalf("refusal %v", err)
			}
			return
		}
		if got.APNs == nil || got.FCM == nil || got.HMS == nil || strings.TrimSpace(got.APNs.Bundle) == "" || len(got.APNs.PrivateKey) > maxPushKey {
			t.Fatalf("accepted %+v", got)
		}
	})
}
