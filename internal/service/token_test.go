package service

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/teststore"
	"github.com/mauth/mauth/protocol"
)

// createTestToken creates a token for ta as a device would and returns its
// id and secret.
func createTestToken(t testing.TB, svc *Service, ta encTestActivation, version string, st protocol.SignatureType) (string, []byte) {
	t.Helper()
	req, env := encryptForServer(t, ta.ServerPub, ta.eciesContext(version, protocol.SharedInfo1TokenCreate, ""), []byte("{}"), svc.Now())
	resp, err := svc.CreateToken(context.Background(), CreateTokenInput{ActivationID: ta.ID, ApplicationKey: ta.App.Version.ApplicationKey, SignatureType: st, Request: req})
	if err != nil {
		t.Fatalf("create token: %v", err)
	}
	var p struct{ TokenID, TokenSecret string }
	if err := json.Unmarshal(decryptFromServer(t, env, resp), &p); err != nil {
		t.Fatal(err)
	}
	secret, err := base64.StdEncoding.DecodeString(p.TokenSecret)
	if err != nil || len(secret) != protocol.TokenSecretSize || len(p.TokenID) != 36 {
		t.Fatalf("token payload %+v: %v", p, err)
	}
	return p.TokenID, secret
}

// tokenInput builds a validation request like the X-PowerAuth-Token header.
func tokenInput(id string, secret []byte, version string, ts time.Time) ValidateTokenInput {
	h := protocol.NewTokenHeader(id, secret, version, ts.UnixMilli())
	return ValidateTokenInput{TokenID: id, TokenDigest: h.Digest, Nonce: h.Nonce, Timestamp: ts.UnixMilli(), ProtocolVersion: version}
}

