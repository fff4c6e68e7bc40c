package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/netguard"
	"github.com/mauth/mauth/internal/store"
)

// Delivery defaults applied to callbacks that do not set their own values
// (the reference server's defaults).
const (
	// DefaultCallbackMaxAttempts is the number of delivery attempts (1: no retry).
	DefaultCallbackMaxAttempts = 1
	// DefaultCallbackInitialBackoff is the delay before the first retry.
	DefaultCallbackInitialBackoff = 2 * time.Second
	// DefaultCallbackRetentionPeriod is how long delivered events are kept.
	DefaultCallbackRetentionPeriod = 30 * 24 * time.Hour
)

// MaxCallbackURLLength is the longest callback URL accepted (the column size).
const MaxCallbackURLLength = 1024

// callbackAttributes lists the optional payload attributes of each type.
var callbackAttributes = map[domain.CallbackType][]string{
	domain.CallbackActivationStatusChange: {
		"userId", "activationName", "deviceInfo", "platform", "protocol", "activationFlags",
		"activationStatus", "blockedReason", "applicationId",
	},
	domain.CallbackOperationStatusChange: {
		"userId", "applications", "operationType", "parameters", "additionalData", "activationFlag",
		"status", "data", "failureCount", "maxFailureCount", "signatureType", "authenticationCodeType",
		"externalId", "timestampCreated", "timestampExpires", "timestampFinalized",
	},
}

// CallbackAttributes returns the payload attributes a callback of type t may request.
func CallbackAttributes(t domain.CallbackType) []string {
	return slices.Clone(callbackAttributes[t])
}

// CallbackAuthentication is how mauth authenticates to a callback URL. It
// holds secrets and is only ever stored sealed; the JSON names are the
// wire names of the private API. A nil secret in an update keeps the
// stored one; an empty string clears it.
type CallbackAuthentication struct {
	// Certificate configures TLS client authentication.
	Certificate *CallbackCertificate `json:"certificate,omitempty"`
	// HTTPBasic configures HTTP Basic authentication.
	HTTPBasic *CallbackHTTPBasic `json:"httpBasic,omitempty"`
	// OAuth2 configures an OAuth 2.0 client-credentials bearer token.
	OAuth2 *CallbackOAuth2 `json:"oauth2,omitempty"`
}

// CallbackCertificate configures TLS client authentication of callbacks:
// a key store (by location or inline Base64 content) with the client key
// and an optional custom trust store.
type CallbackCertificate struct {
	Enabled             bool    `json:"enabled"`
	UseCustomKeyStore   bool    `json:"useCustomKeyStore"`
	KeyStoreLocation    string  `json:"keyStoreLocation,omitempty"`
	KeyStoreContent     *string `json:"keyStoreContent,omitempty"`
	KeyStorePassword    *string `json:"keyStorePassword,omitempty"`
	KeyAlias            string  `json:"keyAlias,omitempty"`
	KeyPassword         *string `json:"keyPassword,omitempty"`
	UseCustomTrustStore bool    `json:"useCustomTrustStore"`
	TrustStoreLocation  string  `json:"trustStoreLocation,omitempty"`
	TrustStoreContent   *string `json:"trustStoreContent,omitempty"`
	TrustStorePassword  *string `json:"trustStorePassword,omitempty"`
}

// CallbackHTTPBasic configures HTTP Basic authentication of callbacks.
type CallbackHTTPBasic struct {
	Enabled  bool    `json:"enabled"`
	Username string  `json:"username,omitempty"`
	Password *string `json:"password,omitempty"`
}

// CallbackOAuth2 configures OAuth 2.0 client-credentials authentication of callbacks.
type CallbackOAuth2 struct {
	Enabled      bool    `json:"enabled"`
	ClientID     string  `json:"clientId,omitempty"`
	ClientSecret *string `json:"clientSecret,omitempty"`
	TokenURI     string  `json:"tokenUri,omitempty"`
	Scope        string  `json:"scope,omitempty"`
}

