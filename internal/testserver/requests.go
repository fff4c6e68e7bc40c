package testserver

import (
	"strings"

	"github.com/mauth/mauth/protocol"
)

// FieldChecker records the failures of request fields; the HTTP surface
// passes its validator so that one answer lists every invalid field.
type FieldChecker interface {
	// Check records reason for field when ok is false.
	Check(ok bool, field, reason string)
	// NotBlank records a failure when value is empty or white space.
	NotBlank(field, value string)
}

// parseSignatureType reads a signatureType (any letter case, as the
// reference accepts "possession" and "POSSESSION").
func parseSignatureType(s string) (protocol.SignatureType, bool) {
	t, err := protocol.ParseSignatureType(strings.ToLower(s))
	return t, err == nil
}

func checkSignatureType(v FieldChecker, field, value string, required bool) {
	if value == "" {
		v.Check(!required, field, "must not be null")
		return
	}
	_, ok := parseSignatureType(value)
	v.Check(ok, field, "must be one of POSSESSION, KNOWLEDGE, BIOMETRY, POSSESSION_KNOWLEDGE, POSSESSION_BIOMETRY, POSSESSION_KNOWLEDGE_BIOMETRY")
}

// ConfigureApplicationRequest stores the credentials of an application:
// mobileSdkConfig, or applicationKey, applicationSecret and masterPublicKey.
type ConfigureApplicationRequest struct {
	ApplicationID     string `json:"applicationId"`
	ApplicationName   string `json:"applicationName"`
	ApplicationKey    string `json:"applicationKey,omitempty"`
	ApplicationSecret string `json:"applicationSecret,omitempty"`
	MasterPublicKey   string `json:"masterPublicKey,omitempty"`
	MobileSdkConfig   string `json:"mobileSdkConfig,omitempty"`
}

// CheckFields records the invalid fields.
func (r *ConfigureApplicationRequest) CheckFields(v FieldChecker) {
	v.NotBlank("applicationId", r.ApplicationID)
	v.NotBlank("applicationName", r.ApplicationName)
	if r.MobileSdkConfig == "" {
		v.NotBlank("applicationKey", r.ApplicationKey)
		v.NotBlank("applicationSecret", r.ApplicationSecret)
		v.NotBlank("masterPublicKey", r.MasterPublicKey)
	}
}

// CreateActivationRequest activates a new simulated device with an
// activation code (optionally with its OTP); password is the PIN that
// protects the knowledge factor.
type CreateActivationRequest struct {
	ApplicationID  string `json:"applicationId"`
	ActivationName string `json:"activationName,omitempty"`
	Password       string `json:"password,omitempty"`
	ActivationCode string `json:"activationCode"`
	ActivationOtp  string `json:"activationOtp,omitempty"`
}

// CheckFields records the invalid fields.
func (r *CreateActivationRequest) CheckFields(v FieldChecker) {
	v.NotBlank("applicationId", r.ApplicationID)
	v.NotBlank("activationCode", r.ActivationCode)
}

// CreateActivationResponse names the new activation.
type CreateActivationResponse struct {
	ActivationID string `json:"activationId"`
}

// ComputeOnlineSignatureRequest asks for an X-PowerAuth-Authorization
// value over a request the caller sends itself; requestBody is the Base64
// of the exact body bytes (for GET and DELETE: of the canonical query).
type ComputeOnlineSignatureRequest struct {
	ActivationID  string `json:"activationId"`
	ApplicationID string `json:"applicationId"`
	HTTPMethod    string `json:"httpMethod"`
	ResourceID    string `json:"resourceId"`
	SignatureType string `json:"signatureType"`
	RequestBody   string `json:"requestBody,omitempty"`
	Password      string `json:"password,omitempty"`
}

// CheckFields records the invalid fields.
func (r *ComputeOnlineSignatureRequest) CheckFields(v FieldChecker) {
	v.NotBlank("activationId", r.ActivationID)
	v.NotBlank("applicationId", r.ApplicationID)
	v.NotBlank("httpMethod", r.HTTPMethod)
	v.NotBlank("resourceId", r.ResourceID)
	checkSignatureType(v, "signatureType", r.SignatureType, true)
}

