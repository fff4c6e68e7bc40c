package app

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"

	apicloud "github.com/mauth/mauth/internal/api/cloud"
	"github.com/mauth/mauth/internal/cloud"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/protocol"
)

// cloudCore adapts the core service to the Cloud API's port: every call
// is one of the service's own methods, so the Cloud API runs the same
// rules as /rest/v3.
type cloudCore struct{ svc *service.Service }

var _ cloud.Core = cloudCore{}

// coreError turns a business error of the core into the port's
// CoreError (with the core's safe message); other errors stay internal.
func coreError(err error) error {
	var se *service.Error
	if err == nil || !errors.As(err, &se) {
		return err
	}
	kind := cloud.CoreInvalid
	switch se.Code {
	case service.CodeActivationNotFound, service.CodeOperationNotFound, service.CodeInvalidApplication, service.CodeNoApplicationID:
		kind = cloud.CoreNotFound
	case service.CodeActivationIncorrectState, service.CodeActivationExpired, service.CodeOperationInvalidState,
		service.CodeOperationApproveFailure, service.CodeOperationRejectFailure:
		kind = cloud.CoreState
	case service.CodeTemplateNotFound:
		kind = cloud.CoreTemplateNotFound
	case service.CodeDuplicateApplication, service.CodeTemplateAlreadyExists:
		kind = cloud.CoreDuplicate
	case service.CodeInvalidActivationOTP, service.CodeActivationOTPWrongMode:
		kind = cloud.CoreOTP
	case service.CodeUnknown, service.CodeNoMasterKeyPair, service.CodeInvalidMasterPrivateKey, service.CodeActivationIDGeneration,
		service.CodeActivationCodeGeneration, service.CodeUnableToComputeSignature, service.CodeEncryptionFailed,
		service.CodeDecryptionFailed, service.CodeMissingMasterDBKey, service.CodeGenericCryptography,
		service.CodeCryptographyProvider, service.CodeOperationIDGeneration, service.CodeRecoveryCodeGeneration:
		return err
	}
	return &cloud.CoreError{Kind: kind, Message: se.Message, Cause: err}
}

func (c cloudCore) application(ctx context.Context, name string) (cloud.Application, error) {
	d, err := c.svc.GetApplicationDetail(ctx, name)
	if err != nil {
		return cloud.Application{}, coreError(err)
	}
	out := cloud.Application{Name: d.Application.Name, Roles: d.Application.Roles,
		MasterServerPublicKey: base64.StdEncoding.EncodeToString(d.MasterPublicKey)}
	for _, v := range d.Versions {
		if v.Supported {
			out.AppKey, out.AppSecret, out.MobileSDKConfig = v.ApplicationKey, v.ApplicationSecret, d.SDKConfig(v)
			break
		}
	}
	return out, nil
}

func (c cloudCore) CreateApplication(ctx context.Context, name string, roles []string) (cloud.Application, error) {
	if _, err := c.svc.CreateApplication(ctx, name, roles); err != nil {
		return cloud.Application{}, coreError(err)
	}
	return c.application(ctx, name)
}

func (c cloudCore) GetApplication(ctx context.Context, name string) (cloud.Application, error) {
	return c.application(ctx, name)
}

func (c cloudCore) ListApplications(ctx context.Context) ([]cloud.Application, error) {
	apps, err := c.svc.ListApplications(ctx)
	if err != nil {
		return nil, coreError(err)
	}
	out := make([]cloud.Application, len(apps))
	for i, a := range apps {
		out[i] = cloud.Application{Name: a.Name, Roles: a.Roles}
	}
	return out, nil
}

func (c cloudCore) CreateRegistration(ctx context.Context, in cloud.RegistrationInput) (cloud.Registration, error) {
	init := service.InitActivationInput{UserID: in.UserID, ApplicationID: in.Application, ActivationOTP: in.OTP,
		Flags: in.Flags, ActivationExpire: in.Expires}
	if in.CommitPhase != "" {
		p, err := domain.ParseCommitPhase(in.CommitPhase)
		if err != nil {
			return cloud.Registration{}, &cloud.CoreError{Kind: cloud.CoreInvalid, Message: "commitPhase - unknown value", Cause: err}
		}
		init.CommitPhase = &p
	}
	if in.OTPValidation != "" {
		v, err := domain.ParseOtpValidation(in.OTPValidation)
		if err != nil {
			return cloud.Registration{}, &cloud.CoreError{Kind: cloud.CoreInvalid, Message: "otpValidation - unknown value", Cause: err}
		}
		init.OtpValidation = v
	}
	d, err := c.svc.InitActivation(ctx, init)
	if err != nil {
		return cloud.Registration{}, coreError(err)
	}
	return cloud.Registration{Activation: d.Activation, Application: d.ApplicationName}, nil
}

