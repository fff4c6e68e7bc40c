package cloud

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/protocol"
)

// Cloud error codes of the authentication services.
const (
	CodeSignatureInvalid = "ERROR_SIGNATURE_INVALID"
	CodeTokenInvalid     = "ERROR_TOKEN_INVALID"
)

// SignatureCheck is a device signature the core verifies.
type SignatureCheck struct {
	// Header is the parsed X-PowerAuth-Authorization value.
	Header protocol.AuthorizationHeader
	// Data is the normalized request data without the application secret.
	Data string
}

// Verdict is the outcome of a signature or token check.
type Verdict struct {
	// Valid reports an accepted signature or token.
	Valid bool
	// RegistrationID, UserID and Status describe the registration after the check.
	RegistrationID, UserID string
	Status                 domain.ActivationStatus
	// SignatureType is the factor combination.
	SignatureType string
	// RemainingAttempts is how many failed attempts are left (signatures; -1 unknown).
	RemainingAttempts int64
}

// TokenCheck is a MAC token digest the core validates.
type TokenCheck struct {
	Header protocol.TokenHeader
}

// VerifySignatureRequest is the body of POST /v2/signature/verify.
type VerifySignatureRequest struct {
	Method, URIID, AuthHeader string
	// RequestBody is the Base64 request body (POST and PUT).
	RequestBody string
	// QueryParams are the signed query parameters (GET and DELETE).
	QueryParams map[string]string
}

// signatureInvalid is the answer to a malformed header or request.
func signatureInvalid(msg string) *Error {
	return newError(http.StatusBadRequest, CodeSignatureInvalid, "%s", msg)
}

// VerifySignature verifies a device's PowerAuth signature of a request
// the bank's backend received, for a registration the caller may use
// (another application's registration is answered as an unknown one,
// before the core counts anything against it).
func (s *Service) VerifySignature(ctx context.Context, p Principal, req VerifySignatureRequest) (Verdict, error) {
	h, err := protocol.ParseAuthorizationHeader(strings.TrimPrefix(strings.TrimSpace(req.AuthHeader), protocol.HeaderAuthorization+": "))
	if err != nil {
		return Verdict{}, signatureInvalid("authHeader - not a valid X-PowerAuth-Authorization value")
	}
	method := strings.ToUpper(req.Method)
	if method != http.MethodGet && method != http.MethodPost && method != http.MethodPut && method != http.MethodDelete {
		return Verdict{}, BadRequest("method - must be GET, POST, PUT or DELETE")
	}
	if strings.TrimSpace(req.URIID) == "" || len(req.URIID) > maxText {
		return Verdict{}, BadRequest("uriId - must have 1 to %d characters", maxText)
	}
	body, err := base64.StdEncoding.DecodeString(req.RequestBody)
	if err != nil {
		return Verdict{}, BadRequest("requestBody - must be Base64")
	}
	if len(req.QueryParams) > 0 {
		q := url.Values{}
		for k, v := range req.QueryParams {
			q.Set(k, v)
		}
		body = []byte(protocol.CanonicalQuery(q))
	}
	nonce, err := base64.StdEncoding.DecodeString(h.Nonce)
	if err != nil {
		return Verdict{}, signatureInvalid("authHeader - bad nonce")
	}
	if _, err := s.registration(ctx, p, h.ActivationID); err != nil {
		return Verdict{}, err
	}
	v, err := s.core.VerifySignature(ctx, SignatureCheck{Header: *h, Data: protocol.RequestData(method, req.URIID, nonce, body)})
	if err != nil {
		return Verdict{}, registrationError(err)
	}
	return v, nil
}

// VerifyToken validates a MAC token header of a registration the caller
// may use.
func (s *Service) VerifyToken(ctx context.Context, p Principal, authHeader string) (Verdict, error) {
	h, err := protocol.ParseTokenHeader(strings.TrimPrefix(strings.TrimSpace(authHeader), protocol.HeaderToken+": "))
	if err != nil {
		return Verdict{}, newError(http.StatusBadRequest, CodeTokenInvalid, "authHeader - not a valid X-PowerAuth-Token value")
	}
	tok, err := s.st.GetToken(ctx, h.TokenID)
	if errors.Is(err, store.ErrNotFound) {
		return Verdict{RemainingAttempts: -1}, nil
	}
	if err != nil {
		return Verdict{}, wrap("read token", err)
	}
	if _, err := s.registration(ctx, p, tok.ActivationID); err != nil {
		var ce *Error
		if errors.As(err, &ce) && ce.Code == CodeRegistrationNotFound {
			return Verdict{RemainingAttempts: -1}, nil // another application's token is just not valid here
		}
		return Verdict{}, err
	}
	v, err := s.core.ValidateToken(ctx, TokenCheck{Header: *h})
	if err != nil {
		if kind, _ := coreKind(err); kind != 0 {
			return Verdict{RemainingAttempts: -1}, nil // expired timestamp, replayed nonce: not valid
		}
		return Verdict{}, err
	}
	v.RemainingAttempts = -1
	return v, nil
}
