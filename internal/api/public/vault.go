package public

import (
	"errors"
	"net/http"
	"strings"

	"github.com/mauth/mauth/internal/deviceauth"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/protocol"
)

// vaultUnlock is /pa/v3/vault/unlock. The core verifies the signature (over
// the encrypted body) and decrypts the request in one transaction, so the
// signature is only parsed here: a failed signature is 401, other failures
// ERR_SECURE_VAULT.
func (s *Server) vaultUnlock(r *http.Request) (any, error) {
	sr, r, err := s.mw.parseSignedRequest(r, "/pa/vault/unlock", nil)
	if err != nil {
		return nil, err
	}
	h := sr.header
	req, r, err := s.readCoreCryptogram(r, h.Version)
	if err != nil {
		return nil, err
	}
	res, err := s.core.UnlockVault(r.Context(), service.VaultUnlockInput{
		ActivationID:     h.ActivationID,
		ApplicationKey:   h.ApplicationKey,
		SignedData:       sr.data,
		Signature:        h.Signature,
		SignatureType:    h.SignatureType,
		SignatureVersion: h.Version,
		Request:          req,
	})
	if err != nil {
		var se *service.Error
		if errors.As(err, &se) && se.Code == service.CodeInvalidSignature {
			return nil, failSignatureTyp.With(err)
		}
		return nil, eciesCoreError(err, failSecureVault)
	}
	if !res.SignatureValid || res.Response == nil {
		return nil, failSignature.Withf("vault unlock signature of activation %s is not valid", h.ActivationID)
	}
	return eciesResponseJSON(res.Response), nil
}

// upgradeStart is /pa/v3/upgrade/start: activation-scope encryption with
// the X-PowerAuth-Encryption header, decrypted by the core.
func (s *Server) upgradeStart(r *http.Request) (any, error) {
	raw := r.Header.Get(protocol.HeaderEncryption)
	if strings.TrimSpace(raw) == "" {
		return nil, failEncryption.Withf("missing %s header", protocol.HeaderEncryption)
	}
	h, err := protocol.ParseEncryptionHeader(raw)
	if err != nil {
		return nil, failEncryption.With(err)
	}
	if !h.HasActivationID() {
		return nil, failEncryption.Withf("activation_id is required in activation scope")
	}
	req, r, err := s.readCoreCryptogram(r, h.Version)
	if err != nil {
		return nil, err
	}
	resp, err := s.core.StartUpgrade(r.Context(), service.StartUpgradeInput{
		ActivationID:   h.ActivationID,
		ApplicationKey: h.ApplicationKey,
		Request:        req,
	})
	if err != nil {
		return nil, eciesCoreError(err, failUpgrade)
	}
	return eciesResponseJSON(resp), nil
}

// upgradeCommit is /pa/v3/upgrade/commit: a possession signature with the
// forced version 3 counter; the activation becomes version 3.
func (s *Server) upgradeCommit(r *http.Request) (any, error) {
	auth, _ := deviceauth.AuthFromContext(r.Context())
	ok, err := s.core.CommitUpgrade(r.Context(), auth.ActivationID, auth.ApplicationKey)
	if err != nil {
		return nil, coreError(err, failUpgrade)
	}
	if !ok {
		return nil, failUpgrade.Withf("upgrade of activation %s was not committed", auth.ActivationID)
	}
	return nil, nil
}

// recoveryConfirm is /pa/v3/recovery/confirm: a possession_knowledge
// signature over the encrypted body, decrypted by the core.
func (s *Server) recoveryConfirm(r *http.Request) (any, error) {
	auth, _ := deviceauth.AuthFromContext(r.Context())
	req, r, err := s.readCoreCryptogram(r, auth.Version)
	if err != nil {
		return nil, err
	}
	res, err := s.core.ConfirmRecoveryCode(r.Context(), service.ConfirmRecoveryCodeInput{
		ActivationID:   auth.ActivationID,
		ApplicationKey: auth.ApplicationKey,
		Request:        req,
	})
	if err != nil {
		return nil, eciesCoreError(err, failRecovery)
	}
	if res == nil || res.Response == nil {
		return nil, failRecovery.Withf("recovery confirmation returned no response")
	}
	return eciesResponseJSON(res.Response), nil
}
