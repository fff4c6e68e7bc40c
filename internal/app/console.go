package app

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/mauth/mauth/internal/api/admin"
	apimobileutil "github.com/mauth/mauth/internal/api/mobileutil"
	"github.com/mauth/mauth/internal/api/mtoken"
	"github.com/mauth/mauth/internal/api/pushserver"
	"github.com/mauth/mauth/internal/callbacks"
	"github.com/mauth/mauth/internal/console"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/push"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/protocol"
)

// consoleCore adapts the core service to the console's port
// (console.Core). The console user is the actor carried by ctx; it is also
// the externalUserId of the activation history.
type consoleCore struct {
	svc  *service.Service
	push *push.Service
	st   store.Store
}

var _ console.Core = consoleCore{}

func actor(ctx context.Context) string { return domain.RequestInfoOf(ctx).Actor }

func (c consoleCore) CreateApplication(ctx context.Context, name string) (domain.Application, error) {
	return c.svc.CreateApplication(ctx, name, nil)
}

func (c consoleCore) Application(ctx context.Context, name string) (console.ApplicationView, error) {
	d, err := c.svc.GetApplicationDetail(ctx, name)
	if err != nil {
		return console.ApplicationView{}, err
	}
	v := console.ApplicationView{Application: d.Application}
	for _, ver := range d.Versions {
		v.Versions = append(v.Versions, console.VersionView{Version: ver, SDKConfig: d.SDKConfig(ver)})
	}
	return v, nil
}

func (c consoleCore) CreateApplicationVersion(ctx context.Context, application, version string) error {
	_, err := c.svc.CreateApplicationVersion(ctx, application, version)
	return err
}

func (c consoleCore) SetApplicationVersionSupported(ctx context.Context, application, version string, supported bool) error {
	_, err := c.svc.SetApplicationVersionSupported(ctx, application, version, supported)
	return err
}

func (c consoleCore) Callbacks(ctx context.Context, application string) ([]console.CallbackView, error) {
	list, err := c.svc.ListCallbacks(ctx, application)
	if err != nil {
		return nil, err
	}
	out := make([]console.CallbackView, 0, len(list))
	for _, cb := range list {
		out = append(out, console.CallbackView{ID: cb.ID, Name: cb.Name, URL: cb.URL, Type: string(cb.Type)})
	}
	return out, nil
}

func (c consoleCore) CreateCallback(ctx context.Context, application, name, url string) error {
	_, err := c.svc.CreateCallback(ctx, service.CallbackInput{ApplicationName: application, Name: name,
		Type: domain.CallbackActivationStatusChange, URL: url})
	return err
}

func (c consoleCore) RemoveCallback(ctx context.Context, id string) error {
	found, err := c.svc.RemoveCallback(ctx, id)
	if err == nil && !found {
		return console.NotFound
	}
	return err
}

func (c consoleCore) InitActivation(ctx context.Context, in console.ActivationInput) (console.NewActivation, error) {
	req := service.InitActivationInput{ApplicationID: in.Application, UserID: in.UserID, ActivationOTP: in.OTP}
	if in.OTP != "" {
		phase := domain.CommitPhaseOnCommit
		if in.OTPOnKeyExchange {
			phase = domain.CommitPhaseOnKeyExchange
		}
		req.CommitPhase = &phase
	}
	a, err := c.svc.InitActivation(ctx, req)
	if err != nil {
		return console.NewActivation{}, err
	}
	return console.NewActivation{ActivationID: a.ActivationID, ActivationCode: a.ActivationCode,
		QR: protocol.ActivationQRString(a.ActivationCode, a.ActivationSignature), Expires: a.ActivationExpire}, nil
}

func (c consoleCore) CommitActivation(ctx context.Context, id, otp string) error {
	_, err := c.svc.CommitActivation(ctx, id, actor(ctx), otp)
	return err
}

func (c consoleCore) BlockActivation(ctx context.Context, id, reason string) error {
	_, err := c.svc.BlockActivation(ctx, id, reason, actor(ctx))
	return err
}

func (c consoleCore) UnblockActivation(ctx context.Context, id string) error {
	_, err := c.svc.UnblockActivation(ctx, id, actor(ctx))
	return err
}

func (c consoleCore) RemoveActivation(ctx context.Context, id string) error {
	_, err := c.svc.RemoveActivation(ctx, id, actor(ctx), false)
	return err
}

