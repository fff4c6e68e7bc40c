package coreclient

import (
	"context"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/restv3"
	"github.com/mauth/mauth/internal/service"
)

// Application is an application as the list and create methods return it.
type Application = restv3.Application

// ApplicationVersion is one version of an application detail.
type ApplicationVersion = restv3.ApplicationVersion

// ApplicationDetail is the answer of application/detail (VersionByKey
// finds a version).
type ApplicationDetail = restv3.ApplicationDetail

// CreatedVersion is the answer of application/version/create.
type CreatedVersion = restv3.ApplicationVersionCreated

// InitActivationRequest is the request of activation/init.
type InitActivationRequest struct {
	UserID        string `json:"userId"`
	ApplicationID string `json:"applicationId"`
	// TimestampActivationExpire overrides the default validity (nil: default).
	TimestampActivationExpire *time.Time `json:"timestampActivationExpire,omitempty"`
	// MaxFailureCount overrides the failed-attempt limit (nil: default).
	MaxFailureCount *int64 `json:"maxFailureCount,omitempty"`
	// ActivationOtp is the optional activation OTP.
	ActivationOtp string `json:"activationOtp,omitempty"`
	// CommitPhase is ON_COMMIT or ON_KEY_EXCHANGE (empty: ON_COMMIT).
	CommitPhase string `json:"commitPhase,omitempty"`
	// ActivationOtpValidation is the deprecated OTP mode (NONE,
	// ON_KEY_EXCHANGE, ON_COMMIT); do not combine it with CommitPhase.
	ActivationOtpValidation string   `json:"activationOtpValidation,omitempty"`
	Flags                   []string `json:"flags,omitempty"`
}

// InitActivationResponse is the answer of activation/init.
type InitActivationResponse = restv3.ActivationInitResponse

// ActivationStatus is the answer of activation/status.
type ActivationStatus = restv3.ActivationStatus

// ActivationItem is one activation of activation/list.
type ActivationItem = restv3.ActivationItem

// ActivationChange is the answer of activation/block and activation/unblock.
type ActivationChange = restv3.ActivationBlockResponse

// Integration is an integration with its private API credentials.
type Integration = restv3.Integration

// SystemStatus is the answer of the status method.
type SystemStatus = restv3.SystemStatus

// SystemStatus calls the status method (a cheap health check).
func (c *Client) SystemStatus(ctx context.Context) (SystemStatus, error) {
	var out SystemStatus
	err := c.call(ctx, "status", struct{}{}, &out)
	return out, err
}

// CreateApplication creates an application with a master key pair and a
// first version named "default" (application/create).
func (c *Client) CreateApplication(ctx context.Context, name string) (Application, error) {
	var out Application
	err := c.call(ctx, "application/create", struct {
		ApplicationID string `json:"applicationId"`
	}{name}, &out)
	return out, err
}

// ApplicationDetail returns an application with its versions (application/detail).
func (c *Client) ApplicationDetail(ctx context.Context, name string) (ApplicationDetail, error) {
	var out ApplicationDetail
	err := c.call(ctx, "application/detail", struct {
		ApplicationID string `json:"applicationId"`
	}{name}, &out)
	return out, err
}

// ApplicationProtocol is the protocol version policy of an application
// (application/protocol/detail and /update, mauth's own methods).
type ApplicationProtocol struct {
	ApplicationID          string `json:"applicationId"`
	MinimumProtocolVersion string `json:"minimumProtocolVersion"`
	AllowVersionDowngrade  bool   `json:"allowVersionDowngrade"`
}

// ApplicationProtocolSettings returns the protocol settings of an
// application (application/protocol/detail).
func (c *Client) ApplicationProtocolSettings(ctx context.Context, name string) (ApplicationProtocol, error) {
	var out ApplicationProtocol
	err := c.call(ctx, "application/protocol/detail", struct {
		ApplicationID string `json:"applicationId"`
	}{name}, &out)
	return out, err
}

