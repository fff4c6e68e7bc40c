package console

import (
	"context"
	"time"

	"github.com/mauth/mauth/internal/domain"
)

// Core is the port through which the console changes the core's data.
// internal/app implements it over the core service. The actor of every
// call is the console user carried by ctx (Principal.Context), which the
// core writes into its audit entries and activation history.
type Core interface {
	// CreateApplication creates an application with its first version
	// and master key pair.
	CreateApplication(ctx context.Context, name string) (domain.Application, error)
	// Application returns an application with its versions and the SDK
	// configuration string of each.
	Application(ctx context.Context, name string) (ApplicationView, error)
	// CreateApplicationVersion adds a version to an application.
	CreateApplicationVersion(ctx context.Context, application, version string) error
	// SetApplicationVersionSupported supports or unsupports a version.
	SetApplicationVersionSupported(ctx context.Context, application, version string, supported bool) error
	// Callbacks lists the callbacks of an application.
	Callbacks(ctx context.Context, application string) ([]CallbackView, error)
	// CreateCallback registers an activation-status callback.
	CreateCallback(ctx context.Context, application, name, url string) error
	// RemoveCallback removes a callback.
	RemoveCallback(ctx context.Context, id string) error
	// UpdateCallback changes the name and URL of a callback of an
	// application (its other settings and secrets are kept).
	UpdateCallback(ctx context.Context, application, id, name, url string) error
	// SendTestCallback queues a test event for one callback of an
	// application; the callback dispatcher delivers it like any event
	// (signed, authenticated, retried).
	SendTestCallback(ctx context.Context, application, id string) error
	// RecoveryConfig returns an application's recovery settings.
	RecoveryConfig(ctx context.Context, application string) (RecoverySettings, error)
	// SetRecoveryConfig replaces an application's recovery settings (the
	// printing center's key is kept).
	SetRecoveryConfig(ctx context.Context, application string, in RecoverySettings) error
	// ApplicationIntegrations lists the integrations with whether each may
	// call the private API for the application.
	ApplicationIntegrations(ctx context.Context, application string) ([]IntegrationAccess, error)
	// SetIntegrationAccess grants (allowed) or revokes an APPLICATION
	// integration's access to an application.
	SetIntegrationAccess(ctx context.Context, id, application string, allowed bool) error

	// InitActivation starts an activation of a user.
	InitActivation(ctx context.Context, in ActivationInput) (NewActivation, error)
	// CommitActivation commits a PENDING_COMMIT activation; otp is its
	// activation OTP when it is checked at commit.
	CommitActivation(ctx context.Context, activationID, otp string) error
	// BlockActivation blocks an ACTIVE activation with a reason.
	BlockActivation(ctx context.Context, activationID, reason string) error
	// UnblockActivation unblocks a BLOCKED activation.
	UnblockActivation(ctx context.Context, activationID string) error
	// RemoveActivation removes an activation.
	RemoveActivation(ctx context.Context, activationID string) error
	// RecoveryCodes lists the recovery codes of an activation (masked).
	RecoveryCodes(ctx context.Context, activationID string) ([]RecoveryCode, error)
	// RevokeRecoveryCode revokes a recovery code of an activation
	// (NotFound when the code is not the activation's).
	RevokeRecoveryCode(ctx context.Context, activationID string, id int64) error

	// CreateOperation creates an approval operation for a user.
	CreateOperation(ctx context.Context, in NewOperation) (domain.Operation, error)
	// CancelOperation cancels a PENDING operation.
	CancelOperation(ctx context.Context, id string) error
	// CreateTemplate creates an operation template.
	CreateTemplate(ctx context.Context, in TemplateInput) error
	// UpdateTemplate replaces the fields of an operation template (all but
	// its name).
	UpdateTemplate(ctx context.Context, id int64, in TemplateInput) error
	// RemoveTemplate removes an operation template.
	RemoveTemplate(ctx context.Context, id int64) error
	// PreviewOperation renders an operation of a template as the Mobile
	// Token API shows it to the phone, for sample parameters.
	PreviewOperation(ctx context.Context, in PreviewInput) (Preview, error)

	// CreateIntegration creates private API credentials (ADMIN role); the
	// secret is in the answer only.
	CreateIntegration(ctx context.Context, name string) (NewIntegration, error)
	// RemoveIntegration removes an integration.
	RemoveIntegration(ctx context.Context, id string) error

	// PushApplications lists every application with its push
	// configuration (no secrets).
	PushApplications(ctx context.Context) ([]PushApplication, error)
	// SetPushCredentials validates and stores provider credentials of an
	// application (the platforms given; the others are kept).
	SetPushCredentials(ctx context.Context, application string, in PushCredentials) error
	// RemovePushCredentials removes an application's credentials of one
	// platform (apns, fcm or hms).
	RemovePushCredentials(ctx context.Context, application, platform string) error
	// Campaigns lists the push campaigns with their progress.
	Campaigns(ctx context.Context) ([]Campaign, error)
	// Campaign returns a push campaign with its progress.
	Campaign(ctx context.Context, id int64) (Campaign, error)
	// CreateCampaign creates a push campaign of an application.
	CreateCampaign(ctx context.Context, application, title, body string) (int64, error)
	// AddCampaignUsers adds users to a campaign not sent yet and returns
	// how many were new.
	AddCampaignUsers(ctx context.Context, id int64, users []string) (int64, error)
	// SendCampaign starts the live send of a campaign.
	SendCampaign(ctx context.Context, id int64) error
	// CancelCampaign stops a campaign.
	CancelCampaign(ctx context.Context, id int64) error
}

