package public

import (
	"errors"
	"net/http"
	"strings"

	"github.com/mauth/mauth/internal/api/render"
	"github.com/mauth/mauth/internal/deviceauth"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/protocol"
)

// vaultUnlock is /pa/v3/vault/unlock. The core verifies the signature (over
// the encrypted body) and decrypts the request in one transaction, so the
// signature is only parsed here: a failed signature is 401, other failures
// ERR_SECURE_VAULT.
func (s *Server) vaultUnlock(w http.ResponseWriter, r *http.Request) {
	sr, r, err := s.mw.parseSignedRequest(r, "/pa/vault/unlock", nil)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h := sr.header
	req, r, err := s.readCoreCryptogram(r, h.Version)
	if err != nil {
		s.fail(w, r, err)
		return
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
			s.fail(w, r, failSignatureTyp.With(err))
			return
		}
		s.fail(w, r, eciesCoreError(err, failSecureVault))
		return
	}
	if !res.SignatureValid || res.Response == nil {
		s.fail(w, r, failSignature.Withf("vault unlock signature of activation %s is not valid", h.ActivationID))
		return
	}
	writeEciesResponse(w, res.Response)
}

// upgradeStart is /pa/v3/upgrade/start: activation-scope encryption with
// the X-PowerAuth-Encryption header, decrypted by the core.
func (s *Server) upgradeStart(w http.ResponseWriter, r *http.Request) {
	raw := r.Header.Get(protocol.HeaderEncryption)
	if strings.TrimSpace(raw) == "" {
		s.fail(w, r, failEncryption.Withf("missing %s header", protocol.HeaderEncryption))
		return
	}
	h, err := protocol.ParseEncryptionHeader(raw)
	if err != nil {
		s.fail(w, r, failEncryption.With(err))
		return
	}
	if !h.HasActivationID() {
		s.fail(w, r, failEncryption.Withf("activation_id is required in activation scope"))
		return
	}
	req, r, err := s.readCoreCryptogram(r, h.Version)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	resp, err := s.core.StartUpgrade(r.Context(), service.StartUpgradeInput{
		ActivationID:   h.ActivationID,
		ApplicationKey: h.ApplicationKey,
		Request:        req,
	})
	if err != nil {
		s.fail(w, r, eciesCoreError(err, failUpgrade))
		return
	}
	writeEciesResponse(w, resp)
}

// upgradeCommit is /pa/v3/upgrade/commit: a possession signature with the
// forced version 3 counter; the activation becomes version 3.
func (s *Server) upgradeCommit(w http.ResponseWriter, r *http.Request) {
	auth, _ := deviceauth.AuthFromContext(r.Context())
	ok, err := s.core.CommitUpgrade(r.Context(), auth.ActivationID, auth.ApplicationKey)
	if err != nil {
		s.fail(w, r, coreError(err, failUpgrade))
		return
	}
	if !ok {
		s.fail(w, r, failUpgrade.Withf("upgrade of activation %s was not committed", auth.ActivationID))
		return
	}
	render.OK(w, nil)
}

// recoveryConfirm is /pa/v3/recovery/confirm: a possession_knowledge
// signature over the encrypted body, decrypted by the core.
func (s *Server) recoveryConfirm(w http.ResponseWriter, r *http.Request) {
	auth, _ := deviceauth.AuthFromContext(r.Context())
	req, r, err := s.readCoreCryptogram(r, auth.Version)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.core.ConfirmRecoveryCode(r.Context(), service.ConfirmRecoveryCodeInput{
		ActivationID:   auth.ActivationID,
		ApplicationKey: auth.ApplicationKey,
		Request:        req,
	})
	if err != nil {
		s.fail(w, r, eciesCoreError(err, failRecovery))
		return
	}
	if res == nil || res.Response == nil {
		s.fail(w, r, failRecovery.Withf("recovery confirmation returned no response"))
		return
	}
	writeEciesResponse(w, res.Response)
}
