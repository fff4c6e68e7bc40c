package private

import (
	"context"
	"encoding/base64"

	"github.com/mauth/mauth/internal/api/render"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/restv3"
	"github.com/mauth/mauth/internal/service"
)

// recoveryCreateRequest orders a recovery postcard.
type recoveryCreateRequest struct {
	ApplicationID string `json:"applicationId"`
	UserID        string `json:"userId"`
	PukCount      int64  `json:"pukCount"`
}

func (r *recoveryCreateRequest) validate() error {
	var v render.Validator
	v.NotBlank("applicationId", r.ApplicationID)
	v.NotBlank("userId", r.UserID)
	v.Check(r.PukCount >= 1 && r.PukCount <= 100, "pukCount", "must be between 1 and 100")
	return v.Err()
}

type recoveryCreatedPuk struct {
	PukIndex           int64                    `json:"pukIndex"`
	PukDerivationIndex uint64                   `json:"pukDerivationIndex"`
	Status             domain.RecoveryPukStatus `json:"status"`
}

type recoveryCreateResponse struct {
	Nonce              string                    `json:"nonce"`
	UserID             string                    `json:"userId"`
	RecoveryCodeID     int64                     `json:"recoveryCodeId"`
	RecoveryCodeMasked string                    `json:"recoveryCodeMasked"`
	Status             domain.RecoveryCodeStatus `json:"status"`
	Puks               []recoveryCreatedPuk      `json:"puks"`
}

// recoveryConfirmRequest is a confirmation of a postcard code (ECIES-in).
type recoveryConfirmRequest struct{ restv3.RecoveryConfirmRequest }

func (r *recoveryConfirmRequest) validate() error {
	var v render.Validator
	v.NotBlank("activationId", r.ActivationID)
	v.NotBlank("applicationKey", r.ApplicationKey)
	v.Check(r.EphemeralPublicKey != "", "ephemeralPublicKey", "must not be blank")
	v.Check(r.EncryptedData != "", "encryptedData", "must not be blank")
	v.Check(r.Mac != "", "mac", "must not be blank")
	return v.Err()
}

type recoveryConfirmResponse = restv3.RecoveryConfirmResponse

// recoveryLookupRequest searches recovery codes.
type recoveryLookupRequest struct {
	UserID             string `json:"userId"`
	ActivationID       string `json:"activationId"`
	ApplicationID      string `json:"applicationId"`
	RecoveryCodeStatus string `json:"recoveryCodeStatus"`
	RecoveryPukStatus  string `json:"recoveryPukStatus"`
}

func (r *recoveryLookupRequest) toLookup() (service.RecoveryCodeLookup, error) {
	var v render.Validator
	f := service.RecoveryCodeLookup{UserID: r.UserID, ActivationID: r.ActivationID, ApplicationName: r.ApplicationID}
	if r.RecoveryCodeStatus != "" {
		st, err := domain.ParseRecoveryCodeStatus(r.RecoveryCodeStatus)
		v.Check(err == nil, "recoveryCodeStatus", "must be one of CREATED, ACTIVE, BLOCKED, REVOKED")
		f.CodeStatus = &st
	}
	if r.RecoveryPukStatus != "" {
		st, err := domain.ParseRecoveryPukStatus(r.RecoveryPukStatus)
		v.Check(err == nil, "recoveryPukStatus", "must be one of VALID, USED, INVALID")
		f.PUKStatus = &st
	}
	return f, v.Err()
}

type recoveryLookupPuk struct {
	PukIndex int64                    `json:"pukIndex"`
	Status   domain.RecoveryPukStatus `json:"status"`
}

type recoveryLookupItem struct {
	RecoveryCodeID     int64                     `json:"recoveryCodeId"`
	RecoveryCodeMasked string                    `json:"recoveryCodeMasked"`
	UserID             string                    `json:"userId"`
	ApplicationID      string                    `json:"applicationId"`
	ActivationID       *string                   `json:"activationId"`
	Status             domain.RecoveryCodeStatus `json:"status"`
	Puks               []recoveryLookupPuk       `json:"puks"`
}

