package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/mauth/mauth/protocol"
)

// Paths and resource ids of the Mobile Token API.
const (
	operationPrefix       = "/api/auth/token/app/operation/"
	uriOperationHistory   = "/operation/history"
	uriOperationAuthorize = "/operation/authorize"
	uriOperationCancel    = "/operation/cancel"
	activationCodePath    = "/api/activation/code"
	uriActivationCode     = "/api/activation/code"
	headerAcceptLanguage  = "Accept-Language"
	defaultRejectReason   = "UNKNOWN"
)

// Operation is an operation awaiting (or past) the user's decision, as the
// Mobile Token API shows it.
type Operation struct {
	ID                   string               `json:"id"`
	Name                 string               `json:"name"`
	Data                 string               `json:"data"`
	Status               string               `json:"status"`
	StatusReason         string               `json:"statusReason,omitempty"`
	OperationCreated     string               `json:"operationCreated"`
	OperationExpires     string               `json:"operationExpires"`
	AllowedSignatureType AllowedSignatureType `json:"allowedSignatureType"`
	FormData             FormData             `json:"formData"`
	UI                   map[string]any       `json:"ui,omitempty"`
	// ProximityCheckRequired: the approval needs the proximity OTP.
	ProximityCheckRequired bool `json:"proximityCheckRequired,omitempty"`
	// NumberMatchingRequired: the approval needs the number the web shows.
	NumberMatchingRequired bool `json:"numberMatchingRequired,omitempty"`
	// NumberMatchingOptions are the numbers the user picks from; one of
	// them is the number the web shows (send it as Approval.NumberMatching).
	NumberMatchingOptions []string `json:"numberMatchingOptions,omitempty"`
}

// AllowedSignatureType says which factors approve an operation: type
// "1FA" (possession) or "2FA" with the allowed variants.
type AllowedSignatureType struct {
	Type     string   `json:"type"`
	Variants []string `json:"variants"`
}

// FormData are the localised texts of an operation.
type FormData struct {
	Title       string          `json:"title"`
	Message     string          `json:"message"`
	Attributes  []FormAttribute `json:"attributes"`
	ResultTexts *ResultTexts    `json:"resultTexts,omitempty"`
}

// ResultTexts are shown after the user's decision.
type ResultTexts struct {
	Success string `json:"success,omitempty"`
	Failure string `json:"failure,omitempty"`
	Reject  string `json:"reject,omitempty"`
}

// FormAttribute is one form field; Fields holds every JSON member (the
// type-specific ones too, e.g. "amount", "value", "note").
type FormAttribute struct {
	Type   string
	ID     string
	Label  string
	Fields map[string]any
}

// UnmarshalJSON implements json.Unmarshaler.
func (a *FormAttribute) UnmarshalJSON(b []byte) error {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	a.Fields = m
	a.Type, _ = m["type"].(string)
	a.ID, _ = m["id"].(string)
	a.Label, _ = m["label"].(string)
	return nil
}

// String returns a string field of the attribute ("" when absent).
func (a FormAttribute) String(field string) string {
	s, _ := a.Fields[field].(string)
	return s
}

// tokenPost sends {"requestObject": reqObj} with a fresh MAC token header
// and the language, and returns the raw answer.
func (c *Client) tokenPost(ctx context.Context, t *Token, path, lang string, reqObj any) ([]byte, error) {
	if t == nil {
		return nil, fmt.Errorf("client: a token is required")
	}
	body, err := json.Marshal(map[string]any{"requestObject": reqObj})
	if err != nil {
		return nil, fmt.Errorf("client: encode request: %w", err)
	}
	h := map[string]string{protocol.HeaderToken: c.TokenHeader(t)}
	if lang != "" {
		h[headerAcceptLanguage] = lang
	}
	return c.do(ctx, request{path: path, body: body, headers: h})
}

// ListOperations returns the pending operations (MAC token) with texts in
// lang (an Accept-Language value; "" for the server default).
func (c *Client) ListOperations(ctx context.Context, t *Token, lang string) ([]Operation, error) {
	raw, err := c.tokenPost(ctx, t, operationPrefix+"list", lang, struct{}{})
	if err != nil {
		return nil, err
	}
	var out []Operation
	return out, decodeResponseObject(raw, &out)
}

// OperationDetail returns one operation of the user (MAC token).
func (c *Client) OperationDetail(ctx context.Context, t *Token, id, lang string) (*Operation, error) {
	raw, err := c.tokenPost(ctx, t, operationPrefix+"detail", lang, map[string]string{"id": id})
	if err != nil {
		return nil, err
	}
	var out Operation
	return &out, decodeResponseObject(raw, &out)
}

// ClaimOperation claims an operation created without a user (MAC token).
func (c *Client) ClaimOperation(ctx context.Context, t *Token, id, lang string) (*Operation, error) {
	raw, err := c.tokenPost(ctx, t, operationPrefix+"detail/claim", lang, map[string]string{"id": id})
	if err != nil {
		return nil, err
	}
	var out Operation
	return &out, decodeResponseObject(raw, &out)
}