func (c consoleCore) CreateOperation(ctx context.Context, in console.NewOperation) (domain.Operation, error) {
	op, err := c.svc.CreateOperation(ctx, service.CreateOperationInput{UserID: in.UserID,
		Applications: []string{in.Application}, TemplateName: in.Template, Parameters: in.Parameters})
	return op.Operation, err
}

func (c consoleCore) CancelOperation(ctx context.Context, id string) error {
	_, err := c.svc.CancelOperation(ctx, id, nil, "CANCELED_BY_OPERATOR")
	return err
}

// templateInput is the core's form of a console template.
func templateInput(in console.TemplateInput) service.OperationTemplateInput {
	types := make([]protocol.SignatureType, 0, len(in.SignatureTypes))
	for _, t := range in.SignatureTypes {
		types = append(types, protocol.SignatureType(t))
	}
	return service.OperationTemplateInput{Name: in.Name, OperationType: in.OperationType,
		DataTemplate: in.DataTemplate, SignatureTypes: types, MaxFailureCount: in.MaxFailureCount, Expiration: in.Expiration}
}

func (c consoleCore) CreateTemplate(ctx context.Context, in console.TemplateInput) error {
	_, err := c.svc.CreateOperationTemplate(ctx, templateInput(in))
	return err
}

func (c consoleCore) UpdateTemplate(ctx context.Context, id int64, in console.TemplateInput) error {
	_, err := c.svc.UpdateOperationTemplate(ctx, id, templateInput(in))
	return err
}

func (c consoleCore) RemoveTemplate(ctx context.Context, id int64) error {
	return c.svc.RemoveOperationTemplate(ctx, id)
}

func (c consoleCore) CreateIntegration(ctx context.Context, name string) (console.NewIntegration, error) {
	in, err := c.svc.CreateIntegration(ctx, name)
	return console.NewIntegration{ID: in.ID, Name: in.Name, ClientToken: in.ClientToken, ClientSecret: in.ClientSecret}, err
}

func (c consoleCore) RemoveIntegration(ctx context.Context, id string) error {
	found, err := c.svc.RemoveIntegration(ctx, id)
	if err == nil && !found {
		return console.NotFound
	}
	return err
}

// ConsoleOptions tune the admin console (tests lower the password cost).
type ConsoleOptions struct {
	// IdleTimeout and AbsoluteTimeout end sessions (defaults in console).
	IdleTimeout, AbsoluteTimeout time.Duration
	// PasswordMemoryKiB is the Argon2id memory cost of new password hashes.
	PasswordMemoryKiB uint32
	// Now is the console's clock (default time.Now).
	Now func() time.Time
}

// mountConsole serves the admin console at /admin/ on the private
// listener, in front of the private API.
func (a *App) mountConsole() error {
	o := a.cfg.Console
	svc, err := console.New(console.Options{Store: a.Store, Core: consoleCore{svc: a.Service, push: a.Push, st: a.Store}, Now: o.Now,
		IdleTimeout: o.IdleTimeout, AbsoluteTimeout: o.AbsoluteTimeout, PasswordMemoryKiB: o.PasswordMemoryKiB})
	if err != nil {
		return err
	}
	srv, err := admin.New(admin.Options{Console: svc, Logger: a.log})
	if err != nil {
		return err
	}
	a.Console = svc
	// The console takes /admin/ except the roots of the push server's and
	// the mobile utility services' administration APIs, which stay with
	// the rest of the private listener.
	consoleHandler, priv := srv.Handler(), a.Private
	mux := http.NewServeMux()
	mux.Handle(admin.Prefix, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if pushserver.OwnsAdmin(r.URL.Path) || apimobileutil.OwnsAdmin(r.URL.Path) {
			priv.ServeHTTP(w, r)
			return
		}
		consoleHandler.ServeHTTP(w, r)
	}))
	mux.Handle("/", priv)
	a.Private = mux
	return nil
}

// ConsoleUserActor is the audit actor of console users created offline.
const ConsoleUserActor = "cli:admin-user-create"

