package service

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/teststore"
	"github.com/mauth/mauth/protocol"
)

// actCheckStatus fetches activation/status and checks, as the device, that
// the blob decrypts with its transport key and carries the expected state.
func actCheckStatus(t *testing.T, svc *Service, p actPrepared, challenge []byte, want domain.ActivationStatus) ActivationStatusResult {
	t.Helper()
	id := p.result.Activation.ActivationID
	st, err := svc.GetActivationStatus(context.Background(), id, challenge)
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	if !st.Found || st.Activation.Status != want {
		t.Fatalf("status: found=%v status=%v, want %v", st.Found, st.Activation.Status, want)
	}
	if (challenge == nil) != (st.EncryptedStatusBlobNonce == nil) {
		t.Fatalf("nonce %x with challenge %x", st.EncryptedStatusBlobNonce, challenge)
	}
	blob, err := protocol.DecryptStatusBlob(p.keys.Transport, challenge, st.EncryptedStatusBlobNonce, st.EncryptedStatusBlob)
	if err != nil {
		t.Fatalf("device cannot decrypt the status blob: %v", err)
	}
	a := actGet(t, svc, id)
	if blob.Status != byte(want) || blob.CurrentVersion != 3 || blob.UpgradeVersion != 3 ||
		blob.FailedAttempts != byte(a.FailedAttempts) || blob.MaxFailedAttempts != byte(a.MaxFailedAttempts) {
		t.Fatalf("blob %+v for activation %+v", blob, a)
	}
	if challenge != nil {
		ctr, _ := base64.StdEncoding.DecodeString(p.layer2.CtrData)
		wantHash, err := protocol.CtrDataHash(p.keys.Transport, ctr)
		if err != nil {
			t.Fatal(err)
		}
		if blob.CtrByte != byte(a.Counter) || blob.CtrLookAhead != byte(svc.cfg.SignatureLookAhead) || !bytes.Equal(blob.CtrDataHash, wantHash) {
			t.Fatalf("counter fields of blob %+v", blob)
		}
	}
	devPub := p.device.priv.Public()
	if fp := protocol.ActivationFingerprint(devPub, id, p.serverPub); st.DevicePublicKeyFingerprint != fp {
		t.Fatalf("fingerprint %q, device computes %q", st.DevicePublicKeyFingerprint, fp)
	}
	if st.ActivationSignature != nil {
		t.Fatal("activation signature after the key exchange")
	}
	return st
}

func TestActivationKeyExchangeVersions(t *testing.T) {
	for _, version := range protocol.Versions {
		t.Run(version, func(t *testing.T) {
			svc, _ := newSQLiteService(t)
			ctx := context.Background()
			ta := createTestApp(t, svc)
			a := actInit(t, svc, ta, InitActivationInput{UserID: "alice", Flags: []string{"A", "B", "A"}})
			if a.Status != domain.ActivationCreated || protocol.ValidateActivationCode(a.ActivationCode) != nil ||
				!protocol.VerifyActivationCodeSignature(ta.Master, a.ActivationCode, a.ActivationSignature) {
				t.Fatalf("init: %+v", a)
			}
			if !slices.Equal(a.Flags, []string{"A", "B"}) || a.MaxFailedAttempts != 5 || a.ApplicationName != ta.App.Name {
				t.Fatalf("init defaults: %+v", a)
			}
			if d := a.ActivationExpire.Sub(a.Created); d != svc.cfg.ActivationValidity {
				t.Fatalf("expiry after %v", d)
			}
			// While CREATED the status carries the code's signature and a random blob.
			st, err := svc.GetActivationStatus(ctx, a.ActivationID, nil)
			if err != nil || st.Activation.Status != domain.ActivationCreated || !bytes.Equal(st.ActivationSignature, a.ActivationSignature) ||
				len(st.EncryptedStatusBlob) != 32 || st.DevicePublicKeyFingerprint != "" {
				t.Fatalf("created status: %+v %v", st, err)
			}

			d := newActDevice(t)
			req, env := actEncrypt(t, svc, ta, version, d.payload(""))
			res, err := svc.PrepareActivation(ctx, PrepareActivationInput{ActivationCode: a.ActivationCode, ApplicationKey: ta.Version.ApplicationKey, Request: req})
			if err != nil {
				t.Fatalf("prepare: %v", err)
			}
			if res.Activation.Status != domain.ActivationPendingCommit || res.Activation.UserID != "alice" {
				t.Fatalf("prepare result %+v", res.Activation)
			}
			if hasNonce := res.Response.Nonce != "" && res.Response.Timestamp != nil; hasNonce != (version >= protocol.Version32) {
				t.Fatalf("response nonce/timestamp in %s: %+v", version, res.Response)
			}
			l2, keys, serverPub := actOpen(t, d, env, res.Response)
			if l2.ActivationID != a.ActivationID || l2.ActivationRecovery != nil {
				t.Fatalf("layer 2: %+v", l2)
			}
			stored := actGet(t, svc, a.ActivationID)
			ctr, _ := base64.StdEncoding.DecodeString(l2.CtrData)
			if stored.Version != 3 || stored.Counter != 0 || !bytes.Equal(stored.CtrData, ctr) || stored.Platform != "ios" ||
				stored.Name != "Test phone" || stored.DeviceInfo != "iPhone12,3" || stored.Extras != "extra" ||
				!bytes.Equal(stored.ServerPublicKey, serverPub.Bytes()) || !bytes.Equal(stored.DevicePublicKey, d.priv.Public().Compressed()) {
				t.Fatalf("stored activation %+v", stored)
			}
			// The server derives the same keys as the device.
			serverKeys, err := svc.activationKeys(stored)
			if err != nil || !bytes.Equal(serverKeys.Transport, keys.Transport) || !bytes.Equal(serverKeys.Possession, keys.Possession) {
				t.Fatalf("server keys differ: %v", err)
			}
			p := actPrepared{device: d, result: res, layer2: l2, keys: keys, serverPub: serverPub}
			var challenge []byte
			if version != protocol.Version30 {
				challenge = protocol.RandomBytes(16)
			}
			actCheckStatus(t, svc, p, challenge, domain.ActivationPendingCommit)

			committed, err := svc.CommitActivation(ctx, a.ActivationID, "operator", "")
			if err != nil || committed.Status != domain.ActivationActive {
				t.Fatalf("commit: %+v %v", committed, err)
			}
			actCheckStatus(t, svc, p, challenge, domain.ActivationActive)
			h := actHistory(t, svc, a.ActivationID)
			want := []domain.ActivationStatus{domain.ActivationCreated, domain.ActivationPendingCommit, domain.ActivationActive}
			if len(h) != 3 || h[2].ExternalUserID != "operator" || h[2].ActivationVersion != 3 {
				t.Fatalf("history %+v", h)
			}
			for i, e := range h {
				if e.Status != want[i] {
					t.Fatalf("history %d: %v, want %v", i, e.Status, want[i])
				}
			}
		})
	}
}