func (c cloudCore) GetRegistration(ctx context.Context, id string) (cloud.Registration, error) {
	st, err := c.svc.GetActivationStatus(ctx, id, nil)
	if err != nil {
		return cloud.Registration{}, coreError(err)
	}
	if !st.Found {
		return cloud.Registration{}, &cloud.CoreError{Kind: cloud.CoreNotFound, Message: "Registration not found."}
	}
	return cloud.Registration{Activation: st.Activation.Activation, Application: st.Activation.ApplicationName,
		Fingerprint: st.DevicePublicKeyFingerprint}, nil
}

func (c cloudCore) ListRegistrations(ctx context.Context, userID string, applications []string) ([]cloud.Registration, error) {
	var out []cloud.Registration
	for _, app := range applications {
		for page := 0; ; page++ {
			list, err := c.svc.ListActivations(ctx, service.ActivationListQuery{UserID: userID, ApplicationID: app, PageNumber: page})
			if err != nil {
				return nil, coreError(err)
			}
			for _, d := range list {
				out = append(out, cloud.Registration{Activation: d.Activation, Application: d.ApplicationName})
			}
			if len(list) < service.DefaultActivationPageSize {
				break
			}
		}
	}
	return out, nil
}

func (c cloudCore) CommitRegistration(ctx context.Context, id, externalUserID, otp string) error {
	_, err := c.svc.CommitActivation(ctx, id, externalUserID, otp)
	return coreError(err)
}

func (c cloudCore) BlockRegistration(ctx context.Context, id, reason, externalUserID string) error {
	_, err := c.svc.BlockActivation(ctx, id, reason, externalUserID)
	return coreError(err)
}

func (c cloudCore) UnblockRegistration(ctx context.Context, id, externalUserID string) error {
	_, err := c.svc.UnblockActivation(ctx, id, externalUserID)
	return coreError(err)
}

func (c cloudCore) RemoveRegistration(ctx context.Context, id, externalUserID string) error {
	_, err := c.svc.RemoveActivation(ctx, id, externalUserID, false)
	return coreError(err)
}

func cloudOperation(d service.OperationDetail) cloud.Operation {
	return cloud.Operation{Operation: d.Operation, Applications: d.Applications, ProximityOTP: d.ProximityOTP}
}

func (c cloudCore) CreateOperation(ctx context.Context, in cloud.OperationInput) (cloud.Operation, error) {
	if in.Silent {
		ctx = withSilentOperation(ctx) // read by the push wiring (push.go)
	}
	d, err := c.svc.CreateOperation(ctx, service.CreateOperationInput{UserID: in.UserID, Applications: in.Applications,
		TemplateName: in.Template, ActivationFlag: in.ActivationFlag, Expires: in.Expires, ExternalID: in.ExternalID,
		Parameters: in.Parameters, ProximityCheckEnabled: in.ProximityCheckEnabled})
	if err != nil {
		return cloud.Operation{}, coreError(err)
	}
	return cloudOperation(d), nil
}

func (c cloudCore) GetOperation(ctx context.Context, id string) (cloud.Operation, error) {
	d, err := c.svc.GetOperation(ctx, id, "")
	if err != nil {
		return cloud.Operation{}, coreError(err)
	}
	return cloudOperation(d), nil
}

func (c cloudCore) ListOperations(ctx context.Context, userID string, applications []string, pendingOnly bool) ([]cloud.Operation, error) {
	list, err := c.svc.ListOperations(ctx, service.OperationListInput{UserID: userID, Applications: applications, PendingOnly: pendingOnly})
	if err != nil {
		return nil, coreError(err)
	}
	out := make([]cloud.Operation, len(list))
	for i, d := range list {
		out[i] = cloudOperation(d)
	}
	return out, nil
}

func (c cloudCore) CancelOperation(ctx context.Context, id, reason string) (cloud.Operation, error) {
	d, err := c.svc.CancelOperation(ctx, id, nil, reason)
	if err != nil {
		return cloud.Operation{}, coreError(err)
	}
	return cloudOperation(d), nil
}

