package cloud

import (
	"net/http"
	"time"

	cloudsvc "github.com/mauth/mauth/internal/cloud"
	"github.com/mauth/mauth/internal/domain"
)

// millis is a time as epoch milliseconds (0 for the zero time), the
// Cloud API's timestamp format.
func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// applicationResponse is an application with what a mobile app needs.
type applicationResponse struct {
	ID                    string   `json:"id"`
	ServiceBaseURL        string   `json:"serviceBaseUrl"`
	MobileSDKConfig       string   `json:"mobileSdkConfig"`
	Roles                 []string `json:"roles"`
	AppKey                string   `json:"appKey"`
	AppSecret             string   `json:"appSecret"`
	MasterServerPublicKey string   `json:"masterServerPublicKey"`
}

func (s *Server) application(a cloudsvc.Application) applicationResponse {
	roles := a.Roles
	if roles == nil {
		roles = []string{}
	}
	return applicationResponse{ID: a.Name, ServiceBaseURL: s.c.ServiceBaseURL(), MobileSDKConfig: a.MobileSDKConfig, Roles: roles,
		AppKey: a.AppKey, AppSecret: a.AppSecret, MasterServerPublicKey: a.MasterServerPublicKey}
}

func (s *Server) createApplication(r *http.Request, _ cloudsvc.Principal) (any, error) {
	var req struct {
		ID    string   `json:"id"`
		Roles []string `json:"roles"`
	}
	if err := decode(r, &req, false); err != nil {
		return nil, err
	}
	if err := required("id", req.ID); err != nil {
		return nil, err
	}
	a, err := s.c.CreateApplication(r.Context(), req.ID, req.Roles)
	if err != nil {
		return nil, err
	}
	return s.application(a), nil
}

func (s *Server) getApplication(r *http.Request, p cloudsvc.Principal) (any, error) {
	a, err := s.c.GetApplication(r.Context(), p, r.PathValue("appId"))
	if err != nil {
		return nil, err
	}
	return s.application(a), nil
}

func (s *Server) listApplications(r *http.Request, _ cloudsvc.Principal) (any, error) {
	apps, err := s.c.ListApplications(r.Context())
	if err != nil {
		return nil, err
	}
	type item struct {
		ID    string   `json:"id"`
		Roles []string `json:"roles"`
	}
	out := make([]item, len(apps))
	for i, a := range apps {
		out[i] = item{ID: a.Name, Roles: a.Roles}
		if out[i].Roles == nil {
			out[i].Roles = []string{}
		}
	}
	return map[string]any{"applications": out}, nil
}

// userResponse is a user without secrets (but the generated password
// once, on creation).
type userResponse struct {
	Username     string   `json:"username"`
	Password     string   `json:"password,omitempty"`
	Role         string   `json:"role"`
	Enabled      bool     `json:"enabled"`
	Applications []string `json:"applications"`
}

func user(u cloudsvc.User) userResponse {
	apps := u.Applications
	if apps == nil {
		apps = []string{}
	}
	return userResponse{Username: u.Username, Password: u.Password, Role: string(u.Role), Enabled: u.Enabled, Applications: apps}
}

func (s *Server) createUser(r *http.Request, _ cloudsvc.Principal) (any, error) {
	var req struct {
		Username string `json:"username"`
		Role     string `json:"role"`
	}
	if err := decode(r, &req, false); err != nil {
		return nil, err
	}
	if err := required("username", req.Username); err != nil {
		return nil, err
	}
	role, err := cloudsvc.ParseRole(req.Role)
	if err != nil {
		return nil, err
	}
	u, err := s.c.CreateUser(r.Context(), req.Username, role)
	if err != nil {
		return nil, err
	}
	return user(u), nil
}

func (s *Server) listUsers(r *http.Request, _ cloudsvc.Principal) (any, error) {
	us, err := s.c.ListUsers(r.Context())
	if err != nil {
		return nil, err
	}
	out := make([]userResponse, len(us))
	for i, u := range us {
		out[i] = user(u)
	}
	return map[string]any{"users": out}, nil
}

func (s *Server) getUser(r *http.Request, _ cloudsvc.Principal) (any, error) {
	u, err := s.c.GetUser(r.Context(), r.PathValue("username"))
	if err != nil {
		return nil, err
	}
	return user(u), nil
}

func (s *Server) updateUser(r *http.Request, _ cloudsvc.Principal) (any, error) {
	var req struct {
		Enabled *bool `json:"enabled"`
	}
	if err := decode(r, &req, false); err != nil {
		return nil, err
	}
	if req.Enabled == nil {
		return nil, cloudsvc.BadRequest("enabled - must be set")
	}
	u, err := s.c.SetUserEnabled(r.Context(), r.PathValue("username"), *req.Enabled)
	if err != nil {
		return nil, err
	}
	return user(u), nil
}

func (s *Server) deleteUser(r *http.Request, _ cloudsvc.Principal) (any, error) {
	return nil, s.c.DeleteUser(r.Context(), r.PathValue("username"))
}

func (s *Server) grant(grant bool) endpoint {
	return func(r *http.Request, _ cloudsvc.Principal) (any, error) {
		u, err := s.c.Grant(r.Context(), r.PathValue("username"), r.PathValue("appId"), grant)
		if err != nil {
			return nil, err
		}
		return user(u), nil
	}
}

// templateBody is an operation template on the wire.
type templateBody struct {
	Name                  string   `json:"name"`
	OperationType         string   `json:"operationType"`
	DataTemplate          string   `json:"dataTemplate"`
	SignatureType         []string `json:"signatureType"`
	MaxFailureCount       int64    `json:"maxFailureCount"`
	Expiration            int64    `json:"expiration"`
	RiskFlags             string   `json:"riskFlags,omitempty"`
	ProximityCheckEnabled bool     `json:"proximityCheckEnabled"`
}

