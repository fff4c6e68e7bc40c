package push

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"sort"
)

// LogSender is a Sender that only logs what it would send: the platform,
// activation, message kind and a short fingerprint of the push token
// (never the token itself).
type LogSender struct {
	// Logger receives one record per message (default: discarded).
	Logger *slog.Logger
}

// Send implements Sender.
func (s LogSender) Send(ctx context.Context, d Device, m Message) error {
	log := s.Logger
	if log == nil {
		return nil
	}
	keys := make([]string, 0, len(m.Extras))
	for k := range m.Extras {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	log.InfoContext(ctx, "push message",
		"platform", string(d.Platform),
		"activationId", d.ActivationID,
		"applicationId", d.ApplicationID,
		"token", TokenFingerprint(d.Token),
		"silent", m.Silent,
		"category", m.Category,
		"messageType", m.Extras["messageType"],
		"extraKeys", keys)
	return nil
}

// TokenFingerprint is a short, non-reversible label of a push token for
// logs: the first 8 hex digits of its SHA-256.
func TokenFingerprint(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:4])
}
