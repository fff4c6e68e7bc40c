package restv3

import "github.com/mauth/mauth/internal/domain"

// SignatureVerifyRequest is the request of signature/verify.
type SignatureVerifyRequest struct {
	ActivationID     string `json:"activationId"`
	ApplicationKey   string `json:"applicationKey"`
	Data             string `json:"data"`
	Signature        string `json:"signature"`
	SignatureType    string `json:"signatureType"`
	SignatureVersion string `json:"signatureVersion"`
	// ForcedSignatureVersion 3 verifies as version 3 during an upgrade.
	ForcedSignatureVersion *int64 `json:"forcedSignatureVersion,omitempty"`
}

// SignatureVerifyResponse is the answer of signature/verify and
// signature/offline/verify.
type SignatureVerifyResponse struct {
	SignatureValid    bool                    `json:"signatureValid"`
	ActivationStatus  domain.ActivationStatus `json:"activationStatus"`
	BlockedReason     *string                 `json:"blockedReason"`
	ActivationID      string                  `json:"activationId"`
	UserID            *string                 `json:"userId"`
	ApplicationID     *string                 `json:"applicationId"`
	SignatureType     *string                 `json:"signatureType"`
	RemainingAttempts *int64                  `json:"remainingAttempts"`
	ApplicationRoles  []string                `json:"applicationRoles"`
	ActivationFlags   []string                `json:"activationFlags"`
}

// TokenCreateRequest is the request of token/create.
type TokenCreateRequest struct {
	ActivationID   string `json:"activationId"`
	ApplicationKey string `json:"applicationKey"`
	SignatureType  string `json:"signatureType"`
	EciesRequest
}

// TokenValidateRequest is the request of token/validate.
type TokenValidateRequest struct {
	TokenID         string `json:"tokenId"`
	TokenDigest     string `json:"tokenDigest"`
	Nonce           string `json:"nonce"`
	Timestamp       *int64 `json:"timestamp"`
	ProtocolVersion string `json:"protocolVersion"`
}

// TokenValidateResponse is the answer of token/validate.
type TokenValidateResponse struct {
	TokenValid       bool     `json:"tokenValid"`
	ActivationStatus *string  `json:"activationStatus"`
	BlockedReason    *string  `json:"blockedReason"`
	ActivationID     *string  `json:"activationId"`
	ApplicationID    *string  `json:"applicationId"`
	ApplicationRoles []string `json:"applicationRoles"`
	ActivationFlags  []string `json:"activationFlags"`
	UserID           *string  `json:"userId"`
	SignatureType    *string  `json:"signatureType"`
}

// TokenRemoveRequest is the request of token/remove.
type TokenRemoveRequest struct {
	TokenID      string `json:"tokenId"`
	ActivationID string `json:"activationId"`
}