// TestActivationFlowBothBackends runs the main lifecycle on SQLite and PostgreSQL.
func TestActivationFlowBothBackends(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		svc, _ := newTestService(t, st, Config{})
		ctx := context.Background()
		ta := createTestApp(t, svc)
		p := actActive(t, svc, ta)
		id := p.result.Activation.ActivationID
		actCheckStatus(t, svc, p, protocol.RandomBytes(16), domain.ActivationActive)
		if a, err := svc.BlockActivation(ctx, id, "", "admin"); err != nil || a.Status != domain.ActivationBlocked || a.BlockedReason != "NOT_SPECIFIED" {
			t.Fatalf("block: %+v %v", a, err)
		}
		actCheckStatus(t, svc, p, protocol.RandomBytes(16), domain.ActivationBlocked)
		if a, err := svc.UnblockActivation(ctx, id, "admin"); err != nil || a.Status != domain.ActivationActive || a.BlockedReason != "" {
			t.Fatalf("unblock: %+v %v", a, err)
		}
		if a, err := svc.RemoveActivation(ctx, id, "admin", false); err != nil || a.Status != domain.ActivationRemoved {
			t.Fatalf("remove: %+v %v", a, err)
		}
		// A removed activation still reports its real blob.
		actCheckStatus(t, svc, p, protocol.RandomBytes(16), domain.ActivationRemoved)
		if n := len(actHistory(t, svc, id)); n != 6 {
			t.Fatalf("%d history entries", n)
		}
	})
}

func TestInitActivationValidation(t *testing.T) {
	svc, clock := newSQLiteService(t)
	ctx := context.Background()
	ta := createTestApp(t, svc)
	onKeyExchange := domain.CommitPhaseOnKeyExchange
	long := string(bytes.Repeat([]byte("u"), 256))
	tests := []struct {
		name string
		in   InitActivationInput
		code string
	}{
		{"blank user", InitActivationInput{ApplicationID: ta.App.Name}, CodeInvalidRequest},
		{"long user", InitActivationInput{UserID: long, ApplicationID: ta.App.Name}, CodeInvalidRequest},
		{"NUL in user", InitActivationInput{UserID: "a\x00b", ApplicationID: ta.App.Name}, CodeInvalidRequest},
		{"no application", InitActivationInput{UserID: "u"}, CodeNoApplicationID},
		{"unknown application", InitActivationInput{UserID: "u", ApplicationID: "nope"}, CodeInvalidApplication},
		{"expiry in the past", InitActivationInput{UserID: "u", ApplicationID: ta.App.Name, ActivationExpire: clock.Now().Add(-time.Minute)}, CodeInvalidRequest},
		{"negative max failures", InitActivationInput{UserID: "u", ApplicationID: ta.App.Name, MaxFailureCount: -1}, CodeActivationCreateFailed},
		{"validation with commit phase", InitActivationInput{UserID: "u", ApplicationID: ta.App.Name, ActivationOTP: "1", OtpValidation: domain.OtpValidationOnCommit, CommitPhase: &onKeyExchange}, CodeInvalidRequest},
		{"validation without OTP", InitActivationInput{UserID: "u", ApplicationID: ta.App.Name, OtpValidation: domain.OtpValidationOnCommit}, CodeInvalidRequest},
		{"bad protocol", InitActivationInput{UserID: "u", ApplicationID: ta.App.Name, Protocol: "x"}, CodeInvalidRequest},
		{"blank flag", InitActivationInput{UserID: "u", ApplicationID: ta.App.Name, Flags: []string{" "}}, CodeInvalidRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.InitActivation(ctx, tc.in)
			actWantCode(t, err, tc.code)
		})
	}
	expire := clock.Now().Add(time.Hour).UTC().Truncate(time.Millisecond)
	a, err := svc.InitActivation(ctx, InitActivationInput{UserID: "u", ApplicationID: ta.App.Name, ActivationExpire: expire, MaxFailureCount: 3, Protocol: domain.ProtocolFIDO2})
	if err != nil || !a.ActivationExpire.Equal(expire) || a.MaxFailedAttempts != 3 || a.Protocol != domain.ProtocolFIDO2 {
		t.Fatalf("custom init: %+v %v", a, err)
	}
	// A FIDO2 activation cannot do a PowerAuth key exchange.
	req, _ := actEncrypt(t, svc, ta, protocol.Version32, newActDevice(t).payload(""))
	_, err = svc.PrepareActivation(ctx, PrepareActivationInput{ActivationCode: a.ActivationCode, ApplicationKey: ta.Version.ApplicationKey, Request: req})
	actWantCode(t, err, CodeInvalidRequest)
}

