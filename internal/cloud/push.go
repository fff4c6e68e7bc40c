package cloud

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/mauth/mauth/internal/domain"
)

// CodePushMessage is the code of a push message the server refuses.
const CodePushMessage = "ERROR_PUSH_MESSAGE"

// Push is what the Cloud API needs from the push server: provider
// credentials of an application and messages to a user's devices. Every
// method runs the push server's own rules; failures the caller caused are
// *CoreError (CoreInvalid for refused input, CoreNotFound for an unknown
// application or one without push credentials).
type Push interface {
	SetPushCredentials(ctx context.Context, application string, c PushCredentials) error
	PushSettings(ctx context.Context, application string) (PushSettings, error)
	RemovePushCredentials(ctx context.Context, application, platform string) error
	SendPushMessage(ctx context.Context, application string, m PushMessage) error
}

// APNsCredentials are an application's Apple push credentials.
type APNsCredentials struct {
	// Bundle is the app's bundle id (the APNs topic).
	Bundle string
	// KeyID and TeamID name the signing key and the developer team.
	KeyID, TeamID string
	// Environment is development, production or empty (the server default).
	Environment string
	// PrivateKey is the .p8 file (PKCS#8 PEM).
	PrivateKey []byte
}

// FCMCredentials are an application's Firebase service-account key.
type FCMCredentials struct {
	// ProjectID is optional (default: the key's project_id).
	ProjectID string
	// ServiceAccount is the service-account key file (JSON).
	ServiceAccount []byte
}

// HMSCredentials are an application's Huawei OAuth client.
type HMSCredentials struct {
	ProjectID, ClientID, ClientSecret string
}

// PushCredentials are the credentials to set; a nil platform is kept.
type PushCredentials struct {
	APNs *APNsCredentials
	FCM  *FCMCredentials
	HMS  *HMSCredentials
}

// PushSettings are an application's push settings without secrets; a nil
// platform is not configured.
type PushSettings struct {
	APNs *APNsSettings
	FCM  *ProjectSettings
	HMS  *ProjectSettings
}

// APNsSettings are the non-secret APNs settings.
type APNsSettings struct {
	Bundle, KeyID, TeamID, Environment string
}

// ProjectSettings are the non-secret FCM or HMS settings.
type ProjectSettings struct {
	ProjectID string
}

// PushMessage is a message to a user's devices.
type PushMessage struct {
	// UserID is the user; RegistrationID limits it to one registration.
	UserID, RegistrationID string
	// Silent messages only wake the app.
	Silent bool
	// Title, Message and Sound are the visible parts.
	Title, Message, Sound string
	// Extras are custom data for the app.
	Extras map[string]any
}

// The request forms of the push credentials (secrets in Base64).
type (
	// APNsRequest is the apns part of a push credentials request.
	APNsRequest struct {
		Bundle, KeyID, TeamID, Environment, PrivateKeyBase64 string
	}
	// FCMRequest is the fcm part: the service-account key file in Base64.
	FCMRequest struct {
		ProjectID, PrivateKeyBase64 string
	}
	// HMSRequest is the hms part.
	HMSRequest struct {
		ProjectID, ClientID, ClientSecret string
	}
	// PushCredentialsRequest is the body of POST /admin/applications/{appId}/push.
	PushCredentialsRequest struct {
		APNs *APNsRequest
		FCM  *FCMRequest
		HMS  *HMSRequest
	}
)

// Limits of push requests.
const (
	maxPushKey     = 16 << 10
	maxPushField   = 255
	maxPushText    = 1024
	maxPushExtras  = 32
	pushNotEnabled = "Push notifications are not available on this server."
)

// pushPort returns the push port or the 501 answer when there is none.
func (s *Service) pushPort() (Push, error) {
	if s.opts.Push == nil {
		return nil, &Error{Status: http.StatusNotImplemented, Code: CodeNotImplemented, Message: pushNotEnabled}
	}
	return s.opts.Push, nil
}

