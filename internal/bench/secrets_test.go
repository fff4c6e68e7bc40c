package bench

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mauth/mauth/client"
	"github.com/mauth/mauth/internal/coreclient"
)

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// secretSet collects the secret values a test handed to or received from
// the server, by name.
type secretSet struct {
	mu     sync.Mutex
	values map[string][]byte
}

func newSecretSet() *secretSet { return &secretSet{values: map[string][]byte{}} }

// add records a secret; names are made unique.
func (s *secretSet) add(name string, v []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := name
	for i := 2; ; i++ {
		if _, dup := s.values[key]; !dup {
			break
		}
		key = fmt.Sprintf("%s #%d", name, i)
	}
	s.values[key] = v
}

// addString records a secret text (a code, an OTP, a password).
func (s *secretSet) addString(name, v string) { s.add(name, []byte(v)) }

// encoding is one form a secret could be logged in.
type encoding struct{ name, text string }

// encodings are the forms a secret could be logged in, most direct first.
func encodings(v []byte) []encoding {
	b64 := base64.StdEncoding.EncodeToString(v)
	return []encoding{
		{"raw", string(v)},
		{"Base64", b64},
		{"Base64 without padding", base64.RawStdEncoding.EncodeToString(v)},
		{"Base64 URL", base64.URLEncoding.EncodeToString(v)},
		{"Base64 URL without padding", base64.RawURLEncoding.EncodeToString(v)},
		{"hex", hex.EncodeToString(v)},
		{"upper-case hex", strings.ToUpper(hex.EncodeToString(v))},
		{"Base64 of the hex", base64.StdEncoding.EncodeToString([]byte(hex.EncodeToString(v)))},
		{`JSON-escaped Base64 (\u002b)`, strings.ReplaceAll(b64, "+", `\u002b`)},
		{`JSON-escaped Base64 (\/)`, strings.ReplaceAll(b64, "/", `\/`)},
		{"without dashes", strings.ReplaceAll(string(v), "-", "")},
		{"without spaces", strings.ReplaceAll(string(v), " ", "")},
		{"Go byte slice", fmt.Sprint(v)},
	}
}

var digitsOnly = regexp.MustCompile(`^[0-9]+$`)

// findSecrets returns a message for every secret found in logs in any of
// its encodings. Needles shorter than 6 characters are not searched (they
// match by chance); all-digit needles (PUKs, OTPs) must stand alone, not
// inside a longer number such as a duration in nanoseconds.
func findSecrets(logs string, secrets map[string][]byte) []string {
	var found []string
	for name, v := range secrets {
		seen := map[string]bool{}
		for _, e := range encodings(v) {
			needle := e.text
			if len(needle) < 6 || seen[needle] {
				continue
			}
			seen[needle] = true
			hit := strings.Contains(logs, needle)
			if hit && digitsOnly.MatchString(needle) {
				hit = regexp.MustCompile(`(^|[^0-9])` + needle + `([^0-9]|$)`).MatchString(logs)
			}
			if hit {
				found = append(found, fmt.Sprintf("%s (%s) appears in the logs", name, e.name))
			}
		}
	}
	return found
}

// TestFindSecrets checks the scanner itself on leaks in each encoding and
// on look-alikes that are not leaks.
func TestFindSecrets(t *testing.T) {
	key := []byte{0xfb, 0xff, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08}
	for _, tc := range []struct {
		name   string
		logs   string
		secret []byte
		leak   bool
	}{
		{"raw text", `{"msg":"otp=a1b2c3d4e5"}`, []byte("a1b2c3d4e5"), true},
		{"Base64", `{"key":"` + base64.StdEncoding.EncodeToString(key) + `"}`, key, true},
		{"Base64 URL", `{"key":"` + base64.RawURLEncoding.EncodeToString(key) + `"}`, key, true},
		{"hex", `{"key":"` + hex.EncodeToString(key) + `"}`, key, true},
		{"upper-case hex", `{"key":"` + strings.ToUpper(hex.EncodeToString(key)) + `"}`, key, true},
		{"JSON escaped", `{"key":"` + strings.ReplaceAll(base64.StdEncoding.EncodeToString(key), "+", `\u002b`) + `"}`, key, true},
		{"recovery code without dashes", `{"code":"ABCDEFGHIJKLMNOPQRST"}`, []byte("ABCDE-FGHIJ-KLMNO-PQRST"), true},
		{"PUK alone", `{"puk":"0123456789"}`, []byte("0123456789"), true},
		{"PUK inside a longer number", `{"duration":9012345678901}`, []byte("0123456789"), false},
		{"absent", `{"msg":"nothing here"}`, []byte("a1b2c3d4e5"), false},
		{"too short to tell", `{"msg":"1357"}`, []byte("1357"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := findSecrets(tc.logs, map[string][]byte{"secret": tc.secret})
			if (len(got) > 0) != tc.leak {
				t.Fatalf("findSecrets = %q, want a leak: %v", got, tc.leak)
			}
		})
	}
}