func TestPrepareActivationErrors(t *testing.T) {
	svc, clock := newSQLiteService(t)
	ctx := context.Background()
	ta := createTestApp(t, svc)
	other := createTestApp(t, svc)
	prepare := func(code, appKey string, req EciesRequest) error {
		_, err := svc.PrepareActivation(ctx, PrepareActivationInput{ActivationCode: code, ApplicationKey: appKey, Request: req})
		return err
	}
	good := func() EciesRequest {
		req, _ := actEncrypt(t, svc, ta, protocol.Version32, newActDevice(t).payload(""))
		return req
	}

	a := actInit(t, svc, ta, InitActivationInput{})
	t.Run("missing fields", func(t *testing.T) {
		actWantCode(t, prepare("", ta.Version.ApplicationKey, good()), CodeInvalidRequest)
		actWantCode(t, prepare(a.ActivationCode, "", good()), CodeInvalidRequest)
	})
	t.Run("unknown application key", func(t *testing.T) {
		actWantCode(t, prepare(a.ActivationCode, base64.StdEncoding.EncodeToString(make([]byte, 16)), good()), CodeActivationExpired)
	})
	t.Run("unsupported version", func(t *testing.T) {
		v2, err := svc.CreateApplicationVersion(ctx, ta.App.Name, "old")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.SetApplicationVersionSupported(ctx, ta.App.Name, "old", false); err != nil {
			t.Fatal(err)
		}
		actWantCode(t, prepare(a.ActivationCode, v2.ApplicationKey, good()), CodeActivationExpired)
	})
	t.Run("unknown code", func(t *testing.T) {
		actWantCode(t, prepare(protocol.GenerateActivationCode(), ta.Version.ApplicationKey, good()), CodeActivationNotFound)
	})
	t.Run("code of another application", func(t *testing.T) {
		req, _ := actEncrypt(t, svc, other, protocol.Version32, newActDevice(t).payload(""))
		actWantCode(t, prepare(a.ActivationCode, other.Version.ApplicationKey, req), CodeActivationNotFound)
	})
	t.Run("bad MAC", func(t *testing.T) {
		req := good()
		mac, _ := base64.StdEncoding.DecodeString(req.Mac)
		mac[0] ^= 1
		req.Mac = base64.StdEncoding.EncodeToString(mac)
		actWantCode(t, prepare(a.ActivationCode, ta.Version.ApplicationKey, req), CodeDecryptionFailed)
	})
	t.Run("encrypted for another application", func(t *testing.T) {
		req, _ := actEncrypt(t, svc, other, protocol.Version32, newActDevice(t).payload(""))
		actWantCode(t, prepare(a.ActivationCode, ta.Version.ApplicationKey, req), CodeDecryptionFailed)
	})
	t.Run("malformed cryptogram", func(t *testing.T) {
		req := good()
		req.Nonce = ""
		actWantCode(t, prepare(a.ActivationCode, ta.Version.ApplicationKey, req), CodeInvalidRequest)
		req = good()
		req.EncryptedData = "%%%"
		actWantCode(t, prepare(a.ActivationCode, ta.Version.ApplicationKey, req), CodeInvalidInputFormat)
	})
	t.Run("stale request", func(t *testing.T) {
		old, future := good(), good()
		skew := svc.cfg.EciesMaxAge + time.Second
		clock.Advance(skew)
		actWantCode(t, prepare(a.ActivationCode, ta.Version.ApplicationKey, old), CodeDecryptionFailed)
		clock.Advance(-2 * skew) // the device's clock runs ahead
		actWantCode(t, prepare(a.ActivationCode, ta.Version.ApplicationKey, future), CodeDecryptionFailed)
		clock.Advance(skew)
	})
	t.Run("payload not JSON", func(t *testing.T) {
		req, _ := actEncryptRaw(t, svc, ta, protocol.Version32, []byte("not json"))
		actWantCode(t, prepare(a.ActivationCode, ta.Version.ApplicationKey, req), CodeInvalidInputFormat)
	})
	t.Run("payload without device key", func(t *testing.T) {
		req, _ := actEncrypt(t, svc, ta, protocol.Version32, map[string]any{"activationName": "x"})
		actWantCode(t, prepare(a.ActivationCode, ta.Version.ApplicationKey, req), CodeInvalidRequest)
	})
	// Nothing above changed the activation.
	if got := actGet(t, svc, a.ActivationID); got.Status != domain.ActivationCreated || got.FailedAttempts != 0 {
		t.Fatalf("activation changed: %+v", got)
	}
	t.Run("replayed request", func(t *testing.T) {
		b := actInit(t, svc, ta, InitActivationInput{})
		req := good()
		if err := prepare(b.ActivationCode, ta.Version.ApplicationKey, req); err != nil {
			t.Fatal(err)
		}
		c := actInit(t, svc, ta, InitActivationInput{})
		actWantCode(t, prepare(c.ActivationCode, ta.Version.ApplicationKey, req), CodeDecryptionFailed)
		// The code is used up after its key exchange.
		actWantCode(t, prepare(b.ActivationCode, ta.Version.ApplicationKey, good()), CodeActivationNotFound)
	})
	t.Run("invalid device key removes the activation", func(t *testing.T) {
		b := actInit(t, svc, ta, InitActivationInput{})
		bad := newActDevice(t).payload("")
		bad["devicePublicKey"] = base64.StdEncoding.EncodeToString(append([]byte{0x02}, bytes.Repeat([]byte{0xFF}, 32)...))
		req, _ := actEncrypt(t, svc, ta, protocol.Version32, bad)
		actWantCode(t, prepare(b.ActivationCode, ta.Version.ApplicationKey, req), CodeActivationNotFound)
		if got := actGet(t, svc, b.ActivationID); got.Status != domain.ActivationRemoved {
			t.Fatalf("status %v", got.Status)
		}
	})
	t.Run("expired code", func(t *testing.T) {
		b := actInit(t, svc, ta, InitActivationInput{})
		clock.Advance(svc.cfg.ActivationValidity + time.Second)
		defer clock.Advance(-svc.cfg.ActivationValidity - time.Second)
		actWantCode(t, prepare(b.ActivationCode, ta.Version.ApplicationKey, good()), CodeActivationExpired)
		if got := actGet(t, svc, b.ActivationID); got.Status != domain.ActivationRemoved {
			t.Fatalf("expired activation is %v", got.Status)
		}
		h := actHistory(t, svc, b.ActivationID)
		if len(h) != 2 || h[1].Status != domain.ActivationRemoved {
			t.Fatalf("history %+v", h)
		}
		// Once removed, the code is simply unknown.
		actWantCode(t, prepare(b.ActivationCode, ta.Version.ApplicationKey, good()), CodeActivationNotFound)
	})
}