// CallbackAuthenticationPublic is CallbackAuthentication with every secret
// replaced by a flag telling whether it is set.
type CallbackAuthenticationPublic struct {
	Certificate CallbackCertificatePublic `json:"certificate"`
	HTTPBasic   CallbackHTTPBasicPublic   `json:"httpBasic"`
	OAuth2      CallbackOAuth2Public      `json:"oauth2"`
}

// CallbackCertificatePublic is the public view of CallbackCertificate.
type CallbackCertificatePublic struct {
	Enabled               bool    `json:"enabled"`
	UseCustomKeyStore     bool    `json:"useCustomKeyStore"`
	KeyStoreLocation      *string `json:"keyStoreLocation"`
	KeyStorePasswordSet   bool    `json:"keyStorePasswordSet"`
	KeyAlias              *string `json:"keyAlias"`
	KeyPasswordSet        bool    `json:"keyPasswordSet"`
	UseCustomTrustStore   bool    `json:"useCustomTrustStore"`
	TrustStoreLocation    *string `json:"trustStoreLocation"`
	TrustStorePasswordSet bool    `json:"trustStorePasswordSet"`
}

// CallbackHTTPBasicPublic is the public view of CallbackHTTPBasic.
type CallbackHTTPBasicPublic struct {
	Enabled     bool    `json:"enabled"`
	Username    *string `json:"username"`
	PasswordSet bool    `json:"passwordSet"`
}

// CallbackOAuth2Public is the public view of CallbackOAuth2.
type CallbackOAuth2Public struct {
	Enabled         bool    `json:"enabled"`
	TokenURI        *string `json:"tokenUri"`
	ClientID        *string `json:"clientId"`
	ClientSecretSet bool    `json:"clientSecretSet"`
	Scope           *string `json:"scope"`
}

