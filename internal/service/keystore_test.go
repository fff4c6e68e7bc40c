package service

import (
	"bytes"
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/teststore"
	"github.com/mauth/mauth/protocol"
)

// requestTemporaryKey runs keystore/create as a device and returns the
// verified response claims.
func requestTemporaryKey(t testing.TB, svc *Service, app testApp, ta *encTestActivation) *protocol.TemporaryKeyResponseClaims {
	t.Helper()
	actID, transport, verifier := "", []byte(nil), app.Master
	if ta != nil {
		actID, transport, verifier = ta.ID, ta.Keys.Transport, ta.ServerPub
	}
	jwt, challenge, err := protocol.BuildTemporaryKeyRequest(app.Version.ApplicationKey, app.Version.ApplicationSecret, actID, transport)
	if err != nil {
		t.Fatal(err)
	}
	res, err := svc.CreateTemporaryKey(context.Background(), jwt)
	if err != nil {
		t.Fatalf("create temporary key: %v", err)
	}
	claims, err := protocol.ParseTemporaryKeyResponse(res.JWT, verifier)
	if err != nil {
		t.Fatalf("response JWT: %v", err)
	}
	if err := claims.MatchesRequest(app.Version.ApplicationKey, actID, challenge); err != nil {
		t.Fatal(err)
	}
	if claims.TemporaryKeyID != res.ID || claims.Expired(svc.Now()) || !claims.ExpiresAt.Equal(res.ExpiresAt) ||
		claims.ExpiresAt.Sub(claims.IssuedAt) != protocol.TemporaryKeyValidity {
		t.Fatalf("claims %+v, result %+v", claims, res)
	}
	return claims
}

// appScopeDecryptor encrypts a generic application-scope request as a
// device and asks the decryptor for its secrets.
func appScopeDecryptor(t testing.TB, svc *Service, app testApp, appKey string, key *protocol.PublicKey, tempKeyID, version string) error {
	t.Helper()
	ectx := protocol.EciesContext{Version: version, SharedInfo1: protocol.SharedInfo1GenericApplication,
		ApplicationKey: app.Version.ApplicationKey, ApplicationSecret: app.Version.ApplicationSecret, TemporaryKeyID: tempKeyID}
	req, _ := encryptForServer(t, key, ectx, []byte(`{"hello":1}`), svc.Now())
	_, err := svc.EciesDecryptor(context.Background(), EciesDecryptorInput{ApplicationKey: appKey, EphemeralPublicKey: req.EphemeralPublicKey,
		Nonce: req.Nonce, Timestamp: req.Timestamp, ProtocolVersion: version, TemporaryKeyID: tempKeyID})
	return err
}

func TestTemporaryKeys(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		svc, clock := newTestService(t, st, Config{})
		ctx := context.Background()
		app := createTestApp(t, svc)
		otherApp := createTestApp(t, svc)
		ta := newEncTestActivation(t, svc, app, domain.ActivationActive, 3)

		// Application scope: signed with the master key, usable in
		// application-scope ECIES with the same application key only.
		appKey := requestTemporaryKey(t, svc, app, nil)
		stored, err := st.GetTemporaryKey(ctx, appKey.TemporaryKeyID)
		if err != nil || stored.ActivationID != "" || stored.ApplicationKey != app.Version.ApplicationKey ||
			!bytes.Equal(stored.PublicKey, appKey.PublicKey.Uncompressed()) {
			t.Fatalf("stored key %+v: %v", stored, err)
		}
		if err := appScopeDecryptor(t, svc, app, app.Version.ApplicationKey, appKey.PublicKey, appKey.TemporaryKeyID, protocol.Version33); err != nil {
			t.Fatalf("3.3 application scope: %v", err)
		}
		if err := appScopeDecryptor(t, svc, app, otherApp.Version.ApplicationKey, appKey.PublicKey, appKey.TemporaryKeyID, protocol.Version33); CodeOf(err) != CodeMissingTemporaryKey {
			t.Fatalf("other application key: %v", err)
		}

		// Activation scope: signed with the activation's server key, usable
		// for the activation's ECIES (here: token creation).
		actKey := requestTemporaryKey(t, svc, app, &ta)
		req, env := encryptForServer(t, actKey.PublicKey, ta.eciesContext(protocol.Version33, protocol.SharedInfo1TokenCreate, actKey.TemporaryKeyID), []byte("{}"), svc.Now())
		resp, err := svc.CreateToken(ctx, CreateTokenInput{ActivationID: ta.ID, ApplicationKey: app.Version.ApplicationKey, SignatureType: protocol.SignaturePossession, Request: req})
		if err != nil {
			t.Fatalf("3.3 token create: %v", err)
		}
		if !strings.Contains(string(decryptFromServer(t, env, resp)), "tokenSecret") {
			t.Fatal("no token in 3.3 response")
		}
		// An activation-scope key is not an application-scope key.
		if err := appScopeDecryptor(t, svc, app, app.Version.ApplicationKey, actKey.PublicKey, actKey.TemporaryKeyID, protocol.Version33); CodeOf(err) != CodeMissingTemporaryKey {
			t.Fatalf("activation key in application scope: %v", err)
		}
		// The application-scope key is not the activation's key.
		req, _ = encryptForServer(t, appKey.PublicKey, ta.eciesContext(protocol.Version33, protocol.SharedInfo1TokenCreate, appKey.TemporaryKeyID), []byte("{}"), svc.Now())
		if _, err := svc.CreateToken(ctx, CreateTokenInput{ActivationID: ta.ID, ApplicationKey: app.Version.ApplicationKey, SignatureType: protocol.SignaturePossession, Request: req}); CodeOf(err) != CodeMissingTemporaryKey {
			t.Fatalf("application key in activation scope: %v", err)
		}
		// Unknown key id.
		req, _ = encryptForServer(t, appKey.PublicKey, ta.eciesContext(protocol.Version33, protocol.SharedInfo1TokenCreate, "5a0a2f8e-2d7c-4a77-b54e-0f6d6a3c9e21"), []byte("{}"), svc.Now())
		if _, err := svc.CreateToken(ctx, CreateTokenInput{ActivationID: ta.ID, ApplicationKey: app.Version.ApplicationKey, SignatureType: protocol.SignaturePossession, Request: req}); CodeOf(err) != CodeMissingTemporaryKey {
			t.Fatalf("unknown key: %v", err)
		}

		// Removal.
		if removed, err := svc.RemoveTemporaryKey(ctx, actKey.TemporaryKeyID); err != nil || !removed {
			t.Fatalf("remove: %v %v", removed, err)
		}
		if removed, err := svc.RemoveTemporaryKey(ctx, actKey.TemporaryKeyID); err != nil || removed {
			t.Fatalf("remove again: %v %v", removed, err)
		}

		// Expiry: the key stops working, then the purge job deletes it.
		clock.Advance(protocol.TemporaryKeyValidity + time.Second)
		if err := appScopeDecryptor(t, svc, app, app.Version.ApplicationKey, appKey.PublicKey, appKey.TemporaryKeyID, protocol.Version33); CodeOf(err) != CodeMissingTemporaryKey {
			t.Fatalf("expired key: %v", err)
		}
		purged, err := svc.PurgeExpired(ctx)
		if err != nil || purged.TemporaryKeys != 1 {
			t.Fatalf("purge: %+v %v", purged, err)
		}
		if _, err := st.GetTemporaryKey(ctx, appKey.TemporaryKeyID); err == nil {
			t.Fatal("expired key not purged")
		}
	})
}