func TestActivationOTPOnKeyExchange(t *testing.T) {
	svc, _ := newSQLiteService(t)
	ctx := context.Background()
	ta := createTestApp(t, svc)
	phase := domain.CommitPhaseOnKeyExchange

	// A correct OTP in the key exchange activates directly.
	p := actPrepare(t, svc, ta, protocol.Version31, InitActivationInput{ActivationOTP: "12345", CommitPhase: &phase}, "12345")
	if p.result.Activation.Status != domain.ActivationActive {
		t.Fatalf("status %v", p.result.Activation.Status)
	}
	_, err := svc.CommitActivation(ctx, p.result.Activation.ActivationID, "", "")
	actWantCode(t, err, CodeActivationIncorrectState)

	// Wrong OTPs are counted; at the limit the activation is removed.
	a := actInit(t, svc, ta, InitActivationInput{ActivationOTP: "12345", CommitPhase: &phase, MaxFailureCount: 3})
	try := func(otp string) error {
		req, _ := actEncrypt(t, svc, ta, protocol.Version32, newActDevice(t).payload(otp))
		_, err := svc.PrepareActivation(ctx, PrepareActivationInput{ActivationCode: a.ActivationCode, ApplicationKey: ta.Version.ApplicationKey, Request: req})
		return err
	}
	actWantCode(t, try(""), CodeInvalidActivationOTP) // missing: not counted
	for i := 1; i <= 2; i++ {
		actWantCode(t, try("99999"), CodeInvalidActivationOTP)
		if got := actGet(t, svc, a.ActivationID); got.Status != domain.ActivationCreated || got.FailedAttempts != int64(i) {
			t.Fatalf("after %d failures: %+v", i, got)
		}
	}
	actWantCode(t, try("99999"), CodeInvalidActivationOTP)
	if got := actGet(t, svc, a.ActivationID); got.Status != domain.ActivationRemoved || got.FailedAttempts != 3 {
		t.Fatalf("after the last failure: %+v", got)
	}
	h := actHistory(t, svc, a.ActivationID)
	reasons := []string{"", domain.EventReasonOtpFailedAttempt, domain.EventReasonOtpFailedAttempt, domain.EventReasonOtpMaxFailedAttempts}
	if len(h) != len(reasons) {
		t.Fatalf("history %+v", h)
	}
	for i, r := range reasons {
		if h[i].EventReason != r {
			t.Fatalf("history %d reason %q, want %q", i, h[i].EventReason, r)
		}
	}
	actWantCode(t, try("12345"), CodeActivationNotFound)

	// A correct OTP after a failure resets the counter.
	b := actInit(t, svc, ta, InitActivationInput{ActivationOTP: "777", CommitPhase: &phase})
	req, _ := actEncrypt(t, svc, ta, protocol.Version32, newActDevice(t).payload("000"))
	_, err = svc.PrepareActivation(ctx, PrepareActivationInput{ActivationCode: b.ActivationCode, ApplicationKey: ta.Version.ApplicationKey, Request: req})
	actWantCode(t, err, CodeInvalidActivationOTP)
	req, _ = actEncrypt(t, svc, ta, protocol.Version32, newActDevice(t).payload("777"))
	res, err := svc.PrepareActivation(ctx, PrepareActivationInput{ActivationCode: b.ActivationCode, ApplicationKey: ta.Version.ApplicationKey, Request: req})
	if err != nil || res.Activation.Status != domain.ActivationActive || res.Activation.FailedAttempts != 0 {
		t.Fatalf("prepare: %+v %v", res.Activation, err)
	}

	// The deprecated validation mode works the same way.
	p = actPrepare(t, svc, ta, protocol.Version32, InitActivationInput{ActivationOTP: "4242", OtpValidation: domain.OtpValidationOnKeyExchange}, "4242")
	if p.result.Activation.Status != domain.ActivationActive {
		t.Fatalf("deprecated mode: %v", p.result.Activation.Status)
	}
	// Commit phase ON_KEY_EXCHANGE without an OTP also activates directly.
	p = actPrepare(t, svc, ta, protocol.Version32, InitActivationInput{CommitPhase: &phase}, "")
	if p.result.Activation.Status != domain.ActivationActive {
		t.Fatalf("no OTP: %v", p.result.Activation.Status)
	}
	// An OTP sent for an activation without one is rejected, not ignored.
	c := actInit(t, svc, ta, InitActivationInput{})
	req, _ = actEncrypt(t, svc, ta, protocol.Version32, newActDevice(t).payload("1"))
	_, err = svc.PrepareActivation(ctx, PrepareActivationInput{ActivationCode: c.ActivationCode, ApplicationKey: ta.Version.ApplicationKey, Request: req})
	actWantCode(t, err, CodeInvalidActivationOTP)
	if got := actGet(t, svc, c.ActivationID); got.Status != domain.ActivationCreated || got.FailedAttempts != 0 {
		t.Fatalf("unexpected OTP changed the activation: %+v", got)
	}
}

func TestActivationOTPOnCommit(t *testing.T) {
	svc, clock := newSQLiteService(t)
	ctx := context.Background()
	ta := createTestApp(t, svc)
	a := actInit(t, svc, ta, InitActivationInput{ActivationOTP: "secret", MaxFailureCount: 2})
	if a.OtpHash == "" || a.OtpHash == "secret" {
		t.Fatal("OTP not hashed")
	}
	// The OTP belongs to the commit, not to the key exchange.
	req, _ := actEncrypt(t, svc, ta, protocol.Version32, newActDevice(t).payload("secret"))
	_, err := svc.PrepareActivation(ctx, PrepareActivationInput{ActivationCode: a.ActivationCode, ApplicationKey: ta.Version.ApplicationKey, Request: req})
	actWantCode(t, err, CodeInvalidActivationOTP)
	req, _ = actEncrypt(t, svc, ta, protocol.Version32, newActDevice(t).payload(""))
	res, err := svc.PrepareActivation(ctx, PrepareActivationInput{ActivationCode: a.ActivationCode, ApplicationKey: ta.Version.ApplicationKey, Request: req})
	if err != nil || res.Activation.Status != domain.ActivationPendingCommit {
		t.Fatalf("prepare: %v", err)
	}
	id := a.ActivationID
	_, err = svc.CommitActivation(ctx, id, "", "")
	actWantCode(t, err, CodeInvalidActivationOTP)
	_, err = svc.CommitActivation(ctx, id, "op", "wrong")
	actWantCode(t, err, CodeInvalidActivationOTP)
	if got := actGet(t, svc, id); got.FailedAttempts != 1 || got.Status != domain.ActivationPendingCommit {
		t.Fatalf("after a wrong OTP: %+v", got)
	}
	// A new OTP replaces the old one.
	if err := svc.UpdateActivationOTP(ctx, id, "op", "fresh"); err != nil {
		t.Fatal(err)
	}
	_, err = svc.CommitActivation(ctx, id, "op", "secret")
	actWantCode(t, err, CodeInvalidActivationOTP)
	if got := actGet(t, svc, id); got.Status != domain.ActivationRemoved {
		t.Fatalf("at the limit: %+v", got)
	}
	h := actHistory(t, svc, id)
	if last := h[len(h)-1]; last.EventReason != domain.EventReasonOtpMaxFailedAttempts || last.ExternalUserID != "op" || h[len(h)-2].EventReason != domain.EventReasonOtpValueUpdate {
		t.Fatalf("history %+v", h)
	}
	_, err = svc.CommitActivation(ctx, id, "op", "fresh")
	actWantCode(t, err, CodeActivationExpired)

	b := actPrepare(t, svc, ta, protocol.Version32, InitActivationInput{ActivationOTP: "x"}, "")
	if err := svc.UpdateActivationOTP(ctx, b.result.Activation.ActivationID, "", "y"); err != nil {
		t.Fatal(err)
	}
	if got, err := svc.CommitActivation(ctx, b.result.Activation.ActivationID, "", "y"); err != nil || got.Status != domain.ActivationActive {
		t.Fatalf("commit with the new OTP: %v", err)
	}
	actWantCode(t, svc.UpdateActivationOTP(ctx, b.result.Activation.ActivationID, "", "z"), CodeActivationIncorrectState)
	actWantCode(t, svc.UpdateActivationOTP(ctx, b.result.Activation.ActivationID, "", ""), CodeInvalidRequest)
	actWantCode(t, svc.UpdateActivationOTP(ctx, "nope", "", "z"), CodeActivationNotFound)

	// OTP update is refused in the deprecated ON_KEY_EXCHANGE mode.
	c := actInit(t, svc, ta, InitActivationInput{ActivationOTP: "1", OtpValidation: domain.OtpValidationOnKeyExchange})
	err = svc.store.InTx(ctx, func(tx store.Tx) error {
		locked, err := tx.GetActivationForUpdate(ctx, c.ActivationID)
		if err != nil {
			return err
		}
		locked.Status = domain.ActivationPendingCommit
		return tx.UpdateActivation(ctx, &locked)
	})
	if err != nil {
		t.Fatal(err)
	}
	actWantCode(t, svc.UpdateActivationOTP(ctx, c.ActivationID, "", "2"), CodeActivationOTPWrongMode)

	// Commit of an expired PENDING_COMMIT activation removes it.
	d := actPrepare(t, svc, ta, protocol.Version32, InitActivationInput{}, "")
	clock.Advance(svc.cfg.ActivationValidity + time.Second)
	_, err = svc.CommitActivation(ctx, d.result.Activation.ActivationID, "", "")
	actWantCode(t, err, CodeActivationExpired)
	if got := actGet(t, svc, d.result.Activation.ActivationID); got.Status != domain.ActivationRemoved {
		t.Fatalf("expired commit left %v", got.Status)
	}
}