// ComputeOnlineSignatureResponse is the ready header value.
type ComputeOnlineSignatureResponse struct {
	AuthHeader string `json:"authHeader"`
}

// ComputeOfflineSignatureRequest signs an operation shown as an offline
// QR code.
type ComputeOfflineSignatureRequest struct {
	ActivationID string `json:"activationId"`
	QRCodeData   string `json:"qrCodeData"`
	Password     string `json:"password"`
}

// CheckFields records the invalid fields.
func (r *ComputeOfflineSignatureRequest) CheckFields(v FieldChecker) {
	v.NotBlank("activationId", r.ActivationID)
	v.NotBlank("qrCodeData", r.QRCodeData)
	v.NotBlank("password", r.Password)
}

// ComputeOfflineSignatureResponse is the code the user would retype.
type ComputeOfflineSignatureResponse struct {
	OTP string `json:"otp"`
}

// CreateTokenRequest creates a MAC token of the device.
type CreateTokenRequest struct {
	ActivationID  string `json:"activationId"`
	ApplicationID string `json:"applicationId"`
	Password      string `json:"password,omitempty"`
	SignatureType string `json:"signatureType,omitempty"`
}

// CheckFields records the invalid fields.
func (r *CreateTokenRequest) CheckFields(v FieldChecker) {
	v.NotBlank("activationId", r.ActivationID)
	v.NotBlank("applicationId", r.ApplicationID)
	checkSignatureType(v, "signatureType", r.SignatureType, false)
}

// CreateTokenResponse is the new token; tokenSecret is Base64.
type CreateTokenResponse struct {
	TokenID     string `json:"tokenId"`
	TokenSecret string `json:"tokenSecret"`
}

// TokenRequest names a token of a device (token/compute-digest and
// operations/pending).
type TokenRequest struct {
	ActivationID string `json:"activationId"`
	TokenID      string `json:"tokenId"`
	TokenSecret  string `json:"tokenSecret"`
}

// CheckFields records the invalid fields.
func (r *TokenRequest) CheckFields(v FieldChecker) {
	v.NotBlank("activationId", r.ActivationID)
	v.NotBlank("tokenId", r.TokenID)
	v.NotBlank("tokenSecret", r.TokenSecret)
}

// ComputeTokenDigestResponse is the ready X-PowerAuth-Token value.
type ComputeTokenDigestResponse struct {
	AuthHeader string `json:"authHeader"`
}

// ApproveOperationRequest approves an operation with a signature of the
// factors (default POSSESSION_KNOWLEDGE) over its data.
type ApproveOperationRequest struct {
	ActivationID    string         `json:"activationId"`
	ApplicationID   string         `json:"applicationId"`
	SignatureType   string         `json:"signatureType,omitempty"`
	Password        string         `json:"password,omitempty"`
	OperationID     string         `json:"operationId"`
	OperationData   string         `json:"operationData"`
	MobileTokenData map[string]any `json:"mobileTokenData,omitempty"`
}

// CheckFields records the invalid fields.
func (r *ApproveOperationRequest) CheckFields(v FieldChecker) {
	v.NotBlank("activationId", r.ActivationID)
	v.NotBlank("applicationId", r.ApplicationID)
	v.NotBlank("operationId", r.OperationID)
	v.NotBlank("operationData", r.OperationData)
	checkSignatureType(v, "signatureType", r.SignatureType, false)
}

// RejectOperationRequest rejects an operation (possession signature).
type RejectOperationRequest struct {
	ActivationID  string `json:"activationId"`
	ApplicationID string `json:"applicationId"`
	OperationID   string `json:"operationId"`
	Reason        string `json:"reason,omitempty"`
}

// CheckFields records the invalid fields.
func (r *RejectOperationRequest) CheckFields(v FieldChecker) {
	v.NotBlank("activationId", r.ActivationID)
	v.NotBlank("applicationId", r.ApplicationID)
	v.NotBlank("operationId", r.OperationID)
}
