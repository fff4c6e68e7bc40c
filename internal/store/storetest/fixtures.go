package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// base is the reference time of the fixtures (UTC, millisecond precision,
// no monotonic reading, so values compare equal after a round trip).
var base = time.UnixMilli(1_700_000_000_123).UTC()

// at returns base shifted by d.
func at(d time.Duration) time.Time { return base.Add(d) }

// uid returns a random UUID-shaped string.
func uid() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return fmt.Sprintf("%s-%s-%s-%s-%s", h[:8], h[8:12], h[12:16], h[16:20], h[20:])
}

// inTx runs fn in a transaction and fails the test on error.
func inTx(t testing.TB, s store.Store, fn func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, s.InTx(ctx, func(tx store.Tx) error { return fn(ctx, tx) }))
}

// txErr runs fn in a transaction and returns its error.
func txErr(s store.Store, fn func(ctx context.Context, tx store.Tx) error) error {
	ctx := context.Background()
	return s.InTx(ctx, func(tx store.Tx) error { return fn(ctx, tx) })
}

// newApp stores an application with a unique name.
func newApp(t testing.TB, s store.Store) domain.Application {
	t.Helper()
	a := domain.Application{Name: "app-" + uid(), Roles: []string{"ROLE_USER"}}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateApplication(ctx, &a) })
	return a
}

// newKeyPair stores a master key pair created at the given time.
func newKeyPair(t testing.TB, s store.Store, appID int64, created time.Time) domain.MasterKeyPair {
	t.Helper()
	k := domain.MasterKeyPair{
		ApplicationID: appID, Name: "kp-" + uid(), PrivateKeyEncrypted: []byte("enc-private-" + uid()),
		PublicKey: []byte("public-" + uid()), Created: created,
	}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateMasterKeyPair(ctx, &k) })
	return k
}

// activation returns an ACTIVE activation of app with every field set.
func activation(appID int64, user string) domain.Activation {
	return domain.Activation{
		ActivationID:              uid(),
		ApplicationID:             appID,
		UserID:                    user,
		Name:                      "My Phone",
		ActivationCode:            "",
		Status:                    domain.ActivationActive,
		OtpValidation:             domain.OtpValidationNone,
		CommitPhase:               domain.CommitPhaseOnCommit,
		Counter:                   0,
		CtrData:                   make16(0),
		DevicePublicKey:           []byte{0x02, 0x01, 0x02, 0x03},
		Extras:                    `{"x":1}`,
		Platform:                  "ios",
		DeviceInfo:                "iPhone15,2",
		Flags:                     []string{"FLAG_A"},
		Protocol:                  domain.ProtocolPowerAuth,
		FailedAttempts:            0,
		MaxFailedAttempts:         5,
		ServerPrivateKeyEncrypted: []byte("encrypted-server-private"),
		ServerPublicKey:           []byte{0x04, 0x09, 0x08},
		Created:                   base,
		ActivationExpire:          at(5 * time.Minute),
		Version:                   3,
	}
}

// newActivation stores activation(appID, user) after applying mods.
func newActivation(t testing.TB, s store.Store, appID int64, user string, mods ...func(*domain.Activation)) domain.Activation {
	t.Helper()
	a := activation(appID, user)
	for _, m := range mods {
		m(&a)
	}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateActivation(ctx, &a) })
	return a
}

// make16 returns 16 bytes filled with b.
func make16(b byte) []byte {
	out := make([]byte, 16)
	for i := range out {
		out[i] = b
	}
	return out
}

// ids returns the activation ids of as, in order.
func ids(as []domain.Activation) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.ActivationID
	}
	return out
}

// isAlreadyExists reports whether err is store.ErrAlreadyExists.
func isAlreadyExists(err error) bool { return errors.Is(err, store.ErrAlreadyExists) }

// NewActivation stores a new application and an ACTIVE activation of it,
// for backend-specific tests outside this package.
func NewActivation(t testing.TB, s store.Store) domain.Activation {
	t.Helper()
	return newActivation(t, s, newApp(t, s).ID, "user-"+uid())
}
