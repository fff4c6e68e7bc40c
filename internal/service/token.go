package service

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/protocol"
)

// CreateTokenInput is a MAC token creation request: the activation, the
// application key and signature type of the signed call that asked for
// it, and the ECIES request (activation scope, SH1 /pa/token/create,
// plaintext {}).
type CreateTokenInput struct {
	ActivationID   string
	ApplicationKey string
	// SignatureType is the factor combination that authorized the call; it
	// is stored with the token and reported by ValidateToken.
	SignatureType protocol.SignatureType
	Request       EciesRequest
}

// tokenPayload is the decrypted response of a token creation.
type tokenPayload struct {
	TokenID     string `json:"tokenId"`
	TokenSecret string `json:"tokenSecret"`
}

// CreateToken issues a MAC token to an ACTIVE activation and returns the
// encrypted {"tokenId","tokenSecret"} response. The token secret is kept
// sealed at rest.
func (s *Service) CreateToken(ctx context.Context, in CreateTokenInput) (*EciesResponse, error) {
	if _, err := protocol.ParseSignatureType(string(in.SignatureType)); err != nil {
		return nil, Errorf(CodeInvalidRequest, "signatureType - invalid value")
	}
	var env *protocol.EciesEnvelope
	var plain []byte
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		a, version, app, err := s.activeActivationWithKey(ctx, tx, in.ActivationID, in.ApplicationKey)
		if err != nil {
			return err
		}
		// The request plaintext is {} and carries nothing; decrypting it
		// proves the caller holds the activation's keys.
		_, env, err = s.decryptRequest(ctx, tx, eciesScope{app: app, version: version, activation: &a, sh1: protocol.SharedInfo1TokenCreate}, in.Request)
		if err != nil {
			return err
		}
		secret := protocol.NewTokenSecret()
		t := domain.Token{
			ID:            uuid.NewString(),
			ActivationID:  a.ActivationID,
			SignatureType: string(in.SignatureType),
			Created:       s.Now(),
		}
		t.Secret = s.box.Seal(secret, tokenSecretContext(t.ID))
		if err := tx.CreateToken(ctx, &t); err != nil {
			if errors.Is(err, store.ErrAlreadyExists) {
				return Errorf(CodeUnableToGenerateToken, "Unable to generate token.")
			}
			return fmt.Errorf("create token: %w", err)
		}
		plain, err = json.Marshal(tokenPayload{TokenID: t.ID, TokenSecret: base64.StdEncoding.EncodeToString(secret)})
		if err != nil {
			return fmt.Errorf("encode token: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.encryptResponse(env, plain)
}

// activeActivationWithKey loads a PowerAuth activation that must be ACTIVE
// and belong to the application of a supported application version.
func (s *Service) activeActivationWithKey(ctx context.Context, r store.Reader, activationID, applicationKey string) (domain.Activation, domain.ApplicationVersion, domain.Application, error) {
	a, err := activationByID(ctx, r, activationID)
	if err != nil {
		return a, domain.ApplicationVersion{}, domain.Application{}, err
	}
	if err := checkActivationProtocolState(a, domain.ActivationActive); err != nil {
		return a, domain.ApplicationVersion{}, domain.Application{}, err
	}
	version, app, err := s.supportedVersionForActivation(ctx, r, a, applicationKey)
	return a, version, app, err
}

// checkActivationProtocolState checks that a is a PowerAuth activation in one of
// the states.
func checkActivationProtocolState(a domain.Activation, states ...domain.ActivationStatus) error {
	if a.Protocol != "" && a.Protocol != domain.ProtocolPowerAuth {
		return Errorf(CodeActivationIncorrectState, "Activation does not use the PowerAuth protocol.")
	}
	for _, st := range states {
		if a.Status == st {
			return nil
		}
	}
	return Errorf(CodeActivationIncorrectState, "Activation is in an incorrect state.")
}

// supportedVersionForActivation resolves an application key that must be supported
// and belong to the activation's application.
func (s *Service) supportedVersionForActivation(ctx context.Context, r store.Reader, a domain.Activation, applicationKey string) (domain.ApplicationVersion, domain.Application, error) {
	version, app, err := s.applicationVersionByKey(ctx, r, applicationKey)
	if err != nil {
		return version, app, err
	}
	if !version.Supported || app.ID != a.ApplicationID {
		return version, app, Errorf(CodeInvalidApplication, "Application does not exist or is not supported.")
	}
	return version, app, nil
}

// ValidateTokenInput is the content of an X-PowerAuth-Token header.
type ValidateTokenInput struct {
	TokenID string
	// TokenDigest is the Base64 HMAC digest (32 bytes).
	TokenDigest string
	// Nonce is the Base64 nonce (16 bytes).
	Nonce string
	// Timestamp is the digest time in Unix milliseconds.
	Timestamp int64
	// ProtocolVersion is "3.0" … "3.3".
	ProtocolVersion string
}

// decode checks the version and decodes the nonce (16 bytes) and digest.
func (in ValidateTokenInput) decode() (nonce, digest []byte, err error) {
	if !protocol.ValidVersion(in.ProtocolVersion) {
		return nil, nil, Errorf(CodeInvalidRequest, "protocolVersion - unsupported protocol version")
	}
	nonce, err = base64.StdEncoding.DecodeString(in.Nonce)
	if err != nil || len(nonce) != 16 {
		return nil, nil, Errorf(CodeInvalidInputFormat, "Invalid token nonce.")
	}
	digest, err = base64.StdEncoding.DecodeString(in.TokenDigest)
	if err != nil {
		return nil, nil, Errorf(CodeInvalidInputFormat, "Invalid token digest.")
	}
	return nonce, digest, nil
}

// ValidateTokenResult is the outcome of a token validation. When the token
// does not exist only TokenValid (false) is set; when it exists the
// activation details are filled in even if the digest is wrong or the
// activation is not ACTIVE.
type ValidateTokenResult struct {
	TokenValid       bool
	ActivationID     string
	ActivationStatus domain.ActivationStatus // 0 when the token is unknown
	BlockedReason    string
	UserID           string
	// ApplicationID is the application name (the API's applicationId).
	ApplicationID    string
	SignatureType    protocol.SignatureType
	ApplicationRoles []string
	ActivationFlags  []string
}

// ValidateToken verifies a MAC token digest (protocol §5): the timestamp
// must lie in the configured window (CodeTokenTimestampTooOld,
// CodeTokenTimestampTooInFuture), the activation must be ACTIVE, the digest
// is compared in constant time and an accepted (nonce, token) pair cannot
// be used again (CodeInvalidRequest). Every validation of a known token
// is written to the audit log.
func (s *Service) ValidateToken(ctx context.Context, in ValidateTokenInput) (ValidateTokenResult, error) {
	res, err := s.validateTokenUnaudited(ctx, in)
	var se *Error
	if res.ActivationID != "" && (err == nil || errors.As(err, &se)) {
		d := map[string]string{"tokenId": in.TokenID, "valid": strconv.FormatBool(res.TokenValid && err == nil),
			"activationStatus": res.ActivationStatus.String()}
		if se != nil {
			d["error"] = se.Code
		}
		s.auditNow(ctx, domain.AuditEntry{Type: domain.AuditTokenValidated, ActivationID: res.ActivationID,
			UserID: res.UserID, Application: res.ApplicationID, Details: d})
	}
	return res, err
}

// validateTokenUnaudited verifies a MAC token digest (protocol §5): the timestamp
// must lie in the configured window (CodeTokenTimestampTooOld,
// CodeTokenTimestampTooInFuture), the activation must be ACTIVE, the digest
// is compared in constant time and an accepted (nonce, token) pair cannot
// be used again (CodeInvalidRequest).
func (s *Service) validateTokenUnaudited(ctx context.Context, in ValidateTokenInput) (ValidateTokenResult, error) {
	var out ValidateTokenResult
	now := s.Now()
	ts := time.UnixMilli(in.Timestamp)
	if in.Timestamp <= 0 || ts.Before(now.Add(-s.cfg.TokenTimestampValidity)) {
		return out, Errorf(CodeTokenTimestampTooOld, "Token timestamp is too old.")
	}
	if ts.After(now.Add(s.cfg.TokenTimestampForwardValidity)) {
		return out, Errorf(CodeTokenTimestampTooInFuture, "Token timestamp is too far in the future.")
	}
	nonce, digest, err := in.decode()
	if err != nil {
		return out, err
	}
	// The lookups run outside any write transaction: only an accepted
	// digest writes (its replay-cache entry).
	t, err := s.store.GetToken(ctx, in.TokenID)
	if errors.Is(err, store.ErrNotFound) {
		return out, nil
	}
	if err != nil {
		return out, fmt.Errorf("load token: %w", err)
	}
	a, err := s.store.GetActivation(ctx, t.ActivationID)
	if err != nil {
		return out, fmt.Errorf("load token activation: %w", err)
	}
	if a.Protocol != "" && a.Protocol != domain.ProtocolPowerAuth {
		return out, Errorf(CodeActivationIncorrectState, "Activation does not use the PowerAuth protocol.")
	}
	app, err := s.store.GetApplication(ctx, a.ApplicationID)
	if err != nil {
		return out, fmt.Errorf("load application: %w", err)
	}
	out = ValidateTokenResult{
		ActivationID:     a.ActivationID,
		ActivationStatus: a.Status,
		BlockedReason:    a.BlockedReason,
		UserID:           a.UserID,
		ApplicationID:    app.Name,
		SignatureType:    protocol.SignatureType(t.SignatureType),
		ApplicationRoles: app.Roles,
		ActivationFlags:  a.Flags,
	}
	if a.Status != domain.ActivationActive {
		return out, nil
	}
	if versionRefusal(app, &a, in.ProtocolVersion) != "" {
		// Below the application's minimum or the activation's ratchet:
		// invalid without looking at the digest.
		return out, nil
	}
	secret, err := s.box.Open(t.Secret, tokenSecretContext(t.ID))
	if err != nil {
		return ValidateTokenResult{}, Wrap(CodeGenericCryptography, "Stored token secret cannot be decrypted.", err)
	}
	if !protocol.VerifyTokenDigest(secret, nonce, strconv.FormatInt(in.Timestamp, 10), in.ProtocolVersion, digest) {
		return out, nil
	}
	// Only accepted digests enter the replay cache; keep them as long as
	// their timestamp could pass the age check.
	uv := domain.UniqueValue{
		Type:    domain.UniqueValueMACToken,
		Value:   base64.StdEncoding.EncodeToString(append(append([]byte{}, nonce...), t.ID...)),
		Expires: ts.Add(s.cfg.TokenTimestampValidity),
	}
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		if err := tx.InsertUniqueValue(ctx, uv); err != nil {
			if errors.Is(err, store.ErrAlreadyExists) {
				return Errorf(CodeInvalidRequest, "Token digest was already used (replay).")
			}
			return fmt.Errorf("replay cache: %w", err)
		}
		return nil
	})
	if err != nil {
		return ValidateTokenResult{}, err
	}
	out.TokenValid = true
	return out, nil
}

// RemoveToken deletes a token if it belongs to the activation and reports
// whether it did.
func (s *Service) RemoveToken(ctx context.Context, tokenID, activationID string) (bool, error) {
	removed := false
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		removed = false
		t, err := tx.GetToken(ctx, tokenID)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("load token: %w", err)
		}
		if t.ActivationID != activationID {
			return nil
		}
		err = tx.DeleteToken(ctx, tokenID)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("delete token: %w", err)
		}
		removed = true
		return nil
	})
	return removed, err
}