func TestCreateActivationDirect(t *testing.T) {
	svc, clock := newSQLiteService(t)
	ctx := context.Background()
	ta := createTestApp(t, svc)
	d := newActDevice(t)
	req, env := actEncrypt(t, svc, ta, protocol.Version32, d.payload(""))
	expire := clock.Now().Add(time.Hour).UTC().Truncate(time.Millisecond)
	res, err := svc.CreateActivation(ctx, CreateActivationInput{
		UserID: "bob", ApplicationKey: ta.Version.ApplicationKey, ActivationExpire: expire, MaxFailureCount: 7,
		ActivationOTP: "otp", GenerateRecoveryCodes: true, Request: req,
	})
	if err != nil {
		t.Fatal(err)
	}
	a := res.Activation
	if a.Status != domain.ActivationPendingCommit || a.UserID != "bob" || a.MaxFailedAttempts != 7 || !a.ActivationExpire.Equal(expire) || a.ApplicationName != ta.App.Name {
		t.Fatalf("created %+v", a)
	}
	l2, keys, serverPub := actOpen(t, d, env, res.Response)
	p := actPrepared{device: d, result: res, layer2: l2, keys: keys, serverPub: serverPub}
	actCheckStatus(t, svc, p, protocol.RandomBytes(16), domain.ActivationPendingCommit)
	_, err = svc.CommitActivation(ctx, a.ActivationID, "", "")
	actWantCode(t, err, CodeInvalidActivationOTP)
	if _, err := svc.CommitActivation(ctx, a.ActivationID, "", "otp"); err != nil {
		t.Fatal(err)
	}
	actCheckStatus(t, svc, p, protocol.RandomBytes(16), domain.ActivationActive)

	create := func(appKey string, payload map[string]any) error {
		req, _ := actEncrypt(t, svc, ta, protocol.Version32, payload)
		_, err := svc.CreateActivation(ctx, CreateActivationInput{UserID: "carol", ApplicationKey: appKey, Request: req})
		return err
	}
	actWantCode(t, create(base64.StdEncoding.EncodeToString(make([]byte, 16)), d.payload("")), CodeInvalidApplication)
	bad := newActDevice(t).payload("")
	bad["devicePublicKey"] = base64.StdEncoding.EncodeToString([]byte("nope"))
	actWantCode(t, create(ta.Version.ApplicationKey, bad), CodeActivationExpired)
	_, err = svc.CreateActivation(ctx, CreateActivationInput{ApplicationKey: ta.Version.ApplicationKey, Request: req})
	actWantCode(t, err, CodeInvalidRequest)
	// Failed creations leave nothing behind.
	list, err := svc.ListActivations(ctx, ActivationListQuery{UserID: "carol"})
	if err != nil || len(list) != 0 {
		t.Fatalf("carol has %d activations (%v)", len(list), err)
	}
}

func TestRecoveryActivationRequiresRecovery(t *testing.T) {
	svc, _ := newSQLiteService(t)
	ctx := context.Background()
	ta := createTestApp(t, svc)
	req, _ := actEncrypt(t, svc, ta, protocol.Version32, newActDevice(t).payload(""))
	in := RecoveryActivationInput{RecoveryCode: protocol.GenerateActivationCode(), PUK: "0123456789", ApplicationKey: ta.Version.ApplicationKey, Request: req}
	_, err := svc.CreateActivationWithRecoveryCode(ctx, in)
	actWantCode(t, err, CodeInvalidRequest) // recovery is not enabled
	bad := in
	bad.PUK = ""
	_, err = svc.CreateActivationWithRecoveryCode(ctx, bad)
	actWantCode(t, err, CodeInvalidRequest)
	bad = in
	bad.ApplicationKey = base64.StdEncoding.EncodeToString(make([]byte, 16))
	_, err = svc.CreateActivationWithRecoveryCode(ctx, bad)
	actWantCode(t, err, CodeInvalidRequest)
}