// RecoveryCode is a recovery code of an activation (masked; its PUKs'
// states only).
type RecoveryCode struct {
	ID         int64
	CodeMasked string
	Status     string
	PUKs       []string
}

// Revocable tells whether the code can still be revoked.
func (c RecoveryCode) Revocable() bool {
	return c.Status == "CREATED" || c.Status == "ACTIVE" || c.Status == "BLOCKED"
}

// PreviewInput is a template (as edited, not necessarily saved) with
// sample parameters.
type PreviewInput struct {
	OperationType, DataTemplate, RiskFlags string
	SignatureTypes                         []string
	Parameters                             map[string]string
	// Language is the phone's preferred language (default en).
	Language string
}

// Preview is an operation as the phone shows it.
type Preview struct {
	Title, Message string
	// Data is the operation data with the parameters substituted.
	Data string
	// Factors are the factors the phone asks for (1FA, 2FA with variants).
	Factors    string
	Attributes []PreviewAttribute
	// Warning is the pre-approval warning, when the risk flags ask for it.
	Warning string
}

// PreviewAttribute is one attribute line of the operation's form.
type PreviewAttribute struct {
	Type, Label, Value string
}

// RecoverySettings are an application's recovery settings.
type RecoverySettings struct {
	ActivationRecovery, Postcard, MultipleCodes bool
	// PostcardKey is the server's postcard public key (Base64; empty
	// until postcards are first enabled).
	PostcardKey string
}

// IntegrationAccess is an integration and its access to an application.
type IntegrationAccess struct {
	ID, Name string
	// Admin integrations may use every application.
	Admin   bool
	Allowed bool
}

// PushApplication is an application's push configuration without
// secrets.
type PushApplication struct {
	Application    string
	APNs, FCM, HMS bool
	// Non-secret settings of the configured providers.
	APNsBundle, APNsKeyID, APNsTeamID, APNsEnvironment string
	FCMProjectID, HMSProjectID                         string
}

// PushCredentials are provider credentials to set; a nil platform keeps
// what the application has.
type PushCredentials struct {
	APNs *APNsCredentials
	FCM  *FCMCredentials
	HMS  *HMSCredentials
}

// APNsCredentials are an APNs .p8 signing key with its settings.
type APNsCredentials struct {
	PrivateKey                         []byte
	KeyID, TeamID, Bundle, Environment string
}

// FCMCredentials are a Firebase service-account key (JSON).
type FCMCredentials struct {
	ServiceAccount []byte
	ProjectID      string
}

// HMSCredentials are an AppGallery Connect OAuth client.
type HMSCredentials struct {
	ClientID, ClientSecret, ProjectID string
}

// Campaign is a push campaign with its progress.
type Campaign struct {
	ID                              int64
	Application                     string
	Title, Body                     string
	Status                          string
	Sent, Failed, Pending, Total    int64
	Created, SendStarted, Completed time.Time
}

// Running tells whether the campaign's live send is under way (the page
// keeps refreshing).
func (c Campaign) Running() bool {
	return c.Status == "SENDING" || (c.Status == "SENT" && c.Pending > 0)
}

// Editable tells whether users can still be added (before the live send).
func (c Campaign) Editable() bool { return c.Status == "CREATED" }

// Percent is the share of the queued messages that are done (sent or
// failed), 0 to 100.
func (c Campaign) Percent() int64 {
	if c.Total == 0 {
		return 0
	}
	return (c.Sent + c.Failed) * 100 / c.Total
}

// ApplicationView is an application with what its detail page shows.
type ApplicationView struct {
	Application domain.Application
	Versions    []VersionView
}

// VersionView is a version with its SDK configuration string.
type VersionView struct {
	Version   domain.ApplicationVersion
	SDKConfig string
}

// CallbackView is a callback of an application.
type CallbackView struct {
	ID, Name, URL, Type string
}

// ActivationInput asks for a new activation.
type ActivationInput struct {
	Application, UserID string
	// OTP is an optional activation OTP; OTPOnKeyExchange says the phone
	// must send it with the key exchange (else the operator enters it at
	// commit).
	OTP              string
	OTPOnKeyExchange bool
}

// NewActivation is a started activation: what the phone scans.
type NewActivation struct {
	ActivationID   string
	ActivationCode string
	// QR is the activation QR string "CODE#signature".
	QR      string
	Expires time.Time
}

// NewOperation asks for an operation.
type NewOperation struct {
	UserID      string
	Application string
	Template    string
	Parameters  map[string]string
}

// TemplateInput describes an operation template.
type TemplateInput struct {
	Name, OperationType, DataTemplate string
	SignatureTypes                    []string
	MaxFailureCount                   int64
	Expiration                        time.Duration
}

// NewIntegration is a created integration with its one-time secret.
type NewIntegration struct {
	ID, Name, ClientToken, ClientSecret string
}
