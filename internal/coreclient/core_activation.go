package coreclient

import (
	"context"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/restv3"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/protocol"
)

type keyExchangeAnswer = restv3.KeyExchangeResponse

// result converts the answer. The core reports only the activation's ID,
// user, application and status; the other ActivationDetail fields stay
// empty.
func keyExchangeResult(a keyExchangeAnswer, method string) (service.KeyExchangeResult, error) {
	if a.ActivationID == "" || a.EncryptedData == "" || a.Mac == "" {
		return service.KeyExchangeResult{}, fmt.Errorf("coreclient: %s: incomplete answer from the core", method)
	}
	res := service.KeyExchangeResult{
		Activation: service.ActivationDetail{
			Activation: domain.Activation{
				ActivationID: a.ActivationID,
				UserID:       a.UserID,
				Status:       a.ActivationStatus,
			},
			ApplicationName: a.ApplicationID,
		},
		Response: &service.EciesResponse{EncryptedData: a.EncryptedData, Mac: a.Mac, Timestamp: a.Timestamp},
	}
	if a.Nonce != nil {
		res.Response.Nonce = *a.Nonce
	}
	return res, nil
}

// PrepareActivation is the key exchange of a code-based activation (activation/prepare).
func (c *Client) PrepareActivation(ctx context.Context, in service.PrepareActivationInput) (service.KeyExchangeResult, error) {
	req := struct {
		ActivationCode        string `json:"activationCode"`
		ApplicationKey        string `json:"applicationKey"`
		GenerateRecoveryCodes bool   `json:"generateRecoveryCodes"`
		eciesIn
	}{in.ActivationCode, in.ApplicationKey, in.GenerateRecoveryCodes, eciesInOf(in.Request)}
	var out keyExchangeAnswer
	if err := c.call(ctx, "activation/prepare", req, &out); err != nil {
		return service.KeyExchangeResult{}, err
	}
	return keyExchangeResult(out, "activation/prepare")
}

// CreateActivation creates and key-exchanges an activation for a known
// user (activation/create).
func (c *Client) CreateActivation(ctx context.Context, in service.CreateActivationInput) (service.KeyExchangeResult, error) {
	req := struct {
		UserID                    string  `json:"userId"`
		TimestampActivationExpire *string `json:"timestampActivationExpire,omitempty"`
		MaxFailureCount           *int64  `json:"maxFailureCount,omitempty"`
		ApplicationKey            string  `json:"applicationKey"`
		ActivationOtp             string  `json:"activationOtp,omitempty"`
		GenerateRecoveryCodes     bool    `json:"generateRecoveryCodes"`
		eciesIn
	}{
		UserID:                    in.UserID,
		TimestampActivationExpire: timeField(in.ActivationExpire),
		MaxFailureCount:           nonZero(in.MaxFailureCount),
		ApplicationKey:            in.ApplicationKey,
		ActivationOtp:             in.ActivationOTP,
		GenerateRecoveryCodes:     in.GenerateRecoveryCodes,
		eciesIn:                   eciesInOf(in.Request),
	}
	var out keyExchangeAnswer
	if err := c.call(ctx, "activation/create", req, &out); err != nil {
		return service.KeyExchangeResult{}, err
	}
	return keyExchangeResult(out, "activation/create")
}

// CreateActivationWithRecoveryCode activates with a recovery code and PUK
// (activation/recovery/create).
func (c *Client) CreateActivationWithRecoveryCode(ctx context.Context, in service.RecoveryActivationInput) (service.KeyExchangeResult, error) {
	req := struct {
		RecoveryCode          string `json:"recoveryCode"`
		Puk                   string `json:"puk"`
		ApplicationKey        string `json:"applicationKey"`
		MaxFailureCount       *int64 `json:"maxFailureCount,omitempty"`
		ActivationOtp         string `json:"activationOtp,omitempty"`
		GenerateRecoveryCodes bool   `json:"generateRecoveryCodes"`
		eciesIn
	}{
		RecoveryCode:          in.RecoveryCode,
		Puk:                   in.PUK,
		ApplicationKey:        in.ApplicationKey,
		MaxFailureCount:       nonZero(in.MaxFailureCount),
		ActivationOtp:         in.ActivationOTP,
		GenerateRecoveryCodes: in.GenerateRecoveryCodes,
		eciesIn:               eciesInOf(in.Request),
	}
	var out keyExchangeAnswer
	if err := c.call(ctx, "activation/recovery/create", req, &out); err != nil {
		return service.KeyExchangeResult{}, err
	}
	return keyExchangeResult(out, "activation/recovery/create")
}

// CommitActivation commits a PENDING_COMMIT activation (activation/commit).
// The returned activation carries its ID and the ACTIVE status.
func (c *Client) CommitActivation(ctx context.Context, activationID, externalUserID, otp string) (domain.Activation, error) {
	req := restv3.ActivationCommitRequest{ActivationID: activationID, ExternalUserID: externalUserID, ActivationOtp: otp}
	var out restv3.ActivationCommitResponse
	if err := c.call(ctx, "activation/commit", req, &out); err != nil {
		return domain.Activation{}, err
	}
	if !out.Activated {
		return domain.Activation{}, fmt.Errorf("coreclient: activation/commit: the core did not activate %s", activationID)
	}
	return domain.Activation{ActivationID: out.ActivationID, Status: domain.ActivationActive}, nil
}

