// Package restv3 holds the wire types of the private REST API (/rest/v3)
// that both sides use: the server (internal/api/private) decodes the
// requests and renders the answers, the client (internal/coreclient)
// encodes the requests and decodes the answers, so the two cannot drift.
// Field names and null-ness follow the PowerAuth Server's models; the
// omitempty of a request field only says what the client may leave out
// (the server decodes an absent field as the zero value). Request types
// the server validates are embedded into the server's own types, which
// carry the validation.
//
// It uses the core's enumerations (domain), so it stays internal: the Go
// device client (client/) does not speak /rest/v3; the device-facing wire
// types are in the public package wire.
package restv3

import (
	"time"

	"github.com/mauth/mauth/internal/domain"
)

// EciesRequest holds the ECIES request fields ("ECIES-in") that
// encrypted methods carry next to their own fields; nonce, timestamp and
// the temporary key are set from protocol 3.2 and 3.3.
type EciesRequest struct {
	EphemeralPublicKey string `json:"ephemeralPublicKey"`
	EncryptedData      string `json:"encryptedData"`
	Mac                string `json:"mac"`
	Nonce              string `json:"nonce,omitempty"`
	Timestamp          *int64 `json:"timestamp,omitempty"`
	ProtocolVersion    string `json:"protocolVersion,omitempty"`
	TemporaryKeyID     string `json:"temporaryKeyId,omitempty"`
}

// EciesResponse is the encrypted part of a response ("ECIES-out");
// nonce and timestamp are set from protocol 3.2.
type EciesResponse struct {
	EncryptedData *string `json:"encryptedData"`
	Mac           *string `json:"mac"`
	Nonce         *string `json:"nonce"`
	Timestamp     *int64  `json:"timestamp"`
}

// KeyExchangeResponse is the answer of activation/prepare, activation/create
// and activation/recovery/create: the activation plus the encrypted layer-2 response.
type KeyExchangeResponse struct {
	ActivationID     string                  `json:"activationId"`
	UserID           string                  `json:"userId"`
	ApplicationID    string                  `json:"applicationId"`
	EncryptedData    string                  `json:"encryptedData"`
	Mac              string                  `json:"mac"`
	Nonce            *string                 `json:"nonce"`
	Timestamp        *int64                  `json:"timestamp"`
	ActivationStatus domain.ActivationStatus `json:"activationStatus"`
}

// ActivationInitResponse is the answer of activation/init.
type ActivationInitResponse struct {
	ActivationID   string `json:"activationId"`
	ActivationCode string `json:"activationCode"`
	// ActivationSignature is the Base64 master-key signature of the code.
	ActivationSignature string `json:"activationSignature"`
	UserID              string `json:"userId"`
	ApplicationID       string `json:"applicationId"`
}

// ActivationStatus is the answer of activation/status: the activation's
// detail with the encrypted status blob for the device.
type ActivationStatus struct {
	ActivationID               string                  `json:"activationId"`
	ActivationStatus           domain.ActivationStatus `json:"activationStatus"`
	ActivationOtpValidation    domain.OtpValidation    `json:"activationOtpValidation"`
	CommitPhase                domain.CommitPhase      `json:"commitPhase"`
	BlockedReason              *string                 `json:"blockedReason"`
	ActivationName             *string                 `json:"activationName"`
	UserID                     string                  `json:"userId"`
	Extras                     *string                 `json:"extras"`
	Protocol                   *string                 `json:"protocol"`
	ExternalID                 *string                 `json:"externalId"`
	Platform                   *string                 `json:"platform"`
	DeviceInfo                 *string                 `json:"deviceInfo"`
	ApplicationID              *string                 `json:"applicationId"`
	ApplicationRoles           []string                `json:"applicationRoles"`
	FailedAttempts             int64                   `json:"failedAttempts"`
	MaxFailedAttempts          int64                   `json:"maxFailedAttempts"`
	TimestampCreated           time.Time               `json:"timestampCreated"`
	TimestampLastUsed          *time.Time              `json:"timestampLastUsed"`
	TimestampLastChange        *time.Time              `json:"timestampLastChange"`
	EncryptedStatusBlob        string                  `json:"encryptedStatusBlob"`
	EncryptedStatusBlobNonce   *string                 `json:"encryptedStatusBlobNonce"`
	ActivationCode             *string                 `json:"activationCode"`
	ActivationSignature        *string                 `json:"activationSignature"`
	DevicePublicKeyFingerprint *string                 `json:"devicePublicKeyFingerprint"`
	Version                    int64                   `json:"version"`
	ActivationFlags            []string                `json:"activationFlags"`
	// UserAgent and Device are mauth extensions: the User-Agent of the
	// key exchange and what was parsed from it.
	UserAgent *string        `json:"userAgent,omitempty"`
	Device    *DeviceDetails `json:"device,omitempty"`
}

// ApplicationVersion is one version in application/detail.
type ApplicationVersion struct {
	ApplicationVersionID string `json:"applicationVersionId"`
	ApplicationKey       string `json:"applicationKey"`
	ApplicationSecret    string `json:"applicationSecret"`
	// MobileSdkConfig is the single configuration string of the mobile SDKs.
	MobileSdkConfig string `json:"mobileSdkConfig"`
	Supported       bool   `json:"supported"`
}

// Integration is an integration with its private API credentials, as
// integration/create answers: the only time the secret is shown.
type Integration struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	ClientToken  string `json:"clientToken"`
	ClientSecret string `json:"clientSecret"`
	// Role is ADMIN or APPLICATION (mauth extension).
	Role string `json:"role"`
	// ApplicationIDs are the applications an APPLICATION integration is
	// granted (mauth extension).
	ApplicationIDs []string `json:"applicationIds"`
}

// IntegrationListItem is one integration of integration/list (and the
// answer of the grant methods). The field set is the reference's, but
// clientSecret is always null: the server keeps only a hash of it.
type IntegrationListItem struct {
	ID           string  `json:"id"`
	Name         string  `json:"name"`
	ClientToken  string  `json:"clientToken"`
	ClientSecret *string `json:"clientSecret"`
	// Role and ApplicationIDs as in Integration.
	Role           string   `json:"role"`
	ApplicationIDs []string `json:"applicationIds"`
}
