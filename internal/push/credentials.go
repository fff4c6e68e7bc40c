package push

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/mauth/mauth/internal/audit"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/push/apns"
	"github.com/mauth/mauth/internal/push/fcm"
	"github.com/mauth/mauth/internal/push/hms"
	"github.com/mauth/mauth/internal/push/provider"
	"github.com/mauth/mauth/internal/store"
)

// ErrUnknownApplication is returned for an application name mauth does
// not know.
var ErrUnknownApplication = errors.New("push: application with given ID does not exist")

// ErrAlreadyConfigured is returned by CreateApplication for an application
// that already has a push configuration.
var ErrAlreadyConfigured = errors.New("push: application is already configured")

// ErrNotConfigured is returned when an application has no push
// credentials (for the platform asked, or for any platform).
var ErrNotConfigured = errors.New("push: no push credentials for the application")

// InvalidInputError reports a request the push service refuses; its
// message names the problem (never a secret).
type InvalidInputError struct{ Problem string }

// Error implements error.
func (e *InvalidInputError) Error() string { return e.Problem }

func invalid(format string, args ...any) error {
	return &InvalidInputError{Problem: fmt.Sprintf(format, args...)}
}

// APNsCredentials are what an application needs for APNs: the .p8 signing
// key (Apple developer account → Certificates, Identifiers & Profiles →
// Keys), its key id, the team id, the app's bundle id and the default
// environment (development or production; empty for the server default).
type APNsCredentials struct {
	PrivateKey                         []byte
	KeyID, TeamID, Bundle, Environment string
}

// FCMCredentials are a Firebase service-account key (JSON) and optionally
// the project id (default: the key's project_id).
type FCMCredentials struct {
	ServiceAccount []byte
	ProjectID      string
}

// HMSCredentials are the AppGallery Connect OAuth client of the app and
// optionally its project id.
type HMSCredentials struct {
	ClientID, ClientSecret, ProjectID string
}

// AppInfo describes an application's push configuration without secrets.
type AppInfo struct {
	// AppID is the application name.
	AppID string
	// APNs, FCM and HMS tell which providers are configured.
	APNs, FCM, HMS bool
	// The non-secret settings of the providers.
	APNsBundle, APNsKeyID, APNsTeamID, APNsEnvironment string
	FCMProjectID, HMSProjectID                         string
}

// secretContext binds a sealed secret to its application and purpose.
func secretContext(kind string, appID int64) string {
	return fmt.Sprintf("push-%s:%d", kind, appID)
}