// Public returns the view of a without secrets.
func (a CallbackAuthentication) Public() CallbackAuthenticationPublic {
	var p CallbackAuthenticationPublic
	if c := a.Certificate; c != nil {
		p.Certificate = CallbackCertificatePublic{
			Enabled: c.Enabled, UseCustomKeyStore: c.UseCustomKeyStore, KeyStoreLocation: optString(c.KeyStoreLocation),
			KeyStorePasswordSet: isSet(c.KeyStorePassword), KeyAlias: optString(c.KeyAlias), KeyPasswordSet: isSet(c.KeyPassword),
			UseCustomTrustStore: c.UseCustomTrustStore, TrustStoreLocation: optString(c.TrustStoreLocation),
			TrustStorePasswordSet: isSet(c.TrustStorePassword),
		}
	}
	if b := a.HTTPBasic; b != nil {
		p.HTTPBasic = CallbackHTTPBasicPublic{Enabled: b.Enabled, Username: optString(b.Username), PasswordSet: isSet(b.Password)}
	}
	if o := a.OAuth2; o != nil {
		p.OAuth2 = CallbackOAuth2Public{
			Enabled: o.Enabled, TokenURI: optString(o.TokenURI), ClientID: optString(o.ClientID),
			ClientSecretSet: isSet(o.ClientSecret), Scope: optString(o.Scope),
		}
	}
	return p
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func isSet(s *string) bool { return s != nil && *s != "" }

// keep returns req, or old when req is nil (an update that does not
// resend a secret keeps it); an empty string clears the value.
func keep(req, old *string) *string {
	if req == nil {
		req = old
	}
	if req == nil || *req == "" {
		return nil
	}
	v := *req
	return &v
}

// normalized returns a copy of a with cleared secrets dropped, or nil when
// nothing is configured.
func (a *CallbackAuthentication) normalized() *CallbackAuthentication {
	if a == nil {
		return nil
	}
	out := CallbackAuthentication{}
	if c := a.Certificate; c != nil {
		cc := *c
		cc.KeyStoreContent, cc.KeyStorePassword, cc.KeyPassword = keep(c.KeyStoreContent, nil), keep(c.KeyStorePassword, nil), keep(c.KeyPassword, nil)
		cc.TrustStoreContent, cc.TrustStorePassword = keep(c.TrustStoreContent, nil), keep(c.TrustStorePassword, nil)
		if cc != (CallbackCertificate{}) {
			out.Certificate = &cc
		}
	}
	if b := a.HTTPBasic; b != nil {
		bb := *b
		bb.Password = keep(b.Password, nil)
		if bb != (CallbackHTTPBasic{}) {
			out.HTTPBasic = &bb
		}
	}
	if o := a.OAuth2; o != nil {
		oo := *o
		oo.ClientSecret = keep(o.ClientSecret, nil)
		if oo != (CallbackOAuth2{}) {
			out.OAuth2 = &oo
		}
	}
	if out.Certificate == nil && out.HTTPBasic == nil && out.OAuth2 == nil {
		return nil
	}
	return &out
}

// mergeSecrets fills the secrets req does not resend from old (update).
func mergeSecrets(req, old *CallbackAuthentication) *CallbackAuthentication {
	if req == nil || old == nil {
		return req
	}
	out := *req
	if req.Certificate != nil && old.Certificate != nil {
		c := *req.Certificate
		o := old.Certificate
		c.KeyStoreContent, c.KeyStorePassword, c.KeyPassword = keep(c.KeyStoreContent, o.KeyStoreContent), keep(c.KeyStorePassword, o.KeyStorePassword), keep(c.KeyPassword, o.KeyPassword)
		c.TrustStoreContent, c.TrustStorePassword = keep(c.TrustStoreContent, o.TrustStoreContent), keep(c.TrustStorePassword, o.TrustStorePassword)
		out.Certificate = &c
	}
	if req.HTTPBasic != nil && old.HTTPBasic != nil {
		b := *req.HTTPBasic
		b.Password = keep(b.Password, old.HTTPBasic.Password)
		out.HTTPBasic = &b
	}
	if req.OAuth2 != nil && old.OAuth2 != nil {
		o := *req.OAuth2
		o.ClientSecret = keep(o.ClientSecret, old.OAuth2.ClientSecret)
		out.OAuth2 = &o
	}
	return &out
}

// validate checks the authentication settings.
func (a *CallbackAuthentication) validate() error {
	if a == nil {
		return nil
	}
	if c := a.Certificate; c != nil {
		if c.UseCustomKeyStore && c.KeyStoreLocation != "" && isSet(c.KeyStoreContent) {
			return Errorf(CodeInvalidRequest, "authentication.certificate - keyStoreLocation and keyStoreContent are mutually exclusive")
		}
		if c.UseCustomTrustStore && c.TrustStoreLocation != "" && isSet(c.TrustStoreContent) {
			return Errorf(CodeInvalidRequest, "authentication.certificate - trustStoreLocation and trustStoreContent are mutually exclusive")
		}
	}
	if o := a.OAuth2; o != nil && o.TokenURI != "" && !isHTTPURL(o.TokenURI) {
		return Errorf(CodeInvalidURLFormat, "Invalid URL format.")
	}
	return nil
}

// Callback is a registered callback URL as the private API shows it: the
// delivery settings have the server defaults filled in and the
// authentication carries no secrets.
type Callback struct {
	// ID is the callback UUID.
	ID string
	// ApplicationName is the owning application (the API's applicationId).
	ApplicationName string
	// Name is a human-readable label.
	Name string
	// Type selects the events.
	Type domain.CallbackType
	// URL is where events are POSTed.
	URL string
	// Attributes are the optional payload attributes sent.
	Attributes []string
	// Authentication is the authentication without secrets.
	Authentication CallbackAuthenticationPublic
	// RetentionPeriod is how long events are kept.
	RetentionPeriod time.Duration
	// InitialBackoff is the first retry delay.
	InitialBackoff time.Duration
	// MaxAttempts is the delivery attempt limit.
	MaxAttempts int64
}

// CallbackInput holds the settings of a callback to create or update. Nil
// optional fields use the server defaults.
type CallbackInput struct {
	// ApplicationName is the owning application (the API's applicationId).
	ApplicationName string
	// Name is a human-readable label (required).
	Name string
	// Type selects the events (required).
	Type domain.CallbackType
	// URL is the absolute http(s) URL events are POSTed to (required).
	URL string
	// Attributes are optional payload attributes allowed for Type.
	Attributes []string
	// Authentication configures how mauth authenticates to URL; nil for none.
	Authentication *CallbackAuthentication
	// RetentionPeriod is how long events are kept (kept to the millisecond).
	RetentionPeriod *time.Duration
	// InitialBackoff is the first retry delay (kept to the millisecond).
	InitialBackoff *time.Duration
	// MaxAttempts is the delivery attempt limit (at least 1).
	MaxAttempts *int64
}

// ValidateCallbackURL requires an absolute http or https URL with a host;
// anything else is CodeInvalidURLFormat.
func ValidateCallbackURL(s string) error {
	if len(s) > MaxCallbackURLLength {
		return Errorf(CodeInvalidRequest, "callbackUrl - size must be at most %d", MaxCallbackURLLength)
	}
	if strings.TrimSpace(s) != s || !isHTTPURL(s) {
		return Errorf(CodeInvalidURLFormat, "Invalid URL format.")
	}
	if _, err := url.ParseRequestURI(s); err != nil {
		return Errorf(CodeInvalidURLFormat, "Invalid URL format.")
	}
	return nil
}

// checkDestinations refuses a callback URL or OAuth 2.0 token URL whose
// host is (or resolves to) an address the callback policy forbids. It
// resolves names, so it runs outside database transactions.
func (s *Service) checkDestinations(ctx context.Context, in CallbackInput) error {
	urls := []struct{ field, url string }{{"callbackUrl", in.URL}}
	if a := in.Authentication; a != nil && a.OAuth2 != nil && a.OAuth2.TokenURI != "" {
		urls = append(urls, struct{ field, url string }{"authentication.oauth2.tokenUri", a.OAuth2.TokenURI})
	}
	for _, u := range urls {
		if err := s.callbackPolicy.CheckURL(ctx, u.url); err != nil {
			if errors.Is(err, netguard.ErrForbidden) {
				return Errorf(CodeForbiddenCallbackURL, "%s - %v; allow it with callbacks.allowed_destinations", u.field, err)
			}
			return Errorf(CodeInvalidURLFormat, "Invalid URL format.")
		}
	}
	return nil
}

// validateSettings checks everything of in except the URL and the
// authentication, and returns the attributes to store.
func (in CallbackInput) validateSettings() ([]string, error) {
	if err := validName("name", in.Name); err != nil {
		return nil, err
	}
	allowed, ok := callbackAttributes[in.Type]
	if !ok {
		return nil, Errorf(CodeInvalidRequest, "type - must be ACTIVATION_STATUS_CHANGE or OPERATION_STATUS_CHANGE")
	}
	attrs := dedupe(in.Attributes)
	for _, a := range in.Attributes {
		if !slices.Contains(allowed, a) {
			return nil, Errorf(CodeInvalidRequest, "attributes - %q is not an attribute of %s callbacks", a, in.Type)
		}
	}
	if in.RetentionPeriod != nil && *in.RetentionPeriod < 0 {
		return nil, Errorf(CodeInvalidRequest, "retentionPeriod - must be positive or zero")
	}
	if in.InitialBackoff != nil && *in.InitialBackoff < 0 {
		return nil, Errorf(CodeInvalidRequest, "initialBackoff - must be positive or zero")
	}
	if in.MaxAttempts != nil && (*in.MaxAttempts < 1 || *in.MaxAttempts > math.MaxInt32) {
		return nil, Errorf(CodeInvalidRequest, "maxAttempts - must be between 1 and %d", math.MaxInt32)
	}
	return attrs, nil
}

// applyCallbackInput writes the settings of in to cb, sealing auth.
func (s *Service) applyCallbackInput(cb *domain.CallbackURL, in CallbackInput, attrs []string, auth *CallbackAuthentication) error {
	cb.Name, cb.Type, cb.URL, cb.Attributes = in.Name, in.Type, in.URL, nonNil(attrs)
	cb.RetentionPeriod, cb.InitialBackoff, cb.MaxAttempts = 0, 0, 0
	if in.RetentionPeriod != nil {
		cb.RetentionPeriod = in.RetentionPeriod.Truncate(time.Millisecond)
	}
	if in.InitialBackoff != nil {
		cb.InitialBackoff = in.InitialBackoff.Truncate(time.Millisecond)
	}
	if in.MaxAttempts != nil {
		cb.MaxAttempts = *in.MaxAttempts
	}
	cb.Authentication = nil
	if auth = auth.normalized(); auth != nil {
		plain, err := json.Marshal(auth)
		if err != nil {
			return fmt.Errorf("encode callback authentication: %w", err)
		}
		cb.Authentication = s.box.Seal(plain, callbackAuthContext(cb.ApplicationID, cb.ID))
	}
	return nil
}

// callbackAuthContext binds sealed callback credentials to their row.
func callbackAuthContext(applicationID int64, callbackID string) string {
	return "pa_application_callback.authentication:" + strconv.FormatInt(applicationID, 10) + ":" + callbackID
}

// OpenCallbackAuthentication decrypts the authentication settings of a
// stored callback (nil when it has none), for delivering events.
func (s *Service) OpenCallbackAuthentication(cb domain.CallbackURL) (*CallbackAuthentication, error) {
	if len(cb.Authentication) == 0 {
		return nil, nil
	}
	plain, err := s.box.Open(cb.Authentication, callbackAuthContext(cb.ApplicationID, cb.ID))
	if err != nil {
		return nil, fmt.Errorf("callback %s: open authentication: %w", cb.ID, err)
	}
	var a CallbackAuthentication
	if err := json.Unmarshal(plain, &a); err != nil {
		return nil, fmt.Errorf("callback %s: decode authentication: %w", cb.ID, err)
	}
	return &a, nil
}

// callbackView converts a stored callback for the API.
func (s *Service) callbackView(app domain.Application, cb domain.CallbackURL) (Callback, error) {
	auth, err := s.OpenCallbackAuthentication(cb)
	if err != nil {
		return Callback{}, err
	}
	var pub CallbackAuthenticationPublic
	if auth != nil {
		pub = auth.Public()
	}
	out := Callback{
		ID: cb.ID, ApplicationName: app.Name, Name: cb.Name, Type: cb.Type, URL: cb.URL,
		Attributes: nonNil(cb.Attributes), Authentication: pub,
		RetentionPeriod: cb.RetentionPeriod, InitialBackoff: cb.InitialBackoff, MaxAttempts: cb.MaxAttempts,
	}
	if out.RetentionPeriod == 0 {
		out.RetentionPeriod = DefaultCallbackRetentionPeriod
	}
	if out.InitialBackoff == 0 {
		out.InitialBackoff = DefaultCallbackInitialBackoff
	}
	if out.MaxAttempts == 0 {
		out.MaxAttempts = DefaultCallbackMaxAttempts
	}
	return out, nil
}

// CreateCallback registers a callback URL for an application. The audit
// record is written in the same transaction.
func (s *Service) CreateCallback(ctx context.Context, in CallbackInput) (Callback, error) {
	attrs, err := in.validateSettings()
	if err != nil {
		return Callback{}, err
	}
	if err := ValidateCallbackURL(in.URL); err != nil {
		return Callback{}, err
	}
	if err := in.Authentication.validate(); err != nil {
		return Callback{}, err
	}
	if err := s.checkDestinations(ctx, in); err != nil {
		return Callback{}, err
	}
	var out Callback
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		app, err := s.applicationByName(ctx, tx, in.ApplicationName)
		if err != nil {
			return err
		}
		cb := domain.CallbackURL{ID: uuid.NewString(), ApplicationID: app.ID, Enabled: true, Created: s.Now()}
		if err := s.applyCallbackInput(&cb, in, attrs, in.Authentication); err != nil {
			return err
		}
		if err := tx.CreateCallbackURL(ctx, &cb); err != nil {
			return fmt.Errorf("create callback: %w", err)
		}
		if out, err = s.callbackView(app, cb); err != nil {
			return err
		}
		return s.writeAdminAudit(ctx, tx, "CALLBACK_CREATED", out.ApplicationName, map[string]string{"callbackId": out.ID, "callbackUrl": out.URL, "type": string(out.Type)})
	})
	return out, err
}