// pushActor names the Cloud user in the audit log of the push server's
// changes.
func pushActor(ctx context.Context, p Principal) context.Context {
	return withActor(ctx, "cloud:"+p.Username)
}

// withActor sets the actor of the audit log in ctx.
func withActor(ctx context.Context, actor string) context.Context {
	ri := domain.RequestInfoOf(ctx)
	ri.Actor = actor
	return domain.WithRequestInfo(ctx, ri)
}

// decodeKey reads a Base64 secret (standard, padding optional).
func decodeKey(field, v string) ([]byte, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, BadRequest("%s - must not be blank", field)
	}
	if len(v) > maxPushKey {
		return nil, BadRequest("%s - at most %d characters", field, maxPushKey)
	}
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(v, "="))
	}
	if err != nil {
		return nil, BadRequest("%s - must be Base64", field)
	}
	return b, nil
}

// checkFields reports the first blank required or overlong field.
func checkFields(fields ...string) error {
	for i := 0; i+2 < len(fields); i += 3 {
		name, v, need := fields[i], fields[i+1], fields[i+2] == "required"
		if need && strings.TrimSpace(v) == "" {
			return BadRequest("%s - must not be blank", name)
		}
		if len(v) > maxPushField {
			return BadRequest("%s - at most %d characters", name, maxPushField)
		}
	}
	return nil
}

// parsePushCredentials validates the request form and decodes the secrets.
func parsePushCredentials(req PushCredentialsRequest) (PushCredentials, error) {
	var out PushCredentials
	if req.APNs == nil && req.FCM == nil && req.HMS == nil {
		return out, BadRequest("apns, fcm, hms - at least one must be set")
	}
	if a := req.APNs; a != nil {
		if err := checkFields("apns.bundle", a.Bundle, "required", "apns.keyId", a.KeyID, "required",
			"apns.teamId", a.TeamID, "required", "apns.environment", a.Environment, ""); err != nil {
			return out, err
		}
		switch strings.ToLower(a.Environment) {
		case "", "development", "production":
		default:
			return out, BadRequest("apns.environment - must be development or production")
		}
		key, err := decodeKey("apns.privateKeyBase64", a.PrivateKeyBase64)
		if err != nil {
			return out, err
		}
		out.APNs = &APNsCredentials{Bundle: a.Bundle, KeyID: a.KeyID, TeamID: a.TeamID, Environment: strings.ToLower(a.Environment), PrivateKey: key}
	}
	if f := req.FCM; f != nil {
		if err := checkFields("fcm.projectId", f.ProjectID, ""); err != nil {
			return out, err
		}
		key, err := decodeKey("fcm.privateKeyBase64", f.PrivateKeyBase64)
		if err != nil {
			return out, err
		}
		out.FCM = &FCMCredentials{ProjectID: f.ProjectID, ServiceAccount: key}
	}
	if h := req.HMS; h != nil {
		if err := checkFields("hms.projectId", h.ProjectID, "", "hms.clientId", h.ClientID, "required",
			"hms.clientSecret", h.ClientSecret, "required"); err != nil {
			return out, err
		}
		out.HMS = &HMSCredentials{ProjectID: h.ProjectID, ClientID: h.ClientID, ClientSecret: h.ClientSecret}
	}
	return out, nil
}

// pushApplication checks that the caller may configure the application.
func (s *Service) pushApplication(p Principal, application string) error {
	if !p.MayUse(application) {
		return Forbidden("application %s is not granted to %s", application, p.Username)
	}
	return nil
}

// SetPushCredentials validates and stores an application's push
// credentials (ROLE_ADMIN); every platform given is checked before any is
// stored. It returns the settings after the change.
func (s *Service) SetPushCredentials(ctx context.Context, p Principal, application string, req PushCredentialsRequest) (PushSettings, error) {
	port, err := s.pushPort()
	if err != nil {
		return PushSettings{}, err
	}
	if err := s.pushApplication(p, application); err != nil {
		return PushSettings{}, err
	}
	creds, err := parsePushCredentials(req)
	if err != nil {
		return PushSettings{}, err
	}
	if err := port.SetPushCredentials(pushActor(ctx, p), application, creds); err != nil {
		return PushSettings{}, requestError(err)
	}
	set, err := port.PushSettings(ctx, application)
	return set, requestError(err)
}