func TestActivationAdministration(t *testing.T) {
	svc, _ := newSQLiteService(t)
	ctx := context.Background()
	ta := createTestApp(t, svc)
	p := actActive(t, svc, ta)
	id := p.result.Activation.ActivationID
	created := actInit(t, svc, ta, InitActivationInput{})

	t.Run("block and unblock", func(t *testing.T) {
		_, err := svc.BlockActivation(ctx, created.ActivationID, "", "")
		actWantCode(t, err, CodeActivationIncorrectState)
		_, err = svc.UnblockActivation(ctx, created.ActivationID, "")
		actWantCode(t, err, CodeActivationIncorrectState)
		_, err = svc.BlockActivation(ctx, "nope", "", "")
		actWantCode(t, err, CodeActivationNotFound)
		_, err = svc.BlockActivation(ctx, "", "", "")
		actWantCode(t, err, CodeInvalidRequest)
		if a, err := svc.UnblockActivation(ctx, id, ""); err != nil || a.Status != domain.ActivationActive {
			t.Fatalf("unblock of ACTIVE: %v", err)
		}
		if a, err := svc.BlockActivation(ctx, id, "LOST", "admin"); err != nil || a.BlockedReason != "LOST" {
			t.Fatalf("block: %+v %v", a, err)
		}
		if a, err := svc.BlockActivation(ctx, id, "OTHER", "admin"); err != nil || a.BlockedReason != "LOST" {
			t.Fatalf("block of BLOCKED: %+v %v", a, err)
		}
		// Unblock resets the failure counter.
		err = svc.store.InTx(ctx, func(tx store.Tx) error {
			a, err := tx.GetActivationForUpdate(ctx, id)
			if err != nil {
				return err
			}
			a.FailedAttempts = 4
			return tx.UpdateActivation(ctx, &a)
		})
		if err != nil {
			t.Fatal(err)
		}
		if a, err := svc.UnblockActivation(ctx, id, "admin"); err != nil || a.FailedAttempts != 0 || a.BlockedReason != "" {
			t.Fatalf("unblock: %+v %v", a, err)
		}
	})
	t.Run("rename", func(t *testing.T) {
		if a, err := svc.UpdateActivationName(ctx, id, "New name", "admin"); err != nil || a.Name != "New name" {
			t.Fatalf("rename: %v", err)
		}
		h := actHistory(t, svc, id)
		if last := h[len(h)-1]; last.EventReason != domain.EventReasonActivationNameUpdated || last.ActivationName != "New name" {
			t.Fatalf("history %+v", last)
		}
		_, err := svc.UpdateActivationName(ctx, created.ActivationID, "x", "")
		actWantCode(t, err, CodeActivationIncorrectState)
		_, err = svc.UpdateActivationName(ctx, id, " ", "")
		actWantCode(t, err, CodeInvalidRequest)
	})
	t.Run("flags", func(t *testing.T) {
		f, err := svc.AddActivationFlags(ctx, id, []string{"b", "a", "b"})
		if err != nil || !slices.Equal(f, []string{"a", "b"}) {
			t.Fatalf("add: %v %v", f, err)
		}
		if f, err = svc.AddActivationFlags(ctx, id, []string{"c", "a"}); !slices.Equal(f, []string{"a", "b", "c"}) {
			t.Fatalf("add again: %v %v", f, err)
		}
		if f, err = svc.RemoveActivationFlags(ctx, id, []string{"b", "zzz"}); !slices.Equal(f, []string{"a", "c"}) {
			t.Fatalf("remove: %v %v", f, err)
		}
		if f, err = svc.UpdateActivationFlags(ctx, id, []string{"z", "y"}); !slices.Equal(f, []string{"y", "z"}) {
			t.Fatalf("update: %v %v", f, err)
		}
		if f, err = svc.ListActivationFlags(ctx, id); !slices.Equal(f, []string{"y", "z"}) {
			t.Fatalf("list: %v %v", f, err)
		}
		if f, err = svc.UpdateActivationFlags(ctx, id, nil); err != nil || f == nil || len(f) != 0 {
			t.Fatalf("clear: %#v %v", f, err)
		}
		_, err = svc.ListActivationFlags(ctx, "nope")
		actWantCode(t, err, CodeActivationNotFound)
		_, err = svc.AddActivationFlags(ctx, id, []string{""})
		actWantCode(t, err, CodeInvalidRequest)
	})
	t.Run("bulk status update is all or nothing", func(t *testing.T) {
		other := actActive(t, svc, ta).result.Activation.ActivationID
		err := svc.UpdateActivationStatuses(ctx, []string{id, other, "missing"}, domain.ActivationBlocked)
		actWantCode(t, err, CodeActivationNotFound)
		err = svc.UpdateActivationStatuses(ctx, []string{id, other, created.ActivationID}, domain.ActivationBlocked)
		actWantCode(t, err, CodeActivationIncorrectState)
		if actGet(t, svc, id).Status != domain.ActivationActive || actGet(t, svc, other).Status != domain.ActivationActive {
			t.Fatal("a failed bulk update changed activations")
		}
		if err := svc.UpdateActivationStatuses(ctx, []string{id, other}, domain.ActivationBlocked); err != nil {
			t.Fatal(err)
		}
		if a := actGet(t, svc, other); a.Status != domain.ActivationBlocked || a.BlockedReason != domain.BlockedReasonNotSpecified {
			t.Fatalf("bulk block: %+v", a)
		}
		if err := svc.UpdateActivationStatuses(ctx, []string{id, other}, domain.ActivationRemoved); err != nil {
			t.Fatal(err)
		}
		actWantCode(t, svc.UpdateActivationStatuses(ctx, []string{id}, domain.ActivationActive), CodeActivationIncorrectState)
		actWantCode(t, svc.UpdateActivationStatuses(ctx, []string{created.ActivationID}, domain.ActivationPendingCommit), CodeActivationIncorrectState)
		actWantCode(t, svc.UpdateActivationStatuses(ctx, nil, domain.ActivationRemoved), CodeInvalidRequest)
		actWantCode(t, svc.UpdateActivationStatuses(ctx, []string{id}, domain.ActivationStatus(9)), CodeInvalidRequest)
	})
	t.Run("removed is terminal", func(t *testing.T) {
		before := len(actHistory(t, svc, id))
		if a, err := svc.RemoveActivation(ctx, id, "", true); err != nil || a.Status != domain.ActivationRemoved {
			t.Fatalf("second remove: %v", err)
		}
		if after := len(actHistory(t, svc, id)); after != before {
			t.Fatalf("second remove wrote history (%d → %d)", before, after)
		}
		_, err := svc.UnblockActivation(ctx, id, "")
		actWantCode(t, err, CodeActivationIncorrectState)
		_, err = svc.BlockActivation(ctx, id, "", "")
		actWantCode(t, err, CodeActivationIncorrectState)
		_, err = svc.CommitActivation(ctx, id, "", "")
		actWantCode(t, err, CodeActivationExpired)
		_, err = svc.UpdateActivationName(ctx, id, "x", "")
		actWantCode(t, err, CodeActivationIncorrectState)
		_, err = svc.RemoveActivation(ctx, "nope", "", false)
		actWantCode(t, err, CodeActivationNotFound)
	})
}

