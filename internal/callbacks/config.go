package callbacks

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
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/store"
)

// Delivery defaults applied to callbacks that do not set their own values
// (the reference server's defaults).
const (
	// DefaultMaxAttempts is the number of delivery attempts (1: no retry).
	DefaultMaxAttempts = 1
	// DefaultInitialBackoff is the delay before the first retry.
	DefaultInitialBackoff = 2 * time.Second
	// DefaultRetentionPeriod is how long delivered events are kept.
	DefaultRetentionPeriod = 30 * 24 * time.Hour
)

// MaxURLLength is the longest callback URL accepted (the column size).
const MaxURLLength = 1024

// attributesOf lists the optional payload attributes of each type.
var attributesOf = map[domain.CallbackType][]string{
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

// Attributes returns the payload attributes a callback of type t may request.
func Attributes(t domain.CallbackType) []string {
	return slices.Clone(attributesOf[t])
}

// Authentication is how mauth authenticates to a callback URL. It
// holds secrets and is only ever stored sealed; the JSON names are the
// wire names of the private API. A nil secret in an update keeps the
// stored one; an empty string clears it.
type Authentication struct {
	// Certificate configures TLS client authentication.
	Certificate *Certificate `json:"certificate,omitempty"`
	// HTTPBasic configures HTTP Basic authentication.
	HTTPBasic *HTTPBasic `json:"httpBasic,omitempty"`
	// OAuth2 configures an OAuth 2.0 client-credentials bearer token.
	OAuth2 *OAuth2 `json:"oauth2,omitempty"`
}

// Certificate configures TLS client authentication of callbacks:
// a key store (by location or inline Base64 content) with the client key
// and an optional custom trust store.
type Certificate struct {
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

// HTTPBasic configures HTTP Basic authentication of callbacks.
type HTTPBasic struct {
	Enabled  bool    `json:"enabled"`
	Username string  `json:"username,omitempty"`
	Password *string `json:"password,omitempty"`
}

// OAuth2 configures OAuth 2.0 client-credentials authentication of callbacks.
type OAuth2 struct {
	Enabled      bool    `json:"enabled"`
	ClientID     string  `json:"clientId,omitempty"`
	ClientSecret *string `json:"clientSecret,omitempty"`
	TokenURI     string  `json:"tokenUri,omitempty"`
	Scope        string  `json:"scope,omitempty"`
}

// AuthenticationPublic is Authentication with every secret
// replaced by a flag telling whether it is set.
type AuthenticationPublic struct {
	Certificate CertificatePublic `json:"certificate"`
	HTTPBasic   HTTPBasicPublic   `json:"httpBasic"`
	OAuth2      OAuth2Public      `json:"oauth2"`
}

// CertificatePublic is the public view of Certificate.
type CertificatePublic struct {
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

// HTTPBasicPublic is the public view of HTTPBasic.
type HTTPBasicPublic struct {
	Enabled     bool    `json:"enabled"`
	Username    *string `json:"username"`
	PasswordSet bool    `json:"passwordSet"`
}

// OAuth2Public is the public view of OAuth2.
type OAuth2Public struct {
	Enabled         bool    `json:"enabled"`
	TokenURI        *string `json:"tokenUri"`
	ClientID        *string `json:"clientId"`
	ClientSecretSet bool    `json:"clientSecretSet"`
	Scope           *string `json:"scope"`
}

// Public returns the view of a without secrets.
func (a Authentication) Public() AuthenticationPublic {
	var p AuthenticationPublic
	if c := a.Certificate; c != nil {
		p.Certificate = CertificatePublic{
			Enabled: c.Enabled, UseCustomKeyStore: c.UseCustomKeyStore, KeyStoreLocation: optString(c.KeyStoreLocation),
			KeyStorePasswordSet: isSet(c.KeyStorePassword), KeyAlias: optString(c.KeyAlias), KeyPasswordSet: isSet(c.KeyPassword),
			UseCustomTrustStore: c.UseCustomTrustStore, TrustStoreLocation: optString(c.TrustStoreLocation),
			TrustStorePasswordSet: isSet(c.TrustStorePassword),
		}
	}
	if b := a.HTTPBasic; b != nil {
		p.HTTPBasic = HTTPBasicPublic{Enabled: b.Enabled, Username: optString(b.Username), PasswordSet: isSet(b.Password)}
	}
	if o := a.OAuth2; o != nil {
		p.OAuth2 = OAuth2Public{
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
func (a *Authentication) normalized() *Authentication {
	if a == nil {
		return nil
	}
	out := Authentication{}
	if c := a.Certificate; c != nil {
		cc := *c
		cc.KeyStoreContent, cc.KeyStorePassword, cc.KeyPassword = keep(c.KeyStoreContent, nil), keep(c.KeyStorePassword, nil), keep(c.KeyPassword, nil)
		cc.TrustStoreContent, cc.TrustStorePassword = keep(c.TrustStoreContent, nil), keep(c.TrustStorePassword, nil)
		if cc != (Certificate{}) {
			out.Certificate = &cc
		}
	}
	if b := a.HTTPBasic; b != nil {
		bb := *b
		bb.Password = keep(b.Password, nil)
		if bb != (HTTPBasic{}) {
			out.HTTPBasic = &bb
		}
	}
	if o := a.OAuth2; o != nil {
		oo := *o
		oo.ClientSecret = keep(o.ClientSecret, nil)
		if oo != (OAuth2{}) {
			out.OAuth2 = &oo
		}
	}
	if out.Certificate == nil && out.HTTPBasic == nil && out.OAuth2 == nil {
		return nil
	}
	return &out
}

// mergeSecrets fills the secrets req does not resend from old (update).
func mergeSecrets(req, old *Authentication) *Authentication {
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
func (a *Authentication) validate() error {
	if a == nil {
		return nil
	}
	if c := a.Certificate; c != nil {
		if c.UseCustomKeyStore && c.KeyStoreLocation != "" && isSet(c.KeyStoreContent) {
			return errorf(CodeInvalidRequest, "authentication.certificate - keyStoreLocation and keyStoreContent are mutually exclusive")
		}
		if c.UseCustomTrustStore && c.TrustStoreLocation != "" && isSet(c.TrustStoreContent) {
			return errorf(CodeInvalidRequest, "authentication.certificate - trustStoreLocation and trustStoreContent are mutually exclusive")
		}
	}
	if o := a.OAuth2; o != nil && o.TokenURI != "" && !isHTTPURL(o.TokenURI) {
		return errorf(CodeInvalidURLFormat, "Invalid URL format.")
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
	Authentication AuthenticationPublic
	// RetentionPeriod is how long events are kept.
	RetentionPeriod time.Duration
	// InitialBackoff is the first retry delay.
	InitialBackoff time.Duration
	// MaxAttempts is the delivery attempt limit.
	MaxAttempts int64
}

// Input holds the settings of a callback to create or update. Nil
// optional fields use the server defaults.
type Input struct {
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
	Authentication *Authentication
	// RetentionPeriod is how long events are kept (kept to the millisecond).
	RetentionPeriod *time.Duration
	// InitialBackoff is the first retry delay (kept to the millisecond).
	InitialBackoff *time.Duration
	// MaxAttempts is the delivery attempt limit (at least 1).
	MaxAttempts *int64
}

// ValidateURL requires an absolute http or https URL with a host;
// anything else is CodeInvalidURLFormat.
func ValidateURL(s string) error {
	if len(s) > MaxURLLength {
		return errorf(CodeInvalidRequest, "callbackUrl - size must be at most %d", MaxURLLength)
	}
	if strings.TrimSpace(s) != s || !isHTTPURL(s) {
		return errorf(CodeInvalidURLFormat, "Invalid URL format.")
	}
	if _, err := url.ParseRequestURI(s); err != nil {
		return errorf(CodeInvalidURLFormat, "Invalid URL format.")
	}
	return nil
}

// Registry keeps the callback configuration of applications: it checks
// and stores the settings (sealing their credentials with its secret box),
// and opens them again for delivery. Its methods work over a store
// transaction (or reader) of the caller, so a change commits with
// whatever the caller records with it (the audit entry).
type Registry struct {
	box    *secretbox.Box
	policy *netguard.Policy
	now    func() time.Time
}

// NewRegistry returns a registry: box seals the credentials, policy
// decides which destinations callbacks may reach (nil: the strict
// default, netguard.MustNew()), now is the clock (nil: time.Now).
func NewRegistry(box *secretbox.Box, policy *netguard.Policy, now func() time.Time) *Registry {
	if policy == nil {
		policy = netguard.MustNew()
	}
	if now == nil {
		now = time.Now
	}
	return &Registry{box: box, policy: policy, now: now}
}

// Policy returns the destinations policy of callbacks.
func (r *Registry) Policy() *netguard.Policy { return r.policy }

// timeNow is the registry clock in UTC with the database's precision.
func (r *Registry) timeNow() time.Time { return r.now().UTC().Truncate(time.Millisecond) }

// Validate checks everything of in except the URLs and the
// authentication (see CheckURLs), and returns the attributes to store.
func Validate(in Input) ([]string, error) {
	if strings.TrimSpace(in.Name) == "" {
		return nil, errorf(CodeInvalidRequest, "name - must not be blank")
	}
	if len(in.Name) > maxNameLength {
		return nil, errorf(CodeInvalidRequest, "name - must be at most %d characters", maxNameLength)
	}
	allowed, ok := attributesOf[in.Type]
	if !ok {
		return nil, errorf(CodeInvalidRequest, "type - must be ACTIVATION_STATUS_CHANGE or OPERATION_STATUS_CHANGE")
	}
	attrs := dedupe(in.Attributes)
	for _, a := range in.Attributes {
		if !slices.Contains(allowed, a) {
			return nil, errorf(CodeInvalidRequest, "attributes - %q is not an attribute of %s callbacks", a, in.Type)
		}
	}
	if in.RetentionPeriod != nil && *in.RetentionPeriod < 0 {
		return nil, errorf(CodeInvalidRequest, "retentionPeriod - must be positive or zero")
	}
	if in.InitialBackoff != nil && *in.InitialBackoff < 0 {
		return nil, errorf(CodeInvalidRequest, "initialBackoff - must be positive or zero")
	}
	if in.MaxAttempts != nil && (*in.MaxAttempts < 1 || *in.MaxAttempts > math.MaxInt32) {
		return nil, errorf(CodeInvalidRequest, "maxAttempts - must be between 1 and %d", math.MaxInt32)
	}
	return attrs, nil
}

// CheckURLs checks the callback URL and the authentication settings of
// in and refuses a callback URL or OAuth 2.0 token URL whose host is (or
// resolves to) an address the policy forbids. It resolves names, so it
// runs outside database transactions.
func (r *Registry) CheckURLs(ctx context.Context, in Input) error {
	if err := ValidateURL(in.URL); err != nil {
		return err
	}
	if err := in.Authentication.validate(); err != nil {
		return err
	}
	urls := []struct{ field, url string }{{"callbackUrl", in.URL}}
	if a := in.Authentication; a != nil && a.OAuth2 != nil && a.OAuth2.TokenURI != "" {
		urls = append(urls, struct{ field, url string }{"authentication.oauth2.tokenUri", a.OAuth2.TokenURI})
	}
	for _, u := range urls {
		if err := r.policy.CheckURL(ctx, u.url); err != nil {
			if errors.Is(err, netguard.ErrForbidden) {
				return errorf(CodeForbiddenURL, "%s - %v; allow it with callbacks.allowed_destinations", u.field, err)
			}
			return errorf(CodeInvalidURLFormat, "Invalid URL format.")
		}
	}
	return nil
}

// apply writes the settings of in to cb, sealing auth.
func (r *Registry) apply(cb *domain.CallbackURL, in Input, attrs []string, auth *Authentication) error {
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
		cb.Authentication = r.box.Seal(plain, authContext(cb.ApplicationID, cb.ID))
	}
	return nil
}

// authContext binds sealed callback credentials to their row.
func authContext(applicationID int64, callbackID string) string {
	return "pa_application_callback.authentication:" + strconv.FormatInt(applicationID, 10) + ":" + callbackID
}

// OpenAuthentication decrypts the authentication settings of a stored
// callback (nil when it has none), for delivering events.
func (r *Registry) OpenAuthentication(cb domain.CallbackURL) (*Authentication, error) {
	if len(cb.Authentication) == 0 {
		return nil, nil
	}
	plain, err := r.box.Open(cb.Authentication, authContext(cb.ApplicationID, cb.ID))
	if err != nil {
		return nil, fmt.Errorf("callback %s: open authentication: %w", cb.ID, err)
	}
	var a Authentication
	if err := json.Unmarshal(plain, &a); err != nil {
		return nil, fmt.Errorf("callback %s: decode authentication: %w", cb.ID, err)
	}
	return &a, nil
}

// View converts a stored callback of app for the API.
func (r *Registry) View(app domain.Application, cb domain.CallbackURL) (Callback, error) {
	auth, err := r.OpenAuthentication(cb)
	if err != nil {
		return Callback{}, err
	}
	var pub AuthenticationPublic
	if auth != nil {
		pub = auth.Public()
	}
	out := Callback{
		ID: cb.ID, ApplicationName: app.Name, Name: cb.Name, Type: cb.Type, URL: cb.URL,
		Attributes: nonNil(cb.Attributes), Authentication: pub,
		RetentionPeriod: cb.RetentionPeriod, InitialBackoff: cb.InitialBackoff, MaxAttempts: cb.MaxAttempts,
	}
	if out.RetentionPeriod == 0 {
		out.RetentionPeriod = DefaultRetentionPeriod
	}
	if out.InitialBackoff == 0 {
		out.InitialBackoff = DefaultInitialBackoff
	}
	if out.MaxAttempts == 0 {
		out.MaxAttempts = DefaultMaxAttempts
	}
	return out, nil
}

// Create registers a callback of app inside tx; in was checked with
// Validate (which returned attrs) and CheckURLs.
func (r *Registry) Create(ctx context.Context, tx store.Tx, app domain.Application, in Input, attrs []string) (Callback, error) {
	cb := domain.CallbackURL{ID: uuid.NewString(), ApplicationID: app.ID, Enabled: true, Created: r.timeNow()}
	if err := r.apply(&cb, in, attrs, in.Authentication); err != nil {
		return Callback{}, err
	}
	if err := tx.CreateCallbackURL(ctx, &cb); err != nil {
		return Callback{}, fmt.Errorf("create callback: %w", err)
	}
	return r.View(app, cb)
}

// Update replaces the settings of the callback id of in.ApplicationName
// inside tx; in was checked with Validate (which returned attrs) and
// CheckURLs. Secrets the update does not resend are kept.
func (r *Registry) Update(ctx context.Context, tx store.Tx, id string, in Input, attrs []string) (Callback, error) {
	app, cb, err := OfApplication(ctx, tx, id, in.ApplicationName)
	if err != nil {
		return Callback{}, err
	}
	old, err := r.OpenAuthentication(cb)
	if err != nil {
		return Callback{}, err
	}
	if err := r.apply(&cb, in, attrs, mergeSecrets(in.Authentication, old)); err != nil {
		return Callback{}, err
	}
	cb.LastUpdated = r.timeNow()
	if err := tx.UpdateCallbackURL(ctx, &cb); err != nil {
		return Callback{}, fmt.Errorf("update callback: %w", err)
	}
	return r.View(app, cb)
}

// OfApplication loads an enabled callback that belongs to the named
// application; anything else is CodeInvalidRequest, as in the reference
// server.
func OfApplication(ctx context.Context, rd store.Reader, id, applicationName string) (domain.Application, domain.CallbackURL, error) {
	notFound := errorf(CodeInvalidRequest, "Callback URL does not exist for this application.")
	cb, err := rd.GetCallbackURL(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return domain.Application{}, cb, notFound
	}
	if err != nil {
		return domain.Application{}, cb, fmt.Errorf("load callback: %w", err)
	}
	if !cb.Enabled {
		return domain.Application{}, cb, notFound
	}
	app, err := rd.GetApplication(ctx, cb.ApplicationID)
	if err != nil {
		return app, cb, fmt.Errorf("load application: %w", err)
	}
	if app.Name != applicationName {
		return app, cb, notFound
	}
	return app, cb, nil
}

// List returns the enabled callbacks of app ordered by name.
func (r *Registry) List(ctx context.Context, rd store.Reader, app domain.Application) ([]Callback, error) {
	rows, err := rd.ListCallbackURLs(ctx, app.ID)
	if err != nil {
		return nil, fmt.Errorf("list callbacks: %w", err)
	}
	out := make([]Callback, 0, len(rows))
	for _, cb := range rows {
		if !cb.Enabled {
			continue
		}
		v, err := r.View(app, cb)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	slices.SortStableFunc(out, func(a, b Callback) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Remove disables a callback inside tx (its events stay for the delivery
// history); it reports false when no enabled callback has the id.
func (r *Registry) Remove(ctx context.Context, tx store.Tx, id string) (bool, error) {
	cb, err := tx.GetCallbackURL(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("load callback: %w", err)
	}
	if !cb.Enabled {
		return false, nil
	}
	cb.Enabled, cb.LastUpdated = false, r.timeNow()
	if err := tx.UpdateCallbackURL(ctx, &cb); err != nil {
		return false, fmt.Errorf("disable callback: %w", err)
	}
	return true, nil
}

// maxNameLength is the longest callback name (the column size).
const maxNameLength = 255

// dedupe drops empty and repeated values, keeping the first order.
func dedupe(in []string) []string {
	out := make([]string, 0, len(in))
	seen := map[string]bool{}
	for _, v := range in {
		if v == "" || seen[v] {
			continue
		}
		seen[v] = true
		out = append(out, v)
	}
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return false
	}
	return u.Scheme == "http" || u.Scheme == "https"
}
