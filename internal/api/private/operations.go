package private

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mauth/mauth/internal/api/render"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/protocol"
)

// Operation templates.

type templateRequest struct {
	ID                    json.RawMessage `json:"id"`
	TemplateName          string          `json:"templateName"`
	OperationType         string          `json:"operationType"`
	DataTemplate          string          `json:"dataTemplate"`
	SignatureType         []string        `json:"signatureType"`
	MaxFailureCount       *int64          `json:"maxFailureCount"`
	Expiration            *int64          `json:"expiration"`
	RiskFlags             string          `json:"riskFlags"`
	ProximityCheckEnabled bool            `json:"proximityCheckEnabled"`
	NumberMatchingEnabled bool            `json:"numberMatchingEnabled"`
}

// templateID parses a Long id sent as a JSON number or numeric string.
func templateID(v *render.Validator, raw json.RawMessage) int64 {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		v.Check(false, "id", "must not be null")
		return 0
	}
	s := strings.Trim(string(raw), `"`)
	id, err := strconv.ParseInt(s, 10, 64)
	v.Check(err == nil && id > 0, "id", "must be a positive number")
	return id
}

// input converts the request (update: with the template id). The JSON
// checks are here; the fields themselves are checked once, by
// service.OperationTemplateInput.CheckFields.
func (r *templateRequest) input(update bool) (int64, service.OperationTemplateInput, error) {
	var v render.Validator
	var id int64
	if update {
		id = templateID(&v, r.ID)
	}
	in := service.OperationTemplateInput{
		Name: r.TemplateName, OperationType: r.OperationType, DataTemplate: r.DataTemplate,
		RiskFlags: r.RiskFlags, ProximityCheckEnabled: r.ProximityCheckEnabled, NumberMatchingEnabled: r.NumberMatchingEnabled,
	}
	for _, name := range r.SignatureType {
		t, err := service.ParseSignatureTypeName(name)
		v.Check(err == nil, "signatureType", "must be a list of signature types")
		in.SignatureTypes = append(in.SignatureTypes, t)
	}
	if r.MaxFailureCount != nil {
		in.MaxFailureCount = *r.MaxFailureCount
	}
	// Null and out of range are 0: CheckFields answers them.
	if r.Expiration != nil && *r.Expiration <= 1<<32 {
		in.Expiration = time.Duration(*r.Expiration) * time.Second
	}
	in.CheckFields(&v, update)
	return id, in, v.Err()
}

type templateResponse struct {
	ID                    int64    `json:"id"`
	TemplateName          string   `json:"templateName"`
	OperationType         string   `json:"operationType"`
	DataTemplate          string   `json:"dataTemplate"`
	SignatureType         []string `json:"signatureType"`
	MaxFailureCount       int64    `json:"maxFailureCount"`
	Expiration            int64    `json:"expiration"`
	RiskFlags             *string  `json:"riskFlags"`
	ProximityCheckEnabled bool     `json:"proximityCheckEnabled"`
	NumberMatchingEnabled bool     `json:"numberMatchingEnabled"`
}

func templateResponseOf(t domain.OperationTemplate) templateResponse {
	return templateResponse{
		ID: t.ID, TemplateName: t.Name, OperationType: t.OperationType, DataTemplate: t.DataTemplate,
		SignatureType: upperSignatureTypes(t.SignatureTypes), MaxFailureCount: t.MaxFailureCount,
		Expiration: int64(t.Expiration / time.Second), RiskFlags: activationStrOrNil(t.RiskFlags),
		ProximityCheckEnabled: t.ProximityCheckEnabled, NumberMatchingEnabled: t.NumberMatchingEnabled,
	}
}

func upperSignatureTypes(types []string) []string {
	out := make([]string, len(types))
	for i, t := range types {
		out[i] = service.SignatureTypeName(protocol.SignatureType(t))
	}
	return out
}

type templateIDRequest struct {
	ID json.RawMessage `json:"id"`
}

// Operations.

