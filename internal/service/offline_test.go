package service

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/testutil/teststore"
	"github.com/mauth/mauth/protocol"
)

// newFrozenService is a service on SQLite whose clock stands still at at,
// so TOTP steps cannot roll over during a test.
func newFrozenService(t *testing.T, at time.Time) *Service {
	t.Helper()
	box, err := secretbox.New(secretbox.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	svc, err := New(teststore.SQLite(t), box, Config{RecoveryPUKHashMemoryKiB: 64}, WithClock(func() time.Time { return at }))
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// checkOfflinePayload verifies the ECDSA signature of a QR payload with
// pub and returns its lines.
func checkOfflinePayload(t *testing.T, p OfflinePayload, pub *protocol.PublicKey, indicator string) []string {
	t.Helper()
	lines := strings.Split(p.OfflineData, "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, indicator) || lines[len(lines)-2] != p.Nonce {
		t.Fatalf("payload layout: %q", p.OfflineData)
	}
	sig, err := base64.StdEncoding.DecodeString(last[1:])
	if err != nil {
		t.Fatal(err)
	}
	signed := strings.Join(lines[:len(lines)-1], "\n") + "\n" + indicator
	if !pub.VerifyDER([]byte(signed), sig) {
		t.Fatalf("payload signature does not verify: %q", p.OfflineData)
	}
	if n, err := base64.StdEncoding.DecodeString(p.Nonce); err != nil || len(n) != 16 {
		t.Fatalf("nonce %q", p.Nonce)
	}
	return lines
}

// offlineRequestData is the normalized data the app signs for an offline QR.
func offlineRequestData(nonce string, body string) string {
	n, _ := base64.StdEncoding.DecodeString(nonce)
	return protocol.RequestData("POST", "/operation/authorize/offline", n, []byte(body))
}

func TestOfflinePersonalizedRoundTrip(t *testing.T) {
	svc, _ := newSQLiteService(t)
	ctx := context.Background()
	app := createTestApp(t, svc)
	d := newActiveTestActivation(t, svc, app)
	serverPub, err := protocol.ParsePublicKey(loadActivation(t, svc, d.ActivationID).ServerPublicKey)
	if err != nil {
		t.Fatal(err)
	}
	opData := "5ff1b1ed-a3cc-45a3-8ab0-ed60950312b6&A1*A100CZK*Q238400856/0300**D20190629*NUtility Bill Payment - 05/2019"

	p, err := svc.CreatePersonalizedOfflinePayload(ctx, PersonalizedOfflinePayloadInput{ActivationID: d.ActivationID, Data: opData})
	if err != nil {
		t.Fatal(err)
	}
	lines := checkOfflinePayload(t, p, serverPub, "1")
	if len(lines) != 3 || lines[0] != opData {
		t.Fatalf("lines %q", lines)
	}
	// A given nonce is used as is.
	nonce := base64.StdEncoding.EncodeToString(protocol.RandomBytes(16))
	p2, err := svc.CreatePersonalizedOfflinePayload(ctx, PersonalizedOfflinePayloadInput{ActivationID: d.ActivationID, Data: opData, Nonce: nonce})
	if err != nil || p2.Nonce != nonce {
		t.Fatalf("given nonce: %+v %v", p2, err)
	}
	checkOfflinePayload(t, p2, serverPub, "1")

	// The app signs possession_knowledge over the offline data.
	data := offlineRequestData(p.Nonce, opData)
	sig := d.signOffline(t, protocol.SignaturePossessionKnowledge, data, 8)
	res, err := svc.VerifyOfflineSignature(ctx, VerifyOfflineSignatureInput{ActivationID: d.ActivationID, Data: data, Signature: sig})
	if err != nil || !res.SignatureValid || res.SignatureType != protocol.SignaturePossessionKnowledge || res.UserID != d.UserID ||
		res.ApplicationID != app.App.Name || *res.RemainingAttempts != 5 {
		t.Fatalf("offline verify: %+v %v", res, err)
	}
	if a := loadActivation(t, svc, d.ActivationID); a.Counter != 1 {
		t.Fatalf("counter %d", a.Counter)
	}
	recs := audits(t, svc, d.ActivationID)
	if len(recs) != 1 || !recs[0].Valid || recs[0].SignatureVersion != "" || recs[0].Version != 3 ||
		string(recs[0].Data) != data {
		t.Fatalf("audit: %+v", recs)
	}

	// Replayed: invalid, but a replay is no failed attempt.
	res, err = svc.VerifyOfflineSignature(ctx, VerifyOfflineSignatureInput{ActivationID: d.ActivationID, Data: data, Signature: sig})
	if err != nil || res.SignatureValid || *res.RemainingAttempts != 5 || res.SignatureType != protocol.SignaturePossessionKnowledge {
		t.Fatalf("replayed offline signature: %+v %v", res, err)
	}
	if recs := audits(t, svc, d.ActivationID); len(recs) != 2 || recs[1].Valid || recs[1].Note != auditNoteSignatureReplay {
		t.Fatalf("audit of the replay: %+v", recs)
	}
	// A wrong signature still counts.
	res, err = svc.VerifyOfflineSignature(ctx, VerifyOfflineSignatureInput{ActivationID: d.ActivationID, Data: data, Signature: "12345678-12345678"})
	if err != nil || res.SignatureValid || *res.RemainingAttempts != 4 {
		t.Fatalf("wrong offline signature: %+v %v", res, err)
	}

	// Errors.
	for name, in := range map[string]PersonalizedOfflinePayloadInput{
		"no activation": {Data: "x"},
		"no data":       {ActivationID: d.ActivationID},
		"short nonce":   {ActivationID: d.ActivationID, Data: "x", Nonce: "AAAA"},
		"bad nonce":     {ActivationID: d.ActivationID, Data: "x", Nonce: "not base64!"},
		"no seed":       {ActivationID: d.ActivationID, Data: "x", ProximityCheck: &ProximityCheck{StepLength: time.Minute}},
		"no step":       {ActivationID: d.ActivationID, Data: "x", ProximityCheck: &ProximityCheck{Seed: []byte("s")}},
		"part step":     {ActivationID: d.ActivationID, Data: "x", ProximityCheck: &ProximityCheck{Seed: []byte("s"), StepLength: 1500 * time.Millisecond}},
	} {
		if _, err := svc.CreatePersonalizedOfflinePayload(ctx, in); CodeOf(err) != CodeInvalidRequest {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := svc.CreatePersonalizedOfflinePayload(ctx, PersonalizedOfflinePayloadInput{ActivationID: "00000000-0000-4000-8000-000000000000", Data: "x"}); CodeOf(err) != CodeActivationNotFound {
		t.Errorf("unknown activation: %v", err)
	}
}

func TestOfflineVerifyBiometryAndComponentLength(t *testing.T) {
	svc, _ := newSQLiteService(t)
	ctx := context.Background()
	d := newActiveTestActivation(t, svc, createTestApp(t, svc))
	data := offlineRequestData(base64.StdEncoding.EncodeToString(protocol.RandomBytes(16)), "op&data")

	// possession_biometry is accepted only when allowed.
	sig := d.signOffline(t, protocol.SignaturePossessionBiometry, data, 8)
	res, err := svc.VerifyOfflineSignature(ctx, VerifyOfflineSignatureInput{ActivationID: d.ActivationID, Data: data, Signature: sig})
	if err != nil || res.SignatureValid || res.SignatureType != protocol.SignaturePossessionKnowledge || *res.RemainingAttempts != 4 {
		t.Fatalf("biometry not allowed: %+v %v", res, err)
	}
	res, err = svc.VerifyOfflineSignature(ctx, VerifyOfflineSignatureInput{ActivationID: d.ActivationID, Data: data, Signature: sig, AllowBiometry: true})
	if err != nil || !res.SignatureValid || res.SignatureType != protocol.SignaturePossessionBiometry || *res.RemainingAttempts != 5 {
		t.Fatalf("biometry allowed: %+v %v", res, err)
	}
	// A failure with biometry allowed is noted in the audit.
	if _, err := svc.VerifyOfflineSignature(ctx, VerifyOfflineSignatureInput{ActivationID: d.ActivationID, Data: data, Signature: "12345678-12345678", AllowBiometry: true}); err != nil {
		t.Fatal(err)
	}
	recs := audits(t, svc, d.ActivationID)
	if last := recs[len(recs)-1]; last.AdditionalInfo[AuditInfoBiometryAllowed] != "TRUE" || last.SignatureType != string(protocol.SignaturePossessionKnowledge) {
		t.Fatalf("audit of failure: %+v", last)
	}
	if recs[0].AdditionalInfo[AuditInfoBiometryAllowed] != "" {
		t.Fatalf("biometry noted without being allowed: %+v", recs[0])
	}

	// Other component lengths.
	for _, l := range []int{4, 6} {
		sig := d.signOffline(t, protocol.SignaturePossessionKnowledge, data, l)
		if len(sig) != 2*l+1 {
			t.Fatalf("length %d signature %q", l, sig)
		}
		res, err := svc.VerifyOfflineSignature(ctx, VerifyOfflineSignatureInput{ActivationID: d.ActivationID, Data: data, Signature: sig, ComponentLength: l})
		if err != nil || !res.SignatureValid {
			t.Fatalf("length %d: %+v %v", l, res, err)
		}
	}
	// The default length is the configured one (8): a 6-digit signature fails.
	sig = d.signOffline(t, protocol.SignaturePossessionKnowledge, data, 6)
	if res, err := svc.VerifyOfflineSignature(ctx, VerifyOfflineSignatureInput{ActivationID: d.ActivationID, Data: data, Signature: sig}); err != nil || res.SignatureValid {
		t.Fatalf("6 digits with the default length: %+v %v", res, err)
	}

	for name, in := range map[string]VerifyOfflineSignatureInput{
		"no activation": {Data: data, Signature: "1"},
		"no data":       {ActivationID: d.ActivationID, Signature: "1"},
		"no signature":  {ActivationID: d.ActivationID, Data: data},
		"length 3":      {ActivationID: d.ActivationID, Data: data, Signature: "1", ComponentLength: 3},
		"length 9":      {ActivationID: d.ActivationID, Data: data, Signature: "1", ComponentLength: 9},
		"steps -1":      {ActivationID: d.ActivationID, Data: data, Signature: "1", ProximityCheck: &ProximityCheck{Seed: []byte("s"), StepLength: time.Minute, StepCount: -1}},
		"steps 101":     {ActivationID: d.ActivationID, Data: data, Signature: "1", ProximityCheck: &ProximityCheck{Seed: []byte("s"), StepLength: time.Minute, StepCount: 101}},
	} {
		if _, err := svc.VerifyOfflineSignature(ctx, in); CodeOf(err) != CodeInvalidRequest {
			t.Errorf("%s: %v", name, err)
		}
	}
	res, err = svc.VerifyOfflineSignature(ctx, VerifyOfflineSignatureInput{ActivationID: "00000000-0000-4000-8000-000000000000", Data: data, Signature: "1"})
	if err != nil || res.SignatureValid || res.ActivationStatus != domain.ActivationRemoved {
		t.Fatalf("unknown activation: %+v %v", res, err)
	}
}

func TestOfflineProximityCheck(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 10, 0, time.UTC)
	svc := newFrozenService(t, now)
	ctx := context.Background()
	d := newActiveTestActivation(t, svc, createTestApp(t, svc))
	serverPub, err := protocol.ParsePublicKey(loadActivation(t, svc, d.ActivationID).ServerPublicKey)
	if err != nil {
		t.Fatal(err)
	}
	seed := protocol.RandomBytes(16)
	step := 30 * time.Second
	pc := &ProximityCheck{Seed: seed, StepLength: step}
	nonce := base64.StdEncoding.EncodeToString(protocol.RandomBytes(16))
	opData := "op-1&A1*A100CZK"

	p, err := svc.CreatePersonalizedOfflinePayload(ctx, PersonalizedOfflinePayloadInput{ActivationID: d.ActivationID, Data: opData, Nonce: nonce, ProximityCheck: pc})
	if err != nil {
		t.Fatal(err)
	}
	lines := checkOfflinePayload(t, p, serverPub, "1")
	totp, _ := totpSHA256(seed, now, step, 8)
	if len(lines) != 4 || lines[0] != opData || lines[1] != totp || lines[2] != nonce {
		t.Fatalf("proximity payload %q, want TOTP %s", lines, totp)
	}

	verify := func(otp string, stepCount int) VerifySignatureResult {
		t.Helper()
		data := offlineRequestData(nonce, opData+"&"+otp)
		sig := d.signOffline(t, protocol.SignaturePossessionKnowledge, data, 8)
		res, err := svc.VerifyOfflineSignature(ctx, VerifyOfflineSignatureInput{
			ActivationID: d.ActivationID, Data: offlineRequestData(nonce, opData), Signature: sig,
			ProximityCheck: &ProximityCheck{Seed: seed, StepLength: step, StepCount: stepCount},
		})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if !verify(totp, 0).SignatureValid {
		t.Fatal("current TOTP rejected")
	}
	prev, _ := totpSHA256(seed, now.Add(-step), step, 8)
	if verify(prev, 0).SignatureValid {
		t.Fatal("previous TOTP accepted with stepCount 0")
	}
	if !verify(prev, 1).SignatureValid {
		t.Fatal("previous TOTP rejected with stepCount 1")
	}
	old, _ := totpSHA256(seed, now.Add(-2*step), step, 8)
	if verify(old, 1).SignatureValid {
		t.Fatal("TOTP two steps back accepted with stepCount 1")
	}
	if verify("00000000", 3).SignatureValid {
		t.Fatal("wrong TOTP accepted")
	}
	// Without the proximity check the TOTP-bearing signature is just wrong.
	data := offlineRequestData(nonce, opData+"&"+totp)
	sig := d.signOffline(t, protocol.SignaturePossessionKnowledge, data, 8)
	res, err := svc.VerifyOfflineSignature(ctx, VerifyOfflineSignatureInput{ActivationID: d.ActivationID, Data: offlineRequestData(nonce, opData), Signature: sig})
	if err != nil || res.SignatureValid {
		t.Fatalf("TOTP signature without proximity check: %+v %v", res, err)
	}
	// A body that is not Base64 cannot carry a TOTP.
	_, err = svc.VerifyOfflineSignature(ctx, VerifyOfflineSignatureInput{ActivationID: d.ActivationID, Data: "POST&x&y&%%%", Signature: sig, ProximityCheck: pc})
	if CodeOf(err) != CodeInvalidInputFormat {
		t.Fatalf("bad body: %v", err)
	}
}

func TestOfflineNonPersonalized(t *testing.T) {
	svc, _ := newSQLiteService(t)
	ctx := context.Background()
	app := createTestApp(t, svc)
	p, err := svc.CreateNonPersonalizedOfflinePayload(ctx, app.App.Name, "op&data")
	if err != nil {
		t.Fatal(err)
	}
	if lines := checkOfflinePayload(t, p, app.Master, "0"); len(lines) != 3 || lines[0] != "op&data" {
		t.Fatalf("lines %q", lines)
	}
	if _, err := svc.CreateNonPersonalizedOfflinePayload(ctx, "nope", "x"); CodeOf(err) != CodeInvalidApplication {
		t.Fatalf("unknown app: %v", err)
	}
	if _, err := svc.CreateNonPersonalizedOfflinePayload(ctx, "", "x"); CodeOf(err) != CodeNoApplicationID {
		t.Fatalf("no app: %v", err)
	}
	if _, err := svc.CreateNonPersonalizedOfflinePayload(ctx, app.App.Name, ""); CodeOf(err) != CodeInvalidRequest {
		t.Fatalf("no data: %v", err)
	}
	// The app then signs with its activation like any offline signature.
	d := newActiveTestActivation(t, svc, app)
	data := offlineRequestData(p.Nonce, "op&data")
	sig := d.signOffline(t, protocol.SignaturePossessionKnowledge, data, 8)
	if res, err := svc.VerifyOfflineSignature(ctx, VerifyOfflineSignatureInput{ActivationID: d.ActivationID, Data: data, Signature: sig}); err != nil || !res.SignatureValid {
		t.Fatalf("verify: %+v %v", res, err)
	}
}
