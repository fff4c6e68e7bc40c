package public

import (
	"net/http"
	"strings"

	"github.com/mauth/mauth/internal/deviceauth"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/protocol"
)

// RequireToken guards a handler with a MAC token (X-PowerAuth-Token). The
// core checks the digest, the timestamp window and nonce reuse; the token
// must have been created with a signature of one of the allowed factor
// types (none listed: any type). On success the handler gets the Auth of
// the device in the request context; any failure is 401 ERR_AUTHENTICATION.
func (m *Middleware) RequireToken(allowed ...protocol.SignatureType) func(http.Handler) http.Handler {
	allowed = append([]protocol.SignatureType(nil), allowed...)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			raw := r.Header.Get(protocol.HeaderToken)
			if strings.TrimSpace(raw) == "" {
				m.fail(w, r, failToken.Withf("missing %s header", protocol.HeaderToken))
				return
			}
			h, err := protocol.ParseTokenHeader(raw)
			if err != nil {
				m.fail(w, r, failToken.With(err))
				return
			}
			res, err := m.core.ValidateToken(r.Context(), service.ValidateTokenInput{
				TokenID:         h.TokenID,
				TokenDigest:     h.Digest,
				Nonce:           h.Nonce,
				Timestamp:       h.TimestampMillis(),
				ProtocolVersion: h.Version,
			})
			if err != nil {
				m.fail(w, r, coreError(err, failToken))
				return
			}
			if !res.TokenValid {
				m.fail(w, r, failToken.Withf("token %s is not valid", h.TokenID))
				return
			}
			if !typeAllowed(res.SignatureType, allowed) {
				m.fail(w, r, failToken.Withf("token %s was created with signature type %s, which is not allowed here", h.TokenID, res.SignatureType))
				return
			}
			auth := &deviceauth.Auth{
				Method:        deviceauth.AuthToken,
				ActivationID:  res.ActivationID,
				UserID:        res.UserID,
				ApplicationID: res.ApplicationID,
				Version:       h.Version,
				SignatureType: res.SignatureType,
				TokenID:       h.TokenID,
				Roles:         res.ApplicationRoles,
				Flags:         res.ActivationFlags,
			}
			next.ServeHTTP(w, r.WithContext(deviceauth.WithAuth(r.Context(), auth)))
		})
	}
}