// CreateConsoleUser creates a console user directly in the database (the
// first one, before anybody can sign in), like RecoverAdmin: it never
// creates a database and refuses one with pending migrations.
func CreateConsoleUser(ctx context.Context, c Config, username, password string, role domain.ConsoleRole) (domain.ConsoleUser, error) {
	if c.embedded() {
		path := strings.TrimPrefix(c.DatabaseURL, "sqlite:")
		if path == "" {
			path = filepath.Join(c.DataDir, "mauth.db")
		}
		if _, err := os.Stat(path); err != nil {
			return domain.ConsoleUser{}, fmt.Errorf("no database (start `mauth serve` once, or run `mauth migrate`): %w", err)
		}
	}
	st, err := OpenStore(ctx, c, false)
	if err != nil {
		return domain.ConsoleUser{}, err
	}
	defer st.Close()
	n, err := st.PendingMigrations(ctx)
	if err != nil {
		return domain.ConsoleUser{}, fmt.Errorf("check migrations: %w", err)
	}
	if n > 0 {
		return domain.ConsoleUser{}, fmt.Errorf("%d database migrations are pending: run `mauth migrate` first", n)
	}
	svc, err := console.New(console.Options{Store: st, PasswordMemoryKiB: c.Console.PasswordMemoryKiB})
	if err != nil {
		return domain.ConsoleUser{}, err
	}
	u, err := svc.CreateUser(ctx, ConsoleUserActor, username, password, role)
	var ce *console.Error
	if errors.As(err, &ce) {
		return u, errors.New(ce.Message)
	}
	return u, err
}

func (c consoleCore) UpdateCallback(ctx context.Context, application, id, name, url string) error {
	list, err := c.svc.ListCallbacks(ctx, application)
	if err != nil {
		return err
	}
	for _, cb := range list {
		if cb.ID != id {
			continue
		}
		row, err := c.st.GetCallbackURL(ctx, id)
		if err != nil {
			return fmt.Errorf("read callback: %w", err)
		}
		auth, err := c.svc.OpenCallbackAuthentication(row)
		if err != nil {
			return err
		}
		retention, backoff, attempts := cb.RetentionPeriod, cb.InitialBackoff, cb.MaxAttempts
		_, err = c.svc.UpdateCallback(ctx, id, service.CallbackInput{ApplicationName: application, Name: name, Type: cb.Type, URL: url,
			Attributes: cb.Attributes, Authentication: auth, RetentionPeriod: &retention, InitialBackoff: &backoff, MaxAttempts: &attempts})
		return err
	}
	return console.NotFound
}

func (c consoleCore) RecoveryConfig(ctx context.Context, application string) (console.RecoverySettings, error) {
	rc, err := c.svc.GetRecoveryConfig(ctx, application)
	if err != nil {
		return console.RecoverySettings{}, err
	}
	out := console.RecoverySettings{ActivationRecovery: rc.ActivationRecoveryEnabled, Postcard: rc.RecoveryPostcardEnabled,
		MultipleCodes: rc.AllowMultipleRecoveryCodes}
	if len(rc.PostcardPublicKey) > 0 {
		out.PostcardKey = base64.StdEncoding.EncodeToString(rc.PostcardPublicKey)
	}
	return out, nil
}

func (c consoleCore) SetRecoveryConfig(ctx context.Context, application string, in console.RecoverySettings) error {
	return c.svc.UpdateRecoveryConfig(ctx, service.UpdateRecoveryConfigInput{ApplicationName: application,
		ActivationRecoveryEnabled: in.ActivationRecovery, RecoveryPostcardEnabled: in.Postcard, AllowMultipleRecoveryCodes: in.MultipleCodes})
}

func (c consoleCore) ApplicationIntegrations(ctx context.Context, application string) ([]console.IntegrationAccess, error) {
	list, err := c.svc.ListIntegrations(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]console.IntegrationAccess, 0, len(list))
	for _, in := range list {
		admin := in.Role == domain.IntegrationAdmin
		out = append(out, console.IntegrationAccess{ID: in.ID, Name: in.Name, Admin: admin,
			Allowed: admin || slices.Contains(in.Applications, application)})
	}
	return out, nil
}

func (c consoleCore) SetIntegrationAccess(ctx context.Context, id, application string, allowed bool) error {
	var err error
	if allowed {
		_, err = c.svc.GrantIntegrationApplications(ctx, id, []string{application})
	} else {
		_, err = c.svc.RevokeIntegrationApplications(ctx, id, []string{application})
	}
	return err
}

