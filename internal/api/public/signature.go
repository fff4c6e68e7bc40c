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

// signedRequest is a parsed X-PowerAuth-Authorization header with the
// normalized data it has to sign.
type signedRequest struct {
	header *protocol.AuthorizationHeader
	// data is METHOD&B64(uriId)&NONCE&B64(body), without the application secret.
	data string
}

// parseSignedRequest reads the signature header and the exact body (for
// GET, and DELETE without a body, the canonical query string) and builds
// the normalized request data for uriID. It answers 401 for a missing or
// malformed header and a signature type outside allowed.
func (m *Middleware) parseSignedRequest(r *http.Request, uriID string, allowed []protocol.SignatureType) (*signedRequest, *http.Request, error) {
	raw := r.Header.Get(protocol.HeaderAuthorization)
	if strings.TrimSpace(raw) == "" {
		return nil, r, failSignature.Withf("missing %s header", protocol.HeaderAuthorization)
	}
	h, err := protocol.ParseAuthorizationHeader(raw)
	if err != nil {
		return nil, r, failSignature.With(err)
	}
	if !typeAllowed(h.SignatureType, allowed) {
		return nil, r, failSignatureTyp.Withf("signature type %s is not allowed for %s", h.SignatureType, uriID)
	}
	body, r, err := m.readBody(r)
	if err != nil {
		return nil, r, err
	}
	signed := body
	if r.Method == http.MethodGet || (r.Method == http.MethodDelete && len(body) == 0) {
		signed = []byte(protocol.CanonicalQuery(r.URL.Query()))
	}
	nonce, err := h.NonceBytes()
	if err != nil {
		return nil, r, failSignature.With(err)
	}
	return &signedRequest{header: h, data: protocol.RequestData(r.Method, uriID, nonce, signed)}, r, nil
}

// RequireSignature guards a handler with a PowerAuth signature: the
// X-PowerAuth-Authorization header must sign the exact request body (for
// GET, and DELETE without a body, the canonical query string) under the
// logical resource id uriID with one of the allowed factor types (none
// listed: any type). The core verifies the signature, which moves the
// activation's counter and counts failures. On success the handler gets
// the Auth of the device in the request context; any failure is 401
// ERR_AUTHENTICATION.
//
// For encrypt-then-sign endpoints put RequireSignature before Encrypted:
// the signature covers the encrypted body.
func (m *Middleware) RequireSignature(uriID string, allowed ...protocol.SignatureType) func(http.Handler) http.Handler {
	return m.requireSignature(uriID, 0, allowed, nil)
}

// requireSignature is RequireSignature with a forced signature version
// (3 during the commit of a v2 → v3 upgrade, 0 otherwise) and, when
// authFail is set, that answer in place of every 401 (signature/validate
// reports POWERAUTH_AUTH_FAIL).
func (m *Middleware) requireSignature(uriID string, forcedVersion int, allowed []protocol.SignatureType, authFail *render.APIError) func(http.Handler) http.Handler {
	allowed = append([]protocol.SignatureType(nil), allowed...)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fail := func(w http.ResponseWriter, r *http.Request, err error) {
				var ae *render.APIError
				if authFail != nil && errors.As(err, &ae) && ae.Status == http.StatusUnauthorized {
					err = authFail.With(ae)
				}
				m.fail(w, r, err)
			}
			sr, r, err := m.parseSignedRequest(r, uriID, allowed)
			if err != nil {
				fail(w, r, err)
				return
			}
			h := sr.header
			res, err := m.core.VerifySignature(r.Context(), service.VerifySignatureInput{
				ActivationID:           h.ActivationID,
				ApplicationKey:         h.ApplicationKey,
				Data:                   sr.data,
				Signature:              h.Signature,
				SignatureType:          h.SignatureType,
				SignatureVersion:       h.Version,
				ForcedSignatureVersion: forcedVersion,
			})
			if err != nil {
				fail(w, r, coreError(err, failSignature))
				return
			}
			if !res.SignatureValid {
				fail(w, r, failSignature.Withf("signature of activation %s is not valid (status %s)", h.ActivationID, res.ActivationStatus))
				return
			}
			auth := &deviceauth.Auth{
				Method:         deviceauth.AuthSignature,
				ActivationID:   h.ActivationID,
				UserID:         res.UserID,
				ApplicationID:  res.ApplicationID,
				ApplicationKey: h.ApplicationKey,
				Version:        h.Version,
				SignatureType:  res.SignatureType,
				Roles:          res.ApplicationRoles,
				Flags:          res.ActivationFlags,
			}
			if auth.SignatureType == "" {
				auth.SignatureType = h.SignatureType
			}
			next.ServeHTTP(w, r.WithContext(deviceauth.WithAuth(r.Context(), auth)))
		})
	}
}
