package restv3

import (
	"time"

	"github.com/mauth/mauth/internal/domain"
)

// ActivationCommitRequest is the request of activation/commit.
type ActivationCommitRequest struct {
	ActivationID   string `json:"activationId"`
	ExternalUserID string `json:"externalUserId,omitempty"`
	ActivationOtp  string `json:"activationOtp,omitempty"`
}

// ActivationCommitResponse is the answer of activation/commit.
type ActivationCommitResponse struct {
	ActivationID string `json:"activationId"`
	Activated    bool   `json:"activated"`
}

// ActivationStatusRequest is the request of activation/status; the
// challenge (Base64) asks for the encrypted status blob of protocol 3.1+.
type ActivationStatusRequest struct {
	ActivationID string  `json:"activationId"`
	Challenge    *string `json:"challenge,omitempty"`
}

// ActivationRemoveRequest is the request of activation/remove.
type ActivationRemoveRequest struct {
	ActivationID        string `json:"activationId"`
	ExternalUserID      string `json:"externalUserId,omitempty"`
	RevokeRecoveryCodes bool   `json:"revokeRecoveryCodes"`
}

// ActivationRemoveResponse is the answer of activation/remove.
type ActivationRemoveResponse struct {
	ActivationID string `json:"activationId"`
	Removed      bool   `json:"removed"`
}

// ActivationBlockRequest is the request of activation/block.
type ActivationBlockRequest struct {
	ActivationID   string `json:"activationId"`
	Reason         string `json:"reason,omitempty"`
	ExternalUserID string `json:"externalUserId,omitempty"`
}

// ActivationBlockResponse is the answer of activation/block
// (activation/unblock answers the same without blockedReason).
type ActivationBlockResponse struct {
	ActivationID     string                  `json:"activationId"`
	ActivationStatus domain.ActivationStatus `json:"activationStatus"`
	BlockedReason    *string                 `json:"blockedReason"`
}

// ActivationUnblockRequest is the request of activation/unblock.
type ActivationUnblockRequest struct {
	ActivationID   string `json:"activationId"`
	ExternalUserID string `json:"externalUserId,omitempty"`
}

// ActivationListRequest is the request of activation/list.
type ActivationListRequest struct {
	UserID             string   `json:"userId"`
	ApplicationID      string   `json:"applicationId,omitempty"`
	ActivationStatuses []string `json:"activationStatuses,omitempty"`
	Protocols          []string `json:"protocols,omitempty"`
	PageNumber         *int     `json:"pageNumber,omitempty"`
	PageSize           *int     `json:"pageSize,omitempty"`
	// Platforms, OsMajorVersion and OsVersionPrefix filter by the device
	// attributes parsed at the key exchange (mauth extensions).
	Platforms       []string `json:"platforms,omitempty"`
	OsMajorVersion  *int     `json:"osMajorVersion,omitempty"`
	OsVersionPrefix string   `json:"osVersionPrefix,omitempty"`
}

// ActivationItem is one activation in the answers of activation/list and
// activation/lookup.
type ActivationItem struct {
	ActivationID          string                  `json:"activationId"`
	ActivationStatus      domain.ActivationStatus `json:"activationStatus"`
	BlockedReason         *string                 `json:"blockedReason"`
	ExternalID            *string                 `json:"externalId"`
	ActivationName        *string                 `json:"activationName"`
	Extras                *string                 `json:"extras"`
	Protocol              string                  `json:"protocol"`
	Platform              *string                 `json:"platform"`
	DeviceInfo            *string                 `json:"deviceInfo"`
	ActivationFlags       []string                `json:"activationFlags"`
	TimestampCreated      time.Time               `json:"timestampCreated"`
	TimestampLastUsed     *time.Time              `json:"timestampLastUsed"`
	TimestampLastChange   *time.Time              `json:"timestampLastChange"`
	UserID                string                  `json:"userId"`
	ApplicationID         string                  `json:"applicationId"`
	Version               int64                   `json:"version"`
	FailedAttempts        int64                   `json:"failedAttempts"`
	MaxFailedAttempts     int64                   `json:"maxFailedAttempts"`
	DevicePublicKeyBase64 *string                 `json:"devicePublicKeyBase64"`
	// UserAgent and Device are mauth extensions: the User-Agent of the
	// key exchange and what was parsed from it.
	UserAgent *string        `json:"userAgent,omitempty"`
	Device    *DeviceDetails `json:"device,omitempty"`
}

// DeviceDetails are the device attributes parsed at the key exchange (a
// mauth extension); unknown ones are left out.
type DeviceDetails struct {
	Manufacturer   string `json:"manufacturer,omitempty"`
	Model          string `json:"model,omitempty"`
	OS             string `json:"os,omitempty"`
	OSVersion      string `json:"osVersion,omitempty"`
	OSMajorVersion int    `json:"osMajorVersion,omitempty"`
	AppID          string `json:"appId,omitempty"`
	AppVersion     string `json:"appVersion,omitempty"`
	SDKName        string `json:"sdkName,omitempty"`
	SDKVersion     string `json:"sdkVersion,omitempty"`
}

// DeviceDetailsOf returns the wire form of d; nil when nothing is known.
func DeviceDetailsOf(d domain.DeviceDetails) *DeviceDetails {
	if d == (domain.DeviceDetails{}) {
		return nil
	}
	return &DeviceDetails{
		Manufacturer: d.Manufacturer, Model: d.Model, OS: d.OS, OSVersion: d.OSVersion, OSMajorVersion: d.OSMajor,
		AppID: d.AppID, AppVersion: d.AppVersion, SDKName: d.SDKName, SDKVersion: d.SDKVersion,
	}
}

// ActivationList is the answer of activation/list.
type ActivationList struct {
	UserID      string           `json:"userId"`
	Activations []ActivationItem `json:"activations"`
}

// ActivationNameUpdateRequest is the request of activation/name/update.
type ActivationNameUpdateRequest struct {
	ActivationID   string `json:"activationId"`
	ActivationName string `json:"activationName"`
	ExternalUserID string `json:"externalUserId,omitempty"`
}

// ActivationNameUpdateResponse is the answer of activation/name/update.
type ActivationNameUpdateResponse struct {
	ActivationID     string                  `json:"activationId"`
	ActivationName   string                  `json:"activationName"`
	ActivationStatus domain.ActivationStatus `json:"activationStatus"`
}