// GetActivationStatus returns the status with the encrypted status blob
// (activation/status). An unknown activation is not an error: Found is
// false, as in the service.
func (c *Client) GetActivationStatus(ctx context.Context, activationID string, challenge []byte) (service.ActivationStatusResult, error) {
	st, err := c.activationStatus(ctx, activationID, challenge)
	if service.CodeOf(err) == service.CodeAccessDenied {
		// The enrollment server's integration is limited to some
		// applications and the core refuses to say anything about this
		// id: answer as the core does for an unknown activation (random
		// blob), so that devices cannot tell the two apart either.
		out := service.ActivationStatusResult{EncryptedStatusBlob: protocol.RandomBytes(protocol.StatusBlobSize)}
		if challenge != nil {
			out.EncryptedStatusBlobNonce = protocol.RandomBytes(protocol.StatusNonceSize)
		}
		return out, nil
	}
	if err != nil {
		return service.ActivationStatusResult{}, err
	}
	return statusResult(&st)
}

// RemoveActivation removes an activation (activation/remove). The returned
// activation carries its ID and the REMOVED status.
func (c *Client) RemoveActivation(ctx context.Context, activationID, externalUserID string, revokeRecoveryCodes bool) (domain.Activation, error) {
	req := restv3.ActivationRemoveRequest{ActivationID: activationID, ExternalUserID: externalUserID, RevokeRecoveryCodes: revokeRecoveryCodes}
	var out restv3.ActivationRemoveResponse
	if err := c.call(ctx, "activation/remove", req, &out); err != nil {
		return domain.Activation{}, err
	}
	if !out.Removed {
		return domain.Activation{}, fmt.Errorf("coreclient: activation/remove: the core did not remove %s", activationID)
	}
	return domain.Activation{ActivationID: out.ActivationID, Status: domain.ActivationRemoved}, nil
}

// UpdateActivationName renames an activation (activation/name/update).
// The returned activation carries its ID, new name and status.
func (c *Client) UpdateActivationName(ctx context.Context, activationID, name, externalUserID string) (domain.Activation, error) {
	req := restv3.ActivationNameUpdateRequest{ActivationID: activationID, ActivationName: name, ExternalUserID: externalUserID}
	var out restv3.ActivationNameUpdateResponse
	if err := c.call(ctx, "activation/name/update", req, &out); err != nil {
		return domain.Activation{}, err
	}
	return domain.Activation{ActivationID: out.ActivationID, Name: out.ActivationName, Status: out.ActivationStatus}, nil
}

// result converts a status answer to the service's result.
func statusResult(st *ActivationStatus) (service.ActivationStatusResult, error) {
	const m = "activation/status"
	blob, err := decodeB64(m, "encryptedStatusBlob", &st.EncryptedStatusBlob)
	if err != nil {
		return service.ActivationStatusResult{}, err
	}
	nonce, err := decodeB64(m, "encryptedStatusBlobNonce", st.EncryptedStatusBlobNonce)
	if err != nil {
		return service.ActivationStatusResult{}, err
	}
	res := service.ActivationStatusResult{EncryptedStatusBlob: blob, EncryptedStatusBlobNonce: nonce}
	// The core reports an unknown activation as REMOVED without an application.
	if st.ApplicationID == nil {
		return res, nil
	}
	if res.ActivationSignature, err = decodeB64(m, "activationSignature", st.ActivationSignature); err != nil {
		return service.ActivationStatusResult{}, err
	}
	res.Found = true
	res.ApplicationRoles = nilIfEmpty(st.ApplicationRoles)
	res.DevicePublicKeyFingerprint = strOf(st.DevicePublicKeyFingerprint)
	res.Activation = service.ActivationDetail{
		Activation: domain.Activation{
			ActivationID:        st.ActivationID,
			UserID:              st.UserID,
			Name:                strOf(st.ActivationName),
			ActivationCode:      strOf(st.ActivationCode),
			ActivationSignature: res.ActivationSignature,
			Status:              st.ActivationStatus,
			OtpValidation:       st.ActivationOtpValidation,
			CommitPhase:         st.CommitPhase,
			BlockedReason:       strOf(st.BlockedReason),
			Extras:              strOf(st.Extras),
			Platform:            strOf(st.Platform),
			DeviceInfo:          strOf(st.DeviceInfo),
			Flags:               nilIfEmpty(st.ActivationFlags),
			ExternalID:          strOf(st.ExternalID),
			Protocol:            domain.ActivationProtocol(strOf(st.Protocol)),
			FailedAttempts:      st.FailedAttempts,
			MaxFailedAttempts:   st.MaxFailedAttempts,
			Created:             st.TimestampCreated,
			LastUsed:            timeOf(st.TimestampLastUsed),
			LastChange:          timeOf(st.TimestampLastChange),
			Version:             int(st.Version),
		},
		ApplicationName: *st.ApplicationID,
	}
	return res, nil
}

// timeField renders an optional time for the core (nil for the zero time).
func timeField(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339Nano)
	return &s
}

// timeOf dereferences an optional time.
func timeOf(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// nonZero maps 0 ("use the default") to an absent field.
func nonZero(n int64) *int64 {
	if n == 0 {
		return nil
	}
	return &n
}

// b64 encodes bytes for a request field.
func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