func TestCreateTemporaryKeyRejects(t *testing.T) {
	svc, _ := newSQLiteService(t)
	ctx := context.Background()
	app := createTestApp(t, svc)
	otherApp := createTestApp(t, svc)
	ta := newEncTestActivation(t, svc, app, domain.ActivationActive, 3)
	blocked := newEncTestActivation(t, svc, app, domain.ActivationBlocked, 3)
	removed := newEncTestActivation(t, svc, app, domain.ActivationRemoved, 3)
	foreign := newEncTestActivation(t, svc, otherApp, domain.ActivationActive, 3)

	// A BLOCKED activation may still get a key (to ask for its status).
	requestTemporaryKey(t, svc, app, &blocked)

	build := func(appKey, secret, actID string, transport []byte) string {
		jwt, _, err := protocol.BuildTemporaryKeyRequest(appKey, secret, actID, transport)
		if err != nil {
			t.Fatal(err)
		}
		return jwt
	}
	good := build(app.Version.ApplicationKey, app.Version.ApplicationSecret, "", nil)
	parts := strings.Split(good, ".")
	// Activation-scope claims signed with the application-scope key.
	act := strings.Split(build(app.Version.ApplicationKey, app.Version.ApplicationSecret, ta.ID, ta.Keys.Transport), ".")
	appHMAC, err := protocol.TemporaryKeyRequestKey(app.Version.ApplicationSecret, nil)
	if err != nil {
		t.Fatal(err)
	}
	appSigned := act[0] + "." + act[1] + "." + base64.RawURLEncoding.EncodeToString(protocol.HMACSHA256(appHMAC, []byte(act[0]+"."+act[1])))
	cases := []struct {
		name string
		jwt  string
	}{
		{"empty", ""},
		{"garbage", "not.a.jwt"},
		{"tampered signature", parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(make([]byte, 32))},
		{"alg none", "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + parts[1] + "."},
		{"wrong secret", build(app.Version.ApplicationKey, otherApp.Version.ApplicationSecret, "", nil)},
		{"unknown application key", build("AAAAAAAAAAAAAAAAAAAAAA==", app.Version.ApplicationSecret, "", nil)},
		{"other application's activation", build(app.Version.ApplicationKey, app.Version.ApplicationSecret, foreign.ID, foreign.Keys.Transport)},
		{"unknown activation", build(app.Version.ApplicationKey, app.Version.ApplicationSecret, "3d5b0c1a-2b4e-4f6a-8c9d-0e1f2a3b4c5d", ta.Keys.Transport)},
		{"removed activation", build(app.Version.ApplicationKey, app.Version.ApplicationSecret, removed.ID, removed.Keys.Transport)},
		{"wrong transport key", build(app.Version.ApplicationKey, app.Version.ApplicationSecret, ta.ID, blocked.Keys.Transport)},
		{"activation claims signed with the application key", appSigned},
	}
	for _, c := range cases {
		if _, err := svc.CreateTemporaryKey(ctx, c.jwt); CodeOf(err) != CodeInvalidRequest {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	// Nothing but the blocked activation's key was stored.
	if n, err := svc.PurgeExpired(ctx); err != nil || n.TemporaryKeys != 0 {
		t.Fatalf("purge: %+v %v", n, err)
	}
}
