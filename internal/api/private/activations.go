package private

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/mauth/mauth/internal/api/render"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/restv3"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/internal/store"
)

// activationEciesIn are the ECIES request fields ("ECIES-in") of the
// key-exchange methods.
type activationEciesIn struct{ restv3.EciesRequest }

// check records the missing mandatory ECIES fields. A missing
// protocolVersion is the service's to judge (ERR0018 as in PowerAuth 1.5+,
// or inferred with service.Config.LegacyProtocolVersionInference).
func (e activationEciesIn) check(v *render.Validator) {
	v.NotBlank("ephemeralPublicKey", e.EphemeralPublicKey)
	v.NotBlank("encryptedData", e.EncryptedData)
	v.NotBlank("mac", e.Mac)
}

// request converts the fields to the service's ECIES request.
func (e activationEciesIn) request() service.EciesRequest { return eciesRequestOf(e.EciesRequest) }

type activationInitRequest struct {
	UserID                    string          `json:"userId"`
	ApplicationID             *string         `json:"applicationId"`
	TimestampActivationExpire json.RawMessage `json:"timestampActivationExpire"`
	MaxFailureCount           *int64          `json:"maxFailureCount"`
	ActivationOtpValidation   *string         `json:"activationOtpValidation"`
	CommitPhase               *string         `json:"commitPhase"`
	ActivationOtp             string          `json:"activationOtp"`
	Protocol                  *string         `json:"protocol"`
	Flags                     []string        `json:"flags"`
}

type activationInitResponse = restv3.ActivationInitResponse

type activationPrepareRequest struct {
	activationEciesIn
	ActivationCode        string `json:"activationCode"`
	ApplicationKey        string `json:"applicationKey"`
	GenerateRecoveryCodes *bool  `json:"generateRecoveryCodes"`
}

type activationCreateRequest struct {
	activationEciesIn
	UserID                    string          `json:"userId"`
	TimestampActivationExpire json.RawMessage `json:"timestampActivationExpire"`
	MaxFailureCount           *int64          `json:"maxFailureCount"`
	ApplicationKey            string          `json:"applicationKey"`
	ActivationOtp             string          `json:"activationOtp"`
	GenerateRecoveryCodes     *bool           `json:"generateRecoveryCodes"`
}

type activationRecoveryCreateRequest struct {
	activationEciesIn
	RecoveryCode          string `json:"recoveryCode"`
	Puk                   string `json:"puk"`
	ApplicationKey        string `json:"applicationKey"`
	MaxFailureCount       *int64 `json:"maxFailureCount"`
	ActivationOtp         string `json:"activationOtp"`
	GenerateRecoveryCodes *bool  `json:"generateRecoveryCodes"`
}

type activationKeyExchangeResponse = restv3.KeyExchangeResponse

type activationCommitRequest = restv3.ActivationCommitRequest

type activationCommitResponse = restv3.ActivationCommitResponse

type activationOtpUpdateRequest struct {
	ActivationID   string `json:"activationId"`
	ExternalUserID string `json:"externalUserId"`
	ActivationOtp  string `json:"activationOtp"`
}

type activationOtpUpdateResponse struct {
	ActivationID string `json:"activationId"`
	Updated      bool   `json:"updated"`
}

type activationStatusRequest = restv3.ActivationStatusRequest

type activationStatusResponse = restv3.ActivationStatus

type activationRemoveRequest = restv3.ActivationRemoveRequest

type activationRemoveResponse = restv3.ActivationRemoveResponse

type activationBlockRequest = restv3.ActivationBlockRequest

type activationBlockResponse = restv3.ActivationBlockResponse

type activationUnblockRequest = restv3.ActivationUnblockRequest

type activationUnblockResponse struct {
	ActivationID     string                  `json:"activationId"`
	ActivationStatus domain.ActivationStatus `json:"activationStatus"`
}

type activationListRequest = restv3.ActivationListRequest

// activationItem is one activation in list and lookup responses.
type activationItem = restv3.ActivationItem

type activationListResponse = restv3.ActivationList