func (c consoleCore) RecoveryCodes(ctx context.Context, activationID string) ([]console.RecoveryCode, error) {
	list, err := c.svc.LookupRecoveryCodes(ctx, service.RecoveryCodeLookup{ActivationID: activationID})
	if err != nil {
		return nil, err
	}
	out := make([]console.RecoveryCode, 0, len(list))
	for _, rc := range list {
		v := console.RecoveryCode{ID: rc.ID, CodeMasked: rc.CodeMasked, Status: rc.Status.String()}
		for _, p := range rc.PUKs {
			v.PUKs = append(v.PUKs, p.Status.String())
		}
		out = append(out, v)
	}
	return out, nil
}

func (c consoleCore) RevokeRecoveryCode(ctx context.Context, activationID string, id int64) error {
	list, err := c.svc.LookupRecoveryCodes(ctx, service.RecoveryCodeLookup{ActivationID: activationID})
	if err != nil {
		return err
	}
	for _, rc := range list {
		if rc.ID == id {
			_, err := c.svc.RevokeRecoveryCodes(ctx, []int64{id})
			return err
		}
	}
	return console.NotFound
}

// mobileTemplates are the Mobile Token texts of the operations (the
// built-in ones, as served by the Mobile Token API).
var mobileTemplates = mtoken.MustDefaultTemplates()

func (c consoleCore) PreviewOperation(_ context.Context, in console.PreviewInput) (console.Preview, error) {
	data := in.DataTemplate
	for k, v := range in.Parameters {
		data = strings.ReplaceAll(data, "${"+k+"}", v)
	}
	lang := in.Language
	if lang == "" {
		lang = "en"
	}
	now := time.Now().UTC()
	op := mtoken.Operation{ID: "preview", OperationType: in.OperationType, Data: data, Parameters: in.Parameters, Status: "PENDING",
		SignatureTypes: in.SignatureTypes, RiskFlags: in.RiskFlags, Created: now, Expires: now.Add(5 * time.Minute)}
	w := mobileTemplates.Render(op, []string{lang})
	out := console.Preview{Title: w.FormData.Title, Message: w.FormData.Message, Data: w.Data, Factors: w.AllowedSignatureType.Type}
	if len(w.AllowedSignatureType.Variants) > 0 {
		out.Factors += " (" + strings.Join(w.AllowedSignatureType.Variants, ", ") + ")"
	}
	for _, a := range w.FormData.Attributes {
		v := a.ValueFormatted
		switch {
		case v != "":
		case a.Value != "":
			v = a.Value
		case a.Note != "":
			v = a.Note
		case a.Message != "":
			v = a.Title + ": " + a.Message
		case a.SourceValueFormatted != "":
			v = a.SourceValueFormatted + " → " + a.TargetValueFormatted
		case a.PartyInfo != nil:
			v = a.PartyInfo.Name
		case a.OriginalURL != "":
			v = a.OriginalURL
		}
		out.Attributes = append(out.Attributes, console.PreviewAttribute{Type: a.Type, Label: a.Label, Value: v})
	}
	if pre, ok := w.UI["preApprovalScreen"].(map[string]any); ok {
		out.Warning = fmt.Sprint(pre["heading"], ": ", pre["message"])
	}
	return out, nil
}

func (c consoleCore) SendTestCallback(ctx context.Context, application, id string) error {
	return c.st.InTx(ctx, func(tx store.Tx) error {
		app, cb, err := callbacks.OfApplication(ctx, tx, id, application)
		if err != nil {
			var ce *callbacks.Error
			if errors.As(err, &ce) || errors.Is(err, store.ErrNotFound) {
				return console.NotFound
			}
			return err
		}
		if !cb.Enabled {
			return console.NotFound
		}
		now := c.svc.Now().UTC()
		raw, err := json.Marshal(map[string]any{"type": "TEST", "callbackId": cb.ID, "applicationId": app.Name,
			"timestamp": now.Format(time.RFC3339)})
		if err != nil {
			return err
		}
		e := domain.CallbackEvent{CallbackID: cb.ID, OrderingKey: "test-" + cb.ID, Payload: raw, Status: domain.CallbackEventPending,
			IdempotencyKey: uuid.NewString(), Created: now, NextCall: now}
		if err := tx.CreateCallbackEvent(ctx, &e); err != nil {
			return fmt.Errorf("queue test callback event: %w", err)
		}
		return nil
	})
}