func (c cloudCore) OperationOfflineQR(ctx context.Context, id, registrationID, title, message string) (cloud.OfflineQR, error) {
	p, err := c.svc.CreateOperationOfflineQR(ctx, service.OperationOfflineQRInput{OperationID: id, ActivationID: registrationID, Title: title, Message: message})
	if err != nil {
		return cloud.OfflineQR{}, coreError(err)
	}
	return cloud.OfflineQR{Data: p.OfflineData, Nonce: p.Nonce}, nil
}

func (c cloudCore) ApproveOperationOffline(ctx context.Context, id, registrationID, nonce, otp string) (cloud.OfflineResult, error) {
	res, err := c.svc.ApproveOperationOffline(ctx, service.ApproveOperationOfflineInput{OperationID: id, ActivationID: registrationID, Nonce: nonce, Signature: otp})
	if err != nil {
		return cloud.OfflineResult{}, coreError(err)
	}
	reg, err := c.GetRegistration(ctx, registrationID)
	if err != nil {
		return cloud.OfflineResult{}, err
	}
	return cloud.OfflineResult{Approved: res.Result == service.ResultApproved, Operation: cloudOperation(res.Operation), Registration: reg}, nil
}

func (c cloudCore) CreateTemplate(ctx context.Context, in cloud.TemplateInput) (domain.OperationTemplate, error) {
	types := make([]protocol.SignatureType, len(in.SignatureTypes))
	for i, t := range in.SignatureTypes {
		types[i] = protocol.SignatureType(strings.ToLower(t))
	}
	t, err := c.svc.CreateOperationTemplate(ctx, service.OperationTemplateInput{Name: in.Name, OperationType: in.OperationType,
		DataTemplate: in.DataTemplate, SignatureTypes: types, MaxFailureCount: in.MaxFailureCount, Expiration: in.Expiration,
		RiskFlags: in.RiskFlags, ProximityCheckEnabled: in.ProximityCheckEnabled})
	return t, coreError(err)
}

func (c cloudCore) ListTemplates(ctx context.Context) ([]domain.OperationTemplate, error) {
	ts, err := c.svc.ListOperationTemplates(ctx)
	return ts, coreError(err)
}

func (c cloudCore) RemoveTemplate(ctx context.Context, name string) error {
	ts, err := c.svc.ListOperationTemplates(ctx)
	if err != nil {
		return coreError(err)
	}
	for _, t := range ts {
		if t.Name == name {
			return coreError(c.svc.RemoveOperationTemplate(ctx, t.ID))
		}
	}
	return &cloud.CoreError{Kind: cloud.CoreNotFound, Message: fmt.Sprintf("operation template %s not found", name)}
}

func (c cloudCore) VerifySignature(ctx context.Context, in cloud.SignatureCheck) (cloud.Verdict, error) {
	res, err := c.svc.VerifySignature(ctx, service.VerifySignatureInput{ActivationID: in.Header.ActivationID,
		ApplicationKey: in.Header.ApplicationKey, Data: in.Data, Signature: in.Header.Signature,
		SignatureType: in.Header.SignatureType, SignatureVersion: in.Header.Version})
	if err != nil {
		return cloud.Verdict{}, coreError(err)
	}
	v := cloud.Verdict{Valid: res.SignatureValid, RegistrationID: res.ActivationID, UserID: res.UserID,
		Status: res.ActivationStatus, SignatureType: strings.ToUpper(string(res.SignatureType)), RemainingAttempts: -1}
	if res.RemainingAttempts != nil {
		v.RemainingAttempts = *res.RemainingAttempts
	}
	return v, nil
}

func (c cloudCore) ValidateToken(ctx context.Context, in cloud.TokenCheck) (cloud.Verdict, error) {
	res, err := c.svc.ValidateToken(ctx, service.ValidateTokenInput{TokenID: in.Header.TokenID, TokenDigest: in.Header.Digest,
		Nonce: in.Header.Nonce, Timestamp: in.Header.TimestampMillis(), ProtocolVersion: in.Header.Version})
	if err != nil {
		return cloud.Verdict{}, coreError(err)
	}
	return cloud.Verdict{Valid: res.TokenValid, RegistrationID: res.ActivationID, UserID: res.UserID, Status: res.ActivationStatus,
		SignatureType: strings.ToUpper(string(res.SignatureType))}, nil
}