// signedJSON sends {"requestObject": reqObj} signed under uriID.
func (c *Client) signedJSON(ctx context.Context, d *Device, f Factors, path, uriID, lang string, reqObj any) ([]byte, error) {
	body, err := json.Marshal(map[string]any{"requestObject": reqObj})
	if err != nil {
		return nil, fmt.Errorf("client: encode request: %w", err)
	}
	hdr, err := c.SignatureHeader(d, f, http.MethodPost, uriID, body)
	if err != nil {
		return nil, err
	}
	h := map[string]string{protocol.HeaderAuthorization: hdr}
	if lang != "" {
		h[headerAcceptLanguage] = lang
	}
	return c.do(ctx, request{path: path, body: body, headers: h})
}

// OperationHistory returns the user's operations in every state (signed,
// possession_knowledge or possession_biometry).
func (c *Client) OperationHistory(ctx context.Context, d *Device, f Factors, lang string) ([]Operation, error) {
	raw, err := c.signedJSON(ctx, d, f, operationPrefix+"history", uriOperationHistory, lang, struct{}{})
	if err != nil {
		return nil, err
	}
	var out []Operation
	return out, decodeResponseObject(raw, &out)
}

// Approval is what the user confirms.
type Approval struct {
	// ID and Data are the operation and exactly the data shown to the user.
	ID   string
	Data string
	// ProximityOTP is the proximity-check OTP (from a QR code or deep link).
	ProximityOTP string
	// ProximityType is QR_CODE or DEEPLINK (default QR_CODE).
	ProximityType string
	// NumberMatching is the number the user picked.
	NumberMatching string
}

// AuthorizeOperation approves an operation with a signature of the
// factors over the request (the signature binds the operation data).
func (c *Client) AuthorizeOperation(ctx context.Context, d *Device, f Factors, a Approval) error {
	req := map[string]any{"id": a.ID, "data": a.Data}
	if a.ProximityOTP != "" {
		typ := a.ProximityType
		if typ == "" {
			typ = "QR_CODE"
		}
		now := c.now().UTC().Format("2006-01-02T15:04:05.000Z07:00")
		req["proximityCheck"] = map[string]string{"otp": a.ProximityOTP, "type": typ, "timestampReceived": now, "timestampSent": now}
	}
	if a.NumberMatching != "" {
		req["numberMatching"] = a.NumberMatching
	}
	raw, err := c.signedJSON(ctx, d, f, operationPrefix+"authorize", uriOperationAuthorize, "", req)
	if err != nil {
		return err
	}
	return decodeResponseObject(raw, nil)
}

// RejectOperation rejects an operation (signed, possession) with a reason
// (UNKNOWN, INCORRECT_DATA, UNEXPECTED_OPERATION or custom; "" = UNKNOWN).
func (c *Client) RejectOperation(ctx context.Context, d *Device, f Factors, id, reason string) error {
	if reason == "" {
		reason = defaultRejectReason
	}
	raw, err := c.signedJSON(ctx, d, f, operationPrefix+"cancel", uriOperationCancel, "", map[string]string{"id": id, "reason": reason})
	if err != nil {
		return err
	}
	return decodeResponseObject(raw, nil)
}

// SpawnedActivation is an activation code for another application of the
// same user (activation spawn).
type SpawnedActivation struct {
	ActivationID        string `json:"activationId"`
	ActivationCode      string `json:"activationCode"`
	ActivationSignature string `json:"activationSignature"`
}

// QR returns the "CODE#signature" string ActivateWithCode accepts.
func (s *SpawnedActivation) QR() string { return s.ActivationCode + "#" + s.ActivationSignature }

// RequestActivationCode asks for an activation code of applicationID for
// the device's user (signed with two factors, activation-scope
// encrypted). otp is the activation OTP the new device must present on
// its key exchange (ActivationOptions.OTP).
func (c *Client) RequestActivationCode(ctx context.Context, d *Device, f Factors, applicationID, otp string) (*SpawnedActivation, error) {
	plain, err := json.Marshal(map[string]any{"requestObject": map[string]string{"applicationId": applicationID, "otp": otp}})
	if err != nil {
		return nil, fmt.Errorf("client: encode request: %w", err)
	}
	pt, err := c.signedEncrypted(ctx, d, f, activationCodePath, uriActivationCode, protocol.SharedInfo1GenericActivation, plain)
	if err != nil {
		return nil, err
	}
	var out SpawnedActivation
	if err := json.Unmarshal(pt, &out); err != nil {
		return nil, fmt.Errorf("client: decode activation code: %w", err)
	}
	if out.ActivationID == "" || out.ActivationCode == "" {
		return nil, fmt.Errorf("client: server answered no activation code")
	}
	return &out, nil
}
