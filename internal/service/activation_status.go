package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/protocol"
)

// ActivationStatusResult is the outcome of activation/status.
type ActivationStatusResult struct {
	// Found is false for an unknown activation ID, which the API reports as
	// a REMOVED activation (not as an error); the other fields are then
	// empty except the random blob and nonce.
	Found bool
	// Activation is the activation (after lazy expiry).
	Activation ActivationDetail
	// ApplicationRoles are the roles of the activation's application.
	ApplicationRoles []string
	// EncryptedStatusBlob is the 32-byte blob for the device: encrypted with
	// KEY_TRANSPORT when the activation has keys, random otherwise.
	EncryptedStatusBlob []byte
	// EncryptedStatusBlobNonce is the fresh 16-byte nonce of a 3.1+ blob;
	// nil without a challenge and for blobs of activations without keys.
	EncryptedStatusBlobNonce []byte
	// ActivationSignature is the activation code signature, only while the
	// activation is CREATED.
	ActivationSignature []byte
	// DevicePublicKeyFingerprint is the 8-digit fingerprint of the key
	// exchange; empty before it.
	DevicePublicKeyFingerprint string
}

// GetActivationStatus returns the detail of an activation with the status
// blob for its device (activation/status). challenge is the device's 16
// random bytes (protocol 3.1+) or nil (3.0). A pending activation past its
// expiry is moved to REMOVED first.
func (s *Service) GetActivationStatus(ctx context.Context, activationID string, challenge []byte) (ActivationStatusResult, error) {
	var out ActivationStatusResult
	if err := requireActivationID(activationID); err != nil {
		return out, err
	}
	if challenge != nil && len(challenge) != protocol.StatusChallengeSize {
		return out, Errorf(CodeInvalidRequest, "challenge - must be %d bytes", protocol.StatusChallengeSize)
	}
	a, err := s.store.GetActivation(ctx, activationID)
	if errors.Is(err, store.ErrNotFound) {
		out.EncryptedStatusBlob = protocol.RandomBytes(protocol.StatusBlobSize)
		if challenge != nil {
			out.EncryptedStatusBlobNonce = protocol.RandomBytes(protocol.StatusNonceSize)
		}
		return out, nil
	}
	if err != nil {
		return out, fmt.Errorf("load activation: %w", err)
	}
	if a, err = s.expireOnRead(ctx, a); err != nil {
		return out, err
	}
	app, err := s.store.GetApplication(ctx, a.ApplicationID)
	if err != nil {
		return out, fmt.Errorf("load application: %w", err)
	}
	out.Found = true
	out.Activation = ActivationDetail{Activation: a, ApplicationName: app.Name}
	out.ApplicationRoles = app.Roles

	if a.Status == domain.ActivationCreated {
		// No keys are exchanged yet, so nothing can be sent securely.
		out.EncryptedStatusBlob = protocol.RandomBytes(protocol.StatusBlobSize)
		if challenge != nil {
			out.EncryptedStatusBlobNonce = protocol.RandomBytes(protocol.StatusNonceSize)
		}
		out.ActivationSignature = a.ActivationSignature
		return out, nil
	}
	if len(a.DevicePublicKey) == 0 || len(a.ServerPrivateKeyEncrypted) == 0 {
		// Removed straight from CREATED: there are no keys.
		out.EncryptedStatusBlob = protocol.RandomBytes(protocol.StatusBlobSize)
		return out, nil
	}
	blob, nonce, fingerprint, err := s.activationStatusBlob(a, challenge)
	if err != nil {
		return out, err
	}
	out.EncryptedStatusBlob, out.EncryptedStatusBlobNonce, out.DevicePublicKeyFingerprint = blob, nonce, fingerprint
	return out, nil
}

// activationStatusBlob encrypts the status blob of an activation with keys
// and computes its fingerprint.
func (s *Service) activationStatusBlob(a domain.Activation, challenge []byte) (blob, nonce []byte, fingerprint string, err error) {
	device, err := protocol.ParsePublicKey(a.DevicePublicKey)
	if err != nil {
		return nil, nil, "", Wrap(CodeInvalidKeyFormat, "Stored device public key is invalid.", err)
	}
	server, err := protocol.ParsePublicKey(a.ServerPublicKey)
	if err != nil {
		return nil, nil, "", Wrap(CodeInvalidKeyFormat, "Stored server public key is invalid.", err)
	}
	switch a.Version {
	case 3:
		fingerprint = protocol.ActivationFingerprint(device, a.ActivationID, server)
	case 2:
		fingerprint = protocol.ActivationFingerprint(device, "", nil)
	default:
		return nil, nil, "", Errorf(CodeActivationIncorrectState, "Unsupported activation version %d.", a.Version)
	}
	keys, err := s.activationKeys(a)
	if err != nil {
		return nil, nil, "", err
	}
	ctrData := a.CtrData
	if len(ctrData) == 0 {
		ctrData = make([]byte, 16) // version 2 has no hash-based counter
	}
	ctrHash, err := protocol.CtrDataHash(keys.Transport, ctrData)
	if err != nil {
		return nil, nil, "", Wrap(CodeGenericCryptography, "Counter hash failed.", err)
	}
	if challenge != nil {
		nonce = protocol.RandomBytes(protocol.StatusNonceSize)
	}
	blob, err = protocol.EncryptStatusBlob(keys.Transport, challenge, nonce, protocol.StatusBlob{
		Status:            byte(a.Status),
		CurrentVersion:    byte(a.Version),
		UpgradeVersion:    upgradeProtocolVersion,
		CtrByte:           byte(a.Counter & 0xFF),
		FailedAttempts:    activationStatusByte(a.FailedAttempts),
		MaxFailedAttempts: activationStatusByte(a.MaxFailedAttempts),
		CtrLookAhead:      activationStatusByte(int64(s.cfg.SignatureLookAhead)),
		CtrDataHash:       ctrHash,
	})
	if err != nil {
		return nil, nil, "", Wrap(CodeGenericCryptography, "Status blob encryption failed.", err)
	}
	return blob, nonce, fingerprint, nil
}

// activationStatusByte fits a counter into one status-blob byte.
func activationStatusByte(v int64) byte {
	switch {
	case v < 0:
		return 0
	case v > 0xFF:
		return 0xFF
	}
	return byte(v)
}