type operationCreateRequest struct {
	UserID                string            `json:"userId"`
	Applications          []string          `json:"applications"`
	TemplateName          string            `json:"templateName"`
	ActivationFlag        string            `json:"activationFlag"`
	TimestampExpires      json.RawMessage   `json:"timestampExpires"`
	ExternalID            string            `json:"externalId"`
	Parameters            map[string]string `json:"parameters"`
	AdditionalData        map[string]any    `json:"additionalData"`
	ProximityCheckEnabled *bool             `json:"proximityCheckEnabled"`
	ActivationID          string            `json:"activationId"`
}

type operationDetailRequest struct {
	OperationID string `json:"operationId"`
	UserID      string `json:"userId"`
}

type operationListRequest struct {
	UserID       string   `json:"userId"`
	ExternalID   string   `json:"externalId"`
	Applications []string `json:"applications"`
	ActivationID string   `json:"activationId"`
	PageNumber   *int     `json:"pageNumber"`
	PageSize     *int     `json:"pageSize"`
}

func (r *operationListRequest) input(external, pending bool) (service.OperationListInput, error) {
	var v render.Validator
	if external {
		v.NotBlank("externalId", r.ExternalID)
	} else {
		v.NotBlank("userId", r.UserID)
	}
	v.Check(len(r.Applications) > 0, "applications", "must not be empty")
	in := service.OperationListInput{Applications: r.Applications, PendingOnly: pending, ActivationID: r.ActivationID}
	if external {
		in.ExternalID = r.ExternalID
	} else {
		in.UserID = r.UserID
	}
	if r.PageNumber != nil {
		v.Check(*r.PageNumber >= 0, "pageNumber", "must be greater than or equal to 0")
		in.PageNumber = *r.PageNumber
	}
	if r.PageSize != nil {
		v.Check(*r.PageSize >= 1 && *r.PageSize <= 1000, "pageSize", "must be between 1 and 1000")
		in.PageSize = *r.PageSize
	}
	return in, v.Err()
}

type operationCancelRequest struct {
	OperationID    string         `json:"operationId"`
	AdditionalData map[string]any `json:"additionalData"`
	StatusReason   string         `json:"statusReason"`
}

type operationApproveRequest struct {
	OperationID    string         `json:"operationId"`
	UserID         string         `json:"userId"`
	ApplicationID  string         `json:"applicationId"`
	Data           string         `json:"data"`
	SignatureType  string         `json:"signatureType"`
	AdditionalData map[string]any `json:"additionalData"`
}

type operationRejectRequest struct {
	OperationID    string         `json:"operationId"`
	UserID         string         `json:"userId"`
	ApplicationID  string         `json:"applicationId"`
	AdditionalData map[string]any `json:"additionalData"`
}

type operationResponse struct {
	ID                 string            `json:"id"`
	UserID             *string           `json:"userId"`
	Applications       []string          `json:"applications"`
	ExternalID         *string           `json:"externalId"`
	ActivationFlag     *string           `json:"activationFlag"`
	OperationType      string            `json:"operationType"`
	TemplateName       *string           `json:"templateName"`
	Data               string            `json:"data"`
	Parameters         map[string]string `json:"parameters"`
	AdditionalData     map[string]any    `json:"additionalData"`
	Status             string            `json:"status"`
	StatusReason       *string           `json:"statusReason"`
	SignatureType      []string          `json:"signatureType"`
	FailureCount       int64             `json:"failureCount"`
	MaxFailureCount    int64             `json:"maxFailureCount"`
	TimestampCreated   time.Time         `json:"timestampCreated"`
	TimestampExpires   time.Time         `json:"timestampExpires"`
	TimestampFinalized *time.Time        `json:"timestampFinalized"`
	RiskFlags          *string           `json:"riskFlags"`
	ProximityOtp       *string           `json:"proximityOtp"`
	ActivationID       *string           `json:"activationId"`
	// NumberMatching is a mauth extension: the number the web shows and
	// the user must pick on the device.
	NumberMatching *string `json:"numberMatching"`
}

