package callbacks

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// Target is what the dispatcher needs to deliver the events of one
// callback: its row, decrypted authentication, signing secret and the
// delivery settings with the server defaults applied.
type Target struct {
	// Callback is the stored callback (Authentication still sealed).
	Callback domain.CallbackURL
	// Auth is the decrypted authentication; nil for none.
	Auth *Authentication
	// SigningSecret is the HMAC key of the X-Mauth-Signature header.
	SigningSecret string
	// MaxAttempts is the delivery attempt limit.
	MaxAttempts int64
	// InitialBackoff is the delay before the first retry.
	InitialBackoff time.Duration
	// RetentionPeriod is how long final events are kept.
	RetentionPeriod time.Duration
}

// Target loads, through st, the delivery target of a callback. A callback that
// no longer exists is store.ErrNotFound.
func (r *Registry) Target(ctx context.Context, st store.Store, callbackID string) (Target, error) {
	cb, err := st.GetCallbackURL(ctx, callbackID)
	if err != nil {
		return Target{}, fmt.Errorf("load callback: %w", err)
	}
	auth, err := r.OpenAuthentication(cb)
	if err != nil {
		return Target{}, err
	}
	secret, err := r.SigningSecret(ctx, st, callbackID)
	if err != nil {
		return Target{}, err
	}
	t := Target{Callback: cb, Auth: auth, SigningSecret: secret,
		MaxAttempts: cb.MaxAttempts, InitialBackoff: cb.InitialBackoff, RetentionPeriod: cb.RetentionPeriod}
	if t.MaxAttempts <= 0 {
		t.MaxAttempts = DefaultMaxAttempts
	}
	if t.InitialBackoff <= 0 {
		t.InitialBackoff = DefaultInitialBackoff
	}
	if t.RetentionPeriod <= 0 {
		t.RetentionPeriod = DefaultRetentionPeriod
	}
	return t, nil
}

// secretContext binds a sealed callback signing secret to its row.
func secretContext(callbackID string) string {
	return "pa_application_callback_secret:" + callbackID
}

// SigningSecret returns, through st, the secret mauth signs the events of a
// callback with (the X-Mauth-Signature header; see
// VerifySignature), creating it on first use. It is random (32
// bytes, Base64url), stored sealed, and stays the same for the lifetime of
// the callback. The bank reads it once after creating the callback.
func (r *Registry) SigningSecret(ctx context.Context, st store.Store, callbackID string) (string, error) {
	if sealed, err := st.GetCallbackSecret(ctx, callbackID); err == nil {
		return r.openSecret(callbackID, sealed)
	} else if !errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("load callback secret: %w", err)
	}
	var out string
	err := st.InTx(ctx, func(tx store.Tx) error {
		if _, err := tx.GetCallbackURL(ctx, callbackID); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return errorf(CodeInvalidRequest, "Callback URL does not exist.")
			}
			return fmt.Errorf("load callback: %w", err)
		}
		var raw [32]byte
		if _, err := rand.Read(raw[:]); err != nil {
			return fmt.Errorf("generate callback secret: %w", err)
		}
		secret := base64.RawURLEncoding.EncodeToString(raw[:])
		err := tx.CreateCallbackSecret(ctx, callbackID, r.box.Seal([]byte(secret), secretContext(callbackID)), r.timeNow())
		if errors.Is(err, store.ErrAlreadyExists) {
			sealed, err := tx.GetCallbackSecret(ctx, callbackID)
			if err != nil {
				return fmt.Errorf("load callback secret: %w", err)
			}
			out, err = r.openSecret(callbackID, sealed)
			return err
		}
		if err != nil {
			return fmt.Errorf("store callback secret: %w", err)
		}
		out = secret
		return nil
	})
	return out, err
}

func (r *Registry) openSecret(callbackID string, sealed []byte) (string, error) {
	plain, err := r.box.Open(sealed, secretContext(callbackID))
	if err != nil {
		return "", fmt.Errorf("callback %s: open signing secret: %w", callbackID, err)
	}
	return string(plain), nil
}