func templateOf(t domain.OperationTemplate) templateBody {
	return templateBody{Name: t.Name, OperationType: t.OperationType, DataTemplate: t.DataTemplate, SignatureType: t.SignatureTypes,
		MaxFailureCount: t.MaxFailureCount, Expiration: int64(t.Expiration / time.Second), RiskFlags: t.RiskFlags,
		ProximityCheckEnabled: t.ProximityCheckEnabled}
}

func (s *Server) createTemplate(r *http.Request, _ cloudsvc.Principal) (any, error) {
	var req templateBody
	if err := decode(r, &req, false); err != nil {
		return nil, err
	}
	if err := required("name", req.Name, "operationType", req.OperationType, "dataTemplate", req.DataTemplate); err != nil {
		return nil, err
	}
	if req.Expiration <= 0 || req.Expiration > 365*24*3600 {
		return nil, cloudsvc.BadRequest("expiration - must be 1 to 31536000 seconds")
	}
	t, err := s.c.CreateTemplate(r.Context(), cloudsvc.TemplateInput{Name: req.Name, OperationType: req.OperationType,
		DataTemplate: req.DataTemplate, SignatureTypes: req.SignatureType, MaxFailureCount: req.MaxFailureCount,
		Expiration: time.Duration(req.Expiration) * time.Second, RiskFlags: req.RiskFlags, ProximityCheckEnabled: req.ProximityCheckEnabled})
	if err != nil {
		return nil, err
	}
	return templateOf(t), nil
}

func (s *Server) listTemplates(r *http.Request, _ cloudsvc.Principal) (any, error) {
	ts, err := s.c.ListTemplates(r.Context())
	if err != nil {
		return nil, err
	}
	out := make([]templateBody, len(ts))
	for i, t := range ts {
		out[i] = templateOf(t)
	}
	return map[string]any{"templates": out}, nil
}

func (s *Server) removeTemplate(r *http.Request, _ cloudsvc.Principal) (any, error) {
	return nil, s.c.RemoveTemplate(r.Context(), r.PathValue("name"))
}

type localizationBody struct {
	Template string `json:"template"`
	Language string `json:"language"`
	Title    string `json:"title"`
	Summary  string `json:"summary"`
}

func (s *Server) putLocalization(r *http.Request, _ cloudsvc.Principal) (any, error) {
	var req struct {
		Title   string `json:"title"`
		Summary string `json:"summary"`
	}
	if err := decode(r, &req, false); err != nil {
		return nil, err
	}
	l, err := s.c.PutLocalization(r.Context(), domain.CloudLocalization{TemplateName: r.PathValue("name"),
		Language: r.PathValue("language"), Title: req.Title, Summary: req.Summary})
	if err != nil {
		return nil, err
	}
	return localizationBody{Template: l.TemplateName, Language: l.Language, Title: l.Title, Summary: l.Summary}, nil
}

func (s *Server) listLocalizations(r *http.Request, _ cloudsvc.Principal) (any, error) {
	ls, err := s.c.ListLocalizations(r.Context(), r.PathValue("name"))
	if err != nil {
		return nil, err
	}
	out := make([]localizationBody, len(ls))
	for i, l := range ls {
		out[i] = localizationBody{Template: l.TemplateName, Language: l.Language, Title: l.Title, Summary: l.Summary}
	}
	return map[string]any{"localizations": out}, nil
}

func (s *Server) deleteLocalization(r *http.Request, _ cloudsvc.Principal) (any, error) {
	return nil, s.c.DeleteLocalization(r.Context(), r.PathValue("name"), r.PathValue("language"))
}

type callbackResponse struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	Type          string `json:"type"`
	CallbackURL   string `json:"callbackUrl"`
	SigningSecret string `json:"signingSecret"`
}

func callbackOf(cb cloudsvc.Callback) callbackResponse {
	return callbackResponse{ID: cb.ID, Name: cb.Name, Type: cloudsvc.CloudCallbackType(cb.Type), CallbackURL: cb.URL, SigningSecret: cb.SigningSecret}
}

func (s *Server) createCallback(r *http.Request, p cloudsvc.Principal) (any, error) {
	var req struct {
		Name        string `json:"name"`
		Type        string `json:"type"`
		CallbackURL string `json:"callbackUrl"`
	}
	if err := decode(r, &req, false); err != nil {
		return nil, err
	}
	if err := required("name", req.Name, "type", req.Type, "callbackUrl", req.CallbackURL); err != nil {
		return nil, err
	}
	cb, err := s.c.CreateCallback(r.Context(), p, r.PathValue("appId"), req.Name, req.Type, req.CallbackURL)
	if err != nil {
		return nil, err
	}
	return callbackOf(cb), nil
}

func (s *Server) listCallbacks(r *http.Request, p cloudsvc.Principal) (any, error) {
	cbs, err := s.c.ListCallbacks(r.Context(), p, r.PathValue("appId"))
	if err != nil {
		return nil, err
	}
	out := make([]callbackResponse, len(cbs))
	for i, cb := range cbs {
		out[i] = callbackOf(cb)
	}
	return map[string]any{"callbacks": out}, nil
}

func (s *Server) removeCallback(r *http.Request, p cloudsvc.Principal) (any, error) {
	return nil, s.c.RemoveCallback(r.Context(), p, r.PathValue("appId"), r.PathValue("id"))
}
