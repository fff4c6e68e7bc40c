package private

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/mauth/mauth/internal/api/render"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/restv3"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/protocol"
)

// registerSignatureRoutes registers the methods of this file's area.
func (s *Server) registerSignatureRoutes() {
	method(s, "signature/verify", s.signatureVerify)
	method(s, "signature/ecdsa/verify", s.signatureECDSAVerify)
	method(s, "signature/offline/personalized/create", s.signatureOfflinePersonalizedCreate)
	method(s, "signature/offline/non-personalized/create", s.signatureOfflineNonPersonalizedCreate)
	method(s, "signature/offline/verify", s.signatureOfflineVerify)
	method(s, "signature/list", s.signatureList)
}

// sigBase64 decodes a required standard Base64 field.
func sigBase64(v *render.Validator, field, value string) []byte {
	if strings.TrimSpace(value) == "" {
		v.NotBlank(field, value)
		return nil
	}
	b, err := base64.StdEncoding.DecodeString(value)
	v.Check(err == nil, field, "must be Base64")
	return b
}

// sigOrNull maps "" to a JSON null.
func sigOrNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// sigList returns l, or an empty list (JSON [] rather than null).
func sigList(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

type sigVerifyRequest struct{ restv3.SignatureVerifyRequest }

func (r *sigVerifyRequest) input() (service.VerifySignatureInput, error) {
	var v render.Validator
	v.NotBlank("activationId", r.ActivationID)
	v.NotBlank("applicationKey", r.ApplicationKey)
	v.NotBlank("data", r.Data)
	v.NotBlank("signature", r.Signature)
	st, err := service.ParseSignatureTypeName(r.SignatureType)
	v.Check(err == nil, "signatureType", "must be a signature type")
	v.Check(protocol.ValidVersion(r.SignatureVersion), "signatureVersion", "must be one of 3.0, 3.1, 3.2, 3.3")
	if err := v.Err(); err != nil {
		return service.VerifySignatureInput{}, err
	}
	in := service.VerifySignatureInput{
		ActivationID: r.ActivationID, ApplicationKey: r.ApplicationKey, Data: r.Data, Signature: r.Signature,
		SignatureType: st, SignatureVersion: r.SignatureVersion,
	}
	if r.ForcedSignatureVersion != nil && *r.ForcedSignatureVersion == 3 {
		in.ForcedSignatureVersion = 3
	}
	return in, nil
}

// sigVerifyResponse answers signature/verify and signature/offline/verify.
type sigVerifyResponse = restv3.SignatureVerifyResponse

func sigVerifyOut(res service.VerifySignatureResult) sigVerifyResponse {
	return sigVerifyResponse{
		SignatureValid:    res.SignatureValid,
		ActivationStatus:  res.ActivationStatus,
		BlockedReason:     sigOrNull(res.BlockedReason),
		ActivationID:      res.ActivationID,
		UserID:            sigOrNull(res.UserID),
		ApplicationID:     sigOrNull(res.ApplicationID),
		SignatureType:     sigOrNull(service.SignatureTypeName(res.SignatureType)),
		RemainingAttempts: res.RemainingAttempts,
		ApplicationRoles:  sigList(res.ApplicationRoles),
		ActivationFlags:   sigList(res.ActivationFlags),
	}
}

func (s *Server) signatureVerify(ctx context.Context, r *sigVerifyRequest) (any, error) {
	in, err := r.input()
	if err != nil {
		return nil, err
	}
	res, err := s.svc.VerifySignature(ctx, in)
	if err != nil {
		return nil, err
	}
	return sigVerifyOut(res), nil
}

type sigECDSARequest struct {
	ActivationID    string `json:"activationId"`
	Data            string `json:"data"`
	Signature       string `json:"signature"`
	SignatureFormat string `json:"signatureFormat"`
}

type sigECDSAResponse struct {
	SignatureValid bool `json:"signatureValid"`
}

func (s *Server) signatureECDSAVerify(ctx context.Context, r *sigECDSARequest) (any, error) {
	var v render.Validator
	v.NotBlank("activationId", r.ActivationID)
	data := sigBase64(&v, "data", r.Data)
	sig := sigBase64(&v, "signature", r.Signature)
	format, err := service.ParseECDSASignatureFormat(r.SignatureFormat)
	v.Check(err == nil, "signatureFormat", "must be DER or JOSE")
	if err := v.Err(); err != nil {
		return nil, err
	}
	ok, err := s.svc.VerifyECDSASignature(ctx, r.ActivationID, data, sig, format)
	if err != nil {
		return nil, err
	}
	return sigECDSAResponse{SignatureValid: ok}, nil
}

// sigProximityCheck is the optional proximity TOTP configuration.
type sigProximityCheck struct {
	Seed       string `json:"seed"`
	StepLength *int64 `json:"stepLength"`
	StepCount  *int64 `json:"stepCount"`
}

// maxSigStepSeconds keeps a step length representable as a time.Duration.
const maxSigStepSeconds = math.MaxInt32

func (p *sigProximityCheck) parse(v *render.Validator, verify bool) *service.ProximityCheck {
	if p == nil {
		return nil
	}
	out := &service.ProximityCheck{Seed: sigBase64(v, "proximityCheck.seed", p.Seed)}
	if p.StepLength == nil || *p.StepLength < 1 || *p.StepLength > maxSigStepSeconds {
		v.Check(false, "proximityCheck.stepLength", "must be a positive number of seconds")
	} else {
		out.StepLength = time.Duration(*p.StepLength) * time.Second
	}
	if verify && p.StepCount != nil {
		c := *p.StepCount
		v.Check(c >= 0 && c <= service.MaxProximityStepCount, "proximityCheck.stepCount", "must be between 0 and 100")
		out.StepCount = int(min(max(c, 0), service.MaxProximityStepCount))
	}
	return out
}

type sigPersonalizedRequest struct {
	ActivationID   string             `json:"activationId"`
	Data           string             `json:"data"`
	Nonce          string             `json:"nonce"`
	ProximityCheck *sigProximityCheck `json:"proximityCheck"`
}

type sigNonPersonalizedRequest struct {
	ApplicationID string `json:"applicationId"`
	Data          string `json:"data"`
}

type sigOfflinePayloadResponse struct {
	OfflineData string `json:"offlineData"`
	Nonce       string `json:"nonce"`
}

func (s *Server) signatureOfflinePersonalizedCreate(ctx context.Context, r *sigPersonalizedRequest) (any, error) {
	var v render.Validator
	v.NotBlank("activationId", r.ActivationID)
	v.NotBlank("data", r.Data)
	if r.Nonce != "" {
		n, err := base64.StdEncoding.DecodeString(r.Nonce)
		v.Check(err == nil && len(n) == 16, "nonce", "must be 16 bytes in Base64")
	}
	pc := r.ProximityCheck.parse(&v, false)
	if err := v.Err(); err != nil {
		return nil, err
	}
	p, err := s.svc.CreatePersonalizedOfflinePayload(ctx, service.PersonalizedOfflinePayloadInput{
		ActivationID: r.ActivationID, Data: r.Data, Nonce: r.Nonce, ProximityCheck: pc,
	})
	if err != nil {
		return nil, err
	}
	return sigOfflinePayloadResponse{OfflineData: p.OfflineData, Nonce: p.Nonce}, nil
}

func (s *Server) signatureOfflineNonPersonalizedCreate(ctx context.Context, r *sigNonPersonalizedRequest) (any, error) {
	var v render.Validator
	v.NotBlank("applicationId", r.ApplicationID)
	v.NotBlank("data", r.Data)
	if err := v.Err(); err != nil {
		return nil, err
	}
	p, err := s.svc.CreateNonPersonalizedOfflinePayload(ctx, r.ApplicationID, r.Data)
	if err != nil {
		return nil, err
	}
	return sigOfflinePayloadResponse{OfflineData: p.OfflineData, Nonce: p.Nonce}, nil
}

type sigOfflineVerifyRequest struct {
	ActivationID  string `json:"activationId"`
	Data          string `json:"data"`
	Signature     string `json:"signature"`
	AllowBiometry bool   `json:"allowBiometry"`
	// BiometryAllowed is the name the reference documentation uses; either
	// flag allows biometry.
	BiometryAllowed bool               `json:"biometryAllowed"`
	ComponentLength *int64             `json:"componentLength"`
	ProximityCheck  *sigProximityCheck `json:"proximityCheck"`
}

func (s *Server) signatureOfflineVerify(ctx context.Context, r *sigOfflineVerifyRequest) (any, error) {
	var v render.Validator
	v.NotBlank("activationId", r.ActivationID)
	v.NotBlank("data", r.Data)
	v.NotBlank("signature", r.Signature)
	length := 0
	if r.ComponentLength != nil {
		l := *r.ComponentLength
		v.Check(l >= protocol.MinOfflineDecimalLength && l <= protocol.MaxOfflineDecimalLength, "componentLength", "must be between 4 and 8")
		length = int(min(max(l, protocol.MinOfflineDecimalLength), protocol.MaxOfflineDecimalLength))
	}
	pc := r.ProximityCheck.parse(&v, true)
	if err := v.Err(); err != nil {
		return nil, err
	}
	res, err := s.svc.VerifyOfflineSignature(ctx, service.VerifyOfflineSignatureInput{
		ActivationID: r.ActivationID, Data: r.Data, Signature: r.Signature,
		AllowBiometry: r.AllowBiometry || r.BiometryAllowed, ComponentLength: length, ProximityCheck: pc,
	})
	if err != nil {
		return nil, err
	}
	return sigVerifyOut(res), nil
}

type sigListRequest struct {
	UserID        string          `json:"userId"`
	ApplicationID string          `json:"applicationId"`
	TimestampFrom json.RawMessage `json:"timestampFrom"`
	TimestampTo   json.RawMessage `json:"timestampTo"`
}

type sigAuditItem struct {
	ID                int64                   `json:"id"`
	UserID            string                  `json:"userId"`
	ApplicationID     string                  `json:"applicationId"`
	ActivationID      string                  `json:"activationId"`
	ActivationCounter int64                   `json:"activationCounter"`
	ActivationCtrData *string                 `json:"activationCtrData"`
	ActivationStatus  domain.ActivationStatus `json:"activationStatus"`
	AdditionalInfo    []keyValue              `json:"additionalInfo"`
	DataBase64        string                  `json:"dataBase64"`
	SignatureVersion  *string                 `json:"signatureVersion"`
	SignatureType     string                  `json:"signatureType"`
	Signature         string                  `json:"signature"`
	Note              *string                 `json:"note"`
	Valid             bool                    `json:"valid"`
	Version           int                     `json:"version"`
	TimestampCreated  time.Time               `json:"timestampCreated"`
}

// keyValue is one entry of a signature audit item's additionalInfo, which
// the wire format carries as a list of key/value pairs (sorted by key).
type keyValue struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type sigListResponse struct {
	Items []sigAuditItem `json:"items"`
}

func (s *Server) signatureList(ctx context.Context, r *sigListRequest) (any, error) {
	var v render.Validator
	v.NotBlank("userId", r.UserID)
	from := activationTimeField(&v, "timestampFrom", r.TimestampFrom)
	to := activationTimeField(&v, "timestampTo", r.TimestampTo)
	if err := v.Err(); err != nil {
		return nil, err
	}
	items, err := s.svc.ListSignatureAudits(ctx, service.SignatureAuditQuery{
		UserID: r.UserID, ApplicationID: r.ApplicationID, From: from, To: to,
	})
	if err != nil {
		return nil, err
	}
	out := sigListResponse{Items: make([]sigAuditItem, 0, len(items))}
	for _, it := range items {
		var ctr *string
		if it.ActivationCtrData != nil {
			c := base64.StdEncoding.EncodeToString(it.ActivationCtrData)
			ctr = &c
		}
		info := make([]keyValue, 0, len(it.AdditionalInfo))
		for _, k := range slices.Sorted(maps.Keys(it.AdditionalInfo)) {
			info = append(info, keyValue{Key: k, Value: it.AdditionalInfo[k]})
		}
		out.Items = append(out.Items, sigAuditItem{
			ID:                it.ID,
			UserID:            it.UserID,
			ApplicationID:     it.ApplicationName,
			ActivationID:      it.ActivationID,
			ActivationCounter: it.ActivationCounter,
			ActivationCtrData: ctr,
			ActivationStatus:  it.ActivationStatus,
			AdditionalInfo:    info,
			DataBase64:        base64.StdEncoding.EncodeToString(it.Data),
			SignatureVersion:  sigOrNull(it.SignatureVersion),
			SignatureType:     service.SignatureTypeName(protocol.SignatureType(it.SignatureType)),
			Signature:         it.Signature,
			Note:              sigOrNull(it.Note),
			Valid:             it.Valid,
			Version:           it.Version,
			TimestampCreated:  it.Created,
		})
	}
	return out, nil
}