func TestActivationStatusUnknownAndCreated(t *testing.T) {
	svc, clock := newSQLiteService(t)
	ctx := context.Background()
	ta := createTestApp(t, svc)
	st, err := svc.GetActivationStatus(ctx, "00000000-0000-4000-8000-000000000000", protocol.RandomBytes(16))
	if err != nil || st.Found || len(st.EncryptedStatusBlob) != 32 || len(st.EncryptedStatusBlobNonce) != 16 {
		t.Fatalf("unknown: %+v %v", st, err)
	}
	_, err = svc.GetActivationStatus(ctx, "x", []byte{1, 2})
	actWantCode(t, err, CodeInvalidRequest)
	// Removed straight from CREATED: still no keys, so a random blob.
	a := actInit(t, svc, ta, InitActivationInput{})
	if _, err := svc.RemoveActivation(ctx, a.ActivationID, "", false); err != nil {
		t.Fatal(err)
	}
	st, err = svc.GetActivationStatus(ctx, a.ActivationID, protocol.RandomBytes(16))
	if err != nil || st.Activation.Status != domain.ActivationRemoved || st.ActivationSignature != nil || st.DevicePublicKeyFingerprint != "" || len(st.EncryptedStatusBlob) != 32 {
		t.Fatalf("removed created: %+v %v", st, err)
	}
	// Reading an expired activation expires it.
	b := actInit(t, svc, ta, InitActivationInput{})
	c := actInit(t, svc, ta, InitActivationInput{UserID: "listed"})
	clock.Advance(svc.cfg.ActivationValidity + time.Second)
	list, err := svc.ListActivations(ctx, ActivationListQuery{UserID: "listed"})
	if err != nil || len(list) != 1 || list[0].Status != domain.ActivationRemoved || actGet(t, svc, c.ActivationID).Status != domain.ActivationRemoved {
		t.Fatalf("lazy expiry in list: %+v %v", list, err)
	}
	st, err = svc.GetActivationStatus(ctx, b.ActivationID, nil)
	if err != nil || st.Activation.Status != domain.ActivationRemoved || actGet(t, svc, b.ActivationID).Status != domain.ActivationRemoved {
		t.Fatalf("lazy expiry: %+v %v", st.Activation.Status, err)
	}
}

func TestActivationListLookupHistory(t *testing.T) {
	svc, clock := newSQLiteService(t)
	ctx := context.Background()
	ta := createTestApp(t, svc)
	other := createTestApp(t, svc)
	var ids []string
	for i := range 5 {
		clock.Advance(time.Millisecond * 5)
		app := ta
		if i == 4 {
			app = other
		}
		a := actInit(t, svc, app, InitActivationInput{UserID: "dave", Flags: []string{"f" + string(rune('0'+i%2))}})
		ids = append(ids, a.ActivationID)
	}
	actInit(t, svc, ta, InitActivationInput{UserID: "erin"})
	if _, err := svc.RemoveActivation(ctx, ids[0], "", false); err != nil {
		t.Fatal(err)
	}
	list, err := svc.ListActivations(ctx, ActivationListQuery{UserID: "dave"})
	if err != nil || len(list) != 5 || list[0].ActivationID != ids[4] || list[4].ActivationID != ids[0] || list[0].ApplicationName != other.App.Name {
		t.Fatalf("list: %d %v", len(list), err)
	}
	page, err := svc.ListActivations(ctx, ActivationListQuery{UserID: "dave", ApplicationID: ta.App.Name, PageNumber: 1, PageSize: 2})
	if err != nil || len(page) != 2 || page[0].ActivationID != ids[1] || page[1].ActivationID != ids[0] {
		t.Fatalf("page: %+v %v", page, err)
	}
	removed, err := svc.ListActivations(ctx, ActivationListQuery{UserID: "dave", Statuses: []domain.ActivationStatus{domain.ActivationRemoved}})
	if err != nil || len(removed) != 1 || removed[0].ActivationID != ids[0] {
		t.Fatalf("status filter: %v", err)
	}
	if l, err := svc.ListActivations(ctx, ActivationListQuery{UserID: "dave", ApplicationID: "nope"}); err != nil || len(l) != 0 {
		t.Fatalf("unknown app: %v", err)
	}
	if l, err := svc.ListActivations(ctx, ActivationListQuery{UserID: "dave", Protocols: []domain.ActivationProtocol{domain.ProtocolFIDO2}}); err != nil || len(l) != 0 {
		t.Fatalf("fido2 filter: %v", err)
	}
	_, err = svc.ListActivations(ctx, ActivationListQuery{})
	actWantCode(t, err, CodeInvalidRequest)
	_, err = svc.ListActivations(ctx, ActivationListQuery{UserID: "dave", PageNumber: -1})
	actWantCode(t, err, CodeInvalidRequest)

	found, err := svc.LookupActivations(ctx, ActivationLookupQuery{UserIDs: []string{"dave", "erin"}, Flags: []string{"f1"}})
	if err != nil || len(found) != 2 || found[0].ActivationID != ids[3] || found[1].ActivationID != ids[1] {
		t.Fatalf("lookup by flag: %d %v", len(found), err)
	}
	created := domain.ActivationCreated
	found, err = svc.LookupActivations(ctx, ActivationLookupQuery{UserIDs: []string{"dave", "erin"}, ApplicationIDs: []string{ta.App.Name}, Status: &created})
	if err != nil || len(found) != 4 {
		t.Fatalf("lookup by app and status: %d %v", len(found), err)
	}
	if found, err = svc.LookupActivations(ctx, ActivationLookupQuery{UserIDs: []string{"dave"}, ApplicationIDs: []string{"nope"}}); err != nil || len(found) != 0 {
		t.Fatalf("lookup unknown app: %v", err)
	}
	future := clock.Now().Add(time.Hour)
	if found, err = svc.LookupActivations(ctx, ActivationLookupQuery{UserIDs: []string{"dave"}, LastUsedAfter: future}); err != nil || len(found) != 0 {
		t.Fatalf("lookup last used after: %v", err)
	}
	if found, err = svc.LookupActivations(ctx, ActivationLookupQuery{UserIDs: []string{"dave"}, LastUsedBefore: future}); err != nil || len(found) != 5 {
		t.Fatalf("lookup last used before: %v", err)
	}
	_, err = svc.LookupActivations(ctx, ActivationLookupQuery{})
	actWantCode(t, err, CodeInvalidRequest)

	h := actHistory(t, svc, ids[0])
	if len(h) != 2 {
		t.Fatalf("history %+v", h)
	}
	window, err := svc.ActivationHistory(ctx, ids[0], h[1].Created, h[1].Created)
	if err != nil || len(window) != 1 || window[0].Status != domain.ActivationRemoved {
		t.Fatalf("history window: %+v %v", window, err)
	}
	if none, err := svc.ActivationHistory(ctx, "nope", time.Time{}, time.Time{}); err != nil || len(none) != 0 {
		t.Fatalf("unknown history: %v", err)
	}
}

