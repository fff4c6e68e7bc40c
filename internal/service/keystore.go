package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/protocol"
)

// TemporaryKey is a 3.3 temporary encryption key as handed to a client.
type TemporaryKey struct {
	// JWT is the ES256-signed response JWT carrying the public key.
	JWT string
	// ID is the key ID (the JWT subject).
	ID string
	// ExpiresAt is when the key stops being accepted.
	ExpiresAt time.Time
}

// CreateTemporaryKey handles a 3.3 temporary key request (keystore/create).
// The request JWT is HS256-signed with the application secret (application
// scope) or a key derived from the activation's transport key (activation
// scope, the activation must be ACTIVE or BLOCKED and belong to the
// application). A new P-256 key pair is stored sealed for
// Config.TemporaryKeyValidity, and the response JWT is signed with the
// master key or the activation's server key. Every rejection of the
// request is CodeInvalidRequest.
func (s *Service) CreateTemporaryKey(ctx context.Context, jwt string) (TemporaryKey, error) {
	req, err := protocol.ParseTemporaryKeyRequest(jwt)
	if err != nil {
		return TemporaryKey{}, Wrap(CodeInvalidRequest, "Invalid temporary key request.", err)
	}
	invalid := func(msg string) error { return Errorf(CodeInvalidRequest, "%s", msg) }
	priv, err := protocol.GenerateKeyPair()
	if err != nil {
		return TemporaryKey{}, Wrap(CodeGenericCryptography, "Key generation failed.", err)
	}
	var signer *protocol.PrivateKey
	var key domain.TemporaryKey
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		version, err := tx.GetApplicationVersionByKey(ctx, req.ApplicationKey)
		if errors.Is(err, store.ErrNotFound) || (err == nil && !version.Supported) {
			return invalid("Application does not exist or is not supported.")
		}
		if err != nil {
			return fmt.Errorf("load application version: %w", err)
		}
		var transport []byte
		if req.ActivationID == "" {
			app, err := tx.GetApplication(ctx, version.ApplicationID)
			if err != nil {
				return fmt.Errorf("load application: %w", err)
			}
			if signer, _, err = s.masterKey(ctx, tx, app); err != nil {
				return err
			}
		} else {
			a, err := tx.GetActivation(ctx, req.ActivationID)
			if errors.Is(err, store.ErrNotFound) {
				return invalid("Activation does not exist.")
			}
			if err != nil {
				return fmt.Errorf("load activation: %w", err)
			}
			if a.ApplicationID != version.ApplicationID || checkActivationProtocolState(a, domain.ActivationActive, domain.ActivationBlocked) != nil {
				return invalid("Activation does not exist or is in an incorrect state.")
			}
			ks, err := s.activationKeys(a)
			if err != nil {
				return err
			}
			transport = ks.Transport
			if signer, err = s.activationServerKey(a); err != nil {
				return err
			}
		}
		hmacKey, err := protocol.TemporaryKeyRequestKey(version.ApplicationSecret, transport)
		if err != nil {
			return fmt.Errorf("temporary key request key: %w", err)
		}
		if err := req.Verify(hmacKey); err != nil {
			return Wrap(CodeInvalidRequest, "Invalid temporary key request signature.", err)
		}
		key = domain.TemporaryKey{
			ID:             uuid.NewString(),
			ApplicationKey: req.ApplicationKey,
			ActivationID:   req.ActivationID,
			PublicKey:      priv.Public().Uncompressed(),
			Expires:        s.Now().Add(s.cfg.TemporaryKeyValidity),
		}
		key.PrivateKeyEncrypted = s.sealPrivateKey(priv, temporaryKeyContext(key.ID))
		if err := tx.CreateTemporaryKey(ctx, &key); err != nil {
			return fmt.Errorf("store temporary key: %w", err)
		}
		return nil
	})
	if err != nil {
		return TemporaryKey{}, err
	}
	issued := key.Expires.Add(-s.cfg.TemporaryKeyValidity)
	out, err := protocol.BuildTemporaryKeyResponse(signer, protocol.TemporaryKeyResponseClaims{
		TemporaryKeyID: key.ID,
		ApplicationKey: req.ApplicationKey,
		ActivationID:   req.ActivationID,
		Challenge:      req.Challenge,
		PublicKey:      priv.Public(),
		IssuedAt:       issued,
		ExpiresAt:      key.Expires,
	})
	if err != nil {
		return TemporaryKey{}, Wrap(CodeGenericCryptography, "Unable to sign the temporary key response.", err)
	}
	return TemporaryKey{JWT: out, ID: key.ID, ExpiresAt: key.Expires}, nil
}

// RemoveTemporaryKey deletes a temporary key and reports whether it existed.
func (s *Service) RemoveTemporaryKey(ctx context.Context, id string) (bool, error) {
	removed := false
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		err := tx.DeleteTemporaryKey(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			removed = false
			return nil
		}
		if err != nil {
			return fmt.Errorf("delete temporary key: %w", err)
		}
		removed = true
		return nil
	})
	return removed, err
}

// PurgeResult counts what PurgeExpired deleted.
type PurgeResult struct {
	TemporaryKeys int64
	UniqueValues  int64
}

// PurgeExpired deletes expired temporary keys and replay-cache entries. It
// is meant to run periodically in the background, on any number of nodes.
func (s *Service) PurgeExpired(ctx context.Context) (PurgeResult, error) {
	var out PurgeResult
	now := s.Now()
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		var err error
		if out.TemporaryKeys, err = tx.DeleteExpiredTemporaryKeys(ctx, now); err != nil {
			return fmt.Errorf("purge temporary keys: %w", err)
		}
		if out.UniqueValues, err = tx.DeleteExpiredUniqueValues(ctx, now); err != nil {
			return fmt.Errorf("purge unique values: %w", err)
		}
		return nil
	})
	if err != nil {
		return PurgeResult{}, err
	}
	return out, nil
}