func TestTokenLifecycle(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		svc, clock := newTestService(t, st, Config{})
		ctx := context.Background()
		app := createTestApp(t, svc)
		ta := newEncTestActivation(t, svc, app, domain.ActivationActive, 3)
		other := newEncTestActivation(t, svc, app, domain.ActivationActive, 3)

		id, secret := createTestToken(t, svc, ta, protocol.Version32, protocol.SignaturePossessionKnowledge)

		// The secret is sealed at rest, bound to the token.
		stored, err := st.GetToken(ctx, id)
		if err != nil || bytes.Equal(stored.Secret, secret) || stored.SignatureType != "possession_knowledge" || stored.ActivationID != ta.ID {
			t.Fatalf("stored token %+v: %v", stored, err)
		}

		in := tokenInput(id, secret, protocol.Version33, svc.Now())
		res, err := svc.ValidateToken(ctx, in)
		if err != nil || !res.TokenValid {
			t.Fatalf("validate: %+v %v", res, err)
		}
		if res.ActivationID != ta.ID || res.ActivationStatus != domain.ActivationActive || res.UserID == "" ||
			res.ApplicationID != app.App.Name || res.SignatureType != protocol.SignaturePossessionKnowledge ||
			!slices.Equal(res.ActivationFlags, []string{"FLAG_A"}) {
			t.Fatalf("validate result %+v", res)
		}

		// The same header again is a replay.
		if _, err := svc.ValidateToken(ctx, in); CodeOf(err) != CodeInvalidRequest {
			t.Fatalf("replay: %v", err)
		}
		// Concurrent submissions of one header: exactly one is accepted.
		concurrent := tokenInput(id, secret, protocol.Version32, svc.Now())
		var wg sync.WaitGroup
		var accepted, replays atomic.Int32
		for range 6 {
			wg.Go(func() {
				res, err := svc.ValidateToken(ctx, concurrent)
				switch {
				case err == nil && res.TokenValid:
					accepted.Add(1)
				case CodeOf(err) == CodeInvalidRequest:
					replays.Add(1)
				default:
					t.Errorf("concurrent validate: %+v %v", res, err)
				}
			})
		}
		wg.Wait()
		if accepted.Load() != 1 || replays.Load() != 5 {
			t.Fatalf("concurrent: %d accepted, %d replays", accepted.Load(), replays.Load())
		}

		cases := []struct {
			name  string
			in    ValidateTokenInput
			valid bool
			code  string
		}{
			{"3.0 digest", tokenInput(id, secret, protocol.Version30, svc.Now()), true, ""},
			{"wrong digest", tokenInput(id, protocol.NewTokenSecret(), protocol.Version33, svc.Now()), false, ""},
			{"wrong version in digest", func() ValidateTokenInput {
				in := tokenInput(id, secret, protocol.Version32, svc.Now())
				in.ProtocolVersion = protocol.Version33
				return in
			}(), false, ""},
			{"unknown token", tokenInput("8f1f1b9c-6c57-4c1e-9a55-3f3b0a0b7d11", secret, protocol.Version33, svc.Now()), false, ""},
			{"too old", tokenInput(id, secret, protocol.Version33, svc.Now().Add(-2*time.Hour-time.Second)), false, CodeTokenTimestampTooOld},
			{"just old enough", tokenInput(id, secret, protocol.Version33, svc.Now().Add(-2*time.Hour+time.Minute)), true, ""},
			{"too far in future", tokenInput(id, secret, protocol.Version33, svc.Now().Add(31*time.Minute)), false, CodeTokenTimestampTooInFuture},
			{"bad nonce", func() ValidateTokenInput {
				in := tokenInput(id, secret, protocol.Version33, svc.Now())
				in.Nonce = "!!"
				return in
			}(), false, CodeInvalidInputFormat},
			{"bad version", func() ValidateTokenInput {
				in := tokenInput(id, secret, protocol.Version33, svc.Now())
				in.ProtocolVersion = "2.1"
				return in
			}(), false, CodeInvalidRequest},
		}
		for _, c := range cases {
			res, err := svc.ValidateToken(ctx, c.in)
			if CodeOf(err) != c.code && !(c.code == "" && err == nil) {
				t.Fatalf("%s: error %v, want %q", c.name, err, c.code)
			}
			if c.code != "" {
				continue
			}
			if res.TokenValid != c.valid {
				t.Fatalf("%s: valid %v", c.name, res.TokenValid)
			}
			if c.name == "unknown token" && (res.ActivationID != "" || res.ActivationStatus != 0) {
				t.Fatalf("unknown token leaks details: %+v", res)
			}
			if c.name == "wrong digest" && res.ActivationID != ta.ID {
				t.Fatalf("wrong digest result %+v", res)
			}
		}

		// A blocked activation's tokens are invalid but report the state.
		setEncTestStatus(t, svc, ta.ID, domain.ActivationBlocked)
		res, err = svc.ValidateToken(ctx, tokenInput(id, secret, protocol.Version33, svc.Now()))
		if err != nil || res.TokenValid || res.ActivationStatus != domain.ActivationBlocked {
			t.Fatalf("blocked: %+v %v", res, err)
		}
		setEncTestStatus(t, svc, ta.ID, domain.ActivationActive)

		// Replay-cache entries expire with the token timestamp window.
		clock.Advance(2*time.Hour + time.Minute)
		purged, err := svc.PurgeExpired(ctx)
		if err != nil || purged.UniqueValues < 4 {
			t.Fatalf("purge: %+v %v", purged, err)
		}

		// Removal only through the owning activation.
		if removed, err := svc.RemoveToken(ctx, id, other.ID); err != nil || removed {
			t.Fatalf("remove through other activation: %v %v", removed, err)
		}
		if removed, err := svc.RemoveToken(ctx, id, ta.ID); err != nil || !removed {
			t.Fatalf("remove: %v %v", removed, err)
		}
		if removed, err := svc.RemoveToken(ctx, id, ta.ID); err != nil || removed {
			t.Fatalf("second remove: %v %v", removed, err)
		}
		res, err = svc.ValidateToken(ctx, tokenInput(id, secret, protocol.Version33, svc.Now()))
		if err != nil || res.TokenValid || res.ActivationID != "" {
			t.Fatalf("removed token: %+v %v", res, err)
		}
	})
}