// UpdateCallback replaces the settings of the callback id of
// in.ApplicationName. Secrets the update does not resend are kept. The
// audit record is written in the same transaction.
func (s *Service) UpdateCallback(ctx context.Context, id string, in CallbackInput) (Callback, error) {
	attrs, err := in.validateSettings()
	if err != nil {
		return Callback{}, err
	}
	// An unknown callback is refused before the URL, as before; the URL
	// checks (which may resolve names) run outside the transaction.
	if _, _, err := s.callbackOfApplication(ctx, s.store, id, in.ApplicationName); err != nil {
		return Callback{}, err
	}
	if err := ValidateCallbackURL(in.URL); err != nil {
		return Callback{}, err
	}
	if err := in.Authentication.validate(); err != nil {
		return Callback{}, err
	}
	if err := s.checkDestinations(ctx, in); err != nil {
		return Callback{}, err
	}
	var out Callback
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		app, cb, err := s.callbackOfApplication(ctx, tx, id, in.ApplicationName)
		if err != nil {
			return err
		}
		old, err := s.OpenCallbackAuthentication(cb)
		if err != nil {
			return err
		}
		if err := s.applyCallbackInput(&cb, in, attrs, mergeSecrets(in.Authentication, old)); err != nil {
			return err
		}
		cb.LastUpdated = s.Now()
		if err := tx.UpdateCallbackURL(ctx, &cb); err != nil {
			return fmt.Errorf("update callback: %w", err)
		}
		if out, err = s.callbackView(app, cb); err != nil {
			return err
		}
		return s.writeAdminAudit(ctx, tx, "CALLBACK_UPDATED", out.ApplicationName, map[string]string{"callbackId": out.ID, "callbackUrl": out.URL, "type": string(out.Type)})
	})
	return out, err
}