// UpdateApplicationProtocolSettings changes the protocol settings of an
// application (application/protocol/update); nil fields keep their value.
func (c *Client) UpdateApplicationProtocolSettings(ctx context.Context, name string, minimumVersion *string, allowDowngrade *bool) (ApplicationProtocol, error) {
	var out ApplicationProtocol
	err := c.call(ctx, "application/protocol/update", struct {
		ApplicationID          string  `json:"applicationId"`
		MinimumProtocolVersion *string `json:"minimumProtocolVersion,omitempty"`
		AllowVersionDowngrade  *bool   `json:"allowVersionDowngrade,omitempty"`
	}{name, minimumVersion, allowDowngrade}, &out)
	return out, err
}

// ListApplications lists every application (application/list).
func (c *Client) ListApplications(ctx context.Context) ([]Application, error) {
	var out restv3.ApplicationList
	err := c.call(ctx, "application/list", struct{}{}, &out)
	return out.Applications, err
}

// CreateApplicationVersion adds a version to an application (application/version/create).
func (c *Client) CreateApplicationVersion(ctx context.Context, applicationName, versionName string) (CreatedVersion, error) {
	var out CreatedVersion
	err := c.call(ctx, "application/version/create", restv3.ApplicationVersionRequest{ApplicationID: applicationName, ApplicationVersionID: versionName}, &out)
	return out, err
}

// LookupApplicationByKey resolves an application key
// (application/detail/version, then application/detail). The store IDs
// of the application and version are not part of the private API and
// stay 0: compare applications by Name.
func (c *Client) LookupApplicationByKey(ctx context.Context, applicationKey string) (domain.Application, domain.ApplicationVersion, error) {
	var found struct {
		ApplicationID string `json:"applicationId"`
	}
	err := c.call(ctx, "application/detail/version", struct {
		ApplicationKey string `json:"applicationKey"`
	}{applicationKey}, &found)
	if err != nil {
		return domain.Application{}, domain.ApplicationVersion{}, err
	}
	d, err := c.ApplicationDetail(ctx, found.ApplicationID)
	if err != nil {
		return domain.Application{}, domain.ApplicationVersion{}, err
	}
	v, ok := d.VersionByKey(applicationKey)
	if !ok {
		// The version disappeared between the two calls.
		return domain.Application{}, domain.ApplicationVersion{}, service.Errorf(service.CodeInvalidApplication, "Application does not exist or is not supported.")
	}
	app := domain.Application{Name: d.ApplicationID, Roles: nilIfEmpty(d.ApplicationRoles)}
	return app, domain.ApplicationVersion{
		Name:              v.ApplicationVersionID,
		ApplicationKey:    v.ApplicationKey,
		ApplicationSecret: v.ApplicationSecret,
		Supported:         v.Supported,
	}, nil
}

// InitActivation creates a CREATED activation with an activation code (activation/init).
func (c *Client) InitActivation(ctx context.Context, req InitActivationRequest) (InitActivationResponse, error) {
	var out InitActivationResponse
	err := c.call(ctx, "activation/init", req, &out)
	return out, err
}

// ActivationStatus returns the detail of an activation (activation/status
// without a challenge). An unknown ID answers REMOVED with a nil
// ApplicationID, as the reference server does.
func (c *Client) ActivationStatus(ctx context.Context, activationID string) (ActivationStatus, error) {
	return c.activationStatus(ctx, activationID, nil)
}

func (c *Client) activationStatus(ctx context.Context, activationID string, challenge []byte) (ActivationStatus, error) {
	req := restv3.ActivationStatusRequest{ActivationID: activationID}
	if challenge != nil {
		s := b64(challenge)
		req.Challenge = &s
	}
	var out ActivationStatus
	err := c.call(ctx, "activation/status", req, &out)
	return out, err
}

// BlockActivation blocks an ACTIVE activation (activation/block).
func (c *Client) BlockActivation(ctx context.Context, activationID, reason, externalUserID string) (ActivationChange, error) {
	var out ActivationChange
	err := c.call(ctx, "activation/block", restv3.ActivationBlockRequest{ActivationID: activationID, Reason: reason, ExternalUserID: externalUserID}, &out)
	return out, err
}