type recoveryLookupResponse struct {
	RecoveryCodes []recoveryLookupItem `json:"recoveryCodes"`
}

// recoveryRevokeRequest revokes recovery codes; null entries are invalid.
type recoveryRevokeRequest struct {
	RecoveryCodeIDs []*int64 `json:"recoveryCodeIds"`
}

func (r *recoveryRevokeRequest) ids() ([]int64, error) {
	var v render.Validator
	v.Check(len(r.RecoveryCodeIDs) > 0, "recoveryCodeIds", "must not be empty")
	ids := make([]int64, 0, len(r.RecoveryCodeIDs))
	for _, id := range r.RecoveryCodeIDs {
		v.Check(id != nil && *id >= 0, "recoveryCodeIds", "must contain non-negative identifiers")
		if id != nil {
			ids = append(ids, *id)
		}
	}
	return ids, v.Err()
}

type recoveryRevokeResponse struct {
	Revoked bool `json:"revoked"`
}

type recoveryConfigDetailRequest struct {
	ApplicationID string `json:"applicationId"`
}

type recoveryConfigDetailResponse struct {
	ApplicationID              string  `json:"applicationId"`
	ActivationRecoveryEnabled  bool    `json:"activationRecoveryEnabled"`
	RecoveryPostcardEnabled    bool    `json:"recoveryPostcardEnabled"`
	AllowMultipleRecoveryCodes bool    `json:"allowMultipleRecoveryCodes"`
	PostcardPublicKey          *string `json:"postcardPublicKey"`
	RemotePostcardPublicKey    *string `json:"remotePostcardPublicKey"`
}

type recoveryConfigUpdateRequest struct {
	ApplicationID              string  `json:"applicationId"`
	ActivationRecoveryEnabled  bool    `json:"activationRecoveryEnabled"`
	RecoveryPostcardEnabled    bool    `json:"recoveryPostcardEnabled"`
	AllowMultipleRecoveryCodes bool    `json:"allowMultipleRecoveryCodes"`
	RemotePostcardPublicKey    *string `json:"remotePostcardPublicKey"`
}

type recoveryConfigUpdateResponse struct {
	Updated bool `json:"updated"`
}

// recoveryB64 encodes bytes as standard Base64, nil for none.
func recoveryB64(b []byte) *string {
	if len(b) == 0 {
		return nil
	}
	s := base64.StdEncoding.EncodeToString(b)
	return &s
}