type activationLookupRequest struct {
	UserIDs                 []string        `json:"userIds"`
	ApplicationIDs          []string        `json:"applicationIds"`
	TimestampLastUsedBefore json.RawMessage `json:"timestampLastUsedBefore"`
	TimestampLastUsedAfter  json.RawMessage `json:"timestampLastUsedAfter"`
	ActivationStatus        *string         `json:"activationStatus"`
	ActivationFlags         []string        `json:"activationFlags"`
	Platforms               []string        `json:"platforms"`
	OsMajorVersion          *int            `json:"osMajorVersion"`
	OsVersionPrefix         string          `json:"osVersionPrefix"`
}

type activationLookupResponse struct {
	Activations []activationItem `json:"activations"`
}

type activationStatusUpdateRequest struct {
	ActivationIDs    []string `json:"activationIds"`
	ActivationStatus *string  `json:"activationStatus"`
}

type activationStatusUpdateResponse struct {
	Updated bool `json:"updated"`
}

type activationNameUpdateRequest = restv3.ActivationNameUpdateRequest

type activationNameUpdateResponse = restv3.ActivationNameUpdateResponse

type activationHistoryRequest struct {
	ActivationID  string          `json:"activationId"`
	TimestampFrom json.RawMessage `json:"timestampFrom"`
	TimestampTo   json.RawMessage `json:"timestampTo"`
}

type activationHistoryItem struct {
	ID               int64                   `json:"id"`
	ActivationID     string                  `json:"activationId"`
	ActivationStatus domain.ActivationStatus `json:"activationStatus"`
	EventReason      *string                 `json:"eventReason"`
	ExternalUserID   *string                 `json:"externalUserId"`
	ActivationName   *string                 `json:"activationName"`
	TimestampCreated time.Time               `json:"timestampCreated"`
	Version          int64                   `json:"version"`
}

type activationHistoryResponse struct {
	Items []activationHistoryItem `json:"items"`
}

type activationFlagsRequest struct {
	ActivationID    string   `json:"activationId"`
	ActivationFlags []string `json:"activationFlags"`
}

type activationFlagsResponse struct {
	ActivationID    string   `json:"activationId"`
	ActivationFlags []string `json:"activationFlags"`
}

// registerActivationRoutes registers the methods of this file's area.
func (s *Server) registerActivationRoutes() {
	method(s, "activation/init", s.activationInit)
	method(s, "activation/prepare", s.activationPrepare)
	method(s, "activation/create", s.activationCreate)
	method(s, "activation/recovery/create", s.activationRecoveryCreate)
	method(s, "activation/commit", s.activationCommit)
	method(s, "activation/otp/update", s.activationOtpUpdate)
	method(s, "activation/status", s.activationStatus)
	method(s, "activation/remove", s.activationRemove)
	method(s, "activation/block", s.activationBlock)
	method(s, "activation/unblock", s.activationUnblock)
	method(s, "activation/list", s.activationList)
	method(s, "activation/lookup", s.activationLookup)
	method(s, "activation/status/update", s.activationStatusUpdate)
	method(s, "activation/name/update", s.activationNameUpdate)
	method(s, "activation/history", s.activationHistory)
	method(s, "activation/flags/list", s.activationFlagsList)
	method(s, "activation/flags/create", func(ctx context.Context, r *activationFlagsRequest) (any, error) {
		return s.activationFlagsChange(ctx, r, s.svc.AddActivationFlags)
	})
	method(s, "activation/flags/update", func(ctx context.Context, r *activationFlagsRequest) (any, error) {
		return s.activationFlagsChange(ctx, r, s.svc.UpdateActivationFlags)
	})
	method(s, "activation/flags/remove", func(ctx context.Context, r *activationFlagsRequest) (any, error) {
		return s.activationFlagsChange(ctx, r, s.svc.RemoveActivationFlags)
	})
}

