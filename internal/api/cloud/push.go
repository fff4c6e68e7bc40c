package cloud

import (
	"net/http"

	cloudsvc "github.com/mauth/mauth/internal/cloud"
)

// pushSettingsResponse is an application's push settings without
// secrets; an absent platform is not configured.
type pushSettingsResponse struct {
	AppID string `json:"appId"`
	APNs  *struct {
		Bundle      string `json:"bundle"`
		KeyID       string `json:"keyId"`
		TeamID      string `json:"teamId"`
		Environment string `json:"environment,omitempty"`
	} `json:"apns,omitempty"`
	FCM *projectResponse `json:"fcm,omitempty"`
	HMS *projectResponse `json:"hms,omitempty"`
}

type projectResponse struct {
	ProjectID string `json:"projectId,omitempty"`
}

func pushSettingsOf(appID string, s cloudsvc.PushSettings) pushSettingsResponse {
	out := pushSettingsResponse{AppID: appID}
	if a := s.APNs; a != nil {
		out.APNs = &struct {
			Bundle      string `json:"bundle"`
			KeyID       string `json:"keyId"`
			TeamID      string `json:"teamId"`
			Environment string `json:"environment,omitempty"`
		}{a.Bundle, a.KeyID, a.TeamID, a.Environment}
	}
	if s.FCM != nil {
		out.FCM = &projectResponse{ProjectID: s.FCM.ProjectID}
	}
	if s.HMS != nil {
		out.HMS = &projectResponse{ProjectID: s.HMS.ProjectID}
	}
	return out
}

func (s *Server) setPushCredentials(r *http.Request, p cloudsvc.Principal) (any, error) {
	var req struct {
		APNs *struct {
			Bundle           string `json:"bundle"`
			KeyID            string `json:"keyId"`
			TeamID           string `json:"teamId"`
			Environment      string `json:"environment"`
			PrivateKeyBase64 string `json:"privateKeyBase64"`
		} `json:"apns"`
		FCM *struct {
			ProjectID        string `json:"projectId"`
			PrivateKeyBase64 string `json:"privateKeyBase64"`
		} `json:"fcm"`
		HMS *struct {
			ProjectID    string `json:"projectId"`
			ClientID     string `json:"clientId"`
			ClientSecret string `json:"clientSecret"`
		} `json:"hms"`
	}
	if err := decode(r, &req, false); err != nil {
		return nil, err
	}
	var in cloudsvc.PushCredentialsRequest
	if a := req.APNs; a != nil {
		in.APNs = &cloudsvc.APNsRequest{Bundle: a.Bundle, KeyID: a.KeyID, TeamID: a.TeamID, Environment: a.Environment, PrivateKeyBase64: a.PrivateKeyBase64}
	}
	if f := req.FCM; f != nil {
		in.FCM = &cloudsvc.FCMRequest{ProjectID: f.ProjectID, PrivateKeyBase64: f.PrivateKeyBase64}
	}
	if h := req.HMS; h != nil {
		in.HMS = &cloudsvc.HMSRequest{ProjectID: h.ProjectID, ClientID: h.ClientID, ClientSecret: h.ClientSecret}
	}
	appID := r.PathValue("appId")
	set, err := s.c.SetPushCredentials(r.Context(), p, appID, in)
	if err != nil {
		return nil, err
	}
	return pushSettingsOf(appID, set), nil
}

func (s *Server) getPushSettings(r *http.Request, p cloudsvc.Principal) (any, error) {
	appID := r.PathValue("appId")
	set, err := s.c.GetPushSettings(r.Context(), p, appID)
	if err != nil {
		return nil, err
	}
	return pushSettingsOf(appID, set), nil
}

func (s *Server) removePushCredentials(r *http.Request, p cloudsvc.Principal) (any, error) {
	return nil, s.c.RemovePushCredentials(r.Context(), p, r.PathValue("appId"), r.PathValue("platform"))
}

func (s *Server) sendMessage(r *http.Request, p cloudsvc.Principal) (any, error) {
	var req struct {
		UserID         string         `json:"userId"`
		RegistrationID string         `json:"registrationId"`
		Silent         bool           `json:"silent"`
		Title          string         `json:"title"`
		Message        string         `json:"message"`
		Sound          string         `json:"sound"`
		Extras         map[string]any `json:"extras"`
		AppID          string         `json:"appId"`
	}
	if err := decode(r, &req, false); err != nil {
		return nil, err
	}
	if err := required("userId", req.UserID); err != nil {
		return nil, err
	}
	return nil, s.c.SendMessage(r.Context(), p, cloudsvc.SendMessageRequest{UserID: req.UserID, RegistrationID: req.RegistrationID,
		Silent: req.Silent, Title: req.Title, Message: req.Message, Sound: req.Sound, Extras: req.Extras, AppID: req.AppID})
}
