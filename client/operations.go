package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/mauth/mauth/protocol"
	"github.com/mauth/mauth/wire"
)

// Paths and resource ids of the Mobile Token API.
const (
	operationPrefix       = wire.OperationPrefix
	uriOperationHistory   = wire.ResourceOperationHistory
	uriOperationAuthorize = wire.ResourceOperationAuthorize
	uriOperationCancel    = wire.ResourceOperationCancel
	activationCodePath    = wire.SpawnPath
	uriActivationCode     = wire.ResourceSpawn
	headerAcceptLanguage  = "Accept-Language"
	defaultRejectReason   = "UNKNOWN"
)

// The Mobile Token API's objects, as the server renders them (one
// definition in package wire).
type (
	// Operation is an operation awaiting (or past) the user's decision.
	Operation = wire.Operation
	// AllowedSignatureType says which factors approve an operation.
	AllowedSignatureType = wire.AllowedSignatureType
	// FormData are the localised texts of an operation.
	FormData = wire.FormData
	// FormAttribute is one form field; which fields are set depends on Type.
	FormAttribute = wire.Attribute
	// ResultTexts are shown after the user's decision.
	ResultTexts = wire.ResultTexts
	// SpawnedActivation is an activation code for another application of
	// the same user (activation spawn); QR gives the string
	// ActivateWithCode accepts.
	SpawnedActivation = wire.SpawnedActivation
)

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
	if err := c.beforeSend(ctx, d); err != nil {
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
	// MobileTokenData is optional customer-specific data sent along (for
	// example for fraud detection); the server may ignore it.
	MobileTokenData map[string]any
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
		now := c.now().UTC().Format(wire.TimeLayout)
		req["proximityCheck"] = map[string]string{"otp": a.ProximityOTP, "type": typ, "timestampReceived": now, "timestampSent": now}
	}
	if a.NumberMatching != "" {
		req["numberMatching"] = a.NumberMatching
	}
	if a.MobileTokenData != nil {
		req["mobileTokenData"] = a.MobileTokenData
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

// RequestActivationCode asks for an activation code of applicationID for
// the device's user (signed with two factors, activation-scope
// encrypted). otp is the activation OTP the new device must present on
// its key exchange (ActivationOptions.OTP).
func (c *Client) RequestActivationCode(ctx context.Context, d *Device, f Factors, applicationID, otp string) (*SpawnedActivation, error) {
	plain, err := json.Marshal(map[string]any{"requestObject": wire.SpawnRequest{ApplicationID: applicationID, OTP: otp}})
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