func (s *Server) activationInit(ctx context.Context, r *activationInitRequest) (any, error) {
	var v render.Validator
	v.NotBlank("userId", r.UserID)
	v.Check(r.ApplicationID != nil, "applicationId", "must not be null")
	expire := activationTimeField(&v, "timestampActivationExpire", r.TimestampActivationExpire)
	v.Check(r.MaxFailureCount == nil || *r.MaxFailureCount > 0, "maxFailureCount", "must be greater than 0")
	in := service.InitActivationInput{
		UserID:           r.UserID,
		ActivationExpire: expire,
		ActivationOTP:    r.ActivationOtp,
		Flags:            r.Flags,
	}
	if r.ApplicationID != nil {
		in.ApplicationID = *r.ApplicationID
	}
	if r.MaxFailureCount != nil {
		in.MaxFailureCount = *r.MaxFailureCount
	}
	if r.ActivationOtpValidation != nil {
		p, err := domain.ParseOtpValidation(*r.ActivationOtpValidation)
		v.Check(err == nil, "activationOtpValidation", "must be one of NONE, ON_KEY_EXCHANGE, ON_COMMIT")
		in.OtpValidation = p
	}
	if r.CommitPhase != nil {
		p, err := domain.ParseCommitPhase(*r.CommitPhase)
		v.Check(err == nil, "commitPhase", "must be one of ON_COMMIT, ON_KEY_EXCHANGE")
		in.CommitPhase = &p
	}
	if r.Protocol != nil {
		p, err := domain.ParseActivationProtocol(strings.ToLower(*r.Protocol))
		v.Check(err == nil, "protocol", "must be one of powerauth, fido2")
		in.Protocol = p
	}
	v.NoBlanks("flags", r.Flags)
	if err := v.Err(); err != nil {
		return nil, err
	}
	a, err := s.svc.InitActivation(ctx, in)
	if err != nil {
		return nil, err
	}
	return activationInitResponse{
		ActivationID:        a.ActivationID,
		ActivationCode:      a.ActivationCode,
		ActivationSignature: base64.StdEncoding.EncodeToString(a.ActivationSignature),
		UserID:              a.UserID,
		ApplicationID:       a.ApplicationName,
	}, nil
}

func (s *Server) activationPrepare(ctx context.Context, r *activationPrepareRequest) (any, error) {
	var v render.Validator
	v.NotBlank("activationCode", r.ActivationCode)
	v.NotBlank("applicationKey", r.ApplicationKey)
	r.check(&v)
	if err := v.Err(); err != nil {
		return nil, err
	}
	res, err := s.svc.PrepareActivation(ctx, service.PrepareActivationInput{
		ActivationCode:        r.ActivationCode,
		ApplicationKey:        r.ApplicationKey,
		GenerateRecoveryCodes: r.GenerateRecoveryCodes == nil || *r.GenerateRecoveryCodes,
		Request:               r.request(),
	})
	if err != nil {
		return nil, err
	}
	return activationKeyExchangeOut(res), nil
}

func (s *Server) activationCreate(ctx context.Context, r *activationCreateRequest) (any, error) {
	var v render.Validator
	v.NotBlank("userId", r.UserID)
	v.NotBlank("applicationKey", r.ApplicationKey)
	v.Check(r.MaxFailureCount == nil || *r.MaxFailureCount > 0, "maxFailureCount", "must be greater than 0")
	expire := activationTimeField(&v, "timestampActivationExpire", r.TimestampActivationExpire)
	r.check(&v)
	if err := v.Err(); err != nil {
		return nil, err
	}
	in := service.CreateActivationInput{
		UserID:                r.UserID,
		ApplicationKey:        r.ApplicationKey,
		ActivationExpire:      expire,
		ActivationOTP:         r.ActivationOtp,
		GenerateRecoveryCodes: r.GenerateRecoveryCodes == nil || *r.GenerateRecoveryCodes,
		Request:               r.request(),
	}
	if r.MaxFailureCount != nil {
		in.MaxFailureCount = *r.MaxFailureCount
	}
	res, err := s.svc.CreateActivation(ctx, in)
	if err != nil {
		return nil, err
	}
	return activationKeyExchangeOut(res), nil
}

func (s *Server) activationRecoveryCreate(ctx context.Context, r *activationRecoveryCreateRequest) (any, error) {
	var v render.Validator
	v.NotBlank("recoveryCode", r.RecoveryCode)
	v.NotBlank("puk", r.Puk)
	v.NotBlank("applicationKey", r.ApplicationKey)
	v.Check(r.MaxFailureCount == nil || *r.MaxFailureCount > 0, "maxFailureCount", "must be greater than 0")
	r.check(&v)
	if err := v.Err(); err != nil {
		return nil, err
	}
	in := service.RecoveryActivationInput{
		RecoveryCode:          r.RecoveryCode,
		PUK:                   r.Puk,
		ApplicationKey:        r.ApplicationKey,
		ActivationOTP:         r.ActivationOtp,
		GenerateRecoveryCodes: r.GenerateRecoveryCodes == nil || *r.GenerateRecoveryCodes,
		Request:               r.request(),
	}
	if r.MaxFailureCount != nil {
		in.MaxFailureCount = *r.MaxFailureCount
	}
	res, err := s.svc.CreateActivationWithRecoveryCode(ctx, in)
	if err != nil {
		return nil, err
	}
	return activationKeyExchangeOut(res), nil
}