func recoveryOptString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// registerRecoveryRoutes registers the activation recovery methods.
func (s *Server) registerRecoveryRoutes() {
	method(s, "recovery/create", func(ctx context.Context, req *recoveryCreateRequest) (any, error) {
		if err := req.validate(); err != nil {
			return nil, err
		}
		c, err := s.svc.CreateRecoveryCode(ctx, service.CreateRecoveryCodeInput{ApplicationName: req.ApplicationID, UserID: req.UserID, PUKCount: req.PukCount})
		if err != nil {
			return nil, err
		}
		resp := recoveryCreateResponse{
			Nonce:              base64.StdEncoding.EncodeToString(c.Nonce),
			UserID:             c.UserID,
			RecoveryCodeID:     c.ID,
			RecoveryCodeMasked: c.CodeMasked,
			Status:             c.Status,
			Puks:               make([]recoveryCreatedPuk, 0, len(c.PUKs)),
		}
		for _, p := range c.PUKs {
			resp.Puks = append(resp.Puks, recoveryCreatedPuk{PukIndex: p.Index, PukDerivationIndex: p.DerivationIndex, Status: p.Status})
		}
		return resp, nil
	})

	method(s, "recovery/confirm", func(ctx context.Context, req *recoveryConfirmRequest) (any, error) {
		if err := req.validate(); err != nil {
			return nil, err
		}
		r, err := s.svc.ConfirmRecoveryCode(ctx, service.ConfirmRecoveryCodeInput{
			ActivationID:   req.ActivationID,
			ApplicationKey: req.ApplicationKey,
			Request: service.EciesRequest{
				EphemeralPublicKey: req.EphemeralPublicKey,
				EncryptedData:      req.EncryptedData,
				Mac:                req.Mac,
				Nonce:              req.Nonce,
				Timestamp:          req.Timestamp,
				ProtocolVersion:    req.ProtocolVersion,
				TemporaryKeyID:     req.TemporaryKeyID,
			},
		})
		if err != nil {
			return nil, err
		}
		return recoveryConfirmResponse{
			ActivationID:  r.ActivationID,
			UserID:        r.UserID,
			EncryptedData: r.Response.EncryptedData,
			Mac:           r.Response.Mac,
			Nonce:         recoveryOptString(r.Response.Nonce),
			Timestamp:     r.Response.Timestamp,
		}, nil
	})

	method(s, "recovery/lookup", func(ctx context.Context, req *recoveryLookupRequest) (any, error) {
		f, err := req.toLookup()
		if err != nil {
			return nil, err
		}
		codes, err := s.svc.LookupRecoveryCodes(ctx, f)
		if err != nil {
			return nil, err
		}
		resp := recoveryLookupResponse{RecoveryCodes: make([]recoveryLookupItem, 0, len(codes))}
		for _, c := range codes {
			item := recoveryLookupItem{
				RecoveryCodeID:     c.ID,
				RecoveryCodeMasked: c.CodeMasked,
				UserID:             c.UserID,
				ApplicationID:      c.ApplicationName,
				ActivationID:       recoveryOptString(c.ActivationID),
				Status:             c.Status,
				Puks:               make([]recoveryLookupPuk, 0, len(c.PUKs)),
			}
			for _, p := range c.PUKs {
				item.Puks = append(item.Puks, recoveryLookupPuk{PukIndex: p.Index, Status: p.Status})
			}
			resp.RecoveryCodes = append(resp.RecoveryCodes, item)
		}
		return resp, nil
	})

	method(s, "recovery/revoke", func(ctx context.Context, req *recoveryRevokeRequest) (any, error) {
		ids, err := req.ids()
		if err != nil {
			return nil, err
		}
		revoked, err := s.svc.RevokeRecoveryCodes(ctx, ids)
		if err != nil {
			return nil, err
		}
		return recoveryRevokeResponse{Revoked: revoked}, nil
	})

	method(s, "recovery/config/detail", func(ctx context.Context, req *recoveryConfigDetailRequest) (any, error) {
		var v render.Validator
		v.NotBlank("applicationId", req.ApplicationID)
		if err := v.Err(); err != nil {
			return nil, err
		}
		c, err := s.svc.GetRecoveryConfig(ctx, req.ApplicationID)
		if err != nil {
			return nil, err
		}
		return recoveryConfigDetailResponse{
			ApplicationID:              c.ApplicationName,
			ActivationRecoveryEnabled:  c.ActivationRecoveryEnabled,
			RecoveryPostcardEnabled:    c.RecoveryPostcardEnabled,
			AllowMultipleRecoveryCodes: c.AllowMultipleRecoveryCodes,
			PostcardPublicKey:          recoveryB64(c.PostcardPublicKey),
			RemotePostcardPublicKey:    recoveryB64(c.RemotePostcardPublicKey),
		}, nil
	})

	method(s, "recovery/config/update", func(ctx context.Context, req *recoveryConfigUpdateRequest) (any, error) {
		var v render.Validator
		v.NotBlank("applicationId", req.ApplicationID)
		if err := v.Err(); err != nil {
			return nil, err
		}
		err := s.svc.UpdateRecoveryConfig(ctx, service.UpdateRecoveryConfigInput{
			ApplicationName:            req.ApplicationID,
			ActivationRecoveryEnabled:  req.ActivationRecoveryEnabled,
			RecoveryPostcardEnabled:    req.RecoveryPostcardEnabled,
			AllowMultipleRecoveryCodes: req.AllowMultipleRecoveryCodes,
			RemotePostcardPublicKey:    req.RemotePostcardPublicKey,
		})
		if err != nil {
			return nil, err
		}
		return recoveryConfigUpdateResponse{Updated: true}, nil
	})
}