func TestExpireActivations(t *testing.T) {
	svc, clock := newSQLiteService(t)
	ctx := context.Background()
	ta := createTestApp(t, svc)
	fresh := actInit(t, svc, ta, InitActivationInput{ActivationExpire: clock.Now().Add(time.Hour)})
	var due []string
	for range 3 {
		due = append(due, actInit(t, svc, ta, InitActivationInput{}).ActivationID)
	}
	pending := actPrepare(t, svc, ta, protocol.Version32, InitActivationInput{}, "")
	due = append(due, pending.result.Activation.ActivationID)
	active := actActive(t, svc, ta)
	if n, err := svc.ExpireActivations(ctx, 10); err != nil || n != 0 {
		t.Fatalf("nothing due yet: %d %v", n, err)
	}
	clock.Advance(svc.cfg.ActivationValidity + time.Second)
	n1, err := svc.ExpireActivations(ctx, 3)
	if err != nil || n1 != 3 {
		t.Fatalf("first batch: %d %v", n1, err)
	}
	n2, err := svc.ExpireActivations(ctx, 0)
	if err != nil || n2 != 1 {
		t.Fatalf("second batch: %d %v", n2, err)
	}
	for _, id := range due {
		if a := actGet(t, svc, id); a.Status != domain.ActivationRemoved {
			t.Fatalf("%s is %v", id, a.Status)
		}
	}
	if actGet(t, svc, fresh.ActivationID).Status != domain.ActivationCreated || actGet(t, svc, active.result.Activation.ActivationID).Status != domain.ActivationActive {
		t.Fatal("expiry touched activations that were not due")
	}
}

func TestRecoveryActivationFlow(t *testing.T) {
	svc, _ := newSQLiteService(t)
	ctx := context.Background()
	ta := createTestApp(t, svc)
	if err := svc.UpdateRecoveryConfig(ctx, UpdateRecoveryConfigInput{ApplicationName: ta.App.Name, ActivationRecoveryEnabled: true}); err != nil {
		t.Fatal(err)
	}
	codeOf := func(activationID string) domain.RecoveryCode {
		t.Helper()
		codes, err := svc.store.ListRecoveryCodes(ctx, store.RecoveryCodeFilter{ActivationID: activationID})
		if err != nil || len(codes) != 1 {
			t.Fatalf("%d recovery codes (%v)", len(codes), err)
		}
		return codes[0]
	}

	// The key exchange hands out a recovery code, active once committed.
	old := actPrepare(t, svc, ta, protocol.Version32, InitActivationInput{UserID: "frank", Flags: []string{"VIP"}}, "")
	oldID := old.result.Activation.ActivationID
	rec := old.layer2.ActivationRecovery
	if rec == nil || protocol.ValidateActivationCode(rec.RecoveryCode) != nil || len(rec.PUK) != 10 {
		t.Fatalf("activation recovery %+v", rec)
	}
	if c := codeOf(oldID); c.Status != domain.RecoveryCodeCreated || c.UserID != "frank" {
		t.Fatalf("before commit: %+v", c)
	}
	if _, err := svc.CommitActivation(ctx, oldID, "", ""); err != nil {
		t.Fatal(err)
	}
	if c := codeOf(oldID); c.Status != domain.RecoveryCodeActive {
		t.Fatalf("after commit: %v", c.Status)
	}
	// Without generateRecoveryCodes there is none.
	none := actInit(t, svc, ta, InitActivationInput{})
	noneDevice := newActDevice(t)
	req, env := actEncrypt(t, svc, ta, protocol.Version32, noneDevice.payload(""))
	res, err := svc.PrepareActivation(ctx, PrepareActivationInput{ActivationCode: none.ActivationCode, ApplicationKey: ta.Version.ApplicationKey, Request: req})
	if err != nil {
		t.Fatal(err)
	}
	if l2, _, _ := actOpen(t, noneDevice, env, res.Response); l2.ActivationRecovery != nil {
		t.Fatal("recovery code without generateRecoveryCodes")
	}

	recover := func(puk string) (KeyExchangeResult, *actDevice, *protocol.EciesEnvelope, error) {
		d := newActDevice(t)
		req, env := actEncrypt(t, svc, ta, protocol.Version32, d.payload(""))
		res, err := svc.CreateActivationWithRecoveryCode(ctx, RecoveryActivationInput{
			RecoveryCode: rec.RecoveryCode, PUK: puk, ApplicationKey: ta.Version.ApplicationKey, MaxFailureCount: 4, GenerateRecoveryCodes: true, Request: req,
		})
		return res, d, env, err
	}
	// A wrong PUK is counted (and committed) and names the PUK to ask for.
	_, _, _, err = recover("0000000000")
	var se *Error
	if CodeOf(err) != CodeRecovery || !errors.As(err, &se) || se.CurrentRecoveryPukIndex == nil || *se.CurrentRecoveryPukIndex != 1 {
		t.Fatalf("wrong PUK: %v", err)
	}
	if c := codeOf(oldID); c.FailedAttempts != 1 {
		t.Fatalf("failed attempts %d", c.FailedAttempts)
	}
	if actGet(t, svc, oldID).Status != domain.ActivationActive {
		t.Fatal("a wrong PUK removed the old activation")
	}

	res, d, env, err := recover(rec.PUK)
	if err != nil {
		t.Fatalf("recovery: %v", err)
	}
	a := res.Activation
	if a.Status != domain.ActivationPendingCommit || a.UserID != "frank" || a.MaxFailedAttempts != 4 || !slices.Equal(a.Flags, []string{"VIP"}) {
		t.Fatalf("recovered activation %+v", a)
	}
	l2, keys, serverPub := actOpen(t, d, env, res.Response)
	if l2.ActivationRecovery == nil || l2.ActivationRecovery.RecoveryCode == rec.RecoveryCode {
		t.Fatalf("new recovery code %+v", l2.ActivationRecovery)
	}
	if o := actGet(t, svc, oldID); o.Status != domain.ActivationRemoved {
		t.Fatalf("old activation %v", o.Status)
	}
	if c := codeOf(oldID); c.Status != domain.RecoveryCodeRevoked {
		t.Fatalf("old recovery code %v", c.Status)
	}
	if _, err := svc.CommitActivation(ctx, a.ActivationID, "", ""); err != nil {
		t.Fatal(err)
	}
	actCheckStatus(t, svc, actPrepared{device: d, result: res, layer2: l2, keys: keys, serverPub: serverPub}, protocol.RandomBytes(16), domain.ActivationActive)
	// The used recovery code cannot be used again.
	_, _, _, err = recover(rec.PUK)
	actWantCode(t, err, CodeInvalidRequest)

	// Removing with revokeRecoveryCodes revokes the new code and its PUK.
	if _, err := svc.RemoveActivation(ctx, a.ActivationID, "", true); err != nil {
		t.Fatal(err)
	}
	c := codeOf(a.ActivationID)
	puks, err := svc.store.ListRecoveryPUKs(ctx, c.ID)
	if err != nil || c.Status != domain.RecoveryCodeRevoked || len(puks) != 1 || puks[0].Status != domain.RecoveryPukInvalid {
		t.Fatalf("revoked code %v, PUKs %+v (%v)", c.Status, puks, err)
	}
}
