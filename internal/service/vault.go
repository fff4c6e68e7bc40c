package service

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/protocol"
)

// AuditInfoVaultUnlockReason is the signature audit key that records why
// the vault was unlocked.
const AuditInfoVaultUnlockReason = "VAULT_UNLOCKED_REASON"

// VaultUnlockReasonNotSpecified is recorded when the device sends no reason.
const VaultUnlockReasonNotSpecified = "NOT_SPECIFIED"

// vaultReasonPattern is what a vault unlock reason may look like.
var vaultReasonPattern = regexp.MustCompile(`^[A-Za-z0-9_\-.]{3,255}$`)

// VaultUnlockInput is a vault unlock request: a signed call (encrypt then
// sign: SignedData is the normalized data of the encrypted body, without
// the application secret) carrying an activation-scope ECIES request
// (SH1 /pa/vault/unlock) with the plaintext {"reason": …}.
type VaultUnlockInput struct {
	ActivationID     string
	ApplicationKey   string
	SignedData       string
	Signature        string
	SignatureType    protocol.SignatureType
	SignatureVersion string
	// Request is the ECIES request; its ProtocolVersion defaults to
	// SignatureVersion.
	Request EciesRequest
}

// VaultUnlockResult tells whether the signature was valid. Response, when
// set, is the encrypted {"encryptedVaultEncryptionKey": …} (the key only
// when the signature was valid).
type VaultUnlockResult struct {
	SignatureValid bool
	Response       *EciesResponse
}

// parseVaultUnlockPayload reads the decrypted {"reason": …} of a vault
// unlock. readable is false when the payload is not such a JSON object; a
// reason that does not match the allowed pattern is CodeInvalidInputFormat;
// a missing or null reason is VaultUnlockReasonNotSpecified.
func parseVaultUnlockPayload(body []byte) (reason string, readable bool, err error) {
	var p vaultRequestPayload
	if err := json.Unmarshal(body, &p); err != nil {
		return "", false, nil
	}
	if p.Reason == nil {
		return VaultUnlockReasonNotSpecified, true, nil
	}
	if !vaultReasonPattern.MatchString(*p.Reason) {
		return "", true, Errorf(CodeInvalidInputFormat, "Invalid vault unlock reason.")
	}
	return *p.Reason, true, nil
}

// vaultRequestPayload is the decrypted vault unlock request.
type vaultRequestPayload struct {
	Reason *string `json:"reason"`
}

// vaultResponsePayload is the decrypted vault unlock response.
type vaultResponsePayload struct {
	EncryptedVaultEncryptionKey string `json:"encryptedVaultEncryptionKey,omitempty"`
}

// UnlockVault releases KEY_ENCRYPTION_VAULT, wrapped with the transport
// key, after a valid possession_knowledge signature (possession_biometry
// too when Config.VaultUnlockAllowBiometry). Other signature types are
// CodeInvalidSignature. An unknown or not ACTIVE activation or an
// unacceptable application key give an invalid result without a response.
// The signature is verified, counted and audited like any other (the
// unlock reason goes to the audit record) in the same transaction that
// decrypts the request.
func (s *Service) UnlockVault(ctx context.Context, in VaultUnlockInput) (VaultUnlockResult, error) {
	allowed := in.SignatureType == protocol.SignaturePossessionKnowledge ||
		(in.SignatureType == protocol.SignaturePossessionBiometry && s.cfg.VaultUnlockAllowBiometry)
	if !allowed {
		return VaultUnlockResult{}, Errorf(CodeInvalidSignature, "Signature type is not allowed for vault unlock.")
	}
	verify := VerifySignatureInput{
		ActivationID:     in.ActivationID,
		ApplicationKey:   in.ApplicationKey,
		Data:             in.SignedData,
		Signature:        in.Signature,
		SignatureType:    in.SignatureType,
		SignatureVersion: in.SignatureVersion,
	}
	if err := verify.validate(); err != nil {
		return VaultUnlockResult{}, err
	}
	req := in.Request
	if req.ProtocolVersion == "" {
		req.ProtocolVersion = in.SignatureVersion
	}
	var out VaultUnlockResult
	var env *protocol.EciesEnvelope
	var plain []byte
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		out, env, plain = VaultUnlockResult{}, nil, nil
		a, err := tx.GetActivationForUpdate(ctx, in.ActivationID)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("lock activation: %w", err)
		}
		if checkActivationProtocolState(a, domain.ActivationActive) != nil {
			return nil
		}
		version, app, err := s.supportedVersionForActivation(ctx, tx, a, in.ApplicationKey)
		if CodeOf(err) == CodeInvalidApplication {
			return nil
		}
		if err != nil {
			return err
		}
		body, e, err := s.decryptRequest(ctx, tx, eciesScope{app: app, version: version, activation: &a, sh1: protocol.SharedInfo1VaultUnlock}, req)
		if err != nil {
			return err
		}
		reason, readable, err := parseVaultUnlockPayload(body)
		if err != nil {
			return err
		}
		if !readable {
			// An unreadable payload is answered like a bad signature
			// (encrypted, without the key), as the reference server does.
			env = e
			plain, err = json.Marshal(vaultResponsePayload{})
			return err
		}
		verify.AdditionalInfo = map[string]string{AuditInfoVaultUnlockReason: reason}
		res, _, err := s.verifySignatureTx(ctx, tx, verify)
		if err != nil {
			return err
		}
		var payload vaultResponsePayload
		if res.SignatureValid {
			keys, err := s.activationKeys(a)
			if err != nil {
				return err
			}
			wrapped, err := protocol.WrapVaultKey(keys.Transport, keys.Vault)
			if err != nil {
				return Wrap(CodeGenericCryptography, "Vault key cannot be wrapped.", err)
			}
			payload.EncryptedVaultEncryptionKey = base64.StdEncoding.EncodeToString(wrapped)
		}
		out.SignatureValid = res.SignatureValid
		env = e
		if plain, err = json.Marshal(payload); err != nil {
			return fmt.Errorf("encode vault response: %w", err)
		}
		return nil
	})
	if err != nil {
		return VaultUnlockResult{}, err
	}
	if env != nil {
		if out.Response, err = s.encryptResponse(env, plain); err != nil {
			return VaultUnlockResult{}, err
		}
	}
	return out, nil
}