func operationResponseOf(d service.OperationDetail) operationResponse {
	params := d.Parameters
	if params == nil {
		params = map[string]string{}
	}
	extra := d.AdditionalData
	if extra == nil {
		extra = map[string]any{}
	}
	return operationResponse{
		ID: d.ID, UserID: activationStrOrNil(d.UserID), Applications: appRolesOrEmpty(d.Applications),
		ExternalID: activationStrOrNil(d.ExternalID), ActivationFlag: activationStrOrNil(d.ActivationFlag),
		OperationType: d.OperationType, TemplateName: activationStrOrNil(d.TemplateName), Data: d.Data,
		Parameters: params, AdditionalData: extra, Status: d.Status.String(),
		StatusReason: activationStrOrNil(d.StatusReason), SignatureType: upperSignatureTypes(d.SignatureTypes),
		FailureCount: d.FailureCount, MaxFailureCount: d.MaxFailureCount,
		TimestampCreated: d.Created, TimestampExpires: d.Expires, TimestampFinalized: activationTimeOrNil(d.Finalized),
		RiskFlags: activationStrOrNil(d.RiskFlags), ProximityOtp: activationStrOrNil(d.ProximityOTP),
		ActivationID: activationStrOrNil(d.ActivationID), NumberMatching: activationStrOrNil(d.NumberMatching),
	}
}

func operationListOf(list []service.OperationDetail) []operationResponse {
	out := make([]operationResponse, len(list))
	for i, d := range list {
		out[i] = operationResponseOf(d)
	}
	return out
}

type operationActionResponse struct {
	Result    string            `json:"result"`
	Operation operationResponse `json:"operation"`
}

func operationActionOf(r service.OperationActionResult, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return operationActionResponse{Result: string(r.Result), Operation: operationResponseOf(r.Operation)}, nil
}

