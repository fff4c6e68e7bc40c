package service

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/protocol"
)

// RecoveryConfig is the activation recovery configuration of an
// application. Everything is off until it is updated.
type RecoveryConfig struct {
	// ApplicationName is the application's unique name (the REST applicationId).
	ApplicationName string
	// ActivationRecoveryEnabled turns recovery codes on.
	ActivationRecoveryEnabled bool
	// RecoveryPostcardEnabled turns postcard recovery codes on.
	RecoveryPostcardEnabled bool
	// AllowMultipleRecoveryCodes lets a user hold several postcard codes.
	AllowMultipleRecoveryCodes bool
	// PostcardPublicKey is the server's postcard public key (nil until
	// postcards are first enabled).
	PostcardPublicKey []byte
	// RemotePostcardPublicKey is the printing center's public key (nil when unset).
	RemotePostcardPublicKey []byte
}

// UpdateRecoveryConfigInput replaces an application's recovery settings.
type UpdateRecoveryConfigInput struct {
	ApplicationName            string
	ActivationRecoveryEnabled  bool
	RecoveryPostcardEnabled    bool
	AllowMultipleRecoveryCodes bool
	// RemotePostcardPublicKey is the printing center's public key in
	// Base64: nil keeps the stored key, "" removes it.
	RemotePostcardPublicKey *string
}

// recoveryPostcardKeyContext binds the sealed postcard private key to its
// application (by internal id, which never changes).
func recoveryPostcardKeyContext(applicationID int64) string {
	return "pa_recovery_config.postcard_private_key:" + strconv.FormatInt(applicationID, 10)
}

// recoveryApplication resolves the applicationId of a recovery method. As in
// the reference, a missing or unknown application is CodeInvalidRequest.
func recoveryApplication(ctx context.Context, r store.Reader, name string) (domain.Application, error) {
	if strings.TrimSpace(name) == "" {
		return domain.Application{}, Errorf(CodeInvalidRequest, "applicationId - must not be blank")
	}
	app, err := r.GetApplicationByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return app, Errorf(CodeInvalidRequest, "Application does not exist.")
	}
	if err != nil {
		return app, fmt.Errorf("load application: %w", err)
	}
	return app, nil
}

// GetRecoveryConfig returns the recovery configuration of an application
// (the defaults, all off, when it was never updated).
func (s *Service) GetRecoveryConfig(ctx context.Context, applicationName string) (RecoveryConfig, error) {
	var out RecoveryConfig
	err := s.store.View(ctx, func(r store.Reader) error {
		app, err := recoveryApplication(ctx, r, applicationName)
		if err != nil {
			return err
		}
		c, _, err := recoveryConfigOf(ctx, r, app.ID)
		if err != nil {
			return err
		}
		out = RecoveryConfig{
			ApplicationName:            app.Name,
			ActivationRecoveryEnabled:  c.ActivationRecoveryEnabled,
			RecoveryPostcardEnabled:    c.RecoveryPostcardEnabled,
			AllowMultipleRecoveryCodes: c.AllowMultipleRecoveryCodes,
			PostcardPublicKey:          nilIfEmpty(c.PostcardPublicKey),
			RemotePostcardPublicKey:    nilIfEmpty(c.RemotePostcardPublicKey),
		}
		return nil
	})
	return out, err
}

// UpdateRecoveryConfig replaces the recovery settings of an application.
// Turning postcards on for the first time generates the server's postcard
// key pair (the private key sealed at rest). The remote key must be a valid
// P-256 public key (CodeInvalidKeyFormat otherwise).
func (s *Service) UpdateRecoveryConfig(ctx context.Context, in UpdateRecoveryConfigInput) error {
	var remote []byte
	if in.RemotePostcardPublicKey != nil && *in.RemotePostcardPublicKey != "" {
		b, err := base64.StdEncoding.DecodeString(*in.RemotePostcardPublicKey)
		if err != nil {
			return Errorf(CodeInvalidKeyFormat, "remotePostcardPublicKey - must be a Base64 encoded public key")
		}
		if _, err := protocol.ParsePublicKey(b); err != nil {
			return Wrap(CodeInvalidKeyFormat, "remotePostcardPublicKey - must be a P-256 public key", err)
		}
		remote = b
	}
	return s.store.InTx(ctx, func(tx store.Tx) error {
		app, err := recoveryApplication(ctx, tx, in.ApplicationName)
		if err != nil {
			return err
		}
		// Serialise updates of one application's settings, so the first
		// two concurrent updates do not both try to create them.
		if _, err := tx.GetApplicationForUpdate(ctx, app.ID); err != nil {
			return fmt.Errorf("lock application: %w", err)
		}
		c, exists, err := recoveryConfigOf(ctx, tx, app.ID)
		if err != nil {
			return err
		}
		if in.RecoveryPostcardEnabled && len(c.PostcardPrivateKeyEncrypted) == 0 {
			k, err := protocol.GenerateKeyPair()
			if err != nil {
				return fmt.Errorf("generate postcard key pair: %w", err)
			}
			c.PostcardPrivateKeyEncrypted = s.sealPrivateKey(k, recoveryPostcardKeyContext(app.ID))
			c.PostcardPublicKey = k.Public().Uncompressed()
		}
		c.ActivationRecoveryEnabled = in.ActivationRecoveryEnabled
		c.RecoveryPostcardEnabled = in.RecoveryPostcardEnabled
		c.AllowMultipleRecoveryCodes = in.AllowMultipleRecoveryCodes
		if in.RemotePostcardPublicKey != nil {
			c.RemotePostcardPublicKey = remote
		}
		if exists {
			err = tx.UpdateRecoveryConfig(ctx, &c)
		} else {
			err = tx.CreateRecoveryConfig(ctx, &c)
		}
		if err != nil {
			return fmt.Errorf("save recovery config: %w", err)
		}
		return nil
	})
}

func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}