// activationKeyExchangeOut renders a key-exchange result.
func activationKeyExchangeOut(res service.KeyExchangeResult) activationKeyExchangeResponse {
	out := activationKeyExchangeResponse{
		ActivationID:     res.Activation.ActivationID,
		UserID:           res.Activation.UserID,
		ApplicationID:    res.Activation.ApplicationName,
		EncryptedData:    res.Response.EncryptedData,
		Mac:              res.Response.Mac,
		Timestamp:        res.Response.Timestamp,
		ActivationStatus: res.Activation.Status,
	}
	if res.Response.Nonce != "" {
		out.Nonce = &res.Response.Nonce
	}
	return out
}

func (s *Server) activationCommit(ctx context.Context, r *activationCommitRequest) (any, error) {
	if err := requireActivationIDField(r.ActivationID); err != nil {
		return nil, err
	}
	a, err := s.svc.CommitActivation(ctx, r.ActivationID, r.ExternalUserID, r.ActivationOtp)
	if err != nil {
		return nil, err
	}
	return activationCommitResponse{ActivationID: a.ActivationID, Activated: true}, nil
}

func (s *Server) activationOtpUpdate(ctx context.Context, r *activationOtpUpdateRequest) (any, error) {
	var v render.Validator
	v.NotBlank("activationId", r.ActivationID)
	v.Check(r.ActivationOtp != "", "activationOtp", "must not be empty")
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := s.svc.UpdateActivationOTP(ctx, r.ActivationID, r.ExternalUserID, r.ActivationOtp); err != nil {
		return nil, err
	}
	return activationOtpUpdateResponse{ActivationID: r.ActivationID, Updated: true}, nil
}