// registerOperationRoutes registers operation/* and operation/template/*.
func (s *Server) registerOperationRoutes() {
	s.registerOperationOfflineRoutes()
	method(s, "operation/template/create", func(ctx context.Context, req *templateRequest) (any, error) {
		_, in, err := req.input(false)
		if err != nil {
			return nil, err
		}
		t, err := s.svc.CreateOperationTemplate(ctx, in)
		if err != nil {
			return nil, err
		}
		return templateResponseOf(t), nil
	})
	method(s, "operation/template/update", func(ctx context.Context, req *templateRequest) (any, error) {
		id, in, err := req.input(true)
		if err != nil {
			return nil, err
		}
		t, err := s.svc.UpdateOperationTemplate(ctx, id, in)
		if err != nil {
			return nil, err
		}
		return templateResponseOf(t), nil
	})
	// Like the other list methods, it ignores its request body.
	appBodylessMethod(s, "operation/template/list", func(ctx context.Context) (any, error) {
		list, err := s.svc.ListOperationTemplates(ctx)
		if err != nil {
			return nil, err
		}
		out := make([]templateResponse, len(list))
		for i, t := range list {
			out[i] = templateResponseOf(t)
		}
		return out, nil
	})
	method(s, "operation/template/detail", func(ctx context.Context, req *templateIDRequest) (any, error) {
		var v render.Validator
		id := templateID(&v, req.ID)
		if err := v.Err(); err != nil {
			return nil, err
		}
		t, err := s.svc.GetOperationTemplate(ctx, id)
		if err != nil {
			return nil, err
		}
		return templateResponseOf(t), nil
	})
	method(s, "operation/template/remove", func(ctx context.Context, req *templateIDRequest) (any, error) {
		var v render.Validator
		id := templateID(&v, req.ID)
		if err := v.Err(); err != nil {
			return nil, err
		}
		return nil, s.svc.RemoveOperationTemplate(ctx, id)
	})

	method(s, "operation/create", func(ctx context.Context, req *operationCreateRequest) (any, error) {
		var v render.Validator
		v.Check(len(req.Applications) > 0, "applications", "must not be empty")
		v.NotBlank("templateName", req.TemplateName)
		expires := activationTimeField(&v, "timestampExpires", req.TimestampExpires)
		if err := v.Err(); err != nil {
			return nil, err
		}
		d, err := s.svc.CreateOperation(ctx, service.CreateOperationInput{
			UserID: req.UserID, Applications: req.Applications, TemplateName: req.TemplateName,
			ActivationFlag: req.ActivationFlag, Expires: expires, ExternalID: req.ExternalID,
			Parameters: req.Parameters, AdditionalData: req.AdditionalData,
			ProximityCheckEnabled: req.ProximityCheckEnabled, ActivationID: req.ActivationID,
		})
		if err != nil {
			return nil, err
		}
		return operationResponseOf(d), nil
	})
	method(s, "operation/detail", func(ctx context.Context, req *operationDetailRequest) (any, error) {
		var v render.Validator
		v.NotBlank("operationId", req.OperationID)
		if err := v.Err(); err != nil {
			return nil, err
		}
		d, err := s.svc.GetOperation(ctx, req.OperationID, req.UserID)
		if err != nil {
			return nil, err
		}
		return operationResponseOf(d), nil
	})
	method(s, "operation/claim", func(ctx context.Context, req *operationDetailRequest) (any, error) {
		var v render.Validator
		v.NotBlank("operationId", req.OperationID)
		v.NotBlank("userId", req.UserID)
		if err := v.Err(); err != nil {
			return nil, err
		}
		d, err := s.svc.ClaimOperation(ctx, req.OperationID, req.UserID)
		if err != nil {
			return nil, err
		}
		return operationResponseOf(d), nil
	})
	for _, l := range []struct {
		name              string
		external, pending bool
	}{
		{"operation/list", false, false},
		{"operation/list/pending", false, true},
		{"operation/list/external", true, false},
	} {
		method(s, l.name, func(ctx context.Context, req *operationListRequest) (any, error) {
			in, err := req.input(l.external, l.pending)
			if err != nil {
				return nil, err
			}
			list, err := s.svc.ListOperations(ctx, in)
			if err != nil {
				return nil, err
			}
			return operationListOf(list), nil
		})
	}
	method(s, "operation/cancel", func(ctx context.Context, req *operationCancelRequest) (any, error) {
		var v render.Validator
		v.NotBlank("operationId", req.OperationID)
		v.Check(utf8.RuneCountInString(req.StatusReason) <= service.MaxOperationStatusReason, "statusReason", "size must be between 0 and 32")
		if err := v.Err(); err != nil {
			return nil, err
		}
		d, err := s.svc.CancelOperation(ctx, req.OperationID, req.AdditionalData, req.StatusReason)
		if err != nil {
			return nil, err
		}
		return operationResponseOf(d), nil
	})
	method(s, "operation/approve", func(ctx context.Context, req *operationApproveRequest) (any, error) {
		var v render.Validator
		v.NotBlank("operationId", req.OperationID)
		v.NotBlank("userId", req.UserID)
		v.NotBlank("applicationId", req.ApplicationID)
		v.NotBlank("data", req.Data)
		typ, err := service.ParseSignatureTypeName(req.SignatureType)
		v.Check(err == nil, "signatureType", "must be a signature type")
		if err := v.Err(); err != nil {
			return nil, err
		}
		return operationActionOf(s.svc.ApproveOperation(ctx, service.ApproveOperationInput{
			OperationID: req.OperationID, UserID: req.UserID, ApplicationName: req.ApplicationID,
			Data: req.Data, SignatureType: typ, AdditionalData: req.AdditionalData,
		}))
	})
	method(s, "operation/approve/fail", func(ctx context.Context, req *operationCancelRequest) (any, error) {
		var v render.Validator
		v.NotBlank("operationId", req.OperationID)
		if err := v.Err(); err != nil {
			return nil, err
		}
		return operationActionOf(s.svc.FailOperationApproval(ctx, req.OperationID, req.AdditionalData))
	})
	method(s, "operation/reject", func(ctx context.Context, req *operationRejectRequest) (any, error) {
		var v render.Validator
		v.NotBlank("operationId", req.OperationID)
		v.NotBlank("userId", req.UserID)
		v.NotBlank("applicationId", req.ApplicationID)
		if err := v.Err(); err != nil {
			return nil, err
		}
		return operationActionOf(s.svc.RejectOperation(ctx, service.RejectOperationInput{
			OperationID: req.OperationID, UserID: req.UserID, ApplicationName: req.ApplicationID,
			AdditionalData: req.AdditionalData,
		}))
	})
}
