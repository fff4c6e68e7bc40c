package private

import (
	"context"
	"encoding/base64"

	"github.com/mauth/mauth/internal/api/render"
	"github.com/mauth/mauth/internal/restv3"
	"github.com/mauth/mauth/internal/service"
)

// checkECIES records the missing ECIES-in fields of an encrypted method;
// the service validates the rest.
func checkECIES(v *render.Validator, e restv3.EciesRequest) {
	v.Check(e.EphemeralPublicKey != "", "ephemeralPublicKey", "must not be blank")
	v.Check(e.EncryptedData != "", "encryptedData", "must not be blank")
	v.Check(e.Mac != "", "mac", "must not be blank")
}

// eciesRequestOf converts the ECIES-in fields to the service's request.
func eciesRequestOf(e restv3.EciesRequest) service.EciesRequest {
	return service.EciesRequest{
		EphemeralPublicKey: e.EphemeralPublicKey,
		EncryptedData:      e.EncryptedData,
		Mac:                e.Mac,
		Nonce:              e.Nonce,
		Timestamp:          e.Timestamp,
		ProtocolVersion:    e.ProtocolVersion,
		TemporaryKeyID:     e.TemporaryKeyID,
	}
}

type eciesResponseDTO = restv3.EciesResponse

func eciesResponseOf(r *service.EciesResponse) eciesResponseDTO {
	if r == nil {
		return eciesResponseDTO{}
	}
	out := eciesResponseDTO{EncryptedData: &r.EncryptedData, Mac: &r.Mac, Timestamp: r.Timestamp}
	if r.Nonce != "" {
		out.Nonce = &r.Nonce
	}
	return out
}

type vaultUnlockRequest = restv3.VaultUnlockRequest

type vaultUnlockResponse = restv3.VaultUnlockResponse

type eciesDecryptorRequest = restv3.EciesDecryptorRequest

type eciesDecryptorResponse = restv3.EciesDecryptorResponse

type temporaryKeyRequest struct {
	JWT string `json:"jwt"`
}

type temporaryKeyResponse struct {
	JWT string `json:"jwt"`
}

type removeTemporaryKeyRequest struct {
	ID string `json:"id"`
}

type removeTemporaryKeyResponse struct {
	ID      string `json:"id"`
	Removed bool   `json:"removed"`
}

type startUpgradeRequest = restv3.UpgradeStartRequest

type commitUpgradeRequest = restv3.UpgradeCommitRequest

type commitUpgradeResponse struct {
	Committed bool `json:"committed"`
}

// registerEncryptionRoutes registers vault unlock, the ECIES decryptor,
// the 3.3 temporary keys and the activation upgrade.
func (s *Server) registerEncryptionRoutes() {
	method(s, "vault/unlock", func(ctx context.Context, r *vaultUnlockRequest) (any, error) {
		var v render.Validator
		v.Check(r.ActivationID != "", "activationId", "must not be blank")
		v.Check(r.ApplicationKey != "", "applicationKey", "must not be blank")
		v.Check(r.SignedData != "", "signedData", "must not be blank")
		v.Check(r.Signature != "", "signature", "must not be blank")
		v.Check(r.SignatureVersion != "", "signatureVersion", "must not be blank")
		st, err := service.ParseSignatureTypeName(r.SignatureType)
		v.Check(err == nil, "signatureType", "must be a signature type")
		checkECIES(&v, r.EciesRequest)
		if err := v.Err(); err != nil {
			return nil, err
		}
		res, err := s.svc.UnlockVault(ctx, service.VaultUnlockInput{
			ActivationID: r.ActivationID, ApplicationKey: r.ApplicationKey, SignedData: r.SignedData,
			Signature: r.Signature, SignatureType: st, SignatureVersion: r.SignatureVersion, Request: eciesRequestOf(r.EciesRequest),
		})
		if err != nil {
			return nil, err
		}
		return vaultUnlockResponse{EciesResponse: eciesResponseOf(res.Response), SignatureValid: res.SignatureValid}, nil
	})

	method(s, "ecies/decryptor", func(ctx context.Context, r *eciesDecryptorRequest) (any, error) {
		var v render.Validator
		v.Check(r.ApplicationKey != "", "applicationKey", "must not be blank")
		v.Check(r.EphemeralPublicKey != "", "ephemeralPublicKey", "must not be blank")
		if err := v.Err(); err != nil {
			return nil, err
		}
		secrets, err := s.svc.EciesDecryptor(ctx, service.EciesDecryptorInput{
			ActivationID: r.ActivationID, ApplicationKey: r.ApplicationKey, EphemeralPublicKey: r.EphemeralPublicKey,
			Nonce: r.Nonce, Timestamp: r.Timestamp, ProtocolVersion: r.ProtocolVersion, TemporaryKeyID: r.TemporaryKeyID,
		})
		if err != nil {
			return nil, err
		}
		return eciesDecryptorResponse{SecretKey: base64.StdEncoding.EncodeToString(secrets.EnvelopeKey), SharedInfo2: base64.StdEncoding.EncodeToString(secrets.SharedInfo2Base)}, nil
	})

	method(s, "keystore/create", func(ctx context.Context, r *temporaryKeyRequest) (any, error) {
		var v render.Validator
		v.Check(r.JWT != "", "jwt", "must not be blank")
		if err := v.Err(); err != nil {
			return nil, err
		}
		k, err := s.svc.CreateTemporaryKey(ctx, r.JWT)
		if err != nil {
			return nil, err
		}
		return temporaryKeyResponse{JWT: k.JWT}, nil
	})

	method(s, "keystore/remove", func(ctx context.Context, r *removeTemporaryKeyRequest) (any, error) {
		var v render.Validator
		v.Check(r.ID != "", "id", "must not be blank")
		if err := v.Err(); err != nil {
			return nil, err
		}
		removed, err := s.svc.RemoveTemporaryKey(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		return removeTemporaryKeyResponse{ID: r.ID, Removed: removed}, nil
	})

	method(s, "upgrade/start", func(ctx context.Context, r *startUpgradeRequest) (any, error) {
		var v render.Validator
		v.Check(r.ActivationID != "", "activationId", "must not be blank")
		v.Check(r.ApplicationKey != "", "applicationKey", "must not be blank")
		checkECIES(&v, r.EciesRequest)
		if err := v.Err(); err != nil {
			return nil, err
		}
		resp, err := s.svc.StartUpgrade(ctx, service.StartUpgradeInput{ActivationID: r.ActivationID, ApplicationKey: r.ApplicationKey, Request: eciesRequestOf(r.EciesRequest)})
		if err != nil {
			return nil, err
		}
		return eciesResponseOf(resp), nil
	})

	method(s, "upgrade/commit", func(ctx context.Context, r *commitUpgradeRequest) (any, error) {
		var v render.Validator
		v.Check(r.ActivationID != "", "activationId", "must not be blank")
		v.Check(r.ApplicationKey != "", "applicationKey", "must not be blank")
		if err := v.Err(); err != nil {
			return nil, err
		}
		committed, err := s.svc.CommitUpgrade(ctx, r.ActivationID, r.ApplicationKey)
		if err != nil {
			return nil, err
		}
		return commitUpgradeResponse{Committed: committed}, nil
	})
}