// CreateApplication starts an (empty) push configuration for an
// application; ErrAlreadyConfigured when it has one.
func (s *Service) CreateApplication(ctx context.Context, appName string) error {
	return s.st.InTx(ctx, func(tx store.Tx) error {
		app, err := appByName(ctx, tx, appName)
		if err != nil {
			return err
		}
		if _, err := tx.GetPushCredentials(ctx, app.ID); err == nil {
			return ErrAlreadyConfigured
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		now := s.now()
		c := domain.PushCredentials{ApplicationID: app.ID, Created: now, Updated: now}
		if err := tx.PutPushCredentials(ctx, &c); err != nil {
			return err
		}
		return audit.Write(ctx, tx, now, audit.Admin("push.app.create", app.Name, nil))
	})
}

// SetAPNs validates and stores an application's APNs credentials (the key
// sealed with the server key). A key that cannot sign is refused with a
// *provider.CredentialError and nothing is stored.
func (s *Service) SetAPNs(ctx context.Context, appName string, c APNsCredentials) error {
	return s.SetCredentials(ctx, appName, Credentials{APNs: &c})
}

// SetFCM validates and stores an application's FCM service-account key.
func (s *Service) SetFCM(ctx context.Context, appName string, c FCMCredentials) error {
	return s.SetCredentials(ctx, appName, Credentials{FCM: &c})
}

// SetHMS validates and stores an application's HMS OAuth client.
func (s *Service) SetHMS(ctx context.Context, appName string, c HMSCredentials) error {
	return s.SetCredentials(ctx, appName, Credentials{HMS: &c})
}

// Credentials are provider credentials set together; a nil platform keeps
// what the application has.
type Credentials struct {
	APNs *APNsCredentials
	FCM  *FCMCredentials
	HMS  *HMSCredentials
}

// credentialChange is one validated platform change and its audit action.
type credentialChange struct {
	action string
	apply  func(*domain.PushCredentials)
}

// SetCredentials validates every platform given and stores them in one
// transaction (each audited): when one is refused (an *InvalidInputError
// or a *provider.CredentialError) nothing is stored.
func (s *Service) SetCredentials(ctx context.Context, appName string, c Credentials) error {
	var changes []credentialChange
	if c.APNs != nil {
		a := *c.APNs
		env, ok := ParseEnvironment(a.Environment)
		if !ok {
			return invalid("unknown APNs environment %q (development or production)", a.Environment)
		}
		if _, err := apns.New(apns.Config{KeyP8: a.PrivateKey, KeyID: a.KeyID, TeamID: a.TeamID, Topic: a.Bundle, Environment: env}); err != nil {
			return err
		}
		changes = append(changes, credentialChange{"push.apns.set", func(p *domain.PushCredentials) {
			p.APNsKey = s.box.Seal(a.PrivateKey, secretContext("apns", p.ApplicationID))
			p.APNsKeyID, p.APNsTeamID, p.APNsBundle, p.APNsEnvironment = a.KeyID, a.TeamID, a.Bundle, env
		}})
	}
	if c.FCM != nil {
		f := *c.FCM
		if _, err := fcm.New(fcm.Config{ServiceAccountJSON: f.ServiceAccount, ProjectID: f.ProjectID}); err != nil {
			return err
		}
		project := f.ProjectID
		if project == "" {
			sa, _, _ := fcm.ParseServiceAccount(f.ServiceAccount) // validated above
			project = sa.ProjectID
		}
		changes = append(changes, credentialChange{"push.fcm.set", func(p *domain.PushCredentials) {
			p.FCMKey = s.box.Seal(f.ServiceAccount, secretContext("fcm", p.ApplicationID))
			p.FCMProjectID = project
		}})
	}
	if c.HMS != nil {
		h := *c.HMS
		if _, err := hms.New(hms.Config{ClientID: h.ClientID, ClientSecret: h.ClientSecret, ProjectID: h.ProjectID}); err != nil {
			return err
		}
		changes = append(changes, credentialChange{"push.hms.set", func(p *domain.PushCredentials) {
			p.HMSClientID, p.HMSProjectID = h.ClientID, h.ProjectID
			p.HMSClientSecret = s.box.Seal([]byte(h.ClientSecret), secretContext("hms", p.ApplicationID))
		}})
	}
	if len(changes) == 0 {
		return invalid("no credentials given (apns, fcm or hms)")
	}
	return s.updateCredentials(ctx, appName, changes...)
}

// RemoveCredentials removes an application's credentials of one platform.
func (s *Service) RemoveCredentials(ctx context.Context, appName string, p Platform) error {
	return s.updateCredentials(ctx, appName, credentialChange{"push." + string(p) + ".remove", func(c *domain.PushCredentials) {
		switch p {
		case PlatformAPNs:
			c.APNsKey, c.APNsKeyID, c.APNsTeamID, c.APNsBundle, c.APNsEnvironment = nil, "", "", "", ""
		case PlatformFCM:
			c.FCMKey, c.FCMProjectID = nil, ""
		case PlatformHMS:
			c.HMSClientID, c.HMSClientSecret, c.HMSProjectID = "", nil, ""
		}
	}})
}

func (s *Service) updateCredentials(ctx context.Context, appName string, changes ...credentialChange) error {
	return s.st.InTx(ctx, func(tx store.Tx) error {
		app, err := appByName(ctx, tx, appName)
		if err != nil {
			return err
		}
		now := s.now()
		c, err := tx.GetPushCredentials(ctx, app.ID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			c = domain.PushCredentials{ApplicationID: app.ID, Created: now}
		case err != nil:
			return err
		}
		for _, ch := range changes {
			ch.apply(&c)
		}
		c.Updated = now
		if err := tx.PutPushCredentials(ctx, &c); err != nil {
			return err
		}
		for _, ch := range changes {
			if err := audit.Write(ctx, tx, now, audit.Admin(ch.action, app.Name, nil)); err != nil {
				return err
			}
		}
		return nil
	})
}

// App returns the push configuration of an application (ErrNotConfigured
// when it has none).
func (s *Service) App(ctx context.Context, appName string) (AppInfo, error) {
	app, err := appByName(ctx, s.st, appName)
	if err != nil {
		return AppInfo{}, err
	}
	c, err := s.st.GetPushCredentials(ctx, app.ID)
	if errors.Is(err, store.ErrNotFound) {
		return AppInfo{}, ErrNotConfigured
	}
	if err != nil {
		return AppInfo{}, fmt.Errorf("push: read credentials: %w", err)
	}
	return appInfo(app.Name, c), nil
}

// Apps lists the applications with a push configuration (configured) or
// those without one (!configured), ordered by name.
func (s *Service) Apps(ctx context.Context, configured bool) ([]AppInfo, error) {
	var out []AppInfo
	err := s.st.View(ctx, func(r store.Reader) error {
		out = nil
		apps, err := r.ListApplications(ctx)
		if err != nil {
			return err
		}
		creds, err := r.ListPushCredentials(ctx)
		if err != nil {
			return err
		}
		byApp := map[int64]domain.PushCredentials{}
		for _, c := range creds {
			byApp[c.ApplicationID] = c
		}
		for _, a := range apps {
			c, ok := byApp[a.ID]
			if ok != configured {
				continue
			}
			out = append(out, appInfo(a.Name, c))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("push: list applications: %w", err)
	}
	return out, nil
}

func appInfo(name string, c domain.PushCredentials) AppInfo {
	return AppInfo{
		AppID: name, APNs: len(c.APNsKey) > 0, FCM: len(c.FCMKey) > 0, HMS: len(c.HMSClientSecret) > 0,
		APNsBundle: c.APNsBundle, APNsKeyID: c.APNsKeyID, APNsTeamID: c.APNsTeamID, APNsEnvironment: c.APNsEnvironment,
		FCMProjectID: c.FCMProjectID, HMSProjectID: c.HMSProjectID,
	}
}

func appByName(ctx context.Context, r store.Reader, name string) (domain.Application, error) {
	if strings.TrimSpace(name) == "" {
		return domain.Application{}, invalid("appId is required")
	}
	app, err := r.GetApplicationByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return app, ErrUnknownApplication
	}
	if err != nil {
		return app, fmt.Errorf("push: read application: %w", err)
	}
	return app, nil
}

// IsBadRequest tells whether err is the caller's fault (a 400): invalid
// input, unusable credentials, an unknown application or a payload the
// provider cannot carry.
func IsBadRequest(err error) bool {
	var ie *InvalidInputError
	var ce *provider.CredentialError
	return errors.As(err, &ie) || errors.As(err, &ce) || errors.Is(err, ErrUnknownApplication) ||
		errors.Is(err, ErrNotConfigured) || errors.Is(err, ErrAlreadyConfigured) || errors.Is(err, ErrCampaignNotFound) ||
		errors.Is(err, provider.ErrPayloadTooLarge) || errors.Is(err, provider.ErrInvalidMessage)
}
