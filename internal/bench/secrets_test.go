package bench

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"log/slog"
	"strings"
	"sync"
	"testing"

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

// TestNoSecretsInLogs runs activations, tokens, signatures (valid and
// not), token-authenticated calls and failed calls with the server logging
// at debug level, and scans the logs for every secret involved.
func TestNoSecretsInLogs(t *testing.T) {
	ctx := context.Background()
	logs := &syncBuffer{}
	o := Options{Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	o.defaults()
	tg, err := startTarget(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.stop()
	if err := tg.setupApp(ctx); err != nil {
		t.Fatal(err)
	}
	secrets := map[string][]byte{"application secret": []byte(tg.appSecret), "private API secret": []byte(tg.creds[1])}
	var codes []string
	for i := range 3 {
		init, err := tg.core.InitActivation(ctx, coreclient.InitActivationRequest{UserID: "log-user", ApplicationID: tg.appName})
		if err != nil {
			t.Fatal(err)
		}
		codes = append(codes, init.ActivationCode)
		res, err := tg.device.ActivateWithCode(ctx, init.ActivationCode, benchPIN, client.ActivationOptions{Name: "log"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tg.core.CommitActivation(ctx, init.ActivationID, "", ""); err != nil {
			t.Fatal(err)
		}
		d := res.Device
		tok, err := tg.device.CreateToken(ctx, d, client.PossessionKnowledge(benchPIN))
		if err != nil {
			t.Fatal(err)
		}
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
		for name, v := range map[string][]byte{
			"possession key": d.PossessionKey, "biometry key": d.BiometryKey, "transport key": d.TransportKey,
			"wrapped knowledge key": d.WrappedKnowledgeKey, "token secret": tok.Secret,
			"encrypted device private key": d.EncryptedDevicePrivateKey,
		} {
			secrets[name+" "+string(rune('a'+i))] = v
		}
	}
	out := logs.String()
	if !strings.Contains(out, `"level"`) {
		t.Fatal("the server logged nothing: the scan would prove nothing")
	}
	check := func(name, needle string) {
		if len(needle) >= 6 && strings.Contains(out, needle) {
			t.Errorf("%s appears in the logs", name)
		}
	}
	for name, v := range secrets {
		check(name, string(v))
		check(name+" (Base64)", base64.StdEncoding.EncodeToString(v))
		check(name+" (Base64 URL)", base64.RawURLEncoding.EncodeToString(v))
		check(name+" (hex)", hex.EncodeToString(v))
	}
	for _, c := range codes {
		check("activation code", c)
	}
	t.Logf("scanned %d bytes of debug logs for %d secrets", len(out), len(secrets))
}