func (s *Server) activationStatus(ctx context.Context, r *activationStatusRequest) (any, error) {
	var v render.Validator
	v.NotBlank("activationId", r.ActivationID)
	var challenge []byte
	if r.Challenge != nil {
		c, err := base64.StdEncoding.DecodeString(*r.Challenge)
		v.Check(err == nil && len(c) == 16, "challenge", "must be 16 bytes in Base64")
		challenge = c
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	st, err := s.svc.GetActivationStatus(ctx, r.ActivationID, challenge)
	if err != nil {
		return nil, err
	}
	out := activationStatusResponse{
		ActivationID:             r.ActivationID,
		EncryptedStatusBlob:      base64.StdEncoding.EncodeToString(st.EncryptedStatusBlob),
		EncryptedStatusBlobNonce: activationB64OrNil(st.EncryptedStatusBlobNonce),
		ApplicationRoles:         []string{},
		ActivationFlags:          []string{},
	}
	if !st.Found {
		unknown := "unknown"
		epoch := time.UnixMilli(0).UTC()
		out.ActivationStatus = domain.ActivationRemoved
		out.ActivationName = &unknown
		out.UserID = unknown
		out.TimestampCreated = epoch
		out.TimestampLastUsed = &epoch
		out.MaxFailedAttempts = s.svc.Config().SignatureMaxFailedAttempts
		return out, nil
	}
	a := st.Activation
	protocol := string(a.Protocol)
	out.ActivationStatus = a.Status
	out.ActivationOtpValidation = a.OtpValidation
	out.CommitPhase = a.CommitPhase
	out.BlockedReason = activationStrOrNil(a.BlockedReason)
	out.ActivationName = activationStrOrNil(a.Name)
	out.UserID = a.UserID
	out.Extras = activationStrOrNil(a.Extras)
	out.Protocol = &protocol
	out.ExternalID = activationStrOrNil(a.ExternalID)
	out.Platform = activationStrOrNil(a.Platform)
	out.DeviceInfo = activationStrOrNil(a.DeviceInfo)
	out.ApplicationID = &a.ApplicationName
	if st.ApplicationRoles != nil {
		out.ApplicationRoles = st.ApplicationRoles
	}
	out.FailedAttempts = a.FailedAttempts
	out.MaxFailedAttempts = a.MaxFailedAttempts
	out.TimestampCreated = a.Created
	out.TimestampLastUsed = activationTimeOrNil(a.LastUsed)
	out.TimestampLastChange = activationTimeOrNil(a.LastChange)
	if a.Status == domain.ActivationCreated {
		out.ActivationCode = activationStrOrNil(a.ActivationCode)
		out.ActivationSignature = activationB64OrNil(st.ActivationSignature)
	}
	out.DevicePublicKeyFingerprint = activationStrOrNil(st.DevicePublicKeyFingerprint)
	out.Version = int64(a.Version)
	if a.Flags != nil {
		out.ActivationFlags = a.Flags
	}
	out.UserAgent = activationStrOrNil(a.UserAgent)
	out.Device = restv3.DeviceDetailsOf(a.Device)
	return out, nil
}

func (s *Server) activationRemove(ctx context.Context, r *activationRemoveRequest) (any, error) {
	if err := requireActivationIDField(r.ActivationID); err != nil {
		return nil, err
	}
	a, err := s.svc.RemoveActivation(ctx, r.ActivationID, r.ExternalUserID, r.RevokeRecoveryCodes)
	if err != nil {
		return nil, err
	}
	return activationRemoveResponse{ActivationID: a.ActivationID, Removed: true}, nil
}

func (s *Server) activationBlock(ctx context.Context, r *activationBlockRequest) (any, error) {
	if err := requireActivationIDField(r.ActivationID); err != nil {
		return nil, err
	}
	a, err := s.svc.BlockActivation(ctx, r.ActivationID, r.Reason, r.ExternalUserID)
	if err != nil {
		return nil, err
	}
	return activationBlockResponse{ActivationID: a.ActivationID, ActivationStatus: a.Status, BlockedReason: activationStrOrNil(a.BlockedReason)}, nil
}

func (s *Server) activationUnblock(ctx context.Context, r *activationUnblockRequest) (any, error) {
	if err := requireActivationIDField(r.ActivationID); err != nil {
		return nil, err
	}
	a, err := s.svc.UnblockActivation(ctx, r.ActivationID, r.ExternalUserID)
	if err != nil {
		return nil, err
	}
	return activationUnblockResponse{ActivationID: a.ActivationID, ActivationStatus: a.Status}, nil
}

func (s *Server) activationList(ctx context.Context, r *activationListRequest) (any, error) {
	var v render.Validator
	v.NotBlank("userId", r.UserID)
	q := service.ActivationListQuery{UserID: r.UserID, ApplicationID: r.ApplicationID}
	q.Statuses = activationStatusesField(&v, "activationStatuses", r.ActivationStatuses)
	for _, p := range r.Protocols {
		proto, err := domain.ParseActivationProtocol(strings.ToLower(p))
		v.Check(err == nil, "protocols", "must contain only powerauth or fido2")
		q.Protocols = append(q.Protocols, proto)
	}
	q.Device = deviceFilterField(&v, r.Platforms, r.OsMajorVersion, r.OsVersionPrefix)
	if r.PageNumber != nil {
		v.Check(*r.PageNumber >= 0, "pageNumber", "must be greater than or equal to 0")
		q.PageNumber = *r.PageNumber
	}
	if r.PageSize != nil {
		v.Check(*r.PageSize > 0, "pageSize", "must be greater than 0")
		q.PageSize = *r.PageSize
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	found, err := s.svc.ListActivations(ctx, q)
	if err != nil {
		return nil, err
	}
	return activationListResponse{UserID: r.UserID, Activations: activationItems(found)}, nil
}

func (s *Server) activationLookup(ctx context.Context, r *activationLookupRequest) (any, error) {
	var v render.Validator
	v.Check(len(r.UserIDs) > 0, "userIds", "must not be empty")
	v.NoBlanks("userIds", r.UserIDs)
	q := service.ActivationLookupQuery{
		UserIDs:        r.UserIDs,
		ApplicationIDs: r.ApplicationIDs,
		LastUsedBefore: activationTimeField(&v, "timestampLastUsedBefore", r.TimestampLastUsedBefore),
		LastUsedAfter:  activationTimeField(&v, "timestampLastUsedAfter", r.TimestampLastUsedAfter),
		Flags:          r.ActivationFlags,
		Device:         deviceFilterField(&v, r.Platforms, r.OsMajorVersion, r.OsVersionPrefix),
	}
	if r.ActivationStatus != nil {
		st, err := domain.ParseActivationStatus(*r.ActivationStatus)
		v.Check(err == nil, "activationStatus", "must be a valid activation status")
		q.Status = &st
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	found, err := s.svc.LookupActivations(ctx, q)
	if err != nil {
		return nil, err
	}
	return activationLookupResponse{Activations: activationItems(found)}, nil
}

func (s *Server) activationStatusUpdate(ctx context.Context, r *activationStatusUpdateRequest) (any, error) {
	var v render.Validator
	v.Check(len(r.ActivationIDs) > 0, "activationIds", "must not be empty")
	v.NoBlanks("activationIds", r.ActivationIDs)
	v.Check(r.ActivationStatus != nil, "activationStatus", "must not be null")
	var status domain.ActivationStatus
	if r.ActivationStatus != nil {
		st, err := domain.ParseActivationStatus(*r.ActivationStatus)
		v.Check(err == nil, "activationStatus", "must be a valid activation status")
		status = st
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := s.svc.UpdateActivationStatuses(ctx, r.ActivationIDs, status); err != nil {
		return nil, err
	}
	return activationStatusUpdateResponse{Updated: true}, nil
}

func (s *Server) activationNameUpdate(ctx context.Context, r *activationNameUpdateRequest) (any, error) {
	var v render.Validator
	v.NotBlank("activationId", r.ActivationID)
	v.NotBlank("activationName", r.ActivationName)
	if err := v.Err(); err != nil {
		return nil, err
	}
	a, err := s.svc.UpdateActivationName(ctx, r.ActivationID, r.ActivationName, r.ExternalUserID)
	if err != nil {
		return nil, err
	}
	return activationNameUpdateResponse{ActivationID: a.ActivationID, ActivationName: a.Name, ActivationStatus: a.Status}, nil
}

func (s *Server) activationHistory(ctx context.Context, r *activationHistoryRequest) (any, error) {
	var v render.Validator
	v.NotBlank("activationId", r.ActivationID)
	from := activationTimeField(&v, "timestampFrom", r.TimestampFrom)
	to := activationTimeField(&v, "timestampTo", r.TimestampTo)
	if err := v.Err(); err != nil {
		return nil, err
	}
	items, err := s.svc.ActivationHistory(ctx, r.ActivationID, from, to)
	if err != nil {
		return nil, err
	}
	out := activationHistoryResponse{Items: make([]activationHistoryItem, 0, len(items))}
	for _, h := range items {
		out.Items = append(out.Items, activationHistoryItem{
			ID:               h.ID,
			ActivationID:     h.ActivationID,
			ActivationStatus: h.Status,
			EventReason:      activationStrOrNil(h.EventReason),
			ExternalUserID:   activationStrOrNil(h.ExternalUserID),
			ActivationName:   activationStrOrNil(h.ActivationName),
			TimestampCreated: h.Created,
			Version:          int64(h.ActivationVersion),
		})
	}
	return out, nil
}

func (s *Server) activationFlagsList(ctx context.Context, r *activationFlagsRequest) (any, error) {
	if err := requireActivationIDField(r.ActivationID); err != nil {
		return nil, err
	}
	flags, err := s.svc.ListActivationFlags(ctx, r.ActivationID)
	if err != nil {
		return nil, err
	}
	return activationFlagsResponse{ActivationID: r.ActivationID, ActivationFlags: flags}, nil
}

// activationFlagsChange serves flags/create, flags/update and flags/remove.
func (s *Server) activationFlagsChange(ctx context.Context, r *activationFlagsRequest, change func(context.Context, string, []string) ([]string, error)) (any, error) {
	var v render.Validator
	v.NotBlank("activationId", r.ActivationID)
	v.Check(r.ActivationFlags != nil, "activationFlags", "must not be null")
	v.NoBlanks("activationFlags", r.ActivationFlags)
	if err := v.Err(); err != nil {
		return nil, err
	}
	flags, err := change(ctx, r.ActivationID, r.ActivationFlags)
	if err != nil {
		return nil, err
	}
	return activationFlagsResponse{ActivationID: r.ActivationID, ActivationFlags: flags}, nil
}

// activationItems renders activations for list and lookup.
func activationItems(found []service.ActivationDetail) []activationItem {
	out := make([]activationItem, 0, len(found))
	for _, a := range found {
		flags := a.Flags
		if flags == nil {
			flags = []string{}
		}
		var devKey *string
		if len(a.DevicePublicKey) > 0 {
			k := base64.StdEncoding.EncodeToString(a.DevicePublicKey)
			devKey = &k
		}
		out = append(out, activationItem{
			ActivationID:          a.ActivationID,
			ActivationStatus:      a.Status,
			BlockedReason:         activationStrOrNil(a.BlockedReason),
			ExternalID:            activationStrOrNil(a.ExternalID),
			ActivationName:        activationStrOrNil(a.Name),
			Extras:                activationStrOrNil(a.Extras),
			Protocol:              string(a.Protocol),
			Platform:              activationStrOrNil(a.Platform),
			DeviceInfo:            activationStrOrNil(a.DeviceInfo),
			ActivationFlags:       flags,
			TimestampCreated:      a.Created,
			TimestampLastUsed:     activationTimeOrNil(a.LastUsed),
			TimestampLastChange:   activationTimeOrNil(a.LastChange),
			UserID:                a.UserID,
			ApplicationID:         a.ApplicationName,
			Version:               int64(a.Version),
			FailedAttempts:        a.FailedAttempts,
			MaxFailedAttempts:     a.MaxFailedAttempts,
			DevicePublicKeyBase64: devKey,
			UserAgent:             activationStrOrNil(a.UserAgent),
			Device:                restv3.DeviceDetailsOf(a.Device),
		})
	}
	return out
}

// deviceFilterField checks the device filter of activation/list and
// activation/lookup (mauth extensions).
func deviceFilterField(v *render.Validator, platforms []string, osMajor *int, osVersionPrefix string) store.DeviceFilter {
	v.NoBlanks("platforms", platforms)
	f := store.DeviceFilter{Platforms: platforms, OSVersionPrefix: osVersionPrefix}
	if osMajor != nil {
		v.Check(*osMajor > 0, "osMajorVersion", "must be greater than 0")
		f.OSMajor = *osMajor
	}
	return f
}

// requireActivationIDField rejects a blank activationId as ERR0024.
func requireActivationIDField(id string) error {
	var v render.Validator
	v.NotBlank("activationId", id)
	return v.Err()
}

// activationStatusesField parses a list of activation status names.
func activationStatusesField(v *render.Validator, field string, names []string) []domain.ActivationStatus {
	var out []domain.ActivationStatus
	for _, n := range names {
		st, err := domain.ParseActivationStatus(n)
		v.Check(err == nil, field, "must contain only valid activation statuses")
		if err == nil {
			out = append(out, st)
		}
	}
	return out
}

// activationTimeField parses an optional DateTime field, recording a
// validation error when it is malformed.
func activationTimeField(v *render.Validator, field string, raw json.RawMessage) time.Time {
	t, ok := parseActivationTime(raw)
	v.Check(ok, field, "must be an ISO-8601 date-time or milliseconds since the epoch")
	return t
}

// maxActivationMillis is 9999-12-31T23:59:59.999Z in milliseconds.
const maxActivationMillis = 253402300799999

// activationTimeLayouts are the accepted ISO-8601 text forms.
var activationTimeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02",
}

// parseActivationTime parses an untrusted DateTime value: an ISO-8601
// string (offset, Z, no zone meaning UTC, or a plain date) or an integer
// number of milliseconds since the epoch. An absent or null value is the
// zero time. ok is false for anything else, including times outside years
// 1970–9999.
func parseActivationTime(raw json.RawMessage) (t time.Time, ok bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return time.Time{}, true
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return time.Time{}, false
		}
		for _, layout := range activationTimeLayouts {
			if p, err := time.Parse(layout, s); err == nil {
				p = p.UTC()
				if p.Before(time.UnixMilli(0)) || p.After(time.UnixMilli(maxActivationMillis)) {
					return time.Time{}, false
				}
				return p, true
			}
		}
		return time.Time{}, false
	}
	ms, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil || ms < 0 || ms > maxActivationMillis {
		return time.Time{}, false
	}
	return time.UnixMilli(ms).UTC(), true
}

// activationStrOrNil maps "" to a JSON null.
func activationStrOrNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// activationB64OrNil renders bytes as Base64, nil as a JSON null.
func activationB64OrNil(b []byte) *string {
	if b == nil {
		return nil
	}
	s := base64.StdEncoding.EncodeToString(b)
	return &s
}

// activationTimeOrNil maps the zero time to a JSON null.
func activationTimeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
