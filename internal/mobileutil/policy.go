package mobileutil

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"

	"github.com/mauth/mauth/internal/audit"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// FallbackLanguage is the language of a message when the app's languages
// have no text.
const FallbackLanguage = "en"

// VersionRule is a version rule as the admin API shows it.
type VersionRule struct {
	ID             int64
	Platform       string
	MajorOSVersion *int
	// SuggestedVersion and RequiredVersion are MAJOR.MINOR.PATCH (either may be empty).
	SuggestedVersion string
	RequiredVersion  string
	MessageKey       string
}

var messageKeyPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,255}$`)

// ValidPlatform reports whether p is ANDROID or IOS.
func ValidPlatform(p string) bool {
	return p == domain.MobilePlatformAndroid || p == domain.MobilePlatformIOS
}

// CheckVersionRule validates a version rule.
func CheckVersionRule(r VersionRule) error {
	switch {
	case !ValidPlatform(r.Platform):
		return invalid("platform must be ANDROID or IOS")
	case r.MajorOSVersion != nil && (*r.MajorOSVersion < 0 || *r.MajorOSVersion > 1_000_000):
		return invalid("majorOsVersion must be a non-negative number")
	case r.SuggestedVersion == "" && r.RequiredVersion == "":
		return invalid("suggestedVersion or requiredVersion is needed")
	case r.SuggestedVersion != "" && !ValidAppVersion(r.SuggestedVersion):
		return invalid("suggestedVersion must be MAJOR.MINOR.PATCH")
	case r.RequiredVersion != "" && !ValidAppVersion(r.RequiredVersion):
		return invalid("requiredVersion must be MAJOR.MINOR.PATCH")
	case r.MessageKey != "" && !messageKeyPattern.MatchString(r.MessageKey):
		return invalid("messageKey must match %s", messageKeyPattern)
	}
	return nil
}

func ruleOf(r domain.MobileVersionRule) VersionRule {
	return VersionRule{ID: r.ID, Platform: r.Platform, MajorOSVersion: r.MajorOSVersion, SuggestedVersion: r.SuggestedVersion, RequiredVersion: r.RequiredVersion, MessageKey: r.MessageKey}
}

// CreateVersionRule adds a version rule to an application.
func (s *Service) CreateVersionRule(ctx context.Context, appName string, in VersionRule) (VersionRule, error) {
	if err := CheckVersionRule(in); err != nil {
		return VersionRule{}, err
	}
	var out VersionRule
	major := "any"
	if in.MajorOSVersion != nil {
		major = strconv.Itoa(*in.MajorOSVersion)
	}
	err := s.change(ctx, appName, "MOBILE_VERSION_RULE_CREATED",
		map[string]string{"platform": in.Platform, "majorOsVersion": major, "suggestedVersion": in.SuggestedVersion, "requiredVersion": in.RequiredVersion},
		func(tx store.Tx, a domain.MobileApp) error {
			r := domain.MobileVersionRule{AppID: a.ID, Platform: in.Platform, MajorOSVersion: in.MajorOSVersion,
				SuggestedVersion: in.SuggestedVersion, RequiredVersion: in.RequiredVersion, MessageKey: in.MessageKey}
			if err := tx.CreateMobileVersionRule(ctx, &r); err != nil {
				return err
			}
			out = ruleOf(r)
			return nil
		})
	return out, err
}

// VersionRules lists the version rules of an application.
func (s *Service) VersionRules(ctx context.Context, appName string) ([]VersionRule, error) {
	a, err := s.app(ctx, s.st, appName)
	if err != nil {
		return nil, err
	}
	rules, err := s.st.ListMobileVersionRules(ctx, a.ID)
	if err != nil {
		return nil, fmt.Errorf("list version rules: %w", err)
	}
	out := []VersionRule{}
	for _, r := range rules {
		out = append(out, ruleOf(r))
	}
	return out, nil
}

// VersionRule returns a version rule of an application.
func (s *Service) VersionRule(ctx context.Context, appName string, id int64) (VersionRule, error) {
	a, err := s.app(ctx, s.st, appName)
	if err != nil {
		return VersionRule{}, err
	}
	r, err := s.st.GetMobileVersionRule(ctx, a.ID, id)
	if err != nil {
		return VersionRule{}, mapStoreError(fmt.Errorf("version rule %d: %w", id, err))
	}
	return ruleOf(r), nil
}

// DeleteVersionRule deletes a version rule of an application.
func (s *Service) DeleteVersionRule(ctx context.Context, appName string, id int64) error {
	return s.change(ctx, appName, "MOBILE_VERSION_RULE_DELETED", map[string]string{"id": strconv.FormatInt(id, 10)},
		func(tx store.Tx, a domain.MobileApp) error { return tx.DeleteMobileVersionRule(ctx, a.ID, id) })
}

var languagePattern = regexp.MustCompile(`^[a-z]{2}$`)

// CheckText validates a localized text.
func CheckText(t domain.LocalizedText) error {
	switch {
	case !messageKeyPattern.MatchString(t.Key):
		return invalid("messageKey must match %s", messageKeyPattern)
	case !languagePattern.MatchString(t.Language):
		return invalid("language must be a two-letter ISO 639-1 code in lower case")
	case t.Text == "" || len(t.Text) > 4096:
		return invalid("text must have 1 to 4096 bytes")
	}
	return nil
}

// PutText creates or replaces a localized text.
func (s *Service) PutText(ctx context.Context, t domain.LocalizedText) error {
	if err := CheckText(t); err != nil {
		return err
	}
	return mapStoreError(s.st.InTx(ctx, func(tx store.Tx) error {
		if err := tx.PutLocalizedText(ctx, t); err != nil {
			return err
		}
		return audit.Write(ctx, tx, s.now(), audit.Admin("MOBILE_TEXT_SAVED", "", map[string]string{"messageKey": t.Key, "language": t.Language}))
	}))
}

// Texts lists the localized texts.
func (s *Service) Texts(ctx context.Context) ([]domain.LocalizedText, error) {
	t, err := s.st.ListLocalizedTexts(ctx)
	if err != nil {
		return nil, fmt.Errorf("list texts: %w", err)
	}
	if t == nil {
		t = []domain.LocalizedText{}
	}
	return t, nil
}

// Text returns a localized text.
func (s *Service) Text(ctx context.Context, key, language string) (domain.LocalizedText, error) {
	t, err := s.st.GetLocalizedText(ctx, key, language)
	return t, mapStoreError(err)
}

// DeleteText deletes a localized text.
func (s *Service) DeleteText(ctx context.Context, key, language string) error {
	return mapStoreError(s.st.InTx(ctx, func(tx store.Tx) error {
		if err := tx.DeleteLocalizedText(ctx, key, language); err != nil {
			return err
		}
		return audit.Write(ctx, tx, s.now(), audit.Admin("MOBILE_TEXT_DELETED", "", map[string]string{"messageKey": key, "language": language}))
	}))
}

// InitRequest is what an app sends when it starts.
type InitRequest struct {
	AppName string
	// AppVersion, OSVersion and Platform are optional; the version check
	// runs only when all three are given (and it is enabled).
	AppVersion string
	OSVersion  string
	Platform   string
	// Languages are the app's languages, most preferred first.
	Languages []string
}

// Fingerprint is a pinned certificate of a domain in the init answer.
type Fingerprint struct {
	Name        string
	Fingerprint string
	Expires     int64
}

// VersionResult is the version check's answer.
type VersionResult struct {
	Update  string
	Message string
}

// InitResponse is the answer to an app that starts.
type InitResponse struct {
	// Timestamp is the server time in Unix seconds.
	Timestamp    int64
	Fingerprints []Fingerprint
	// Version is nil when the version check did not run.
	Version *VersionResult
}

// CheckInitRequest validates the versions and platform of a request (the
// application name is checked by Init).
func CheckInitRequest(r InitRequest) error {
	switch {
	case r.AppVersion != "" && !ValidAppVersion(r.AppVersion):
		return invalid("appVersion must be MAJOR.MINOR.PATCH")
	case r.OSVersion != "" && !ValidOSVersion(r.OSVersion):
		return invalid("osVersion must be MAJOR.MINOR.PATCH or a number")
	case r.Platform != "" && !ValidPlatform(r.Platform):
		return invalid("platform must be ANDROID or IOS")
	}
	return nil
}

// Init answers an app that starts: the pinned certificates of its domains
// (expired ones left out), the server time and the version check.
func (s *Service) Init(ctx context.Context, r InitRequest) (InitResponse, error) {
	if err := CheckInitRequest(r); err != nil {
		return InitResponse{}, err
	}
	now := s.now()
	out := InitResponse{Timestamp: now.Unix(), Fingerprints: []Fingerprint{}}
	err := s.st.View(ctx, func(rd store.Reader) error {
		a, err := s.app(ctx, rd, r.AppName)
		if err != nil {
			return err
		}
		certs, err := rd.ListMobileCertificates(ctx, a.ID)
		if err != nil {
			return fmt.Errorf("list certificates: %w", err)
		}
		for _, c := range certs {
			if c.Expires.After(now) {
				out.Fingerprints = append(out.Fingerprints, Fingerprint{Name: c.Domain, Fingerprint: c.Fingerprint, Expires: c.Expires.Unix()})
			}
		}
		if s.opts.DisableVersionCheck || r.AppVersion == "" || r.OSVersion == "" || r.Platform == "" {
			return nil
		}
		rules, err := rd.ListMobileVersionRules(ctx, a.ID)
		if err != nil {
			return fmt.Errorf("list version rules: %w", err)
		}
		res, key := CheckVersion(rules, r.Platform, r.OSVersion, r.AppVersion)
		if key != "" {
			res.Message, err = message(ctx, rd, key, r.Languages)
			if err != nil {
				return err
			}
		}
		out.Version = &res
		return nil
	})
	return out, err
}

// CheckVersion applies the version policy: the rule of the platform and
// the OS version's major version, else the platform's generic rule;
// appVersion below its required version is FORCED, below its suggested
// version SUGGESTED, anything else (no rule included) NOT_REQUIRED. It
// returns the message key to show with an update.
func CheckVersion(rules []domain.MobileVersionRule, platform, osVersion, appVersion string) (VersionResult, string) {
	major := majorVersion(osVersion)
	var rule *domain.MobileVersionRule
	for i, r := range rules {
		if r.Platform != platform {
			continue
		}
		if r.MajorOSVersion != nil && *r.MajorOSVersion == major {
			rule = &rules[i]
			break
		}
		if r.MajorOSVersion == nil && rule == nil {
			rule = &rules[i]
		}
	}
	switch {
	case rule == nil:
		return VersionResult{Update: UpdateNotRequired}, ""
	case rule.RequiredVersion != "" && compareVersions(rule.RequiredVersion, appVersion) > 0:
		return VersionResult{Update: UpdateForced}, rule.MessageKey
	case rule.SuggestedVersion != "" && compareVersions(rule.SuggestedVersion, appVersion) > 0:
		return VersionResult{Update: UpdateSuggested}, rule.MessageKey
	}
	return VersionResult{Update: UpdateNotRequired}, ""
}

// message returns the text of key in the first of languages that has one,
// else in FallbackLanguage, else empty.
func message(ctx context.Context, r store.Reader, key string, languages []string) (string, error) {
	for _, l := range slices.Concat(languages, []string{FallbackLanguage}) {
		t, err := r.GetLocalizedText(ctx, key, l)
		if err == nil {
			return t.Text, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return "", fmt.Errorf("load text: %w", err)
		}
	}
	return "", nil
}

// PublicKey returns an application's public signing key (an uncompressed
// P-256 point).
func (s *Service) PublicKey(ctx context.Context, appName string) ([]byte, error) {
	a, err := s.app(ctx, s.st, appName)
	if err != nil {
		return nil, err
	}
	return a.SignPublicKey, nil
}

// SignatureBase is the bytes an answer's signature covers: the challenge
// header, "&" and the exact response body.
func SignatureBase(challenge string, body []byte) []byte {
	b := make([]byte, 0, len(challenge)+1+len(body))
	b = append(b, challenge...)
	b = append(b, '&')
	return append(b, body...)
}

// Sign signs an answer with the application's key: ECDSA P-256 over
// SHA-256 of SignatureBase(challenge, body), ASN.1 DER.
func (s *Service) Sign(ctx context.Context, appName, challenge string, body []byte) ([]byte, error) {
	a, err := s.app(ctx, s.st, appName)
	if err != nil {
		return nil, err
	}
	raw, err := s.box.Open(a.SignPrivateKeyEncrypted, secretContext(a.Name))
	if err != nil {
		return nil, fmt.Errorf("open signing key of %s: %w", appName, err)
	}
	key, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), raw)
	if err != nil {
		return nil, fmt.Errorf("signing key of %s: %w", appName, err)
	}
	digest := sha256.Sum256(SignatureBase(challenge, body))
	return ecdsa.SignASN1(rand.Reader, key, digest[:])
}

// Verify checks an answer's signature with a public key (an uncompressed
// P-256 point) the way a mobile app does.
func Verify(publicKey []byte, challenge string, body, signature []byte) bool {
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), publicKey)
	if err != nil {
		return false
	}
	digest := sha256.Sum256(SignatureBase(challenge, body))
	return ecdsa.VerifyASN1(pub, digest[:], signature)
}