func (c cloudCore) callback(ctx context.Context, cb service.Callback) (cloud.Callback, error) {
	secret, err := c.svc.CallbackSigningSecret(ctx, cb.ID)
	if err != nil {
		return cloud.Callback{}, coreError(err)
	}
	return cloud.Callback{ID: cb.ID, Application: cb.ApplicationName, Name: cb.Name, URL: cb.URL, Type: cb.Type, SigningSecret: secret}, nil
}

func (c cloudCore) CreateCallback(ctx context.Context, application, name string, typ domain.CallbackType, url string) (cloud.Callback, error) {
	cb, err := c.svc.CreateCallback(ctx, service.CallbackInput{ApplicationName: application, Name: name, Type: typ, URL: url,
		Attributes: service.CallbackAttributes(typ)})
	if err != nil {
		return cloud.Callback{}, coreError(err)
	}
	return c.callback(ctx, cb)
}

func (c cloudCore) ListCallbacks(ctx context.Context, application string) ([]cloud.Callback, error) {
	cbs, err := c.svc.ListCallbacks(ctx, application)
	if err != nil {
		return nil, coreError(err)
	}
	out := make([]cloud.Callback, 0, len(cbs))
	for _, cb := range cbs {
		x, err := c.callback(ctx, cb)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}

func (c cloudCore) RemoveCallback(ctx context.Context, application, id string) error {
	cbs, err := c.svc.ListCallbacks(ctx, application)
	if err != nil {
		return coreError(err)
	}
	for _, cb := range cbs {
		if cb.ID == id {
			_, err := c.svc.RemoveCallback(ctx, id)
			return coreError(err)
		}
	}
	return &cloud.CoreError{Kind: cloud.CoreNotFound, Message: "callback not found"}
}

// withCloud serves the Cloud API under its prefix on the private
// listener, and everything else with private.
func withCloud(private, cloudAPI http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == apicloud.Prefix || strings.HasPrefix(r.URL.Path, apicloud.Prefix+"/") {
			cloudAPI.ServeHTTP(w, r)
			return
		}
		private.ServeHTTP(w, r)
	})
}

// mountCloud builds the Cloud API over the core service and serves it on
// the private listener under /powerauth-cloud (unless it is disabled).
func (a *App) mountCloud() error {
	c := a.cfg.Cloud
	if c.Disabled {
		return nil
	}
	base := c.ServiceBaseURL
	if base == "" {
		if addr := a.PublicAddr(); addr != nil {
			scheme := "http"
			if a.tls["public"] != nil {
				scheme = "https"
			}
			base = scheme + "://" + addr.String()
		}
	}
	now := a.cfg.cloudNow
	if now == nil {
		now = a.Service.Now
	}
	svc, err := cloud.New(a.Store, a.box, cloudCore{svc: a.Service}, cloud.Options{Now: now, Logger: a.log,
		ServiceBaseURL: base, TokenAudience: c.TokenAudience, TokenLifetime: c.TokenLifetime,
		PasswordHashMemoryKiB: c.PasswordHashMemoryKiB, Push: cloudPush{svc: a.Push}})
	if err != nil {
		return fmt.Errorf("cloud API: %w", err)
	}
	a.Cloud = svc
	a.Private = withCloud(a.Private, apicloud.New(svc, apicloud.Options{Logger: a.log}).Handler())
	return nil
}

// CloudCLIActor names the command line in the audit log of Cloud user changes.
const CloudCLIActor = "cli:cloud"

// OpenCloudOffline opens the Cloud API's service directly on the database
// and server key of c, for `mauth cloud user …`: the first ROLE_ADMIN user
// can only be created this way (the admin API needs one). Like
// RecoverAdmin it never creates a server key or a database and refuses
// pending migrations or a wrong key. Call the returned function to close
// the database.
func OpenCloudOffline(ctx context.Context, c Config) (context.Context, *cloud.Service, func(), error) {
	svc, box, closeStore, err := openOffline(ctx, c)
	if err != nil {
		return ctx, nil, nil, err
	}
	cs, err := cloud.New(svc.Store(), box, cloudCore{svc: svc}, cloud.Options{PasswordHashMemoryKiB: c.Cloud.PasswordHashMemoryKiB})
	if err != nil {
		closeStore()
		return ctx, nil, nil, err
	}
	return domain.WithRequestInfo(ctx, domain.RequestInfo{Actor: CloudCLIActor}), cs, closeStore, nil
}