// callbackOfApplication loads an enabled callback that belongs to the
// named application; anything else is CodeInvalidRequest, as in the
// reference server.
func (s *Service) callbackOfApplication(ctx context.Context, r store.Reader, id, applicationName string) (domain.Application, domain.CallbackURL, error) {
	notFound := Errorf(CodeInvalidRequest, "Callback URL does not exist for this application.")
	cb, err := r.GetCallbackURL(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return domain.Application{}, cb, notFound
	}
	if err != nil {
		return domain.Application{}, cb, fmt.Errorf("load callback: %w", err)
	}
	if !cb.Enabled {
		return domain.Application{}, cb, notFound
	}
	app, err := r.GetApplication(ctx, cb.ApplicationID)
	if err != nil {
		return app, cb, fmt.Errorf("load application: %w", err)
	}
	if app.Name != applicationName {
		return app, cb, notFound
	}
	return app, cb, nil
}

// ListCallbacks returns the callbacks of an application ordered by name.
func (s *Service) ListCallbacks(ctx context.Context, applicationName string) ([]Callback, error) {
	var out []Callback
	err := s.store.View(ctx, func(r store.Reader) error {
		out = nil
		app, err := s.applicationByName(ctx, r, applicationName)
		if err != nil {
			return err
		}
		rows, err := r.ListCallbackURLs(ctx, app.ID)
		if err != nil {
			return fmt.Errorf("list callbacks: %w", err)
		}
		out = make([]Callback, 0, len(rows))
		for _, cb := range rows {
			if !cb.Enabled {
				continue
			}
			v, err := s.callbackView(app, cb)
			if err != nil {
				return err
			}
			out = append(out, v)
		}
		return nil
	})
	slices.SortStableFunc(out, func(a, b Callback) int { return strings.Compare(a.Name, b.Name) })
	return out, err
}

// RemoveCallback disables a callback (its events stay for the delivery
// history); it reports false when no enabled callback has the id. The
// audit record is written in the same transaction.
func (s *Service) RemoveCallback(ctx context.Context, id string) (bool, error) {
	removed := false
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		removed = false
		cb, err := tx.GetCallbackURL(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("load callback: %w", err)
		}
		if !cb.Enabled {
			return nil
		}
		cb.Enabled, cb.LastUpdated = false, s.Now()
		if err := tx.UpdateCallbackURL(ctx, &cb); err != nil {
			return fmt.Errorf("disable callback: %w", err)
		}
		removed = true
		return s.writeAdminAudit(ctx, tx, "CALLBACK_REMOVED", "", map[string]string{"callbackId": id})
	})
	if err != nil {
		removed = false
	}
	return removed, err
}