// captureLogs returns a debug-level JSON logger writing to a buffer and,
// for the duration of the test, makes it the process-wide default (so
// that anything logged through slog.Default or the log package is
// scanned too).
func captureLogs(t *testing.T) (*slog.Logger, *syncBuffer) {
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	prev, prevOut, prevFlags := slog.Default(), log.Writer(), log.Flags()
	slog.SetDefault(logger)
	t.Cleanup(func() {
		slog.SetDefault(prev)
		log.SetOutput(prevOut)
		log.SetFlags(prevFlags)
	})
	return logger, logs
}

// TestNoSecretsInLogs runs, with the server logging at debug level:
// activations (plain, with an activation OTP checked on key exchange or on
// commit, wrong OTPs first), MAC tokens, signatures (valid and not),
// token-authenticated calls, vault unlocking, operations (approved,
// failed with wrong data, with a proximity OTP wrong and right), activation
// recovery (recovery codes and PUKs issued with activations and on a
// postcard, wrong PUKs first) and signed, authenticated callbacks to the
// bank. It then scans the logs for every secret involved in every
// encoding it could be logged in.
func TestNoSecretsInLogs(t *testing.T) {
	ctx := context.Background()
	logger, logs := captureLogs(t)
	// The callback receiver is an httptest server on 127.0.0.1.
	o := Options{Logger: logger, CallbackAllowedDestinations: []string{"127.0.0.0/8"}}
	o.defaults()
	tg, err := startTarget(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.stop()
	if err := tg.setupApp(ctx); err != nil {
		t.Fatal(err)
	}
	sec := newSecretSet()
	sec.addString("application secret", tg.appSecret)
	sec.addString("private API secret", tg.creds[1])
	recv := newCallbackReceiver(t, tg, sec)
	printer := enableRecovery(t, tg)

	const user = "log-user"
	var devs []*client.Device
	for range 3 {
		init, err := tg.core.InitActivation(ctx, coreclient.InitActivationRequest{UserID: user, ApplicationID: tg.appName})
		if err != nil {
			t.Fatal(err)
		}
		sec.addString("activation code", init.ActivationCode)
		res, err := tg.device.ActivateWithCode(ctx, init.ActivationCode, benchPIN, client.ActivationOptions{Name: "log"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tg.core.CommitActivation(ctx, init.ActivationID, "", ""); err != nil {
			t.Fatal(err)
		}
		d := res.Device
		addDeviceSecrets(sec, d)
		tok, err := tg.device.CreateToken(ctx, d, client.PossessionKnowledge(benchPIN))
		if err != nil {
			t.Fatal(err)
		}
		sec.add("token secret", tok.Secret)
		if _, err := tg.device.Detail(ctx, d, tok); err != nil {
			t.Fatal(err)
		}
		// A wrong PIN and a wrong token secret: failures are logged too.
		_ = tg.device.ValidateSignature(ctx, d, client.PossessionKnowledge("0000"), []byte(`{}`))
		bad := &client.Token{ID: tok.ID, Secret: bytes.Repeat([]byte{7}, len(tok.Secret))}
		_, _ = tg.device.Detail(ctx, d, bad)
		if err := tg.device.ValidateSignature(ctx, d, client.PossessionKnowledge(benchPIN), []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
		priv, err := tg.device.UnlockVault(ctx, d, client.PossessionKnowledge(benchPIN), "LOG_TEST")
		if err != nil {
			t.Fatal(err)
		}
		sec.add("device private key (vault)", priv.Bytes())
		devs = append(devs, d)
	}
	activationOTPOnKeyExchange(t, tg, sec)
	activationOTPOnCommit(t, tg, sec)
	operationSecrets(t, tg, sec, devs[0], user)
	recoverySecrets(t, tg, sec, printer, devs[1], devs[2], user)

	// The callback dispatcher logs each delivery at debug level: waiting
	// for it proves that debug records reach the scanned logs (a generous
	// deadline, only a safety net).
	deadline := time.Now().Add(2 * time.Minute)
	for (!strings.Contains(logs.String(), `"level":"DEBUG"`) || recv.count() == 0) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	out := logs.String()
	if !strings.Contains(out, `"level":"DEBUG"`) || recv.count() == 0 {
		t.Fatalf("no debug record (%d callbacks delivered): the scan would not prove that debug logs are clean", recv.count())
	}
	if bad := recv.rejected(); len(bad) > 0 {
		t.Fatalf("callbacks without the right signature or credentials: %q", bad)
	}
	sec.mu.Lock()
	defer sec.mu.Unlock()
	for _, msg := range findSecrets(out, sec.values) {
		t.Error(msg)
	}
	t.Logf("scanned %d bytes of debug logs for %d secrets", len(out), len(sec.values))
}

// addDeviceSecrets records an activated device's keys and recovery data.
func addDeviceSecrets(sec *secretSet, d *client.Device) {
	for name, v := range map[string][]byte{
		"possession key": d.PossessionKey, "biometry key": d.BiometryKey, "transport key": d.TransportKey,
		"wrapped knowledge key": d.WrappedKnowledgeKey, "encrypted device private key": d.EncryptedDevicePrivateKey,
	} {
		sec.add(name, v)
	}
	if d.RecoveryCode != "" {
		sec.addString("recovery code of an activation", d.RecoveryCode)
		sec.addString("recovery PUK of an activation", d.RecoveryPUK)
	}
}
