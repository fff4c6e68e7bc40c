package public

import (
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/mauth/mauth/internal/deviceauth"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/protocol"
)

// parseCoreCryptogram checks that body is an ECIES cryptogram of the
// version and converts it for a core call that decrypts it itself.
func parseCoreCryptogram(body []byte, version string) (service.EciesRequest, error) {
	req, err := protocol.ParseEncryptedRequest(body, version)
	if err != nil {
		return service.EciesRequest{}, failEncryption.With(err)
	}
	enc := base64.StdEncoding
	out := service.EciesRequest{
		EphemeralPublicKey: enc.EncodeToString(req.EphemeralPublicKey),
		EncryptedData:      enc.EncodeToString(req.EncryptedData),
		Mac:                enc.EncodeToString(req.MAC),
		ProtocolVersion:    version,
		TemporaryKeyID:     req.TemporaryKeyID,
	}
	if req.Nonce != nil {
		out.Nonce = enc.EncodeToString(req.Nonce)
	}
	if req.Timestamp != 0 {
		ts := req.Timestamp
		out.Timestamp = &ts
	}
	return out, nil
}

// readCoreCryptogram reads the request body (see Middleware.readBody) and
// parses it with parseCoreCryptogram; the returned request is the one to
// use from then on, also on error.
func (s *Server) readCoreCryptogram(r *http.Request, version string) (service.EciesRequest, *http.Request, error) {
	body, r, err := s.mw.readBody(r)
	if err != nil {
		return service.EciesRequest{}, r, err
	}
	req, err := parseCoreCryptogram(body, version)
	return req, r, err
}

// tokenCreate is /pa/v3/token/create: signed over the encrypted body (any
// factor type), decrypted by the core, which stores the signature type
// with the token.
func (s *Server) tokenCreate(r *http.Request) (any, error) {
	auth, _ := deviceauth.AuthFromContext(r.Context())
	req, r, err := s.readCoreCryptogram(r, auth.Version)
	if err != nil {
		return nil, err
	}
	resp, err := s.core.CreateToken(r.Context(), service.CreateTokenInput{
		ActivationID:   auth.ActivationID,
		ApplicationKey: auth.ApplicationKey,
		SignatureType:  auth.SignatureType,
		Request:        req,
	})
	if err != nil {
		return nil, eciesCoreError(err, failSignature)
	}
	return eciesResponseJSON(resp), nil
}

// tokenRemove is /pa/v3/token/remove (signed, any factor type); it removes
// the token only when it belongs to the signing activation.
func (s *Server) tokenRemove(r *http.Request) (any, error) {
	auth, _ := deviceauth.AuthFromContext(r.Context())
	body, r, err := s.mw.readBody(r)
	if err != nil {
		return nil, err
	}
	var req struct {
		TokenID string `json:"tokenId"`
	}
	if err := decodeObject(body, &req, failSignature); err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.TokenID) == "" {
		return nil, failSignature.Withf("tokenId is missing")
	}
	if _, err := s.core.RemoveToken(r.Context(), req.TokenID, auth.ActivationID); err != nil {
		return nil, coreError(err, failSignature)
	}
	return struct {
		TokenID string `json:"tokenId"`
	}{req.TokenID}, nil
}

// signatureValidate is /pa/v3/signature/validate: the guard did the work.
func (s *Server) signatureValidate(*http.Request) (any, error) {
	return nil, nil
}

// keystoreCreate is /pa/v3/keystore/create: a 3.3 temporary encryption key.
func (s *Server) keystoreCreate(r *http.Request) (any, error) {
	body, r, err := s.mw.readBody(r)
	if err != nil {
		return nil, err
	}
	var req struct {
		JWT string `json:"jwt"`
	}
	if err := decodeObject(body, &req, failTemporaryKey); err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.JWT) == "" {
		return nil, failTemporaryKey.Withf("jwt is missing")
	}
	key, err := s.core.CreateTemporaryKey(r.Context(), req.JWT)
	if err != nil {
		return nil, coreError(err, failTemporaryKey)
	}
	return struct {
		JWT string `json:"jwt"`
	}{key.JWT}, nil
}