func TestCreateTokenRejects(t *testing.T) {
	svc, _ := newSQLiteService(t)
	ctx := context.Background()
	app := createTestApp(t, svc)
	otherApp := createTestApp(t, svc)
	ta := newEncTestActivation(t, svc, app, domain.ActivationActive, 3)
	blocked := newEncTestActivation(t, svc, app, domain.ActivationBlocked, 3)

	good := func(a encTestActivation) EciesRequest {
		req, _ := encryptForServer(t, a.ServerPub, a.eciesContext(protocol.Version32, protocol.SharedInfo1TokenCreate, ""), []byte("{}"), svc.Now())
		return req
	}
	replayed := good(ta)
	if _, err := svc.CreateToken(ctx, CreateTokenInput{ActivationID: ta.ID, ApplicationKey: app.Version.ApplicationKey, SignatureType: protocol.SignaturePossession, Request: replayed}); err != nil {
		t.Fatal(err)
	}
	wrongSH1, _ := encryptForServer(t, ta.ServerPub, ta.eciesContext(protocol.Version32, protocol.SharedInfo1VaultUnlock, ""), []byte("{}"), svc.Now())
	stale, _ := encryptForServer(t, ta.ServerPub, ta.eciesContext(protocol.Version32, protocol.SharedInfo1TokenCreate, ""), []byte("{}"), svc.Now().Add(-time.Hour))
	cases := []struct {
		name string
		in   CreateTokenInput
		code string
	}{
		{"unknown activation", CreateTokenInput{ActivationID: "0b5c8d2e-8f4a-4a39-9d0e-5d1c7f2b3a41", ApplicationKey: app.Version.ApplicationKey, SignatureType: protocol.SignaturePossession, Request: good(ta)}, CodeActivationNotFound},
		{"blocked activation", CreateTokenInput{ActivationID: blocked.ID, ApplicationKey: app.Version.ApplicationKey, SignatureType: protocol.SignaturePossession, Request: good(blocked)}, CodeActivationIncorrectState},
		{"other application's key", CreateTokenInput{ActivationID: ta.ID, ApplicationKey: otherApp.Version.ApplicationKey, SignatureType: protocol.SignaturePossession, Request: good(ta)}, CodeInvalidApplication},
		{"unknown application key", CreateTokenInput{ActivationID: ta.ID, ApplicationKey: "AAAAAAAAAAAAAAAAAAAAAA==", SignatureType: protocol.SignaturePossession, Request: good(ta)}, CodeInvalidApplication},
		{"bad signature type", CreateTokenInput{ActivationID: ta.ID, ApplicationKey: app.Version.ApplicationKey, SignatureType: "POSSESSION", Request: good(ta)}, CodeInvalidRequest},
		{"wrong use case", CreateTokenInput{ActivationID: ta.ID, ApplicationKey: app.Version.ApplicationKey, SignatureType: protocol.SignaturePossession, Request: wrongSH1}, CodeDecryptionFailed},
		{"replay", CreateTokenInput{ActivationID: ta.ID, ApplicationKey: app.Version.ApplicationKey, SignatureType: protocol.SignaturePossession, Request: replayed}, CodeDecryptionFailed},
		{"stale", CreateTokenInput{ActivationID: ta.ID, ApplicationKey: app.Version.ApplicationKey, SignatureType: protocol.SignaturePossession, Request: stale}, CodeDecryptionFailed},
		{"bad base64", CreateTokenInput{ActivationID: ta.ID, ApplicationKey: app.Version.ApplicationKey, SignatureType: protocol.SignaturePossession, Request: EciesRequest{EphemeralPublicKey: "%%", EncryptedData: "AA==", Mac: "AA==", ProtocolVersion: protocol.Version30}}, CodeInvalidInputFormat},
		{"no protocol version", CreateTokenInput{ActivationID: ta.ID, ApplicationKey: app.Version.ApplicationKey, SignatureType: protocol.SignaturePossession, Request: func() EciesRequest { r := good(ta); r.ProtocolVersion = ""; return r }()}, CodeDecryptionFailed},
		{"missing mac", CreateTokenInput{ActivationID: ta.ID, ApplicationKey: app.Version.ApplicationKey, SignatureType: protocol.SignaturePossession, Request: func() EciesRequest { r := good(ta); r.Mac = ""; return r }()}, CodeInvalidRequest},
	}
	for _, c := range cases {
		if _, err := svc.CreateToken(ctx, c.in); CodeOf(err) != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
	toks, err := svc.store.ListTokens(ctx, ta.ID)
	if err != nil || len(toks) != 1 {
		t.Fatalf("tokens after rejects: %d %v", len(toks), err)
	}

	// 3.0 and 3.1 requests (no timestamp, no replay cache) work too.
	// (3.3 needs a temporary key: see the keystore tests.)
	for _, v := range []string{protocol.Version30, protocol.Version31} {
		id, _ := createTestToken(t, svc, ta, v, protocol.SignaturePossessionBiometry)
		tok, err := svc.store.GetToken(ctx, id)
		if err != nil || tok.SignatureType != "possession_biometry" {
			t.Fatalf("%s token: %+v %v", v, tok, err)
		}
	}
}