// GetPushSettings returns an application's push settings without secrets.
func (s *Service) GetPushSettings(ctx context.Context, p Principal, application string) (PushSettings, error) {
	port, err := s.pushPort()
	if err != nil {
		return PushSettings{}, err
	}
	if err := s.pushApplication(p, application); err != nil {
		return PushSettings{}, err
	}
	set, err := port.PushSettings(ctx, application)
	return set, requestError(err)
}

// RemovePushCredentials removes an application's credentials of one
// platform (apns, fcm or hms).
func (s *Service) RemovePushCredentials(ctx context.Context, p Principal, application, platform string) error {
	port, err := s.pushPort()
	if err != nil {
		return err
	}
	if err := s.pushApplication(p, application); err != nil {
		return err
	}
	switch platform {
	case "apns", "fcm", "hms":
	default:
		return newError(http.StatusNotFound, CodeNotFound, "unknown push platform (apns, fcm or hms)")
	}
	return requestError(port.RemovePushCredentials(pushActor(ctx, p), application, platform))
}

// SendMessageRequest is the body of POST /v2/messages/send.
type SendMessageRequest struct {
	UserID, RegistrationID string
	Silent                 bool
	Title, Message, Sound  string
	Extras                 map[string]any
	// AppID selects one of the caller's applications (a mauth extension).
	AppID string
}

func pushMessageError(format string, args ...any) *Error {
	return newError(http.StatusBadRequest, CodePushMessage, format, args...)
}

// SendMessage queues a push message to the user's devices (of one
// registration when given) in the caller's applications that have push
// credentials; the push server delivers it asynchronously.
func (s *Service) SendMessage(ctx context.Context, p Principal, req SendMessageRequest) error {
	port, err := s.pushPort()
	if err != nil {
		return err
	}
	if err := checkUserID(req.UserID); err != nil {
		return err
	}
	if len(req.Title) > maxPushField || len(req.Sound) > maxPushField || len(req.Message) > maxPushText {
		return pushMessageError("title, sound - at most %d characters; message at most %d", maxPushField, maxPushText)
	}
	if len(req.Extras) > maxPushExtras {
		return pushMessageError("extras - at most %d entries", maxPushExtras)
	}
	if !req.Silent && req.Title == "" && req.Message == "" {
		return pushMessageError("title, message - a visible message needs a title or a message")
	}
	var apps []string
	if req.RegistrationID != "" {
		reg, err := s.registration(ctx, p, req.RegistrationID)
		if err != nil {
			return err
		}
		if reg.UserID != req.UserID || (req.AppID != "" && reg.Application != req.AppID) {
			return registrationNotFound()
		}
		apps = []string{reg.Application}
	} else {
		apps, err = s.scope(ctx, p, req.AppID)
		if err != nil {
			return err
		}
	}
	msg := PushMessage{UserID: req.UserID, RegistrationID: req.RegistrationID, Silent: req.Silent,
		Title: req.Title, Message: req.Message, Sound: req.Sound, Extras: req.Extras}
	sent := 0
	for _, app := range apps {
		err := port.SendPushMessage(ctx, app, msg)
		kind, text := coreKind(err)
		switch {
		case err == nil:
			sent++
		case kind == CoreNotFound:
			// No push credentials: nothing to send in this application.
		case kind != 0:
			e := pushMessageError("%s", text)
			e.cause = err
			return e
		default:
			return wrap("send push message", err)
		}
	}
	if sent == 0 {
		return pushMessageError("no application of %s has push credentials", p.Username)
	}
	return nil
}