// UnblockActivation unblocks a BLOCKED activation (activation/unblock).
func (c *Client) UnblockActivation(ctx context.Context, activationID, externalUserID string) (ActivationChange, error) {
	var out ActivationChange
	err := c.call(ctx, "activation/unblock", restv3.ActivationUnblockRequest{ActivationID: activationID, ExternalUserID: externalUserID}, &out)
	return out, err
}

// ListActivations lists a user's activations, optionally of one
// application (activation/list).
func (c *Client) ListActivations(ctx context.Context, userID, applicationID string) ([]ActivationItem, error) {
	return c.ListActivationsWith(ctx, restv3.ActivationListRequest{UserID: userID, ApplicationID: applicationID})
}

// ListActivationsWith lists a user's activations with every filter of
// activation/list (the device filters included).
func (c *Client) ListActivationsWith(ctx context.Context, req restv3.ActivationListRequest) ([]ActivationItem, error) {
	var out restv3.ActivationList
	err := c.call(ctx, "activation/list", req, &out)
	return out.Activations, err
}

// CreateIntegration creates private API credentials (integration/create)
// with the server's default role: ADMIN.
func (c *Client) CreateIntegration(ctx context.Context, name string) (Integration, error) {
	return c.CreateIntegrationWith(ctx, name, "", nil)
}

// CreateIntegrationWith creates private API credentials with a role (ADMIN
// or APPLICATION; empty for the server's default) and, for APPLICATION,
// the applications it may act on (integration/create).
func (c *Client) CreateIntegrationWith(ctx context.Context, name, role string, applications []string) (Integration, error) {
	var out Integration
	req := struct {
		Name           string   `json:"name"`
		Role           *string  `json:"role,omitempty"`
		ApplicationIDs []string `json:"applicationIds,omitempty"`
	}{Name: name, ApplicationIDs: applications}
	if role != "" {
		req.Role = &role
	}
	err := c.call(ctx, "integration/create", req, &out)
	return out, err
}

// IntegrationListItem is an integration as integration/list shows it
// (without a secret).
type IntegrationListItem = restv3.IntegrationListItem

// ListIntegrations lists the integrations, without secrets (integration/list).
func (c *Client) ListIntegrations(ctx context.Context) ([]IntegrationListItem, error) {
	var out struct {
		Items []IntegrationListItem `json:"items"`
	}
	err := c.call(ctx, "integration/list", struct{}{}, &out)
	return out.Items, err
}

// RemoveIntegration deletes an integration and reports whether it existed
// (integration/remove).
func (c *Client) RemoveIntegration(ctx context.Context, id string) (bool, error) {
	var out struct {
		Removed bool `json:"removed"`
	}
	err := c.call(ctx, "integration/remove", struct {
		ID string `json:"id"`
	}{id}, &out)
	return out.Removed, err
}

// ChangeIntegrationApplications grants (grant) or revokes applications of
// an APPLICATION integration (integration/applications/create or remove).
func (c *Client) ChangeIntegrationApplications(ctx context.Context, id string, applications []string, grant bool) (IntegrationListItem, error) {
	method := "integration/applications/remove"
	if grant {
		method = "integration/applications/create"
	}
	var out IntegrationListItem
	err := c.call(ctx, method, struct {
		ID             string   `json:"id"`
		ApplicationIDs []string `json:"applicationIds"`
	}{id, applications}, &out)
	return out, err
}

// Call calls any private API method with req as the request object and
// decodes the responseObject of an OK answer into resp (nil: ignored).
// Errors are those of the typed methods: a *service.Error with the
// server's code and message for a refusal, ErrUnauthorized, an
// *UnavailableError.
func (c *Client) Call(ctx context.Context, method string, req, resp any) error {
	return c.call(ctx, method, req, resp)
}

// CallPath calls another enveloped API of the private listener (the push
// server's /push/..., /admin/app/..., /inbox/...): httpMethod on path
// (with its query), with {"requestObject": req} as the body unless req is
// nil, and decodes the responseObject of an OK answer into resp. Errors
// are those of Call.
func (c *Client) CallPath(ctx context.Context, httpMethod, path string, req, resp any) error {
	return c.do(ctx, httpMethod+" "+path, httpMethod, path, req != nil, req, resp)
}
