package service

import (
	"context"
	"errors"

	"github.com/mauth/mauth/internal/callbacks"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// The callback configuration, its checks and the delivery targets live in
// internal/callbacks (a building block the core and every vertical use
// inside their store transactions); the core keeps the /rest/v3 methods,
// which add the application lookup and the audit record in the same
// transaction, and these names of its types.

// Callback types under their names in the core's API.
type (
	// CallbackAuthentication is callbacks.Authentication.
	CallbackAuthentication = callbacks.Authentication
	// CallbackCertificate is callbacks.Certificate.
	CallbackCertificate = callbacks.Certificate
	// CallbackHTTPBasic is callbacks.HTTPBasic.
	CallbackHTTPBasic = callbacks.HTTPBasic
	// CallbackOAuth2 is callbacks.OAuth2.
	CallbackOAuth2 = callbacks.OAuth2
	// CallbackAuthenticationPublic is callbacks.AuthenticationPublic.
	CallbackAuthenticationPublic = callbacks.AuthenticationPublic
	// Callback is callbacks.Callback.
	Callback = callbacks.Callback
	// CallbackInput is callbacks.Input.
	CallbackInput = callbacks.Input
	// CallbackTarget is callbacks.Target.
	CallbackTarget = callbacks.Target
)

// Delivery defaults applied to callbacks that do not set their own values
// (the reference server's defaults).
const (
	// DefaultCallbackMaxAttempts is the number of delivery attempts (1: no retry).
	DefaultCallbackMaxAttempts = callbacks.DefaultMaxAttempts
	// DefaultCallbackInitialBackoff is the delay before the first retry.
	DefaultCallbackInitialBackoff = callbacks.DefaultInitialBackoff
	// DefaultCallbackRetentionPeriod is how long delivered events are kept.
	DefaultCallbackRetentionPeriod = callbacks.DefaultRetentionPeriod
)

// MaxCallbackURLLength is the longest callback URL accepted (the column size).
const MaxCallbackURLLength = callbacks.MaxURLLength

// CallbackAttributes returns the payload attributes a callback of type t may request.
func CallbackAttributes(t domain.CallbackType) []string { return callbacks.Attributes(t) }

// ValidateCallbackURL requires an absolute http or https URL with a host;
// anything else is CodeInvalidURLFormat.
func ValidateCallbackURL(s string) error { return callbackError(callbacks.ValidateURL(s)) }

// callbackError returns a refused callback setting as the core's Error
// (the same code and message); other errors are returned unchanged.
func callbackError(err error) error {
	var ce *callbacks.Error
	if errors.As(err, &ce) {
		return Errorf(ce.Code, "%s", ce.Message)
	}
	return err
}

// Callbacks returns the callback registry of the core (for the
// dispatcher and for verticals' wiring).
func (s *Service) Callbacks() *callbacks.Registry { return s.callbacks }

// OpenCallbackAuthentication decrypts the authentication settings of a
// stored callback (nil when it has none), for delivering events.
func (s *Service) OpenCallbackAuthentication(cb domain.CallbackURL) (*CallbackAuthentication, error) {
	return s.callbacks.OpenAuthentication(cb)
}

// CallbackTarget loads the delivery target of a callback. A callback that
// no longer exists is store.ErrNotFound.
func (s *Service) CallbackTarget(ctx context.Context, callbackID string) (CallbackTarget, error) {
	t, err := s.callbacks.Target(ctx, s.store, callbackID)
	return t, callbackError(err)
}

// CallbackSigningSecret returns the secret mauth signs the events of a
// callback with (see callbacks.Registry.SigningSecret), creating it on
// first use.
func (s *Service) CallbackSigningSecret(ctx context.Context, callbackID string) (string, error) {
	secret, err := s.callbacks.SigningSecret(ctx, s.store, callbackID)
	return secret, callbackError(err)
}

// CreateCallback registers a callback URL for an application. The audit
// record is written in the same transaction.
func (s *Service) CreateCallback(ctx context.Context, in CallbackInput) (Callback, error) {
	attrs, err := callbacks.Validate(in)
	if err != nil {
		return Callback{}, callbackError(err)
	}
	if err := s.callbacks.CheckURLs(ctx, in); err != nil {
		return Callback{}, callbackError(err)
	}
	var out Callback
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		app, err := s.applicationByName(ctx, tx, in.ApplicationName)
		if err != nil {
			return err
		}
		if out, err = s.callbacks.Create(ctx, tx, app, in, attrs); err != nil {
			return err
		}
		return s.writeAdminAudit(ctx, tx, "CALLBACK_CREATED", out.ApplicationName, map[string]string{"callbackId": out.ID, "callbackUrl": out.URL, "type": string(out.Type)})
	})
	return out, callbackError(err)
}

// UpdateCallback replaces the settings of the callback id of
// in.ApplicationName. Secrets the update does not resend are kept. The
// audit record is written in the same transaction.
func (s *Service) UpdateCallback(ctx context.Context, id string, in CallbackInput) (Callback, error) {
	attrs, err := callbacks.Validate(in)
	if err != nil {
		return Callback{}, callbackError(err)
	}
	// An unknown callback is refused before the URL, as before; the URL
	// checks (which may resolve names) run outside the transaction.
	if _, _, err := callbacks.OfApplication(ctx, s.store, id, in.ApplicationName); err != nil {
		return Callback{}, callbackError(err)
	}
	if err := s.callbacks.CheckURLs(ctx, in); err != nil {
		return Callback{}, callbackError(err)
	}
	var out Callback
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		var err error
		if out, err = s.callbacks.Update(ctx, tx, id, in, attrs); err != nil {
			return err
		}
		return s.writeAdminAudit(ctx, tx, "CALLBACK_UPDATED", out.ApplicationName, map[string]string{"callbackId": out.ID, "callbackUrl": out.URL, "type": string(out.Type)})
	})
	return out, callbackError(err)
}

// ListCallbacks returns the callbacks of an application ordered by name.
func (s *Service) ListCallbacks(ctx context.Context, applicationName string) ([]Callback, error) {
	var out []Callback
	err := s.store.View(ctx, func(r store.Reader) error {
		app, err := s.applicationByName(ctx, r, applicationName)
		if err != nil {
			return err
		}
		out, err = s.callbacks.List(ctx, r, app)
		return err
	})
	return out, callbackError(err)
}

// RemoveCallback disables a callback (its events stay for the delivery
// history); it reports false when no enabled callback has the id. The
// audit record is written in the same transaction.
func (s *Service) RemoveCallback(ctx context.Context, id string) (bool, error) {
	removed := false
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		var err error
		if removed, err = s.callbacks.Remove(ctx, tx, id); err != nil || !removed {
			return err
		}
		return s.writeAdminAudit(ctx, tx, "CALLBACK_REMOVED", "", map[string]string{"callbackId": id})
	})
	if err != nil {
		removed = false
	}
	return removed, err
}
