package cloud

import (
	"net/http"

	cloudsvc "github.com/mauth/mauth/internal/cloud"
)

func (s *Server) createRegistration(r *http.Request, p cloudsvc.Principal) (any, error) {
	var req struct {
		UserID                      string   `json:"userId"`
		AppID                       string   `json:"appId"`
		OTP                         string   `json:"otp"`
		OTPValidation               string   `json:"otpValidation"`
		CommitPhase                 string   `json:"commitPhase"`
		Flags                       []string `json:"flags"`
		TimestampRegistrationExpire int64    `json:"timestampRegistrationExpire"`
	}
	if err := decode(r, &req, false); err != nil {
		return nil, err
	}
	if err := required("userId", req.UserID); err != nil {
		return nil, err
	}
	check, err := queryBool(r, "incompleteStatusCheck")
	if err != nil {
		return nil, err
	}
	created, err := s.c.CreateRegistration(r.Context(), p, cloudsvc.CreateRegistrationRequest{UserID: req.UserID, AppID: req.AppID,
		OTP: req.OTP, OTPValidation: req.OTPValidation, CommitPhase: req.CommitPhase, Flags: req.Flags,
		Expires: cloudsvc.Timestamp(req.TimestampRegistrationExpire), IncompleteStatusCheck: check})
	if err != nil {
		return nil, err
	}
	return map[string]string{"registrationId": created.RegistrationID, "activationCode": created.ActivationCode,
		"activationCodeSignature": created.ActivationCodeSignature, "activationQrCodeData": created.ActivationQRCodeData}, nil
}

// registrationResponse is a registration's detail.
type registrationResponse struct {
	RegistrationID          string   `json:"registrationId"`
	RegistrationStatus      string   `json:"registrationStatus"`
	BlockedReason           string   `json:"blockedReason,omitempty"`
	ApplicationID           string   `json:"applicationId"`
	Name                    string   `json:"name,omitempty"`
	Platform                string   `json:"platform,omitempty"`
	DeviceInfo              string   `json:"deviceInfo,omitempty"`
	Flags                   []string `json:"flags"`
	TimestampCreated        int64    `json:"timestampCreated"`
	TimestampLastUsed       int64    `json:"timestampLastUsed"`
	UserID                  string   `json:"userId"`
	ActivationCode          string   `json:"activationCode,omitempty"`
	ActivationCodeSignature string   `json:"activationCodeSignature,omitempty"`
	ActivationQRCodeData    string   `json:"activationQrCodeData,omitempty"`
	ActivationFingerprint   string   `json:"activationFingerprint,omitempty"`
}

func registrationOf(reg cloudsvc.Registration) registrationResponse {
	out := registrationResponse{RegistrationID: reg.ActivationID, RegistrationStatus: reg.Status.String(), BlockedReason: reg.BlockedReason,
		ApplicationID: reg.Application, Name: reg.Name, Platform: reg.Platform, DeviceInfo: reg.DeviceInfo, Flags: reg.Flags,
		TimestampCreated: millis(reg.Created), TimestampLastUsed: millis(reg.LastUsed), UserID: reg.UserID,
		ActivationFingerprint: reg.Fingerprint}
	if out.Flags == nil {
		out.Flags = []string{}
	}
	// The code is shown while the registration waits for its device.
	if reg.Status.String() == "CREATED" {
		out.ActivationCode = reg.ActivationCode
		if len(reg.ActivationSignature) > 0 {
			out.ActivationCodeSignature = b64(reg.ActivationSignature)
			out.ActivationQRCodeData = reg.ActivationCode + "#" + out.ActivationCodeSignature
		} else {
			out.ActivationQRCodeData = reg.ActivationCode
		}
	}
	return out
}

func (s *Server) getRegistration(r *http.Request, p cloudsvc.Principal) (any, error) {
	reg, err := s.c.GetRegistration(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	return registrationOf(reg), nil
}

func (s *Server) listRegistrations(r *http.Request, p cloudsvc.Principal) (any, error) {
	q := r.URL.Query()
	regs, err := s.c.ListRegistrations(r.Context(), p, q.Get("userId"), q.Get("appId"))
	if err != nil {
		return nil, err
	}
	out := make([]registrationResponse, len(regs))
	for i, reg := range regs {
		out[i] = registrationOf(reg)
	}
	return map[string]any{"registrations": out}, nil
}

func (s *Server) commitRegistration(r *http.Request, p cloudsvc.Principal) (any, error) {
	var req struct {
		ExternalUserID string `json:"externalUserId"`
		OTP            string `json:"otp"`
	}
	if err := decode(r, &req, true); err != nil {
		return nil, err
	}
	return nil, s.c.CommitRegistration(r.Context(), p, r.PathValue("id"), req.ExternalUserID, req.OTP)
}

func (s *Server) changeRegistration(r *http.Request, p cloudsvc.Principal) (any, error) {
	var req struct {
		Change         string `json:"change"`
		BlockReason    string `json:"blockReason"`
		ExternalUserID string `json:"externalUserId"`
	}
	if err := decode(r, &req, false); err != nil {
		return nil, err
	}
	if err := required("change", req.Change); err != nil {
		return nil, err
	}
	return nil, s.c.ChangeRegistration(r.Context(), p, r.PathValue("id"), req.Change, req.BlockReason, req.ExternalUserID)
}

func (s *Server) deleteRegistration(r *http.Request, p cloudsvc.Principal) (any, error) {
	return nil, s.c.DeleteRegistration(r.Context(), p, r.PathValue("id"), r.URL.Query().Get("externalUserId"))
}
