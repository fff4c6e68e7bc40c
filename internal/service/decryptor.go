package service

import (
	"context"
	"encoding/base64"

	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/protocol"
)

// EciesDecryptorInput describes an ECIES request whose per-request secrets
// an edge server asks for, so that it can decrypt the request and encrypt
// the response itself. Only the generic use cases (/pa/generic/application
// and /pa/generic/activation) are served.
type EciesDecryptorInput struct {
	// ActivationID selects activation scope; empty means application scope.
	ActivationID   string
	ApplicationKey string
	// EphemeralPublicKey, Nonce are Base64 as received; Nonce is empty in 3.0.
	EphemeralPublicKey string
	Nonce              string
	// Timestamp is the request time in ms (3.2+), nil before.
	Timestamp       *int64
	ProtocolVersion string
	// TemporaryKeyID names the 3.3 temporary key the request used.
	TemporaryKeyID string
}

// dummy ciphertext and MAC that let EciesRequest.parse validate the other
// fields of a decryptor request, which carries neither.
var (
	decryptorDummyData = base64.StdEncoding.EncodeToString(make([]byte, 16))
	decryptorDummyMAC  = base64.StdEncoding.EncodeToString(make([]byte, protocol.EciesMACSize))
)

// EciesDecryptor returns the envelope key and SH2 base of an ECIES request
// (protocol.EciesSecrets). It applies the same checks as a request the
// server decrypts itself: the application version must be supported, an
// activation must be ACTIVE and belong to the application, the timestamp
// must be fresh and the request must not have been seen before (3.2+).
func (s *Service) EciesDecryptor(ctx context.Context, in EciesDecryptorInput) (protocol.EciesSecrets, error) {
	req, version, err := EciesRequest{
		EphemeralPublicKey: in.EphemeralPublicKey,
		EncryptedData:      decryptorDummyData,
		Mac:                decryptorDummyMAC,
		Nonce:              in.Nonce,
		Timestamp:          in.Timestamp,
		ProtocolVersion:    in.ProtocolVersion,
		TemporaryKeyID:     in.TemporaryKeyID,
	}.parse(s.cfg.LegacyProtocolVersionInference)
	if err != nil {
		return protocol.EciesSecrets{}, err
	}
	var secrets protocol.EciesSecrets
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		var sc eciesScope
		if in.ActivationID == "" {
			v, app, err := s.applicationVersionByKey(ctx, tx, in.ApplicationKey)
			if err != nil {
				return err
			}
			if !v.Supported {
				return Errorf(CodeInvalidApplication, "Application does not exist or is not supported.")
			}
			sc = eciesScope{app: app, version: v, sh1: protocol.SharedInfo1GenericApplication}
		} else {
			a, v, app, err := s.activeActivationWithKey(ctx, tx, in.ActivationID, in.ApplicationKey)
			if err != nil {
				return err
			}
			sc = eciesScope{app: app, version: v, activation: &a, sh1: protocol.SharedInfo1GenericActivation}
		}
		key, ectx, err := s.eciesKey(ctx, tx, sc, version, req.TemporaryKeyID)
		if err != nil {
			return err
		}
		if err := s.checkEciesTimestamp(req.Timestamp); err != nil {
			return err
		}
		env, err := protocol.NewServerEciesEnvelope(key, ectx, req.EphemeralPublicKey, req.Nonce, req.Timestamp)
		if err != nil {
			return Wrap(CodeDecryptionFailed, "Decryption failed.", err)
		}
		if err := s.recordEciesReplay(ctx, tx, sc, env); err != nil {
			return err
		}
		secrets = env.Secrets()
		return nil
	})
	if err != nil {
		return protocol.EciesSecrets{}, err
	}
	return secrets, nil
}
